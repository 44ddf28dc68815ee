package crawl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

// DefaultPerHost is the default of Config.PerHost: fetches to one host at
// once in a crawl.
const DefaultPerHost = 2

// Config configures a crawl. The zero value (with Seeds) crawls the seeds'
// hosts to depth 0 (the seeds only), obeying robots.txt.
type Config struct {
	// Fetch configures the client and the engine. Its OnBody and
	// OnRedirect must be nil (the crawl sets them); its PerHost is
	// replaced by PerHost.
	Fetch fetcher.RunConfig
	// Mode is the engine.
	Mode fetcher.Mode
	// Seeds are the URLs the crawl starts from, at depth 0. They are
	// fetched whatever the scope (they define it).
	Seeds []*url.URL
	// MaxDepth is the deepest link followed: links of a page at depth d
	// are fetched at depth d+1 while d+1 <= MaxDepth. Zero fetches the
	// seeds only (and sitemap entries never).
	MaxDepth int
	// Scope decides which discovered URLs are fetched; Run adds the seeds
	// to it.
	Scope Scope
	// MaxPages stops the crawl after this many pages were started. If
	// zero, there is no limit.
	MaxPages int
	// List makes Run fetch a URL list instead of crawling: the frontier
	// holds the list (Seeds, and whatever was pushed to a store before),
	// each URL fetched once; no robots.txt, no links, no sitemaps, and
	// redirects followed in place as a plain fetch does (up to the
	// client's limit, whatever the scope or the visited set). Results
	// carry no CrawlInfo. With a Store it is how several workers share
	// one list, or a killed run resumes it.
	List bool
	// IgnoreRobots skips robots.txt (--robots off). By default each
	// origin's robots.txt is fetched before its first page and obeyed.
	IgnoreRobots bool
	// Sitemaps reads each origin's /sitemap.xml and the sitemaps its
	// robots.txt names; their URLs enter at depth 1, in scope only.
	Sitemaps bool
	// Delay is the least time between request starts to one host; a
	// longer robots.txt Crawl-delay (capped at MaxCrawlDelay) wins.
	Delay time.Duration
	// PerHost is how many fetches to one host run at once. If zero,
	// DefaultPerHost (2).
	PerHost int
	// MaxFrontier bounds the URLs outstanding: queued, or claimed and not
	// yet done; new URLs beyond it are dropped and counted
	// (Stats.Dropped). If zero, DefaultMaxFrontier; if negative, there is
	// no bound.
	MaxFrontier int
	// Frontier, if set, replaces the memory frontier (its PerHost, Delay
	// and bound are its own business then: see StoreOptions). A Store
	// (OpenStore) also keeps the crawl's results: see Record. A store
	// other than memory is never called from the engine's hooks (they may
	// run on a hub's thread): a redirect's target is queued as a URL of
	// its own, and the 3xx is the page's result.
	Frontier Frontier
	// Record, with a Store, makes the record of a page's result that the
	// store keeps (one NDJSON line). If nil, results are not stored, only
	// acknowledged.
	Record func(*fetcher.Result) []byte
	// OnResult is called with the result of each page fetched, from the
	// goroutine of Run, in completion order. Its CrawlInfo is set.
	OnResult func(*fetcher.Result)
	// RobotsRetry is how long a robots.txt that failed (5xx, unreachable)
	// keeps its origin forbidden before it is fetched again for the next
	// URL of that origin. If zero, RobotsRetryAfter.
	RobotsRetry time.Duration
	// OnRobotsFailure, if set, is told when an origin's robots.txt
	// answered 5xx or could not be fetched: the origin's URLs are skipped
	// until RobotsRetry has passed.
	OnRobotsFailure func(robotsURL, reason string)
	// OnSkip, if set, is told of each URL not fetched because robots.txt
	// forbids it (reason "robots").
	OnSkip func(url, reason string)
}

