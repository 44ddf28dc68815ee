package fetcher

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/scheduler"
)

// Client fetches URLs. Safe for concurrent use by tasks of any hub and by
// goroutines. A kept-alive connection belongs to the hub that dialed it (or
// to the goroutine world, for connections dialed outside tasks) and is
// reused only there.
type Client struct {
	cfg      RunConfig // defaults filled in
	resolver Resolver
	pool     *connPool
	h2       *h2Pool // HTTP/2 connections (h2.go)
	hosts    *hostTable
	tlsConf  *tls.Config // base config; cloned per connection with its ServerName
	method   string      // of the first request: Config.Method, or GET, or POST with Data
	data     []byte      // the request body (Config.Data, read); nil if none
	// lazyReader takes a connection's read buffer only once its answer
	// begins (one more read syscall per response, no buffer while
	// waiting): for runs of more than lazyReaderConcurrency fetches.
	lazyReader bool
	hdr        *reqHeaders // the header list of every request (reqhead.go)

	verboseMu sync.Mutex // serializes writes to cfg.Verbose

	// dial overrides the socket layer (tests). If nil, tasks dial with
	// scheduler.DialContext and goroutines with net.Dialer.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	requests, conns, reused, resumed, retries, wire atomic.Int64

	// lastJobs, set by Run's engine before the first fetch, reports
	// that the input has ended and no job waits for a worker. Nil
	// outside Run. seeking counts the fetches that have not had a
	// connection yet (waiting for a host or connect slot, say). When
	// both say no job can want them, the connections fetches are done
	// with are closed at once, but one a host, rather than kept idle
	// until Close (idleUnwanted, readBody).
	lastJobs func() bool
	seeking  atomic.Int64

	connLimit                                  *connLimiter // nil: connects not bounded
	connectLost, connectFailed, connectRetries atomic.Int64
	proxies                                    *proxyChooser // nil: no proxy
}

// NewClient returns a Client for cfg (the engines' settings are those of
// a zero RunConfig: a fetch is not capped per host, and keeps as many
// idle connections as DefaultConcurrency). It fails when cfg.Validate
// does, or when the body file of Data cannot be read.
func NewClient(cfg Config) (*Client, error) { return newClient(RunConfig{Config: cfg}) }

// newClient returns a Client for a run of cfg (Run's, or NewClient's).
func newClient(cfg RunConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, lazyReader: cfg.Concurrency > lazyReaderConcurrency, method: cfg.Method}
	if cfg.Data != "" {
		if name, ok := strings.CutPrefix(cfg.Data, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, &FieldError{Field: "Data", Value: "@" + name, Err: unwrapPath(err)}
			}
			// curl -d @FILE drops carriage returns and newlines.
			c.data = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		} else {
			c.data = []byte(cfg.Data)
		}
	}
	if c.method == "" {
		c.method = "GET"
		if cfg.Data != "" {
			c.method = "POST"
		}
	}
	hdr, err := newReqHeaders(&c.cfg.Config, c.data != nil)
	if err != nil {
		return nil, err
	}
	c.hdr = hdr
	roots := cfg.RootCAs
	if cfg.CAFile != "" {
		var err error
		if roots, err = readCAFile(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	c.tlsConf = &tls.Config{
		RootCAs:            roots,
		InsecureSkipVerify: cfg.Insecure,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(tlsSessionCacheSize),
		MinVersion:         tls.VersionTLS12,
	}
	c.resolver = cfg.Resolver
	if c.resolver == nil {
		r, err := newDefaultResolver(cfg.Family)
		if err != nil {
			return nil, err
		}
		c.resolver = r
	}
	maxIdle := cfg.MaxIdlePerHost
	if cfg.NoKeepAlive {
		maxIdle = 0
	}
	c.pool = newConnPool(maxIdle, 2*max(cfg.Concurrency, cfg.MaxIdlePerHost), cfg.IdleConnTimeout)
	c.hosts = newHostTable(cfg.PerHost)
	if err := c.initNet(); err != nil {
		return nil, err
	}
	c.h2 = newH2Pool(c)
	return c, nil
}

// lazyReaderConcurrency is the concurrency above which read buffers are
// taken lazily (see Client.lazyReader).
const lazyReaderConcurrency = 512

// tlsSessionCacheSize is how many TLS sessions a client keeps for
// resumption, one per server name.
const tlsSessionCacheSize = 1024

// withDefaults fills in the default of every zero field.
func (cfg RunConfig) withDefaults() RunConfig {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.TLSTimeout == 0 {
		cfg.TLSTimeout = DefaultTLSTimeout
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxIdlePerHost == 0 {
		cfg.MaxIdlePerHost = max(cfg.Concurrency, 2)
	}
	if cfg.IdleConnTimeout == 0 {
		cfg.IdleConnTimeout = DefaultIdleConnTimeout
	}
	return cfg
}

// Fetch fetches rawURL (a missing scheme means http://) and returns what it
// delivered. From a scheduler task it uses cooperative sockets; from an
// ordinary goroutine, Go's net package. ctx cancels the fetch
// (KindCanceled); Config.Timeout bounds it. Result.Mode says async when
// called from a task and threads otherwise.
func (c *Client) Fetch(ctx context.Context, rawURL string) Result {
	mode := ModeThreads
	if scheduler.Current() != nil {
		mode = ModeAsync
	}
	return c.fetch(ctx, Job{URL: rawURL}, mode, 0)
}

// Stats returns what the client did so far. DNS counts are those of the
// resolver, when it reports them.
func (c *Client) Stats() Stats {
	s := Stats{
		Requests:  c.requests.Load(),
		Conns:     c.conns.Load(),
		Reused:    c.reused.Load(),
		Resumed:   c.resumed.Load(),
		Retries:   c.retries.Load(),
		WireBytes: c.wire.Load(),

		ConnectLost:    c.connectLost.Load(),
		ConnectFailed:  c.connectFailed.Load(),
		ConnectRetries: c.connectRetries.Load(),
	}
	s.HTTP2Conns, s.HTTP2Streams = c.h2.conns.Load(), c.h2.streams.Load()
	s.HTTP1Conns, s.HTTP1Requests = s.Conns-s.HTTP2Conns, s.Requests-s.HTTP2Streams
	switch r := c.resolver.(type) {
	case interface{ Stats() ResolverStats }:
		s.DNS = r.Stats()
	case interface{ Stats() dnsresolver.Stats }:
		ds := r.Stats()
		s.DNS = ResolverStats{Queries: ds.Queries, CacheHits: ds.CacheHits}
	}
	return s
}

// idleUnwanted reports that no job of the run can want an idle
// connection any more (Client.lastJobs, seeking), but for a redirect of a
// running fetch: a fetch ending now keeps its connection only when its
// origin has no idle one. Kept idle, it would serve nobody and be closed by
// Close, after the last answer: 10,000 of them took 0.12 s there, on the
// run's wall time. (With several hubs a worker that has just taken the
// last job, or a goroutine of the threads engine just started, may not be
// counted yet: it then dials a connection of its own.)
func (c *Client) idleUnwanted() bool {
	return c.lastJobs != nil && c.seeking.Load() == 0 && c.lastJobs()
}

// Close closes the idle connections and stops keeping new ones. Fetches
// still running end as they would; their connections are closed instead of
// kept. Safe from any goroutine.
func (c *Client) Close() error {
	c.pool.closeAll()
	c.h2.closeAll()
	return nil
}
