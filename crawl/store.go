package crawl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

// StoreFrontier is a Frontier kept in a store that outlives one run
// (BoltFrontier) or that several workers share (RedisFrontier). Besides
// the queue it keeps the crawl's results, one per URL.
//
// With a StoreFrontier, Run never calls the frontier from the engine's
// hooks (they may run on a hub's thread): a redirect's target is queued as
// a URL of its own, and the 3xx is the page's result.
type StoreFrontier interface {
	Frontier
	// Complete finishes claimed pages in one atomic step: it queues their
	// links (as Push does), keeps each record as its URL's result unless
	// the URL has one already (stored counts those kept), and releases the
	// claims. Completing an item twice (a reclaimed claim, a retried
	// call) adds nothing the second time.
	Complete(done []Completion) (pr PushResult, stored int, err error)
	// Release gives back a claimed item that was not fetched (the run
	// stopped, or reached its page limit): it is queued again.
	Release(item Item) error
}

// completeClaimer is a StoreFrontier that completes pages and claims the
// next items in one call (RedisFrontier: one round trip instead of two).
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

// encodeItem is an item's form in a store: depth, host, URL and parent,
// tab-separated (a normalized URL holds no tab). The key is Hash(URL).
func encodeItem(b []byte, it Item) []byte {
	b = strconv.AppendInt(b, int64(it.Depth), 10)
	b = append(b, '\t')
	b = append(b, it.Host...)
	b = append(b, '\t')
	b = append(b, it.URL...)
	b = append(b, '\t')
	return append(b, it.Parent...)
}

var errBadItem = errors.New("malformed item in the store")

// decodeItem reverses encodeItem.
func decodeItem(s string) (Item, error) {
	f := strings.SplitN(s, "\t", 4)
	if len(f) != 4 {
		return Item{}, fmt.Errorf("%w: %q", errBadItem, s)
	}
	d, err := strconv.Atoi(f[0])
	if err != nil || f[2] == "" {
		return Item{}, fmt.Errorf("%w: %q", errBadItem, s)
	}
	return Item{URL: f[2], Key: Hash(f[2]), Host: f[1], Depth: d, Parent: f[3]}, nil
}
