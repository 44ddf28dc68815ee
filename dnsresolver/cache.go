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
	err        error // non-nil: a negative entry
	expires    time.Time
	prev, next *cacheEntry
}

// cache holds answers by TTL, bounded in size with LRU eviction. Keys are
// lowercased by the caller. A hit takes the mutex for a map lookup and a
// list move, and allocates nothing. Safe for concurrent use; mu guards all.
type cache struct {
	mu         sync.Mutex
	m          map[cacheKey]*cacheEntry
	head, tail *cacheEntry // most recently used first
	max        int
}

func newCache(max int) *cache {
	return &cache{m: make(map[cacheKey]*cacheEntry), max: max}
}

// get returns the live entry for k, or ok == false. An expired entry is
// removed.
func (c *cache) get(k cacheKey, now time.Time) (ans Answer, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		return Answer{}, nil, false
	}
	if !now.Before(e.expires) {
		c.removeLocked(e)
		return Answer{}, nil, false
	}
	c.moveFrontLocked(e)
	ans = e.ans
	ans.TTL = e.expires.Sub(now)
	ans.Cached = true
	return ans, e.err, true
}

// put stores an answer (err == nil) or a failure for ttl; ttl <= 0 stores
// nothing.
func (c *cache) put(k cacheKey, ans Answer, err error, ttl time.Duration, now time.Time) {
	if ttl <= 0 || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[k]; e != nil {
		c.removeLocked(e)
	}
	e := &cacheEntry{key: k, ans: ans, err: err, expires: now.Add(ttl)}
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
