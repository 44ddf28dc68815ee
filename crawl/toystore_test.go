package crawl_test

// A store that lives outside package crawl: written against the exported
// API only (crawl.Store, StoreOptions, Item's text form), registered
// under a scheme of its own, passing crawltest and crawling a site
// through crawl.Run. The seam is worth its name if this is all a fourth
// store takes.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/crawl/crawltest"
	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

func init() { crawl.RegisterStore("toy", openToy) }

// toyServer stands for a key-value service that keeps crawls as text:
// items in their text form (Item.MarshalText), records as they came.
// What a handle writes outlives it; one handle at a time uses a crawl.
var toyServer = struct {
	sync.Mutex
	crawls map[string]*toyCrawl // by spec and crawl id
}{crawls: map[string]*toyCrawl{}}

// toyCrawl is a crawl on the toy server.
type toyCrawl struct {
	seen    map[uint64]bool
	queues  map[string][]string // host → items queued, first in first out
	ring    []string            // hosts with items queued, in turn
	inRing  map[string]bool
	queued  int
	claimed map[uint64]string // key → item, claimed and not done
	done    map[uint64]bool   // keys with a record
	results [][]byte
}

// toyStore is a handle on a toy crawl. Its schedule (slots in use, next
// starts, host delays) is the handle's, as a run's.
type toyStore struct {
	c        *toyCrawl // nil: opened read-only, and the crawl is not there
	o        crawl.StoreOptions
	inflight map[string]int
	nextAt   map[string]time.Time
	delay    map[string]time.Duration
}

var errToyReadOnly = errors.New("toy store: opened read-only")

func openToy(_ context.Context, spec string, o crawl.StoreOptions) (crawl.Store, error) {
	if o.CrawlID == "" {
		return nil, fmt.Errorf("%w: %s: no crawl id", crawl.ErrStoreSetup, spec)
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	name := spec + "\x00" + o.CrawlID
	c := toyServer.crawls[name]
	if c == nil && !o.ReadOnly {
		c = &toyCrawl{seen: map[uint64]bool{}, queues: map[string][]string{}, inRing: map[string]bool{},
			claimed: map[uint64]string{}, done: map[uint64]bool{}}
		toyServer.crawls[name] = c
	}
	if c != nil && !o.ReadOnly {
		// What the last handle claimed and never finished is queued again.
		keys := make([]uint64, 0, len(c.claimed))
		for k := range c.claimed {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var it crawl.Item
			if err := it.UnmarshalText([]byte(c.claimed[k])); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", crawl.ErrStoreSetup, spec, err)
			}
			c.enqueue(it.Host, c.claimed[k])
			delete(c.claimed, k)
		}
	}
	return &toyStore{c: c, o: o, inflight: map[string]int{}, nextAt: map[string]time.Time{}, delay: map[string]time.Duration{}}, nil
}

func (c *toyCrawl) enqueue(host, text string) {
	c.queues[host] = append(c.queues[host], text)
	c.queued++
	if !c.inRing[host] {
		c.inRing[host] = true
		c.ring = append(c.ring, host)
	}
}

func (s *toyStore) writable() error {
	if s.o.ReadOnly {
		return errToyReadOnly
	}
	return nil
}

func (s *toyStore) max() int {
	switch {
	case s.o.MaxFrontier == 0:
		return crawl.DefaultMaxFrontier
	case s.o.MaxFrontier < 0:
		return 0
	}
	return s.o.MaxFrontier
}

// push queues the items not seen yet, as far as the bound allows.
func (s *toyStore) push(items []crawl.Item) (crawl.PushResult, error) {
	texts := make([]string, len(items))
	for i, it := range items {
		b, err := it.MarshalText()
		if err != nil {
			return crawl.PushResult{}, err
		}
		texts[i] = string(b)
	}
	var pr crawl.PushResult
	c := s.c
	for i, it := range items {
		switch {
		case c.seen[it.Key]:
			pr.Duplicates++
		case s.max() > 0 && c.queued+len(c.claimed) >= s.max():
			pr.Dropped++
		default:
			c.seen[it.Key] = true
			c.enqueue(it.Host, texts[i])
			pr.Added++
		}
	}
	return pr, nil
}

