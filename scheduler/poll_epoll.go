//go:build linux

package scheduler

import (
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller is the epoll mechanism: one epoll fd and one eventfd for wakeups.
type poller struct {
	epfd    int
	wakefd  int
	waking  atomic.Bool // a wake was written and not yet consumed
	kevents [maxPollEvents]unix.EpollEvent
}

// The event's 64-bit data carries the fd in its lower half and the
// registration's sequence in its upper half. epoll registers the open file
// description, not the fd number: if the fd was duplicated, closing it
// leaves the registration alive, and its events keep coming with the old
// fd number, which a later socket may have taken. The sequence lets the
// hub tell them apart.
//
// wakeData marks the eventfd's events. Real fds never carry it: their
// sequence is at least 1.
const wakeData = 0

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &poller{epfd: epfd, wakefd: wfd}
	// The eventfd stays level-triggered: a wake can never be lost to an edge.
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setEpollData(&ev, wakeData)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return p, nil
}

func (p *poller) close() error {
	err1 := unix.Close(p.wakefd)
	err2 := unix.Close(p.epfd)
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	if err2 != nil {
		return os.NewSyscallError("close", err2)
	}
	return nil
}

func (p *poller) add(fd int, seq uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLPRI | unix.EPOLLET}
	setEpollData(&ev, uint64(seq)<<32|uint64(uint32(fd)))
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev))
}

func (p *poller) del(fd int) error {
	var ev unix.EpollEvent
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &ev))
}

func (p *poller) wait(timeout time.Duration, events []pollEvent) (int, error) {
	max := len(events)
	if max > len(p.kevents) {
		max = len(p.kevents)
	}
	n, err := unix.EpollWait(p.epfd, p.kevents[:max], pollTimeoutMillis(timeout))
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	out := 0
	for i := 0; i < n; i++ {
		ev := &p.kevents[i]
		data := epollData(ev)
		if data == wakeData {
			var buf [8]byte
			unix.Read(p.wakefd, buf[:])
			p.waking.Store(false)
			continue
		}
		var f pollFlags
		if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLPRI) != 0 {
			f |= pollRead
		}
		if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLPRI) != 0 {
			// The peer closed its side, or sent urgent data (a read stops
			// at its mark with more queued): see Conn.Read.
			f |= pollHup
		}
		if ev.Events&unix.EPOLLOUT != 0 {
			f |= pollWrite
		}
		if ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			f |= pollErr
		}
		events[out] = pollEvent{fd: int(uint32(data)), seq: uint32(data >> 32), flags: f}
		out++
	}
	return out, nil
}

func (p *poller) wake() error {
	if !p.waking.CompareAndSwap(false, true) {
		return nil // a wake is already on its way
	}
	one := uint64(1)
	buf := (*[8]byte)(unsafe.Pointer(&one))
	_, err := unix.Write(p.wakefd, buf[:])
	if err == unix.EAGAIN {
		return nil // the counter is full: the hub is certainly awake
	}
	return os.NewSyscallError("write", err)
}

// setEpollData stores 64 bits in the event's data union, which x/sys/unix
// exposes as the two 32-bit integer fields Fd and Pad (no pointer field:
// nothing here is seen by the garbage collector).
func setEpollData(ev *unix.EpollEvent, data uint64) {
	ev.Fd = int32(uint32(data))
	ev.Pad = int32(uint32(data >> 32))
}

func epollData(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

var _ pollerAPI = (*poller)(nil)

// shortReadEmpties: epoll reports what can cut a TCP read short with more
// data queued (urgent data: EPOLLPRI), so a short read means the queue
// was empty (Conn.Read).
const shortReadEmpties = true
