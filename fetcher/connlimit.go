package fetcher

// The connect window: a bound on the connects in progress per host
// (Config.MaxConnectsPerHost) that adapts as TCP's window does, a slot
// held until the server has taken the connection (awaitAccept), and
// retries of connects refused or reset during a burst.

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// DefaultMaxConnectsPerHost is Config.MaxConnectsPerHost's default: it
// bounds the TCP connects in progress to one host (name and port) at
// once; more wait in the client.
const DefaultMaxConnectsPerHost = 32

// Bounds of the connect window and of burst retries.
const (
	// burstRetries is how many times a connect refused or reset while
	// other connects to the host were in progress, one of which
	// succeeded, is tried again.
	burstRetries = 3
	// burstBackoff is the base of the backoff between those tries.
	burstBackoff = 50 * time.Millisecond
	// maxAcceptWait bounds how long a fresh connection keeps its connect
	// slot after the request went out while the server has not
	// acknowledged a byte of it; the wait is 4 connect times, at least
	// minAcceptWait.
	maxAcceptWait = time.Second
	minAcceptWait = 50 * time.Millisecond
	// initialWindowDiv divides MaxConnectsPerHost for the window a host's
	// first connects start with.
	initialWindowDiv = 4
	// acceptPoll caps one pause between checks of that acknowledgement.
	acceptPoll = 16 * time.Millisecond
)

// connLimiter bounds the connects in progress per host
// (Config.MaxConnectsPerHost): a connect holds its host's slot from its
// first attempt until the server has taken the connection (see
// awaitAccept). The bound adapts as TCP's window does: a connection the
// server did not take in time (its listen queue is full) halves the
// host's window, at most once per maxAcceptWait; one taken at once
// widens it by one, up to MaxConnectsPerHost. An entry lives while
// connects hold or wait for it. Safe for concurrent use; mu guards m and
// every entry's fields but sem.
type connLimiter struct {
	n  int
	mu sync.Mutex
	m  map[string]*connSlots
}

type connSlots struct {
	sem        *scheduler.Semaphore
	reached    bool // a connect to the host succeeded while this entry lived
	refs       int  // holders and waiters
	window     int  // permits in circulation
	debt       int  // permits to take out of circulation as they come back
	lastShrink time.Time
}

// Outcomes of a held slot, for the window.
const (
	slotNeutral = iota // failed or canceled: says nothing of the queue
	slotTaken          // the server took the connection at once
	slotLimbo          // the server had not taken it after the wait
)

func newConnLimiter(n int) *connLimiter {
	return &connLimiter{n: n, m: make(map[string]*connSlots)}
}

// acquire waits for a connect slot of host until ctx ends or deadline
// (zero: none) passes; it returns the slots to release and how long it
// waited.
func (l *connLimiter) acquire(ctx context.Context, deadline time.Time, host string) (*connSlots, time.Duration, error) {
	if l == nil {
		return nil, 0, nil
	}
	l.mu.Lock()
	s := l.m[host]
	if s == nil {
		w := max(1, l.n/initialWindowDiv) // slow start: widened by each connection taken at once
		s = &connSlots{sem: scheduler.NewSemaphore(w), window: w}
		l.m[host] = s
	}
	s.refs++
	l.mu.Unlock()
	if s.sem.TryAcquire() {
		return s, 0, nil
	}
	t0 := time.Now()
	var timeout time.Duration
	if !deadline.IsZero() {
		if timeout = deadline.Sub(t0); timeout <= 0 {
			l.unref(host, s)
			return nil, 0, context.DeadlineExceeded
		}
	}
	if err := s.sem.AcquireTimeout(ctx, timeout); err != nil {
		l.unref(host, s)
		return nil, time.Since(t0), err
	}
	return s, time.Since(t0), nil
}

// overflowing reports whether a connect to s's host that was refused or
// reset may be a burst overflowing the server's listen queue, and so worth
// trying again: other connects to the host hold or wait for a slot, and
// one has succeeded, so something listens there. A port where nothing
// listens refuses every connect, and its URLs fail at once.
func (l *connLimiter) overflowing(s *connSlots) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return s.refs > 1 && s.reached
}

// connected records that a connect to s's host succeeded.
func (l *connLimiter) connected(s *connSlots) {
	if l == nil {
		return
	}
	l.mu.Lock()
	s.reached = true
	l.mu.Unlock()
}

// release gives back a slot, adapting the window to outcome.
func (l *connLimiter) release(host string, s *connSlots, outcome int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	if outcome == slotLimbo && now.Sub(s.lastShrink) >= maxAcceptWait {
		target := max(1, (s.window-s.debt)/2)
		s.debt = s.window - target
		s.lastShrink = now
	}
	swallow := s.debt > 0
	if swallow {
		s.debt--
		s.window--
	}
	grow := outcome == slotTaken && s.debt == 0 && s.window < l.n
	if grow {
		s.window++
	}
	s.refs--
	if s.refs == 0 {
		delete(l.m, host)
	}
	l.mu.Unlock()
	if !swallow {
		s.sem.Release()
	}
	if grow {
		s.sem.Release() // one more permit in circulation
	}
}

func (l *connLimiter) unref(host string, s *connSlots) {
	l.mu.Lock()
	s.refs--
	if s.refs == 0 {
		delete(l.m, host)
	}
	l.mu.Unlock()
}

// heldSlot is a connect slot a fresh connection keeps until the server
// has taken it.
type heldSlot struct {
	l       *connLimiter
	key     string
	s       *connSlots
	connect time.Duration // how long the connect took: a round trip
	outcome int
}

// unhold releases the fetch's connect slot, if it holds one.
func (st *fetchState) unhold() {
	if h := st.held; h != nil {
		st.held = nil
		h.l.release(h.key, h.s, h.outcome)
	}
}

// awaitAccept keeps the connect slot of a fresh connection, after its
// request (or TLS handshake) went out, until the server has acknowledged
// bytes of it, answered, or acceptWait passed; then releases it. A TCP
// handshake completes in the client's kernel even when the server's
// accept queue is full and drops the handshake's last ACK: only the
// server acknowledging data shows that the connection reached its
// queue. So a burst to a host with a small listen backlog holds at most
// MaxConnectsPerHost connections in that limbo, instead of overflowing
// the queue and waiting out the server's SYN-ACK retransmissions. On
// loopback the acknowledgement is there when the write returns; across
// a network after a round trip. Sockets that give no TCP_INFO (tests'
// fakes, TLS proxy tunnels) release at once.
func (st *fetchState) awaitAccept(pc *persistConn) {
	if st.held == nil {
		return
	}
	defer st.unhold()
	sc, ok := pc.wc.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	h := st.held
	limit := time.Now().Add(min(maxAcceptWait, max(minAcceptWait, 4*h.connect)))
	for pause := time.Duration(0); ; pause = min(max(2*pause, time.Millisecond), acceptPoll) {
		if pause > 0 {
			sctx, scancel := st.phaseCtx(0)
			serr := sleepCtx(sctx, pause)
			scancel()
			if serr != nil {
				return
			}
			if time.Now().After(limit) {
				h.outcome = slotLimbo
				return
			}
		}
		taken := true
		if cerr := rc.Control(func(fd uintptr) { taken = serverTook(int(fd)) }); cerr != nil {
			return
		}
		if taken {
			h.outcome = slotTaken
			return
		}
	}
}

// refusedOrReset reports whether a connect failed with ECONNREFUSED or
// ECONNRESET: what an overflowing listen queue (or tcp_abort_on_overflow)
// answers.
func refusedOrReset(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
