//go:build unix

package scheduler

import (
	"context"
	"sync"
	"time"
)

// Semaphore bounds how many holders run at once. Waiters are served in
// FIFO order, and a released permit is handed straight to the first waiter.
// Safe for concurrent use across hubs and goroutines.
type Semaphore struct {
	mu      sync.Mutex
	free    int
	waiters waitq
}

// NewSemaphore returns a semaphore with n permits.
func NewSemaphore(n int) *Semaphore { return &Semaphore{free: n} }

// Acquire takes a permit, waiting while none is free until ctx ends (ctx
// may be nil) or, for a task, the task is killed.
func (s *Semaphore) Acquire(ctx context.Context) error {
	return s.AcquireTimeout(ctx, 0)
}

// AcquireTimeout is Acquire that gives up with ErrTimeout after timeout
// (timeout <= 0: no limit). A task's hub times the wait itself: no
// derived context, no runtime timer.
func (s *Semaphore) AcquireTimeout(ctx context.Context, timeout time.Duration) error {
	s.mu.Lock()
	if s.free > 0 && s.waiters.n == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	w := newWaiter()
	s.waiters.push(w)
	s.mu.Unlock()
	err := w.block(ctx, timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.woken {
		if err == nil {
			return nil
		}
		s.releaseLocked() // granted while leaving: give it back
		return err
	}
	s.waiters.remove(w)
	return err
}

// TryAcquire takes a permit if one is free at once.
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free > 0 && s.waiters.n == 0 {
		s.free--
		return true
	}
	return false
}

// Release returns a permit.
func (s *Semaphore) Release() {
	s.mu.Lock()
	s.releaseLocked()
	s.mu.Unlock()
}

func (s *Semaphore) releaseLocked() {
	if !s.waiters.wakeOne() {
		s.free++
	}
}
