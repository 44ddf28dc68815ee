package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

// keepOrderFactor sets the --keep-order window: at most keepOrderFactor×c
// URLs may be started and not yet printed. Results that complete ahead of
// an earlier slow URL wait in a reorder buffer of that size; when it is
// full, no new URL starts until the slow one is printed (back-pressure
// on the input, never an unbounded buffer).
const keepOrderFactor = 4

// minKeepOrderWindow is the smallest --keep-order window.
const minKeepOrderWindow = 64

// run is the whole command: it dispatches the subcommands and returns the
// exit code. ctx ends on SIGINT/SIGTERM (see signalContext).
func run(ctx context.Context, args []string, ios *IOStreams) exitCode {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return newCmdDemo(ctx, ios, args[1:], nil)
		case "serve":
			return newCmdServe(ctx, ios, args[1:], nil)
		case "results":
			return newCmdResults(ctx, ios, args[1:]) // results.go
		case "help":
			return newCmdFetch(ctx, ios, []string{"--help"}, nil)
		}
	}
	return newCmdFetch(ctx, ios, args, nil)
}

// fetchRun fetches the URLs of o with each mode of the schedule and
// writes results, costs, summaries and the comparison to o.IO.Out.
func fetchRun(ctx context.Context, o *Options) exitCode {
	if code, done := crawlRun(ctx, o); done {
		return code
	}
	ios := o.IO
	src, err := newSource(o)
	if err != nil {
		if errors.Is(err, errNoURLs) {
			return printFlagError(ios.ErrOut, "fetch", err)
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %v\n", err)
		return exitUsage
	}
	defer src.close()

	modes := o.Compare
	if modes == nil {
		modes = []Mode{o.Mode}
	}
	plan := schedule(modes, o.Repeat)
	if len(plan) > 1 {
		if err := src.replayable(); err != nil {
			fmt.Fprintf(ios.ErrOut, "fetch: %v\n", err)
			return exitUsage
		}
		if code, ok := interruptCode(ctx); ok {
			return code // interrupted while reading standard input: nothing fetched
		}
	}
	if _, err := engineConfig(o); err != nil {
		fmt.Fprintf(ios.ErrOut, "fetch: %v\n", err)
		return exitUsage
	}

	out := newLineWriter(ios.Out)
	f := &formatter{json: o.JSON, quiet: o.Quiet, slowest: o.Slowest}
	var (
		costs  []runCost
		failed bool
	)
	for _, mode := range plan {
		rs, err := runOnce(ctx, o, mode, src, out, f)
		failed = failed || rs.failed > 0
		if err != nil {
			var ie *inputError
			if errors.As(err, &ie) {
				fmt.Fprintf(ios.ErrOut, "fetch: %v\n", err)
				return exitUsage
			}
			if ctx.Err() == nil {
				fmt.Fprintf(ios.ErrOut, "fetch: %s engine: %v\n", mode, err)
				return exitFailed
			}
		}
		if out.Err() != nil {
			break
		}
		costs = append(costs, runCost{mode, rs.wall})
		out.writeLine(f.cost(nil, mode, rs.wall))
		if o.JSON || !o.announce {
			out.writeLine(f.summary(nil, rs))
		}
		if ctx.Err() != nil {
			break
		}
	}

	var cmp *comparison
	if ctx.Err() == nil && out.Err() == nil && (o.Compare != nil || o.Repeat > 1) {
		cmp = compareRuns(modes, costs, o.MinSpeedup)
		out.writeLine(f.compare(nil, cmp))
	}

	switch err := out.Err(); {
	case err == nil:
	case isClosedPipe(err):
		// The reader went away (| head): quiet, and judged on what it read.
		if failed {
			return exitFailed
		}
		return exitOK
	default:
		fmt.Fprintf(ios.ErrOut, "fetch: writing output: %v\n", err)
		return exitFailed
	}
	if ctx.Err() != nil {
		if code, ok := interruptCode(ctx); ok {
			return code
		}
		return exitInterrupted
	}
	if failed {
		return exitFailed
	}
	if cmp != nil && !cmp.gateMet() {
		fmt.Fprintf(ios.ErrOut, "fetch: speedup %.2fx of %s over %s is below --min-speedup %.2fx\n",
			cmp.speedup, cmp.modes[len(cmp.modes)-1].mode, cmp.modes[0].mode, cmp.minSpeedup)
		return exitGate
	}
	return exitOK
}

// inputError is a failure to read the URL list.
type inputError struct{ err error }

func (e *inputError) Error() string { return "reading URLs: " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// runOnce streams one pass of src through the engine of mode and writes
// each result as it completes (or in input order with --keep-order). It
// returns the summary of the run; its error is an *inputError, or the
// engine's.
//
// Three goroutines: the feeder reads lines and sends jobs (or, for a bad
// line, its result), the engine turns jobs into results, and this one
// collects results, prints them and counts them. Memory is bounded by the
// concurrency: one line at a time in the feeder, the engine's slots, the
// results channel and, with --keep-order, the reorder window.
func runOnce(ctx context.Context, o *Options, mode Mode, src *source, out *lineWriter, f *formatter) (*summary, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	engine := o.Run
	if engine == nil {
		engine = fetcher.Run
	}
	sum := newSummary(mode, o.Slowest)

	// A new configuration, resolver included, for every run: each starts cold.
	cfg, err := engineConfig(o)
	if err != nil {
		return sum, err
	}
	lines, err := src.open()
	if err != nil {
		return sum, &inputError{err}
	}
	var total int64 = -1
	if progressEnabled(o) {
		total = src.count()
	}
	prog := newProgress(o, mode.String(), total)
	if prog != nil && o.IO.OutTTY {
		out.around = prog.around
		defer func() { out.around = nil }()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A failed stdout ends the run: nobody reads what is left.
	go func() {
		select {
		case <-out.failed:
			cancel()
		case <-runCtx.Done():
		}
	}()

	jobs := make(chan Job)
	results := make(chan Result, o.Concurrency)
	engineDone := make(chan struct{})
	var window chan struct{}
	if o.KeepOrder {
		window = make(chan struct{}, max(keepOrderFactor*o.Concurrency, minKeepOrderWindow))
	}

	ob := &observer{}
	if o.announce {
		ob.starts = make(chan Job, maxQueuedStarts)
	}
	cfg.Observer = ob
	prog.setLiveBytes(&ob.bytes)

	start := now()
	var (
		wg       sync.WaitGroup
		stats    Stats
		runErr   error
		inputErr error
	)
	wg.Add(2)
	go func() { // feeder
		defer wg.Done()
		defer close(jobs)
		inputErr = feed(runCtx, mode, lines, jobs, results, window, engineDone)
	}()
	go func() { // engine
		defer wg.Done()
		defer close(engineDone)
		stats, runErr = engine(runCtx, mode, cfg, jobs, results)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	collect(mode, results, ob.starts, window, sum, prog, out, f)
	sum.wall = now().Sub(start)
	prog.finish()
	sum.dns.queries, sum.dns.cacheHits = stats.DNS.Queries, stats.DNS.CacheHits
	sum.wire.requests, sum.wire.conns, sum.wire.reused = stats.Requests, stats.Conns, stats.Reused
	sum.wire.connectLost, sum.wire.connectFailed = stats.ConnectLost, stats.ConnectFailed
	sum.wire.h2conns, sum.wire.h2streams = stats.HTTP2Conns, stats.HTTP2Streams
	if inputErr != nil {
		return sum, &inputError{inputErr}
	}
	return sum, runErr
}

// feed sends a job for each line of lines, or, for a line that is no URL
// to fetch, its result. With --keep-order it takes a slot of window per
// line, which the collector gives back when it prints that line's result.
// It stops at the end of input, when ctx ends, or when the engine quits.
func feed(ctx context.Context, mode Mode, lines *lineReader, jobs chan<- Job, results chan<- Result, window chan struct{}, engineDone <-chan struct{}) error {
	for idx := int64(0); ; idx++ {
		if ctx.Err() != nil {
			return nil
		}
		text, tooLong, err := lines.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if window != nil {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return nil
			case <-engineDone:
				return nil
			}
		}
		if tooLong {
			results <- fetcher.ErrorResult(Job{Index: idx}, mode, fetcher.InvalidInput(text+"…", fmt.Sprintf("line %d is longer than %d bytes", lines.line, maxLineLength)))
			continue
		}
		if _, perr := normalizeURL(text); perr != nil {
			results <- fetcher.ErrorResult(Job{URL: text, Index: idx}, mode, perr)
			continue
		}
		select {
		case jobs <- Job{URL: text, Index: idx}:
		case <-ctx.Done():
			return nil
		case <-engineDone:
			return nil
		}
	}
}

// collect prints and counts results until results is closed. With
// --keep-order, results wait in a reorder buffer (at most the window) and
// are printed in input order. It is the only goroutine that prints during
// a run. When announcing (fetch demo), the start of each URL comes before
// its result: OnStart happens before the engine sends the result, so the
// start is queued by then and collect prints the queue up to it first;
// results go before later starts, so that one-after-another runs read as
// GET, bytes, GET, bytes.
func collect(mode Mode, results <-chan Result, starts chan Job, window chan struct{}, sum *summary, prog *progress, out *lineWriter, f *formatter) {
	defer out.flush()
	var buf []byte
	announced := make(map[int64]bool) // started and announced, result not yet printed
	announce := func(j Job) {
		announced[j.Index] = true
		out.writeLine(f.started(nil, mode, j.URL))
	}
	// announceUpTo prints queued starts until that of idx, or none is left.
	announceUpTo := func(idx int64) {
		for !announced[idx] {
			select {
			case j := <-starts:
				announce(j)
			default:
				return
			}
		}
	}
	emit := func(r *Result) {
		if starts != nil {
			announceUpTo(r.Index)
			delete(announced, r.Index)
		}
		if out.Err() != nil {
			return // stdout is gone: what follows is not reported, nor counted
		}
		sum.add(r)
		buf = f.result(buf[:0], r)
		if len(buf) > 0 {
			out.bufferLine(buf)
		}
		prog.add(r)
	}
	var pending map[int64]Result
	if window != nil {
		pending = make(map[int64]Result)
	}
	next := int64(0)
	for {
		var r Result
		var ok bool
		select {
		case r, ok = <-results: // results first
		default:
			out.flush() // nothing more to print for now: write what is held
			select {
			case j := <-starts:
				announce(j)
				continue
			case r, ok = <-results:
			}
		}
		if !ok {
			break
		}
		if window == nil {
			emit(&r)
			continue
		}
		pending[r.Index] = r
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			emit(&p)
			<-window
		}
	}
	// Only an engine that lost a result leaves gaps: print the rest in order.
	for len(pending) > 0 {
		if p, ok := pending[next]; ok {
			delete(pending, next)
			emit(&p)
		}
		next++
	}
}

// engineConfig turns the flags into the engines' configuration.
func engineConfig(o *Options) (Config, error) {
	cfg := Config{
		Timeout:        o.Timeout,
		ConnectTimeout: o.ConnectTimeout,
		TLSTimeout:     o.ConnectTimeout,
		Retries:        o.Retries,
		MaxRedirects:   o.MaxRedirects,
		Headers:        o.Headers,
		UserAgent:      o.UserAgent,
		Insecure:       o.Insecure,
		RootCAs:        o.RootCAs,
		MaxBody:        o.MaxBody,
		Compressed:     o.Compressed,
		SaveDir:        o.SaveDir,
		SHA256:         o.SHA256,
		Concurrency:    o.Concurrency,
		PerHost:        o.PerHost,
		Rate:           o.Rate,
		Hubs:           o.Hubs,
		HTTPVersion:    o.HTTPVersion,
	}
	if o.MaxRedirects == 0 {
		cfg.NoRedirects = true // --max-redirects 0: do not follow
	}
	if err := o.Net.configure(&cfg); err != nil { // netflags.go
		return cfg, err
	}
	if o.Head {
		cfg.Method = "HEAD"
	}
	var err error
	if cfg.Resolver, err = newResolver(o); err != nil {
		return cfg, err
	}
	switch o.Family {
	case 4:
		cfg.Family = fetcher.Family4
	case 6:
		cfg.Family = fetcher.Family6
	}
	return cfg, nil
}

// observer hears the engine: it counts body bytes for the progress bar and
// queues the starts that fetch demo announces. Its methods never block,
// as fetcher.Observer requires.
type observer struct {
	fetcher.NopObserver
	bytes  atomic.Int64
	starts chan Job // nil unless announcing
}

// maxQueuedStarts bounds the announcements waiting for the collector; past
// it, announcements are dropped rather than block a fetch.
const maxQueuedStarts = 4096

func (ob *observer) OnStart(j Job) {
	if ob.starts == nil {
		return
	}
	select {
	case ob.starts <- j:
	default:
	}
}

func (ob *observer) OnBytes(n int64) { ob.bytes.Add(n) }
