package dnsresolver

import (
	"sync"
	"time"
)

// cacheKey names a cached lookup: the lowercase name and the families
// asked for.
type cacheKey struct {
	name string
	fam  Family
}

// cacheEntry is one answer or one failure (a negative entry, RFC 2308),
// linked into the LRU list.
type cacheEntry struct {
	key        cacheKey
	ans        Answer
	err        error         // non-nil: a negative entry
	expires    time.Duration // clock reading after which the entry is dead
	prev, next *cacheEntry
}

// cache holds answers and failures by TTL, bounded in size with LRU
// eviction (the least recently read entry goes first). Keys are lowercased
// by the caller, so "WWW.Example" and "www.example" share an entry.
//
// A hit costs one monotonic clock read, the mutex for a map lookup and a
// list move, and allocates nothing: BenchmarkCacheHit and
// TestCacheHitAllocs hold that. Safe for concurrent use by tasks of any
// hub and by goroutines; mu guards the map and the list.
type cache struct {
	clock clock
	max   int // entries; <= 0 disables the cache

	mu         sync.Mutex
	m          map[cacheKey]*cacheEntry
	head, tail *cacheEntry // most recently used first
}

// clock reads the time as a duration since epoch. Without an injected
// now it reads only the monotonic clock (time.Since), which costs one
// clock_gettime where time.Now costs two.
type clock struct {
	epoch time.Time
	now   func() time.Time // nil: the real clock
}

func newClock(now func() time.Time) clock {
	if now == nil {
		return clock{epoch: time.Now()}
	}
	return clock{epoch: now(), now: now}
}

func (c clock) read() time.Duration {
	if c.now != nil {
		return c.now().Sub(c.epoch)
	}
	return time.Since(c.epoch)
}

func newCache(max int, now func() time.Time) *cache {
	return &cache{m: make(map[cacheKey]*cacheEntry), max: max, clock: newClock(now)}
}

// get returns the live entry for k, with the TTL it has left, or
// ok == false. An expired entry is removed.
func (c *cache) get(k cacheKey) (Answer, error, bool) {
	if c.max <= 0 {
		return Answer{}, nil, false
	}
	now := c.clock.read()
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		c.mu.Unlock()
		return Answer{}, nil, false
	}
	if now >= e.expires {
		c.removeLocked(e)
		c.mu.Unlock()
		return Answer{}, nil, false
	}
	c.moveFrontLocked(e)
	ans, err, exp := e.ans, e.err, e.expires
	c.mu.Unlock()
	ans.TTL = exp - now
	ans.Cached = true
	return ans, err, true
}

// put stores an answer (err == nil) or a failure for ttl; ttl <= 0
// stores nothing. Over the bound, the least recently used entries go.
func (c *cache) put(k cacheKey, ans Answer, err error, ttl time.Duration) {
	if ttl <= 0 || c.max <= 0 {
		return
	}
	now := c.clock.read()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[k]; e != nil {
		c.removeLocked(e)
	}
	e := &cacheEntry{key: k, ans: ans, err: err, expires: now + ttl}
	c.m[k] = e
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
	for len(c.m) > c.max {
		c.removeLocked(c.tail)
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *cache) moveFrontLocked(e *cacheEntry) {
	if c.head == e {
		return
	}
	c.unlinkLocked(e)
	e.next = c.head
	c.head.prev = e
	c.head = e
}

func (c *cache) unlinkLocked(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *cache) removeLocked(e *cacheEntry) {
	c.unlinkLocked(e)
	delete(c.m, e.key)
}
