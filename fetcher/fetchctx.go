package fetcher

import (
	"context"
	"time"
)

// fetchCtx is the context of one fetch: its parent bounded by the fetch's
// deadline, as context.WithDeadline(parent, deadline) would make it, but
// made only when something asks for its Done channel (a DNS lookup, a
// dial, a wait for a slot or a pause). A fetch on a pooled connection only
// asks Err, and so costs no context, no runtime timer and no callback
// registration: its connection phases carry the deadline themselves
// (fetchState.setDeadline), and cancellation of the parent reaches the
// connection through one context.AfterFunc on the parent (fetchInto).
//
// It belongs to the fetch's task or goroutine: Done, Value and release
// are called there only; Err and Deadline may be called from anywhere
// once Done has been called (the derived contexts do).
type fetchCtx struct {
	parent   context.Context
	deadline time.Time
	onDone   func() // called when the made context ends (fetchState.interrupt)

	inner  context.Context // made by the first Done, with cancel and stop
	cancel context.CancelFunc
	stop   func() bool
}

var _ context.Context = (*fetchCtx)(nil)

// make returns the context.WithDeadline of the fetch, making it first.
func (c *fetchCtx) make() context.Context {
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.parent, c.deadline)
		if c.onDone != nil {
			c.stop = context.AfterFunc(c.inner, c.onDone)
		}
	}
	return c.inner
}

// Deadline returns the earlier of the fetch's deadline and its parent's.
func (c *fetchCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Done returns the channel closed when the parent is done or the deadline
// passes.
func (c *fetchCtx) Done() <-chan struct{} { return c.make().Done() }

// Err returns the parent's error, context.DeadlineExceeded once the
// deadline has passed, or nil.
func (c *fetchCtx) Err() error {
	if c.inner != nil {
		if err := c.inner.Err(); err != nil {
			return err
		}
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value returns the value of the made context once there is one (so that
// contexts derived from this one find its cancelCtx and need no goroutine
// to follow it), else the parent's.
func (c *fetchCtx) Value(key any) any {
	if c.inner != nil {
		return c.inner.Value(key)
	}
	return c.parent.Value(key)
}

// release frees the made context, if any, at the end of the fetch.
func (c *fetchCtx) release() {
	if c.inner != nil {
		c.stop()
		c.cancel()
	}
}

// phaseCtx returns a context for one phase of the fetch that waits (a
// connect slot, a connect, a pause), bounded by d from now when d > 0, and
// its cancel function, which the phase calls when it ends. It is what
// context.WithTimeout(st.ctx, d) gives, without making the fetch's own
// context when that is not made yet: the phase's context is freed with the
// phase, and a fetch that then waits long for its answer (thousands in
// flight) holds no context and no runtime timer meanwhile.
func (st *fetchState) phaseCtx(d time.Duration) (context.Context, context.CancelFunc) {
	parent, deadline := st.phaseBound(d)
	if deadline.IsZero() {
		return context.WithCancel(parent)
	}
	return context.WithDeadline(parent, deadline)
}

// phaseBound is what phaseCtx(d) is made of: the context to follow for
// cancellation and the deadline (zero: none beyond the context's own). The
// waits that take the two apart (scheduler.DialDeadline,
// Semaphore.AcquireTimeout) need no context of their own: a task's hub
// times them.
func (st *fetchState) phaseBound(d time.Duration) (context.Context, time.Time) {
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	if st.lazy.inner != nil || st.ctx != &st.lazy {
		return st.ctx, deadline
	}
	if deadline.IsZero() || st.lazy.deadline.Before(deadline) {
		deadline = st.lazy.deadline
	}
	return st.lazy.parent, deadline
}
