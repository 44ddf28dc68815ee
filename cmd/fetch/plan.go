package main

// The run plan: what one invocation of fetch runs, and the one place that
// decides its modes, its repeats and its exit code, for every kind of
// run. planRun builds it from the Options (planList, planCrawl,
// planStoreList: each checks its input and flags, and opens what it
// needs); runPlan.execute runs its passes and writes the costs, the
// summaries and the comparison.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/greenfetch/greenfetch/fetcher"
)

// A pass is one cold run of the plan's work with the engine of a mode: a
// URL list through the engines (listPass, run.go), or a crawl, or a list
// kept in a store (crawlPass, crawl.go). It prints its results to p.out
// as they complete and returns its summary; its error is an *emptyError,
// an *inputError or a *configError (usage errors, exit 2), or a failure of
// the engine or the crawl (exit 1).
type pass interface {
	run(ctx context.Context, p *runPlan, mode fetcher.Mode, first bool) (*summary, error)
}

// runPlan is the plan of one fetch: its pass run once per mode of
// --compare and per --repeat.
type runPlan struct {
	o     *Options
	modes []fetcher.Mode // the modes compared: o.Compare, or o.Mode alone
	runs  []fetcher.Mode // the modes of the passes in order (schedule)
	pass  pass
	what  string // names a pass in its failure: "engine" or "crawl"

	out  *lineWriter // results
	info *lineWriter // costs, summaries, the comparison: out, or stderr with -w (nowhere with -s)
	f    *formatter
	// echo, when results go to a file (-o) and not -s, also gets the
	// costs, summaries and comparison, in text, on stderr: the terminal
	// is not left empty. nil otherwise.
	echo  *lineWriter
	echoF *formatter

	// failed says something failed before the passes (a line of a
	// stored list that is no URL): exit 1 at least.
	failed bool
	// sameList: every pass reads the same list, so a list whose length
	// changed between passes is an input error (a crawl finds what it
	// finds). describe names the list for that message.
	sameList bool
	describe func() string
	// quietRepeat (-q with --repeat, on lists): a failure is printed once
	// (the first pass that meets it; shown holds those printed), and the
	// comparison's table stands for the passes' own cost and summary
	// lines in text.
	quietRepeat bool
	shown       map[failureKey]bool

	// closers end what the plan opened (an input, a store), in order,
	// after the exit code is decided.
	closers []func()
}

// newRunPlan returns the plan of o with pass, before its kind sets its
// own fields.
func newRunPlan(o *Options, ps pass, what string) *runPlan {
	modes := o.Compare
	if modes == nil {
		modes = []fetcher.Mode{o.Mode}
	}
	p := &runPlan{o: o, modes: modes, runs: schedule(modes, o.Repeat), pass: ps, what: what, f: newFormatter(o)}
	p.out = newLineWriter(o.IO.Out)
	p.info = p.out
	switch {
	case o.WriteOut != nil && o.Silent:
		p.info = newLineWriter(io.Discard)
	case o.WriteOut != nil:
		// The template's lines are the whole of stdout: costs and
		// summaries go to stderr.
		p.info = newLineWriter(o.IO.ErrOut)
	case o.outDesc != "" && !o.Silent:
		p.echo, p.echoF = newLineWriter(o.IO.ErrOut), &formatter{slowest: o.Slowest}
	}
	return p
}

// planRun builds the plan o asks for: a crawl (--crawl), a list kept in a
// store (--frontier without --crawl), or a list. A nil plan means the run
// ends before any pass (a usage error, an interrupt while the list was
// read) with code, its message printed.
func planRun(ctx context.Context, o *Options) (p *runPlan, code exitCode) {
	if c := o.crawl; c != nil {
		if c.on {
			return c.planCrawl(ctx, o) // crawl.go
		}
		if err := c.listFlagsError(); err != nil {
			return nil, printFlagError(o.IO.ErrOut, "fetch", err)
		}
		if c.store.spec != "memory" {
			return c.planStoreList(ctx, o) // frontier.go
		}
	}
	return planList(ctx, o) // run.go
}

// close ends what the plan opened.
func (p *runPlan) close() {
	for _, c := range p.closers {
		c()
	}
}

