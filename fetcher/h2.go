package fetcher

// HTTP/2 (RFC 9113) for the fetcher: which protocol a fetch speaks, and the
// pool of HTTP/2 connections that many fetches share.
//
// Files:
//
//   - h2.go: Config.HTTPVersion, the pool of connections per origin
//     (per hub).
//   - h2conn.go: one connection: its preface, SETTINGS, flow control,
//     GOAWAY, RST_STREAM, PING, the frame reader and the frame writer.
//   - h2stream.go: one stream as a fetch sees it, HTTP/2's conn (conn.go):
//     the request, the response head, the body; and how a fetch gets a
//     stream (getH2) or makes a new connection of its dial (startH2).
//
// Threading. In the async and sync engines a connection is served by two
// tasks of the hub that dialed it: a reader (frames in) and a writer
// (frames out); fetches are tasks of the same hub that park on a
// scheduler.Event of their stream. No goroutine is started per connection
// or per stream. In the threads engine (goroutines over Go's net package)
// the reader and the writer are two goroutines per connection. In both, a
// sync.Mutex of the connection guards its state; it is never held across a
// wait, so a task holding it never parks.

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// HTTPVersion chooses the HTTP versions a fetch may speak.
type HTTPVersion uint8

// The versions, as curl's flags name them.
const (
	// HTTPVersionAuto offers h2 and http/1.1 in the TLS handshake (ALPN)
	// of https URLs and speaks what the server picks; http URLs use
	// HTTP/1.1. The default.
	HTTPVersionAuto HTTPVersion = iota
	// HTTPVersion1 speaks HTTP/1.1 only (--http1.1).
	HTTPVersion1
	// HTTPVersion2 requires HTTP/2 for https URLs: a server whose ALPN
	// answer is not h2 fails the fetch as KindTLS (--http2). http URLs
	// use HTTP/1.1, as curl does without an Upgrade.
	HTTPVersion2
	// HTTPVersion2PriorKnowledge speaks HTTP/2 without TLS (h2c) to http
	// URLs, with no upgrade dance (--http2-prior-knowledge); https URLs
	// are as HTTPVersion2.
	HTTPVersion2PriorKnowledge
)

// String returns "auto", "1.1", "2" or "2-prior-knowledge".
func (v HTTPVersion) String() string {
	switch v {
	case HTTPVersion1:
		return "1.1"
	case HTTPVersion2:
		return "2"
	case HTTPVersion2PriorKnowledge:
		return "2-prior-knowledge"
	}
	return "auto"
}

// The Result.Proto values.
const (
	protoHTTP11 = "HTTP/1.1"
	protoHTTP2  = "HTTP/2.0"
)

// maxH2ConnsPerKey bounds the HTTP/2 connections to one origin (per hub).
// A new one is opened only when every open one has as many streams as its
// server allows (SETTINGS_MAX_CONCURRENT_STREAMS); past the bound, fetches
// wait for a stream, the wait counted as queue time.
const maxH2ConnsPerKey = 4

// h2Pool holds the HTTP/2 connections of a Client, per poolKey (origin and
// hub), and what the client learnt of each origin: that it speaks only
// HTTP/1.1, or that a connection is being dialed (others wait for it
// instead of dialing their own, so a burst of fetches to a new origin
// opens one connection, not one each).
type h2Pool struct {
	c *Client

	mu     sync.Mutex
	keys   map[poolKey]*h2Key
	closed bool

	conns, streams atomic.Int64 // opened, for Stats
}

// h2Key is what the pool knows of one origin on one hub. p.mu guards
// conns, dialing and h1.
type h2Key struct {
	conns   []*h2Conn
	dialing int  // dials in progress that may give an h2 connection
	h1      bool // the server chose http/1.1: do not wait for dials
	// changed is set (and replaced) when a stream slot frees, a
	// connection comes or goes, or a dial ends: waiters look again. A
	// waiter loads it before it looks, so no change is missed; it is
	// replaced only while someone waits.
	changed atomic.Pointer[scheduler.Event]
	waiters atomic.Int32
}

// notify wakes the fetches waiting on ks. Safe with or without locks.
func (ks *h2Key) notify() {
	if ks.waiters.Load() == 0 {
		return
	}
	ks.changed.Swap(scheduler.NewEvent()).Set()
}

func newH2Pool(c *Client) *h2Pool {
	return &h2Pool{c: c, keys: make(map[poolKey]*h2Key)}
}

func (p *h2Pool) key(k poolKey) *h2Key {
	ks := p.keys[k]
	if ks == nil {
		ks = &h2Key{}
		ks.changed.Store(scheduler.NewEvent())
		p.keys[k] = ks
	}
	return ks
}

