package fetcher

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

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

// persistConn is one connection and what reuse needs. It is used by one
// fetch at a time; the pool hands it over.
type persistConn struct {
	key    poolKey
	wc     wireConn
	conn   net.Conn      // &wc, or a *tls.Conn over it
	br     *bufio.Reader // while a response is read; nil when idle
	pr     prefixReader
	remote string
	idleAt time.Time
	mark   int64     // wc.nread when the current fetch took the conn
	h2s    *h2Stream // an HTTP/2 stream standing for a connection (h2stream.go); wc unused
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

// connPool keeps idle connections per poolKey: at most maxPerKey each and
// maxTotal in all, for at most idleTimeout. Expired connections are closed
// when their key is next used, when a full pool makes room, or when the
// pool closes; a crawl over many hosts thus never holds more than maxTotal
// idle sockets. Safe for concurrent use; mu guards everything below it.
type connPool struct {
	maxPerKey   int
	maxTotal    int
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   map[poolKey][]*persistConn // oldest first
	spare  []*persistConn             // empty, the array of a key's list that emptied
	total  int
	closed bool
}

func newConnPool(maxPerKey, maxTotal int, idleTimeout time.Duration) *connPool {
	return &connPool{maxPerKey: maxPerKey, maxTotal: maxTotal, idleTimeout: idleTimeout, idle: make(map[poolKey][]*persistConn)}
}

// get returns the most recently idled live connection for key, or nil.
func (p *connPool) get(key poolKey) *persistConn {
	var stale []*persistConn
	var pc *persistConn
	now := time.Now()
	p.mu.Lock()
	list := p.idle[key]
	for len(list) > 0 {
		c := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		if now.Sub(c.idleAt) < p.idleTimeout {
			pc = c
			break
		}
		stale = append(stale, c)
	}
	p.total -= len(p.idle[key]) - len(list)
	if len(list) == 0 {
		delete(p.idle, key)
		if cap(list) > 0 {
			p.spare = list // its array serves the next key to get an idle list
		}
	} else {
		p.idle[key] = list
	}
	p.mu.Unlock()
	for _, c := range stale {
		c.close()
	}
	return pc
}

// put keeps pc for reuse, or closes it when the pool is closed or its key
// is full: it has maxPerKey idle connections, or keep when keep > 0. When
// the whole pool is full, the oldest idle connection of some key makes
// room.
func (p *connPool) put(pc *persistConn, keep int) {
	if p.maxPerKey < 0 {
		pc.close()
		return
	}
	pc.dropReader()
	pc.idleAt = time.Now()
	var evict *persistConn
	p.mu.Lock()
	list := p.idle[pc.key]
	if keep <= 0 {
		keep = p.maxPerKey
	}
	if p.closed || len(list) >= keep {
		p.mu.Unlock()
		pc.close()
		return
	}
	if p.total >= p.maxTotal {
		for k, l := range p.idle { // some key, as the map gives it
			evict = l[0]
			if len(l) == 1 {
				delete(p.idle, k)
			} else {
				l[0] = nil
				p.idle[k] = l[1:]
			}
			p.total--
			break
		}
		list = p.idle[pc.key]
	}
	if list == nil && p.spare != nil {
		list, p.spare = p.spare, nil
	}
	p.idle[pc.key] = append(list, pc)
	p.total++
	p.mu.Unlock()
	if evict != nil {
		evict.close()
	}
}

// closeAll closes every idle connection and stops keeping new ones.
func (p *connPool) closeAll() {
	p.mu.Lock()
	all := p.idle
	p.idle = make(map[poolKey][]*persistConn)
	p.total = 0
	p.closed = true
	p.mu.Unlock()
	for _, list := range all {
		for _, pc := range list {
			pc.close()
		}
	}
}
