package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

// subcommands are the words run dispatches on when they come first.
var subcommands = map[string]bool{"demo": true, "serve": true, "results": true, "help": true}

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

// fetchRun fetches the URLs of o (or crawls from them, with --crawl) and
// writes results, costs, summaries and the comparison to o.IO.Out, or to
// the file of -o.
func fetchRun(ctx context.Context, o *Options) exitCode {
	if o.OutputFile == "" || o.OutputFile == "-" {
		return fetchRunTo(ctx, o)
	}
	file, err := os.Create(o.OutputFile)
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "fetch: --output: %s\n", escapeText(err.Error()))
		return exitUsage
	}
	// The results go to the file: for the progress bar, stdout is a file.
	ios := *o.IO
	ios.Out, ios.OutTTY, ios.OutPipe = file, false, false
	fo := *o
	fo.IO = &ios
	code := fetchRunTo(ctx, &fo)
	if st, err := file.Stat(); err == nil && st.Size() == 0 && code == exitUsage {
		// A usage error (an empty list) leaves nothing behind.
		os.Remove(o.OutputFile)
	}
	if err := file.Close(); err != nil && code != exitUsage {
		fmt.Fprintf(o.IO.ErrOut, "fetch: --output: %v\n", err)
		return max(code, exitFailed)
	}
	return code
}

