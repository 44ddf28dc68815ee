package fetcher

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// conn is what a fetch holds while it makes one request and reads the
// answer: an HTTP/1.1 connection (persistConn) or an HTTP/2 stream
// (h2Stream). Which one is chosen once per connection, after the TLS
// handshake, by ALPN (fetchState.speak), as net/http's persistConn.alt is;
// getConn gives a fetch the conn of its next attempt. A conn serves one
// fetch at a time. A third protocol is one more implementation and one
// more case in speak.
type conn interface {
	// roundTrip sends req for u and reads the response head; the body
	// follows on the conn. A request the server did not process fails
	// with a notProcessed error, to be sent again.
	roundTrip(st *fetchState, u *url.URL, req *request) (*http.Response, *Error)
	// setDeadline bounds every wait on the conn by t, and each wait for
	// more body bytes by idle too when idle > 0 (Config.IdleReadTimeout).
	setDeadline(t time.Time, idle time.Duration)
	// stop ends every wait on the conn, now and later: its fetch was
	// canceled or ran out of time. Safe from any goroutine.
	stop()
	// release ends the fetch's use of the conn: kept for the next
	// request when clean (the response's body read to its very end) and
	// the protocol allows, closed (or reset) otherwise; keep bounds the
	// idle connections of its origin (0: the pool's bound). It returns
	// the bytes the fetch read off the wire.
	release(c *Client, clean bool, keep int) int64
	// cause is the cause of err, an error met reading the response.
	cause(err error) error
	// remoteAddr is the server's address (Result.RemoteAddr).
	remoteAddr() string
	// ref is the conn itself as an interface value at a fixed address
	// (a field set when it is made): what fetchState.cur points to, so
	// that a cancel finds the fetch's conn with one atomic load, without
	// a lock or an allocation.
	ref() *conn
}

var (
	_ conn = (*persistConn)(nil)
	_ conn = (*h2Stream)(nil)
)

// notProcessed is implemented by the errors of requests that the server
// did not process, which may be sent again whatever their method:
// resendFresh says that the next attempt must go on a new connection.
type notProcessed interface{ resendFresh() bool }

// maxResends bounds how often a request that the server did not process
// is sent again.
const maxResends = 5

// getConn returns the conn the next attempt at u (key) goes on when
// the fetch need not dial one itself: a stream of an HTTP/2 connection
// when HTTP/2 may be spoken there (Client.mayH2; getH2 may dial one for
// the pool), else a kept-alive HTTP/1.1 connection. nil, nil says that
// the fetch dials (fetchState.dial), as it does when fresh asks for a new
// HTTP/1.1 connection.
func (st *fetchState) getConn(u *url.URL, key *poolKey, fresh bool) (conn, *Error) {
	c := st.c
	if fresh {
		return nil, nil
	}
	if c.mayH2(u, key.proxy) {
		if cn, ferr := st.getH2(u, key); cn != nil || ferr != nil { // h2stream.go
			return cn, ferr
		}
	}
	if pc := c.pool.get(*key); pc != nil {
		pc.mark, pc.reused = pc.wc.nread, true
		c.reused.Add(1)
		return pc, nil
	}
	return nil, nil
}

// mayH2 reports whether a request for u through proxy p may go over HTTP/2
// (Config.HTTPVersion): https URLs unless HTTP/1.1 is asked for, http
// URLs with prior knowledge; never to an HTTP proxy in absolute form
// (https URLs through its CONNECT tunnel may).
func (c *Client) mayH2(u *url.URL, p *proxySpec) bool {
	switch mode := c.cfg.HTTPVersion; {
	case mode == HTTPVersion1, u.Scheme == "http" && mode != HTTPVersion2PriorKnowledge:
		return false
	}
	return p == nil || !p.httpLike() || u.Scheme != "http"
}

// Bounds of the wire.
const (
	// maxHeaderBytes bounds the bytes read off a connection while waiting
	// for a response head (net/http's client allows 10 MB; a fetcher of
	// many URLs keeps it smaller).
	maxHeaderBytes = 256 << 10
	// maxInfoResponses bounds the 1xx responses skipped before the final
	// one (net/http allows 5).
	maxInfoResponses = 5
	// readBufferSize is the read buffer of a connection when thousands
	// wait at once (Client.lazyReader): net/http's size.
	readBufferSize = 4 << 10
	// bigReadBufferSize is the read buffer otherwise: a small response
	// (head and body) comes off the socket in one read.
	bigReadBufferSize = 16 << 10
	// maxDrain is how much of an unwanted body (a redirect's, a retried
	// answer's) is read to keep the connection; a longer one closes it.
	maxDrain = 64 << 10
)

// poolKey names the connections that may serve a request: same hub (nil
// for connections dialed by goroutines), same scheme, same host and port.
type poolKey struct {
	hub    *scheduler.Hub
	scheme string
	addr   string     // host:port, lowercase
	proxy  *proxySpec // the proxy the connection goes through; nil: direct
}

