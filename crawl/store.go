package crawl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

// Store is a crawl's frontier together with its results: the queue of
// URLs to fetch, the visited set, the claims of the workers, and one
// result record per URL. OpenStore opens one by the scheme of its spec:
// "memory" (one run of one process), "bolt:PATH" (a bbolt file: one
// process at a time, resumable after a crash) or "redis://…" (any number
// of workers on any number of machines share one crawl). A Store given to
// Run as Config.Frontier keeps what the crawl does.
//
// Every store keeps the same contract, which crawltest.TestStore checks:
//
//   - Push tests and sets the visited key and enqueues, atomically per
//     item, over every handle of the crawl: a URL two workers find at once
//     is queued once. Beyond StoreOptions.MaxFrontier items outstanding
//     (queued or claimed), Push drops and counts, and does not mark the
//     dropped items visited.
//   - Claim hands out items ready at the now it is given, at most
//     StoreOptions.PerHost of a host at once and a host's starts at least
//     its delay apart (StoreOptions.Delay, or SetHostDelay), hosts served
//     round-robin. A store reads no clock of its own: host delays and claim
//     timeouts are reckoned in the nows of the calls, so a test drives a
//     store with a clock of its own, and the workers of a shared store
//     need clocks that agree (NTP) to well within the delays and the claim
//     timeout.
//   - Complete finishes claimed pages atomically (Done, then the links
//     pushed and the record kept); Release gives a claimed item back to
//     the queue; Outstanding counts queued plus claimed items over every
//     handle, so a crawl ends when it is zero everywhere.
//   - ReadResults reads the records back, each URL's once, in the order
//     they were kept; Exists says whether the store holds the crawl.
//
// A Store is not safe for concurrent use: Run calls it from one goroutine
// at a time. Workers share a crawl by opening handles of their own.
type Store interface {
	Frontier
	// Complete finishes claimed pages in one atomic step: it releases
	// their claims, queues their links (as Push does), and keeps each
	// record as its URL's result unless the URL has one already (stored
	// counts those kept). Completing an item twice (a reclaimed claim, a
	// retried call) adds nothing the second time.
	Complete(done []Completion) (pr PushResult, stored int, err error)
	// Release gives back a claimed item that was not fetched (the run
	// stopped, or reached its page limit): it is queued again.
	Release(item Item) error
	// ReadResults calls fn with each result record of the crawl, in the
	// order they were kept, until fn returns an error (returned) or ctx
	// ends. With follow, a store that other workers share waits for more
	// until the crawl has nothing outstanding; a store of one process
	// (memory, bolt) has no other writer, and reads what it holds.
	ReadResults(ctx context.Context, follow bool, fn func(record []byte) error) error
	// Exists reports whether the store holds anything of the crawl (URLs
	// seen or results kept): nil if it does, an error wrapping ErrNoCrawl
	// if not (saying what the store does hold, where it can), or the
	// error of asking.
	Exists(ctx context.Context) error
	// Stats returns what the store counted so far.
	Stats() StoreStats
	// Close releases what the handle holds (files, connections). A
	// second Close does nothing.
	Close() error
}

// StoreStats are the counters of a Store.
type StoreStats struct {
	// RoundTrips is the number of requests sent to a store over the
	// network so far (Redis: each command or script is one); 0 for a
	// store in memory or in a file.
	RoundTrips int64
}

// StoreOptions configure the Store that OpenStore opens. Every limit
// means the same in every store, and zero is its default.
type StoreOptions struct {
	// CrawlID names the crawl (or URL list) in the store: the handles
	// opened with one id share one crawl. Stores that hold several crawls
	// (bolt, redis) need it; the memory store holds one and ignores it.
	CrawlID string
	// PerHost is how many items of one host may be claimed at once, over
	// every handle of the crawl. If zero, DefaultPerHost.
	PerHost int
	// Delay is the least time between the claims of two items of one
	// host (their requests' starts), over every handle of the crawl,
	// unless SetHostDelay says otherwise for the host.
	Delay time.Duration
	// MaxFrontier bounds the items outstanding (queued or claimed): Push
	// drops what goes beyond. If zero, DefaultMaxFrontier; if negative,
	// there is no bound.
	MaxFrontier int
	// ClaimTimeout is how long, in the nows given to Claim, an item may
	// stay claimed before another handle of the crawl may claim it (its
	// worker died). If zero, DefaultClaimTimeout. A store of one handle
	// at a time (memory, bolt) never takes a claim from its only user.
	ClaimTimeout time.Duration
	// RetryFor bounds the retries of one call to a store over the network
	// (a Redis that restarts, fails over, or is unreachable for a while).
	// If zero, DefaultRetryFor.
	RetryFor time.Duration
	// OnRetry, if set, is told of each failed call that will be retried,
	// and how long until it is.
	OnRetry func(err error, wait time.Duration)
	// ReadOnly opens the store to read a crawl's results: nothing is
	// created or changed (a missing bolt file stays missing: Exists says
	// so), and every method that would write fails.
	ReadOnly bool
}

