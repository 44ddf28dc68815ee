package main

// Crawl mode: fetch --crawl. Its flags are registered by addCrawlFlags
// (one call in newFetchFlagSet); planRun (plan.go) plans a crawl with
// planCrawl when --crawl is given, and its passes are crawlPass's.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// crawlOptions are the flags of crawl mode.
type crawlOptions struct {
	fs          *pflag.FlagSet // to tell flags given from defaults
	on          bool
	depth       depthValue
	scope       string
	scopeRegex  string
	acceptRegex string
	rejectRegex string
	maxPages    int
	robots      string
	sitemaps    bool
	delay       durationValue
	maxFrontier int
	maxFrontB   sizeValue
	maxLinks    int
	verbose     bool
	store       frontierOptions // frontier.go
}

// crawlFlagNames are the flags that only mean something with --crawl.
var crawlFlagNames = []string{"depth", "scope", "scope-regex", "accept-regex", "reject-regex", "max-pages", "robots", "sitemaps", "delay", "max-frontier", "max-frontier-bytes", "max-links-per-page", "crawl-verbose"}

func init() {
	// The crawl flags get their own group in --help, before "Other".
	g := struct {
		title string
		names []string
	}{"Crawl (with --crawl)", append([]string{"crawl"}, crawlFlagNames...)}
	n := len(flagGroups)
	if n > 0 && flagGroups[n-1].title == "Other" {
		flagGroups = append(flagGroups[:n-1:n-1], g, flagGroups[n-1])
	} else {
		flagGroups = append(flagGroups, g)
	}
}

// addCrawlFlags defines the crawl flags on fs, bound to o.
func addCrawlFlags(fs *pflag.FlagSet, o *Options) {
	c := &crawlOptions{fs: fs}
	o.crawl = c
	fs.BoolVar(&c.on, "crawl", false, "crawl: fetch the URLs given (the seeds), then the links of their HTML pages,\nwithin --scope, to --depth, obeying robots.txt; one result per page")
	c.depth.n = 2
	fs.Var(&c.depth, "depth", "follow links to `N` levels below the seeds (seeds are depth 0; inf: no limit,\nwget's spelling)")
	fs.StringVar(&c.scope, "scope", "host", "crawl `SCOPE`: host (the seed's host and port), domain (its registrable\ndomain, by the public suffix list) or prefix (its URL up to the last '/')")
	fs.StringVar(&c.scopeRegex, "scope-regex", "", "crawl URLs matching `RE` instead of --scope (Go regexp, on the normalized URL)")
	fs.StringVar(&c.acceptRegex, "accept-regex", "", "crawl only URLs matching `RE` as well (wget's name)")
	fs.StringVar(&c.rejectRegex, "reject-regex", "", "never crawl URLs matching `RE`")
	fs.IntVar(&c.maxPages, "max-pages", 0, "stop after `N` pages (0: no limit)")
	fs.StringVar(&c.robots, "robots", "on", "obey robots.txt `WHEN`: on or off")
	fs.BoolVar(&c.sitemaps, "sitemaps", false, "also crawl the URLs of /sitemap.xml and of robots.txt's Sitemap lines (depth 1)")
	fs.Var(&c.delay, "delay", "wait `D` between request starts to one host (a longer robots.txt Crawl-delay wins,\nup to "+crawl.MaxCrawlDelay.String()+")")
	fs.IntVar(&c.maxFrontier, "max-frontier", crawl.DefaultMaxFrontier, "queue at most `N` URLs not yet fetched; more are dropped and counted")
	c.maxFrontB.n = crawl.DefaultMaxFrontierBytes
	fs.Var(&c.maxFrontB, "max-frontier-bytes", "queue at most `N` bytes of URLs not yet fetched (64MiB, 1GiB; each counted\nwith its parent); more are dropped and counted")
	fs.IntVar(&c.maxLinks, "max-links-per-page", crawl.MaxLinksPerPage, "take at most `N` links from one page; the rest are counted (links_over_max)")
	fs.BoolVar(&c.verbose, "crawl-verbose", false, "list on stderr the URLs robots.txt kept out")
	addFrontierFlags(fs, c) // frontier.go
}

// depthValue is --depth: N levels below the seeds, or inf (wget's -l inf).
type depthValue struct {
	n   int
	inf bool
}

// infiniteDepth is the depth inf stands for: deeper than any link chain a
// crawl can follow (a depth is an int everywhere it is kept).
const infiniteDepth = math.MaxInt32

func (v *depthValue) String() string {
	if v.inf {
		return "inf"
	}
	return strconv.Itoa(v.n)
}