func (s *toyStore) Push(items []crawl.Item) (crawl.PushResult, error) {
	if err := s.writable(); err != nil {
		return crawl.PushResult{}, err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	return s.push(items)
}

func (s *toyStore) Visit(key uint64) (bool, error) {
	if err := s.writable(); err != nil {
		return false, err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	isNew := !s.c.seen[key]
	s.c.seen[key] = true
	return isNew, nil
}

func (s *toyStore) Claim(now time.Time, max int) ([]crawl.Item, time.Duration, error) {
	if err := s.writable(); err != nil {
		return nil, 0, err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	c := s.c
	perHost := s.o.PerHost
	if perHost <= 0 {
		perHost = crawl.DefaultPerHost
	}
	var out []crawl.Item
	var wait time.Duration
	// Visit the hosts in turn, one item a visit, until max are claimed
	// or a whole turn claims nothing.
	for idle := 0; len(out) < max && len(c.ring) > 0 && idle < len(c.ring); {
		h := c.ring[0]
		c.ring = append(c.ring[1:], h)
		q := c.queues[h]
		if len(q) == 0 {
			c.ring = c.ring[:len(c.ring)-1]
			c.inRing[h] = false
			continue
		}
		if s.inflight[h] >= perHost {
			idle++
			continue
		}
		if next := s.nextAt[h]; next.After(now) {
			if d := next.Sub(now); wait == 0 || d < wait {
				wait = d
			}
			idle++
			continue
		}
		var it crawl.Item
		if err := it.UnmarshalText([]byte(q[0])); err != nil {
			return out, 0, fmt.Errorf("toy store: %v", err)
		}
		c.queues[h] = q[1:]
		c.queued--
		c.claimed[it.Key] = q[0]
		s.inflight[h]++
		d, ok := s.delay[h]
		if !ok {
			d = s.o.Delay
		}
		if d > 0 {
			s.nextAt[h] = now.Add(d)
		}
		out = append(out, it)
		idle = 0
	}
	if len(out) > 0 {
		wait = 0
	}
	return out, wait, nil
}

// finish frees the claim of it.
func (s *toyStore) finish(it crawl.Item) {
	delete(s.c.claimed, it.Key)
	s.inflight[it.Host]--
}

func (s *toyStore) held(items ...crawl.Item) error {
	for _, it := range items {
		if _, ok := s.c.claimed[it.Key]; !ok {
			return fmt.Errorf("toy store: %s is not claimed", it.URL)
		}
	}
	return nil
}

func (s *toyStore) Done(it crawl.Item) error {
	if err := s.writable(); err != nil {
		return err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	if err := s.held(it); err != nil {
		return err
	}
	s.finish(it)
	return nil
}

func (s *toyStore) Complete(done []crawl.Completion) (crawl.PushResult, int, error) {
	if err := s.writable(); err != nil {
		return crawl.PushResult{}, 0, err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	for _, d := range done {
		if err := s.held(d.Item); err != nil {
			return crawl.PushResult{}, 0, err
		}
		for _, l := range d.Links {
			if _, err := l.MarshalText(); err != nil {
				return crawl.PushResult{}, 0, err
			}
		}
	}
	var total crawl.PushResult
	stored := 0
	for _, d := range done {
		if _, ok := s.c.claimed[d.Item.Key]; !ok {
			continue // twice in done
		}
		s.finish(d.Item)
		pr, _ := s.push(d.Links)
		total.Added += pr.Added
		total.Duplicates += pr.Duplicates
		total.Dropped += pr.Dropped
		if len(d.Record) > 0 && !s.c.done[d.Item.Key] {
			s.c.done[d.Item.Key] = true
			s.c.results = append(s.c.results, slices.Clone(d.Record))
			stored++
		}
	}
	return total, stored, nil
}

func (s *toyStore) Release(it crawl.Item) error {
	if err := s.writable(); err != nil {
		return err
	}
	toyServer.Lock()
	defer toyServer.Unlock()
	if err := s.held(it); err != nil {
		return err
	}
	text := s.c.claimed[it.Key]
	s.finish(it)
	s.c.enqueue(it.Host, text)
	return nil
}

func (s *toyStore) SetHostDelay(host string, d time.Duration) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.delay[host] = d
	return nil
}

func (s *toyStore) Outstanding() (int, error) {
	toyServer.Lock()
	defer toyServer.Unlock()
	if s.c == nil {
		return 0, nil
	}
	return s.c.queued + len(s.c.claimed), nil
}

func (s *toyStore) ReadResults(ctx context.Context, _ bool, fn func([]byte) error) error {
	toyServer.Lock()
	var recs [][]byte
	if s.c != nil {
		recs = slices.Clone(s.c.results)
	}
	toyServer.Unlock()
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(slices.Clone(r)); err != nil {
			return err
		}
	}
	return nil
}

func (s *toyStore) Exists(context.Context) error {
	toyServer.Lock()
	defer toyServer.Unlock()
	if s.c == nil || len(s.c.seen) == 0 && len(s.c.results) == 0 {
		return fmt.Errorf("%w: the toy server holds no crawl %q", crawl.ErrNoCrawl, s.o.CrawlID)
	}
	return nil
}

func (s *toyStore) Stats() crawl.StoreStats { return crawl.StoreStats{} }

func (s *toyStore) Close() error { return nil }

// TestToyStore: a store of another package passes the suite, through
// OpenStore and its own scheme.
func TestToyStore(t *testing.T) {
	crawltest.TestStore(t, crawltest.Traits{Durable: true}, opener(func(string) string { return "toy:suite" }))
}

// TestRunOnStores: crawl.Run crawls a site (nginx) on the toy store, and
// on the memory and bolt stores for comparison, each page fetched once
// and its record kept once, and reads them back.
func TestRunOnStores(t *testing.T) {
	const pages = 30
	files := map[string][]byte{"index.html": []byte(`<a href="/p0.html">0</a>`)}
	for i := range pages {
		files[fmt.Sprintf("p%d.html", i)] = fmt.Appendf(nil, `<a href="/p%d.html">next</a> <a href="/p%d.html">again</a> <a href="/">home</a>`, (i+1)%pages, (7*i+3)%pages)
	}
	n := testserver.StartNginx(t, testserver.NginxOptions{Files: files})
	want := []string{n.URL + "/"}
	for i := range pages {
		want = append(want, fmt.Sprintf("%s/p%d.html", n.URL, i))
	}
	slices.Sort(want)
	ctx := context.Background()
	stores := []struct{ name, spec string }{
		{"toy", "toy:run"},
		{"memory", "memory"},
		{"bolt", "bolt:" + filepath.Join(t.TempDir(), "run.db")},
	}
	for run, tt := range stores {
		t.Run(tt.name, func(t *testing.T) {
			st, err := crawl.OpenStore(ctx, tt.spec, crawl.StoreOptions{CrawlID: "site", PerHost: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			seed, _ := url.Parse(n.URL + "/")
			stats, err := crawl.Run(ctx, crawl.Config{
				Mode: fetcher.ModeAsync, Seeds: []*url.URL{seed}, MaxDepth: 100, IgnoreRobots: true, PerHost: 4,
				Frontier: st,
				Record:   func(r *fetcher.Result) []byte { return []byte(r.URL) },
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if stats.Pages != pages+1 {
				t.Errorf("Run: %d pages; want %d", stats.Pages, pages+1)
			}
			var got []string
			if err := st.ReadResults(ctx, false, func(r []byte) error {
				got = append(got, string(r))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("the store's records: %q; want every page once: %q", got, want)
			}
			reqs := map[string]int{}
			for _, e := range n.WaitAccessLog(t, (run+1)*(pages+1)) {
				reqs[e.URI]++
			}
			for uri, k := range reqs {
				if k != run+1 {
					t.Errorf("%s requested %d times in %d runs; want once a run", uri, k, run+1)
				}
			}
			if n, err := st.Outstanding(); err != nil || n != 0 {
				t.Errorf("Outstanding() after the crawl = %d, %v; want 0", n, err)
			}
		})
	}
}
