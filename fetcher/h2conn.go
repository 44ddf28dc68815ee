package fetcher

// One HTTP/2 connection, client side, against RFC 9113. Section numbers
// in comments are RFC 9113's. Where each part of the RFC lives:
//
//	3.2 ALPN "h2", 3.3 prior knowledge   speak, dial (fetch.go), h2NextProtos (h2stream.go)
//	3.4 connection preface               newH2Conn; readFrames checks the server's
//	4.3 field section compression        onHeaders (x/net hpack; always decoded)
//	5.1 stream states and identifiers    startStream, removeLocked, idleStreamLocked
//	5.1.2 stream concurrency             reserve, h2Pool.acquire (h2.go)
//	5.4 error handling                   failStreamLocked (RST_STREAM), close, readError
//	5.5 extensions (unknown frames)      handle: ignored, counted
//	6.1 DATA                             onData
//	6.2 HEADERS, 6.10 CONTINUATION       onHeaders (bounded block)
//	6.3 PRIORITY                         handle: ignored, counted
//	6.4 RST_STREAM                       onReset; release sends CANCEL
//	6.5 SETTINGS                         onSettings; ours in newH2Conn
//	6.7 PING                             handle: answered
//	6.8 GOAWAY                           onGoAway
//	6.9 flow control, WINDOW_UPDATE      onData, h2Body.Read (refunds), sendBody, onWindowUpdate
//	8.1 message framing, trailers        onHeaders, endStreamLocked (Content-Length)
//	8.2.2 connection-specific fields     h2Field (reqhead.go), h2Response
//	8.3 pseudo-header fields             startStream, h2Response
//	8.4 server push                      disabled (SETTINGS_ENABLE_PUSH 0); PUSH_PROMISE is an error
//	8.7 request reliability              h2Unprocessed: GOAWAY, REFUSED_STREAM resent
//	10.5 denial of service               control, h2MaxHeaderFrames, outCheckLocked, windows
//
// Not done: a GOAWAY of ours before closing on an error (the socket just
// closes), PING of our own (a silent server is caught by the fetches'
// deadlines, and a stream that times out without a frame since it opened
// retires its connection), priorities.
//
// A known limit: a *tls.Conn's Read may write (a TLS 1.3 KeyUpdate from
// the server is answered at once) under its write lock; if the writer task
// holds that lock, parked in a socket write the server does not drain, the
// reader would block its hub's thread. OpenSSL-based servers (nginx, h2o)
// do not request a KeyUpdate unprompted.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Bounds of an HTTP/2 connection.
const (
	// h2StreamWindow is the flow-control window of each stream (6.9.2,
	// our SETTINGS_INITIAL_WINDOW_SIZE): the most body bytes a stream
	// buffers while its fetch does not read them.
	h2StreamWindow = 256 << 10
	// h2ConnWindow is the connection's window (6.9.1). DATA is refunded
	// to it on arrival, since the stream windows bound the memory.
	h2ConnWindow = 4 << 20
	// h2InitialMaxStreams is the streams opened before the server's
	// SETTINGS say how many it allows (5.1.2 recommends at least 100).
	h2InitialMaxStreams = 100
	// h2MaxHeaderFrames bounds the frames of one header block (HEADERS
	// and its CONTINUATIONs, 6.10): the CONTINUATION flood.
	h2MaxHeaderFrames = 64
	// h2MaxControlPerSecond bounds the control frames (SETTINGS, PING,
	// WINDOW_UPDATE, PRIORITY, RST_STREAM of closed streams, unknown
	// types, empty DATA) a server may send in a second (10.5).
	h2MaxControlPerSecond = 1000
	// h2MaxPendingOut bounds the bytes queued for the writer: a server
	// that makes us answer (PING, SETTINGS) but never reads is cut off.
	h2MaxPendingOut = 1 << 20
	// h2MaxStreamID is the largest stream identifier (5.1.1).
	h2MaxStreamID = 1<<31 - 1
)

// h2BufPool holds the body buffers of streams: most bodies fit one.
var h2BufPool = sync.Pool{New: func() any { b := make([]byte, h2BufSize); return &b }}

const h2BufSize = 16 << 10

var (
	errClientClosed = errors.New("client closed")
	errH2Idle       = errors.New("idle HTTP/2 connection closed")
	errH2Done       = errors.New("HTTP/2 connection closed after GOAWAY")
)

