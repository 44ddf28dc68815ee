package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

const resultsHelp = `fetch results: print the results of a crawl or URL list kept in a store
(--frontier bolt:PATH or redis://…) as NDJSON, one "type":"result" object
a line, every URL once, whichever worker fetched it. A Redis Cluster is
named by any node, or redis://host:port?addr=host2:port2&addr=….
A bolt file is read while its crawl runs too (the crawl serves the reads).

Usage:
  fetch results --frontier STORE --crawl-id NAME [--follow [--timeout D]]

Flags:
%s
Example:
  $ fetch results --frontier redis://127.0.0.1:6379/0 --crawl-id site --follow | jq -r .url
`

// newCmdResults parses the flags of fetch results and prints the results.
func newCmdResults(ctx context.Context, ios *IOStreams, args []string) exitCode {
	fs := pflag.NewFlagSet("fetch results", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	var spec, id, pwFile string
	var follow, help bool
	var timeout durationValue
	fs.StringVar(&spec, "frontier", "", "the crawl's `STORE`: bolt:PATH or redis://[user:pass@]host:port/db")
	fs.StringVar(&pwFile, "frontier-auth", "", "read the redis store's password from the first line of `FILE`\n(else $REDISCLI_AUTH, as redis-cli reads it)")
	fs.StringVar(&id, "crawl-id", "", "the crawl's `NAME` (fetch --crawl prints it on stderr)")
	fs.BoolVarP(&follow, "follow", "f", false, "print results as they come, until nothing is left to crawl; a crawl not\nyet begun (or a mistyped id) is waited for, said on stderr")
	fs.Var(&timeout, "timeout", "with --follow, give up after `D` (0: wait as long as it takes)")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil && !errors.Is(err, pflag.ErrHelp) {
		return printResultsError(ios.ErrOut, err)
	} else if err != nil {
		help = true
	}
	if help {
		fmt.Fprintf(ios.Out, resultsHelp, flagUsages(fs, flagColumn(fs)))
		return exitOK
	}
	switch {
	case fs.NArg() > 0:
		return printResultsError(ios.ErrOut, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	case id == "":
		return printResultsError(ios.ErrOut, errors.New("--crawl-id is required"))
	case spec == "":
		return printResultsError(ios.ErrOut, errors.New("--frontier is required"))
	}
	scheme, err := crawl.StoreScheme(spec)
	switch {
	case err != nil:
		return printResultsError(ios.ErrOut, fmt.Errorf("--frontier: %v", err))
	case scheme == "memory":
		return printResultsError(ios.ErrOut, fmt.Errorf("--frontier: a memory store lasts as long as its process: want bolt:PATH or redis://host:port/db, got %q", spec))
	case timeout.d < 0:
		return printResultsError(ios.ErrOut, fmt.Errorf("--timeout: %v is negative", timeout.d))
	case fs.Changed("timeout") && !follow:
		return printResultsError(ios.ErrOut, errors.New("--timeout needs --follow"))
	}
	pw, err := storePassword(spec, pwFile, ios.getenv)
	if err != nil {
		return printResultsError(ios.ErrOut, err)
	}
	waitCtx := ctx
	if timeout.d > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, timeout.d)
		defer cancel()
	}
	r, code, ok := openResults(waitCtx, ios, spec, id, pw, follow, timeout.d)
	if !ok {
		return code
	}
	defer r.Close()
	w := bufio.NewWriter(ios.Out)
	err = r.ReadResults(waitCtx, follow, func(rec []byte) error {
		w.Write(rec)
		if len(rec) > 0 && rec[len(rec)-1] != '\n' {
			w.WriteByte('\n')
		}
		if follow {
			return w.Flush()
		}
		return nil
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	switch {
	case err == nil:
		return exitOK
	case isClosedPipe(err):
		return exitOK
	case ctx.Err() != nil:
		if code, ok := interruptCode(ctx); ok {
			return code
		}
		return exitInterrupted
	case waitCtx.Err() != nil:
		fmt.Fprintf(ios.ErrOut, "fetch results: gave up after --timeout %v: crawl %q in %s has URLs left to fetch\n", timeout.d, id, fetcher.MaskURL(spec))
		return exitFailed
	}
	fmt.Fprintf(ios.ErrOut, "fetch results: %s\n", shownErr(err))
	if errors.Is(err, crawl.ErrStoreSetup) || errors.Is(err, crawl.ErrNoCrawl) {
		return exitUsage // a damaged file: what could be read was printed
	}
	return exitFailed
}

// openResults opens the store of spec read-only (a typo in the path or
// the id must not create a store) and checks that it holds crawl id.
// With follow, a crawl that is not there yet is waited for, said once on
// stderr, reopening the store every followPoll, until ctx ends (an
// interrupt, or --timeout). ok is false when the command ends with code.
func openResults(ctx context.Context, ios *IOStreams, spec, id, pw string, follow bool, timeout time.Duration) (_ crawl.Store, code exitCode, ok bool) {
	said := false
	for {
		r, err := crawl.OpenStore(ctx, spec, crawl.StoreOptions{CrawlID: id, ReadOnly: true, Password: pw,
			OnRetry: func(err error, wait time.Duration) {
				fmt.Fprintf(ios.ErrOut, "fetch results: %s; retrying in %v\n", shownErr(err), wait)
			}})
		if err == nil {
			err = r.Exists(ctx)
			if err == nil {
				return r, exitOK, true
			}
			r.Close()
		}
		if code, ok := interruptCode(ctx); ok {
			return nil, code, false
		}
		if !follow || !errors.Is(err, crawl.ErrNoCrawl) {
			if ctx.Err() != nil && said {
				break // the --timeout ended the open
			}
			return nil, noCrawlCode(ios.ErrOut, err), false
		}
		if !said {
			fmt.Fprintf(ios.ErrOut, "fetch results: waiting for crawl %q to begin in %s (%s)\n", id, fetcher.MaskURL(spec), shownErr(err))
			said = true
		}
		t := time.NewTimer(resultsPoll)
		select {
		case <-t.C:
			continue
		case <-ctx.Done():
			t.Stop()
		}
		if code, ok := interruptCode(ctx); ok {
			return nil, code, false
		}
		break
	}
	fmt.Fprintf(ios.ErrOut, "fetch results: gave up after --timeout %v: crawl %q has not begun in %s (is the id right?)\n", timeout, id, fetcher.MaskURL(spec))
	return nil, exitUsage, false
}

// resultsPoll is how often fetch results --follow looks for a crawl
// that has not begun.
const resultsPoll = 250 * time.Millisecond

// noCrawlCode reports a store without the crawl asked for (a usage
// error: a wrong path or id) or the error of looking.
func noCrawlCode(w io.Writer, err error) exitCode {
	if errors.Is(err, crawl.ErrNoCrawl) {
		fmt.Fprintf(w, "fetch results: %s\n", shownErr(err))
		return exitUsage
	}
	return storeErrorCode(w, err)
}

func printResultsError(w io.Writer, err error) exitCode {
	fmt.Fprintf(w, "fetch results: %s\nUsage: fetch results --frontier STORE --crawl-id NAME [--follow [--timeout D]]\nRun 'fetch results --help' for more information.\n", shownErr(err))
	return exitUsage
}
