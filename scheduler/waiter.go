//go:build unix

package scheduler

import (
	"context"
	"time"
)

// waiter is one party waiting on a primitive: a task (which parks) or an
// ordinary goroutine (which blocks on ch). The primitive's own mutex guards
// woken and the list links.
type waiter struct {
	t          *Task
	seq        uint64
	ch         chan struct{}
	woken      bool
	prev, next *waiter
}

func newWaiter() *waiter {
	if t := Current(); t != nil {
		return &waiter{t: t, seq: t.seq}
	}
	return &waiter{ch: make(chan struct{}, 1)}
}

// signal wakes the waiter. The caller holds the primitive's mutex and has
// set woken.
func (w *waiter) signal() {
	if w.t != nil {
		w.t.wake(w.seq, nil)
		return
	}
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// block waits, without the primitive's mutex, until signal, the timeout
// (timeout <= 0: none), ctx's end (ctx may be nil), or, for a task, Kill.
// It returns the reason it stopped waiting, nil for a signal; the caller
// then checks woken under its mutex, because a signal can race the others.
func (w *waiter) block(ctx context.Context, timeout time.Duration) error {
	if t := w.t; t != nil {
		h := t.hub
		var tm *timer
		if timeout > 0 {
			tm = h.startTimer(t, timeout, ErrTimeout)
		}
		var stop func() bool
		if ctx != nil && ctx.Done() != nil {
			seq := t.seq
			stop = context.AfterFunc(ctx, func() { t.wake(seq, ctx.Err()) })
		}
		err := t.park(true)
		h.stopTimer(tm)
		if stop != nil {
			stop()
		}
		return err
	}
	var tc <-chan time.Time
	if timeout > 0 {
		tmr := time.NewTimer(timeout)
		defer tmr.Stop()
		tc = tmr.C
	}
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case <-w.ch:
		return nil
	case <-tc:
		return ErrTimeout
	case <-done:
		return ctx.Err()
	}
}

// waitq is a FIFO list of waiters.
type waitq struct {
	head, tail *waiter
	n          int
}

func (q *waitq) push(w *waiter) {
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.n++
}

func (q *waitq) pop() *waiter {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}

func (q *waitq) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else if q.head == w {
		q.head = w.next
	} else {
		return // not in the list
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next = nil, nil
	q.n--
}

// wakeOne wakes the first waiter, if any. The caller holds the mutex.
func (q *waitq) wakeOne() bool {
	w := q.pop()
	if w == nil {
		return false
	}
	w.woken = true
	w.signal()
	return true
}

// wakeAll wakes every waiter. The caller holds the mutex.
func (q *waitq) wakeAll() {
	for q.wakeOne() {
	}
}
