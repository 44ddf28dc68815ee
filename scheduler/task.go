//go:build unix

package scheduler

import (
	"context"
	"iter"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// A task's life, as the hub sees it:
//
//	runnable → running       the hub resumed it
//	running  → parked        it waits (sleep, socket, event, join, ...)
//	running  → runnable      it called Yield
//	parked   → runnable      its wake arrived: the waker named the park
//	                         sequence the task is still in (ready)
//	running  → dead          its function returned or panicked
//
// Every park bumps the task's sequence number when it resumes, so a wake
// meant for an earlier park (a timer that lost a race, a second event) is
// recognised and dropped.
const (
	stateRunnable uint8 = iota
	stateRunning
	stateParked
	stateDead
)

// Task is a greenlet: a function running on a hub. It is created by Spawn
// and is safe to Join and Kill from any goroutine.
type Task struct {
	hub *Hub
	fn  func(*Task) (any, error)
	g   atomic.Uint64 // identity of the task's goroutine, once started

	// Hub only.
	next          func() (struct{}, bool)
	yield         func(struct{}) bool
	state         uint8
	interruptible bool
	closing       bool
	seq           uint64
	wakeErr       error
	timedOut      int // fired WithTimeout blocks still open
	lprev, lnext  *Task

	killed atomic.Bool

	ctxMu  sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc

	// done is set when the task ends; value and err are written before.
	done  Event
	value any
	err   error
}

// Spawn starts fn as a new task on h and returns at once. The task first
// runs at the hub's next turn. Safe from any goroutine; a task spawned on a
// closed hub ends at once with ErrHubClosed.
func (h *Hub) Spawn(fn func(t *Task) (any, error)) *Task {
	t := &Task{hub: h, fn: fn}
	if h.onHub() && !h.closed.Load() {
		h.startTask(t)
		return t
	}
	if err := h.Post(func() { h.startTask(t) }); err != nil {
		t.err = err
		t.state = stateDead
		t.done.Set()
	}
	return t
}

// Run runs fn as a task on h and waits for it, like gevent's main
// greenlet: tasks that fn spawns are queued on the hub in the order fn
// spawns them, before any of them runs. Called from an ordinary goroutine.
func (h *Hub) Run(fn func(t *Task) (any, error)) (any, error) {
	return h.Spawn(fn).Join()
}

// startTask links t into the hub and queues it. Hub only.
func (h *Hub) startTask(t *Task) {
	t.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		t.g.Store(getg())
		t.yield = yield
		t.run()
	})
	h.tasks.add(t)
	t.state = stateRunnable
	h.runq.push(t)
}

// run calls the task's function and records how it ended. A panic is
// recovered into a *PanicError. runtime.Goexit cannot be stopped: it is
// recorded as a *PanicError with Goexit set, the task's goroutine ends,
// and the hub's loop, to which the Goexit travels, carries on without it
// (see Hub.loop).
func (t *Task) run() {
	returned := false
	defer func() {
		if returned {
			return
		}
		if r := recover(); r != nil {
			t.value, t.err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		} else {
			t.value, t.err = nil, &PanicError{Goexit: true, Stack: debug.Stack()}
		}
	}()
	if t.killed.Load() {
		t.err = t.interruptErr()
		returned = true
		return
	}
	t.value, t.err = t.fn(t)
	returned = true
}

// finish records a dead task and wakes its joiners. Hub only.
func (h *Hub) finish(t *Task) {
	t.state = stateDead
	h.tasks.remove(t)
	t.next, t.yield, t.fn = nil, nil, nil
	t.cancelContext()
	t.done.Set()
}

// Hub returns the hub the task runs on.
func (t *Task) Hub() *Hub { return t.hub }

// Dead reports whether the task has ended. Safe from any goroutine.
func (t *Task) Dead() bool { return t.done.IsSet() }

// Join waits for the task to end and returns what its function returned,
// or a *PanicError if it panicked or called runtime.Goexit. Called from a task it parks; from a goroutine it
// blocks. A task killed while joining gets ErrKilled.
func (t *Task) Join() (any, error) {
	if err := t.done.wait(0); err != nil {
		return nil, err
	}
	return t.value, t.err
}

// Result returns what the task's function returned; it is valid once Dead
// reports true.
func (t *Task) Result() (any, error) {
	if !t.done.IsSet() {
		return nil, nil
	}
	return t.value, t.err
}

// JoinAll waits until every task has ended or the timeout passes
// (timeout <= 0: no limit) and returns the tasks that ended, in the order
// given.
func JoinAll(tasks []*Task, timeout time.Duration) (done []*Task) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for _, t := range tasks {
		if t.done.IsSet() {
			continue
		}
		var d time.Duration
		if !deadline.IsZero() {
			if d = time.Until(deadline); d <= 0 {
				break
			}
		}
		if err := t.done.wait(d); err != nil && err != ErrTimeout {
			break // the joiner was killed
		}
	}
	for _, t := range tasks {
		if t.done.IsSet() {
			done = append(done, t)
		}
	}
	return done
}

