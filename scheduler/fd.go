//go:build unix

package scheduler

import (
	"context"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pollDesc is the hub's record of one registered fd, the role the runtime's
// pollDesc plays for netpoll. It is hub only: every field is touched by the
// hub's loop or its tasks, never by another goroutine (which reaches it
// through Post).
//
// A task that gets EAGAIN parks on the pollDesc in one direction (rt or
// wt). Because the fd is registered edge-triggered for both directions at
// once, the kernel reports each new readiness edge exactly once; the hub
// readies the parked task for it, and the task retries its system call.
// An edge that arrives while nobody waits is dropped, which is safe: the
// next operation tries the system call before it parks.
type pollDesc struct {
	h      *Hub
	fd     int
	seq    uint32
	closed bool

	rt, wt     *Task // the task parked reading / writing
	rseq, wseq uint64
	rtimer     *timer
	wtimer     *timer
	rdeadline  time.Time
	wdeadline  time.Time

	// rnone: a read found nothing (EAGAIN, or a short TCP read: Conn.Read),
	// and no read event came since. The poller is edge-triggered, so the
	// next arrival brings one: until then a read would only answer EAGAIN,
	// and ioLoop parks without the system call (nginx's rule with EPOLLET).
	// rhup: an event said the peer closed its side or the socket failed;
	// what is left to read (an EOF, an error) brings no event of its own,
	// so a short read does not set rnone.
	rnone, rhup bool
}

// register adds fd to the hub's poller. Hub only.
func (h *Hub) register(fd int) (*pollDesc, error) {
	h.fdseq++
	if h.fdseq == 0 {
		h.fdseq = 1
	}
	pd := &pollDesc{h: h, fd: fd, seq: h.fdseq}
	if fd >= len(h.fds) {
		n := 2 * len(h.fds)
		if n <= fd {
			n = fd + 64
		}
		fds := make([]*pollDesc, n)
		copy(fds, h.fds)
		h.fds = fds
	}
	if err := h.poller.add(fd, pd.seq); err != nil {
		return nil, err
	}
	h.fds[fd] = pd
	return pd, nil
}

// dispatch readies the tasks waiting on the fds that became ready. Events
// for an fd the hub does not hold, or whose sequence is not the fd's
// current registration (a closed fd whose number was reused), are dropped.
// Hub only.
func (h *Hub) dispatch(events []pollEvent) {
	for _, ev := range events {
		if ev.fd < 0 || ev.fd >= len(h.fds) {
			continue
		}
		pd := h.fds[ev.fd]
		if pd == nil || (ev.seq != anySeq && pd.seq != ev.seq) {
			continue
		}
		if ev.flags&(pollRead|pollErr) != 0 {
			pd.rnone = false
			if ev.flags&(pollHup|pollErr) != 0 {
				pd.rhup = true
			}
			if pd.rt != nil {
				h.ready(pd.rt, pd.rseq, nil)
			}
		}
		if ev.flags&(pollWrite|pollErr) != 0 && pd.wt != nil {
			h.ready(pd.wt, pd.wseq, nil)
		}
	}
}

func (h *Hub) closeAllFDs() {
	for _, pd := range h.fds {
		if pd != nil && !pd.closed {
			pd.closeOnHub()
		}
	}
}

// enter checks that the caller is a task of the fd's hub and that the fd
// is open, and returns the task.
func (pd *pollDesc) enter() (*Task, error) {
	t := pd.h.taskOf()
	if t == nil {
		return nil, ErrWrongHub
	}
	if pd.closed {
		return nil, net.ErrClosed
	}
	return t, nil
}

// wait parks t until the fd is ready in the given direction, its deadline
// passes (errDeadline), it is closed (net.ErrClosed), ctx ends (ctx may be
// nil), or t is killed.
func (pd *pollDesc) wait(ctx context.Context, t *Task, write bool) error {
	h := pd.h
	deadline := pd.rdeadline
	waiter, wseq, tmr := &pd.rt, &pd.rseq, &pd.rtimer
	if write {
		deadline = pd.wdeadline
		waiter, wseq, tmr = &pd.wt, &pd.wseq, &pd.wtimer
	}
	if *waiter != nil {
		return ErrConcurrentUse
	}
	if !deadline.IsZero() {
		d := deadline.Sub(h.now())
		if d <= 0 {
			return errDeadline
		}
		*tmr = h.startTimer(t, d, errDeadline)
	}
	*waiter, *wseq = t, t.seq
	var stop func() bool
	if ctx != nil && ctx.Done() != nil {
		seq := t.seq
		stop = context.AfterFunc(ctx, func() { t.wake(seq, ctx.Err()) })
	}
	err := t.park(true)
	if stop != nil {
		stop()
	}
	*waiter = nil
	h.stopTimer(*tmr)
	*tmr = nil
	if err == nil && pd.closed {
		err = net.ErrClosed
	}
	return err
}

// setDeadline changes a deadline and re-arms the timer of a task parked
// under it. Hub only.
func (pd *pollDesc) setDeadline(t time.Time, read, write bool) {
	h := pd.h
	rearm := func(waiter *Task, seq uint64, tmr **timer) {
		h.stopTimer(*tmr)
		*tmr = nil
		if waiter == nil || t.IsZero() {
			return
		}
		if d := t.Sub(h.now()); d <= 0 {
			h.ready(waiter, seq, errDeadline)
		} else {
			*tmr = h.startTimer(waiter, d, errDeadline)
			(*tmr).seq = seq
		}
	}
	if read {
		pd.rdeadline = t
		rearm(pd.rt, pd.rseq, &pd.rtimer)
	}
	if write {
		pd.wdeadline = t
		rearm(pd.wt, pd.wseq, &pd.wtimer)
	}
}

// closeOnHub closes the fd and wakes its waiters with net.ErrClosed. Hub
// only.
func (pd *pollDesc) closeOnHub() error {
	if pd.closed {
		return net.ErrClosed
	}
	pd.closed = true
	h := pd.h
	if pd.rt != nil {
		h.ready(pd.rt, pd.rseq, net.ErrClosed)
	}
	if pd.wt != nil {
		h.ready(pd.wt, pd.wseq, net.ErrClosed)
	}
	if pd.fd < len(h.fds) && h.fds[pd.fd] == pd {
		h.fds[pd.fd] = nil
	}
	return unix.Close(pd.fd)
}

// onHubDo runs fn on the fd's hub: at once when the caller is on it,
// through Post otherwise (then it returns nil without waiting, or
// net.ErrClosed when the hub is gone and took the fd with it).
func (pd *pollDesc) onHubDo(fn func() error) error {
	if pd.h.onHub() {
		return fn()
	}
	if err := pd.h.Post(func() { fn() }); err != nil {
		return net.ErrClosed
	}
	return nil
}

func (pd *pollDesc) close() error {
	return pd.onHubDo(pd.closeOnHub)
}

func (pd *pollDesc) deadline(t time.Time, read, write bool) error {
	if pd.h.onHub() {
		// The common case (a task sets its own deadline) without the
		// closure onHubDo would allocate.
		if pd.closed {
			return net.ErrClosed
		}
		pd.setDeadline(t, read, write)
		return nil
	}
	return pd.onHubDo(func() error {
		if pd.closed {
			return net.ErrClosed
		}
		pd.setDeadline(t, read, write)
		return nil
	})
}

// ioLoop is the package's one EAGAIN loop, in the shape of internal/poll's
// fd_unix.go Read: the caller has entered (pd.enter, the "lock and
// prepare"); ioLoop calls op, retrying at once on EINTR; on EAGAIN it
// parks t until the fd is ready in the direction write names (or its
// deadline passes, it is closed, t is killed), then calls op again. A
// read on an fd found empty with no read event since (rnone) parks first.
//
// It returns op's result when op stops failing with EAGAIN: a failure of
// op is wrapped as os.NewSyscallError(call, err); a failed wait is returned
// as it is (errDeadline, net.ErrClosed, ErrKilled, ...). op must not keep
// a reference to itself, so that the closures passed in stay on the stack.
func (pd *pollDesc) ioLoop(t *Task, write bool, call string, op func() (int, error)) (int, error) {
	for {
		if write || !pd.rnone {
			n, err := ignoringEINTR(op)
			if err == nil {
				return n, nil
			}
			if err != unix.EAGAIN {
				return n, os.NewSyscallError(call, err)
			}
			if !write {
				pd.rnone = true
			}
		}
		if err := pd.wait(context.Background(), t, write); err != nil {
			return 0, err
		}
	}
}

// ignoringEINTR retries fn while it fails with EINTR.
func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if err != unix.EINTR {
			return n, err
		}
	}
}
