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

// subcommands are the words run dispatches on when they come first.
var subcommands = map[string]bool{"demo": true, "serve": true, "results": true, "report": true, "help": true, "version": true}

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
		case "report":
			return newCmdReport(ctx, ios, args[1:]) // reportcmd.go
		case "help":
			return newCmdFetch(ctx, ios, []string{"--help"}, nil)
		case "version":
			if len(args) > 1 && (args[1] == "-h" || args[1] == "--help") {
				fmt.Fprint(ios.Out, versionHelp)
				return exitOK
			}
			if len(args) > 1 {
				return printFlagError(ios.ErrOut, "fetch version", fmt.Errorf("unexpected argument %q: fetch version takes none", args[1]))
			}
			writeVersion(ios.Out)
			return exitOK
		}
	}
	return newCmdFetch(ctx, ios, args, nil)
}

const versionHelp = `fetch version: print the version of fetch, the Go that built it, the
commit it was built from (when the build recorded one) and the platform.

Usage:
  fetch version

Example:
  $ fetch version
`

// fetchRun fetches the URLs of o (or crawls from them, with --crawl) and
// writes results, costs, summaries and the comparison to o.IO.Out, or to
// the file of -o (outfile.go).
func fetchRun(ctx context.Context, o *Options) exitCode {
	toFile := o.OutputFile != "" && o.OutputFile != "-"
	if toFile {
		if what := sameFileAs(o.OutputFile, filesRead(o)); what != "" {
			return printFlagError(o.IO.ErrOut, "fetch", flagErrorf("-o %s is %s: the results would overwrite what the run reads", o.OutputFile, what))
		}
	}
	clampToFileLimit(o) // filelimit.go
	if o.Data == "@-" {
		remove, err := readStdinBody(ctx, o) // body.go
		if err != nil {
			if code, ok := interruptCode(ctx); ok {
				return code
			}
			fmt.Fprintf(o.IO.ErrOut, "fetch: -d @-: %s\n", shownErr(err))
			return exitUsage
		}
		defer remove()
	}
	if !toFile {
		return fetchRunTo(ctx, o)
	}
	of, err := createOutput(o.OutputFile)
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "fetch: -o %s: %s\n", shownText(o.OutputFile), shownErr(err))
		return exitUsage
	}
	// The results go to the file: for the progress bar, stdout is a file.
	ios := *o.IO
	ios.Out, ios.OutTTY, ios.OutPipe = of.f, false, false
	fo := *o
	fo.IO = &ios
	fo.outDesc = of.describe()
	code := fetchRunTo(ctx, &fo)
	return of.finish(code, fo.ran, o.IO.ErrOut)
}

// fetchRunTo is fetchRun once o.IO.Out is where results go: it plans the
// run (plan.go) and executes the plan.
func fetchRunTo(ctx context.Context, o *Options) exitCode {
	p, code := planRun(ctx, o)
	if p == nil {
		return code
	}
	o.ran = true
	defer p.close()
	return p.execute(ctx)
}

// newFormatter returns the formatter the output flags of o ask for.
func newFormatter(o *Options) *formatter {
	return &formatter{json: o.JSON, quiet: o.Quiet, slowest: o.Slowest, writeOut: o.WriteOut}
}

// planList plans a URL list (arguments, then --input or standard input)
// through the engines. A list read more than once (--compare, --repeat)
// must be one that can be read again: a pipe is read once, into a file.
func planList(ctx context.Context, o *Options) (*runPlan, exitCode) {
	ios := o.IO
	src, err := newSource(o)
	if err != nil {
		if errors.Is(err, errNoInput) {
			return nil, printFlagError(ios.ErrOut, "fetch", err)
		}
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
		return nil, exitUsage
	}
	p := newRunPlan(o, &listPass{src: src}, "engine")
	if len(p.runs) > 1 {
		if err := src.replayable(ctx); err != nil {
			src.close()
			if code, ok := interruptCode(ctx); ok {
				return nil, code // interrupted while reading the list: nothing fetched
			}
			fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
			return nil, exitUsage
		}
	}
	p.closers = append(p.closers, src.close)
	p.sameList, p.describe = true, src.describe
	p.quietRepeat = o.Quiet && o.Repeat > 1
	return p, exitOK
}

// listPass is a pass of a URL list through the engines.
type listPass struct{ src *source }

