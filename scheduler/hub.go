//go:build unix

package scheduler

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Hub is one event loop and the tasks that run on it. Its loop runs on a
// goroutine of its own from NewHub until Close.
type Hub struct {
	poller *poller

	// loopG is the identity of the loop goroutine; current is the task the
	// loop has resumed, nil while the loop itself runs. Both are read by
	// other goroutines to decide whether a caller is on this hub.
	loopG   atomic.Uint64
	current atomic.Pointer[Task]

	// Hub only: touched by the loop goroutine and the tasks it resumes.
	runq   taskQueue
	timers timerHeap
	timerN uint64   // timers armed so far: their FIFO order
	tasks  taskList // every live task, for Close
	fds    []*pollDesc
	fdseq  uint32
	turns  uint32
	parked int // tasks in park, for tests that must see a task parked

	// fakeNow, when set, is the hub's clock in place of time.Now: it
	// stands still until a test moves it (export_test.go), so that tests
	// expire timeouts without waiting for them.
	fakeNow *time.Time

	// Hub only: the loop's own state, kept here rather than in locals so
	// that a loop goroutine replaced after a task's runtime.Goexit (see
	// loop) carries on where the last one stopped.
	events      []pollEvent
	resuming    *Task // the task inside resume, nil otherwise
	loopClosing bool  // the loop has started closing: tasks were killed
	pollBroken  bool  // a wait failed: the poller is no longer used
	waitErrors  int   // failed poller waits
	err         error // why the hub closed on its own; read after done

	// mu guards the remote inbox: what other goroutines hand the hub.
	// Lock order: a primitive's mutex, then mu.
	mu        sync.Mutex
	posted    []func()
	readies   []readyReq
	closing   bool
	hasRemote atomic.Bool

	closed atomic.Bool
	done   chan struct{}
}

// readyReq asks the hub to ready a task parked with sequence seq.
type readyReq struct {
	t    *Task
	seq  uint64
	err  error
	kill bool // ready whatever the sequence, if the task parks interruptibly
}

var (
	hubsMu  sync.Mutex
	allHubs atomic.Pointer[[]*Hub] // copy on write; read by Current
)

func registerHub(h *Hub) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	var hs []*Hub
	if p := allHubs.Load(); p != nil {
		hs = append(hs, *p...)
	}
	hs = append(hs, h)
	allHubs.Store(&hs)
}

func unregisterHub(h *Hub) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	p := allHubs.Load()
	if p == nil {
		return
	}
	hs := make([]*Hub, 0, len(*p))
	for _, x := range *p {
		if x != h {
			hs = append(hs, x)
		}
	}
	allHubs.Store(&hs)
}

var raiseOnce sync.Once

// NewHub opens a poller and starts a hub's loop on a goroutine of its own.
// The first hub of the process raises RLIMIT_NOFILE to its hard limit, so
// that thousands of sockets fit.
func NewHub() (*Hub, error) {
	raiseOnce.Do(raiseFileLimit)
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	h := &Hub{poller: p, done: make(chan struct{}), events: make([]pollEvent, maxPollEvents)}
	registerHub(h)
	started := make(chan struct{})
	go h.loop(started)
	<-started
	return h, nil
}

// Post arranges for fn to run on the hub's loop, between tasks. It is the
// one method that is safe from any goroutine. fn must not block and must not
// call task-only functions (it runs on the loop, not in a task); to run
// task code, Spawn. Post returns ErrHubClosed once Close has begun.
func (h *Hub) Post(fn func()) error {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return ErrHubClosed
	}
	h.posted = append(h.posted, fn)
	h.mu.Unlock()
	h.notify()
	return nil
}

func (h *Hub) postReady(r readyReq) {
	h.mu.Lock()
	h.readies = append(h.readies, r)
	h.mu.Unlock()
	h.notify()
}

func (h *Hub) notify() {
	h.hasRemote.Store(true)
	h.poller.wake()
}

// onHub reports whether the caller runs on h: in one of its tasks, or in
// the loop itself (a posted function or a timer).
func (h *Hub) onHub() bool {
	g := getg()
	if h.loopG.Load() == g {
		return true
	}
	t := h.current.Load()
	return t != nil && t.g.Load() == g
}

// taskOf returns the task of h that is calling, or nil.
//
// current is the task the loop resumed last, not cleared when that task
// parks: a parked task cannot be the caller, so the identity check stays
// exact, and the loop saves an atomic store per switch. It is cleared when
// the task dies, before its goroutine (and so its identity) can be reused.
func (h *Hub) taskOf() *Task {
	if t := h.current.Load(); t != nil && t.g.Load() == getg() {
		return t
	}
	return nil
}

// Close stops the hub: tasks still alive are killed (their blocking calls
// return ErrHubClosed) and run until they return, sockets are closed, and
// the loop exits. Close waits for all of that. It is safe from any
// goroutine, but a task calling Close on its own hub only starts the close
// (and returns nil).
//
// Close returns nil, or the reason the hub failed: a hub whose poller wait
// fails (anything but EINTR) closes itself, and Close then returns that
// error, as it does an error closing the poller.
func (h *Hub) Close() error {
	h.mu.Lock()
	already := h.closing
	h.closing = true
	h.mu.Unlock()
	if !already {
		h.notify()
	}
	if h.onHub() {
		return nil
	}
	<-h.done
	return h.err
}