// Stats counts what a crawl did. In JSON they are the crawl counters of
// the summary line.
type Stats struct {
	Pages         int64 `json:"pages"`          // page results delivered
	Discovered    int64 `json:"discovered"`     // distinct URLs queued (seeds, links, sitemap entries, redirect targets)
	SkippedRobots int64 `json:"skipped_robots"` // URLs robots.txt forbade: not fetched
	OutOfScope    int64 `json:"out_of_scope"`   // links (each time found) outside the scope
	Duplicates    int64 `json:"duplicates"`     // links (each time found) to a URL already queued or fetched
	Dropped       int64 `json:"dropped"`        // URLs not queued: the frontier was full, or a page's links passed MaxLinksPerPage or MaxURLLength
	RobotsFetches int64 `json:"robots_fetches"` // robots.txt fetches
	RobotsErrors  int64 `json:"robots_errors"`  // robots.txt fetches that failed (5xx, unreachable): their origin was skipped
	Sitemaps      int64 `json:"sitemaps"`       // sitemap files fetched
	// Left is what the frontier still held when the crawl ended: URLs
	// queued or claimed and never fetched (an interrupt, MaxPages). 0
	// when the crawl ran to its end, and with a Frontier that is a Store
	// other than memory (what is left there is the store's, for the next
	// run or another worker).
	Left int64 `json:"left"`

	Fetch fetcher.Stats `json:"-"` // what the engine did on the wire (robots and sitemaps included)
}

type jobKind uint8

const (
	kindPage jobKind = iota
	kindRobots
	kindSitemap
)

// entry is a job in flight.
type entry struct {
	kind      jobKind
	item      Item
	origin    *origin
	redirects int
	ext       *LinkExtractor
	buf       *capBuffer
	hold      *url.URL // a redirect target not followed: robots unknown yet
}

type robotsState uint8

const (
	robotsUnknown robotsState = iota
	robotsFetching
	robotsReady
	robotsFailed // 5xx or unreachable: everything disallowed until retryAt
)

type origin struct {
	name    string // scheme://host[:port]
	host    string
	state   robotsState
	robots  *Robots
	retryAt time.Time
	parked  []Item // claimed, waiting for robots.txt
	mapped  bool   // sitemaps asked for
}

// crawler is one Run.
type crawler struct {
	cfg Config
	ctx context.Context
	// pageRedirects is how many redirects a page follows (the user's
	// limit); the engine's own limit is at least MaxRobotsRedirects, so
	// that robots.txt gets the redirects RFC 9309 2.3.1.2 asks for
	// whatever the pages' limit is.
	pageRedirects int

	mu        sync.Mutex // guards everything below; the hooks take it
	front     Frontier
	store     Store        // front, when it is a store shared or kept beyond the run
	mem       *memoryStore // front, when it is a memory store (used in place)
	done      []Completion // pages done, not yet handed to the store (store.go)
	entries   map[int64]*entry
	origins   map[string]*origin
	stats     Stats
	nextIndex int64
	started   int // pages dispatched
	sitemaps  int // sitemap jobs made
	err       error
	requeue   []Item        // claimed items whose robots.txt came: to prepare again
	extra     []fetcher.Job // sitemap jobs found in sitemap indexes
}