// h2Error is a protocol error of a connection or a stream: the code sent
// or received and what happened.
type h2Error struct {
	code   http2.ErrCode
	msg    string
	remote bool // the server sent the code (RST_STREAM, GOAWAY)
}

func (e *h2Error) Error() string {
	if e.remote {
		return "HTTP/2 " + e.msg + ": " + e.code.String()
	}
	return "HTTP/2 protocol error: " + e.msg + " (" + e.code.String() + ")"
}

// h2Unprocessed is a stream the server did not process: above a GOAWAY's
// last stream ID (6.8) or refused with REFUSED_STREAM (8.7). The request
// may be sent again, on another connection.
type h2Unprocessed struct{ why string }

func (e *h2Unprocessed) Error() string { return "HTTP/2 request not processed by the server: " + e.why }

// resendFresh is false: another stream, of any connection, will do.
func (e *h2Unprocessed) resendFresh() bool { return false }

// h2ConnClosed is the end of a connection under its open streams, as the
// transport failure it is (KindIO, or KindTimeout for a deadline).
type h2ConnClosed struct{ err error }

func (e *h2ConnClosed) Error() string { return "HTTP/2 connection failed: " + e.err.Error() }
func (e *h2ConnClosed) Unwrap() error { return e.err }

// outBuf collects frames for the writer.
type outBuf struct{ b []byte }

func (o *outBuf) Write(p []byte) (int, error) { o.b = append(o.b, p...); return len(p), nil }

// h2Conn is one HTTP/2 connection and its streams.
type h2Conn struct {
	pool   *h2Pool
	ks     *h2Key
	key    poolKey
	pc     *persistConn // the socket (pc.wc) and TLS (pc.conn)
	remote string

	// The reader's own.
	fr        *http2.Framer
	head      *headReader // what fr read first
	hdec      *hpack.Decoder
	fields    []hpack.HeaderField
	fieldSize int
	tooBig    bool
	gotFirst  bool
	ctlCount  int
	ctlStart  time.Time
	lastWire  int64

	framesIn atomic.Uint64 // frames read, for stall detection
	wev      scheduler.Event

	mu         sync.Mutex // guards what follows
	ob         outBuf     // frames for the writer
	spare      []byte     // the writer's last buffer, for reuse
	wfr        *http2.Framer
	henc       *hpack.Encoder
	hbuf       outBuf
	streams    map[uint32]*h2Stream
	nextID     uint32
	reserved   int // stream slots promised to fetches not yet started
	active     int // open streams (count against maxStreams)
	maxStreams uint32
	maxFrame   uint32
	recvAvail  int64 // connection window left for the server's DATA
	unacked    int64 // received, not yet refunded by WINDOW_UPDATE
	sendWin    int64 // our send window for request bodies (6.9.1)
	peerWin    int64 // the server's SETTINGS_INITIAL_WINDOW_SIZE (6.9.2)
	settings   bool  // the server's first SETTINGS arrived
	goaway     bool  // no new streams: GOAWAY received, or retired
	oneStream  bool  // Config.NoKeepAlive: retire after the first stream
	closed     bool
	err        error
	idleAt     time.Time
}

// newH2Conn starts HTTP/2 on pc, whose TLS (or prior knowledge) chose it,
// with one stream slot reserved for the dialer. The reader and writer run
// as tasks of the caller's hub, or as goroutines when the caller is one.
func newH2Conn(p *h2Pool, pc *persistConn, key poolKey) *h2Conn {
	cc := &h2Conn{
		pool: p, key: key, pc: pc, remote: pc.remote,
		streams: make(map[uint32]*h2Stream), nextID: 1, reserved: 1,
		maxStreams: h2InitialMaxStreams, maxFrame: 16384,
		recvAvail: h2ConnWindow, sendWin: 65535, peerWin: 65535, idleAt: time.Now(),
	}
	p.mu.Lock()
	cc.ks = p.key(key)
	p.mu.Unlock()
	var r io.Reader = pc.conn // a *tls.Conn buffers a record already
	if _, ok := pc.conn.(*tls.Conn); !ok {
		r = bufio.NewReaderSize(pc.conn, 16<<10)
	}
	cc.head = &headReader{r: r}
	cc.fr = http2.NewFramer(nil, cc.head)
	cc.hdec = hpack.NewDecoder(4096, cc.emit)
	cc.hdec.SetMaxStringLength(maxHeaderBytes)
	cc.wfr = http2.NewFramer(&cc.ob, nil)
	cc.henc = hpack.NewEncoder(&cc.hbuf)
	// The connection preface (3.4): the magic, our SETTINGS (6.5.2), and
	// a WINDOW_UPDATE that opens the connection window (6.9.2).
	cc.ob.b = append(cc.ob.b, http2.ClientPreface...)
	cc.wfr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderBytes},
	)
	cc.wfr.WriteWindowUpdate(0, h2ConnWindow-65535)
	if t := scheduler.Current(); t != nil && key.hub != nil {
		t.Hub().Spawn(func(*scheduler.Task) (any, error) { cc.readLoop(); return nil, nil })
		t.Hub().Spawn(func(*scheduler.Task) (any, error) { cc.writeLoop(); return nil, nil })
	} else {
		go cc.readLoop()
		go cc.writeLoop()
	}
	cc.wev.Set()
	return cc
}

