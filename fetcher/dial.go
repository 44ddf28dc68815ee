package fetcher

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/greenfetch/greenfetch/dnsresolver"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Defaults of the connect fields of Config.
const (
	// DefaultConnectAttemptDelay is the Connection Attempt Delay of Happy
	// Eyeballs (RFC 8305 section 5): the wait before the next address is
	// tried while earlier attempts are still pending.
	DefaultConnectAttemptDelay = 250 * time.Millisecond
	// DefaultMaxConnectsPerHost bounds the TCP connects in progress to one
	// host (name and port) at once; more wait in the client.
	DefaultMaxConnectsPerHost = 32
)

// Bounds of Happy Eyeballs and of burst retries.
const (
	// minConnectAttemptDelay is RFC 8305's floor for the attempt delay.
	minConnectAttemptDelay = 10 * time.Millisecond
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

// rfc6724Policy is RFC 6724's default policy table (section 2.1): prefix
// and precedence, longest prefixes first.
var rfc6724Policy = []struct {
	prefix     netip.Prefix
	precedence int
}{
	{netip.MustParsePrefix("::1/128"), 50},
	{netip.MustParsePrefix("::ffff:0:0/96"), 35},
	{netip.MustParsePrefix("::/96"), 1},
	{netip.MustParsePrefix("2001::/32"), 5},
	{netip.MustParsePrefix("2002::/16"), 30},
	{netip.MustParsePrefix("3ffe::/16"), 1},
	{netip.MustParsePrefix("fec0::/10"), 1},
	{netip.MustParsePrefix("fc00::/7"), 3},
	{netip.MustParsePrefix("::/0"), 40},
}

// precedence is the RFC 6724 precedence of a (IPv4 as ::ffff:a.b.c.d).
func precedence(a netip.Addr) int {
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	for _, p := range rfc6724Policy {
		if p.prefix.Contains(a) {
			return p.precedence
		}
	}
	return 1
}

// scope is the RFC 6724 scope of a: 1 interface-local, 2 link-local, 5
// site-local, 14 global (IPv4 loopback and link-local count as link-local,
// RFC 6724 section 3.2).
func scope(a netip.Addr) int {
	a = a.Unmap()
	switch {
	case a.IsInterfaceLocalMulticast():
		return 1
	case a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return 2
	case a.Is6() && netip.MustParsePrefix("fec0::/10").Contains(a):
		return 5
	}
	return 14
}

// sortRFC6724 orders destination addresses by the rules of RFC 6724
// section 6 that need no source address: higher precedence first (rule
// 6: global IPv6 before IPv4, IPv4 before ULAs and 6to4's leftovers), then
// smaller scope (rule 8), otherwise as given (rule 10). The rules that
// need the source address (1, 2, 3, 5, 9) are left to the connect
// attempts: an unusable destination fails at once and Happy Eyeballs
// moves on. The resolver's order is kept when it already sorts (the
// system resolver does), since the sort is stable.
func sortRFC6724(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	out := slices.Clone(addrs)
	slices.SortStableFunc(out, func(a, b netip.Addr) int {
		if pa, pb := precedence(a), precedence(b); pa != pb {
			return pb - pa
		}
		return scope(a) - scope(b)
	})
	return out
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

// lookup resolves host to the addresses to connect to, in Happy Eyeballs
// order, counting the time as DNS.
func (st *fetchState) lookup(host string) ([]netip.Addr, *Error) {
	c := st.c
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip} // an IP literal needs no lookup
	} else {
		t0 := time.Now()
		addrs, err = c.resolver.LookupNetIP(st.ctx, host)
		st.res.Timings.DNS += time.Since(t0)
		if err != nil {
			return nil, st.classify(PhaseDNS, err)
		}
	}
	addrs = dnsresolver.FilterFamily(addrs, c.cfg.Family)
	if len(addrs) == 0 {
		fam := "IPv4"
		if c.cfg.Family == Family6 {
			fam = "IPv6"
		}
		return nil, st.classify(PhaseDNS, fmt.Errorf("lookup %s: no %s address", host, fam))
	}
	return interleave(sortRFC6724(addrs)), nil
}

// connectTCP resolves host and opens a TCP connection to it on port: at
// most Config.MaxConnectsPerHost connects to one host:port are in progress
// at once (a wait for a slot is queue time), the addresses are raced as
// Happy Eyeballs does, and a connect refused or reset while other connects
// to the host are in progress and one has succeeded (a burst overflowing
// the queues of a server that listens) is tried again after a short
// backoff. The connect timing runs from the
// first attempt to the winner; Config.ConnectTimeout bounds it.
//
// Its frame is kept small (the state is in a connectState on the heap):
// the stack a task needs under a connect decides how far it shrinks back
// while the task waits for its answer.
func (st *fetchState) connectTCP(host, port string) (net.Conn, *Error) {
	cs, ferr := st.startConnect(host, port)
	if ferr != nil {
		return nil, ferr
	}
	for {
		var conn net.Conn
		var err error
		if len(cs.addrs) == 1 {
			conn, err = st.c.dialConnBy(cs.parent, cs.deadline, cs.addrs[0])
		} else {
			conn, err = cs.race(st.c)
		}
		if !st.retryConnect(cs, conn, err) {
			return st.endConnect(cs, conn, err)
		}
	}
}