// Run crawls from cfg.Seeds until the frontier is empty and nothing is in
// flight, cfg.MaxPages pages were started, or ctx is canceled (fetches in
// flight then end as canceled, and their results are still delivered).
// Every URL is fetched at most once, redirect targets included (with
// Config.List, redirects are followed in place, as a plain fetch does). The error
// is non-nil when the crawl could not start or its frontier failed.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if cfg.Fetch.OnBody != nil || cfg.Fetch.OnRedirect != nil {
		return Stats{}, errors.New("crawl: Config.Fetch.OnBody and OnRedirect must be nil")
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = DefaultPerHost
	}
	if cfg.OnResult == nil {
		cfg.OnResult = func(*fetcher.Result) {}
	}
	if cfg.List {
		cfg.IgnoreRobots, cfg.MaxDepth, cfg.Sitemaps = true, 0, false
	}
	c := &crawler{cfg: cfg, ctx: ctx, entries: map[int64]*entry{}, origins: map[string]*origin{}}
	c.front = cfg.Frontier
	switch f := c.front.(type) {
	case nil:
		c.front = newMemoryFrontier(StoreOptions{PerHost: cfg.PerHost, Delay: cfg.Delay, MaxFrontier: cfg.MaxFrontier})
	case *memoryStore:
		c.mem = f
	case Store:
		c.store = f
	}
	var seeds []Item
	for _, s := range cfg.Seeds {
		c.cfg.Scope.AddSeed(s)
		if it, ok := c.item(s, 0, ""); ok {
			seeds = append(seeds, it)
		}
	}
	if len(seeds) == 0 && !(cfg.List && (c.store != nil || c.mem != nil)) {
		return Stats{}, errors.New("crawl: no http or https seed URL")
	}
	if err := c.push(seeds); err != nil {
		return c.stats, err
	}
	fc := cfg.Fetch
	fc.PerHost = cfg.PerHost
	fc.OnBody = c.onBody
	fc.OnRedirect = c.onRedirect
	c.pageRedirects = fc.MaxRedirects
	switch {
	case fc.NoRedirects:
		c.pageRedirects = 0
	case fc.MaxRedirects == 0:
		c.pageRedirects = fetcher.DefaultMaxRedirects
	}
	fc.NoRedirects, fc.MaxRedirects = false, max(c.pageRedirects, MaxRobotsRedirects)
	if fc.Concurrency <= 0 {
		fc.Concurrency = fetcher.DefaultConcurrency
	}
	jobs := make(chan fetcher.Job)
	results := make(chan fetcher.Result, fc.Concurrency)
	var (
		fstats fetcher.Stats
		ferr   error
	)
	go func() {
		fstats, ferr = fetcher.Run(ctx, cfg.Mode, fc, jobs, results)
		close(results)
	}()
	c.loop(fc.Concurrency, jobs, results)
	c.stats.Fetch = fstats
	if c.store == nil {
		// A store is not asked: after an interrupt, a Redis that went
		// away would hold the end of the run for its retries.
		c.mu.Lock()
		if n, err := c.front.Outstanding(); err == nil {
			c.stats.Left = int64(n)
		}
		c.mu.Unlock()
	}
	if ferr != nil {
		return c.stats, ferr
	}
	return c.stats, c.err
}

// item makes the frontier item of an absolute URL.
func (c *crawler) item(u *url.URL, depth int, parent string) (Item, bool) {
	it, err := NewItem(u, depth, parent)
	return it, err == nil
}

// NewItem makes the frontier item of an absolute http or https URL: its
// normalized form, key and host. It is how a URL list is pushed to a
// store before Run (Config.List).
func NewItem(u *url.URL, depth int, parent string) (Item, error) {
	n, err := Normalize(u)
	if err != nil {
		return Item{}, err
	}
	return Item{URL: n, Key: Hash(n), Host: hostKey(u), Depth: depth, Parent: parent}, nil
}

// push queues items and counts the outcome; c.mu is held or the driver
// is alone.
func (c *crawler) push(items []Item) error {
	if len(items) == 0 {
		return nil
	}
	pr, err := c.front.Push(items)
	c.stats.Discovered += int64(pr.Added)
	c.stats.Duplicates += int64(pr.Duplicates)
	c.stats.Dropped += int64(pr.Dropped)
	return err
}

