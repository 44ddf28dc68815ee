package fetcher

// The HTTP/1.1 exchange (RFC 9112): persistConn as a conn. The request
// head (reqhead.go) and body go out in one write; the response head is
// read by plainHead (head.go) or net/http's ReadResponse.

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// idleClosedError is a request on a kept-alive HTTP/1.1 connection that
// ended before any answer came: the server may have closed the
// connection while it was idle (RFC 9112 9.3.1). It reads as its cause.
type idleClosedError struct{ err error }

func (e *idleClosedError) Error() string { return e.err.Error() }

func (e *idleClosedError) Unwrap() error { return e.err }

func (e *idleClosedError) resendFresh() bool { return true }

// stop ends every wait on the socket, now and later.
func (pc *persistConn) stop() { pc.wc.stop() }

// setDeadline bounds the waits on the socket by t, and each read of a
// body also by idle when idle > 0.
func (pc *persistConn) setDeadline(t time.Time, idle time.Duration) {
	pc.wc.Conn.SetDeadline(t)
	if pc.wc.stopped.Load() { // interrupted meanwhile: stay interrupted
		pc.wc.Conn.SetDeadline(aLongTimeAgo)
	}
	pc.wc.idle, pc.wc.limit = idle, t
}

// release keeps pc for the next request when clean, both sides keep the
// connection and nothing unasked-for waits in the buffer; else closes it.
func (pc *persistConn) release(c *Client, clean bool, keep int) int64 {
	reuse := clean && !pc.closing && (pc.br == nil || pc.br.Buffered() == 0) && !pc.wc.stopped.Load()
	n := pc.wc.nread - pc.mark
	c.wire.Add(n)
	pc.wc.idle = 0
	if reuse {
		c.pool.put(pc, keep)
	} else {
		pc.close()
	}
	return n
}

func (pc *persistConn) remoteAddr() string { return pc.remote }

func (pc *persistConn) ref() *conn { return &pc.me }

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
