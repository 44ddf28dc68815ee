package fetcher

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// fetchState is one fetch in progress: its URL, its clocks and what it
// learnt. It belongs to the task or goroutine running the fetch; only cur
// is touched by the cancel callback.
type fetchState struct {
	c      *Client
	parent context.Context // the caller's: canceled means KindCanceled
	ctx    context.Context // parent bounded by the deadline: &lazy
	lazy   fetchCtx        // what ctx points to (fetchctx.go); lazy.deadline is start + Config.Timeout
	start  time.Time
	queued time.Duration // waits for host slots and pauses, inside the fetch
	curURL string
	job    *Job // for the hooks of RunConfig.OnBody and OnRedirect
	res    *Result
	cur    atomic.Pointer[conn] // the connection in use (its ref), for cancel
	// req and hop are the request being made and the response it got,
	// here on the heap rather than in the frames under a parked task
	// (TestParkedTaskStack, see startResult).
	req  request
	hop  hop
	held *heldSlot // dial.go: a fresh connection's connect slot, until the server took it
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
	if p := st.cur.Swap(nil); p != nil {
		(*p).stop()
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// use makes cn the fetch's current connection.
func (st *fetchState) use(cn conn) {
	st.cur.Store(cn.ref())
	if st.ctx.Err() != nil {
		st.interrupt()
	}
}

// drop takes cn from the fetch, unless the fetch's cancel took it first
// (then it reports false).
func (st *fetchState) drop(cn conn) bool { return st.cur.CompareAndSwap(cn.ref(), nil) }

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
	t := st.lazy.deadline
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
	cn.setDeadline(st.lazy.deadline, st.c.cfg.IdleReadTimeout)
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
	st.lazy = fetchCtx{parent: ctx, deadline: st.start.Add(c.cfg.Timeout), onDone: st.interrupt}
	st.ctx = &st.lazy
	st.seek()
	defer st.connected() // also when the fetch panics (a bug: KindInternal)
	var stop func() bool
	if ctx.Done() != nil {
		// Cancellation interrupts the connection at once; the deadline
		// needs no timer here: every phase on the connection sets a
		// deadline no later than the fetch's (setDeadline).
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
	key := poolKey{scheme: u.Scheme, addr: hostPortKey(u, host, port)}
	if t := scheduler.Current(); t != nil && c.dial == nil {
		key.hub = t.Hub()
	}
	if key.proxy = c.proxies.choose(u); key.proxy != nil {
		st.res.Proxy = key.proxy.display
	}
	fresh := false
	for attempt := 0; ; attempt++ {
		cn, ferr := st.getConn(u, &key, fresh)
		if cn == nil && ferr == nil {
			// Dialed here, not in getConn: the stack of a task stays
			// smaller during its connect (TestParkedTaskStack).
			cn, ferr = st.dial(u, &key, false)
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