// loop feeds the engine from the frontier and handles its results until
// the crawl is over; then it closes jobs and drains results.
func (c *crawler) loop(conc int, jobs chan<- fetcher.Job, results <-chan fetcher.Result) {
	var (
		pending  []fetcher.Job
		inflight int
		timer    *time.Timer
		stopped  bool // no new work: canceled, failed or at MaxPages
	)
	defer func() {
		close(jobs)
		for r := range results {
			c.result(r)
		}
		c.flushLocked()
	}()
	for {
		if !stopped && (c.ctx.Err() != nil || c.failed()) {
			stopped = true
		}
		var wait time.Duration
		c.mu.Lock()
		for _, it := range c.requeue {
			if stopped {
				c.release(it)
			} else {
				pending = append(pending, c.prepare(it)...)
			}
		}
		c.requeue = c.requeue[:0]
		if !stopped {
			pending = append(pending, c.extra...)
		}
		c.extra = c.extra[:0]
		c.mu.Unlock()
		// With a store, results waiting come first: they free slots and
		// bring links, in one call of the store.
		claim := !stopped && len(pending) == 0 && inflight < conc && (c.store == nil || len(results) == 0)
		if len(results) == 0 && !claim {
			// No result is waiting: what is done goes to the store now,
			// in one call, before waiting (or with the claim below).
			c.flushLocked()
		}
		if claim {
			c.mu.Lock()
			var items []Item
			var err error
			items, wait, err = c.claim(conc - inflight)
			if err != nil && c.err == nil {
				c.err = fmt.Errorf("crawl: frontier: %w", err)
			}
			for _, it := range items {
				pending = append(pending, c.prepare(it)...)
			}
			c.mu.Unlock()
			if c.atMax() && len(pending) == 0 && inflight == 0 {
				return
			}
		}
		if len(pending) == 0 && inflight == 0 {
			if stopped || c.atMax() {
				return
			}
			c.mu.Lock()
			c.flush()
			n, err := c.front.Outstanding()
			c.mu.Unlock()
			if err != nil || n == 0 {
				return
			}
			if wait <= 0 && c.store != nil {
				// Another worker queued work since the claim: claim again.
				wait = 10 * time.Millisecond
			}
			if wait <= 0 {
				// Work is claimed but nothing will move it: a bug.
				c.mu.Lock()
				c.err = fmt.Errorf("crawl: %d URLs outstanding and nothing in flight", n)
				c.mu.Unlock()
				return
			}
		}
		var send chan<- fetcher.Job
		var next fetcher.Job
		if len(pending) > 0 {
			send, next = jobs, pending[0]
		}
		var done <-chan struct{}
		if !stopped {
			done = c.ctx.Done()
		}
		var tc <-chan time.Time
		if wait > 0 && len(pending) == 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tc = timer.C
		}
		select {
		case send <- next:
			pending[0] = fetcher.Job{}
			pending = pending[1:]
			inflight++
		case r := <-results:
			inflight--
			c.result(r)
		case <-tc:
		case <-done:
			stopped = true
			// Jobs made but not sent end here, quietly: they never started.
			c.mu.Lock()
			for _, j := range pending {
				if e := c.entries[j.Index]; e != nil && e.kind == kindPage {
					c.release(e.item)
				}
				delete(c.entries, j.Index)
			}
			c.mu.Unlock()
			pending = nil
			if inflight == 0 {
				return
			}
		}
		if timer != nil && tc != nil {
			timer.Stop()
		}
	}
}

func (c *crawler) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

func (c *crawler) atMax() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.MaxPages > 0 && c.started >= c.cfg.MaxPages
}

// newJob registers an entry and returns its job; c.mu is held.
func (c *crawler) newJob(e *entry, rawURL string) fetcher.Job {
	c.nextIndex++
	c.entries[c.nextIndex] = e
	return fetcher.Job{URL: rawURL, Index: c.nextIndex}
}

func originOf(u *url.URL) string { return u.Scheme + "://" + hostKey(u) }