// expired reports whether the pool should drop cc: closed, or idle longer
// than idle.
func (cc *h2Conn) expired(idle time.Duration) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.closed || (cc.active == 0 && cc.reserved == 0 && time.Since(cc.idleAt) > idle)
}

// reserve takes a stream slot on cc if the server allows one more stream.
// starting reports a connection whose server has not yet said how many.
func (cc *h2Conn) reserve() (ok, starting bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	starting = !cc.settings && !cc.closed && !cc.goaway
	limit := cc.maxStreams
	if !cc.settings {
		// Until the server says how many streams it allows, one: a burst
		// would meet a low limit with REFUSED_STREAM.
		limit = 1
	}
	if cc.closed || cc.goaway || uint32(cc.active+cc.reserved) >= limit ||
		uint64(cc.nextID)+2*uint64(cc.reserved) > h2MaxStreamID {
		return false, starting
	}
	cc.reserved++
	return true, starting
}

// retire takes cc out of service: no new streams; it closes when its last
// stream ends.
func (cc *h2Conn) retire() {
	cc.mu.Lock()
	cc.goaway = true
	done := cc.idleLocked()
	cc.mu.Unlock()
	cc.pool.remove(cc)
	if done {
		cc.close(errH2Done)
	}
}

// idleLocked reports whether cc, out of service, has no stream left.
func (cc *h2Conn) idleLocked() bool {
	return cc.goaway && !cc.closed && cc.active == 0 && cc.reserved == 0
}

// close ends cc: open streams fail with err, the socket closes, the pool
// forgets it. Safe from any goroutine, more than once.
func (cc *h2Conn) close(err error) {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return
	}
	cc.closed, cc.err = true, err
	var serr error = &h2ConnClosed{err}
	if he, ok := err.(*h2Error); ok {
		serr = he
	}
	for id, s := range cc.streams {
		if s.err == nil {
			s.err = serr
		}
		s.removed = true
		delete(cc.streams, id)
		s.ev.Set()
	}
	cc.active = 0
	cc.mu.Unlock()
	cc.wev.Set()
	cc.pc.wc.Conn.Close()
	cc.pool.remove(cc)
}

// writeLoop sends what the others queue in cc.ob, in order, until cc
// closes. It is the only writer of the socket.
func (cc *h2Conn) writeLoop() {
	defer cc.recoverLoop("writer")
	for {
		cc.wev.Clear()
		cc.mu.Lock()
		if cc.closed {
			cc.mu.Unlock()
			return
		}
		if len(cc.ob.b) == 0 {
			cc.mu.Unlock()
			if !cc.wev.Wait(0) {
				cc.close(scheduler.ErrKilled)
				return
			}
			continue
		}
		buf := cc.ob.b
		cc.ob.b = cc.spare[:0]
		cc.mu.Unlock()
		_, err := cc.pc.conn.Write(buf)
		cc.mu.Lock()
		cc.spare = buf
		cc.mu.Unlock()
		if err != nil {
			cc.close(err)
			return
		}
	}
}

// queued wakes the writer; called after frames were added to cc.ob.
func (cc *h2Conn) queued() { cc.wev.Set() }

// readLoop reads and handles frames until the connection ends.
func (cc *h2Conn) readLoop() {
	defer cc.recoverLoop("reader")
	cc.close(cc.readFrames())
}

// recoverLoop turns a panic of the reader or the writer (a bug) into the
// end of the connection, so that its streams fail instead of waiting.
func (cc *h2Conn) recoverLoop(which string) {
	if p := recover(); p != nil {
		cc.close(&h2Error{code: http2.ErrCodeInternal, msg: fmt.Sprintf("internal error: panic in the connection's %s: %v", which, p)})
	}
}