// wireConn wraps the socket: it counts the bytes read off it, bounds them
// while a response head is read, and gives each read its own deadline when
// an idle-read timeout is set.
type wireConn struct {
	net.Conn
	nread  int64         // bytes read off the socket since it was dialed
	eof    bool          // the peer closed its side (a Read gave io.EOF)
	rerr   error         // the last error of a Read, io.EOF aside (a deadline, a reset)
	budget int64         // >= 0: bytes left before errHeaderTooLarge; < 0: no bound
	idle   time.Duration // > 0: each Read first sets a deadline of min(now+idle, limit)
	limit  time.Time     // the overall deadline of the fetch using the conn

	stopped atomic.Bool // set by stop, from any goroutine: every wait ends at once
}

// stop ends every wait on the conn, now and later: the fetch using it was
// canceled or ran out of time. Safe from any goroutine.
func (c *wireConn) stop() {
	c.stopped.Store(true)
	c.Conn.SetDeadline(aLongTimeAgo)
}

func (c *wireConn) Read(p []byte) (int, error) {
	if c.budget >= 0 {
		if c.budget == 0 {
			return 0, errHeaderTooLarge
		}
		if int64(len(p)) > c.budget {
			p = p[:c.budget]
		}
	}
	c.armIdle()
	n, err := c.Conn.Read(p)
	c.nread += int64(n)
	if err == io.EOF {
		c.eof = true
	} else if err != nil {
		c.rerr = err
	}
	if c.budget >= 0 {
		c.budget -= int64(n)
	}
	return n, err
}

// armIdle gives the next read, or wait for one, its own deadline of
// min(now+idle, limit) when an idle-read timeout is set.
func (c *wireConn) armIdle() {
	if c.idle <= 0 {
		return
	}
	d := time.Now().Add(c.idle)
	if d.After(c.limit) {
		d = c.limit
	}
	c.Conn.SetReadDeadline(d)
	if c.stopped.Load() {
		c.Conn.SetReadDeadline(aLongTimeAgo)
	}
}

// readWaiter is a connection that can wait for its answer without reading
// it (*scheduler.Conn).
type readWaiter interface{ WaitRead() error }

// waitRead waits, as Read would before reading, until c's connection has
// something to read. It reports false, having waited for nothing, when the
// connection cannot wait without reading.
func (c *wireConn) waitRead() (bool, error) {
	w, ok := c.Conn.(readWaiter)
	if !ok {
		return false, nil
	}
	c.armIdle()
	err := w.WaitRead()
	if err != nil {
		c.rerr = err
	}
	return true, err
}

// prefixReader gives back the one byte read while waiting for a response
// (before a read buffer was taken for the connection), then reads on.
type prefixReader struct {
	r       io.Reader
	b       [1]byte
	pending bool
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.pending {
		if len(b) == 0 {
			return 0, nil
		}
		b[0] = p.b[0]
		p.pending = false
		return 1, nil
	}
	return p.r.Read(b)
}

// persistConn is one connection: its socket, and what HTTP/1.1 and reuse
// need. As an HTTP/1.1 connection (a conn) it is used by one fetch at a
// time; the pool hands it over. When its server chooses h2, it is the
// socket of an h2Conn and no fetch holds it.
type persistConn struct {
	key     poolKey
	wc      wireConn
	conn    net.Conn      // &wc, or a *tls.Conn over it
	br      *bufio.Reader // while a response is read; nil when idle
	pr      prefixReader
	remote  string
	proto   string // what the server chose in ALPN ("" for none; "h2" by prior knowledge too)
	idleAt  time.Time
	mark    int64 // wc.nread when the current fetch took the conn
	reused  bool  // the current fetch took the conn from the pool
	closing bool  // the last response asked to close the connection
	me      conn  // pc itself (ref)
}

// takeReader attaches a pooled read buffer to pc, after the first response
// byte arrived: a connection waiting for its answer holds no buffer.
func (pc *persistConn) takeReader(big bool) *bufio.Reader {
	if pc.br == nil {
		pc.pr.r = pc.conn
		pool, size := &bufioPool, readBufferSize
		if big {
			pool, size = &bigBufioPool, bigReadBufferSize
		}
		if v := pool.Get(); v != nil {
			pc.br = v.(*bufio.Reader)
			pc.br.Reset(&pc.pr)
		} else {
			pc.br = bufio.NewReaderSize(&pc.pr, size)
		}
	}
	return pc.br
}

// dropReader returns the read buffer to its pool.
func (pc *persistConn) dropReader() {
	if pc.br != nil {
		pc.br.Reset(nil)
		if pc.br.Size() == bigReadBufferSize {
			bigBufioPool.Put(pc.br)
		} else {
			bufioPool.Put(pc.br)
		}
		pc.br = nil
	}
}

func (pc *persistConn) close() {
	pc.dropReader()
	pc.wc.Conn.Close()
}

// Pools of read buffers, by size.
var bufioPool, bigBufioPool sync.Pool // of *bufio.Reader