// run streams one pass of the list through the engine of mode and writes
// each result as it completes (or in input order with --keep-order). It
// returns the summary of the pass; its error is an *emptyError (an empty
// list on the first pass: later passes that find the list emptied report
// a length of 0), an *inputError, a *configError, or the engine's.
//
// Four goroutines: a reader reads lines when asked (so that an interrupt
// never waits for a stalled pipe), the feeder turns them into jobs (or,
// for a bad line, its result), the engine turns jobs into results, and
// this one collects results, prints them and counts them. Memory is
// bounded by the concurrency: one line at a time in the feeder, the
// engine's slots, the results channel and, with --keep-order, the reorder
// window.
func (lp *listPass) run(ctx context.Context, p *runPlan, mode fetcher.Mode, first bool) (*summary, error) {
	o := p.o
	now := o.Now
	if now == nil {
		now = time.Now
	}
	engine := o.Run
	if engine == nil {
		engine = fetcher.Run
	}
	sum := newSummary(mode, o.Slowest, o.Rate > 0)

	// A new configuration, resolver included, for every run: each starts cold.
	cfg, err := engineConfig(o)
	if err != nil {
		return sum, &configError{err}
	}
	lr, err := lp.src.open()
	if err != nil {
		return sum, &inputError{err}
	}
	lines := newAsyncLines(lr)
	defer lines.close()
	// The first line, before anything starts: an empty list is a usage
	// error, not a run.
	line, ok, pending := lines.next(ctx.Done())
	if ok && line.err == io.EOF && first {
		if !lr.emptyShard() {
			return sum, &emptyError{lp.src.describe()}
		}
		noteEmptyShard(o, lp.src.describe()) // and run zero URLs
	}

	var total int64 = -1
	if progressEnabled(o) {
		total = lp.src.count()
	}
	prog := newProgress(o, mode.String(), total)
	if prog != nil && o.IO.OutTTY {
		p.out.around = prog.around
		defer func() { p.out.around = nil }()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A failed stdout ends the run: nobody reads what is left.
	go func() {
		select {
		case <-p.out.failed:
			cancel()
		case <-runCtx.Done():
		}
	}()

	jobs := make(chan fetcher.Job)
	results := make(chan fetcher.Result, o.Concurrency)
	rs := &runState{mode: mode, out: p.out, f: p.f, sum: sum, prog: prog, shown: p.shown}
	if o.KeepOrder {
		rs.window = make(chan struct{}, max(keepOrderFactor*o.Concurrency, minKeepOrderWindow))
		rs.pending = make(map[int64]fetcher.Result)
	}
	ob := &observer{}
	if o.announce {
		ob.starts = make(chan fetcher.Job, maxQueuedStarts)
		rs.starts = ob.starts
		rs.announced = make(map[int64]bool)
	}
	cfg.Observer = ob
	prog.setLiveBytes(&ob.bytes)

	fd := &feeder{mode: mode, lines: lines, countable: lp.src.countable, jobs: jobs, results: results, window: rs.window}
	if ok {
		fd.first = &line
	} else {
		fd.stopEarly, fd.asked = true, pending // interrupted before the first line came
	}

	start := now()
	var (
		wg     sync.WaitGroup
		stats  fetcher.Stats
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
	sum.setStats(stats)
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
	mode      fetcher.Mode
	lines     *asyncLines
	countable bool
	first     *lineResult // the line read before the run began; nil if none
	stopEarly bool        // the run was interrupted before its first line came
	asked     bool        // with stopEarly: the first line was asked for, not received
	jobs      chan<- fetcher.Job
	results   chan<- fetcher.Result
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
			fd.results <- fetcher.ErrorResult(fetcher.Job{Index: idx}, fd.mode, err)
			continue
		}
		raw, label := splitLabel(l.text)
		job, err := fetcher.ParseJob(fetcher.Job{URL: raw, Index: idx, Label: label})
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
	mode fetcher.Mode
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
	pending map[int64]fetcher.Result
	next    int64

	// fetch demo: starts to announce, and those announced whose result is
	// not yet printed. nil otherwise.
	starts    chan fetcher.Job
	held      []fetcher.Job // starts taken while a result was ready: announced after it
	announced map[int64]bool
}

// collect prints and counts results until results is closed. It is the
// only goroutine that prints during a run.
func (rs *runState) collect(results <-chan fetcher.Result) {
	defer rs.out.flush()
	// One Result for the whole run, not one on the heap per result: emit
	// keeps no pointer to it.
	var r fetcher.Result
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
func (rs *runState) receive(results <-chan fetcher.Result) (fetcher.Result, bool) {
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

func (rs *runState) announce(j fetcher.Job) {
	rs.announced[j.Index] = true
	rs.out.writeLine(rs.f.started(nil, rs.mode, fetcher.MaskURL(j.URL)))
}

// emit prints and counts one result. A start is queued before its result
// is sent (OnStart comes first), so the queue is printed up to it first.
// A job the interrupt reached before its fetch began (NotStarted) is
// counted as not started, not printed: an engine that queues jobs ahead
// of its workers reports the same as one that does not.
func (rs *runState) emit(r *fetcher.Result) {
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
	kind   fetcher.ErrorKind
	status int
}

// maxShownFailures bounds the failures remembered to print each once;
// past it, later runs print theirs again rather than grow memory.
const maxShownFailures = 1 << 16

// engineConfig turns the flags into the engines' configuration.
func engineConfig(o *Options) (fetcher.RunConfig, error) {
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
func baseConfig(o *Options) (fetcher.RunConfig, error) {
	cfg := fetcher.RunConfig{
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
			Data:           bodyData(o),
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
	starts chan fetcher.Job // nil unless announcing
}

// maxQueuedStarts bounds the announcements waiting for the collector; past
// it, announcements are dropped rather than block a fetch.
const maxQueuedStarts = 4096

func (ob *observer) OnStart(j fetcher.Job) {
	if ob.starts == nil {
		return
	}
	select {
	case ob.starts <- j:
	default:
	}
}

func (ob *observer) OnBytes(n int64) { ob.bytes.Add(n) }
