package main

// Crawl mode: fetch --crawl. Its flags are registered by addCrawlFlags
// (one call in newFetchFlagSet); crawlRun takes over from fetchRun when
// --crawl is given.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
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
	depth       int
	scope       string
	scopeRegex  string
	acceptRegex string
	rejectRegex string
	maxPages    int
	robots      string
	sitemaps    bool
	delay       durationValue
	maxFrontier int
	verbose     bool
	store       frontierOptions // frontier.go
}

// crawlFlagNames are the flags that only mean something with --crawl.
var crawlFlagNames = []string{"depth", "scope", "scope-regex", "accept-regex", "reject-regex", "max-pages", "robots", "sitemaps", "delay", "max-frontier", "crawl-verbose"}

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
	fs.IntVar(&c.depth, "depth", 2, "follow links to `N` levels below the seeds (seeds are depth 0)")
	fs.StringVar(&c.scope, "scope", "host", "crawl `SCOPE`: host (the seed's host and port), domain (its registrable\ndomain, by the public suffix list) or prefix (its URL up to the last '/')")
	fs.StringVar(&c.scopeRegex, "scope-regex", "", "crawl URLs matching `RE` instead of --scope (Go regexp, on the normalized URL)")
	fs.StringVar(&c.acceptRegex, "accept-regex", "", "crawl only URLs matching `RE` as well (wget's name)")
	fs.StringVar(&c.rejectRegex, "reject-regex", "", "never crawl URLs matching `RE`")
	fs.IntVar(&c.maxPages, "max-pages", 0, "stop after `N` pages (0: no limit)")
	fs.StringVar(&c.robots, "robots", "on", "obey robots.txt `WHEN`: on or off")
	fs.BoolVar(&c.sitemaps, "sitemaps", false, "also crawl the URLs of /sitemap.xml and of robots.txt's Sitemap lines (depth 1)")
	fs.Var(&c.delay, "delay", "wait `D` between request starts to one host (a longer robots.txt Crawl-delay wins,\nup to "+crawl.MaxCrawlDelay.String()+")")
	fs.IntVar(&c.maxFrontier, "max-frontier", crawl.DefaultMaxFrontier, "queue at most `N` URLs not yet fetched; more are dropped and counted")
	fs.BoolVar(&c.verbose, "crawl-verbose", false, "list on stderr the URLs robots.txt kept out")
	addFrontierFlags(fs, c) // frontier.go
}

