package dnsresolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// PoolConfig configures a Pool resolver.
type PoolConfig struct {
	// Size bounds the system lookups running at once. If zero, 32.
	Size int
	// Family chooses the address families (both by default).
	Family Family
	// TTL is how long answers are cached: the system resolver gives no
	// TTL. If zero, 30s; negative disables the cache.
	TTL time.Duration
	// Timeout bounds one system lookup. If zero, 10s.
	Timeout time.Duration
	// Lookup is the system lookup. If nil, net.DefaultResolver.LookupNetIP
	// with network "ip".
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Pool runs the system resolver (getaddrinfo, nsswitch) on the scheduler's
// worker threads (gevent's thread resolver), so a task waiting for it
// never stalls its hub. Safe for concurrent use.
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
		cfg.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	return &Pool{cfg: cfg, sem: scheduler.NewSemaphore(cfg.Size), cache: newCache(10000, nil)}
}

// LookupHost returns the addresses of host from the system resolver.
func (p *Pool) LookupHost(ctx context.Context, host string) (Answer, error) {
	if ip, ok := parseLiteral(host); ok {
		p.stats.hits.Add(1)
		return Answer{Addrs: []netip.Addr{ip}, Cached: true}, nil
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
		return Answer{}, &Error{Name: host, Err: err}
	}
	defer p.sem.Release()
	p.stats.queries.Add(1)
	addrs, err := scheduler.Blocking(func() ([]netip.Addr, error) {
		lctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
		defer cancel()
		return p.cfg.Lookup(lctx, name)
	})
	if err == nil {
		for i := range addrs {
			addrs[i] = addrs[i].Unmap()
		}
		if addrs = filterFamily(addrs, p.cfg.Family); len(addrs) == 0 {
			err = ErrNoSuchHost
		}
	}
	if err != nil {
		e := &Error{Name: host, Server: "system resolver", Err: err}
		var de *net.DNSError
		if errors.As(err, &de) {
			e.IsNotFound, e.IsTimeout, e.IsTemporary = de.IsNotFound, de.IsTimeout, de.IsTemporary
		}
		if errors.Is(err, ErrNoSuchHost) {
			e.IsNotFound = true
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
