package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// fakeClock is an injected Now that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeEngine answers each job from its URL, without a network:
//
//	http://h.test/STATUS/BYTES/DURATION   a response (200/48708/103ms)
//	http://h.test/err/KIND                a failure of that error_kind
//	http://h.test/hang                    no answer until the run is canceled
//
// It answers in input order (or, with swapPairs, 1 0 3 2 5 4 ...), and
// advances the clock by what the run would cost: the sum of the fetch
// times in sync mode, the longest one otherwise (as if all ran at once),
// scaled per mode by scale.
type fakeEngine struct {
	fakeSpec
	clock *fakeClock
	mu    sync.Mutex
	runs  []fetcher.Mode // modes run, in order; guarded by mu
}

// fakeSpec sets how a fakeEngine answers.
type fakeSpec struct {
	swapPairs bool
	scale     map[fetcher.Mode]float64
	asyncFail bool // every fetch fails in async mode (for gate tests)
	dns       fetcher.ResolverStats

	// A crawl (fakeEngine.crawl): the counters it reports besides its
	// pages (crawl.Stats.Fetch, the engine's, included), and its error.
	crawlStats crawl.Stats
	crawlErr   error
	// onJob, if set, is called with each URL before it is answered.
	onJob func(url string)
}

func (e *fakeEngine) run(ctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
	e.mu.Lock()
	e.runs = append(e.runs, mode)
	e.mu.Unlock()
	var sum, longest time.Duration
	var held *fetcher.Result
	send := func(r fetcher.Result) {
		sum += r.Timings.Total
		longest = max(longest, r.Timings.Total)
		results <- r
	}
	for j := range jobs {
		if cfg.Observer != nil {
			cfg.Observer.OnStart(j)
		}
		if e.onJob != nil {
			e.onJob(j.URL)
		}
		r := e.answer(ctx, mode, j)
		if cfg.Observer != nil {
			cfg.Observer.OnBytes(r.Bytes)
		}
		if e.swapPairs {
			if held == nil {
				held = &r
				continue
			}
			send(r)
			send(*held)
			held = nil
			continue
		}
		send(r)
	}
	if held != nil {
		send(*held)
	}
	wall := longest
	if mode == fetcher.ModeSync {
		wall = sum
	}
	if s, ok := e.scale[mode]; ok {
		wall = time.Duration(float64(wall) * s)
	}
	e.clock.Advance(wall)
	return fetcher.Stats{DNS: e.dns, Requests: int64(len(e.runs)) * 10, Conns: 2, Reused: int64(len(e.runs))*10 - 2}, nil
}

func (e *fakeEngine) answer(ctx context.Context, mode fetcher.Mode, j fetcher.Job) fetcher.Result {
	u, perr := fetcher.ParseURL(j.URL)
	if perr != nil {
		return fetcher.ErrorResult(j, mode, perr)
	}
	shown := fetcher.MaskURL(u.String())
	r := fetcher.Result{Type: "result", URL: shown, FinalURL: shown, Mode: mode, Index: j.Index, Label: j.Label}
	fail := func(kind fetcher.ErrorKind, msg string) fetcher.Result {
		err := &fetcher.Error{Kind: kind, URL: shown, Err: errors.New(msg)}
		s := err.Error()
		r.Err, r.Error, r.ErrorKind = err, &s, kind
		return r
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case parts[0] == "hang":
		<-ctx.Done()
		r.Timings.Total = 42 * time.Millisecond
		return fail(fetcher.KindCanceled, "context canceled")
	case parts[0] == "err" && len(parts) == 2:
		if k, err := fetcher.ParseErrorKind(parts[1]); err == nil {
			return fail(k, "fake "+parts[1]+" failure")
		}
	case len(parts) == 3:
		status, err1 := strconv.Atoi(parts[0])
		n, err2 := strconv.ParseInt(parts[1], 10, 64)
		d, err3 := time.ParseDuration(parts[2])
		if err1 == nil && err2 == nil && err3 == nil {
			if e.asyncFail && mode == fetcher.ModeAsync {
				return fail(fetcher.KindConnect, "connection refused")
			}
			r.Status, r.Bytes, r.WireBytes = status, n, n+120
			r.ContentType = "text/plain"
			r.RemoteAddr = "192.0.2.1:80"
			r.Timings = fetcher.Timings{DNS: time.Millisecond / 2, Connect: time.Millisecond, TTFB: d - d/10, Total: d}
			return r
		}
	}
	return fail(fetcher.KindProtocol, "fake engine does not know "+j.URL)
}

// crawl is a CrawlFunc that answers each seed as run answers a job (one
// page a seed, at depth 0, in seed order; after an interrupt, the rest are
// left), advances the clock as run does, and reports the pages with
// crawlStats.
func (e *fakeEngine) crawl(ctx context.Context, cfg crawl.Config) (crawl.Stats, error) {
	e.mu.Lock()
	e.runs = append(e.runs, cfg.Mode)
	e.mu.Unlock()
	var sum, longest time.Duration
	st := e.crawlStats
	for i, seed := range cfg.Seeds {
		if ctx.Err() != nil { // interrupted: the rest is left
			st.Left = int64(len(cfg.Seeds) - i)
			break
		}
		if e.onJob != nil {
			e.onJob(seed.String())
		}
		r := e.answer(ctx, cfg.Mode, fetcher.Job{URL: seed.String(), Index: int64(i)})
		r.CrawlInfo = &fetcher.CrawlInfo{}
		sum += r.Timings.Total
		longest = max(longest, r.Timings.Total)
		cfg.OnResult(&r)
		st.Pages++
		st.Discovered++
	}
	wall := longest
	if cfg.Mode == fetcher.ModeSync {
		wall = sum
	}
	if s, ok := e.scale[cfg.Mode]; ok {
		wall = time.Duration(float64(wall) * s)
	}
	e.clock.Advance(wall)
	return st, e.crawlErr
}