// connectState is one connectTCP in progress. Its bound is parent and
// deadline apart: a context is made of them only for what needs one (a
// Happy Eyeballs race, a backoff), so that a connect to one address costs
// none.
type connectState struct {
	key      string
	addrs    []string // ip:port, in the order to try
	slots    *connSlots
	parent   context.Context // followed for cancellation
	deadline time.Time       // zero: none beyond parent's
	ctx      context.Context // made by context, then ended by release
	cancel   context.CancelFunc
	start    time.Time
	try      int
	stats    connectStats // of the last try
}

// context returns the connect's bound as a context, making it first.
func (cs *connectState) context() context.Context {
	if cs.ctx == nil {
		if cs.deadline.IsZero() {
			cs.ctx, cs.cancel = context.WithCancel(cs.parent)
		} else {
			cs.ctx, cs.cancel = context.WithDeadline(cs.parent, cs.deadline)
		}
	}
	return cs.ctx
}

// err is the bound's error: the parent's, or context.DeadlineExceeded once
// the deadline has passed.
func (cs *connectState) err() error {
	if err := cs.parent.Err(); err != nil {
		return err
	}
	if !cs.deadline.IsZero() && !time.Now().Before(cs.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// release ends the context, if one was made.
func (cs *connectState) release() {
	if cs.cancel != nil {
		cs.cancel()
	}
}

// startConnect looks host up and waits for a connect slot.
func (st *fetchState) startConnect(host, port string) (*connectState, *Error) {
	addrs, ferr := st.lookup(host)
	if ferr != nil {
		return nil, ferr
	}
	c := st.c
	cs := &connectState{key: net.JoinHostPort(host, port), addrs: make([]string, len(addrs))}
	for i, a := range addrs {
		cs.addrs[i] = net.JoinHostPort(a.String(), port)
	}
	parent, deadline := st.phaseBound(0)
	slots, waited, err := c.connLimit.acquire(parent, deadline, cs.key)
	st.queued += waited
	if err != nil {
		return nil, st.classify(PhaseConnect, err)
	}
	cs.slots = slots
	cs.start = time.Now()
	cs.parent, cs.deadline = st.phaseBound(c.cfg.ConnectTimeout)
	return cs, nil
}

// race runs Happy Eyeballs over cs's addresses.
func (cs *connectState) race(c *Client) (net.Conn, error) {
	conn, stats, err := happyEyeballs(cs.context(), c.dialConn, cs.addrs, c.cfg.ConnectAttemptDelay)
	cs.stats = stats
	return conn, err
}

// retryConnect counts the try and reports whether to try again: a refusal
// or reset while other connects to the host are in progress, after a
// short backoff.
func (st *fetchState) retryConnect(cs *connectState, conn net.Conn, err error) bool {
	c := st.c
	if len(cs.addrs) == 1 && err != nil {
		cs.stats = connectStats{failed: 1}
	}
	c.connectLost.Add(int64(cs.stats.lost))
	c.connectFailed.Add(int64(cs.stats.failed))
	cs.stats = connectStats{}
	if err == nil || cs.try >= burstRetries || cs.err() != nil || !refusedOrReset(err) || !c.connLimit.overflowing(cs.slots) {
		return false
	}
	d := burstBackoff<<cs.try + rand.N(burstBackoff)
	cs.try++
	if sleepCtx(cs.context(), d) != nil {
		return false
	}
	c.connectRetries.Add(1)
	return true
}

// endConnect returns the connection or the error. On success the
// connect slot goes with the fetch (fetchState.held) until the server
// takes the connection (see awaitAccept); on failure it is released.
func (st *fetchState) endConnect(cs *connectState, conn net.Conn, err error) (net.Conn, *Error) {
	cs.release()
	st.res.Timings.Connect += time.Since(cs.start)
	if err != nil {
		st.c.connLimit.release(cs.key, cs.slots, slotNeutral)
		if _, ok := err.(*attemptError); !ok {
			err = &attemptError{cs.addrs[:1], []error{err}}
		}
		return nil, st.classify(PhaseConnect, err)
	}
	st.unhold()
	if cs.slots != nil {
		st.c.connLimit.connected(cs.slots)
		st.held = &heldSlot{l: st.c.connLimit, key: cs.key, s: cs.slots, connect: time.Since(cs.start)}
	}
	return conn, nil
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

// alpnError explains a request that failed on a TLS connection where the
// server selected no ALPN protocol: an HTTP/2-only server (or a TLS
// terminator in front of one) accepts the handshake without agreeing to
// http/1.1, then drops the HTTP/1.1 request or answers in HTTP/2 frames.
// It returns nil when that is not the case.
func (st *fetchState) alpnError(pc *persistConn, err error, gotByte bool) *Error {
	tc, ok := pc.conn.(*tls.Conn)
	if !ok || tc.ConnectionState().NegotiatedProtocol != "" || isTimeout(err) || st.parent.Err() != nil {
		return nil
	}
	var what string
	switch {
	case !gotByte && (isConnFailure(err) || errors.Is(err, errNoResponse)):
		what = "closed the connection without answering the HTTP/1.1 request"
	case gotByte && !isConnFailure(err):
		what = "answered the HTTP/1.1 request with something else (" + err.Error() + ")"
	default:
		return nil
	}
	return &Error{Kind: KindProtocol, Phase: PhaseHeader, URL: st.curURL,
		Err: &reasonError{"server selected no ALPN protocol (http/1.1 was offered) and " + what + ": an HTTP/2-only server?", err}}
}