// prepare turns a claimed item into jobs: its page, or first its
// origin's robots.txt; or nothing when robots.txt forbids it or the page
// limit is reached. c.mu is held.
func (c *crawler) prepare(it Item) []fetcher.Job {
	if c.cfg.MaxPages > 0 && c.started >= c.cfg.MaxPages {
		c.release(it)
		return nil
	}
	u, err := url.Parse(it.URL)
	if err != nil {
		c.front.Done(it)
		return nil
	}
	o := c.origin(u)
	var jobs []fetcher.Job
	if !c.cfg.IgnoreRobots {
		switch o.state {
		case robotsFailed:
			if time.Now().Before(o.retryAt) {
				c.skip(it)
				return nil
			}
			fallthrough
		case robotsUnknown:
			o.state = robotsFetching
			o.parked = append(o.parked, it)
			c.stats.RobotsFetches++
			c.front.Visit(Hash(o.name + "/robots.txt"))
			return []fetcher.Job{c.newJob(&entry{kind: kindRobots, origin: o}, o.name+"/robots.txt")}
		case robotsFetching:
			o.parked = append(o.parked, it)
			return nil
		}
		if !o.robots.Allowed(pathQuery(it.URL)) {
			c.skip(it)
			return nil
		}
	}
	if c.cfg.Sitemaps && !o.mapped {
		jobs = append(jobs, c.sitemapJobs(o)...)
	}
	c.started++
	return append(jobs, c.newJob(&entry{kind: kindPage, item: it, origin: o}, it.URL))
}

// skip counts an item robots.txt forbids; c.mu is held.
func (c *crawler) skip(it Item) {
	c.stats.SkippedRobots++
	c.front.Done(it)
	if c.cfg.OnSkip != nil {
		c.cfg.OnSkip(it.URL, "robots")
	}
}

func (c *crawler) origin(u *url.URL) *origin {
	name := originOf(u)
	o := c.origins[name]
	if o == nil {
		o = &origin{name: name, host: hostKey(u)}
		c.origins[name] = o
	}
	return o
}