// Defaults of StoreOptions.
const (
	// DefaultMaxFrontier is the default bound of the items a frontier
	// holds outstanding (Config.MaxFrontier, StoreOptions.MaxFrontier,
	// --max-frontier): about 150 MB of queue at 150 bytes a URL.
	DefaultMaxFrontier = 1000000
	// DefaultClaimTimeout is the default of StoreOptions.ClaimTimeout and
	// of --claim-timeout.
	DefaultClaimTimeout = 2 * time.Minute
	// DefaultRetryFor is the default of StoreOptions.RetryFor.
	DefaultRetryFor = 5 * time.Minute
)

func (o StoreOptions) perHost() int {
	if o.PerHost <= 0 {
		return DefaultPerHost
	}
	return o.PerHost
}

// maxFrontier returns the bound of outstanding items; 0 means none.
func (o StoreOptions) maxFrontier() int {
	switch {
	case o.MaxFrontier == 0:
		return DefaultMaxFrontier
	case o.MaxFrontier < 0:
		return 0
	}
	return o.MaxFrontier
}

func (o StoreOptions) claimTimeout() time.Duration {
	if o.ClaimTimeout <= 0 {
		return DefaultClaimTimeout
	}
	return o.ClaimTimeout
}

func (o StoreOptions) retryFor() time.Duration {
	if o.RetryFor <= 0 {
		return DefaultRetryFor
	}
	return o.RetryFor
}

var (
	// ErrStoreSetup marks a store that cannot be used at all (an unknown
	// scheme, a wrong password, a server that is no Redis, an unreadable
	// or locked file): a startup error, not worth retrying.
	ErrStoreSetup = errors.New("frontier store unusable")
	// ErrNoCrawl is what Exists reports for a store that holds no crawl
	// (or list) of the id asked for.
	ErrNoCrawl = errors.New("no such crawl")
	// errReadOnly is the error of a write to a store opened ReadOnly.
	errReadOnly = errors.New("store opened read-only")
)

// completeClaimer is a Store that completes pages and claims the
// next items in one call (the Redis store: one round trip instead of two).
type completeClaimer interface {
	CompleteClaim(done []Completion, now time.Time, limit int) (pr PushResult, stored int, items []Item, wait time.Duration, err error)
}

// Completion is a page done: its item, the record of its result (nil:
// none kept), and the links it yielded to queue.
type Completion struct {
	Item   Item
	Record []byte
	Links  []Item
}

// maxCompletionBatch bounds the pages completed in one store call.
const maxCompletionBatch = 64

// complete finishes a page with a store frontier: the completion waits
// in c.done for the next flush, so that pages done together cost one
// call of the store. c.mu is held.
func (c *crawler) complete(it Item, r *fetcher.Result, links []Item) {
	if r.ErrorKind == fetcher.KindCanceled {
		c.release(it) // stopped, not fetched: queued again
		return
	}
	var rec []byte
	if c.cfg.Record != nil {
		rec = c.cfg.Record(r)
	}
	c.stats.Pages++
	c.done = append(c.done, Completion{Item: it, Record: rec, Links: links})
	if len(c.done) >= maxCompletionBatch {
		c.flush()
	}
}

// flush hands the pending completions to the store; c.mu is held.
func (c *crawler) flush() {
	if len(c.done) == 0 {
		return
	}
	pr, _, err := c.store.Complete(c.done)
	c.flushed(pr, err)
}

// flushed counts what a flush of c.done did and empties it; c.mu is held.
func (c *crawler) flushed(pr PushResult, err error) {
	clear(c.done)
	c.done = c.done[:0]
	c.stats.Discovered += int64(pr.Added)
	c.stats.Duplicates += int64(pr.Duplicates)
	c.stats.Dropped += int64(pr.Dropped)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("crawl: frontier: %w", err)
	}
}

// claim claims up to limit items, with the pending completions in the
// same call when the store can; c.mu is held.
func (c *crawler) claim(limit int) ([]Item, time.Duration, error) {
	if cc, ok := c.store.(completeClaimer); ok && len(c.done) > 0 {
		pr, _, items, wait, err := cc.CompleteClaim(c.done, time.Now(), limit)
		c.flushed(pr, err)
		if err != nil {
			return nil, 0, nil // counted by flushed
		}
		return items, wait, nil
	}
	c.flush()
	return c.front.Claim(time.Now(), limit)
}

// flushLocked is flush for the driver without c.mu.
func (c *crawler) flushLocked() {
	c.mu.Lock()
	c.flush()
	c.mu.Unlock()
}

// release gives a claimed item back unfetched; c.mu is held or the driver
// is alone.
func (c *crawler) release(it Item) {
	if c.store == nil {
		c.front.Done(it)
		return
	}
	if err := c.store.Release(it); err != nil && c.err == nil {
		c.err = fmt.Errorf("crawl: frontier: %w", err)
	}
}
