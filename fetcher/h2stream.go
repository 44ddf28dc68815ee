package fetcher

// One HTTP/2 stream as a fetch sees it (RFC 9113 section 8: a request, a
// response): HTTP/2's conn, and how a fetch gets one (getH2, startH2).

import (
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

// h2Stream is one request and its response: the conn of a fetch over
// HTTP/2. It is made with a stream slot of cc reserved (newStream), and
// opened by roundTrip (startStream). The fetch that holds it owns
// deadline and body; cc.mu guards the fields below framesAt; canceled
// and ev are safe from anywhere.
type h2Stream struct {
	cc       *h2Conn
	id       uint32
	method   string
	ev       scheduler.Event // set by the reader when something changes
	canceled atomic.Bool     // the fetch was canceled or ran out of time
	deadline time.Time       // of the current wait (setDeadline)
	framesAt uint64          // cc.framesIn when the stream opened

	slot      bool // holds the slot reserved on cc: not opened yet
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
	removed   bool  // not among cc's open streams (yet, or any more)
	err       error
	wire      int64 // frame bytes of this stream

	// Allocated with the stream: what the fetch sees of it.
	resp http.Response
	body h2Body
	me   conn // s itself (ref)
}

// newStream returns a stream of cc for a slot the caller reserved.
func (cc *h2Conn) newStream() *h2Stream {
	s := &h2Stream{cc: cc, slot: true, removed: true}
	s.body.s, s.me = s, s
	return s
}

// cancel ends every wait of the stream, now and later: its fetch was
// canceled or ran out of time. Safe from any goroutine.
func (s *h2Stream) cancel() {
	s.canceled.Store(true)
	s.ev.Set()
}

// stop ends every wait of the stream (the connection serves others).
func (s *h2Stream) stop() { s.cancel() }

// setDeadline bounds the stream's waits by t, and each wait for more body
// bytes also by idle when idle > 0.
func (s *h2Stream) setDeadline(t time.Time, idle time.Duration) {
	s.deadline, s.body.idle = t, idle
}

// cause is err: a stream's errors say what they are.
func (s *h2Stream) cause(err error) error { return err }

func (s *h2Stream) remoteAddr() string { return s.cc.remote }

func (s *h2Stream) ref() *conn { return &s.me }

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
// CANCEL (8.7), a slot never used is given back; its buffer goes. A
// stream is never reused: clean and keep do not matter.
func (s *h2Stream) release(_ *Client, _ bool, _ int) int64 {
	cc := s.cc
	cc.mu.Lock()
	if s.slot {
		s.slot = false
		cc.reserved--
		defer cc.ks.notify()
	}
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

// startStream opens s, whose slot on cc is reserved, for a request:
// HEADERS (and CONTINUATIONs), with END_STREAM when there is no body
// (8.1, 8.3.1); sendBody sends the body, if any.
func (cc *h2Conn) startStream(s *h2Stream, c *Client, u *url.URL, req *request, body []byte) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.reserved--
	s.slot = false
	if cc.closed || cc.goaway {
		if cc.closed && cc.err != nil && !errors.Is(cc.err, errH2Done) && !errors.Is(cc.err, errClientClosed) && !errors.Is(cc.err, errH2Idle) {
			return &h2Unprocessed{"connection failed before the request was sent: " + cc.err.Error()}
		}
		return &h2Unprocessed{"connection going away"}
	}
	s.id, s.method, s.recvAvail, s.sendWin, s.declLen, s.sending = cc.nextID, req.method, h2StreamWindow, cc.peerWin, -1, len(body) > 0
	s.removed = false
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
	return nil
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

// getH2 gives the fetch a stream of an HTTP/2 connection for key: on one
// with a free stream, or on a new one this fetch dials (offering h2 in
// ALPN), waiting while another fetch dials or every connection is full.
// It returns nil, nil when the origin speaks HTTP/1.1 or the client is
// closing, and the new connection itself when its ALPN chose HTTP/1.1.
func (st *fetchState) getH2(u *url.URL, key *poolKey) (conn, *Error) {
	cc, dial, waited, err := st.c.h2.acquire(st.ctx, *key)
	st.queued += waited
	switch {
	case errors.Is(err, errClientClosed):
		return nil, nil
	case err != nil:
		return nil, st.classify(PhaseNone, err)
	case dial:
		return st.dial(u, key, true)
	case cc == nil:
		return nil, nil // the origin spoke HTTP/1.1
	}
	return cc.newStream(), nil
}

// notH2 ends a dial for the HTTP/2 pool whose server chose HTTP/1.1 (or
// nothing) in ALPN: the pool remembers the origin as HTTP/1.1, and the
// connection serves the fetch as such, unless HTTP/2 is required.
func (st *fetchState) notH2(pc *persistConn) (conn, *Error) {
	c := st.c
	c.h2.dialDone(pc.key, nil, true)
	if c.cfg.HTTPVersion == HTTPVersionAuto {
		return pc, nil
	}
	st.done(pc, false)
	p := pc.proto
	if p == "" {
		p = "none"
	}
	return nil, &Error{Kind: KindTLS, Phase: PhaseTLS, URL: st.curURL,
		Err: fmt.Errorf("server does not speak HTTP/2 (ALPN chose %s; --http2 requires h2)", p)}
}

// startH2 makes an HTTP/2 connection of pc, whose server chose h2, for
// the pool, and returns its first stream, reserved for the dialer.
func (st *fetchState) startH2(pc *persistConn) (conn, *Error) {
	key := pc.key
	c := st.c
	// The socket now belongs to the connection, not to this fetch: a
	// cancel of the fetch ends its stream only.
	st.drop(pc)
	if pc.wc.stopped.Load() { // canceled during the handshake
		pc.close()
		c.h2.dialDone(key, nil, false)
		return nil, st.classify(PhaseTLS, os.ErrDeadlineExceeded)
	}
	pc.wc.Conn.SetDeadline(time.Time{})
	st.unhold() // dial.go: the server took the connection (its TLS answered)
	cc := newH2Conn(c.h2, pc, key)
	if c.cfg.NoKeepAlive { // no reuse: a connection per request
		cc.oneStream = true
	}
	c.h2.dialDone(key, cc, false)
	return cc.newStream(), nil
}

// roundTrip is the HTTP/2 exchange of conn: the stream opened with the
// request's HEADERS, its body sent, the response head awaited.
func (s *h2Stream) roundTrip(st *fetchState, u *url.URL, req *request) (*http.Response, *Error) {
	c := st.c
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
	if err := s.cc.startStream(s, c, u, req, body); err != nil {
		return nil, st.classify(PhaseRequest, err)
	}
	c.requests.Add(1)
	c.h2.streams.Add(1)
	if len(body) > 0 {
		st.setDeadline(s, 0)
		if err := s.sendBody(body); err != nil {
			return nil, st.classify(PhaseRequest, err)
		}
	}
	st.setDeadline(s, c.cfg.HeaderTimeout)
	resp, at, err := s.awaitHead()
	if err != nil {
		return nil, st.classify(PhaseHeader, err)
	}
	st.res.Timings.TTFB = at.Sub(st.start) - st.queued
	resp.Body = &s.body
	resp.Request = getRequest
	if req.method == "HEAD" {
		resp.Request = headRequest
	}
	return resp, nil
}
