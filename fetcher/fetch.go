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
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
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
	c        *Client
	parent   context.Context // the caller's: canceled means KindCanceled
	ctx      context.Context // parent bounded by deadline: &lazy
	lazy     fetchCtx        // what ctx points to (fetchctx.go)
	deadline time.Time       // start + Config.Timeout
	start    time.Time
	queued   time.Duration // waits for host slots and pauses, inside the fetch
	curURL   string
	job      *Job // for the hooks of Config.OnBody and OnRedirect
	res      *Result
	// cur is the connection in use, for cancel; curMu guards it.
	curMu sync.Mutex
	cur   conn
	// req and hop are the request being made and the response it got,
	// here on the heap rather than in the frames under a parked task
	// (TestParkedTaskStack, see startResult).
	req  request
	hop  hop
	held *heldSlot // dial.go: a fresh connection's connect slot, until the server took it
	// key names the connections that may serve the attempt in progress
	// (roundTrip).
	key poolKey
	// seeking: the fetch is counted in Client.seeking: it wants a
	// connection for its next attempt and has none yet.
	seeking bool
	// hp is hostPort of the URL the fetch is at (st.hostPort).
	hp struct {
		u          *url.URL
		host, port string
	}
}

// hostPort is hostPort(u), worked out once per URL of the fetch: the
// fetch asks for it four times a hop, and each asks url.URL.Hostname and
// Port to split the host again and netip to parse it.
func (st *fetchState) hostPort(u *url.URL) (host, port string) {
	if st.hp.u != u {
		st.hp.host, st.hp.port = hostPort(u)
		st.hp.u = u
	}
	return st.hp.host, st.hp.port
}

// seek counts the fetch in Client.seeking until it has a connection.
func (st *fetchState) seek() {
	if !st.seeking {
		st.seeking = true
		st.c.seeking.Add(1)
	}
}

// connected takes the fetch out of Client.seeking once it has a
// connection (or ends without one).
func (st *fetchState) connected() {
	if st.seeking {
		st.seeking = false
		st.c.seeking.Add(-1)
	}
}