func (v *depthValue) Set(s string) error {
	switch strings.ToLower(s) {
	case "inf", "infinite":
		v.n, v.inf = 0, true
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= infiniteDepth {
		return errors.New("want a number of levels, 0 or more, or inf")
	}
	v.n, v.inf = n, false
	return nil
}

func (v *depthValue) Type() string { return "depth" }

// maxDepth is crawl.Config.MaxDepth.
func (v *depthValue) maxDepth() int {
	if v.inf {
		return infiniteDepth
	}
	return v.n
}

// crawlSetup checks the crawl flags and builds the crawl configuration
// the runs share (each run gets its own frontier and engine).
func (c *crawlOptions) setup(o *Options) (crawl.Config, error) {
	var cfg crawl.Config
	if c.maxPages < 0 {
		return cfg, flagErrorf("--max-pages: %d is negative", c.maxPages)
	}
	if c.maxFrontier < 1 {
		return cfg, flagErrorf("--max-frontier: want at least 1, got %d", c.maxFrontier)
	}
	if c.maxFrontB.n < 1 {
		return cfg, flagErrorf("--max-frontier-bytes: want at least 1, got %d", c.maxFrontB.n)
	}
	if c.maxLinks < 1 {
		return cfg, flagErrorf("--max-links-per-page: want at least 1, got %d", c.maxLinks)
	}
	if c.delay.d < 0 {
		return cfg, flagErrorf("--delay: %v is negative", c.delay.d)
	}
	kind, err := crawl.ParseScope(c.scope)
	if err != nil {
		return cfg, flagErrorf("--scope: %v", err)
	}
	cfg.Scope.Kind = kind
	for _, re := range []struct {
		flag, expr string
		dst        **regexp.Regexp
	}{{"scope-regex", c.scopeRegex, &cfg.Scope.Regex}, {"accept-regex", c.acceptRegex, &cfg.Scope.Include}, {"reject-regex", c.rejectRegex, &cfg.Scope.Exclude}} {
		if re.expr == "" {
			continue
		}
		if *re.dst, err = regexp.Compile(re.expr); err != nil {
			return cfg, flagErrorf("--%s: %v", re.flag, err)
		}
	}
	switch c.robots {
	case "on":
	case "off":
		cfg.IgnoreRobots = true
	default:
		return cfg, flagErrorf("--robots: want on or off, got %q", c.robots)
	}
	if o.Head {
		return cfg, flagErrorf("--head: a crawl needs the bodies of its pages")
	}
	// A crawl GETs what it finds: a method or a body would go to every
	// link (and to robots.txt), a DELETE to every page of a site.
	if o.Data != "" {
		return cfg, flagErrorf("-d/--data: a crawl GETs its pages; send data to one URL without --crawl")
	}
	if o.Method != "" && !strings.EqualFold(o.Method, "GET") {
		return cfg, flagErrorf("-X %s: a crawl GETs its pages; use -X without --crawl", o.Method)
	}
	cfg.MaxDepth = c.depth.maxDepth()
	cfg.MaxPages = c.maxPages
	cfg.Sitemaps = c.sitemaps
	cfg.Delay = c.delay.d
	cfg.MaxFrontier = c.maxFrontier
	cfg.MaxFrontierBytes = c.maxFrontB.n
	cfg.MaxLinksPerPage = c.maxLinks
	cfg.PerHost = crawl.DefaultPerHost
	if c.fs.Changed("per-host") && o.PerHost > 0 {
		cfg.PerHost = o.PerHost
	}
	return cfg, nil
}

// listFlagsError is the usage error of a crawl flag given without
// --crawl, or of a store flag given without --crawl or --frontier.
func (c *crawlOptions) listFlagsError() error {
	for _, name := range crawlFlagNames {
		if c.fs.Changed(name) {
			return flagErrorf("--%s needs --crawl", name)
		}
	}
	if c.store.spec != "memory" {
		return nil // a list on a store: planStoreList checks the rest
	}
	for _, name := range frontierFlagNames[1:] {
		if c.fs.Changed(name) {
			return flagErrorf("--%s needs --crawl, or --frontier with a URL list", name)
		}
	}
	return nil
}

// planCrawl plans fetch --crawl: its flags and seeds checked, its store
// (--frontier) opened.
func (c *crawlOptions) planCrawl(ctx context.Context, o *Options) (*runPlan, exitCode) {
	ios := o.IO
	base, err := c.setup(o)
	if err == nil {
		err = c.checkFrontierFlags(o) // frontier.go
	}
	if err != nil {
		return nil, printFlagError(ios.ErrOut, "fetch", err)
	}
	seeds, err := readSeeds(o)
	var ese *emptyShardError
	if errors.As(err, &ese) {
		noteEmptyShard(o, ese.where)
		return newRunPlan(o, nothingPass{}, "crawl"), exitOK
	}
	if err != nil {
		var ee *emptyError
		if errors.Is(err, errNoInput) || errors.As(err, &ee) {
			return nil, printFlagError(ios.ErrOut, "fetch", err)
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
		return nil, exitUsage
	}
	base.Seeds = seeds
	store, code, ok := c.useFrontier(ctx, o, &base) // frontier.go
	if !ok {
		return nil, code
	}
	if store != nil && store.complete(ctx) {
		// Run before to its end: nothing to run.
		store.noteComplete(o)
		store.finish(o)
		return nil, exitOK
	}
	return newCrawlPlan(o, base, store), exitOK
}

// newCrawlPlan is the plan of the crawl of base (a list with base.List),
// on store if not nil: the crawl once per mode of --compare and --repeat
// (once with a store, checkFrontierFlags sees to it).
func newCrawlPlan(o *Options, base crawl.Config, store *openedFrontier) *runPlan {
	p := newRunPlan(o, &crawlPass{base: base, store: store}, "crawl")
	if store != nil {
		p.closers = append(p.closers, func() { store.finish(o) })
	}
	return p
}

// crawlPass is a pass of a crawl, or of a list kept in a store.
type crawlPass struct {
	base  crawl.Config
	store *openedFrontier // nil for the memory frontier
}

// maxSeeds bounds the seeds read from the input: a crawl holds them all.
const maxSeeds = 100000

// readSeeds reads the seed URLs: arguments, then --input or standard
// input. A line that is no http or https URL is a usage error.
func readSeeds(o *Options) ([]*url.URL, error) {
	src, err := newSource(o)
	if err != nil {
		return nil, err
	}
	defer src.close()
	lines, err := src.open()
	if err != nil {
		return nil, err
	}
	var seeds []*url.URL
	for {
		text, tooLong, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading URLs: %w", err)
		}
		if tooLong {
			return nil, fmt.Errorf("seed line %d is longer than %d bytes", lines.line, maxLineLength)
		}
		text, _ = splitLabel(text) // a list of URLs with labels serves as seeds too
		u, perr := fetcher.ParseURL(text)
		if perr != nil {
			return nil, fmt.Errorf("seed: %w", perr)
		}
		if len(seeds) == maxSeeds {
			return nil, fmt.Errorf("more than %d seeds", maxSeeds)
		}
		seeds = append(seeds, u)
	}
	if len(seeds) == 0 {
		if lines.emptyShard() {
			return nil, &emptyShardError{src.describe()}
		}
		return nil, &emptyError{src.describe()}
	}
	return seeds, nil
}

// emptyShardError says that the seeds were all of other shards: a crawl
// of nothing, not a usage error.
type emptyShardError struct{ where string }

func (e *emptyShardError) Error() string { return "no seeds of this shard in " + e.where }

// nothingPass is the pass of a shard with no URL: a crawl, or a list
// kept in a store, of zero pages.
type nothingPass struct{}

func (nothingPass) run(_ context.Context, p *runPlan, mode fetcher.Mode, _ bool) (*summary, error) {
	sum := newSummary(mode, p.o.Slowest, p.o.Rate > 0)
	sum.setCrawl(crawl.Stats{})
	return sum, nil
}

// run runs one cold crawl with the engine of mode, printing each page's
// result as it completes.
func (cp *crawlPass) run(ctx context.Context, p *runPlan, mode fetcher.Mode, _ bool) (*summary, error) {
	o, out, f := p.o, p.out, p.f
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sum := newSummary(mode, o.Slowest, o.Rate > 0)
	cfg, err := engineConfig(o) // a new resolver: each run starts cold
	if err != nil {
		return sum, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // a failed stdout ends the crawl
		select {
		case <-out.failed:
			cancel()
		case <-runCtx.Done():
		}
	}()
	prog := newProgress(o, mode.String()+" crawl", -1) // the total is unknown
	if prog != nil && o.IO.OutTTY {
		out.around = prog.around
		defer func() { out.around = nil }()
	}
	ob := &observer{}
	cfg.Observer = ob
	prog.setLiveBytes(&ob.bytes)
	cc := cp.base
	cc.Fetch = cfg
	cc.Mode = mode
	cc.OnResult = func(r *fetcher.Result) {
		if out.Err() != nil {
			return // stdout is gone: what follows is not reported, nor counted (as emit)
		}
		sum.add(r)
		prog.add(r)
		out.writeLine(f.result(nil, r))
	}
	cc.OnRobotsFailure = func(robotsURL, reason string) {
		fmt.Fprintf(o.IO.ErrOut, "fetch: %s failed (%s): the URLs of its origin are skipped for %v (RFC 9309; --robots off ignores robots.txt)\n",
			shownText(robotsURL), shownText(reason), crawl.RobotsRetryAfter)
	}
	if o.crawl.verbose {
		cc.OnSkip = func(u, reason string) { fmt.Fprintf(o.IO.ErrOut, "fetch: skipped (%s): %s\n", reason, shownText(u)) }
	}
	run := o.Crawl
	if run == nil {
		run = crawl.Run
	}
	start := now()
	cs, err := run(runCtx, cc)
	sum.wall = now().Sub(start)
	prog.finish()
	if st := cp.store; st != nil {
		st.pages += cs.Pages
		st.interrupted = ctx.Err() != nil
		// A list's URLs were pushed before the pass: its counters are
		// those of the push.
		cs.Discovered += int64(st.pushed.Added)
		cs.Duplicates += int64(st.pushed.Duplicates)
		cs.Dropped += int64(st.pushed.Dropped)
	}
	sum.setCrawl(cs)
	sum.list = cp.base.List
	return sum, err
}
