package fetcher

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Bounds of the default resolver's cache.
const (
	dnsCacheTTL        = 30 * time.Second // the system resolver gives no TTL
	dnsNegativeTTL     = 5 * time.Second
	dnsMaxCacheEntries = 10000
	hostsFile          = "/etc/hosts"
)

// defaultResolver is the resolver of a Config without one: IP literals and
// /etc/hosts answered at once, other names through the system resolver on
// the scheduler's worker threads (scheduler.Blocking), with a cache and one
// lookup in flight per name. Safe for concurrent use; mu guards cache.
type defaultResolver struct {
	hosts map[string][]netip.Addr // lowercase name → addresses, from /etc/hosts

	mu    sync.Mutex
	cache map[string]*dnsEntry

	queries, hits atomic.Int64
}

// dnsEntry is one name's answer; done is set once addrs and err are.
type dnsEntry struct {
	done    scheduler.Event
	addrs   []netip.Addr
	err     error
	expires time.Time
}

func newDefaultResolver() *defaultResolver {
	r := &defaultResolver{cache: make(map[string]*dnsEntry)}
	data, _ := scheduler.Blocking(func() ([]byte, error) { return os.ReadFile(hostsFile) })
	r.hosts = parseHosts(data)
	return r
}

// parseHosts reads hosts(5) lines: an address, then names; # comments.
func parseHosts(data []byte) map[string][]netip.Addr {
	m := make(map[string][]netip.Addr)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		ip = ip.WithZone("")
		for _, name := range f[1:] {
			name = strings.ToLower(strings.TrimSuffix(name, "."))
			m[name] = append(m[name], ip)
		}
	}
	return m
}

// Stats reports the lookups that went to the system resolver and those
// answered from the cache or /etc/hosts.
func (r *defaultResolver) Stats() ResolverStats {
	return ResolverStats{Queries: r.queries.Load(), CacheHits: r.hits.Load()}
}

// LookupNetIP returns the addresses of host.
func (r *defaultResolver) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	if addrs, ok := r.hosts[host]; ok {
		r.hits.Add(1)
		return addrs, nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") { // RFC 6761 6.3
		r.hits.Add(1)
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, nil
	}
	now := time.Now()
	r.mu.Lock()
	e := r.cache[host]
	if e != nil && (!e.done.IsSet() || now.Before(e.expires)) {
		r.mu.Unlock()
		r.hits.Add(1)
		if err := waitEvent(ctx, &e.done); err != nil {
			return nil, err
		}
		return e.addrs, e.err
	}
	if len(r.cache) >= dnsMaxCacheEntries {
		r.evictLocked(now)
	}
	e = &dnsEntry{}
	r.cache[host] = e
	r.mu.Unlock()

	r.queries.Add(1)
	// The lookup is not bound by ctx: other fetches may wait for it. It
	// ends within the system resolver's own timeouts.
	addrs, err := scheduler.Blocking(func() ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	})
	ttl := dnsCacheTTL
	if err != nil {
		ttl = dnsNegativeTTL
		if de, ok := err.(*net.DNSError); ok && de.IsNotFound {
			err = fmt.Errorf("lookup %s: no such host", host)
		}
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	e.addrs, e.err, e.expires = addrs, err, time.Now().Add(ttl)
	e.done.Set()
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	return addrs, err
}

// evictLocked drops expired entries, or every finished one if none
// expired, to keep the cache under its bound.
func (r *defaultResolver) evictLocked(now time.Time) {
	for k, e := range r.cache {
		if e.done.IsSet() && !now.Before(e.expires) {
			delete(r.cache, k)
		}
	}
	if len(r.cache) < dnsMaxCacheEntries {
		return
	}
	for k, e := range r.cache {
		if e.done.IsSet() {
			delete(r.cache, k)
		}
	}
}

// waitEvent waits for ev, a shared event, until ctx ends; it works in
// tasks and goroutines. ctx is checked every waitSlice: the event is not
// ours to set on cancel.
func waitEvent(ctx context.Context, ev *scheduler.Event) error {
	for !ev.Wait(waitSlice) {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// waitSlice is how often waitEvent looks at its context.
const waitSlice = 50 * time.Millisecond