// pathQuery returns the "/path?query" of a normalized URL.
func pathQuery(n string) string {
	rest := n[strings.Index(n, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return "/"
}

// sitemapJobs returns the sitemap fetches of an origin, once; c.mu is held.
func (c *crawler) sitemapJobs(o *origin) []fetcher.Job {
	o.mapped = true
	if c.cfg.MaxDepth < 1 {
		return nil
	}
	cands := []string{o.name + "/sitemap.xml"}
	if o.robots != nil {
		cands = append(cands, o.robots.Sitemaps...)
	}
	var jobs []fetcher.Job
	for _, s := range cands {
		if j, ok := c.sitemapJob(o, s); ok {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// sitemapJob returns the fetch of one sitemap URL if it is of origin o,
// allowed, not seen, and under the sitemap bound; c.mu is held.
func (c *crawler) sitemapJob(o *origin, raw string) (fetcher.Job, bool) {
	u, err := url.Parse(raw)
	if err != nil || c.sitemaps >= MaxSitemaps {
		return fetcher.Job{}, false
	}
	n, err := Normalize(u)
	if err != nil || originOf(u) != o.name || (o.robots != nil && !o.robots.Allowed(pathQuery(n))) {
		return fetcher.Job{}, false
	}
	if isNew, _ := c.front.Visit(Hash(n)); !isNew {
		return fetcher.Job{}, false
	}
	c.sitemaps++
	c.stats.Sitemaps++
	return c.newJob(&entry{kind: kindSitemap, origin: o}, n), true
}

// onBody is Config.OnBody of the engine.
func (c *crawler) onBody(job fetcher.Job, final *url.URL, contentType string) io.Writer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[job.Index]
	if e == nil {
		return nil
	}
	switch e.kind {
	case kindRobots:
		e.buf = &capBuffer{max: MaxRobotsSize}
		return e.buf
	case kindSitemap:
		e.buf = &capBuffer{max: MaxSitemapSize}
		return e.buf
	}
	if c.cfg.List || !IsHTML(contentType) {
		return nil
	}
	e.ext = NewLinkExtractor(final)
	return e.ext
}

// onRedirect is Config.OnRedirect of the engine: a page follows a
// redirect only to a URL in scope, not yet visited, whose origin's
// robots.txt is known and allows it. A target of an origin whose
// robots.txt is unknown is queued instead (the 3xx is the result).
func (c *crawler) onRedirect(job fetcher.Job, from, to *url.URL) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[job.Index]
	if e == nil {
		return false
	}
	e.redirects++
	switch e.kind {
	case kindRobots:
		return e.redirects <= MaxRobotsRedirects
	case kindSitemap:
		return e.redirects <= MaxRobotsRedirects && originOf(to) == e.origin.name
	}
	if e.redirects > c.pageRedirects {
		return false // the user's limit, below the engine's: the 3xx is the result
	}
	if c.cfg.List {
		return true
	}
	n, err := Normalize(to)
	if err != nil {
		return false
	}
	if !c.cfg.Scope.In(n, to) {
		c.stats.OutOfScope++
		return false
	}
	key := Hash(n)
	if !c.cfg.IgnoreRobots {
		o := c.origins[originOf(to)]
		if o == nil || o.state != robotsReady {
			e.hold = to
			return false
		}
		if !o.robots.Allowed(pathQuery(n)) {
			c.stats.SkippedRobots++
			if c.cfg.OnSkip != nil {
				c.cfg.OnSkip(n, "robots")
			}
			return false
		}
	}
	if c.store != nil {
		// A store is not asked from the engine's hook (it may run on a
		// hub's thread): the target is queued as a URL of its own.
		e.hold = to
		return false
	}
	isNew, err := c.front.Visit(key)
	if err != nil || !isNew {
		c.stats.Duplicates++
		return false
	}
	return true
}

// result handles one result of the engine.
func (c *crawler) result(r fetcher.Result) {
	c.mu.Lock()
	e := c.entries[r.Index]
	delete(c.entries, r.Index)
	c.mu.Unlock()
	if e == nil {
		return
	}
	var links []*url.URL
	skipped := 0
	if e.ext != nil {
		e.ext.Close()         // closed by the fetcher already, unless the fetch failed early
		links = e.ext.Links() // waits for the tokenizer
		skipped = e.ext.Skipped()
	}
	if e.kind != kindPage {
		c.mu.Lock()
		if e.kind == kindRobots {
			c.robotsResult(e.origin, &r, e.buf)
		} else {
			c.sitemapResult(e.origin, &r, e.buf)
		}
		c.mu.Unlock()
		return
	}
	// Links are normalized and scoped outside the lock the hooks share.
	it := e.item
	if !c.cfg.List {
		r.CrawlInfo = &fetcher.CrawlInfo{Depth: it.Depth, Parent: it.Parent, Links: len(links)}
	}
	var items []Item
	if e.hold != nil {
		if hi, ok := c.item(e.hold, it.Depth, it.Parent); ok {
			items = append(items, hi)
		}
	}
	outOfScope := 0
	if it.Depth < c.cfg.MaxDepth {
		for _, l := range links {
			li, ok := c.item(l, it.Depth+1, it.URL)
			if !ok {
				continue
			}
			if !c.cfg.Scope.In(li.URL, l) {
				outOfScope++
				continue
			}
			items = append(items, li)
		}
	}
	c.mu.Lock()
	c.stats.OutOfScope += int64(outOfScope)
	c.stats.Dropped += int64(skipped)
	if c.store != nil {
		c.complete(it, &r, items)
		c.mu.Unlock()
		c.cfg.OnResult(&r)
		return
	}
	c.front.Done(it)
	c.stats.Pages++
	if c.mem != nil && c.cfg.Record != nil {
		c.mem.keep(it.Key, c.cfg.Record(&r))
	}
	if err := c.push(items); err != nil && c.err == nil {
		c.err = fmt.Errorf("crawl: frontier: %w", err)
	}
	c.mu.Unlock()
	c.cfg.OnResult(&r)
}

// robotsResult records an origin's robots.txt and releases its parked
// items into the frontier's hands again (RFC 9309 2.3.1: 2xx parsed; 4xx,
// or redirects beyond the bound, allow everything; 5xx and failures to
// connect disallow everything for RobotsRetryAfter). c.mu is held.
func (c *crawler) robotsResult(o *origin, r *fetcher.Result, buf *capBuffer) {
	switch {
	case r.ErrorKind == fetcher.KindCanceled:
		o.state = robotsFailed
	case r.Status >= 200 && r.Status < 300 && (r.Err == nil || r.ErrorKind == fetcher.KindTooLarge):
		// A robots.txt cut by the body cap is parsed as far as it was
		// read (RFC 9309 2.5: parse at least the first 500 KiB).
		var body []byte
		if buf != nil {
			body = buf.b
		}
		rb, err := ParseRobots(bytesReader(body), ProductToken(c.userAgent()))
		if err != nil {
			rb = &Robots{}
		}
		o.robots, o.state = rb, robotsReady
	case r.Err == nil && r.Status >= 300 && r.Status < 500 && r.Status != http.StatusTooManyRequests,
		r.ErrorKind == fetcher.KindTooManyRedirects:
		o.robots, o.state = &Robots{}, robotsReady
	default: // 5xx, 429 among them, or unreachable
		o.state = robotsFailed
		c.stats.RobotsErrors++
		if c.cfg.OnRobotsFailure != nil {
			reason := "status " + strconv.Itoa(r.Status)
			if r.Error != nil {
				reason = *r.Error
			}
			c.cfg.OnRobotsFailure(o.name+"/robots.txt", reason)
		}
		retry := c.cfg.RobotsRetry
		if retry <= 0 {
			retry = RobotsRetryAfter
		}
		o.retryAt = time.Now().Add(retry)
	}
	if o.state == robotsReady {
		if d := max(c.cfg.Delay, o.robots.CrawlDelay); d > 0 {
			c.front.SetHostDelay(o.host, d)
		}
	}
	parked := o.parked
	o.parked = nil
	for _, it := range parked {
		if r.ErrorKind == fetcher.KindCanceled && c.store != nil {
			c.release(it) // stopped, not refused: queued again for the next run
			continue
		}
		if o.state == robotsReady {
			// Back to the driver through a one-item claim of its own.
			c.requeue = append(c.requeue, it)
			continue
		}
		c.skip(it)
	}
}

// sitemapResult queues the entries of a sitemap at depth 1 (in scope
// only), and fetches the sitemaps an index lists. c.mu is held.
func (c *crawler) sitemapResult(o *origin, r *fetcher.Result, buf *capBuffer) {
	if r.Err != nil || r.Status < 200 || r.Status > 299 || buf == nil {
		return
	}
	locs, index := ParseSitemap(buf.b)
	base, err := url.Parse(r.FinalURL)
	if err != nil {
		return
	}
	var items []Item
	for _, l := range locs {
		u, err := base.Parse(l)
		if err != nil {
			continue
		}
		if index {
			if j, ok := c.sitemapJob(o, u.String()); ok {
				c.extra = append(c.extra, j)
			}
			continue
		}
		it, ok := c.item(u, 1, r.FinalURL)
		if !ok {
			continue
		}
		if !c.cfg.Scope.In(it.URL, u) {
			c.stats.OutOfScope++
			continue
		}
		items = append(items, it)
	}
	if err := c.push(items); err != nil && c.err == nil {
		c.err = fmt.Errorf("crawl: frontier: %w", err)
	}
}

func (c *crawler) userAgent() string {
	if ua := c.cfg.Fetch.UserAgent; ua != "" {
		return ua
	}
	return fetcher.DefaultUserAgent
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
