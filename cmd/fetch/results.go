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
)

const resultsHelp = `fetch results: print the results of a crawl or URL list kept in a store
(--frontier bolt:PATH or redis://…) as NDJSON, one "type":"result" object
a line, every URL once, whichever worker fetched it. A Redis Cluster is
named by any node, or redis://host:port?addr=host2:port2&addr=….

Usage:
  fetch results --frontier STORE --crawl-id NAME [--follow]

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
	var spec, id string
	var follow, help bool
	fs.StringVar(&spec, "frontier", "", "the crawl's `STORE`: bolt:PATH or redis://[user:pass@]host:port/db")
	fs.StringVar(&id, "crawl-id", "", "the crawl's `NAME` (fetch --crawl prints it on stderr)")
	fs.BoolVarP(&follow, "follow", "f", false, "with redis, print results as they come, until nothing is left to crawl\n(a crawl not yet begun is waited for)")
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
	case follow && scheme == "bolt":
		return printResultsError(ios.ErrOut, errors.New("--follow works with redis only: a bolt store is one process's, read it once its crawl has ended"))
	}
	// Read only: a typo in the path or the id must not create a store.
	r, err := crawl.OpenStore(ctx, spec, crawl.StoreOptions{CrawlID: id, ReadOnly: true,
		OnRetry: func(err error, wait time.Duration) {
			fmt.Fprintf(ios.ErrOut, "fetch results: %s; retrying in %v\n", shownErr(err), wait)
		}})
	if err != nil {
		return storeErrorCode(ios.ErrOut, err)
	}
	defer r.Close()
	if !follow { // with --follow, the crawl may not have begun yet
		if err := r.Exists(ctx); err != nil {
			return noCrawlCode(ios.ErrOut, err)
		}
	}
	w := bufio.NewWriter(ios.Out)
	err = r.ReadResults(ctx, follow, func(rec []byte) error {
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
	}
	fmt.Fprintf(ios.ErrOut, "fetch results: %s\n", shownErr(err))
	return exitFailed
}

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
	fmt.Fprintf(w, "fetch results: %s\nUsage: fetch results --frontier STORE --crawl-id NAME [--follow]\nRun 'fetch results --help' for more information.\n", shownErr(err))
	return exitUsage
}
