//go:build unix

package scheduler

import "time"

// The poller is the hub's window on the kernel, the role netpoll plays for
// Go's runtime. Each mechanism lives in its own file behind build tags and
// implements exactly this contract:
//
//	poll_epoll.go   linux                                   epoll + eventfd
//	poll_kqueue.go  darwin, dragonfly, freebsd, netbsd,     kqueue + pipe
//	                openbsd
//	poll_stub.go    any other Unix                          newPoller fails
//	                                                        with ErrUnsupported
//
// (Outside Unix the package does not build at all: see unsupported.go.)
//
//	newPoller() (*poller, error)
//		opens the kernel object and the wakeup channel; on failure it closes
//		whatever it opened.
//	close() error
//		releases both.
//	add(fd int, seq uint32) error
//		registers fd once, edge-triggered, for readable, writable and peer
//		hang-up at the same time. seq (never 0) names this registration of
//		the fd number: the hub gives every registration a new one.
//	del(fd int) error
//		unregisters fd. Closing fd also does; del exists so the hub can stop
//		events before it closes.
//	wait(timeout time.Duration, events []pollEvent) (int, error)
//		fills events and returns how many. timeout < 0 blocks until an event
//		or a wake, 0 polls, > 0 waits at most that long. A wake is consumed
//		inside wait and reported as no event. EINTR is reported as 0 events
//		and no error; any other error is returned, and the hub treats it as
//		fatal (see Hub.run).
//		Each event names its fd and the seq it was registered with, or
//		anySeq when the mechanism cannot carry one and its registrations
//		end with the fd number (kqueue); the hub drops events whose seq
//		is not the fd's current one, so an event of a closed fd never
//		wakes a later socket that reuses its number.
//	wake() error
//		makes a wait in progress (or the next one) return. Safe from any
//		goroutine; the poller deduplicates calls with a CAS flag.
//
// No mechanism stores anything in a pointer-typed kernel field (kqueue's
// Udata): events are keyed by fd (see poll_kqueue.go).
type pollerAPI interface {
	close() error
	add(fd int, seq uint32) error
	del(fd int) error
	wait(timeout time.Duration, events []pollEvent) (int, error)
	wake() error
}

// pollEvent is what the poller reports for one fd.
type pollEvent struct {
	fd    int
	seq   uint32 // the registration the event belongs to, or anySeq
	flags pollFlags
}

// anySeq in a pollEvent matches whatever registration the fd has now.
const anySeq = 0

type pollFlags uint8

const (
	pollRead  pollFlags = 1 << iota // readable, or peer closed its side
	pollWrite                       // writable
	pollErr                         // error or hang-up: wake both sides
	pollHup                         // with pollRead: the peer closed its side, or urgent data
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
