package fetcher

// Dialing a connection: DNS (lookup), the TCP connect to one address or
// by Happy Eyeballs, bounded by the connect window (connectTCP), TLS
// (handshake), and the protocol the server chose (speak).

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/scheduler"
)

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

// dial opens a connection to u for key (DNS, TCP connect, TLS) and
// returns it as the protocol its server chose (speak). h2 says that the
// fetch dials for the HTTP/2 pool (h2Pool.acquire made it the dialer):
// the handshake offers h2, and the pool hears what came of the dial.
func (st *fetchState) dial(u *url.URL, key *poolKey, h2 bool) (conn, *Error) {
	c := st.c
	host, port := st.hostPort(u)
	var nc net.Conn
	var ferr *Error
	if key.proxy == nil {
		nc, ferr = st.connectTCP(host, port) // dial.go
	} else {
		nc, ferr = st.openConn(u, *key, host, port) // proxy.go
	}
	if ferr == nil {
		c.conns.Add(1)
		pc := &persistConn{key: *key, remote: nc.RemoteAddr().String()}
		pc.me = pc
		pc.wc.Conn = nc
		pc.wc.budget = -1
		pc.conn = &pc.wc
		st.use(pc)
		if u.Scheme == "https" {
			ferr = st.handshake(pc, host, h2)
		} else if h2 {
			pc.proto = "h2" // prior knowledge (RFC 9113 3.3)
		}
		if ferr == nil {
			return st.speak(pc, h2)
		}
	}
	if h2 {
		c.h2.dialDone(*key, nil, false)
	}
	return nil, ferr
}

// speak returns the new connection pc as the protocol its server chose,
// chosen once, after the handshake, as net/http's dialConn sets
// persistConn.alt from TLSNextProto: the first stream of a new HTTP/2
// connection when ALPN chose h2 (or h2c by prior knowledge), else the
// HTTP/1.1 connection itself.
func (st *fetchState) speak(pc *persistConn, h2 bool) (conn, *Error) {
	switch {
	case !h2:
		return pc, nil
	case pc.proto == "h2":
		return st.startH2(pc) // h2stream.go
	}
	return st.notH2(pc) // h2stream.go
}

// handshake runs the TLS handshake on pc, bounded by Config.TLSTimeout,
// offering h2 in ALPN when h2 is set, and records the server's choice in
// pc.proto.
func (st *fetchState) handshake(pc *persistConn, host string, h2 bool) *Error {
	c := st.c
	t2 := time.Now()
	conf := c.tlsConf.Clone()
	conf.ServerName = host
	if h2 {
		conf.NextProtos = h2NextProtos
	}
	tc := tls.Client(&pc.wc, conf)
	st.setDeadline(pc, c.cfg.TLSTimeout)
	herr := tc.Handshake() // not HandshakeContext: it would start a goroutine
	st.res.Timings.TLS += time.Since(t2)
	if herr == nil {
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" && (p != "h2" || !h2) {
			herr = fmt.Errorf("server chose protocol %q (only http/1.1 is spoken)", p)
		}
	}
	if herr != nil {
		st.done(pc, false)
		return st.classify(PhaseTLS, pc.cause(herr))
	}
	if tc.ConnectionState().DidResume {
		c.resumed.Add(1)
	}
	pc.conn = tc
	pc.proto = tc.ConnectionState().NegotiatedProtocol
	return nil
}

// dialConn opens a TCP connection to addr with the socket layer of the
// caller: cooperative sockets in a task, the net package elsewhere.
func (c *Client) dialConn(ctx context.Context, addr string) (net.Conn, error) {
	if c.dial != nil {
		return c.dial(ctx, "tcp", addr)
	}
	if scheduler.Current() != nil {
		return scheduler.DialContext(ctx, "tcp", addr)
	}
	return netDial(ctx, addr)
}

// dialConnBy is dialConn bounded by deadline (zero: none) as well as
// ctx. A task's own dial takes the two apart (scheduler.DialDeadline) and
// so derives no context.
func (c *Client) dialConnBy(ctx context.Context, deadline time.Time, addr string) (net.Conn, error) {
	if c.dial == nil && scheduler.Current() != nil {
		return scheduler.DialDeadline(ctx, "tcp", addr, deadline)
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return c.dialConn(ctx, addr)
}

// netDial dials with the net package. Apart from dialConn so that the
// Dialer's room is not in dialConn's frame: the stack under a task's
// connect stays small.
//
//go:noinline
func netDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
