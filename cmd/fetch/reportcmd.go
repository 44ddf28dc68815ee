package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
)

const reportHelp = `fetch report: render the reports of a run from its saved NDJSON (the
output of fetch --json, kept as a CI artifact), as --report writes them
after a run: the same report for the same run. With --baseline, the run
is compared with an earlier one (as fetch --baseline does); without, the
baseline diff the run saved, if any, is shown. The gates are those the
run judged. With GITHUB_STEP_SUMMARY set, the Markdown is appended to it
too, unless --no-step-summary.

Usage:
  fetch report [flags] RUN.ndjson     ('-' reads standard input)

Flags:
%s
Example:
  $ fetch --compare --repeat 5 -q --json -i urls.txt > run.ndjson
  $ fetch report run.ndjson -o report.html -o report.md
  $ fetch report run.ndjson --baseline last-week.ndjson --baseline-stat p95 -o diff.md
`

// newCmdReport parses the flags of fetch report and writes the reports.
func newCmdReport(_ context.Context, ios *IOStreams, args []string) exitCode {
	fs := pflag.NewFlagSet("fetch report", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	var outs []string
	var baselineFile, baselineStat string
	var noStep, help bool
	fs.StringArrayVarP(&outs, "output", "o", nil, "write the report to `FILE`: .html (charts, one self-contained page) or .md\n(Markdown tables); repeatable")
	fs.StringVar(&baselineFile, "baseline", "", "compare the run with the earlier run of `FILE` (its NDJSON)")
	fs.StringVar(&baselineStat, "baseline-stat", "wall", "with --baseline, the `STAT` whose change is measured: wall, p50, p90,\np95, p99, p99.9, max or mean")
	fs.BoolVar(&noStep, "no-step-summary", false, "leave GITHUB_STEP_SUMMARY alone")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, pflag.ErrHelp) {
			return printReportError(ios.ErrOut, err)
		}
		help = true
	}
	if help {
		fmt.Fprintf(ios.Out, reportHelp, flagUsages(fs, flagColumn(fs)))
		return exitOK
	}
	switch {
	case fs.NArg() == 0:
		return printReportError(ios.ErrOut, errors.New("the run to report on is missing: give its NDJSON file (or - for standard input)"))
	case fs.NArg() > 1:
		return printReportError(ios.ErrOut, fmt.Errorf("one run at a time: unexpected argument %q", fs.Arg(1)))
	case len(outs) == 0:
		return printReportError(ios.ErrOut, errNoReportOutput)
	case fs.Changed("baseline-stat") && baselineFile == "":
		return printReportError(ios.ErrOut, errors.New("--baseline-stat needs --baseline FILE"))
	}
	for _, name := range outs {
		if _, err := reportFormatOf(name); err != nil {
			return printReportError(ios.ErrOut, fmt.Errorf("-o: %v", err))
		}
	}

	name := fs.Arg(0)
	var in io.Reader = ios.In
	if name == "-" {
		name = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(ios.ErrOut, "fetch report: %s\n", shownErr(err))
			return exitUsage
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			fmt.Fprintf(ios.ErrOut, "fetch report: %s is a directory\n", shownText(name))
			return exitUsage
		}
		in = f
	}
	l, err := readRunLog(in, name)
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "fetch report: %s\n", shownErr(err))
		return exitUsage
	}
	var base *jsonBaseline
	if baselineFile != "" {
		old, err := loadBaseline(baselineFile, baselineStat, l.modes)
		if err != nil {
			fmt.Fprintf(ios.ErrOut, "fetch report: %s\n", shownErr(err))
			return exitUsage
		}
		base = diffBaseline(old, l.runs, l.modes, baselineStat)
	}
	var reports []*reportFile
	for _, o := range outs {
		r, err := openReport(o)
		if err != nil {
			for _, r := range reports {
				r.discard()
			}
			fmt.Fprintf(ios.ErrOut, "fetch report: -o: %s\n", shownErr(err))
			return exitUsage
		}
		reports = append(reports, r)
	}
	if err := writeReports(reports, l.model(base), ios, noStep); err != nil {
		fmt.Fprintf(ios.ErrOut, "fetch report: %s\n", shownErr(err))
		return exitOutput
	}
	return exitOK
}

func printReportError(w io.Writer, err error) exitCode {
	fmt.Fprintf(w, "fetch report: %s\nUsage: fetch report [flags] RUN.ndjson -o FILE.html|FILE.md\nRun 'fetch report --help' for more information.\n", shownErr(err))
	return exitUsage
}
