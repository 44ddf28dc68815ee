//go:build unix

package scheduler

import (
	"context"
	"sync"
	"time"
)

// Event is a flag that tasks and goroutines wait on until it is set
// (gevent.event.Event). Its zero value is ready for use, unset. Safe for
// concurrent use across hubs and goroutines.
type Event struct {
	mu      sync.Mutex
	set     bool
	waiters waitq
}

// NewEvent returns an unset Event.
func NewEvent() *Event { return new(Event) }

// Set sets the flag and wakes every waiter, in the order they came.
func (e *Event) Set() {
	e.mu.Lock()
	e.set = true
	e.waiters.wakeAll()
	e.mu.Unlock()
}

// Clear unsets the flag.
func (e *Event) Clear() {
	e.mu.Lock()
	e.set = false
	e.mu.Unlock()
}

// IsSet reports whether the flag is set.
func (e *Event) IsSet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// Wait waits until the flag is set or the timeout passes (timeout <= 0:
// no limit) and reports whether it is set. A task killed while waiting
// gets false.
func (e *Event) Wait(timeout time.Duration) bool {
	return e.wait(timeout) == nil
}

// WaitContext waits until the flag is set or ctx ends, and returns nil or
// the reason it stopped waiting (ctx.Err(), ErrKilled, ErrHubClosed).
func (e *Event) WaitContext(ctx context.Context) error {
	return e.waitCtx(ctx, 0)
}

// wait is Wait with the reason: nil, ErrTimeout, ErrKilled, ErrHubClosed.
func (e *Event) wait(timeout time.Duration) error {
	return e.waitCtx(context.Background(), timeout)
}

func (e *Event) waitCtx(ctx context.Context, timeout time.Duration) error {
	e.mu.Lock()
	if e.set {
		e.mu.Unlock()
		return nil
	}
	w := newWaiter()
	e.waiters.push(w)
	e.mu.Unlock()
	err := w.block(ctx, timeout)
	e.mu.Lock()
	defer e.mu.Unlock()
	if w.woken {
		return nil
	}
	e.waiters.remove(w)
	if err == nil {
		err = ErrTimeout
	}
	return err
}
