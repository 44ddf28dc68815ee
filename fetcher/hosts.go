package fetcher

import (
	"context"
	"sync"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// hostTable holds what fetches to one host (name:port) share: the per-host
// limit (RunConfig.PerHost) and the pause that a 429 or 503 with Retry-After
// puts on new requests to it. An entry lives while fetches use it or a
// pause is pending. Safe for concurrent use; mu guards m and every
// hostState's refs and pausedUntil.
type hostTable struct {
	perHost int

	mu sync.Mutex
	m  map[string]*hostState
}

type hostState struct {
	sem         *scheduler.Semaphore // nil without a per-host limit
	refs        int
	pausedUntil time.Time
}

func newHostTable(perHost int) *hostTable {
	return &hostTable{perHost: perHost, m: make(map[string]*hostState)}
}

// acquire waits until a request to host may start: until its pause is over
// and a per-host slot is free. It returns the state to release and how long
// it waited. Works in tasks and goroutines.
func (t *hostTable) acquire(ctx context.Context, host string) (*hostState, time.Duration, error) {
	t.mu.Lock()
	h := t.m[host]
	if h == nil {
		h = &hostState{}
		if t.perHost > 0 {
			h.sem = scheduler.NewSemaphore(t.perHost)
		}
		t.m[host] = h
	}
	h.refs++
	pause := h.pausedUntil
	t.mu.Unlock()
	if h.sem == nil && pause.IsZero() {
		return h, 0, nil
	}
	start := time.Now()
	for {
		if err := sleepCtx(ctx, time.Until(pause)); err != nil {
			t.unref(host, h)
			return nil, time.Since(start), err
		}
		if h.sem != nil {
			if err := h.sem.Acquire(ctx); err != nil {
				t.unref(host, h)
				return nil, time.Since(start), err
			}
		}
		t.mu.Lock()
		pause = h.pausedUntil
		t.mu.Unlock()
		if !time.Now().Before(pause) {
			return h, time.Since(start), nil
		}
		// A pause began while we waited for the slot: wait it out without
		// holding the slot.
		if h.sem != nil {
			h.sem.Release()
		}
	}
}

// release ends a request begun by acquire.
func (t *hostTable) release(host string, h *hostState) {
	if h.sem != nil {
		h.sem.Release()
	}
	t.unref(host, h)
}

func (t *hostTable) unref(host string, h *hostState) {
	t.mu.Lock()
	h.refs--
	if h.refs == 0 && !time.Now().Before(h.pausedUntil) {
		delete(t.m, host)
	}
	t.mu.Unlock()
}

// pause holds new requests to host until until (a later pause wins). The
// caller holds a reference (between acquire and release).
func (t *hostTable) pause(h *hostState, until time.Time) {
	t.mu.Lock()
	if until.After(h.pausedUntil) {
		h.pausedUntil = until
	}
	t.mu.Unlock()
}

// sleepCtx waits d or until ctx ends, whichever comes first, and returns
// ctx's error if it ended. In a task it parks on an Event, never blocking
// the thread.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	if scheduler.Current() == nil {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return ctx.Err()
	}
	ev := scheduler.NewEvent()
	stop := context.AfterFunc(ctx, ev.Set)
	ev.Wait(d)
	stop()
	return ctx.Err()
}
