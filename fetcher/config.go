package fetcher

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/netip"
	"time"
)

// Defaults of Config, each named after the field it fills.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultConnectTimeout  = 10 * time.Second
	DefaultTLSTimeout      = 10 * time.Second
	DefaultMaxRedirects    = 10
	DefaultUserAgent       = "greenfetch/0.1"
	DefaultConcurrency     = 100
	DefaultIdleConnTimeout = 90 * time.Second
	// DefaultMaxRetryAfter caps how long a Retry-After header may make a
	// fetch, or every fetch to a host, wait.
	DefaultMaxRetryAfter = 30 * time.Second
)

// Family chooses the address families a host name may resolve to.
type Family uint8

// The families.
const (
	FamilyAny Family = iota // IPv4 and IPv6, in the resolver's order
	Family4                 // IPv4 only (-4)
	Family6                 // IPv6 only (-6)
)

// String returns "any", "ipv4" or "ipv6".
func (f Family) String() string {
	switch f {
	case Family4:
		return "ipv4"
	case Family6:
		return "ipv6"
	}
	return "any"
}

// Resolver looks up the addresses of a host name for the fetcher. It is
// called from hub tasks (async and sync engines) and from goroutines
// (threads engine), concurrently: it must never block the OS thread inside
// a task (use the scheduler's sockets, or scheduler.Blocking).
// dnsresolver's Async and Pool satisfy it, and their Stats are reported in
// Stats.DNS.
type Resolver interface {
	LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error)
}

// ResolverStats is what a resolver reports about its work. A Resolver may
// implement interface{ Stats() ResolverStats }, or Stats() dnsresolver.Stats
// as dnsresolver's do.
type ResolverStats struct {
	Queries   int64 `json:"queries"`    // lookups that went to a server (or the system resolver)
	CacheHits int64 `json:"cache_hits"` // lookups answered from the cache or /etc/hosts
}

// Config configures a Client and the engines of Run. The zero value is
// ready for use: every field says what its zero value means.
type Config struct {
	// Timeout bounds a whole fetch: DNS, connect, TLS, request, headers
	// and body, over every redirect and retry (curl's --max-time). A server
	// that drips a byte a second still ends as KindTimeout on time. Time
	// spent queued for a slot does not count. If zero, DefaultTimeout (30s)
	// is used.
	Timeout time.Duration
	// ConnectTimeout bounds each TCP connect. If zero, DefaultConnectTimeout
	// (10s) is used.
	ConnectTimeout time.Duration
	// TLSTimeout bounds each TLS handshake. If zero, DefaultTLSTimeout (10s)
	// is used.
	TLSTimeout time.Duration
	// HeaderTimeout bounds the wait for a response head, from the end of
	// the request write. If zero, only Timeout bounds it.
	HeaderTimeout time.Duration
	// IdleReadTimeout bounds each wait for more body bytes. If zero, only
	// Timeout bounds it.
	IdleReadTimeout time.Duration

	// Retries is how many times a fetch is tried again after a connect
	// error, a phase timeout, or a 429, 502, 503 or 504 answer (GET and
	// HEAD only), with exponential backoff and full jitter, honouring
	// Retry-After up to MaxRetryAfter. If zero, no retry is made.
	Retries int
	// MaxRetryAfter caps the wait a Retry-After header asks for, both
	// before a retry and as a pause of new requests to that host after a
	// 429 or 503. If zero, DefaultMaxRetryAfter (30s) is used.
	MaxRetryAfter time.Duration
	// MaxRedirects is how many redirects a fetch follows. If zero,
	// DefaultMaxRedirects (10) is used; if negative, redirects are not
	// followed (the 3xx is the result).
	MaxRedirects int

	// Headers are added to every request. Authorization and Cookie are
	// sent only to the host of the URL given, never after a redirect to
	// another host. If nil, none are added.
	Headers http.Header
	// UserAgent is the User-Agent header (Headers may override it). If
	// empty, DefaultUserAgent is used.
	UserAgent string
	// Method is GET or HEAD. If empty, GET is used.
	Method string

	// HTTPVersion chooses HTTP/1.1 or HTTP/2 (--http1.1, --http2,
	// --http2-prior-knowledge). If zero (HTTPVersionAuto), https URLs
	// offer h2 and http/1.1 in ALPN and speak what the server picks; http
	// URLs speak HTTP/1.1. HTTP/2 streams to one origin share a
	// connection (per hub), up to the server's limit of streams.
	HTTPVersion HTTPVersion

	// Insecure skips the verification of server certificates (-k).
	Insecure bool
	// CAFile names a PEM file of CA certificates to trust instead of the
	// system roots. If empty, RootCAs or the system roots are used.
	CAFile string
	// RootCAs are the CA certificates to trust. If nil (and CAFile is
	// empty), the system roots are used.
	RootCAs *x509.CertPool

	// MaxBody caps the decoded bytes of a body; a larger body ends as
	// KindTooLarge (ErrBodyTooLarge). If zero, bodies are not capped.
	MaxBody int64
	// Compressed asks for gzip or deflate (Accept-Encoding is sent only
	// then) and decodes the body. If false, bodies are taken as they come.
	Compressed bool
	// SaveDir, if set, saves each body to a file in this directory, named
	// after the URL; no URL can make a file outside it. If empty, bodies
	// are counted and discarded.
	SaveDir string
	// SHA256 computes the SHA-256 of each decoded body (Result.SHA256).
	SHA256 bool

	// Resolver looks up host names. If nil, each Run (and each Client)
	// gets a fresh dnsresolver.Async of its own (resolv.conf, /etc/hosts,
	// a cache that lives as long as the run), or a dnsresolver.Pool when
	// resolv.conf cannot be read. A Resolver given here is shared: give each
	// Run a new one for cold comparisons.
	Resolver Resolver
	// Family restricts the address families used. If zero, both are.
	Family Family

	// Concurrency is how many fetches run at once in the threads and async
	// engines (sync runs one). If zero, DefaultConcurrency (100) is used.
	Concurrency int
	// PerHost caps the fetches to one host (name and port) at once. If
	// zero, there is no cap below Concurrency.
	PerHost int
	// Rate caps how many fetches start per second, over the run. If zero,
	// there is no cap.
	Rate float64
	// Hubs is the number of hubs of the async engine. If zero, one per
	// core (GOMAXPROCS) is used.
	Hubs int
	// MaxIdlePerHost caps the idle keep-alive connections kept per origin
	// (and per hub); in all, at most twice the larger of it and Concurrency
	// are kept, the oldest making room. If zero, Concurrency is used; if
	// negative, connections are not reused.
	MaxIdlePerHost int
	// IdleConnTimeout closes keep-alive connections idle this long. If zero,
	// DefaultIdleConnTimeout (90s) is used.
	IdleConnTimeout time.Duration

	// Observer, if set, is told of progress. If nil, nothing is.
	Observer Observer
}

