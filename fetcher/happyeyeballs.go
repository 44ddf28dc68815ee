package fetcher

// Happy Eyeballs (RFC 8305): the addresses of a host, families
// interleaved, raced with a new attempt every Config.ConnectAttemptDelay;
// the first to connect wins.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// DefaultConnectAttemptDelay is the Connection Attempt Delay of Happy
// Eyeballs (RFC 8305 section 5), Config.ConnectAttemptDelay's default: the
// wait before the next address is tried while earlier attempts are still
// pending.
const DefaultConnectAttemptDelay = 250 * time.Millisecond

// minConnectAttemptDelay is RFC 8305's floor for the attempt delay.
const minConnectAttemptDelay = 10 * time.Millisecond

// dialFunc opens a TCP connection to an ip:port.
type dialFunc func(ctx context.Context, addr string) (net.Conn, error)

// connectStats is what one connect did besides the attempt that won.
type connectStats struct {
	lost   int // attempts still pending (or succeeding) after another won
	failed int // attempts that failed (refused, unreachable, timed out)
}

// attemptError is the error of a connect in which every attempt failed: it
// names each address and what it got.
type attemptError struct {
	addrs []string
	errs  []error
}

func (e *attemptError) Error() string {
	var b strings.Builder
	if len(e.addrs) > 1 {
		fmt.Fprintf(&b, "all %d addresses failed: ", len(e.addrs))
	}
	for i, a := range e.addrs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a)
		b.WriteString(": ")
		if e.errs[i] == nil {
			b.WriteString("not tried (time ran out)")
		} else {
			b.WriteString(connectReason(e.errs[i]))
		}
	}
	return b.String()
}

// Unwrap returns the attempts' errors (errors.Is finds a timeout or
// ECONNREFUSED in any of them).
func (e *attemptError) Unwrap() []error {
	var out []error
	for _, err := range e.errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// connectReason is the short form of a connect error: the syscall's words
// ("connection refused") without the "dial tcp ...:" prefix that the
// address before it already says.
func connectReason(err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		return se.Error()
	}
	if isTimeout(err) {
		return "timed out"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// interleave orders addrs for Happy Eyeballs (RFC 8305 section 4): the
// resolver's order (RFC 6724's, as Go's and glibc's sort them) within each
// family, the families alternating, starting with the family of the first
// address.
func interleave(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	first4 := addrs[0].Unmap().Is4()
	var a, b []netip.Addr // a: the first address's family
	for _, ip := range addrs {
		if ip.Unmap().Is4() == first4 {
			a = append(a, ip)
		} else {
			b = append(b, ip)
		}
	}
	if len(b) == 0 {
		return addrs
	}
	out := make([]netip.Addr, 0, len(addrs))
	for i := 0; i < len(a) || i < len(b); i++ {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) {
			out = append(out, b[i])
		}
	}
	return out
}

// race is the state the attempts of one Happy Eyeballs connect share. mu
// guards everything below it; ev is set whenever an outcome is added.
type race struct {
	ev scheduler.Event

	mu       sync.Mutex
	outcomes []outcome
	over     bool // a winner was taken, or the connect gave up: late conns are closed
}

type outcome struct {
	i    int
	conn net.Conn
	err  error
}

// report records the outcome of attempt i. A connection made after the
// race is over is closed at once.
func (r *race) report(i int, conn net.Conn, err error) {
	r.mu.Lock()
	if r.over {
		r.mu.Unlock()
		if conn != nil {
			conn.Close()
		}
		return
	}
	r.outcomes = append(r.outcomes, outcome{i, conn, err})
	r.mu.Unlock()
	r.ev.Set()
}

// take returns the outcomes not yet taken, clearing the event when there
// are none (so that a later report sets it again).
func (r *race) take() []outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.outcomes
	r.outcomes = nil
	if len(out) == 0 {
		r.ev.Clear()
	}
	return out
}

// end closes the race: outcomes not taken are closed, and so is every
// connection that comes later.
func (r *race) end() {
	r.mu.Lock()
	r.over = true
	rest := r.outcomes
	r.outcomes = nil
	r.mu.Unlock()
	for _, o := range rest {
		if o.conn != nil {
			o.conn.Close()
		}
	}
}

// spawnAttempt runs fn concurrently with the caller: as a task of the
// caller's hub (the connection then belongs to it), or as a goroutine.
func spawnAttempt(fn func()) {
	if t := scheduler.Current(); t != nil {
		t.Hub().Spawn(func(*scheduler.Task) (any, error) { fn(); return nil, nil })
		return
	}
	go fn()
}

// happyEyeballs connects to one of addrs (ip:port strings, in the order
// to try them) as RFC 8305 section 5 does: an attempt starts every delay
// while earlier ones are pending, at once when one fails, the first to
// connect wins and the others are canceled or closed. ctx bounds the whole
// connect. The error, when every attempt failed, is an *attemptError.
func happyEyeballs(ctx context.Context, dial dialFunc, addrs []string, delay time.Duration) (net.Conn, connectStats, error) {
	var st connectStats
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := new(race)
	errs := make([]error, len(addrs))
	next, pending := 0, 0
	start := func() {
		i := next
		next++
		pending++
		spawnAttempt(func() {
			conn, err := dial(actx, addrs[i])
			r.report(i, conn, err)
		})
	}
	start()
	timer := time.Now().Add(delay)
	for {
		batch := r.take()
		for k, o := range batch {
			pending--
			if o.err == nil {
				r.end()
				for _, rest := range batch[k+1:] { // lost too, already reported
					if rest.conn != nil {
						rest.conn.Close()
					}
				}
				st.lost = pending
				cancel()
				return o.conn, st, nil
			}
			errs[o.i] = o.err
			st.failed++
			if next < len(addrs) && ctx.Err() == nil {
				start() // a failure moves on at once (RFC 8305 section 5)
				timer = time.Now().Add(delay)
			}
		}
		if pending == 0 && next == len(addrs) {
			r.end()
			return nil, st, &attemptError{addrs, errs}
		}
		if ctx.Err() != nil {
			r.end()
			st.lost = 0
			st.failed += pending
			for i := range next {
				if errs[i] == nil {
					errs[i] = ctx.Err()
				}
			}
			return nil, st, &attemptError{addrs[:next], errs[:next]}
		}
		if next < len(addrs) && !time.Now().Before(timer) {
			start()
			timer = time.Now().Add(delay)
			continue
		}
		wctx, wcancel := ctx, context.CancelFunc(func() {})
		if next < len(addrs) {
			wctx, wcancel = context.WithDeadline(ctx, timer)
		}
		werr := r.ev.WaitContext(wctx)
		timedOut := wctx.Err() != nil
		wcancel()
		if werr != nil && !timedOut {
			// The task was killed or its hub closed: give up the race.
			r.end()
			st.failed += pending
			for i := range next {
				if errs[i] == nil {
					errs[i] = werr
				}
			}
			return nil, st, &attemptError{addrs[:next], errs[:next]}
		}
	}
}
