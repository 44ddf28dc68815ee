package main

// Shared and resumable crawls and lists: --frontier, --crawl-id, --claim-timeout,
// and --shard (list mode too). Registered by addFrontierFlags (one call in
// addCrawlFlags); the store is opened by openFrontier for planCrawl and
// planStoreList.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// frontierOptions are the flags of shared crawls.
type frontierOptions struct {
	spec         string
	crawlID      string
	claimTimeout durationValue
	shard        shardValue
}

// frontierFlagNames are the flags that need --crawl, or --frontier (the
// first) with a URL list.
var frontierFlagNames = []string{"frontier", "crawl-id", "claim-timeout"}

func init() {
	g := struct {
		title string
		names []string
	}{"Shared and resumable crawls and lists", append(append([]string{}, frontierFlagNames...), "shard")}
	n := len(flagGroups)
	if n > 0 && flagGroups[n-1].title == "Other" {
		flagGroups = append(flagGroups[:n-1:n-1], g, flagGroups[n-1])
	} else {
		flagGroups = append(flagGroups, g)
	}
}

// addFrontierFlags defines the flags of shared crawls on fs, bound to c.
func addFrontierFlags(fs *pflag.FlagSet, c *crawlOptions) {
	s := &c.store
	s.claimTimeout.d = crawl.DefaultClaimTimeout
	fs.StringVar(&s.spec, "frontier", "memory", "keep the crawl's (or, without --crawl, the URL list's) queue, visited set\nand results in `STORE`: memory, bolt:PATH (a file: resumable after a\ncrash, one process), or redis://[user:pass@]host:port/db (shared by any\nnumber of workers)")
	fs.StringVar(&s.crawlID, "crawl-id", "", "name the crawl or list `NAME` in the store (default: derived from the\nseeds and crawl flags, or from the list, printed on stderr)")
	fs.Var(&s.claimTimeout, "claim-timeout", "with redis, a URL claimed longer than `D` (its worker died) goes to another")
	fs.Var(&s.shard, "shard", "fetch only the URLs (or seeds) of shard `I/N`, by a hash of the URL,\nfor CI matrices (0/4 … 3/4; no store needed)")
}

// shardValue is --shard I/N.
type shardValue struct{ i, n uint64 }

func (v *shardValue) String() string {
	if v.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", v.i, v.n)
}

func (v *shardValue) Set(s string) error {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 32)
	n, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || n == 0 || i >= n {
		return fmt.Errorf("want I/N with 0 <= I < N, such as 0/4")
	}
	v.i, v.n = i, n
	return nil
}

func (v *shardValue) Type() string { return "shard" }

// in reports whether an input line is of this shard: the hash of its
// normalized URL (of the line itself when it is no URL) modulo N is I.
func (v *shardValue) in(line string) bool {
	if v.n <= 1 {
		return true
	}
	key := line
	if u, err := fetcher.ParseURL(line); err == nil {
		if n, err := crawl.Normalize(u); err == nil {
			key = n
		}
	}
	return crawl.Hash(key)%v.n == v.i
}

// openedFrontier is the store of a crawl run.
type openedFrontier struct {
	front  crawl.Store
	scheme string // of the spec: "bolt", "redis", …
	desc   string // the spec, its password masked
	id     string // the crawl id
	what   string // "crawl", or "list" for a URL list
	pages  int64  // pages this worker fetched
	// pushed is what a list's push queued (a list's URLs go to the store
	// before its pass: the pass's counters do not see them).
	pushed crawl.PushResult
	// interrupted: the run was interrupted (what is left is the next
	// run's).
	interrupted bool
}

