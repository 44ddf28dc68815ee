package dnsresolver

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Config configures an Async resolver. Its zero value reads
// /etc/resolv.conf and /etc/hosts.
type Config struct {
	// Servers override the nameservers of resolv.conf: IP addresses with
	// an optional port ("10.0.0.1", "[::1]:5353"), as ParseServer reads
	// them (NewAsync returns its error for the first bad one). If empty,
	// resolv.conf's are used.
	Servers []string
	// ResolvConf is the resolv.conf(5) file read for servers, search list,
	// ndots, timeout, attempts, rotate and single-request-reopen (EDNS0 is
	// always sent, so options edns0 changes nothing). If empty,
	// /etc/resolv.conf; a missing file means the defaults and the local
	// server, as in the C library.
	ResolvConf string
	// HostsFile is the hosts(5) file answered without a query. If empty,
	// /etc/hosts; "-" means none.
	HostsFile string
	// Timeout bounds one attempt at one server. If zero, resolv.conf's
	// (5s by default).
	Timeout time.Duration
	// Attempts is how many times every server is tried. If zero,
	// resolv.conf's (2 by default).
	Attempts int
	// Family chooses the questions asked: A and AAAA (Both, the zero
	// value), only A (V4) or only AAAA (V6). Both families are asked at
	// once and each on its own: addresses of one family are the answer
	// whatever happened to the other's query.
	Family Family
	// ResolutionDelay is how long a lookup whose first family has
	// addresses waits for the others (RFC 8305 section 3's Resolution
	// Delay). If zero, 50ms; negative waits for every family's query to
	// end. RFC 8305 starts connecting at once when AAAA comes first; a
	// lookup returns one list of addresses, so here AAAA-first waits for A
	// as long, so that a broken IPv6 path has IPv4 addresses to fall back
	// on. While the lookup waits, the other family's question may go on to
	// servers not yet asked in this round; once the delay has passed, the
	// exchange in flight finishes in the background (no further server or
	// attempt) and its answer fills the cache.
	ResolutionDelay time.Duration
	// FailureTTL bounds how long a failure that is not an SOA-backed
	// NODATA or NXDOMAIN (RFC 2308) is cached: a lookup that found no
	// address because of REFUSED, SERVFAIL, FORMERR, garbled answers or
	// socket errors, and
	// an answer that lacks a family for any reason but an SOA-backed
	// denial. If zero, 5s; negative: such failures are not cached, nor are
	// such answers. A lookup that found no address because a server timed
	// out is never cached.
	FailureTTL time.Duration
	// MaxInFlight bounds the exchanges in flight at once. If zero, 256.
	MaxInFlight int
	// CacheSize bounds the cached names (LRU). If zero, 10,000; negative
	// disables the cache.
	CacheSize int
	// MaxTTL caps how long an answer is cached. If zero, 1h.
	MaxTTL time.Duration
	// MaxNegativeTTL caps how long a failure is cached: an NXDOMAIN or
	// NODATA for the SOA minimum when the answer has an SOA (RFC 2308;
	// without one it is not cached), other failures as FailureTTL says.
	// If zero, 5m.
	MaxNegativeTTL time.Duration
	// Dial opens the sockets ("udp" and "tcp" to an IP:port). If nil: the
	// scheduler's cooperative sockets when the caller is a task,
	// net.Dialer otherwise. UDP is dialed with context.Background
	// (connecting a UDP socket never blocks) and bounded by the socket's
	// deadline; TCP with a context that ends at the attempt's deadline.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock of the cache, for tests. If nil, the monotonic
	// clock.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultResolutionDelay = 50 * time.Millisecond // RFC 8305 section 8
	DefaultFailureTTL      = 5 * time.Second
)