// Closed reports whether the hub's loop has ended.
func (h *Hub) Closed() bool { return h.closed.Load() }

// loop runs the hub on the calling goroutine until the hub has closed.
//
// A task that calls runtime.Goexit (as testing's t.Fatal does) ends its
// goroutine, and the coroutine switch carries the Goexit on to the
// goroutine that resumed it: this one. Goexit cannot be stopped, so the
// deferred function lets this goroutine go, records the task's end and
// continues the loop on a fresh goroutine (loopGoexit). All loop state
// lives in the Hub, so nothing is lost in the handover.
func (h *Hub) loop(started chan struct{}) {
	h.loopG.Store(getg())
	if started != nil {
		close(started)
	}
	ended := false
	defer func() {
		if !ended {
			h.loopGoexit()
			return
		}
		h.loopG.Store(0)
		h.closed.Store(true)
		if err := h.poller.close(); err != nil && h.err == nil {
			h.err = err
		}
		unregisterHub(h)
		close(h.done)
	}()
	h.run()
	ended = true
}

// loopGoexit runs when the loop's goroutine is ending without returning
// from run. If a task was being resumed, the task called runtime.Goexit:
// its run recorded a *PanicError, so finish it and carry on the loop on a
// new goroutine. Anything else is a panic or a Goexit in loop code (a
// function given to Post, a timer): the hub cannot go on, and crashing is
// louder than leaving every Join hanging.
func (h *Hub) loopGoexit() {
	t := h.resuming
	if t == nil {
		panic("scheduler: the hub's loop ended abnormally: a function given to Post panicked or called runtime.Goexit")
	}
	h.resuming = nil
	h.current.Store(nil)
	h.finish(t)
	// The dying goroutine's identity may be reused once it is gone; clear
	// it before the next loop goroutine stores its own.
	h.loopG.Store(0)
	go h.loop(nil)
}

// run is the loop proper. One turn:
//
//  1. take what other goroutines handed the hub (Post, remote wakes, Close);
//     on Close, kill every task once;
//  2. resume, in FIFO order, every task that was ready when the turn began,
//     each until it parks, yields or ends;
//  3. if closing and no task is left, close the hub's fds and return;
//  4. if tasks are still ready (they yielded, or were readied during step 2)
//     or more was handed in: fire the due timers and start the next turn at
//     once, polling the kernel without waiting only every 61st busy turn
//     (the runtime's netpoll does the same), so that tasks handing the baton
//     back and forth do not pay a system call per switch;
//  5. otherwise wait in the poller until the next timer is due (forever
//     without one), an fd event arrives or another goroutine wakes the hub;
//  6. ready the tasks parked on the fds that became ready (dispatch), then
//     fire the due timers, which ready the tasks whose sleep, deadline or
//     timeout ended.
//
// A wait error other than EINTR means the poller is broken and the hub can
// do no more I/O: it is kept as the hub's error, which Close returns, and
// the hub closes as if Close had been called.
func (h *Hub) run() {
	for {
		if h.hasRemote.Load() {
			if h.drainRemote() && !h.loopClosing {
				h.startClosing()
			}
		}
		// Resume, in FIFO order, the tasks that were ready when the turn
		// began; tasks readied meanwhile wait for the next turn, so one
		// turn does a bounded amount of work and I/O is never starved.
		// Written out here rather than in a function of its own: every
		// return after a coroutine switch is a return the CPU did not
		// predict, and each frame between this loop and the switch adds
		// one (BenchmarkSwitch).
		for n := h.runq.len(); n > 0; n-- {
			t := h.runq.pop()
			t.state = stateRunning
			if h.current.Load() != t {
				h.current.Store(t)
			}
			h.resuming = t
			_, alive := t.next()
			h.resuming = nil
			if !alive {
				h.current.Store(nil)
				h.finish(t)
			}
		}
		if h.loopClosing && h.tasks.n == 0 {
			h.closeAllFDs()
			return
		}
		var timeout time.Duration
		if h.runq.len() > 0 || h.hasRemote.Load() {
			h.turns++
			if h.turns%61 != 0 {
				h.fireTimers(time.Time{})
				continue
			}
			timeout = 0
		} else if t := h.timers.peek(); t != nil {
			timeout = t.when.Sub(h.now())
			if timeout < 0 {
				timeout = 0
			}
		} else {
			timeout = -1
		}
		if h.pollBroken {
			// No poller: no fd events either. Sleep in bounded steps so
			// that timers, remote wakes and the tasks still ending (a
			// Blocking call) are seen, until the close completes.
			if timeout < 0 || timeout > brokenPollStep {
				timeout = brokenPollStep
			}
			time.Sleep(timeout)
			h.fireTimers(time.Time{})
			continue
		}
		n, err := h.poller.wait(timeout, h.events)
		if err != nil {
			h.waitFailed(err)
			continue
		}
		h.dispatch(h.events[:n])
		h.fireTimers(time.Time{})
	}
}