// checkFrontierFlags checks the store flags before anything runs.
func (c *crawlOptions) checkFrontierFlags(o *Options) error {
	s := &c.store
	scheme, err := crawl.StoreScheme(s.spec)
	if err != nil {
		return flagErrorf("--frontier: %v", err)
	}
	if s.spec == "" { // the memory store, but say its name
		return flagErrorf("--frontier: want memory, bolt:PATH or redis://host:port/db, got \"\"")
	}
	if scheme == "memory" && s.crawlID != "" {
		return flagErrorf("--crawl-id needs --frontier bolt:PATH or redis://…")
	}
	if s.claimTimeout.d <= 0 {
		return flagErrorf("--claim-timeout: want a positive duration, got %v", s.claimTimeout.d)
	}
	if s.spec != "memory" && (o.Compare != nil || o.Repeat > 1) {
		return flagErrorf("--compare and --repeat need --frontier memory (a stored crawl runs once)")
	}
	return nil
}

// defaultCrawlID names a crawl by its seeds and the flags that decide
// what it fetches, so that workers started with the same command meet.
func defaultCrawlID(cfg crawl.Config, c *crawlOptions) string {
	var seeds []string
	for _, s := range cfg.Seeds {
		if n, err := crawl.Normalize(s); err == nil {
			seeds = append(seeds, n)
		} else {
			seeds = append(seeds, s.String())
		}
	}
	sort.Strings(seeds)
	h := sha256.New()
	for _, s := range seeds {
		io.WriteString(h, s+"\n")
	}
	fmt.Fprintf(h, "depth=%s scope=%s scope-regex=%s accept=%s reject=%s robots=%s sitemaps=%v max-pages=%d",
		c.depth.String(), c.scope, c.scopeRegex, c.acceptRegex, c.rejectRegex, c.robots, c.sitemaps, c.maxPages)
	return "crawl-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// openFrontier opens the store of --frontier for the crawl id. Its
// error wraps crawl.ErrStoreSetup when the store is unusable (exit 2).
func openFrontier(ctx context.Context, o *Options, cfg crawl.Config, id string) (*openedFrontier, error) {
	s := &o.crawl.store
	errOut := o.IO.ErrOut
	scheme, err := crawl.StoreScheme(s.spec)
	if err != nil {
		return nil, err
	}
	f, err := crawl.OpenStore(ctx, s.spec, crawl.StoreOptions{
		CrawlID: id, PerHost: cfg.PerHost, Delay: cfg.Delay, MaxFrontier: cfg.MaxFrontier, ClaimTimeout: s.claimTimeout.d,
		OnRetry: func(err error, wait time.Duration) {
			fmt.Fprintf(errOut, "fetch: %s; retrying in %v\n", shownErr(err), wait)
		},
	})
	if err != nil {
		return nil, err
	}
	what := "crawl"
	if cfg.List {
		what = "list"
	}
	return &openedFrontier{front: f, scheme: scheme, desc: fetcher.MaskURL(s.spec), id: id, what: what}, nil
}

// storeErrorCode prints a store's opening error and returns its exit
// code: 2 when the store is unusable, 1 otherwise.
func storeErrorCode(w io.Writer, err error) exitCode {
	fmt.Fprintf(w, "fetch: --frontier: %s\n", shownErr(err))
	if errors.Is(err, crawl.ErrStoreSetup) {
		return exitUsage
	}
	return exitFailed
}

// useFrontier opens the store of --frontier, if any, into cfg, and says
// which crawl it is on stderr. ok is false when the run must end with
// code.
func (c *crawlOptions) useFrontier(ctx context.Context, o *Options, cfg *crawl.Config) (st *openedFrontier, code exitCode, ok bool) {
	if c.store.spec == "memory" {
		return nil, exitOK, true
	}
	id := c.store.crawlID
	if id == "" {
		id = defaultCrawlID(*cfg, c)
	}
	st, err := openFrontier(ctx, o, *cfg, id)
	if err != nil {
		return nil, storeErrorCode(o.IO.ErrOut, err), false
	}
	o.note("%s id %s (frontier %s)", st.what, id, st.desc)
	cfg.Frontier = st.front
	jf := &formatter{json: true}
	cfg.Record = func(r *fetcher.Result) []byte { return jf.result(nil, r) }
	return st, exitOK, true
}

// complete reports whether the store holds the crawl (or list) and
// nothing of it is left to fetch: a run of it again would fetch nothing.
func (st *openedFrontier) complete(ctx context.Context) bool {
	if err := st.front.Exists(ctx); err != nil {
		return false
	}
	n, err := st.front.Outstanding()
	return err == nil && n == 0
}

// noteComplete says that the crawl (or list) is complete, and how to read
// its results back.
func (st *openedFrontier) noteComplete(o *Options) {
	o.note("%s %s in %s is complete: nothing is left to fetch; its results: fetch results --frontier %s --crawl-id %s",
		st.what, st.id, st.desc, shellWord(st.desc), shellWord(st.id))
}

// shellWord quotes s for a shell command line when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// finish closes the store, says how to resume what is left of the crawl
// (or list), and notes the round trips of the run to a store over the
// network.
func (st *openedFrontier) finish(o *Options) {
	if st == nil {
		return
	}
	switch {
	case st.scheme == "bolt":
		if n, err := st.front.Outstanding(); err == nil && n > 0 {
			o.note("%s %s is not finished: %d URLs are left in %s; run the same command again to resume it (--crawl-id %s names it)",
				st.what, st.id, n, st.desc, shellWord(st.id))
		}
	case st.interrupted:
		// A store over the network is not asked after an interrupt: one
		// that went away would hold the end of the run for its retries.
		o.note("%s %s is kept in %s: run the same command again to resume it (--crawl-id %s names it)",
			st.what, st.id, st.desc, shellWord(st.id))
	}
	if n := st.front.Stats().RoundTrips; n > 0 {
		per := 0.0
		if st.pages > 0 {
			per = float64(n) / float64(st.pages)
		}
		o.note("%s: %d round trips for %d pages (%.2f a page)", st.scheme, n, st.pages, per)
	}
	st.front.Close()
}

// listPushBatch is how many URLs of a list go to the store in one call.
const listPushBatch = 1000

// planStoreList plans a URL list (no --crawl) on the --frontier store: the
// list is pushed to the store in batches, each URL once whichever worker
// pushes it (a second worker with the same list adds nothing), then this
// worker fetches what is queued, sharing it with any others (crawl.Config
// List). Memory stays flat: the list is read twice (the first time for
// the default crawl id), never held.
func (c *crawlOptions) planStoreList(ctx context.Context, o *Options) (*runPlan, exitCode) {
	ios := o.IO
	if err := c.checkFrontierFlags(o); err != nil {
		return nil, printFlagError(ios.ErrOut, "fetch", err)
	}
	src, err := newSource(o)
	if err != nil {
		return nil, printFlagError(ios.ErrOut, "fetch", err)
	}
	// The list is pushed to the store before the plan runs: the input
	// is closed when planning ends.
	defer src.close()
	if err := src.replayable(ctx); err != nil {
		if code, ok := interruptCode(ctx); ok {
			return nil, code // interrupted while reading the list: nothing fetched
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
		return nil, exitUsage
	}
	if c.store.crawlID == "" {
		id, n, emptyShard, err := defaultListID(src, o)
		if err != nil {
			fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
			return nil, exitUsage
		}
		if n == 0 && emptyShard {
			noteEmptyShard(o, src.describe())
			return newRunPlan(o, nothingPass{}, "crawl"), exitOK
		}
		if n == 0 {
			return nil, printFlagError(ios.ErrOut, "fetch", &emptyError{src.describe()})
		}
		c.store.crawlID = id
	}
	cfg := crawl.Config{List: true, PerHost: o.PerHost}
	if cfg.PerHost <= 0 {
		cfg.PerHost = 1 << 20 // no bound beyond each worker's -c, as for lists
	}
	store, code, ok := c.useFrontier(ctx, o, &cfg)
	if !ok {
		return nil, code
	}
	pushed, pr, bad, emptyShard, err := pushList(ctx, src, store.front, ios.ErrOut)
	code, interrupted := interruptCode(ctx)
	switch {
	case interrupted:
	case err != nil:
		fmt.Fprintf(ios.ErrOut, "fetch: --frontier: %s\n", shownErr(err))
		code = exitFailed
	case pushed == 0 && bad == 0 && !emptyShard:
		code = printFlagError(ios.ErrOut, "fetch", &emptyError{src.describe()})
	case pushed > 0 && pr.Added == 0 && store.complete(ctx):
		// Every URL was fetched before: nothing to run.
		store.noteComplete(o)
		if bad > 0 {
			code = exitFailed // a line that is no URL was not queued
		}
	default:
		if pushed == 0 && bad == 0 {
			noteEmptyShard(o, src.describe()) // this worker fetches what others queued
		}
		store.pushed = pr
		p := newCrawlPlan(o, cfg, store)
		p.failed = bad > 0 // a line that is no URL was not queued
		return p, exitOK
	}
	store.finish(o)
	return nil, code
}

// defaultListID names a list run by its URLs, in order, and the flags
// that decide what a fetch is (method, body, HEAD), so that workers given
// the same list and flags meet; n is the number of URL lines, and
// emptyShard says that the list's lines were all of other shards.
func defaultListID(src *source, o *Options) (id string, n int, emptyShard bool, err error) {
	lines, err := src.open()
	if err != nil {
		return "", 0, false, err
	}
	defer src.endPass()
	h := sha256.New()
	for {
		text, _, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, false, fmt.Errorf("reading URLs: %w", err)
		}
		text, _ = splitLabel(text)
		io.WriteString(h, text+"\n")
		n++
	}
	fmt.Fprintf(h, "method=%q data=%q head=%v", o.Method, o.Data, o.Head)
	return "list-" + hex.EncodeToString(h.Sum(nil))[:16], n, lines.emptyShard(), nil
}

// pushList pushes the URLs of src to front in batches; a line that is no
// URL is said on w and counted in bad (its label, if any, is not kept).
// pr is what the store made of those pushed (new, already there,
// dropped); otherShards says that some lines were of other shards.
func pushList(ctx context.Context, src *source, front crawl.Store, w io.Writer) (pushed int, pr crawl.PushResult, bad int, otherShards bool, err error) {
	lines, err := src.open()
	if err != nil {
		return 0, pr, 0, false, err
	}
	defer src.endPass()
	defer func() { otherShards = lines.emptyShard() }()
	batch := make([]crawl.Item, 0, listPushBatch)
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err // interrupted: what is pushed stays, the rest is not
		}
		if len(batch) == 0 {
			return nil
		}
		r, err := front.Push(batch)
		pushed += len(batch)
		pr.Added, pr.Duplicates, pr.Dropped = pr.Added+r.Added, pr.Duplicates+r.Duplicates, pr.Dropped+r.Dropped
		batch = batch[:0]
		return err
	}
	for {
		text, tooLong, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return pushed, pr, bad, false, fmt.Errorf("reading URLs: %w", err)
		}
		if tooLong {
			fmt.Fprintf(w, "fetch: %s is longer than %d bytes: not queued\n", lines.where(), maxLineLength)
			bad++
			continue
		}
		text, _ = splitLabel(text)
		u, perr := fetcher.ParseURL(text)
		var it crawl.Item
		if perr == nil {
			if it, err = crawl.NewItem(u, 0, ""); err != nil {
				perr = fetcher.InvalidInput(text, err.Error())
			}
		}
		if perr != nil {
			fmt.Fprintf(w, "fetch: %s: %s: not queued\n", shownText(lines.where()), shownErr(perr))
			bad++
			continue
		}
		if batch = append(batch, it); len(batch) == listPushBatch {
			if err := flush(); err != nil {
				return pushed, pr, bad, false, err
			}
		}
	}
	return pushed, pr, bad, false, flush()
}
