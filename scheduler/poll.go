//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package scheduler

import "time"

// The poller is the hub's window on the kernel, the role netpoll plays for
// Go's runtime. Each mechanism lives in its own file behind build tags
// (poll_epoll.go, poll_kqueue.go, poll_stub.go) and implements exactly this
// contract:
//
//	newPoller() (*poller, error)
//		opens the kernel object and the wakeup channel; on failure it closes
//		whatever it opened.
//	close() error
//		releases both.
//	add(fd int, tag uint64) error
//		registers fd once, edge-triggered, for readable, writable and peer
//		hang-up at the same time. Events for fd carry tag until del; the hub
//		puts a sequence number in the tag so that an event for a closed and
//		reused fd is recognised as stale and dropped.
//	del(fd int) error
//		unregisters fd. Closing fd also does; del exists so the hub can stop
//		events before it closes.
//	wait(timeout time.Duration, events []pollEvent) (int, error)
//		fills events and returns how many. timeout < 0 blocks until an event
//		or a wake, 0 polls, > 0 waits at most that long. A wake is consumed
//		inside wait and reported as no event. EINTR is reported as 0 events.
//	wake() error
//		makes a wait in progress (or the next one) return. Safe from any
//		goroutine; the hub deduplicates calls with a CAS flag.
type pollerAPI interface {
	close() error
	add(fd int, tag uint64) error
	del(fd int) error
	wait(timeout time.Duration, events []pollEvent) (int, error)
	wake() error
}

// pollEvent is what the poller reports for one fd.
type pollEvent struct {
	tag   uint64
	flags pollFlags
}

type pollFlags uint8

const (
	pollRead  pollFlags = 1 << iota // readable, or peer closed its side
	pollWrite                       // writable
	pollErr                         // error or hang-up: wake both sides
)

// maxPollEvents bounds the events taken from the kernel in one loop turn.
const maxPollEvents = 256

// pollTimeoutMillis turns a wait timeout into the millisecond argument of
// epoll_wait, rounding up so that a timer never fires early.
func pollTimeoutMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	if d == 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}