func (cc *h2Conn) readFrames() error {
	for {
		f, err := cc.fr.ReadFrame()
		cc.countWire()
		if err != nil && !cc.gotFirst {
			if herr := cc.head.http1(); herr != nil {
				return herr
			}
			if herr := cc.head.notHTTP2(); herr != nil {
				return herr
			}
		}
		if err != nil {
			if se, ok := err.(http2.StreamError); ok {
				// A frame malformed for its stream only (padding, a zero
				// WINDOW_UPDATE increment): that stream ends (5.4.2).
				if err := cc.control(); err != nil {
					return err
				}
				cc.streamError(se.StreamID, &h2Error{code: se.Code, msg: streamErrorText(se, cc.fr)}, se.Code)
				continue
			}
			return cc.readError(err)
		}
		cc.framesIn.Add(1)
		if !cc.gotFirst {
			// 3.4: the server's preface is a SETTINGS frame.
			if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
				return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("server preface is a %s frame, not SETTINGS", f.Header().Type)}
			}
			cc.gotFirst = true
		}
		if err := cc.handle(f); err != nil {
			return err
		}
	}
}

// headReader keeps the first bytes of a connection read through it, so
// that a server that answers the preface in HTTP/1 can be named as one.
type headReader struct {
	r    io.Reader
	head []byte
}

const headKept = 128

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if len(h.head) < headKept {
		h.head = append(h.head, p[:min(n, headKept-len(h.head))]...)
	}
	return n, err
}

// http1 returns the error for a server that answered in HTTP/1 (with
// its status line), or nil.
func (h *headReader) http1() error {
	if !bytes.HasPrefix(h.head, []byte("HTTP/1.")) {
		return nil
	}
	line := h.head
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("the server answered in HTTP/1 (%q), not HTTP/2: it does not speak HTTP/2 with prior knowledge on this port", line)}
}

// notHTTP2 returns the error for a server whose first bytes cannot
// begin HTTP/2's server preface, a SETTINGS frame (3.4): its length's
// first byte is 0 (a SETTINGS payload is far below 64 KiB) and its type 4.
// A bare body or a banner is not HTTP/2; nil when nothing came, or too
// little to tell.
func (h *headReader) notHTTP2() error {
	b := h.head
	if len(b) == 0 || (b[0] == 0 && (len(b) < 4 || b[3] == byte(http2.FrameSettings))) {
		return nil
	}
	shown := b[:min(len(b), 32)]
	return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("the server answered with bytes that begin no HTTP/2 frame (%q), not HTTP/2: it does not speak HTTP/2 with prior knowledge on this port", shown)}
}

// readError turns the framer's error into the connection's end.
func (cc *h2Conn) readError(err error) error {
	var ce http2.ConnectionError
	switch {
	case errors.As(err, &ce):
		msg := "malformed frame"
		if d := cc.fr.ErrorDetail(); d != nil {
			msg = d.Error()
		}
		return &h2Error{code: http2.ErrCode(ce), msg: msg}
	case errors.Is(err, http2.ErrFrameTooLarge):
		return &h2Error{code: http2.ErrCodeFrameSize, msg: "frame larger than SETTINGS_MAX_FRAME_SIZE (16384)"}
	}
	return err
}

func streamErrorText(se http2.StreamError, fr *http2.Framer) string {
	if se.Cause != nil {
		return fmt.Sprintf("stream %d: %v", se.StreamID, se.Cause)
	}
	if d := fr.ErrorDetail(); d != nil {
		return fmt.Sprintf("stream %d: %v", se.StreamID, d)
	}
	return fmt.Sprintf("malformed frame on stream %d", se.StreamID)
}

// countWire adds the bytes read off the socket since the last call to the
// client's total.
func (cc *h2Conn) countWire() {
	if n := cc.pc.wc.nread; n != cc.lastWire {
		cc.pool.c.wire.Add(n - cc.lastWire)
		cc.lastWire = n
	}
}

// control counts a control frame against h2MaxControlPerSecond (10.5:
// SETTINGS, PING and other floods).
func (cc *h2Conn) control() error {
	now := time.Now()
	if now.Sub(cc.ctlStart) > time.Second {
		cc.ctlStart, cc.ctlCount = now, 0
	}
	cc.ctlCount++
	if cc.ctlCount > h2MaxControlPerSecond {
		return &h2Error{code: http2.ErrCodeEnhanceYourCalm, msg: fmt.Sprintf("server sent more than %d control frames in a second (a SETTINGS, PING or RST_STREAM flood)", h2MaxControlPerSecond)}
	}
	return nil
}