// Observer is told of a run's progress, for a progress bar. Its methods are
// called concurrently from engine tasks and goroutines: they must be quick
// and must never block (no channel operation that can wait, no I/O, no
// lock held for long). Embed NopObserver to implement only some.
type Observer interface {
	// OnStart is called when a fetch leaves the queue and begins.
	OnStart(job Job)
	// OnBytes is called as decoded body bytes arrive (n since the last call).
	OnBytes(n int64)
	// OnResult is called with each result before it is delivered.
	OnResult(r *Result)
}

// NopObserver is an Observer that does nothing; embed it to implement only
// the methods you need.
type NopObserver struct{}

// OnStart does nothing.
func (NopObserver) OnStart(Job) {}

// OnBytes does nothing.
func (NopObserver) OnBytes(int64) {}

// OnResult does nothing.
func (NopObserver) OnResult(*Result) {}

// Job is one input URL: the raw text of an input line (trimmed; a missing
// scheme means http://), and its position in the input.
type Job struct {
	URL   string
	Index int64
}

// Stats is what a run, or a Client, did on the wire.
type Stats struct {
	DNS       ResolverStats `json:"dns"`
	Requests  int64         `json:"requests"`    // HTTP requests written
	Conns     int64         `json:"conns"`       // connections opened
	Reused    int64         `json:"reused"`      // requests sent on a kept-alive connection
	Resumed   int64         `json:"tls_resumed"` // TLS handshakes that resumed a session
	Retries   int64         `json:"retries"`     // retries made
	WireBytes int64         `json:"wire_bytes"`  // bytes read off the sockets

	// Per protocol: connections and requests over HTTP/1.1, connections
	// and streams over HTTP/2 (each counted in Conns and Requests too).
	HTTP1Conns    int64 `json:"h1_conns"`
	HTTP1Requests int64 `json:"h1_requests"`
	HTTP2Conns    int64 `json:"h2_conns"`
	HTTP2Streams  int64 `json:"h2_streams"`
}
