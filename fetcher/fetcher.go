// Package fetcher is greenfetch's HTTP/1.1 + TLS client and the three
// engines that run it over a list of URLs.
//
// A Client fetches one URL into a Result (fetch.go): ParseURL reads the
// input line (url.go), the resolver looks up the host (Config.Resolver, by
// default a dnsresolver.Async of its own: resolve.go), the client reuses a
// kept-alive connection of the origin (pool.go, h2.go) or dials one (DNS,
// RFC 6724 order, Happy Eyeballs, the connect window, TLS: dial.go,
// addrselect.go, happyeyeballs.go, connlimit.go), sends the request's
// header list (reqhead.go) and reads the response head over the protocol
// the server chose in ALPN (conn.go: one connection interface, which
// HTTP/1.1 in http1.go and an HTTP/2 stream in h2stream.go implement),
// follows redirects (redirect.go), retries as curl's --retry does
// (retry.go), decodes gzip and deflate, and counts, hashes or saves the
// body (body.go, save.go). Failures are Results with an ErrorKind
// (errors.go, result.go), never panics; a panic inside a fetch is a bug,
// reported as KindInternal.
//
// The client works on net.Conn and asks the scheduler only which world it
// runs in: called from a scheduler task (scheduler.Current), it dials
// cooperative sockets (scheduler.DialContext), so that waiting on the
// network yields the task, keeps its connections per hub, and runs file
// writes on worker threads (scheduler.Blocking); called from an ordinary
// goroutine, it dials with net.Dialer. Per-host limits and pauses use
// scheduler.Semaphore, which works in both worlds (hosts.go).
//
// HTTPS requests offer HTTP/2 in ALPN (Config.HTTPVersion chooses; h2c
// with prior knowledge for http URLs): then the requests to one origin
// share one connection per hub as streams, up to the server's limit
// (RFC 9113, on x/net/http2's Framer and hpack; the connection logic is
// the fetcher's own, in h2*.go). In the sync and async engines a
// connection's frame reader and writer are two tasks of its hub, never a
// goroutine per connection or stream; in the threads engine they are two
// goroutines per connection. Result.Proto says which protocol answered.
//
// Run feeds jobs from a channel through one of three engines (engine.go),
// so that a comparison measures only scheduling:
//
//   - ModeSync: one URL after another, each as one task on one hub (the
//     seed's "同步" cost);
//   - ModeThreads: a goroutine per URL on Go's own net package, the same
//     client code;
//   - ModeAsync: tasks spread over a scheduler.HubSet, with a concurrency
//     limit, an optional per-host limit and an optional rate (the seed's
//     "异步" cost).
//
// Every run starts cold (new connection pool, new DNS cache), its memory
// grows with the concurrency and not with the list, and every job yields
// exactly one Result, canceled ones included.
//
// Config (config.go) is checked by Validate (validate.go) without building
// anything; its zero value is ready for use, and its doc says which timeout
// bounds what.
package fetcher