// Async is greenfetch's own DNS client (gevent's c-ares resolver). Safe for
// concurrent use by tasks of any hub and by goroutines.
type Async struct {
	servers    []string
	search     []string
	ndots      int
	timeout    time.Duration
	attempts   int
	rotate     bool
	reopen     bool // a socket per query (options single-request-reopen)
	family     Family
	resDelay   time.Duration
	failureTTL time.Duration
	maxTTL     time.Duration
	maxNeg     time.Duration
	hosts      map[string][]netip.Addr
	dial       func(ctx context.Context, network, address string) (net.Conn, error)

	sem      *scheduler.Semaphore
	cache    *cache
	next     atomic.Uint32 // rotation
	mu       sync.Mutex    // guards inflight
	inflight map[cacheKey]*call

	stats    counters
	perServe map[string]*serverCounters
}

// NewAsync returns a resolver configured by cfg and the system's files.
func NewAsync(cfg Config) (*Async, error) {
	path := cfg.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	rc := parseResolvConf(bytes.NewReader(readFile(path)))
	r := &Async{
		servers: rc.servers, search: rc.search, ndots: rc.ndots, timeout: rc.timeout,
		attempts: rc.attempts, rotate: rc.rotate, reopen: rc.reopen, family: cfg.Family,
		maxTTL: cfg.MaxTTL, maxNeg: cfg.MaxNegativeTTL, dial: cfg.Dial,
		inflight: make(map[cacheKey]*call), perServe: make(map[string]*serverCounters),
	}
	if len(cfg.Servers) > 0 {
		r.servers = nil
		for _, s := range cfg.Servers {
			a, err := serverAddr(s)
			if err != nil {
				return nil, err
			}
			r.servers = append(r.servers, a)
		}
	}
	for _, s := range r.servers {
		r.perServe[s] = new(serverCounters)
	}
	if cfg.Timeout > 0 {
		r.timeout = cfg.Timeout
	}
	if cfg.Attempts > 0 {
		r.attempts = cfg.Attempts
	}
	if r.maxTTL <= 0 {
		r.maxTTL = time.Hour
	}
	if r.maxNeg <= 0 {
		r.maxNeg = 5 * time.Minute
	}
	switch r.resDelay = cfg.ResolutionDelay; {
	case r.resDelay == 0:
		r.resDelay = DefaultResolutionDelay
	case r.resDelay < 0:
		r.resDelay = -1
	}
	switch r.failureTTL = cfg.FailureTTL; {
	case r.failureTTL == 0:
		r.failureTTL = DefaultFailureTTL
	case r.failureTTL < 0:
		r.failureTTL = 0
	}
	if r.dial == nil {
		r.dial = defaultDial
	}
	inflight := cfg.MaxInFlight
	if inflight <= 0 {
		inflight = 256
	}
	r.sem = scheduler.NewSemaphore(inflight)
	size := cfg.CacheSize
	if size == 0 {
		size = 10000
	}
	r.cache = newCache(size, cfg.Now)
	r.hosts = map[string][]netip.Addr{}
	if cfg.HostsFile != "-" {
		hp := cfg.HostsFile
		if hp == "" {
			hp = "/etc/hosts"
		}
		r.hosts = parseHosts(bytes.NewReader(readFile(hp)))
	}
	return r, nil
}

// readFile reads a small configuration file, on a worker thread when the
// caller is a task. A missing file reads as empty, as the C library treats
// it.
func readFile(path string) []byte {
	b, _ := scheduler.Blocking(func() ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, 1<<20))
	})
	return b
}

func defaultDial(ctx context.Context, network, address string) (net.Conn, error) {
	if scheduler.Current() != nil {
		return scheduler.DialContext(ctx, network, address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// LookupHost returns the addresses of host in the resolver's families.
func (r *Async) LookupHost(ctx context.Context, host string) (Answer, error) {
	return r.lookup(ctx, host, r.family)
}

// LookupNetIP returns the addresses of host: the fetcher's Resolver.
func (r *Async) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	ans, err := r.lookup(ctx, host, r.family)
	return ans.Addrs, err
}

var _ Resolver = (*Async)(nil)
