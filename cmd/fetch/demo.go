package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/serve"
)

const demoHelp = `fetch demo: the seed demo, with no network. It starts the embedded test
server on 127.0.0.1 (a free port), fetches URLs whose responses take
0.5, 1 and 1.5 s, first one after another (sync), then all at once
(async), and prints each URL as it starts, the bytes received from each,
the cost of each run and the speedup.

Usage:
  fetch demo [flags]

Flags:
%s
Example:
  $ fetch demo
  $ fetch demo -n 10 --step 200ms
  $ fetch demo --delays 2s,2s,2s --json | jq 'select(.type == "compare") | .speedup'
  $ fetch demo -n 50 --delays 200ms --repeat 3 -q --min-speedup 5   # a CI gate
`

// demoOptions are the flags of fetch demo.
type demoOptions struct {
	count      int
	step       time.Duration
	delays     []time.Duration
	size       int64
	json       bool
	quiet      bool
	repeat     int
	minSpeedup float64
}

// newCmdDemo parses the flags of fetch demo and runs it (or runF).
func newCmdDemo(ctx context.Context, ios *IOStreams, args []string, runF func(context.Context, *Options, *demoOptions) exitCode) exitCode {
	d := &demoOptions{}
	fs := pflag.NewFlagSet("fetch demo", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	var delays string
	var size sizeValue
	size.n = 16 << 10
	var step durationValue
	step.d = 500 * time.Millisecond
	var help bool
	fs.IntVarP(&d.count, "count", "n", 3, "fetch `N` URLs; the i-th answers after i × --step")
	fs.Var(&step, "step", "delay step `D` between URLs (the seed: 0.5s)")
	fs.StringVar(&delays, "delays", "", "the delay of each URL, as a `LIST` such as 0.5s,1s,1.5s (overrides --step; with -n, the list is repeated to N URLs)")
	fs.Var(&size, "size", "body `SIZE` of each response")
	fs.BoolVar(&d.json, "json", false, "print NDJSON (as fetch --json, plus \"start\" objects)")
	fs.IntVar(&d.repeat, "repeat", 1, "run each mode `N` times (alternating) and report median, min, max")
	fs.BoolVarP(&d.quiet, "quiet", "q", false, "print only failures, each run's cost and summary, and the speedup")
	fs.Float64Var(&d.minSpeedup, "min-speedup", 0, "exit 3 if async is not `X` times faster than sync")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, pflag.ErrHelp) {
			return printFlagError(ios.ErrOut, "fetch demo", err)
		}
		help = true
	}
	if help {
		fmt.Fprintf(ios.Out, demoHelp, flagUsages(fs, flagColumn(fs)))
		return exitOK
	}
	if fs.NArg() > 0 {
		return printFlagError(ios.ErrOut, "fetch demo", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	d.size = size.n
	d.step = step.d
	if d.count < 1 || d.count > 1000 {
		return printFlagError(ios.ErrOut, "fetch demo", fmt.Errorf("--count: want 1 to 1000, got %d", d.count))
	}
	if d.repeat < 1 || d.repeat > maxRepeat {
		return printFlagError(ios.ErrOut, "fetch demo", fmt.Errorf("--repeat: want 1 to %d, got %d", maxRepeat, d.repeat))
	}
	if delays != "" {
		var list []time.Duration
		for _, s := range strings.Split(delays, ",") {
			var v durationValue
			if err := v.Set(strings.TrimSpace(s)); err != nil {
				return printFlagError(ios.ErrOut, "fetch demo", fmt.Errorf("--delays %q: %v", s, err))
			}
			list = append(list, v.d)
		}
		d.delays = list
		if fs.Changed("count") {
			d.delays = nil
			for i := 0; i < d.count; i++ {
				d.delays = append(d.delays, list[i%len(list)])
			}
		}
	} else {
		for i := 1; i <= d.count; i++ {
			d.delays = append(d.delays, time.Duration(i)*d.step)
		}
	}
	if fs.Changed("min-speedup") && !(d.minSpeedup > 0) {
		return printFlagError(ios.ErrOut, "fetch demo", fmt.Errorf("--min-speedup: want a factor above 0, got %v", d.minSpeedup))
	}
	o := &Options{
		IO:           ios,
		Mode:         fetcher.ModeAsync,
		Compare:      []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync},
		Repeat:       d.repeat,
		Quiet:        d.quiet,
		MinSpeedup:   d.minSpeedup,
		Concurrency:  max(len(d.delays), 1),
		JSON:         d.json,
		Progress:     "never",
		Resolver:     defaultResolverName,
		MaxRedirects: defaultRedirects,
		announce:     !d.quiet,
	}
	if runF != nil {
		return runF(ctx, o, d)
	}
	return demoRun(ctx, o, d)
}

// demoRun starts the embedded server, points o at its URLs and runs.
func demoRun(ctx context.Context, o *Options, d *demoOptions) exitCode {
	srv, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "fetch demo: starting the local server: %v\n", err)
		return exitFailed
	}
	defer srv.Close()
	for _, delay := range d.delays {
		o.URLs = append(o.URLs, serve.URLFor(srv.URL(), delay, d.size))
	}
	return fetchRun(ctx, o)
}
