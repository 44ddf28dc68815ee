package fetcher

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/greenfetch/greenfetch/dnsresolver"
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

// Family chooses the address families a host name may resolve to. It is
// dnsresolver's type, so that one value travels from the command line to
// the resolver's questions.
type Family = dnsresolver.Family

// The families, under fetcher's names.
const (
	FamilyAny = dnsresolver.Both // IPv4 and IPv6, in the resolver's order
	Family4   = dnsresolver.V4   // IPv4 only (-4)
	Family6   = dnsresolver.V6   // IPv6 only (-6)
)

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

// Config is what a user of a Client sets: the client's policy (timeouts,
// retries, redirects, the request, what is done with a body) and its
// transport (HTTP versions, TLS, DNS, connections, proxies). Run takes it
// inside a RunConfig, with the settings of the engines. The zero value is
// ready for use, and the zero value of every field is its documented
// default; a setting that turns something off has a field of its own
// (NoRedirects, NoKeepAlive, NoConnectLimit, NoEnvProxy), never a zero or
// negative number. Validate checks a Config without building anything;
// NewClient calls it.
//
// Timeouts. Timeout is the budget of a whole fetch (curl's --max-time):
// from the start of the fetch, after any queueing, to its last body byte,
// over every redirect and retry and the waits between retries. The four
// others each bound one phase, and every one of them is cut short by what
// is left of Timeout: whichever ends first wins, and the KindTimeout error
// names it ("connect timed out after 10s", "no complete response within
// 30s (timeout) during header"). ConnectTimeout bounds each TCP connect
// (all addresses of a host are tried within it); TLSTimeout bounds each TLS
// handshake, from the end of the connect; HeaderTimeout bounds the wait for
// a response head, from the end of the request write to the end of the
// head, so a head dripped a byte at a time trips it; IdleReadTimeout bounds
// each wait for more body bytes, so a body that keeps dripping never trips
// it and only Timeout ends it. DNS lookups are bounded by Timeout and the
// resolver's own timeouts. A deadline that fires while a response is half
// read is reported as that timeout, never as a malformed response. A phase
// timeout may be retried (Retries); running out of Timeout ends the fetch.
type Config struct {
	// Timeout bounds a whole fetch (see Timeouts above). If zero,
	// DefaultTimeout (30s) is used.
	Timeout time.Duration
	// ConnectTimeout bounds each TCP connect. If zero,
	// DefaultConnectTimeout (10s) is used.
	ConnectTimeout time.Duration
	// TLSTimeout bounds each TLS handshake. If zero, DefaultTLSTimeout
	// (10s) is used.
	TLSTimeout time.Duration
	// HeaderTimeout bounds the wait for a whole response head. If zero,
	// only Timeout bounds it.
	HeaderTimeout time.Duration
	// IdleReadTimeout bounds each wait for more body bytes. If zero, only
	// Timeout bounds it.
	IdleReadTimeout time.Duration

	// Retries is how many times a fetch is tried again, in all (over its
	// redirects too), as curl's --retry: after a timeout of a phase, a
	// connect failure, a connection that broke, or a 408, 429, 500, 502,
	// 503 or 504 answer, for idempotent methods only (GET, HEAD, PUT,
	// DELETE, OPTIONS, TRACE). A body that fails so is fetched again from
	// its URL. Waits are exponential backoff with full jitter, or what
	// Retry-After asks (capped by MaxRetryAfter). A Retry-After longer than
	// the time left (of Timeout, and of RetryMaxTime) ends the fetch at
	// once: the result keeps that response's status and has a KindTimeout
	// error saying so. If zero, no retry is made.
	Retries int
	// RetryAllErrors retries after any failure (every error kind but
	// canceled, and every status of 400 or more) and for any method, as
	// curl's --retry-all-errors. Retries still counts them.
	RetryAllErrors bool
	// RetryMaxTime bounds the time in which retries may start, from the
	// start of the fetch, as curl's --retry-max-time. If zero, only
	// Timeout bounds it.
	RetryMaxTime time.Duration
	// MaxRetryAfter caps the wait a Retry-After header asks for, both
	// before a retry and as a pause of new requests to that host after a
	// 429 or 503. If zero, DefaultMaxRetryAfter (30s) is used.
	MaxRetryAfter time.Duration
	// MaxRedirects is how many redirects a fetch follows. If zero,
	// DefaultMaxRedirects (10) is used.
	MaxRedirects int
	// NoRedirects stops a fetch at the first response, a 3xx included
	// (curl's --max-redirs 0). MaxRedirects must then be zero.
	NoRedirects bool

	// Headers are added to every request. Authorization and Cookie are
	// sent only to the host of the URL given, never after a redirect to
	// another host; so is Host, which overrides the Host header as in
	// HeaderLines. If nil, none are added.
	Headers http.Header
	// HeaderLines are more request headers as "Name: value" lines, as
	// given to curl's -H; they come after Headers. "Host: vhost" replaces
	// the Host header while the fetch is on the URL's own host (the
	// connection, and TLS's server name, still go to the URL's host);
	// "Name:" with nothing after the colon removes a header the client
	// would send (User-Agent, Accept). Connection, Content-Length and
	// Transfer-Encoding are the client's to set: Validate refuses them. If
	// nil, none are added.
	HeaderLines []string
	// UserAgent is the User-Agent header (Headers may override it). If
	// empty, DefaultUserAgent is used.
	UserAgent string
	// Method is the request method, any token (curl's -X). If empty, GET is
	// used, or POST when Data is set.
	Method string
	// Data is a request body, as curl's -d: the text itself, or "@FILE"
	// for the contents of FILE (read once, by NewClient, with carriage
	// returns and newlines removed as curl does). It is sent with a
	// Content-Length and, unless a header gives one, Content-Type
	// application/x-www-form-urlencoded. A 301 or 302 to a POST, and a 303
	// to anything but HEAD, continue as a GET without the body; 307 and 308
	// keep the method and the body. If empty, no body is sent.
	Data string

	// MaxBody caps the decoded bytes of a body; a larger body ends as
	// KindTooLarge (ErrBodyTooLarge). If zero, bodies are not capped.
	MaxBody int64
	// Compressed asks for gzip or deflate (Accept-Encoding is sent only
	// then) and decodes the body. If false, bodies are taken as they come.
	Compressed bool

	// The transport.

	// HTTPVersion chooses HTTP/1.1 or HTTP/2 (curl's --http1.1, --http2,
	// --http2-prior-knowledge). If zero (HTTPVersionAuto), https URLs
	// offer h2 and http/1.1 in ALPN and speak what the server picks; http
	// URLs speak HTTP/1.1. HTTP/2 streams to one origin share a
	// connection (per hub), up to the server's limit of streams.
	HTTPVersion HTTPVersion

	// Insecure skips the verification of server certificates (curl's -k).
	Insecure bool
	// CAFile names a PEM file of CA certificates to trust instead of the
	// system roots. If empty, RootCAs or the system roots are used.
	CAFile string
	// RootCAs are the CA certificates to trust. If nil (and CAFile is
	// empty), the system roots are used.
	RootCAs *x509.CertPool

	// Resolver looks up host names. If nil, each Run (and each Client)
	// gets a fresh dnsresolver.Async of its own (resolv.conf, /etc/hosts,
	// a cache that lives as long as the run, asking only for Family). A
	// Resolver given here is shared: give each Run a new one for cold
	// comparisons.
	Resolver Resolver
	// Family restricts the address families used. If zero (FamilyAny),
	// both are.
	Family Family

	// MaxIdlePerHost caps the idle keep-alive connections kept per origin
	// (and per hub); in all, at most twice the larger of it and the run's
	// concurrency are kept, the oldest making room. If zero, the
	// concurrency (RunConfig.Concurrency; DefaultConcurrency for a Client
	// of NewClient) is used.
	MaxIdlePerHost int
	// NoKeepAlive closes every connection after its response instead of
	// keeping it for the next request.
	NoKeepAlive bool
	// IdleConnTimeout closes keep-alive connections idle this long. If zero,
	// DefaultIdleConnTimeout (90s) is used.
	IdleConnTimeout time.Duration

	// ConnectAttemptDelay is Happy Eyeballs' Connection Attempt Delay
	// (RFC 8305): when a host has several addresses (families
	// interleaved, in the resolver's RFC 6724 order), the next one is
	// tried this long after the last attempt began while earlier attempts
	// are still pending, and at once when one fails; the first to connect
	// wins. If zero, DefaultConnectAttemptDelay (250ms) is used; below
	// 10ms, 10ms.
	ConnectAttemptDelay time.Duration
	// MaxConnectsPerHost bounds the connects in progress to one host
	// (name and port) at once, so that a burst queues in the client (as
	// queue time) instead of overflowing the server's listen queues. A
	// connect is in progress from its first attempt until the server has
	// acknowledged the connection's first bytes (on Linux, read from
	// TCP_INFO; at most a second after the request went out): a
	// handshake completes in the client's kernel even when the server's
	// full accept queue dropped it. The bound adapts per host: it starts
	// at a quarter, widens by one per connection the server takes at
	// once, and halves when one is not taken in time. A connect refused
	// or reset during a burst, to a host where a connect has succeeded
	// (something listens there), is tried again after a short backoff;
	// one to a port where nothing listens fails at once. If zero,
	// DefaultMaxConnectsPerHost (32) is used; NoConnectLimit turns the
	// bound off.
	MaxConnectsPerHost int
	// NoConnectLimit lets every connect start at once, however many are in
	// progress to the host; MaxConnectsPerHost is then not used.
	NoConnectLimit bool

	// Proxy is the proxy every request goes through, as curl's --proxy:
	// http://, https:// (TLS to the proxy), socks5:// (names resolved
	// here) or socks5h:// (names resolved by the proxy), with optional
	// user:password@ (Basic for HTTP proxies, RFC 1929 for SOCKS5); a
	// URL without scheme is http://. If empty, proxies come from the
	// environment as curl reads it (http_proxy, HTTPS_PROXY, ALL_PROXY,
	// NO_PROXY) unless NoEnvProxy is set.
	Proxy string
	// NoProxy lists hosts reached directly, as curl's --noproxy and
	// NO_PROXY: comma-separated names (each also matching its
	// subdomains; a leading dot is allowed), IP addresses, CIDR ranges,
	// each with an optional :port, or "*" for every host. If empty,
	// NO_PROXY/no_proxy from the environment applies to environment
	// proxies and nothing to Proxy.
	NoProxy string
	// NoEnvProxy ignores the proxy variables of the environment (curl's
	// --proxy ""). If false and Proxy is empty, they are used.
	NoEnvProxy bool
}