// execute runs the passes and returns the exit code. It is the one place
// that decides it; the first that applies wins:
//
//	2   a report (--report) that cannot be created, before any pass;
//	2   a usage or input error of a pass (an empty list, a list that cannot
//	    be read, a configuration the engines refuse), message on stderr;
//	4   the results could not be written (a full disk, /dev/full, an I/O
//	    error), message on stderr: the results are incomplete, whatever
//	    else happened; a closed pipe is not this, but quiet, and judged on
//	    what was read (1 if a failure was printed, else 0);
//	4   a report (--report, GITHUB_STEP_SUMMARY) that could not be
//	    written, message on stderr (the others are written);
//	1   a pass whose engine or crawl failed, message on stderr;
//	130 an interrupt (143 for SIGTERM), the summary of the pass printed;
//	2   a list whose length changed between passes (no speedup reported);
//	3   a gate not met (--gate, --min-speedup), even with failed URLs: a
//	    line on stderr for each gate missed;
//	1   a failure: a URL (an error or a status >= 400), a robots.txt that
//	    kept its origin out, a stored list's line that is no URL;
//	0   otherwise.
func (p *runPlan) execute(ctx context.Context) exitCode {
	o, ios := p.o, p.o.IO
	if p.quietRepeat {
		p.shown = make(map[failureKey]bool)
	}
	v, err := p.startVerdict() // verdict.go
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
		return exitUsage
	}
	compares := o.Compare != nil || o.Repeat > 1
	var (
		costs     []runCost
		failed    = p.failed
		listLen   = int64(-1)
		lenDiffer bool
	)
	for i, mode := range p.runs {
		sum, err := p.pass.run(ctx, p, mode, i == 0)
		failed = failed || sum.anyFailed()
		if err != nil {
			var ee *emptyError
			if errors.As(err, &ee) {
				return printFlagError(ios.ErrOut, "fetch", err)
			}
			var ie *inputError
			var ce *configError
			if errors.As(err, &ie) || errors.As(err, &ce) {
				fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(err))
				return exitUsage
			}
			if ctx.Err() == nil && p.out.Err() == nil {
				fmt.Fprintf(ios.ErrOut, "fetch: %s %s: %s\n", mode, p.what, shownErr(err))
				return exitFailed
			}
		}
		if p.out.Err() != nil {
			break
		}
		n := sum.urls + sum.notStarted
		if p.sameList && ctx.Err() == nil {
			if listLen >= 0 && n != listLen {
				lenDiffer = true
			}
			listLen = max(listLen, n)
		}
		costs = append(costs, runCost{mode, sum.wall, sum.failed, n})
		rec := v.summary(sum, !compares && ctx.Err() == nil)
		if o.JSON || !p.quietRepeat {
			p.info.writeLine(p.f.cost(nil, mode, sum.wall))
			if o.JSON || !o.announce {
				p.info.writeLine(p.f.summaryOf(nil, sum, rec))
			}
		}
		if p.echo != nil && !p.quietRepeat {
			p.echo.writeLine(append(p.echoF.cost(nil, mode, sum.wall), p.echoF.summaryOf(nil, sum, rec)...))
		}
		if ctx.Err() != nil {
			break
		}
	}

	var cmp *comparison
	if ctx.Err() == nil && p.out.Err() == nil && !lenDiffer && compares {
		cmp = compareRuns(p.modes, costs, o.MinSpeedup)
		jc := v.compare(cmp)
		p.info.writeLine(p.f.compareOf(nil, cmp, jc))
		if p.echo != nil {
			p.echo.writeLine(p.echoF.compareOf(nil, cmp, jc))
		}
	}
	if b := v.baselineText(); len(b) > 0 && p.out.Err() == nil {
		if !o.JSON {
			p.info.writeLine(b)
		}
		if p.echo != nil {
			p.echo.writeLine(b)
		}
	}
	v.drawHistograms() // chart.go
	reportErr := v.writeReports()

	switch err := p.out.Err(); {
	case err == nil:
	case isClosedPipe(err):
		// The reader went away (| head): quiet, and judged on what it read.
		if failed {
			return exitFailed
		}
		return exitOK
	default:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "write /dev/stdout: ": the destination is named below
		}
		fmt.Fprintf(ios.ErrOut, "fetch: writing results to %s: %s\n", shownText(o.outName()), shownErr(err))
		return exitOutput
	}
	if reportErr != nil {
		fmt.Fprintf(ios.ErrOut, "fetch: %s\n", shownErr(reportErr))
		return exitOutput
	}
	if ctx.Err() != nil {
		if code, ok := interruptCode(ctx); ok {
			return code
		}
		return exitInterrupted
	}
	if lenDiffer {
		fmt.Fprintf(ios.ErrOut, "fetch: the runs read lists of different lengths (%s): %s changed while the comparison ran; no speedup is reported\n",
			runLengths(costs), shownText(p.describe()))
		return exitUsage
	}
	if !v.met {
		printMissed(ios.ErrOut, v.gates, cmp) // gates.go
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
