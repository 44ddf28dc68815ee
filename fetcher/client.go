package fetcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/idna"

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
	method   string
	// lazyReader takes a connection's read buffer only once its answer
	// begins (one more read syscall per response, no buffer while
	// waiting): for runs of more than lazyReaderConcurrency fetches.
	lazyReader bool
	// headers are the pre-rendered extra header lines (each ending in
	// CRLF), with and without the credentials (Authorization, Cookie).
	headers, headersNoCreds []byte

	// dial overrides the socket layer (tests). If nil, tasks dial with
	// scheduler.DialContext and goroutines with net.Dialer.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	requests, conns, reused, resumed, retries, wire atomic.Int64
}

// NewClient returns a Client for cfg. It fails when cfg is inconsistent (a
// method other than GET or HEAD, a header that cannot be sent, an
// unreadable CAFile).
func NewClient(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, lazyReader: cfg.Concurrency > lazyReaderConcurrency}
	switch m := strings.ToUpper(cfg.Method); m {
	case "", "GET":
		c.method = "GET"
	case "HEAD":
		c.method = "HEAD"
	default:
		return nil, fmt.Errorf("fetcher: method %q not supported (GET or HEAD)", cfg.Method)
	}
	if err := c.renderHeaders(); err != nil {
		return nil, err
	}
	if err := cfg.HTTPVersion.check(); err != nil {
		return nil, err
	}
	roots := cfg.RootCAs
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("fetcher: CA file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fetcher: CA file %s: no PEM certificate in it", cfg.CAFile)
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
		c.resolver = newDefaultResolver()
	}
	c.pool = newConnPool(cfg.MaxIdlePerHost, 2*max(cfg.Concurrency, cfg.MaxIdlePerHost), cfg.IdleConnTimeout)
	c.hosts = newHostTable(cfg.PerHost)
	c.h2 = newH2Pool(c)
	return c, nil
}

// lazyReaderConcurrency is the concurrency above which read buffers are
// taken lazily (see Client.lazyReader).
const lazyReaderConcurrency = 512

// tlsSessionCacheSize is how many TLS sessions a client keeps for
// resumption, one per server name.
const tlsSessionCacheSize = 1024

func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.TLSTimeout <= 0 {
		cfg.TLSTimeout = DefaultTLSTimeout
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxIdlePerHost == 0 {
		cfg.MaxIdlePerHost = max(cfg.Concurrency, 2)
	}
	if cfg.IdleConnTimeout <= 0 {
		cfg.IdleConnTimeout = DefaultIdleConnTimeout
	}
	return cfg
}

// renderHeaders checks cfg.Headers and renders them once, in a stable
// order, so that every request writes them with one copy.
func (c *Client) renderHeaders() error {
	h := c.cfg.Headers
	has := func(name string) bool { _, ok := h[http.CanonicalHeaderKey(name)]; return ok }
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
	if !has("User-Agent") {
		line("User-Agent", c.cfg.UserAgent, false)
	}
	if !has("Accept") {
		line("Accept", "*/*", false)
	}
	if c.cfg.Compressed && !has("Accept-Encoding") {
		line("Accept-Encoding", "gzip, deflate", false)
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("fetcher: header name %q is not valid", k)
		}
		ck := http.CanonicalHeaderKey(k)
		switch ck {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection":
			return fmt.Errorf("fetcher: header %q is set by the client and cannot be given", k)
		}
		if ck == "Accept-Encoding" && !c.cfg.Compressed {
			return fmt.Errorf("fetcher: header Accept-Encoding needs Compressed (the body would not be decoded)")
		}
		creds := ck == "Authorization" || ck == "Cookie" || ck == "Proxy-Authorization"
		for _, v := range h[k] {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("fetcher: header %s: value %q is not valid", k, v)
			}
			line(ck, v, creds)
		}
	}
	c.headers = []byte(all.String())
	c.headersNoCreds = []byte(noCreds.String())
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

