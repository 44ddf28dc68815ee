package dnsresolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// PoolConfig configures a Pool resolver. Its zero value asks the system
// resolver for both families, 32 lookups at a time.
type PoolConfig struct {
	// Size bounds the system lookups running at once. If zero, 32.
	Size int
	// Family chooses the address families (both by default).
	Family Family
	// TTL is how long answers are cached: the system resolver gives no
	// TTL. If zero, 30s; negative disables the cache. Failures are not
	// cached.
	TTL time.Duration
	// Timeout bounds one system lookup. If zero, 10s.
	Timeout time.Duration
	// Lookup is the system lookup; it may block. If nil,
	// net.DefaultResolver.LookupNetIP with network "ip", "ip4" or "ip6"
	// by Family.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Pool runs the system resolver (getaddrinfo, nsswitch) on the scheduler's
// worker threads (gevent's thread resolver), so a task waiting for it
// never stalls its hub; called from a goroutine, it runs the lookup
// there. Safe for concurrent use by tasks of any hub and by goroutines.
type Pool struct {
	cfg   PoolConfig
	sem   *scheduler.Semaphore
	cache *cache
	stats counters
}

// NewPool returns a Pool resolver.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Size <= 0 {
		cfg.Size = 32
	}
	if cfg.TTL == 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Lookup == nil {
		network := map[Family]string{Both: "ip", V4: "ip4", V6: "ip6"}[cfg.Family]
		cfg.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, network, host)
		}
	}
	size := 10000
	if cfg.TTL < 0 {
		size = 0
	}
	return &Pool{cfg: cfg, sem: scheduler.NewSemaphore(cfg.Size), cache: newCache(size, nil)}
}

// LookupHost returns the addresses of host from the system resolver. IP
// literals are answered without a lookup. ctx bounds the wait for a
// worker and the lookup itself.
func (p *Pool) LookupHost(ctx context.Context, host string) (Answer, error) {
	if ip, ok := parseLiteral(host); ok {
		p.stats.hits.Add(1)
		return localAnswer(host, []netip.Addr{ip}, p.cfg.Family, p.cfg.TTL)
	}
	name, err := normalizeName(host)
	if err != nil {
		return Answer{}, &Error{Name: host, Err: err}
	}
	key := cacheKey{name, p.cfg.Family}
	if ans, err, ok := p.cache.get(key); ok {
		p.stats.hits.Add(1)
		return ans, err
	}
	p.stats.misses.Add(1)
	if err := p.sem.Acquire(ctx); err != nil {
		return Answer{}, &Error{Name: host, Err: err, IsTimeout: errors.Is(err, context.DeadlineExceeded)}
	}
	defer p.sem.Release()
	p.stats.queries.Add(1)
	addrs, err := scheduler.Blocking(func() ([]netip.Addr, error) {
		lctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
		return p.cfg.Lookup(lctx, name)
	})
	if err == nil {
		for i := range addrs {
			addrs[i] = addrs[i].Unmap()
		}
		if addrs = FilterFamily(addrs, p.cfg.Family); len(addrs) == 0 {
			err = ErrNoSuchHost
		}
	}
	if err != nil {
		e := &Error{Name: host, Server: "system resolver", Err: err}
		var de *net.DNSError
		if errors.As(err, &de) {
			e.IsNotFound, e.IsTimeout, e.IsTemporary = de.IsNotFound, de.IsTimeout, de.IsTemporary
		}
		if e.IsNotFound || errors.Is(err, ErrNoSuchHost) {
			// "Not found" reads the same from Pool as from Async:
			// errors.Is(err, ErrNoSuchHost).
			e.IsNotFound, e.Err = true, ErrNoSuchHost
		}
		if errors.Is(err, context.DeadlineExceeded) {
			e.IsTimeout = true
		}
		return Answer{}, e
	}
	ans := Answer{Addrs: addrs, TTL: p.cfg.TTL}
	p.cache.put(key, ans, nil, p.cfg.TTL)
	return ans, nil
}

// LookupNetIP returns the addresses of host: the fetcher's Resolver.
func (p *Pool) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	ans, err := p.LookupHost(ctx, host)
	return ans.Addrs, err
}

// Stats returns a snapshot of the counters (Queries are system lookups).
func (p *Pool) Stats() Stats {
	return Stats{Queries: p.stats.queries.Load(), CacheHits: p.stats.hits.Load(), CacheMisses: p.stats.misses.Load()}
}

var _ Resolver = (*Pool)(nil)
