package fetcher

// One HTTP/2 stream as a fetch sees it (RFC 9113 section 8: a request, a
// response), and how fetchState runs a request over HTTP/2.

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/greenfetch/greenfetch/scheduler"
)

// h2NextProtos is what the TLS handshake offers when HTTP/2 may be spoken
// (ALPN, 3.2 of RFC 9113).
var h2NextProtos = []string{"h2", "http/1.1"}

// h2HoldWindows, set by tests, keeps stream windows shut: a server that
// sends beyond them is then caught whatever the timing.
var h2HoldWindows atomic.Bool

// h2MaxUnprocessedRetries bounds how often a request that the server did
// not process (GOAWAY, REFUSED_STREAM) is sent again.
const h2MaxUnprocessedRetries = 5

// h2Stream is one request and its response. The fetch that opened it owns
// deadline; cc.mu guards the fields below it; canceled and ev are safe
// from anywhere.
type h2Stream struct {
	cc       *h2Conn
	id       uint32
	method   string
	ev       scheduler.Event // set by the reader when something changes
	canceled atomic.Bool     // the fetch was canceled or ran out of time
	deadline time.Time       // of the current wait (fetchState.setDeadline)
	framesAt uint64          // cc.framesIn when the stream opened

	head      *http.Response
	headAt    time.Time
	interim   int
	buf       []byte // body bytes received, from off on not yet read
	off       int
	recvAvail int64 // stream window left for the server's DATA
	unacked   int64 // read (or padding), not yet refunded
	sendWin   int64 // the server's credit for the request body (6.9)
	sending   bool  // the request body is being sent
	got       int64 // body bytes received
	declLen   int64 // Content-Length, or -1
	endStream bool  // the server ended the stream
	removed   bool  // no longer among cc's open streams
	err       error
	wire      int64 // frame bytes of this stream

	// Allocated with the stream: what the fetch sees of it.
	pc   persistConn // stands for a connection in fetchState (pc.h2s)
	resp http.Response
	body h2Body
}

// cancel ends every wait of the stream, now and later: its fetch was
// canceled or ran out of time. Safe from any goroutine.
func (s *h2Stream) cancel() {
	s.canceled.Store(true)
	s.ev.Set()
}

// stop ends every wait on pc: the socket's for HTTP/1.1, the stream's for
// HTTP/2 (the connection serves other streams).
func (pc *persistConn) stop() {
	if pc.h2s != nil {
		pc.h2s.cancel()
		return
	}
	pc.wc.stop()
}

