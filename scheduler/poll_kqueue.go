//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package scheduler

import (
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// poller is the kqueue mechanism: one kqueue, fds registered with EV_CLEAR
// (edge-triggered) for EVFILT_READ and EVFILT_WRITE, and a pipe for
// wakeups (EVFILT_USER is not on every BSD).
//
// Events are keyed by ident, the fd itself; Udata is never used. Udata is
// a pointer on darwin and most BSDs, so an integer stored there could be
// taken for a pointer by the garbage collector, and on 32-bit systems it
// is too narrow for a 64-bit tag. The fd's registration sequence is not
// needed either: a knote belongs to the fd number, and close(2) deletes
// the fd's knotes together with their pending events, so no event of a
// closed fd can reach a later fd with the same number. wait therefore
// reports anySeq, and the hub matches the event to the fd's current
// registration.
type poller struct {
	kq      int
	wr, rd  int // wake pipe
	waking  atomic.Bool
	kevents [maxPollEvents]unix.Kevent_t
}

func newPoller() (*poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		unix.Close(kq)
		return nil, os.NewSyscallError("pipe", err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		unix.SetNonblock(fd, true)
	}
	p := &poller{kq: kq, rd: fds[0], wr: fds[1]}
	ev := unix.Kevent_t{}
	unix.SetKevent(&ev, p.rd, unix.EVFILT_READ, unix.EV_ADD)
	if _, err := unix.Kevent(kq, []unix.Kevent_t{ev}, nil, nil); err != nil {
		p.closeAll()
		return nil, os.NewSyscallError("kevent", err)
	}
	return p, nil
}

func (p *poller) closeAll() {
	unix.Close(p.rd)
	unix.Close(p.wr)
	unix.Close(p.kq)
}

func (p *poller) close() error {
	p.closeAll()
	return nil
}

func (p *poller) add(fd int, seq uint32) error {
	var evs [2]unix.Kevent_t
	unix.SetKevent(&evs[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	unix.SetKevent(&evs[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
	_, err := unix.Kevent(p.kq, evs[:], nil, nil)
	return os.NewSyscallError("kevent", err)
}

func (p *poller) del(fd int) error {
	var evs [2]unix.Kevent_t
	unix.SetKevent(&evs[0], fd, unix.EVFILT_READ, unix.EV_DELETE)
	unix.SetKevent(&evs[1], fd, unix.EVFILT_WRITE, unix.EV_DELETE)
	_, err := unix.Kevent(p.kq, evs[:], nil, nil)
	return os.NewSyscallError("kevent", err)
}

func (p *poller) wait(timeout time.Duration, events []pollEvent) (int, error) {
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	max := len(events)
	if max > len(p.kevents) {
		max = len(p.kevents)
	}
	n, err := unix.Kevent(p.kq, nil, p.kevents[:max], ts)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("kevent", err)
	}
	out := 0
	for i := 0; i < n; i++ {
		ev := &p.kevents[i]
		fd := int(ev.Ident)
		if fd == p.rd {
			var buf [64]byte
			for {
				if n, _ := unix.Read(p.rd, buf[:]); n <= 0 {
					break
				}
			}
			p.waking.Store(false)
			continue
		}
		var f pollFlags
		switch ev.Filter {
		case unix.EVFILT_READ:
			f |= pollRead
		case unix.EVFILT_WRITE:
			f |= pollWrite
		}
		if ev.Flags&(unix.EV_EOF|unix.EV_ERROR) != 0 {
			f |= pollErr
		}
		events[out] = pollEvent{fd: fd, seq: anySeq, flags: f}
		out++
	}
	return out, nil
}

func (p *poller) wake() error {
	if !p.waking.CompareAndSwap(false, true) {
		return nil
	}
	_, err := unix.Write(p.wr, []byte{1})
	if err == unix.EAGAIN {
		return nil
	}
	return os.NewSyscallError("write", err)
}

var _ pollerAPI = (*poller)(nil)

// shortReadEmpties is false: kqueue has no portable report of urgent data,
// which cuts a TCP read short with more queued; only EAGAIN marks a socket
// empty (Conn.Read).
const shortReadEmpties = false
