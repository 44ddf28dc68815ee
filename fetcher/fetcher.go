// Package fetcher is greenfetch's HTTP/1.1 + TLS client and the three
// engines that run it over a list of URLs.
//
// A Client fetches one URL into a Result: it resolves the host, dials (or
// reuses a kept-alive connection from its per-origin pool), does the TLS
// handshake, writes the request, reads the response with net/http's own
// wire code, follows redirects, retries with backoff, decodes gzip and
// deflate, and counts, hashes or saves the body. It sees only net.Conn:
// called from a scheduler task it dials cooperative sockets
// (scheduler.DialContext), so that waiting on the network yields the task;
// called from an ordinary goroutine it dials with net.Dialer. Failures are
// Results with an ErrorKind, never panics.
//
// Run feeds jobs from a channel through one of three engines, so that a
// comparison measures only scheduling:
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
package fetcher

import (
	"context"
	"errors"
)

// errNotImplemented marks what is still being written.
var errNotImplemented = errors.New("not implemented yet")

// Client fetches URLs. Safe for concurrent use by tasks of any hub and by
// goroutines. Connections kept alive belong to the hub (or to the goroutine
// world) that dialed them and are reused only there.
type Client struct {
	cfg Config
}

// NewClient returns a Client for cfg. It fails when cfg is inconsistent (a
// bad method, a header that cannot be sent, an unreadable CAFile).
func NewClient(cfg Config) (*Client, error) {
	return &Client{cfg: cfg}, nil
}

// Fetch fetches rawURL (a missing scheme means http://) and returns what it
// delivered. From a scheduler task it uses cooperative sockets; from an
// ordinary goroutine, Go's net package. ctx cancels the fetch (KindCanceled);
// Config.Timeout bounds it.
func (c *Client) Fetch(ctx context.Context, rawURL string) Result {
	r := Result{Type: "result", URL: rawURL}
	r.fail(&Error{Kind: KindIO, URL: rawURL, Err: errNotImplemented})
	return r
}

// Stats returns what the client did so far.
func (c *Client) Stats() Stats { return Stats{} }

// Close closes the idle connections. Fetches still running end as they
// would; their connections are closed instead of kept.
func (c *Client) Close() error { return nil }

// Run fetches every job from jobs with the engine of mode and sends one
// Result per job to results, in completion order (Result.Index gives the
// input order). It returns when jobs is closed and drained and every result
// has been sent, with what the run did on the wire. It closes neither
// channel.
//
// When ctx is canceled, fetches in flight end as KindCanceled, and every
// job still read from jobs gets a KindCanceled result at once: the caller
// still closes jobs. The returned error is non-nil only when the run could
// not start (a bad Config, no hub); then no job was read.
func Run(ctx context.Context, mode Mode, cfg Config, jobs <-chan Job, results chan<- Result) (Stats, error) {
	return Stats{}, errNotImplemented
}
