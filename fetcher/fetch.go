package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Retry backoff: attempt n waits a random time in [0, min(backoffCap,
// backoffBase·2ⁿ)) — "full jitter" (AWS architecture blog, 2015).
const (
	backoffBase = 100 * time.Millisecond
	backoffCap  = 10 * time.Second
)

// fetchState is one fetch in progress: its URL, its clocks and what it
// learnt. It belongs to the task or goroutine running the fetch; only cur
// is touched by the cancel callback.
type fetchState struct {
	offerH2  bool // the dial in progress offers h2 in ALPN (h2stream.go)
	c        *Client
	parent   context.Context // the caller's: canceled means KindCanceled
	ctx      context.Context // parent bounded by deadline
	deadline time.Time       // start + Config.Timeout
	start    time.Time
	queued   time.Duration // waits for host slots and pauses, inside the fetch
	curURL   string
	res      *Result
	cur      atomic.Pointer[persistConn] // the connection in use, for cancel
}

// interrupt wakes whatever the fetch waits on in its connection: the
// callback of the fetch's context. It takes the connection from the fetch
// (so that done will not pool it) and marks it stopped, so that no later
// deadline of the fetch can undo this one.
func (st *fetchState) interrupt() {
	if pc := st.cur.Swap(nil); pc != nil {
		pc.stop()
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// use makes pc the fetch's current connection.
func (st *fetchState) use(pc *persistConn) {
	st.cur.Store(pc)
	if st.ctx.Err() != nil {
		st.interrupt()
	}
}

// done ends the fetch's use of pc: back to the pool when reusable and not
// interrupted, closed otherwise. Wire bytes are counted here.
func (st *fetchState) done(pc *persistConn, reuse bool) {
	if pc.h2s != nil {
		st.h2Done(pc)
		return
	}
	if !st.cur.CompareAndSwap(pc, nil) || pc.wc.stopped.Load() {
		reuse = false
	}
	n := pc.wc.nread - pc.mark
	st.res.WireBytes += n
	st.c.wire.Add(n)
	pc.wc.idle = 0
	if reuse {
		st.c.pool.put(pc)
	} else {
		pc.close()
	}
}

// setDeadline bounds the next phase by d (0: only the overall deadline).
func (st *fetchState) setDeadline(pc *persistConn, d time.Duration) {
	t := st.deadline
	if d > 0 {
		if p := time.Now().Add(d); p.Before(t) {
			t = p
		}
	}
	if pc.h2s != nil {
		pc.h2s.deadline = t
		return
	}
	pc.wc.Conn.SetDeadline(t)
	if pc.wc.stopped.Load() { // interrupted meanwhile: stay interrupted
		pc.wc.Conn.SetDeadline(aLongTimeAgo)
	}
}

// fetch runs one job to its Result. queued is the time the job already
// waited for a slot.
func (c *Client) fetch(ctx context.Context, job Job, mode Mode, queued time.Duration) Result {
	var r Result // zero: fetchInto sets fields one by one
	c.fetchInto(ctx, job, mode, queued, &r)
	return r
}

// fetchInto is fetch writing into r, a zero Result that a task keeps on
// the heap: the frames under a parked task stay small, and so does its
// stack (under 2 KiB, so the runtime shrinks it to 4 KiB).
func (c *Client) fetchInto(ctx context.Context, job Job, mode Mode, queued time.Duration, r *Result) {
	// Field by field: a composite literal would put a Result on the stack.
	r.Type, r.URL, r.Index, r.Mode = "result", job.URL, job.Index, mode
	r.Timings.Queue = queued
	if err := ctx.Err(); err != nil {
		r.fail(&Error{Kind: KindCanceled, URL: job.URL, Err: errCanceled})
		return
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer.OnStart(job)
	}
	u, perr := parseInput(job.URL)
	if perr != nil {
		r.fail(perr)
		return
	}
	st := &fetchState{c: c, parent: ctx, start: time.Now(), res: r}
	st.deadline = st.start.Add(c.cfg.Timeout)
	var cancel context.CancelFunc
	st.ctx, cancel = context.WithDeadline(ctx, st.deadline)
	stop := context.AfterFunc(st.ctx, st.interrupt)
	if err := st.run(u); err != nil {
		r.fail(err)
	}
	stop()
	cancel()
	r.Timings.Queue += st.queued
	r.Timings.Total = time.Since(st.start) - st.queued
}

// run follows redirects from u until a final response, whose body it reads.
func (st *fetchState) run(u *url.URL) *Error {
	c := st.c
	method := c.method
	origHost, _ := hostPort(u)
	var seen []string
	for {
		st.curURL = u.String()
		st.res.FinalURL = st.curURL
		host, _ := hostPort(u)
		creds := host == origHost
		resp, pc, hs, hostKey, err := st.attempts(u, method, creds)
		if err != nil {
			return err
		}
		next, rerr := st.redirect(u, resp, &seen)
		if rerr != nil || next == nil {
			st.finish(resp, pc, hs, hostKey, rerr)
			if rerr != nil {
				return rerr
			}
			return st.readBody(u, resp, pc, hs, hostKey)
		}
		st.drain(resp, pc)
		c.hosts.release(hostKey, hs)
		method = redirectMethod(resp.StatusCode, method)
		st.res.Redirects++
		u = next
	}
}

// finish records the final response's head on the result. When the fetch
// ends in error there (rerr), the body is drained and the host released.
func (st *fetchState) finish(resp *http.Response, pc *persistConn, hs *hostState, hostKey string, rerr *Error) {
	st.res.Status = resp.StatusCode
	st.res.Proto = resp.Proto
	st.res.ContentType = resp.Header.Get("Content-Type")
	if rerr != nil {
		st.drain(resp, pc)
		st.c.hosts.release(hostKey, hs)
	}
}

// redirect returns where resp sends the fetch, nil when it is final, or
// the error that ends the fetch (a bad Location, another scheme, too many
// redirects).
func (st *fetchState) redirect(u *url.URL, resp *http.Response, seen *[]string) (*url.URL, *Error) {
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" || st.c.cfg.MaxRedirects < 0 {
		return nil, nil // a 3xx without Location is a final answer (RFC 9110 15.4)
	}
	next, err := u.Parse(loc)
	if err != nil {
		return nil, &Error{Kind: KindProtocol, Phase: PhaseHeader, URL: st.curURL, Err: fmt.Errorf("bad redirect Location %q: %v", loc, err)}
	}
	next.Fragment, next.RawFragment = "", ""
	if e := checkURL(next, next.String()); e != nil {
		e.Err = fmt.Errorf("redirect to %s: %w", next, e.Err)
		e.URL = st.curURL
		return nil, e
	}
	if st.res.Redirects >= st.c.cfg.MaxRedirects {
		msg := fmt.Sprintf("stopped after %d redirects", st.res.Redirects)
		for _, s := range *seen {
			if s == next.String() {
				msg += " (redirect loop back to " + s + ")"
				break
			}
		}
		return nil, &Error{Kind: KindTooManyRedirects, URL: st.curURL, Err: fmt.Errorf("%w: %s", ErrTooManyRedirects, msg)}
	}
	*seen = append(*seen, st.curURL)
	return next, nil
}

// redirectMethod is the method after a redirect, as browsers and curl do
// it: 303 turns anything but HEAD into GET; 301 and 302 turn POST into GET
// (RFC 9110 15.4.2, 15.4.3); 307 and 308 keep the method.
func redirectMethod(status int, method string) string {
	switch {
	case status == 303 && method != "HEAD":
		return "GET"
	case (status == 301 || status == 302) && method == "POST":
		return "GET"
	}
	return method
}

// attempts gets a response head for u, retrying as Config.Retries allows.
// On success the caller owns pc and the host reference.
func (st *fetchState) attempts(u *url.URL, method string, creds bool) (*http.Response, *persistConn, *hostState, string, *Error) {
	c := st.c
	host, port := hostPort(u)
	hostKey := net.JoinHostPort(host, port)
	for attempt := 0; ; attempt++ {
		hs, waited, err := c.hosts.acquire(st.ctx, hostKey)
		st.queued += waited
		if err != nil {
			return nil, nil, nil, "", st.classify(PhaseNone, err)
		}
		resp, pc, ferr := st.roundTrip(u, method, creds)
		var wait time.Duration
		retry := false
		if ferr != nil {
			retry = retryableError(ferr)
		} else if retryableStatus(resp.StatusCode) {
			retry = true
			if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait = min(ra, c.cfg.MaxRetryAfter)
				if resp.StatusCode == 429 || resp.StatusCode == 503 {
					c.hosts.pause(hs, time.Now().Add(wait))
				}
			}
		}
		if retry && attempt < c.cfg.Retries {
			if wait == 0 {
				wait = backoff(attempt)
			}
			if time.Now().Add(wait).Before(st.deadline) {
				if resp != nil {
					st.drain(resp, pc)
				}
				c.hosts.release(hostKey, hs)
				st.res.Retries++
				c.retries.Add(1)
				if err := sleepCtx(st.ctx, wait); err != nil {
					return nil, nil, nil, "", st.classify(PhaseNone, err)
				}
				continue
			}
		}
		if ferr != nil {
			c.hosts.release(hostKey, hs)
			return nil, nil, nil, "", ferr
		}
		return resp, pc, hs, hostKey, nil
	}
}

func retryableError(e *Error) bool {
	switch e.Kind {
	case KindConnect:
		return true
	case KindTimeout:
		var te *timeoutError
		return errors.As(e.Err, &te) && !strings.HasPrefix(te.msg, "no complete response") // a phase timeout
	}
	return false
}

func retryableStatus(code int) bool {
	return code == 429 || code == 502 || code == 503 || code == 504
}

func backoff(attempt int) time.Duration {
	ceil := backoffCap
	if attempt < 20 {
		ceil = min(backoffCap, backoffBase<<attempt)
	}
	return rand.N(ceil)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// roundTrip sends one request for u and reads the response head, on a
// kept-alive connection when there is one. A request that fails on a
// reused connection before any response byte is sent again, once, on a
// fresh connection (the server may have closed it while idle).
func (st *fetchState) roundTrip(u *url.URL, method string, creds bool) (*http.Response, *persistConn, *Error) {
	c := st.c
	host, port := hostPort(u)
	key := poolKey{scheme: u.Scheme, addr: net.JoinHostPort(host, port)}
	if t := scheduler.Current(); t != nil && c.dial == nil {
		key.hub = t.Hub()
	}
	for fresh := false; ; fresh = true {
		var pc *persistConn
		reused := false
		if !fresh {
			resp, hpc, herr, handled, dialed := st.h2RoundTrip(u, method, creds, key, host, port)
			if handled {
				return resp, hpc, herr
			}
			if pc = dialed; pc == nil {
				pc = c.pool.get(key)
				reused = pc != nil
			}
		}
		if pc == nil {
			var err *Error
			if pc, err = st.dial(u, key, host, port); err != nil {
				return nil, nil, err
			}
		} else if reused {
			pc.mark = pc.wc.nread
			c.reused.Add(1)
		}
		st.use(pc)
		st.res.RemoteAddr = pc.remote
		resp, gotByte, err := st.exchange(pc, u, method, creds)
		if err == nil {
			return resp, pc, nil
		}
		st.done(pc, false)
		if reused && !gotByte && st.ctx.Err() == nil && !isTimeout(err) {
			continue
		}
		phase := PhaseHeader
		if !gotByte && errors.Is(err, errWrite) {
			phase = PhaseRequest
		}
		if gotByte && pc.wc.eof && !isConnFailure(err) {
			// textproto's complaint about a cut line: the cause is the close.
			err = fmt.Errorf("%v: %w", err, io.ErrUnexpectedEOF)
		}
		return nil, nil, st.classify(phase, err)
	}
}

// errWrite marks a failure to write the request.
var errWrite = errors.New("writing the request")

var reqBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// static requests for http.ReadResponse, which reads only their Method.
var (
	getRequest  = &http.Request{Method: "GET"}
	headRequest = &http.Request{Method: "HEAD"}
)

// exchange writes the request and reads the response head, skipping 1xx.
// gotByte reports whether any response byte arrived. The wait for the
// answer happens in awaitResponse, a small frame right under exchange: the
// stack of a task parked there stays under 2 KiB of use.
func (st *fetchState) exchange(pc *persistConn, u *url.URL, method string, creds bool) (*http.Response, bool, error) {
	if err := st.writeRequest(pc, u, method, creds); err != nil {
		return nil, false, err
	}
	pc.wc.budget = maxHeaderBytes
	defer func() { pc.wc.budget = -1 }()
	br, err := st.awaitResponse(pc)
	if err != nil {
		return nil, false, err
	}
	resp, err := readResponseHead(br, method)
	return resp, true, err
}

// writeRequest writes the request head for u on pc.
func (st *fetchState) writeRequest(pc *persistConn, u *url.URL, method string, creds bool) error {
	c := st.c
	c.requests.Add(1)
	bp := reqBufPool.Get().(*[]byte)
	buf := c.appendRequest((*bp)[:0], u, method, creds)
	st.setDeadline(pc, 0)
	_, werr := pc.conn.Write(buf)
	*bp = buf
	reqBufPool.Put(bp)
	if werr != nil {
		return fmt.Errorf("%w: %w", errWrite, werr)
	}
	st.setDeadline(pc, c.cfg.HeaderTimeout)
	return nil
}

// awaitResponse waits for the first byte of the answer and returns the
// reader of the response.
func (st *fetchState) awaitResponse(pc *persistConn) (*bufio.Reader, error) {
	if !st.c.lazyReader {
		// Few requests at once: read the head with one syscall less.
		br := pc.takeReader(true)
		if _, err := br.Peek(1); err != nil {
			if err == io.EOF {
				err = errNoResponse
			}
			return nil, err
		}
		st.res.Timings.TTFB = time.Since(st.start) - st.queued
		return br, nil
	}
	// Wait for the first byte without a read buffer: thousands of
	// connections waiting for their answers hold none.
	for {
		n, err := pc.conn.Read(pc.pr.b[:])
		if n == 1 {
			break
		}
		if err == io.EOF {
			return nil, errNoResponse
		}
		if err != nil {
			return nil, err
		}
	}
	pc.pr.pending = true
	st.res.Timings.TTFB = time.Since(st.start) - st.queued
	return pc.takeReader(false), nil
}

// readResponseHead reads the response head from br, skipping 1xx answers.
func readResponseHead(br *bufio.Reader, method string) (*http.Response, error) {
	req := getRequest
	if method == "HEAD" {
		req = headRequest
	}
	for i := 0; ; i++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 {
			return resp, nil
		}
		if resp.StatusCode == 101 {
			return nil, errSwitching
		}
		if i == maxInfoResponses {
			return nil, errTooManyInfo
		}
	}
}

// dial opens a connection for key: DNS, TCP connect, TLS.
func (st *fetchState) dial(u *url.URL, key poolKey, host, port string) (*persistConn, *Error) {
	c := st.c
	t0 := time.Now()
	addrs, err := c.resolver.LookupNetIP(st.ctx, host)
	st.res.Timings.DNS += time.Since(t0)
	if err != nil {
		return nil, st.classify(PhaseDNS, err)
	}
	addrs = filterFamily(addrs, c.cfg.Family)
	if len(addrs) == 0 {
		return nil, st.classify(PhaseDNS, fmt.Errorf("lookup %s: no %s address", host, c.cfg.Family))
	}
	t1 := time.Now()
	cctx, cancel := context.WithTimeout(st.ctx, c.cfg.ConnectTimeout)
	var conn net.Conn
	var first error
	for _, a := range addrs {
		var derr error
		conn, derr = c.dialConn(cctx, net.JoinHostPort(a.String(), port))
		if derr == nil {
			break
		}
		if first == nil {
			first = derr
		}
		if cctx.Err() != nil {
			break
		}
	}
	cancel()
	st.res.Timings.Connect += time.Since(t1)
	if conn == nil {
		return nil, st.classify(PhaseConnect, first)
	}
	c.conns.Add(1)
	pc := &persistConn{key: key, remote: conn.RemoteAddr().String()}
	pc.wc.Conn = conn
	pc.wc.budget = -1
	pc.conn = &pc.wc
	st.use(pc)
	if u.Scheme == "https" {
		if err := st.handshake(pc, host); err != nil {
			return nil, err
		}
	}
	return pc, nil
}

// handshake runs the TLS handshake on pc, bounded by Config.TLSTimeout.
func (st *fetchState) handshake(pc *persistConn, host string) *Error {
	c := st.c
	t2 := time.Now()
	conf := c.tlsConf.Clone()
	conf.ServerName = host
	if st.offerH2 {
		conf.NextProtos = h2NextProtos
	}
	tc := tls.Client(&pc.wc, conf)
	st.setDeadline(pc, c.cfg.TLSTimeout)
	herr := tc.Handshake() // not HandshakeContext: it would start a goroutine
	st.res.Timings.TLS += time.Since(t2)
	if herr == nil {
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" && (p != "h2" || !st.offerH2) {
			herr = fmt.Errorf("server chose protocol %q (only http/1.1 is spoken)", p)
		}
	}
	if herr != nil {
		st.done(pc, false)
		return st.classify(PhaseTLS, herr)
	}
	if tc.ConnectionState().DidResume {
		c.resumed.Add(1)
	}
	pc.conn = tc
	return nil
}

func filterFamily(addrs []netip.Addr, f Family) []netip.Addr {
	if f == FamilyAny {
		return addrs
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.Is4() == (f == Family4) {
			out = append(out, a)
		}
	}
	return out
}