// crawlSetup checks the crawl flags and builds the crawl configuration
// the runs share (each run gets its own frontier and engine).
func (c *crawlOptions) setup(o *Options) (crawl.Config, error) {
	var cfg crawl.Config
	if c.depth < 0 {
		return cfg, flagErrorf("--depth: %d is negative", c.depth)
	}
	if c.maxPages < 0 {
		return cfg, flagErrorf("--max-pages: %d is negative", c.maxPages)
	}
	if c.maxFrontier < 1 {
		return cfg, flagErrorf("--max-frontier: want at least 1, got %d", c.maxFrontier)
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
	cfg.MaxDepth = c.depth
	cfg.MaxPages = c.maxPages
	cfg.Sitemaps = c.sitemaps
	cfg.Delay = c.delay.d
	cfg.MaxFrontier = c.maxFrontier
	cfg.PerHost = crawl.DefaultPerHost
	if c.fs.Changed("per-host") && o.PerHost > 0 {
		cfg.PerHost = o.PerHost
	}
	return cfg, nil
}

// crawlRun runs fetch --crawl. done is false when --crawl was not given
// (and no crawl flag either): the list run goes on.
func crawlRun(ctx context.Context, o *Options) (code exitCode, done bool) {
	c := o.crawl
	ios := o.IO
	if c == nil {
		return exitOK, false
	}
	if !c.on {
		for _, name := range crawlFlagNames {
			if c.fs.Changed(name) {
				return printFlagError(ios.ErrOut, "fetch", flagErrorf("--%s needs --crawl", name)), true
			}
		}
		if c.store.spec != "memory" {
			return c.storeListRun(ctx, o), true // frontier.go
		}
		for _, name := range frontierFlagNames[1:] {
			if c.fs.Changed(name) {
				return printFlagError(ios.ErrOut, "fetch", flagErrorf("--%s needs --crawl, or --frontier with a URL list", name)), true
			}
		}
		return exitOK, false
	}
	base, err := c.setup(o)
	if err == nil {
		err = c.checkFrontierFlags(o) // frontier.go
	}
	if err != nil {
		return printFlagError(ios.ErrOut, "fetch", err), true
	}
	seeds, err := readSeeds(o)
	if err != nil {
		var ee *emptyError
		if errors.Is(err, errNoInput) || errors.As(err, &ee) {
			return printFlagError(ios.ErrOut, "fetch", err), true
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
		return exitUsage, true
	}
	base.Seeds = seeds
	store, code, ok := c.useFrontier(ctx, o, &base) // frontier.go
	if !ok {
		return code, true
	}
	defer store.finish(ios.ErrOut)
	return c.runCrawls(ctx, o, base, store, false), true
}

// runCrawls runs the crawl of base once per mode of --compare and
// --repeat (once with a store), printing results, costs and summaries;
// failed says something already failed (exit 1 at least).
func (c *crawlOptions) runCrawls(ctx context.Context, o *Options, base crawl.Config, store *openedFrontier, failed bool) exitCode {
	ios := o.IO
	modes := o.Compare
	if modes == nil {
		modes = []fetcher.Mode{o.Mode}
	}
	out := newLineWriter(ios.Out)
	info := out // costs, summaries, the comparison: stderr with -w
	if o.WriteOut != nil {
		info = newLineWriter(ios.ErrOut)
	}
	f := newFormatter(o)
	var costs []runCost
	for _, mode := range schedule(modes, o.Repeat) {
		sum, cs, err := crawlOnce(ctx, o, mode, base, out, f)
		if store != nil {
			store.pages += cs.Pages
		}
		// A robots.txt that failed kept its origin out: that is a failure too.
		failed = failed || sum.anyFailed()
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(ios.ErrOut, "fetch: %s crawl: %s\n", mode, shownErr(err))
			return exitFailed
		}
		if out.Err() != nil {
			break
		}
		costs = append(costs, runCost{mode: mode, wall: sum.wall, failed: sum.failed, listLen: sum.urls})
		info.writeLine(f.cost(nil, mode, sum.wall))
		info.writeLine(f.summary(nil, sum))
		if ctx.Err() != nil {
			break
		}
	}
	var cmp *comparison
	if ctx.Err() == nil && out.Err() == nil && (o.Compare != nil || o.Repeat > 1) {
		cmp = compareRuns(modes, costs, o.MinSpeedup)
		info.writeLine(f.compare(nil, cmp))
	}
	switch err := out.Err(); {
	case err == nil:
	case isClosedPipe(err):
		if failed {
			return exitFailed
		}
		return exitOK
	default:
		fmt.Fprintf(ios.ErrOut, "fetch: writing output: %s\n", shownErr(err))
		return exitFailed
	}
	if ctx.Err() != nil {
		if code, ok := interruptCode(ctx); ok {
			return code
		}
		return exitInterrupted
	}
	// A gate not met wins over failed URLs, as for lists.
	if cmp != nil && !cmp.gateMet() {
		fmt.Fprintf(ios.ErrOut, "fetch: speedup %.2fx of %s over %s is below --min-speedup %.2fx\n",
			cmp.speedup, cmp.modes[len(cmp.modes)-1].mode, cmp.modes[0].mode, cmp.minSpeedup)
		return exitGate
	}
	if failed {
		return exitFailed
	}
	return exitOK
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
		return nil, &emptyError{src.describe()}
	}
	return seeds, nil
}

// crawlOnce runs one cold crawl with the engine of mode, printing each
// page's result as it completes.
func crawlOnce(ctx context.Context, o *Options, mode fetcher.Mode, base crawl.Config, out *lineWriter, f *formatter) (*summary, crawl.Stats, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sum := newSummary(mode, o.Slowest)
	cfg, err := engineConfig(o) // a new resolver: each run starts cold
	if err != nil {
		return sum, crawl.Stats{}, err
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
	cc := base
	cc.Fetch = cfg
	cc.Mode = mode
	cc.OnResult = func(r *fetcher.Result) {
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
	sum.setCrawl(cs)
	return sum, cs, err
}