// handle acts on one frame (section 6, frame by frame).
func (cc *h2Conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return cc.onData(f)
	case *http2.HeadersFrame:
		return cc.onHeaders(f)
	case *http2.SettingsFrame:
		if err := cc.control(); err != nil {
			return err
		}
		return cc.onSettings(f)
	case *http2.PingFrame:
		// 6.7: answer a PING with the same payload, ACK set.
		if err := cc.control(); err != nil {
			return err
		}
		if !f.IsAck() {
			cc.mu.Lock()
			cc.wfr.WritePing(true, f.Data)
			err := cc.outCheckLocked()
			cc.mu.Unlock()
			cc.queued()
			return err
		}
	case *http2.GoAwayFrame:
		return cc.onGoAway(f)
	case *http2.RSTStreamFrame:
		return cc.onReset(f)
	case *http2.WindowUpdateFrame:
		if err := cc.control(); err != nil {
			return err
		}
		return cc.onWindowUpdate(f)
	case *http2.PushPromiseFrame:
		// 8.4: push is disabled by our SETTINGS_ENABLE_PUSH 0.
		return &h2Error{code: http2.ErrCodeProtocol, msg: "server sent PUSH_PROMISE though push is disabled"}
	default:
		// PRIORITY (6.3, deprecated), unknown types (5.5): ignored, but
		// counted.
		return cc.control()
	}
	return nil
}

// outCheckLocked fails the connection when the server makes us queue more
// than h2MaxPendingOut bytes without reading them.
func (cc *h2Conn) outCheckLocked() error {
	if len(cc.ob.b) > h2MaxPendingOut {
		return &h2Error{code: http2.ErrCodeEnhanceYourCalm, msg: fmt.Sprintf("server does not read our frames (%d bytes queued)", len(cc.ob.b))}
	}
	return nil
}

// onSettings applies the server's SETTINGS (6.5) and acknowledges them.
func (cc *h2Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	cc.mu.Lock()
	more := !cc.settings
	cc.settings = true
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			code := http2.ErrCodeProtocol
			if ce, ok := err.(http2.ConnectionError); ok {
				code = http2.ErrCode(ce)
			}
			return &h2Error{code: code, msg: fmt.Sprintf("invalid setting %v", s)}
		}
		switch s.ID {
		case http2.SettingEnablePush:
			if s.Val != 0 { // 6.5.2: a server must not set it to 1
				return &h2Error{code: http2.ErrCodeProtocol, msg: "server set SETTINGS_ENABLE_PUSH to 1"}
			}
		case http2.SettingMaxConcurrentStreams:
			more = more || s.Val > cc.maxStreams
			cc.maxStreams = s.Val
		case http2.SettingMaxFrameSize:
			cc.maxFrame = s.Val
		case http2.SettingHeaderTableSize:
			cc.henc.SetMaxDynamicTableSizeLimit(s.Val)
		case http2.SettingInitialWindowSize:
			// 6.9.2: the change applies to every open stream's window.
			delta := int64(s.Val) - cc.peerWin
			cc.peerWin = int64(s.Val)
			for _, st := range cc.streams {
				st.sendWin += delta
				if st.sendWin > h2MaxStreamID {
					return &h2Error{code: http2.ErrCodeFlowControl, msg: "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window"}
				}
				st.ev.Set()
			}
		}
		return nil
	})
	if err == nil {
		cc.wfr.WriteSettingsAck()
		err = cc.outCheckLocked()
	}
	cc.mu.Unlock()
	cc.queued()
	if more {
		cc.ks.notify()
	}
	return err
}

// onGoAway ends the streams the server will not process (6.8): those above
// its last stream ID fail as unprocessed (and are sent again elsewhere);
// the others finish. No new stream goes on cc.
func (cc *h2Conn) onGoAway(f *http2.GoAwayFrame) error {
	cc.mu.Lock()
	cc.goaway = true
	for id, s := range cc.streams {
		if id > f.LastStreamID {
			s.err = &h2Unprocessed{fmt.Sprintf("GOAWAY (%v) with last stream %d", f.ErrCode, f.LastStreamID)}
			cc.removeLocked(s)
			s.ev.Set()
		}
	}
	done := cc.idleLocked()
	cc.mu.Unlock()
	cc.pool.remove(cc)
	if done {
		return errH2Done
	}
	return nil
}