// brokenPollStep is how long a hub whose poller failed sleeps per turn
// while it closes.
const brokenPollStep = 10 * time.Millisecond

// waitFailed records a failed poller wait and closes the hub. Hub only.
func (h *Hub) waitFailed(err error) {
	h.waitErrors++
	h.pollBroken = true
	if h.err == nil {
		h.err = fmt.Errorf("scheduler: hub closed: poller wait failed: %w", err)
	}
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	if !h.loopClosing {
		h.startClosing()
	}
}

// startClosing kills every task once; the loop ends when none is left.
// Hub only.
func (h *Hub) startClosing() {
	h.loopClosing = true
	h.killAll()
}

// drainRemote takes what other goroutines handed the hub. It reports
// whether the hub is closing.
func (h *Hub) drainRemote() bool {
	h.hasRemote.Store(false)
	h.mu.Lock()
	posted, readies, closing := h.posted, h.readies, h.closing
	h.posted, h.readies = nil, nil
	h.mu.Unlock()
	for _, r := range readies {
		if r.kill {
			h.readyKilled(r.t)
		} else {
			h.ready(r.t, r.seq, r.err)
		}
	}
	for _, fn := range posted {
		fn()
	}
	return closing
}

// fireTimers runs the timers that are due. A zero now means "read the clock",
// which it does only when a timer is waiting.
func (h *Hub) fireTimers(now time.Time) {
	if len(h.timers) == 0 {
		return
	}
	if now.IsZero() {
		now = h.now()
	}
	for {
		t := h.timers.peek()
		if t == nil || t.when.After(now) {
			return
		}
		h.timers.remove(t)
		if t.fire != nil {
			t.fire(t)
		} else {
			h.ready(t.task, t.seq, t.err)
		}
	}
}

// ready makes t runnable if it is still parked in the wait that seq names;
// a stale wake (the task already moved on) is dropped, as gevent's Hub.wait
// drops a switch that is not its own. Hub only.
func (h *Hub) ready(t *Task, seq uint64, err error) {
	if t.state == stateParked && t.seq == seq {
		t.state = stateRunnable
		t.wakeErr = err
		h.runq.push(t)
	}
}

// readyKilled wakes t from an interruptible wait. Hub only.
func (h *Hub) readyKilled(t *Task) {
	if t.state == stateParked && t.interruptible {
		h.ready(t, t.seq, t.interruptErr())
	}
}

func (h *Hub) killAll() {
	for t := h.tasks.head; t != nil; t = t.lnext {
		t.closing = true
		t.killed.Store(true)
		t.cancelContext()
		h.readyKilled(t)
	}
}

// startTimer arms a timer that readies t with err after d, unless t has
// moved past the wait it is in now. Hub only.
func (h *Hub) startTimer(t *Task, d time.Duration, err error) *timer {
	tm := &timer{when: h.now().Add(d), task: t, seq: t.seq, err: err}
	h.pushTimer(tm)
	return tm
}

// pushTimer arms tm. Timers due at the same instant fire in the order they
// were armed. Hub only.
func (h *Hub) pushTimer(tm *timer) {
	h.timerN++
	tm.nth = h.timerN
	h.timers.push(tm)
}

// now is the hub's clock, which its timers, sleeps, timeouts and socket
// deadlines follow: time.Now, unless a test has stopped it. Hub only.
func (h *Hub) now() time.Time {
	if h.fakeNow != nil {
		return *h.fakeNow
	}
	return time.Now()
}

func (h *Hub) stopTimer(tm *timer) {
	if tm != nil && tm.index >= 0 {
		h.timers.remove(tm)
	}
}

// taskQueue is the FIFO run queue: a ring buffer whose size is a power of
// two, so that wrapping is a mask rather than a division.
type taskQueue struct {
	buf        []*Task
	head, size int
}

func (q *taskQueue) len() int { return q.size }

func (q *taskQueue) push(t *Task) {
	if q.size == len(q.buf) {
		n := 2 * len(q.buf)
		if n == 0 {
			n = 64
		}
		buf := make([]*Task, n)
		for i := 0; i < q.size; i++ {
			buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
		}
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.size)&(len(q.buf)-1)] = t
	q.size++
}

func (q *taskQueue) pop() *Task {
	t := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return t
}

// taskList is an intrusive doubly linked list of a hub's live tasks.
type taskList struct {
	head *Task
	n    int
}

func (l *taskList) add(t *Task) {
	t.lnext = l.head
	if l.head != nil {
		l.head.lprev = t
	}
	l.head = t
	l.n++
}

func (l *taskList) remove(t *Task) {
	if t.lprev != nil {
		t.lprev.lnext = t.lnext
	} else {
		l.head = t.lnext
	}
	if t.lnext != nil {
		t.lnext.lprev = t.lprev
	}
	t.lprev, t.lnext = nil, nil
	l.n--
}