// RunConfig is what Run takes: the client's Config, and what only an
// engine, the command or the crawler sets: how the engines run (how many
// fetches at once, to one host, per second, on how many hubs), who hears
// of progress, what a fetch does with what it got besides counting it
// (save it, hash it, keep the head, hand the body to a hook, ask a hook
// before a redirect) and the -v trace. The zero value is ready for use,
// and the zero value of every field is its documented default.
// Validate checks it without building anything; Run calls it.
type RunConfig struct {
	Config

	// Concurrency is how many fetches run at once in the threads and async
	// engines (sync runs one). If zero, DefaultConcurrency (100) is used.
	Concurrency int
	// PerHost caps the fetches to one host (name and port) at once. If
	// zero, there is no cap below Concurrency.
	PerHost int
	// Rate caps how many fetches start per second, over the run: the n-th
	// is due n/Rate after the first, and one that could not start when due
	// starts as soon as a slot is free, with its Queue time counted from
	// when it was due (wrk2's schedule; see Run). If zero, there is no cap.
	Rate float64
	// Hubs is the number of hubs of the async engine. If zero, one per
	// core (GOMAXPROCS) is used.
	Hubs int

	// Observer, if set, is told of progress. If nil, nothing is.
	Observer Observer

	// OnBody, if set, receives the decoded body of each final response
	// (see BodyFunc); OnRedirect, if set, decides whether each redirect is
	// followed (see RedirectFunc). The crawler (package crawl) uses them.
	// If nil, bodies go only where the fields below send them, and every
	// redirect is followed.
	OnBody     BodyFunc
	OnRedirect RedirectFunc

	// SaveDir, if set, saves each body to a file in this directory, named
	// after the URL (Result.SavedAs); no URL can make a file outside it.
	// If empty, bodies are counted and discarded.
	SaveDir string
	// SHA256 computes the SHA-256 of each decoded body (Result.SHA256).
	SHA256 bool
	// IncludeHeaders puts the final response's header in Result.Headers.
	// If false, Result.Headers is nil.
	IncludeHeaders bool
	// Verbose, if set, receives every request head and response head, as
	// curl -v prints them: a "* URL" line, then the head's lines prefixed
	// "> " (request) or "< " (response), passwords masked, one Write per
	// head. Writes are serialized, so any writer will do; they happen on
	// the fetch's thread, so a slow writer slows the run. If nil, nothing
	// is written.
	Verbose io.Writer
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

// Job is one input URL: the text of an input line as ParseURL reads it
// (surrounding white space ignored; a missing scheme means http://), its
// position in the input, and a label the result carries back.
type Job struct {
	URL   string
	Index int64
	// Label is passed through to Result.Label untouched (an id from the
	// input list, say). If empty, the result has none.
	Label string

	// parsed and shown are what ParseJob read of from, the URL then:
	// the fetch does not read URL again while it is still from. parsed
	// is only read.
	parsed      *url.URL
	shown, from string
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
	// Connect attempts besides the winners: Happy Eyeballs attempts that
	// lost the race (closed or canceled), attempts that failed, and
	// connects tried again after a refusal or reset under a burst.
	ConnectLost    int64 `json:"connect_attempts_lost"`
	ConnectFailed  int64 `json:"connect_attempts_failed"`
	ConnectRetries int64 `json:"connect_retries"`

	// Per protocol: connections and requests over HTTP/1.1, connections
	// and streams over HTTP/2 (each counted in Conns and Requests too).
	HTTP1Conns    int64 `json:"h1_conns"`
	HTTP1Requests int64 `json:"h1_requests"`
	HTTP2Conns    int64 `json:"h2_conns"`
	HTTP2Streams  int64 `json:"h2_streams"`
}