// onReset ends one stream as the server asked (6.4); REFUSED_STREAM means
// it was not processed (8.7).
func (cc *h2Conn) onReset(f *http2.RSTStreamFrame) error {
	cc.mu.Lock()
	s := cc.streams[f.StreamID]
	if s == nil {
		idle := cc.idleStreamLocked(f.StreamID)
		cc.mu.Unlock()
		if idle {
			return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("server sent RST_STREAM on stream %d, which the client never opened", f.StreamID)}
		}
		return cc.control()
	}
	if f.ErrCode == http2.ErrCodeRefusedStream {
		s.err = &h2Unprocessed{"stream refused (REFUSED_STREAM)"}
	} else {
		s.err = &h2Error{code: f.ErrCode, msg: "stream reset by the server", remote: true}
	}
	cc.removeLocked(s)
	s.ev.Set()
	done := cc.idleLocked()
	cc.mu.Unlock()
	if done {
		return errH2Done
	}
	return nil
}

// onWindowUpdate takes the server's credit for our request bodies (6.9.1)
// and wakes the streams that wait for it.
func (cc *h2Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if f.StreamID == 0 {
		cc.sendWin += int64(f.Increment)
		if cc.sendWin > h2MaxStreamID {
			return &h2Error{code: http2.ErrCodeFlowControl, msg: "WINDOW_UPDATE overflows the connection window"}
		}
		for _, s := range cc.streams {
			if s.sending {
				s.ev.Set()
			}
		}
		return nil
	}
	s := cc.streams[f.StreamID]
	if s == nil {
		if cc.idleStreamLocked(f.StreamID) {
			return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("server sent WINDOW_UPDATE on stream %d, which the client never opened", f.StreamID)}
		}
		return nil
	}
	s.sendWin += int64(f.Increment)
	if s.sendWin > h2MaxStreamID {
		cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeFlowControl, msg: "WINDOW_UPDATE overflows the stream window"}, http2.ErrCodeFlowControl)
	}
	s.ev.Set()
	return nil
}

// idleStreamLocked reports whether id names a stream the client never
// opened (5.1: even IDs are the server's, and push is off).
func (cc *h2Conn) idleStreamLocked(id uint32) bool {
	return id%2 == 0 || id >= cc.nextID
}

// onData takes a DATA frame (6.1) within the flow-control windows (6.9).
func (cc *h2Conn) onData(f *http2.DataFrame) error {
	data := f.Data()
	if len(data) == 0 && !f.StreamEnded() {
		if err := cc.control(); err != nil {
			return err
		}
	}
	n := int64(f.Header().Length) // padding counts against the windows
	cc.mu.Lock()
	if n > cc.recvAvail {
		cc.mu.Unlock()
		return &h2Error{code: http2.ErrCodeFlowControl, msg: fmt.Sprintf("server sent DATA beyond the connection's flow-control window (%d bytes over)", n-cc.recvAvail)}
	}
	cc.recvAvail -= n
	cc.unacked += n
	if cc.unacked >= h2ConnWindow/4 {
		cc.wfr.WriteWindowUpdate(0, uint32(cc.unacked))
		cc.recvAvail += cc.unacked
		cc.unacked = 0
		defer cc.queued()
	}
	s := cc.streams[f.StreamID]
	if s == nil {
		idle := cc.idleStreamLocked(f.StreamID)
		cc.mu.Unlock()
		if idle {
			return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("server sent DATA on stream %d, which the client never opened", f.StreamID)}
		}
		return nil // a stream we reset: dropped
	}
	defer cc.mu.Unlock()
	s.wire += n + 9
	switch {
	case n > s.recvAvail:
		cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeFlowControl, msg: fmt.Sprintf("server sent DATA beyond the stream's flow-control window (%d bytes over)", n-s.recvAvail)}, http2.ErrCodeFlowControl)
		return nil
	case s.head == nil:
		cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeProtocol, msg: "DATA before the response head"}, http2.ErrCodeProtocol)
		return nil
	}
	s.recvAvail -= n
	s.unacked += n - int64(len(data)) // padding is refunded with the body
	s.got += int64(len(data))
	if s.declLen >= 0 && s.got > s.declLen {
		cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("more DATA than the Content-Length of %d", s.declLen)}, http2.ErrCodeProtocol)
		return nil
	}
	if s.off > 0 && s.off >= len(s.buf)/2 { // keep the buffer within the window
		s.buf = s.buf[:copy(s.buf, s.buf[s.off:])]
		s.off = 0
	}
	if s.buf == nil && len(data) > 0 && len(data) <= h2BufSize {
		s.buf = (*h2BufPool.Get().(*[]byte))[:0]
	}
	s.buf = append(s.buf, data...)
	if f.StreamEnded() {
		cc.endStreamLocked(s)
	}
	s.ev.Set()
	return nil
}