// interrupt wakes whatever the fetch waits on in its connection: the
// callback of the fetch's context. It takes the connection from the fetch
// (so that done will not pool it) and stops it, so that no later
// deadline of the fetch can undo this one.
func (st *fetchState) interrupt() {
	st.curMu.Lock()
	cn := st.cur
	st.cur = nil
	st.curMu.Unlock()
	if cn != nil {
		cn.stop()
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// use makes cn the fetch's current connection.
func (st *fetchState) use(cn conn) {
	st.curMu.Lock()
	st.cur = cn
	st.curMu.Unlock()
	if st.ctx.Err() != nil {
		st.interrupt()
	}
}

// drop takes cn from the fetch, unless the fetch's cancel took it first
// (then it reports false).
func (st *fetchState) drop(cn conn) bool {
	st.curMu.Lock()
	mine := st.cur == cn
	if mine {
		st.cur = nil
	}
	st.curMu.Unlock()
	return mine
}

// done ends the fetch's use of cn: back to the pool when clean (the
// response's body read to its end) and cn allows it, closed otherwise.
// Wire bytes are counted here.
func (st *fetchState) done(cn conn, clean bool) { st.release(cn, clean, 0) }

// release is done keeping at most keep idle connections of cn's origin
// (0: as many as the pool keeps).
func (st *fetchState) release(cn conn, clean bool, keep int) {
	if !st.drop(cn) {
		clean = false // interrupted
	}
	st.res.WireBytes += cn.release(st.c, clean, keep)
}

// setDeadline bounds the next phase on cn by d (0: only the overall
// deadline).
func (st *fetchState) setDeadline(cn conn, d time.Duration) {
	t := st.deadline
	if d > 0 {
		if p := time.Now().Add(d); p.Before(t) {
			t = p
		}
	}
	cn.setDeadline(t, 0)
}

// bodyDeadline bounds the reading of a body on cn: by the overall
// deadline, and each wait for more bytes by Config.IdleReadTimeout.
func (st *fetchState) bodyDeadline(cn conn) {
	cn.setDeadline(st.deadline, st.c.cfg.IdleReadTimeout)
}

// fetch runs one job to its Result. queued is the time the job already
// waited for a slot.
func (c *Client) fetch(ctx context.Context, job Job, mode Mode, queued time.Duration) Result {
	var r Result // zero: fetchInto sets fields one by one
	c.fetchInto(ctx, &job, mode, queued, &r)
	return r
}

// startResult fills in the first fields of r, a zero Result that the
// caller keeps on the heap, one by one: a composite literal would build a
// Result on the stack of the fetch. The frames under a task parked on its
// answer must stay under 2 KiB so that the runtime shrinks its stack to
// 4 KiB: TestParkedTaskStack holds this and the other tricks that keep
// them so (awaitResponse, afterAttempt, fetchState.req and hop,
// asyncWorker's heap Result).
func startResult(r *Result, job *Job, mode Mode, queued time.Duration, shown string) {
	r.Type, r.URL, r.Index, r.Mode, r.Label = "result", MaskURL(shown), job.Index, mode, job.Label
	r.Timings.Queue = queued
}

// fetchInto is fetch writing into r, a zero Result on the heap (see
// startResult).
func (c *Client) fetchInto(ctx context.Context, job *Job, mode Mode, queued time.Duration, r *Result) {
	u, shown, perr := job.parsed, job.shown, (*Error)(nil)
	if u == nil || job.from != job.URL { // not read by ParseJob, or changed since
		u, shown, perr = parseURL(job.URL)
	}
	startResult(r, job, mode, queued, shown)
	if err := ctx.Err(); err != nil {
		r.fail(&Error{Kind: KindCanceled, URL: r.URL, Err: errCanceled})
		return
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer.OnStart(*job)
	}
	if perr != nil {
		r.fail(perr)
		return
	}
	st := &fetchState{c: c, parent: ctx, start: time.Now(), res: r, job: job}
	st.deadline = st.start.Add(c.cfg.Timeout)
	st.lazy = fetchCtx{parent: ctx, deadline: st.deadline, onDone: st.interrupt}
	st.ctx = &st.lazy
	st.seek()
	defer st.connected() // also when the fetch panics (a bug: KindInternal)
	var stop func() bool
	if ctx.Done() != nil {
		// Cancellation interrupts the connection at once; the deadline
		// needs no timer here: every phase on the connection sets a
		// deadline no later than st.deadline (setDeadline).
		stop = context.AfterFunc(ctx, st.interrupt)
	}
	if err := st.run(u); err != nil {
		r.fail(err)
	}
	if stop != nil {
		stop()
	}
	st.lazy.release()
	st.unhold() // dial.go
	r.Timings.Queue += st.queued
	r.Timings.Total = time.Since(st.start) - st.queued
}

// request is what the next request of a fetch sends, besides its URL.
type request struct {
	method string
	body   bool // sends Client.data
	creds  bool // to the URL's own host: credentials and Host override go too
}

// hop is a response head of a fetch and what the caller owns with it: the
// connection its body comes on and the host reference.
type hop struct {
	resp    *http.Response
	cn      conn
	hs      *hostState
	hostKey string
	// stop, if set, ends the fetch with this response as its last: the
	// retry it asked for cannot happen in the time left.
	stop *Error
}

// run follows redirects from u until a final response, whose body it reads.
func (st *fetchState) run(u *url.URL) *Error {
	c := st.c
	req := &st.req
	req.method, req.body = c.method, c.data != nil
	origHost, _ := st.hostPort(u)
	var seen []string
	for {
		st.curURL = MaskURL(u.String())
		st.res.FinalURL = st.curURL
		host, _ := st.hostPort(u)
		req.creds = host == origHost
		h, err := st.attempts(u)
		if err != nil {
			return err
		}
		var next *url.URL
		rerr := h.stop
		if rerr == nil {
			rerr = st.forwardRefusal(u, h.resp) // proxy.go
		}
		if rerr == nil {
			next, rerr = st.redirect(u, h.resp, &seen)
		}
		if rerr != nil || next == nil {
			st.finish(h, rerr)
			if rerr != nil {
				return rerr
			}
			if err := st.readBody(u, h); err != nil {
				if st.retryBody(err) {
					continue // the same URL again
				}
				return err
			}
			return nil
		}
		st.drain(h.resp, h.cn)
		c.hosts.release(h.hostKey, h.hs)
		req.method, req.body = redirectRequest(h.resp.StatusCode, req.method, req.body)
		st.res.Redirects++
		u = next
	}
}

// finish records the final response's head on the result. When the fetch
// ends in error there (rerr), the body is drained and the host released.
func (st *fetchState) finish(h *hop, rerr *Error) {
	st.res.Status = h.resp.StatusCode
	st.res.Proto = h.resp.Proto
	st.res.ContentType = headerValue(h.resp.Header, "Content-Type")
	if st.c.cfg.IncludeHeaders {
		st.res.Headers = h.resp.Header
	}
	if rerr != nil {
		st.drain(h.resp, h.cn)
		st.c.hosts.release(h.hostKey, h.hs)
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
	if loc == "" || st.c.cfg.NoRedirects {
		return nil, nil // a 3xx without Location is a final answer (RFC 9110 15.4)
	}
	next, err := u.Parse(loc)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &Error{Kind: KindProtocol, Phase: PhaseHeader, URL: st.curURL, Err: fmt.Errorf("bad redirect Location %q: %v", MaskURL(loc), err)}
	}
	next.Fragment, next.RawFragment = "", ""
	if e := checkURL(next, next.String()); e != nil {
		e.Err = fmt.Errorf("redirect to %s: %w", MaskURL(next.String()), e.Err)
		e.URL = st.curURL
		return nil, e
	}
	if st.res.Redirects >= st.c.cfg.MaxRedirects {
		msg := fmt.Sprintf("stopped after %d redirects", st.res.Redirects)
		shown := MaskURL(next.String())
		for _, s := range *seen {
			if s == shown {
				msg += " (redirect loop back to " + s + ")"
				break
			}
		}
		return nil, &Error{Kind: KindTooManyRedirects, URL: st.curURL, Err: fmt.Errorf("%w: %s", ErrTooManyRedirects, msg)}
	}
	if !st.followRedirect(u, next) {
		return nil, nil // the hook keeps the 3xx as the final answer
	}
	*seen = append(*seen, st.curURL)
	return next, nil
}

// redirectRequest is the method after a redirect, and whether the body
// goes with it, as curl and browsers do it: 303 turns anything but HEAD
// into a GET without body; 301 and 302 turn a POST into a GET without body
// (RFC 9110 15.4.2, 15.4.3); otherwise (307, 308 included) the method and
// the body stay.
func redirectRequest(status int, method string, body bool) (string, bool) {
	switch {
	case status == 303 && method != "HEAD":
		return "GET", false
	case (status == 301 || status == 302) && method == "POST":
		return "GET", false
	}
	return method, body
}

// idempotent reports whether a request with method may be sent twice
// with the effect of once (RFC 9110 9.2.2).
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// attempts gets a response head for u with the request st.req, retrying
// as Config.Retries allows. On success the caller owns the hop (st.hop):
// its connection and host reference.
func (st *fetchState) attempts(u *url.URL) (*hop, *Error) {
	host, port := st.hostPort(u)
	h := &st.hop
	*h = hop{hostKey: hostPortKey(u, host, port)}
	for {
		st.seek() // each attempt, first or after a redirect or retry, wants a connection
		hs, waited, err := st.c.hosts.acquire(st.ctx, h.hostKey)
		st.queued += waited
		if err != nil {
			return nil, st.classify(PhaseNone, err)
		}
		h.hs = hs
		var ferr *Error
		h.resp, h.cn, ferr = st.roundTrip(u, &st.req)
		again, ferr := st.afterAttempt(&st.req, h, ferr)
		if ferr != nil {
			return nil, ferr
		}
		if !again {
			return h, nil
		}
	}
}

// afterAttempt decides what follows an attempt that got h's response or
// failed with ferr: again (a retry, after its wait, with h's response
// drained and its host released), or not, with h as the final answer (its
// stop set when a retry asked for was given up) or ferr as the failure
// (the host released). It is a function of its own, never inlined, so
// that attempts, whose frame is under every task parked on its answer,
// stays small (TestParkedTaskStack, see startResult).
//
//go:noinline
func (st *fetchState) afterAttempt(req *request, h *hop, ferr *Error) (again bool, _ *Error) {
	c := st.c
	resp := h.resp
	var wait, ra time.Duration
	asked := false // wait is the server's Retry-After (ra), capped by MaxRetryAfter
	if resp != nil {
		pause := resp.StatusCode == 429 || resp.StatusCode == 503
		if pause || st.retryable(req, resp, nil) {
			var ok bool
			if ra, ok = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait, asked = min(ra, c.cfg.MaxRetryAfter), true
				if pause {
					c.hosts.pause(h.hs, time.Now().Add(wait))
				}
			}
		}
	}
	if st.res.Retries < c.cfg.Retries && st.retryable(req, resp, ferr) {
		left, bound := st.retryTimeLeft()
		if asked && wait > left {
			// The server asks for more time than the fetch has: give up
			// now, with its answer, saying so.
			h.stop = &Error{Kind: KindTimeout, Phase: PhaseNone, URL: st.curURL, Err: &timeoutError{
				msg:     fmt.Sprintf("status %d asks to retry after %v (Retry-After), more than the %v left of %s", resp.StatusCode, ra, left.Round(time.Millisecond), bound),
				err:     os.ErrDeadlineExceeded,
				overall: true,
			}}
			return false, nil
		}
		if !asked {
			wait = backoff(st.res.Retries)
		}
		if wait < left {
			if resp != nil {
				st.drain(resp, h.cn)
			}
			c.hosts.release(h.hostKey, h.hs)
			st.res.Retries++
			c.retries.Add(1)
			if err := sleepCtx(st.ctx, wait); err != nil {
				return false, st.classify(PhaseNone, err)
			}
			return true, nil
		}
	}
	if ferr != nil {
		c.hosts.release(h.hostKey, h.hs)
		return false, ferr
	}
	return false, nil
}

// retryBody reports whether the fetch tries its URL again after the
// body failed with err: as an answer's failure is retried (Retries,
// retryable, a backoff that fits in the time left), with what the body
// delivered forgotten (a saved file is removed already). Observer.OnBytes
// has counted the lost bytes. Never inlined, to keep run's frame small
// (TestParkedTaskStack, see startResult).
//
//go:noinline
func (st *fetchState) retryBody(err *Error) bool {
	if st.res.Retries >= st.c.cfg.Retries || !st.retryable(&st.req, nil, err) {
		return false
	}
	wait := backoff(st.res.Retries)
	if left, _ := st.retryTimeLeft(); wait >= left {
		return false
	}
	st.res.Retries++
	st.c.retries.Add(1)
	st.res.Bytes, st.res.SHA256, st.res.SavedAs, st.res.Headers = 0, "", "", nil
	return sleepCtx(st.ctx, wait) == nil
}

// retryTimeLeft is the time left for retries to start in, and the bound
// that sets it: the overall Timeout, or RetryMaxTime.
func (st *fetchState) retryTimeLeft() (time.Duration, string) {
	end, bound := st.deadline, fmt.Sprintf("the %v timeout", st.c.cfg.Timeout)
	if rmt := st.c.cfg.RetryMaxTime; rmt > 0 && st.start.Add(rmt).Before(end) {
		end, bound = st.start.Add(rmt), fmt.Sprintf("the %v retry max time", rmt)
	}
	return max(time.Until(end), 0), bound
}

// retryable reports whether the outcome of an attempt (resp, or ferr) may
// be retried, as curl's --retry decides: transient failures of idempotent
// requests, or, with RetryAllErrors, every failure of any request.
func (st *fetchState) retryable(req *request, resp *http.Response, ferr *Error) bool {
	if st.c.cfg.RetryAllErrors {
		if ferr != nil {
			return ferr.Kind != KindCanceled
		}
		return resp.StatusCode >= 400
	}
	if !idempotent(req.method) {
		return false
	}
	if ferr != nil {
		return retryableError(ferr)
	}
	return retryableStatus(resp.StatusCode)
}

// retryableError reports the transient failures: a connect failure, a
// connection that broke before the response head, a phase timeout (not
// the overall one: no time is left).
func retryableError(e *Error) bool {
	switch e.Kind {
	case KindConnect, KindIO:
		return true
	case KindTimeout:
		var te *timeoutError
		return errors.As(e.Err, &te) && !te.overall
	}
	return false
}

// retryableStatus reports the statuses curl's --retry retries.
func retryableStatus(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
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

// roundTrip sends one request for u and reads the response head, on the
// connection getConn gives (conn.go), a stream of an HTTP/2 connection or
// a kept-alive HTTP/1.1 connection, or on a new connection (dial). A request that the
// server did not process (notProcessed) is sent again, up to maxResends
// times: an HTTP/2 stream refused or cut by GOAWAY, on any connection; an
// HTTP/1.1 request on a reused connection that closed before any answer,
// on a new connection.
func (st *fetchState) roundTrip(u *url.URL, req *request) (*http.Response, conn, *Error) {
	c := st.c
	host, port := st.hostPort(u)
	key := &st.key
	*key = poolKey{scheme: u.Scheme, addr: hostPortKey(u, host, port)}
	if t := scheduler.Current(); t != nil && c.dial == nil {
		key.hub = t.Hub()
	}
	if key.proxy = c.proxies.choose(u); key.proxy != nil {
		st.res.Proxy = key.proxy.display
	}
	fresh := false
	for attempt := 0; ; attempt++ {
		cn, ferr := st.getConn(u, fresh)
		if cn == nil && ferr == nil {
			// Dialed here, not in getConn: the stack of a task stays
			// smaller during its connect (TestParkedTaskStack).
			cn, ferr = st.dial(u, false)
		}
		if ferr != nil {
			return nil, nil, ferr
		}
		st.use(cn)
		st.connected()
		st.res.RemoteAddr = cn.remoteAddr()
		resp, ferr := cn.roundTrip(st, u, req)
		if ferr == nil {
			c.logResponse(st.curURL, resp)
			return resp, cn, nil
		}
		st.done(cn, false)
		var np notProcessed
		if attempt < maxResends && st.ctx.Err() == nil && errors.As(ferr.Err, &np) {
			fresh = fresh || np.resendFresh()
			continue
		}
		return nil, nil, ferr
	}
}

// roundTrip is the HTTP/1.1 exchange of conn: it writes the request and
// reads the response head, skipping 1xx. The wait for the answer happens
// in awaitResponse, a small frame right under roundTrip, to keep a parked
// task's stack small (TestParkedTaskStack, see startResult).
func (pc *persistConn) roundTrip(st *fetchState, u *url.URL, req *request) (*http.Response, *Error) {
	if err := st.writeRequest(pc, u, req); err != nil {
		return nil, st.h1Error(pc, req, err, false)
	}
	pc.wc.budget = maxHeaderBytes
	br, err := st.awaitResponse(pc)
	if err != nil {
		pc.wc.budget = -1
		return nil, st.h1Error(pc, req, err, false)
	}
	resp, err := readResponseHead(br, req.method)
	pc.wc.budget = -1
	if err != nil {
		return nil, st.h1Error(pc, req, err, true)
	}
	pc.closing = resp.Close
	return resp, nil
}

// h1Error is the *Error of a request that failed on pc with err, after
// gotByte (any response byte came). A request on a reused connection that
// ended before any answer, not by our deadline, is not processed
// (idleClosedError) when it may be sent twice (idempotent, or without a
// body): the server may have closed the connection while it was idle.
// Never inlined, to keep the frames under a parked task small
// (TestParkedTaskStack, see startResult).
//
//go:noinline
func (st *fetchState) h1Error(pc *persistConn, req *request, err error, gotByte bool) *Error {
	phase := PhaseHeader
	if !gotByte && errors.Is(err, errWrite) {
		phase = PhaseRequest
	}
	if pc.reused && !gotByte && st.ctx.Err() == nil && !isTimeout(err) && (idempotent(req.method) || !req.body) {
		return st.classify(phase, &idleClosedError{pc.cause(err)})
	}
	if e := st.alpnError(pc, err, gotByte); e != nil { // dial.go
		return e
	}
	return st.classify(phase, pc.cause(err))
}

// cause is the cause of err, an error met while reading from pc: a
// deadline that fired while a head or body was half read is the cause,
// whatever the parser made of the partial bytes (bufio hands textproto a
// cut line without the error, which then reads as malformed); and a cut
// line after the peer closed is the close.
func (pc *persistConn) cause(err error) error {
	if pc.wc.rerr != nil && isTimeout(pc.wc.rerr) && !isTimeout(err) {
		return pc.wc.rerr
	}
	if pc.wc.eof && !isConnFailure(err) {
		return fmt.Errorf("%v: %w", err, io.ErrUnexpectedEOF)
	}
	return err
}

// errWrite marks a failure to write the request.
var errWrite = errors.New("writing the request")

var reqBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooledReqBuf bounds the request buffers kept for reuse (a big body
// is not kept).
const maxPooledReqBuf = 64 << 10

// static requests for http.ReadResponse, which reads only their Method.
var (
	getRequest  = &http.Request{Method: "GET"}
	headRequest = &http.Request{Method: "HEAD"}
)

// writeRequest writes the request for u on pc: the head, and the body
// when req has one, in one write.
func (st *fetchState) writeRequest(pc *persistConn, u *url.URL, req *request) error {
	c := st.c
	c.requests.Add(1)
	bp := reqBufPool.Get().(*[]byte)
	var p *proxySpec // an HTTP proxy takes the absolute form
	if pk := pc.key.proxy; pk != nil && pk.httpLike() && u.Scheme == "http" {
		p = pk
	}
	buf := c.appendRequestHead((*bp)[:0], u, req, "HTTP/1.1", p) // reqhead.go
	c.logRequest(st.curURL, buf)
	if req.body {
		buf = append(buf, c.data...)
	}
	st.setDeadline(pc, 0)
	_, werr := pc.conn.Write(buf)
	if cap(buf) <= maxPooledReqBuf {
		*bp = buf
		reqBufPool.Put(bp)
	}
	if werr != nil {
		return fmt.Errorf("%w: %w", errWrite, werr)
	}
	st.awaitAccept(pc) // dial.go
	st.setDeadline(pc, c.cfg.HeaderTimeout)
	return nil
}

// awaitResponse waits for the first byte of the answer and returns the
// reader of the response.
func (st *fetchState) awaitResponse(pc *persistConn) (*bufio.Reader, error) {
	lazy := st.c.lazyReader
	if lazy && pc.conn == net.Conn(&pc.wc) {
		// Thousands of connections waiting for their answers hold no read
		// buffer: a task's plain connection waits without reading.
		waited, err := pc.wc.waitRead()
		if err != nil {
			return nil, err
		}
		lazy = !waited
	}
	if !lazy {
		br := pc.takeReader(!st.c.lazyReader) // few at once: the head in one read
		if _, err := br.Peek(1); err != nil {
			if err == io.EOF {
				err = errNoResponse
			}
			return nil, err
		}
		st.res.Timings.TTFB = time.Since(st.start) - st.queued
		return br, nil
	}
	// Wait for the first byte without a read buffer (TLS, or a
	// goroutine's connection): read it alone.
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
		if resp, ok := plainHead(br, req); ok { // head.go
			return resp, nil
		}
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

// dial opens a connection to u for st.key (DNS, TCP connect, TLS) and
// returns it as the protocol its server chose (speak). h2 says that the
// fetch dials for the HTTP/2 pool (h2Pool.acquire made it the dialer):
// the handshake offers h2, and the pool hears what came of the dial.
func (st *fetchState) dial(u *url.URL, h2 bool) (conn, *Error) {
	c := st.c
	host, port := st.hostPort(u)
	var nc net.Conn
	var ferr *Error
	if st.key.proxy == nil {
		nc, ferr = st.connectTCP(host, port) // dial.go
	} else {
		nc, ferr = st.openConn(u, st.key, host, port) // proxy.go
	}
	if ferr == nil {
		c.conns.Add(1)
		pc := &persistConn{key: st.key, remote: nc.RemoteAddr().String()}
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
		c.h2.dialDone(st.key, nil, false)
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