// park waits for the reader's next word on s, until the deadline (and, for
// idle > 0, at most idle).
func (s *h2Stream) park(idle time.Duration) error {
	if s.canceled.Load() {
		return os.ErrDeadlineExceeded
	}
	dl := s.deadline
	if idle > 0 {
		if t := time.Now().Add(idle); t.Before(dl) {
			dl = t
		}
	}
	d := time.Until(dl)
	if d <= 0 || !s.ev.Wait(d) || s.canceled.Load() {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// awaitHead waits for the response head.
func (s *h2Stream) awaitHead() (*http.Response, time.Time, error) {
	cc := s.cc
	for {
		s.ev.Clear()
		cc.mu.Lock()
		head, at, err := s.head, s.headAt, s.err
		cc.mu.Unlock()
		if head != nil {
			return head, at, nil
		}
		if err != nil {
			return nil, at, err
		}
		if err := s.park(0); err != nil {
			if cc.framesIn.Load() == s.framesAt {
				// Not a frame since the stream opened: the server (or
				// the path) is stuck; no new stream goes there.
				cc.retire()
			}
			return nil, at, err
		}
	}
}

// h2Body is the body of a stream's response. Reading it refunds the flow-
// control window (6.9) as the bytes are consumed.
type h2Body struct {
	s    *h2Stream
	idle time.Duration // Config.IdleReadTimeout
}

func (b *h2Body) Read(p []byte) (int, error) {
	s, cc := b.s, b.s.cc
	for {
		s.ev.Clear()
		cc.mu.Lock()
		if s.off < len(s.buf) {
			n := copy(p, s.buf[s.off:])
			s.off += n
			if s.off == len(s.buf) {
				s.buf, s.off = s.buf[:0], 0
			}
			s.unacked += int64(n)
			wake := false
			if s.unacked >= h2StreamWindow/4 && !s.removed && !h2HoldWindows.Load() {
				cc.wfr.WriteWindowUpdate(s.id, uint32(s.unacked))
				s.recvAvail += s.unacked
				s.unacked = 0
				wake = true
			}
			cc.mu.Unlock()
			if wake {
				cc.queued()
			}
			return n, nil
		}
		err, end := s.err, s.endStream
		cc.mu.Unlock()
		switch {
		case err != nil:
			return 0, err
		case end:
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if err := s.park(b.idle); err != nil {
			return 0, err
		}
	}
}

// Close does nothing: the stream is released when its fetch is done.
func (b *h2Body) Close() error { return nil }

// release ends the fetch's use of s: a stream still open is reset with
// CANCEL (8.7); its buffer goes.
func (s *h2Stream) release() int64 {
	cc := s.cc
	cc.mu.Lock()
	if !s.removed {
		cc.wfr.WriteRSTStream(s.id, http2.ErrCodeCancel)
		cc.removeLocked(s)
		defer cc.queued()
	}
	if cap(s.buf) == h2BufSize {
		b := s.buf[:h2BufSize]
		h2BufPool.Put(&b)
	}
	s.buf, s.off = nil, 0
	wire := s.wire
	done := cc.idleLocked()
	cc.mu.Unlock()
	if done {
		cc.close(errH2Done)
	}
	return wire
}

// startStream opens a stream for a request on cc, whose slot the caller
// reserved: HEADERS (and CONTINUATIONs), with END_STREAM when there is no
// body (8.1, 8.3.1); sendBody sends the body, if any.
func (cc *h2Conn) startStream(c *Client, u *url.URL, req *request, body []byte) (*h2Stream, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.reserved--
	if cc.closed || cc.goaway {
		if cc.closed && cc.err != nil && !errors.Is(cc.err, errH2Done) && !errors.Is(cc.err, errClientClosed) && !errors.Is(cc.err, errH2Idle) {
			return nil, &h2Unprocessed{"connection failed before the request was sent: " + cc.err.Error()}
		}
		return nil, &h2Unprocessed{"connection going away"}
	}
	s := &h2Stream{cc: cc, id: cc.nextID, method: req.method, recvAvail: h2StreamWindow, sendWin: cc.peerWin, declLen: -1, sending: len(body) > 0}
	cc.nextID += 2
	// 5.1.1: identifiers are not reused; a connection that ran out of
	// them takes no new stream and closes after its last.
	cc.goaway = cc.goaway || cc.oneStream || cc.nextID > h2MaxStreamID-2
	cc.streams[s.id] = s
	cc.active++
	s.framesAt = cc.framesIn.Load()

	cc.hbuf.b = cc.hbuf.b[:0]
	c.encodeRequestHead(cc.henc, u, req, len(body)) // reqhead.go
	block := cc.hbuf.b
	max := int(cc.maxFrame)
	first := block[:min(len(block), max)]
	block = block[len(first):]
	cc.wfr.WriteHeaders(http2.HeadersFrameParam{StreamID: s.id, BlockFragment: first, EndStream: len(body) == 0, EndHeaders: len(block) == 0})
	for len(block) > 0 {
		frag := block[:min(len(block), max)]
		block = block[len(frag):]
		cc.wfr.WriteContinuation(s.id, len(block) == 0, frag)
	}
	cc.queued()
	return s, nil
}

// sendBody sends the request body in DATA frames within the server's
// flow-control windows (6.9), waiting for WINDOW_UPDATE while they are
// shut, until the deadline: a server that never opens its window ends the
// fetch as a timeout. A stream the server ended or reset meanwhile stops
// the sending (its answer, or error, is what counts).
func (s *h2Stream) sendBody(body []byte) error {
	cc := s.cc
	for len(body) > 0 {
		s.ev.Clear()
		cc.mu.Lock()
		if s.removed || cc.closed {
			s.sending = false
			cc.mu.Unlock()
			return nil
		}
		n := min(int64(len(body)), int64(cc.maxFrame), cc.sendWin, s.sendWin)
		if n > 0 {
			cc.wfr.WriteData(s.id, n == int64(len(body)), body[:n])
			cc.sendWin -= n
			s.sendWin -= n
			body = body[n:]
			s.sending = len(body) > 0
			cc.mu.Unlock()
			cc.queued()
			continue
		}
		cc.mu.Unlock()
		if err := s.park(0); err != nil {
			return &timeoutError{msg: "server did not open its HTTP/2 flow-control window for the request body", err: err}
		}
	}
	return nil
}

// h2RoundTrip runs the request over HTTP/2 when it may be: on a pooled
// connection with a free stream, or on a new one whose TLS chose h2 (or
// h2c with prior knowledge). handled is false when HTTP/1.1 is to be
// spoken instead; dialed is then a fresh connection whose ALPN chose
// http/1.1, for the caller to use, or nil.
func (st *fetchState) h2RoundTrip(u *url.URL, req *request, key poolKey, host, port string) (resp *http.Response, pc *persistConn, ferr *Error, handled bool, dialed *persistConn) {
	c := st.c
	mode := c.cfg.HTTPVersion
	if mode == HTTPVersion1 || (u.Scheme == "http" && mode != HTTPVersion2PriorKnowledge) {
		return nil, nil, nil, false, nil
	}
	if p := key.proxy; p != nil && p.httpLike() && u.Scheme == "http" {
		// An HTTP proxy takes http URLs in HTTP/1.1's absolute form; https
		// URLs go through its CONNECT tunnel, where ALPN may choose h2.
		return nil, nil, nil, false, nil
	}
	for attempt := 0; ; attempt++ {
		cc, dial, waited, err := c.h2.acquire(st.ctx, key)
		st.queued += waited
		if err != nil {
			if errors.Is(err, errClientClosed) {
				return nil, nil, nil, false, nil
			}
			return nil, nil, st.classify(PhaseNone, err), true, nil
		}
		if cc == nil && !dial {
			return nil, nil, nil, false, nil // the origin spoke HTTP/1.1
		}
		if dial {
			var h2 bool
			cc, h2, dialed, ferr = st.h2Dial(u, key, host, port)
			if ferr != nil || !h2 {
				return nil, nil, ferr, ferr != nil, dialed
			}
		}
		resp, pc, ferr, retry := st.h2Exchange(cc, u, req)
		if retry && attempt < h2MaxUnprocessedRetries && st.ctx.Err() == nil {
			continue
		}
		return resp, pc, ferr, true, nil
	}
}

// h2Dial dials for key offering h2, after acquire made this fetch the
// dialer. It returns the new connection (h2), or a connection that speaks
// HTTP/1.1 (dialed), or the error.
func (st *fetchState) h2Dial(u *url.URL, key poolKey, host, port string) (cc *h2Conn, h2 bool, dialed *persistConn, ferr *Error) {
	c := st.c
	st.offerH2 = true
	pc, ferr := st.dial(u, key, host, port)
	st.offerH2 = false
	if ferr != nil {
		c.h2.dialDone(key, nil, false)
		return nil, false, nil, ferr
	}
	h2 = u.Scheme == "http" // prior knowledge
	if tc, ok := pc.conn.(*tls.Conn); ok {
		h2 = tc.ConnectionState().NegotiatedProtocol == "h2"
	}
	if !h2 {
		c.h2.dialDone(key, nil, true)
		if c.cfg.HTTPVersion != HTTPVersionAuto {
			st.done(pc, false)
			p := "none"
			if tc, ok := pc.conn.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol != "" {
				p = tc.ConnectionState().NegotiatedProtocol
			}
			return nil, false, nil, &Error{Kind: KindTLS, Phase: PhaseTLS, URL: st.curURL,
				Err: fmt.Errorf("server does not speak HTTP/2 (ALPN chose %s; --http2 requires h2)", p)}
		}
		return nil, false, pc, nil
	}
	// The socket now belongs to the connection, not to this fetch: a
	// cancel of the fetch ends its stream only.
	st.cur.CompareAndSwap(pc, nil)
	if pc.wc.stopped.Load() { // canceled during the handshake
		pc.close()
		c.h2.dialDone(key, nil, false)
		return nil, false, nil, st.classify(PhaseTLS, os.ErrDeadlineExceeded)
	}
	pc.wc.Conn.SetDeadline(time.Time{})
	st.unhold() // dial.go: the server took the connection (its TLS answered)
	cc = newH2Conn(c.h2, pc, key)
	if c.cfg.NoKeepAlive { // no reuse: a connection per request
		cc.oneStream = true
	}
	c.h2.dialDone(key, cc, false)
	return cc, true, nil, nil
}

// h2Exchange sends the request on a stream of cc (whose slot is reserved)
// and waits for the response head. retry reports a request the server did
// not process, to be sent again.
func (st *fetchState) h2Exchange(cc *h2Conn, u *url.URL, req *request) (*http.Response, *persistConn, *Error, bool) {
	c := st.c
	method := req.method
	var body []byte
	if req.body {
		body = c.data
		if body == nil {
			body = []byte{}
		}
	}
	if c.cfg.Verbose != nil {
		c.logRequest(st.curURL, c.appendRequestHead(nil, u, req, "HTTP/2", nil))
	}
	s, err := cc.startStream(c, u, req, body)
	if err != nil {
		return nil, nil, st.classify(PhaseRequest, err), true
	}
	c.requests.Add(1)
	c.h2.streams.Add(1)
	pc := &s.pc
	pc.key, pc.remote, pc.h2s = cc.key, cc.remote, s
	st.use(pc)
	st.res.RemoteAddr = pc.remote
	if len(body) > 0 {
		st.setDeadline(pc, 0)
		if err := s.sendBody(body); err != nil {
			st.done(pc, false)
			return nil, nil, st.classify(PhaseRequest, err), false
		}
	}
	st.setDeadline(pc, c.cfg.HeaderTimeout)
	resp, at, err := s.awaitHead()
	if err != nil {
		st.done(pc, false)
		var un *h2Unprocessed
		return nil, nil, st.classify(PhaseHeader, err), errors.As(err, &un)
	}
	st.res.Timings.TTFB = at.Sub(st.start) - st.queued
	c.logResponse(st.curURL, resp)
	s.body = h2Body{s: s, idle: c.cfg.IdleReadTimeout}
	resp.Body = &s.body
	resp.Request = getRequest
	if method == "HEAD" {
		resp.Request = headRequest
	}
	return resp, pc, nil, false
}

// h2Done ends the fetch's use of a stream (fetchState.done for HTTP/2).
func (st *fetchState) h2Done(pc *persistConn) {
	st.cur.CompareAndSwap(pc, nil)
	st.res.WireBytes += pc.h2s.release()
}