// fetchRunTo is fetchRun once o.IO.Out is where results go.
func fetchRunTo(ctx context.Context, o *Options) exitCode {
	if code, done := crawlRun(ctx, o); done {
		return code
	}
	ios := o.IO
	src, err := newSource(o)
	if err != nil {
		if errors.Is(err, errNoInput) {
			return printFlagError(ios.ErrOut, "fetch", err)
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", escapeText(err.Error()))
		return exitUsage
	}
	defer src.close()

	modes := o.Compare
	if modes == nil {
		modes = []Mode{o.Mode}
	}
	plan := schedule(modes, o.Repeat)
	if len(plan) > 1 {
		if err := src.replayable(ctx); err != nil {
			if code, ok := interruptCode(ctx); ok {
				return code // interrupted while reading the list: nothing fetched
			}
			fmt.Fprintf(ios.ErrOut, "fetch: %s\n", escapeText(err.Error()))
			return exitUsage
		}
	}

	r := &runner{o: o, src: src, out: newLineWriter(ios.Out), plan: plan}
	r.f = newFormatter(o)
	r.info = r.out
	if o.WriteOut != nil {
		// The template's lines are the whole of stdout: costs and
		// summaries go to stderr.
		r.info = newLineWriter(ios.ErrOut)
	}
	return r.runAll(ctx)
}

// newFormatter returns the formatter the output flags of o ask for.
func newFormatter(o *Options) *formatter {
	return &formatter{json: o.JSON, quiet: o.Quiet, slowest: o.Slowest, writeOut: o.WriteOut}
}

// runner runs the plan of a fetch: one run per mode and repeat.
type runner struct {
	o    *Options
	src  *source
	plan []Mode
	out  *lineWriter // results
	info *lineWriter // costs, summaries, the comparison: out, or stderr with -w
	f    *formatter
}

// runAll runs the plan and returns the exit code. Precedence: an input
// error (2), an interrupt (130/143), a --min-speedup gate not met (3),
// a failed URL (1).
func (r *runner) runAll(ctx context.Context) exitCode {
	o, ios := r.o, r.o.IO
	modes := o.Compare
	if modes == nil {
		modes = []Mode{o.Mode}
	}
	// With -q and several runs of a mode, a failure is printed once (the
	// first run that meets it), and the table stands for the runs' own
	// cost and summary lines.
	quietRepeat := o.Quiet && o.Repeat > 1
	var shown map[failureKey]bool
	if quietRepeat {
		shown = make(map[failureKey]bool)
	}
	var (
		costs     []runCost
		failed    bool
		listLen   = int64(-1)
		lenDiffer bool
	)
	for i, mode := range r.plan {
		sum, err := r.runOnce(ctx, mode, i == 0, shown)
		failed = failed || sum.failed > 0
		if err != nil {
			var ee *emptyError
			if errors.As(err, &ee) {
				return printFlagError(ios.ErrOut, "fetch", err)
			}
			var ie *inputError
			var ce *configError
			if errors.As(err, &ie) || errors.As(err, &ce) {
				fmt.Fprintf(ios.ErrOut, "fetch: %s\n", escapeText(err.Error()))
				return exitUsage
			}
			if ctx.Err() == nil {
				fmt.Fprintf(ios.ErrOut, "fetch: %s engine: %v\n", mode, err)
				return exitFailed
			}
		}
		if r.out.Err() != nil {
			break
		}
		if ctx.Err() == nil {
			n := sum.urls + sum.notStarted
			if listLen >= 0 && n != listLen {
				lenDiffer = true
			}
			listLen = max(listLen, n)
		}
		costs = append(costs, runCost{mode, sum.wall, sum.failed, sum.urls + sum.notStarted})
		if o.JSON || !quietRepeat {
			r.info.writeLine(r.f.cost(nil, mode, sum.wall))
			if o.JSON || !o.announce {
				r.info.writeLine(r.f.summary(nil, sum))
			}
		}
		if ctx.Err() != nil {
			break
		}
	}

	var cmp *comparison
	if ctx.Err() == nil && r.out.Err() == nil && !lenDiffer && (o.Compare != nil || o.Repeat > 1) {
		cmp = compareRuns(modes, costs, o.MinSpeedup)
		r.info.writeLine(r.f.compare(nil, cmp))
	}

	switch err := r.out.Err(); {
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
	if lenDiffer {
		fmt.Fprintf(ios.ErrOut, "fetch: the runs read lists of different lengths (%s): %s changed while the comparison ran; no speedup is reported\n",
			runLengths(costs), r.src.describe())
		return exitUsage
	}
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

// configError is a configuration the engines refuse (exit 2).
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// inputError is a failure to read the URL list.
type inputError struct{ err error }

func (e *inputError) Error() string { return "reading URLs: " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// runOnce streams one pass of the list through the engine of mode and
// writes each result as it completes (or in input order with
// --keep-order). It returns the summary of the run; its error is an
// *emptyError (an empty list on the first run: later runs that find the
// list emptied report a length of 0), an *inputError, a *configError, or
// the engine's.
//
// Four goroutines: a reader reads lines when asked (so that an interrupt
// never waits for a stalled pipe), the feeder turns them into jobs (or,
// for a bad line, its result), the engine turns jobs into results, and
// this one collects results, prints them and counts them. Memory is
// bounded by the concurrency: one line at a time in the feeder, the
// engine's slots, the results channel and, with --keep-order, the reorder
// window.
func (r *runner) runOnce(ctx context.Context, mode Mode, first bool, shown map[failureKey]bool) (*summary, error) {
	o := r.o
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
		return sum, &configError{err}
	}
	lr, err := r.src.open()
	if err != nil {
		return sum, &inputError{err}
	}
	lines := newAsyncLines(lr)
	defer lines.close()
	// The first line, before anything starts: an empty list is a usage
	// error, not a run.
	line, ok, pending := lines.next(ctx.Done())
	if ok && line.err == io.EOF && first {
		return sum, &emptyError{r.src.describe()}
	}

	var total int64 = -1
	if progressEnabled(o) {
		total = r.src.count()
	}
	prog := newProgress(o, mode.String(), total)
	if prog != nil && o.IO.OutTTY {
		r.out.around = prog.around
		defer func() { r.out.around = nil }()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A failed stdout ends the run: nobody reads what is left.
	go func() {
		select {
		case <-r.out.failed:
			cancel()
		case <-runCtx.Done():
		}
	}()

	jobs := make(chan Job)
	results := make(chan Result, o.Concurrency)
	rs := &runState{mode: mode, out: r.out, f: r.f, sum: sum, prog: prog, shown: shown}
	if o.KeepOrder {
		rs.window = make(chan struct{}, max(keepOrderFactor*o.Concurrency, minKeepOrderWindow))
		rs.pending = make(map[int64]Result)
	}
	ob := &observer{}
	if o.announce {
		ob.starts = make(chan Job, maxQueuedStarts)
		rs.starts = ob.starts
		rs.announced = make(map[int64]bool)
	}
	cfg.Observer = ob
	prog.setLiveBytes(&ob.bytes)

	fd := &feeder{mode: mode, lines: lines, countable: r.src.countable, jobs: jobs, results: results, window: rs.window}
	if ok {
		fd.first = &line
	} else {
		fd.stopEarly, fd.asked = true, pending // interrupted before the first line came
	}

	start := now()
	var (
		wg     sync.WaitGroup
		stats  Stats
		runErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(jobs)
		fd.run(runCtx.Done())
	}()
	go func() {
		defer wg.Done()
		stats, runErr = engine(runCtx, mode, cfg, jobs, results)
		cancel() // an engine that quits early stops the feeder
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	rs.collect(results)
	sum.wall = now().Sub(start)
	prog.finish()
	sum.notStarted += fd.notStarted // to the jobs the engine took and never began (emit)
	sum.inputComplete = fd.complete
	sum.dns.queries, sum.dns.cacheHits = stats.DNS.Queries, stats.DNS.CacheHits
	sum.wire.requests, sum.wire.conns, sum.wire.reused = stats.Requests, stats.Conns, stats.Reused
	sum.wire.connectLost, sum.wire.connectFailed = stats.ConnectLost, stats.ConnectFailed
	sum.wire.h2conns, sum.wire.h2streams = stats.HTTP2Conns, stats.HTTP2Streams
	if fd.err != nil {
		return sum, &inputError{fd.err}
	}
	return sum, runErr
}

// feeder sends a job for each line of input, or, for a line that is no
// URL to fetch, its result. With --keep-order it takes a slot of window
// per line, which the collector gives back when it prints that line's
// result. When the run stops early it counts the lines that were never
// started.
type feeder struct {
	mode      Mode
	lines     *asyncLines
	countable bool
	first     *lineResult // the line read before the run began; nil if none
	stopEarly bool        // the run was interrupted before its first line came
	asked     bool        // with stopEarly: the first line was asked for, not received
	jobs      chan<- Job
	results   chan<- Result
	window    chan struct{}

	// What happened, read after run returns.
	notStarted int64 // URL lines read and never begun, and with countable input, those left unread
	complete   bool  // the input was read to its end
	err        error // a read error
}

// run feeds until the end of input or until done (an interrupt, a closed
// stdout, an engine that quit).
func (fd *feeder) run(done <-chan struct{}) {
	if fd.stopEarly {
		fd.stopped(fd.asked)
		return
	}
	for idx := int64(0); ; idx++ {
		var l lineResult
		if fd.first != nil {
			l, fd.first = *fd.first, nil
		} else {
			var ok, pending bool
			if l, ok, pending = fd.lines.next(done); !ok {
				fd.stopped(pending)
				return
			}
		}
		if l.err == io.EOF {
			fd.complete = true
			return
		}
		if l.err != nil {
			fd.err = l.err
			return
		}
		// A stop already seen wins over a free slot or a ready engine
		// (select would pick at random), so that no line starts after it.
		if isDone(done) {
			fd.notStarted++
			fd.stopped(false)
			return
		}
		if fd.window != nil {
			select {
			case fd.window <- struct{}{}:
			case <-done:
				fd.notStarted++
				fd.stopped(false)
				return
			}
		}
		if l.tooLong {
			err := fetcher.InvalidInput(l.text+"…", fmt.Sprintf("line %d is longer than %d bytes", l.lineNo, maxLineLength))
			fd.results <- fetcher.ErrorResult(Job{Index: idx}, fd.mode, err)
			continue
		}
		raw, label := splitLabel(l.text)
		job, err := fetcher.ParseJob(Job{URL: raw, Index: idx, Label: label})
		if err != nil {
			fd.results <- fetcher.ErrorResult(job, fd.mode, err)
			continue
		}
		select {
		case fd.jobs <- job:
		case <-done:
			fd.notStarted++
			fd.stopped(false)
			return
		}
	}
}

// isDone reports whether done is closed.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// stopped counts what is left of the input after the run stopped early:
// with countable input, every URL line left (read now, never fetched);
// from a stream, the lines already read, and nothing more is read.
// asked is true when a line was asked for and not yet received.
func (fd *feeder) stopped(asked bool) {
	if !fd.countable {
		// The rest of the batch in hand was read: not started. A batch
		// that ends the input leaves it complete.
		fd.notStarted += fd.lines.queued()
		if q := fd.lines.queue; len(q) > 0 && q[len(q)-1].err == io.EOF {
			fd.complete = true
		}
		return
	}
	if asked {
		if l := fd.lines.wait(); l.err != nil {
			fd.complete = l.err == io.EOF
			return
		}
		fd.notStarted++
	}
	for {
		l, _, _ := fd.lines.next(nil)
		if l.err != nil {
			fd.complete = l.err == io.EOF
			return
		}
		fd.notStarted++
	}
}

// runState is what the collector of one run holds: where lines go, what
// is counted, and the order they are printed in.
type runState struct {
	mode Mode
	out  *lineWriter
	f    *formatter
	sum  *summary
	prog *progress
	buf  []byte
	// shown holds the failures printed by earlier runs (-q with
	// --repeat: each is printed once); nil to print every result.
	shown map[failureKey]bool

	// --keep-order: slots of the feeder's window, results waiting for an
	// earlier one, and the index printed next. nil without.
	window  chan struct{}
	pending map[int64]Result
	next    int64

	// fetch demo: starts to announce, and those announced whose result is
	// not yet printed. nil otherwise.
	starts    chan Job
	held      []Job // starts taken while a result was ready: announced after it
	announced map[int64]bool
}

// collect prints and counts results until results is closed. It is the
// only goroutine that prints during a run.
func (rs *runState) collect(results <-chan Result) {
	defer rs.out.flush()
	// One Result for the whole run, not one on the heap per result: emit
	// keeps no pointer to it.
	var r Result
	for {
		var ok bool
		r, ok = rs.receive(results)
		if !ok {
			break
		}
		if rs.window == nil {
			rs.emit(&r)
			continue
		}
		rs.pending[r.Index] = r
		rs.emitInOrder()
	}
	// Only an engine that lost a result leaves gaps: print the rest in order.
	for len(rs.pending) > 0 {
		if p, ok := rs.pending[rs.next]; ok {
			delete(rs.pending, rs.next)
			rs.emit(&p)
		}
		rs.next++
	}
}

// emitInOrder prints the pending results that are next in input order and
// gives their window slots back.
func (rs *runState) emitInOrder() {
	for {
		p, ok := rs.pending[rs.next]
		if !ok {
			return
		}
		delete(rs.pending, rs.next)
		rs.next++
		rs.emit(&p)
		<-rs.window
	}
}

// receive returns the next result, printing the starts announced before
// it (fetch demo): results are taken first, so that a one-after-another
// run reads as GET, bytes, GET, bytes. A start that comes with a result
// ready is held until that result is printed.
func (rs *runState) receive(results <-chan Result) (Result, bool) {
	if rs.starts == nil {
		select {
		case r, ok := <-results:
			return r, ok
		default:
		}
		rs.out.flush() // nothing more to print for now: write what is held
		r, ok := <-results
		return r, ok
	}
	for {
		select {
		case r, ok := <-results:
			return r, ok
		default:
		}
		if len(rs.held) > 0 {
			rs.announceQueued()
			continue
		}
		rs.out.flush()
		select {
		case j := <-rs.starts:
			select {
			case r, ok := <-results:
				rs.held = append(rs.held, j)
				return r, ok
			default:
			}
			rs.announce(j)
		case r, ok := <-results:
			return r, ok
		}
	}
}

// announceQueued announces one start held back or queued, if there is one.
func (rs *runState) announceQueued() bool {
	if len(rs.held) > 0 {
		j := rs.held[0]
		rs.held = rs.held[1:]
		rs.announce(j)
		return true
	}
	select {
	case j := <-rs.starts:
		rs.announce(j)
		return true
	default:
		return false
	}
}

func (rs *runState) announce(j Job) {
	rs.announced[j.Index] = true
	rs.out.writeLine(rs.f.started(nil, rs.mode, fetcher.MaskURL(j.URL)))
}

// emit prints and counts one result. A start is queued before its result
// is sent (OnStart comes first), so the queue is printed up to it first.
// A job the interrupt reached before its fetch began (NotStarted) is
// counted as not started, not printed: an engine that queues jobs ahead
// of its workers reports the same as one that does not.
func (rs *runState) emit(r *Result) {
	if r.NotStarted {
		if rs.out.Err() == nil {
			rs.sum.notStarted++
		}
		return
	}
	if rs.starts != nil {
		for !rs.announced[r.Index] && rs.announceQueued() {
		}
		delete(rs.announced, r.Index)
	}
	if rs.out.Err() != nil {
		return // stdout is gone: what follows is not reported, nor counted
	}
	rs.sum.add(r)
	rs.prog.add(r) // first, so that the bar drawn under the line counts it
	if rs.shown != nil && !r.OK() {
		k := failureKey{r.URL, r.ErrorKind, r.Status}
		if rs.shown[k] {
			return
		}
		if len(rs.shown) < maxShownFailures {
			rs.shown[k] = true
		}
	}
	rs.buf = rs.f.result(rs.buf[:0], r)
	if len(rs.buf) > 0 {
		rs.out.bufferLine(rs.buf)
	}
}

// failureKey identifies a failure across the runs of a comparison.
type failureKey struct {
	url    string
	kind   ErrorKind
	status int
}

// maxShownFailures bounds the failures remembered to print each once;
// past it, later runs print theirs again rather than grow memory.
const maxShownFailures = 1 << 16

// engineConfig turns the flags into the engines' configuration.
func engineConfig(o *Options) (Config, error) {
	cfg, err := baseConfig(o)
	if err != nil {
		return cfg, err
	}
	if cfg.Resolver, err = newResolver(o); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// baseConfig is the engines' configuration without a resolver, which
// every run builds anew. The CLI passes raw strings (headers, the CA file,
// the body) for the fetcher to check (Config.Validate) and read. Flag
// groups that set fields of their own (proxies, HTTP versions) hook in
// here; their errors are usage errors.
func baseConfig(o *Options) (Config, error) {
	cfg := Config{
		Config: fetcher.Config{
			Timeout:        o.Timeout,
			ConnectTimeout: o.ConnectTimeout,
			TLSTimeout:     o.TLSTimeout,
			Retries:        o.Retries,
			RetryAllErrors: o.RetryAllErrors,
			RetryMaxTime:   o.RetryMaxTime,
			HeaderLines:    o.HeaderLines,
			UserAgent:      o.UserAgent,
			Method:         o.Method,
			Data:           o.Data,
			Insecure:       o.Insecure,
			CAFile:         o.CACert,
			MaxBody:        o.MaxBody,
			Compressed:     o.Compressed,
			HTTPVersion:    o.HTTPVersion,
		},
		SaveDir:        o.SaveDir,
		SHA256:         o.SHA256,
		IncludeHeaders: o.Include,
		Concurrency:    o.Concurrency,
		PerHost:        o.PerHost,
		Rate:           o.Rate,
		Hubs:           o.Hubs,
	}
	// --max-redirs 0 is the fetcher's own spelling of "follow none"; any
	// other count is MaxRedirects.
	if o.MaxRedirects == 0 {
		cfg.NoRedirects = true
	} else {
		cfg.MaxRedirects = o.MaxRedirects
	}
	if err := o.Net.configure(&cfg.Config); err != nil { // netflags.go
		return cfg, err
	}
	if o.Head {
		cfg.Method = "HEAD"
	}
	if o.Verbose {
		cfg.Verbose = o.IO.ErrOut
	}
	cfg.Family = o.Family
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