// Close closes the idle connections and stops keeping new ones. Fetches
// still running end as they would; their connections are closed instead of
// kept. Safe from any goroutine.
func (c *Client) Close() error {
	c.pool.closeAll()
	c.h2.closeAll()
	return nil
}

// parseInput turns an input line into an absolute http or https URL.
func parseInput(raw string) (*url.URL, *Error) {
	s := raw
	if !strings.Contains(s, "://") && !hasScheme(s) {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, &Error{Kind: KindInvalidURL, URL: raw, Err: err}
	}
	if e := checkURL(u, raw); e != nil {
		return nil, e
	}
	return u, nil
}

// hasScheme reports whether s starts with "scheme:" followed by something
// other than a port number: "mailto:a@b" has one, "localhost:8080/" not.
func hasScheme(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i+1 >= len(s) || ('0' <= s[i+1] && s[i+1] <= '9') {
		return false
	}
	for j := 0; j < i; j++ {
		b := s[j]
		alpha := 'a' <= b|0x20 && b|0x20 <= 'z'
		if !alpha && (j == 0 || !('0' <= b && b <= '9' || b == '+' || b == '-' || b == '.')) {
			return false
		}
	}
	return true
}

// checkURL checks that u can be fetched: http or https, a host, a port
// that is a number, a request target without spaces or controls.
func checkURL(u *url.URL, raw string) *Error {
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return &Error{Kind: KindUnsupportedScheme, URL: raw, Err: fmt.Errorf("scheme %q not supported (http or https)", u.Scheme)}
	}
	if u.Host == "" || u.Hostname() == "" {
		return &Error{Kind: KindInvalidURL, URL: raw, Err: errNoHost}
	}
	if p := u.Port(); p != "" {
		if n, err := parsePort(p); err != nil || n == 0 {
			return &Error{Kind: KindInvalidURL, URL: raw, Err: fmt.Errorf("port %q is not a number from 1 to 65535", p)}
		}
	}
	for _, b := range []byte(u.RequestURI()) {
		if b <= ' ' || b == 0x7f {
			return &Error{Kind: KindInvalidURL, URL: raw, Err: fmt.Errorf("request target %q has spaces or control bytes", u.RequestURI())}
		}
	}
	if _, err := asciiHost(u.Hostname()); err != nil {
		return &Error{Kind: KindInvalidURL, URL: raw, Err: err}
	}
	return nil
}

func parsePort(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, errBadPort
	}
	for _, b := range []byte(p) {
		if b < '0' || b > '9' {
			return 0, errBadPort
		}
		n = n*10 + int(b-'0')
	}
	if n > 65535 {
		return 0, errBadPort
	}
	return n, nil
}

// asciiHost returns host in the form that goes on the wire: IP literals
// as they are, names lowercased and converted to punycode.
func asciiHost(host string) (string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			a, err := idna.Lookup.ToASCII(host)
			if err != nil {
				return "", fmt.Errorf("host %q is not a valid name: %v", host, err)
			}
			return a, nil
		}
	}
	return strings.ToLower(host), nil
}

// hostPort returns the lowercase host (punycode) and the port of u, with
// the scheme's default port when u has none.
func hostPort(u *url.URL) (host, port string) {
	host, _ = asciiHost(u.Hostname())
	port = u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return host, port
}

// hostHeader returns the Host header for u.
func hostHeader(u *url.URL) string {
	h, _ := asciiHost(u.Hostname())
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if p := u.Port(); p != "" {
		h += ":" + p
	}
	return h
}

// appendRequest renders the request head for u into b.
func (c *Client) appendRequest(b []byte, u *url.URL, method string, creds bool) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, hostHeader(u)...)
	b = append(b, "\r\n"...)
	if creds {
		b = append(b, c.headers...)
		if u.User != nil && c.cfg.Headers.Get("Authorization") == "" {
			pw, _ := u.User.Password()
			b = append(b, "Authorization: Basic "...)
			b = append(b, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))...)
			b = append(b, "\r\n"...)
		}
	} else {
		b = append(b, c.headersNoCreds...)
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
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
