package fetcher

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/scheduler"
)

// Client fetches URLs. Safe for concurrent use by tasks of any hub and by
// goroutines. A kept-alive connection belongs to the hub that dialed it (or
// to the goroutine world, for connections dialed outside tasks) and is
// reused only there.
type Client struct {
	cfg      Config // defaults filled in
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
	// headers are the pre-rendered extra header lines (each ending in
	// CRLF), with and without the credentials (Authorization, Cookie).
	headers, headersNoCreds []byte
	// bodyHeaders go with a body: Content-Type (unless a header gives
	// one); Content-Length is written per request.
	bodyHeaders []byte
	hostHeader  string // a Host override for the URL's own host; "" if none
	hasAuth     bool   // an Authorization header is given (URL credentials are not used)

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

// NewClient returns a Client for cfg. It fails when cfg.Validate does, or
// when the body file of Data cannot be read.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, lazyReader: cfg.Concurrency > lazyReaderConcurrency, method: cfg.Method}
	if cfg.Data != "" {
		if name, ok := strings.CutPrefix(cfg.Data, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("-d/--data @%s: %w", name, unwrapPath(err))
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
	if err := c.renderHeaders(); err != nil {
		return nil, err
	}
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
func (cfg Config) withDefaults() Config {
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

// renderHeaders renders the headers of the config once, in a stable
// order, so that every request writes them with one copy.
func (c *Client) renderHeaders() error {
	hs, err := c.cfg.headerSet()
	if err != nil {
		return err
	}
	c.hostHeader = hs.host
	c.hasAuth = hs.has("Authorization")
	var all, noCreds strings.Builder
	line := func(name, value string, creds bool) {
		for _, b := range []*strings.Builder{&all, &noCreds} {
			if creds && b == &noCreds {
				continue
			}
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(value)
			b.WriteString("\r\n")
		}
	}
	if !hs.has("User-Agent") {
		line("User-Agent", c.cfg.UserAgent, false)
	}
	if !hs.has("Accept") {
		line("Accept", "*/*", false)
	}
	if c.cfg.Compressed && !hs.has("Accept-Encoding") {
		line("Accept-Encoding", "gzip, deflate", false)
	}
	for _, f := range hs.fields {
		line(f.name, f.value, f.creds)
	}
	c.headers = []byte(all.String())
	c.headersNoCreds = []byte(noCreds.String())
	if c.data != nil && !hs.has("Content-Type") {
		c.bodyHeaders = []byte("Content-Type: application/x-www-form-urlencoded\r\n")
	}
	return nil
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

// appendRequest renders the request head for u into b. creds says the
// request goes to the URL's own host: credentials and a Host override are
// sent only then. body says the request carries Client.data.
func (c *Client) appendRequest(b []byte, u *url.URL, method string, creds, body bool) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	if creds && c.hostHeader != "" {
		b = append(b, c.hostHeader...)
	} else {
		b = append(b, hostHeader(u)...)
	}
	b = append(b, "\r\n"...)
	if creds {
		b = append(b, c.headers...)
		if u.User != nil && !c.hasAuth {
			pw, _ := u.User.Password()
			b = append(b, "Authorization: Basic "...)
			b = append(b, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))...)
			b = append(b, "\r\n"...)
		}
	} else {
		b = append(b, c.headersNoCreds...)
	}
	if body {
		b = append(b, c.bodyHeaders...)
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(c.data)), 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// dialConn opens a TCP connection to addr with the socket layer of the
// caller: cooperative sockets in a task, the net package elsewhere.
func (c *Client) dialConn(ctx context.Context, addr string) (net.Conn, error) {
	if c.dial != nil {
		return c.dial(ctx, "tcp", addr)
	}
	if scheduler.Current() != nil {
		return scheduler.DialContext(ctx, "tcp", addr)
	}
	return netDial(ctx, addr)
}

// dialConnBy is dialConn bounded by deadline (zero: none) as well as
// ctx. A task's own dial takes the two apart (scheduler.DialDeadline) and
// so derives no context.
func (c *Client) dialConnBy(ctx context.Context, deadline time.Time, addr string) (net.Conn, error) {
	if c.dial == nil && scheduler.Current() != nil {
		return scheduler.DialDeadline(ctx, "tcp", addr, deadline)
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return c.dialConn(ctx, addr)
}

// netDial dials with the net package. Apart from dialConn so that the
// Dialer's room is not in dialConn's frame: the stack under a task's
// connect stays small.
//
//go:noinline
func netDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