// emit collects a decoded header field, within maxHeaderBytes (the size
// of 6.5.2's SETTINGS_MAX_HEADER_LIST_SIZE: name, value, 32 each).
func (cc *h2Conn) emit(hf hpack.HeaderField) {
	cc.fieldSize += int(hf.Size())
	if cc.fieldSize > maxHeaderBytes {
		cc.tooBig = true
		return
	}
	cc.fields = append(cc.fields, hf)
}

// onHeaders reads a whole header block (HEADERS and its CONTINUATIONs,
// 4.3, 6.2, 6.10), bounded in frames and bytes, decodes it (always: the
// HPACK state is the connection's), and gives it to its stream.
func (cc *h2Conn) onHeaders(f *http2.HeadersFrame) error {
	cc.fields, cc.fieldSize, cc.tooBig = cc.fields[:0], 0, false
	frag := f.HeaderBlockFragment()
	frames, size := 1, int64(len(frag))
	wire := int64(f.Header().Length) + 9
	if _, err := cc.hdec.Write(frag); err != nil {
		return &h2Error{code: http2.ErrCodeCompression, msg: "bad HPACK header block: " + err.Error()}
	}
	for ended := f.HeadersEnded(); !ended; {
		cf, err := cc.fr.ReadFrame()
		cc.countWire()
		if err != nil {
			return cc.readError(err)
		}
		c, ok := cf.(*http2.ContinuationFrame) // the framer checks the order (6.10)
		if !ok {
			return &h2Error{code: http2.ErrCodeProtocol, msg: "header block not continued by CONTINUATION"}
		}
		frames++
		size += int64(len(c.HeaderBlockFragment()))
		wire += int64(c.Header().Length) + 9
		if frames > h2MaxHeaderFrames {
			return &h2Error{code: http2.ErrCodeEnhanceYourCalm, msg: fmt.Sprintf("header block in more than %d frames (CONTINUATION flood)", h2MaxHeaderFrames)}
		}
		if size > 2*maxHeaderBytes {
			return &h2Error{code: http2.ErrCodeEnhanceYourCalm, msg: fmt.Sprintf("header block larger than %d bytes", 2*maxHeaderBytes)}
		}
		if _, err := cc.hdec.Write(c.HeaderBlockFragment()); err != nil {
			return &h2Error{code: http2.ErrCodeCompression, msg: "bad HPACK header block: " + err.Error()}
		}
		ended = c.HeadersEnded()
	}
	if err := cc.hdec.Close(); err != nil {
		return &h2Error{code: http2.ErrCodeCompression, msg: "truncated HPACK header block: " + err.Error()}
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	s := cc.streams[f.StreamID]
	if s == nil {
		if cc.idleStreamLocked(f.StreamID) {
			return &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("server sent HEADERS on stream %d, which the client never opened", f.StreamID)}
		}
		return nil // a stream we reset: decoded for the HPACK state only
	}
	s.wire += wire
	if cc.tooBig {
		cc.failStreamLocked(s, errHeaderTooLarge, http2.ErrCodeCancel)
		return nil
	}
	if s.head != nil {
		// Trailers (8.1): they end the stream; their fields are dropped.
		if !f.StreamEnded() {
			cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeProtocol, msg: "second header block without END_STREAM"}, http2.ErrCodeProtocol)
			return nil
		}
		cc.endStreamLocked(s)
		s.ev.Set()
		return nil
	}
	resp := &s.resp // the stream's own: one allocation less per request
	err := h2Response(cc.fields, resp)
	if err != nil {
		cc.failStreamLocked(s, &h2Error{code: http2.ErrCodeProtocol, msg: "malformed response: " + err.Error()}, http2.ErrCodeProtocol)
		return nil
	}
	if resp.StatusCode < 200 {
		// Interim responses (8.1): skipped, within a bound.
		s.interim++
		var serr error
		switch {
		case resp.StatusCode == 101:
			serr = &h2Error{code: http2.ErrCodeProtocol, msg: "101 response (not allowed in HTTP/2, 8.6)"}
		case f.StreamEnded():
			serr = &h2Error{code: http2.ErrCodeProtocol, msg: "interim response with END_STREAM"}
		case s.interim > maxInfoResponses:
			serr = errTooManyInfo
		}
		if serr != nil {
			cc.failStreamLocked(s, serr, http2.ErrCodeProtocol)
		}
		return nil
	}
	s.head, s.headAt = resp, time.Now()
	if s.method != "HEAD" && resp.StatusCode != 204 && resp.StatusCode != 304 {
		s.declLen = resp.ContentLength
	}
	if f.StreamEnded() {
		cc.endStreamLocked(s)
	}
	s.ev.Set()
	return nil
}

