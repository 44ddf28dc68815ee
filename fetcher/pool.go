package fetcher

// The pool of idle HTTP/1.1 connections; HTTP/2's is in h2.go.

import (
	"sync"
	"time"
)

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