// acquire finds a connection of key with a free stream and reserves the
// stream on it (cc), or makes the caller the one to dial (dial), or says
// the origin speaks HTTP/1.1 (all nil). It waits, while another
// fetch dials or every connection is full, until ctx ends; waited is the
// time it waited.
func (p *h2Pool) acquire(ctx context.Context, k poolKey) (cc *h2Conn, dial bool, waited time.Duration, err error) {
	var t0 time.Time
	defer func() {
		if !t0.IsZero() {
			waited = time.Since(t0)
		}
	}()
	for {
		var stale []*h2Conn
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, 0, errClientClosed
		}
		ks := p.key(k)
		// Counted as a waiter, and the event taken, before looking: a
		// change made after the look then sets ev (see notify).
		ks.waiters.Add(1)
		ev := ks.changed.Load()
		live := ks.conns[:0]
		for _, c := range ks.conns {
			if c.expired(p.c.cfg.IdleConnTimeout) {
				stale = append(stale, c)
			} else {
				live = append(live, c)
			}
		}
		clear(ks.conns[len(live):])
		ks.conns = live
		starting := false // a connection waits for the server's SETTINGS
		for _, c := range live {
			ok, st := c.reserve()
			if ok {
				ks.waiters.Add(-1)
				p.mu.Unlock()
				closeAll(stale)
				return c, false, 0, nil
			}
			starting = starting || st
		}
		switch {
		case ks.h1 && len(live) == 0:
			ks.waiters.Add(-1)
			p.mu.Unlock()
			closeAll(stale)
			return nil, false, 0, nil
		case ks.dialing == 0 && !starting && len(live) < maxH2ConnsPerKey:
			ks.dialing++
			ks.waiters.Add(-1)
			p.mu.Unlock()
			closeAll(stale)
			return nil, true, 0, nil
		}
		p.mu.Unlock()
		closeAll(stale)
		if t0.IsZero() {
			t0 = time.Now()
		}
		err := ev.WaitContext(ctx)
		ks.waiters.Add(-1)
		if err != nil {
			return nil, false, 0, err
		}
	}
}

// h2MaxKeys bounds the origins the pool remembers (a crawl meets many):
// past it, those with no connection, dial or waiter are forgotten, down to
// half.
const h2MaxKeys = 4096

// evictLocked forgets idle origins when there are too many. p.mu is held.
func (p *h2Pool) evictLocked() {
	if len(p.keys) <= h2MaxKeys {
		return
	}
	for k, ks := range p.keys {
		if len(ks.conns) == 0 && ks.dialing == 0 && ks.waiters.Load() == 0 {
			delete(p.keys, k)
			if len(p.keys) <= h2MaxKeys/2 {
				return
			}
		}
	}
}

func closeAll(conns []*h2Conn) {
	for _, c := range conns {
		c.close(errH2Idle)
	}
}

// dialDone ends a dial that acquire asked for: cc is the new connection
// (one stream already reserved for the dialer), or nil; h1 records that
// the server chose HTTP/1.1.
func (p *h2Pool) dialDone(k poolKey, cc *h2Conn, h1 bool) {
	p.mu.Lock()
	ks := p.key(k)
	ks.dialing--
	if cc != nil {
		if p.closed {
			p.mu.Unlock()
			cc.close(errClientClosed)
			return
		}
		ks.conns = append(ks.conns, cc)
		ks.h1 = false
		p.conns.Add(1)
	}
	if h1 {
		ks.h1 = true
	}
	p.evictLocked()
	p.mu.Unlock()
	ks.notify()
}

// remove forgets cc, a connection that failed or closed.
func (p *h2Pool) remove(cc *h2Conn) {
	p.mu.Lock()
	if ks := p.keys[cc.key]; ks != nil {
		for i, c := range ks.conns {
			if c == cc {
				ks.conns = append(ks.conns[:i], ks.conns[i+1:]...)
				ks.conns = ks.conns[:len(ks.conns):len(ks.conns)]
				break
			}
		}
	}
	p.evictLocked()
	p.mu.Unlock()
	cc.ks.notify()
}

// closeAll closes every idle connection, lets busy ones finish their
// streams and close then, and keeps no new ones.
func (p *h2Pool) closeAll() {
	p.mu.Lock()
	p.closed = true
	var all []*h2Conn
	for _, ks := range p.keys {
		all = append(all, ks.conns...)
		ks.conns = nil
		defer ks.notify()
	}
	p.mu.Unlock()
	for _, c := range all {
		c.retire()
	}
}