// Kill asks the task to stop. It is delivered at the task's next yield
// point: the blocking call it is in (or makes next) returns ErrKilled, and
// the task's Context is canceled. A task killed before it first runs never
// runs. Kill does not wait; Join does. Safe from any goroutine.
func (t *Task) Kill() {
	if t.killed.Swap(true) {
		return
	}
	t.cancelContext()
	h := t.hub
	if h.onHub() {
		if t.state != stateDead {
			h.readyKilled(t)
		}
		return
	}
	h.postReady(readyReq{t: t, kill: true})
}

// Context returns a context that is canceled when the task is killed or
// ends. Pass it to code that takes one.
func (t *Task) Context() context.Context {
	t.ctxMu.Lock()
	defer t.ctxMu.Unlock()
	if t.ctx == nil {
		t.ctx, t.cancel = context.WithCancel(context.Background())
		if t.killed.Load() || t.done.IsSet() {
			t.cancel()
		}
	}
	return t.ctx
}

func (t *Task) cancelContext() {
	t.ctxMu.Lock()
	if t.cancel != nil {
		t.cancel()
	}
	t.ctxMu.Unlock()
}

// interruptErr is what an interruptible wait of t returns at once, or nil.
func (t *Task) interruptErr() error {
	if t.killed.Load() {
		if t.closing {
			return ErrHubClosed
		}
		return ErrKilled
	}
	if t.timedOut > 0 {
		return ErrTimeout
	}
	return nil
}

// park suspends the running task t until a wake names its current
// sequence. An interruptible park also ends on Kill, hub close and a fired
// WithTimeout, and returns at once if one of those is already pending.
// Must be called by t itself.
func (t *Task) park(interruptible bool) error {
	if interruptible {
		if err := t.interruptErr(); err != nil {
			return err
		}
	}
	t.state = stateParked
	t.interruptible = interruptible
	t.hub.parked++
	t.yield(struct{}{})
	t.hub.parked--
	t.seq++
	err := t.wakeErr
	t.wakeErr = nil
	return err
}

// wake readies t from its park with sequence seq. Safe from any goroutine.
func (t *Task) wake(seq uint64, err error) {
	h := t.hub
	if h.onHub() {
		h.ready(t, seq, err)
		return
	}
	h.postReady(readyReq{t: t, seq: seq, err: err})
}

// Current returns the task that is calling, or nil when the caller is an
// ordinary goroutine.
func Current() *Task {
	p := allHubs.Load()
	if p == nil {
		return nil
	}
	g := getg()
	for _, h := range *p {
		if t := h.current.Load(); t != nil && t.g.Load() == g {
			return t
		}
	}
	return nil
}

// Sleep suspends the calling task for d; other tasks of its hub run
// meanwhile. It returns ErrKilled if the task is killed while it sleeps.
// Called from an ordinary goroutine it is time.Sleep.
//
// Sleep(0) (or less) is Yield: like gevent's sleep(0), it lets every other
// ready task of the hub run once, and due timers fire, before the caller
// goes on. While tasks are ready the hub polls for I/O without waiting
// once every 61 turns, so a long computation that calls Sleep(0) now and
// then keeps its hub responsive to sockets too, a little later.
func Sleep(d time.Duration) error {
	t := Current()
	if t == nil {
		if d > 0 {
			time.Sleep(d)
		}
		return nil
	}
	return t.Sleep(d)
}

// Sleep is the package-level Sleep for a task that has itself at hand,
// which spares the lookup of the current task. Must be called by t.
func (t *Task) Sleep(d time.Duration) error {
	if d <= 0 {
		return t.Yield()
	}
	h := t.hub
	tm := h.startTimer(t, d, nil)
	err := t.park(true)
	h.stopTimer(tm)
	return err
}

// Yield puts the calling task at the back of its hub's run queue and lets
// the others run: Sleep(0). From an ordinary goroutine it is
// runtime.Gosched's gentler cousin: it returns at once.
func Yield() error {
	t := Current()
	if t == nil {
		return nil
	}
	return t.Yield()
}

// Yield is the package-level Yield for a task that has itself at hand.
// Must be called by t.
func (t *Task) Yield() error {
	if err := t.interruptErr(); err != nil {
		return err
	}
	t.state = stateRunnable
	t.hub.runq.push(t)
	t.yield(struct{}{})
	t.seq++
	t.wakeErr = nil
	return nil
}

// WithTimeout runs fn in the calling task and bounds it to d: when d passes,
// the blocking call fn is in (and every later one until fn returns) returns
// ErrTimeout, and so does WithTimeout. gevent's Timeout as a block. Blocks
// nest. Must be called from a task (ErrNotInTask otherwise).
func WithTimeout(d time.Duration, fn func() error) error {
	t := Current()
	if t == nil {
		return ErrNotInTask
	}
	h := t.hub
	fired := false
	tm := &timer{when: h.now().Add(d)}
	tm.fire = func(*timer) {
		fired = true
		t.timedOut++
		if t.state == stateParked && t.interruptible {
			h.ready(t, t.seq, ErrTimeout)
		}
	}
	h.pushTimer(tm)
	err := fn()
	h.stopTimer(tm)
	if fired {
		t.timedOut--
		return ErrTimeout
	}
	return err
}