// h2Response checks a response header block (8.3.2, 8.2) and makes the
// response head of it.
func h2Response(fields []hpack.HeaderField, resp *http.Response) error {
	*resp = http.Response{Proto: protoHTTP2, ProtoMajor: 2, Header: make(http.Header, len(fields)), ContentLength: -1}
	status, regular := "", false
	vals := make([]string, len(fields)) // one array under the values
	for _, hf := range fields {
		if strings.HasPrefix(hf.Name, ":") {
			if regular {
				return fmt.Errorf("pseudo-header %s after a regular field", hf.Name)
			}
			if hf.Name != ":status" || status != "" {
				return fmt.Errorf("unexpected pseudo-header %s", hf.Name)
			}
			status = hf.Value
			continue
		}
		regular = true
		if !httpguts.ValidHeaderFieldName(hf.Name) || strings.ToLower(hf.Name) != hf.Name {
			return fmt.Errorf("invalid field name %q", hf.Name)
		}
		if !httpguts.ValidHeaderFieldValue(hf.Value) {
			return fmt.Errorf("invalid value of field %s", hf.Name)
		}
		switch hf.Name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return fmt.Errorf("connection-specific field %s", hf.Name)
		}
		key := http.CanonicalHeaderKey(hf.Name)
		if v, ok := resp.Header[key]; ok {
			resp.Header[key] = append(v, hf.Value)
		} else {
			vals[0] = hf.Value
			resp.Header[key] = vals[:1:1]
			vals = vals[1:]
		}
	}
	code, err := strconv.Atoi(status)
	if len(status) != 3 || err != nil || code < 100 {
		return fmt.Errorf("bad :status %q", status)
	}
	resp.StatusCode = code
	resp.Status = status + " " + http.StatusText(code)
	if cl := resp.Header.Values("Content-Length"); len(cl) > 0 {
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad Content-Length %q", cl[0])
		}
		for _, v := range cl[1:] {
			if v != cl[0] {
				return fmt.Errorf("conflicting Content-Length values %q and %q", cl[0], v)
			}
		}
		resp.ContentLength = n
	}
	return nil
}

// endStreamLocked marks s ended by the server (END_STREAM, 8.1): its body
// is complete, and it no longer counts against the server's limit.
func (cc *h2Conn) endStreamLocked(s *h2Stream) {
	if s.declLen >= 0 && s.got != s.declLen {
		s.err = &h2Error{code: http2.ErrCodeProtocol, msg: fmt.Sprintf("body of %d bytes, Content-Length said %d", s.got, s.declLen)}
	}
	s.endStream = true
	cc.removeLocked(s)
}

// failStreamLocked ends s with err and resets it with code (5.4.2).
func (cc *h2Conn) failStreamLocked(s *h2Stream, err error, code http2.ErrCode) {
	if s.err == nil {
		s.err = err
	}
	if !s.removed {
		cc.wfr.WriteRSTStream(s.id, code)
		cc.removeLocked(s)
		defer cc.queued()
	}
	s.ev.Set()
}

// removeLocked takes s out of the open streams; its slot frees.
func (cc *h2Conn) removeLocked(s *h2Stream) {
	if s.removed {
		return
	}
	s.removed = true
	delete(cc.streams, s.id)
	cc.active--
	if cc.active == 0 {
		cc.idleAt = time.Now()
	}
	cc.ks.notify()
}

// streamError ends stream id, if open, with err (a framer's StreamError).
func (cc *h2Conn) streamError(id uint32, err error, code http2.ErrCode) {
	cc.mu.Lock()
	if s := cc.streams[id]; s != nil {
		cc.failStreamLocked(s, err, code)
	}
	cc.mu.Unlock()
}
