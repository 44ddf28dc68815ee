//go:build unix

package scheduler

import "time"

// LiveTasks reports how many tasks of h are alive. It must be called on
// the hub (from a task or a posted func).
func (h *Hub) LiveTasks() int { return h.tasks.n }

// OpenFDs reports how many sockets h has registered and not closed.
func (h *Hub) OpenFDs() int {
	n := 0
	for _, pd := range h.fds {
		if pd != nil && !pd.closed {
			n++
		}
	}
	return n
}

// ParkedTasks reports how many tasks of h are parked: suspended in a
// wait (sleep, socket, primitive, join, Blocking) rather than ready or
// running. From a task of h it reads the count directly; from anywhere
// else it asks the hub's loop. It returns -1 once the hub is closed.
func (h *Hub) ParkedTasks() int {
	if h.onHub() {
		return h.parked
	}
	ch := make(chan int, 1)
	if err := h.Post(func() { ch <- h.parked }); err != nil {
		return -1
	}
	select {
	case n := <-ch:
		return n
	case <-h.done:
		return -1
	}
}

// Waiters reports how many tasks and goroutines wait on e.
func (e *Event) Waiters() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.waiters.n
}

// Getters reports how many tasks and goroutines wait in q.Get.
func (q *Queue[T]) Getters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.getters.n
}

// Waiters reports how many tasks and goroutines wait in s.Acquire.
func (s *Semaphore) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.n
}

// PollWaitErrors reports how many poller waits of h have failed. Read it
// after h has closed.
func (h *Hub) PollWaitErrors() int { return h.waitErrors }

// GetgFallback reports whether getg is the portable fallback that parses
// runtime.Stack (build tag greenfetch_nogetg, or no assembly for GOARCH).
const GetgFallback = getgFallback

// StopClock stops h's clock: from now on its timers, sleeps, timeouts and
// socket deadlines follow a clock that moves only by AdvanceClock. Call it
// from outside h, before the tasks under test arm their timers.
func (h *Hub) StopClock() {
	done := make(chan struct{})
	if h.Post(func() { now := time.Now(); h.fakeNow = &now; close(done) }) == nil {
		<-done
	}
}

// AdvanceClock moves h's stopped clock forward by d and fires the timers
// that are due before it returns; the tasks they wake are ready, and run
// at the hub's next turn. Call it from outside h.
func (h *Hub) AdvanceClock(d time.Duration) {
	done := make(chan struct{})
	if h.Post(func() {
		*h.fakeNow = h.fakeNow.Add(d)
		h.fireTimers(time.Time{})
		close(done)
	}) == nil {
		<-done
	}
}

// ReadNone reports whether a read of c would park without a system call:
// the socket was found empty, and no read event came since.
func (c *Conn) ReadNone() bool { return c.pd.rnone }
