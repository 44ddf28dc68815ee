package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/internal/serve"
)

const serveHelpHead = `fetch serve: the embedded test server, for timing comparisons in CI and
for tests. HTTP/1.1 with keep-alive; every response is set by its path.
It prints its base URL on stdout (one line, so scripts can read it; with
--addr 127.0.0.1:0 the port is free), and with --ready-file writes it to
that file once it listens (the file appears whole: scripts wait for it).
It runs until SIGINT or SIGTERM, then stops cleanly: no new connections,
responses in flight may finish for up to --grace, the rest are cut; the
ready and pid files are removed.

Usage:
  fetch serve [flags]

Flags:
%s
Paths:
`

const serveHelpTail = `
Example:
  $ fetch serve --addr 127.0.0.1:8080 &
  $ curl -s http://127.0.0.1:8080/delay/1s/size/10KiB | wc -c
  $ for i in $(seq 100); do echo 127.0.0.1:8080/delay/1s; done |
      fetch --compare --min-speedup 5 -q
  $ fetch serve --addr 127.0.0.1:0 --ready-file serve.url --pid-file serve.pid &
`

// serveOptions are the flags of fetch serve.
type serveOptions struct {
	addr      string
	readyFile string // written with the base URL once listening
	pidFile   string // written with the process ID at start
	maxSize   int64
	maxDelay  time.Duration
	grace     time.Duration
}

// newCmdServe parses the flags of fetch serve and runs it (or runF).
func newCmdServe(ctx context.Context, ios *IOStreams, args []string, runF func(context.Context, *IOStreams, *serveOptions) exitCode) exitCode {
	so := &serveOptions{}
	fs := pflag.NewFlagSet("fetch serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	maxSize := sizeValue{n: 1 << 30}
	maxDelay := durationValue{d: 10 * time.Minute}
	grace := durationValue{d: 5 * time.Second}
	var help bool
	fs.StringVar(&so.addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0: a free one)")
	fs.StringVar(&so.readyFile, "ready-file", "", "once listening, write the base URL to `FILE` (atomically: it appears whole)")
	fs.StringVar(&so.pidFile, "pid-file", "", "write the process ID to `FILE` at start")
	fs.Var(&maxSize, "max-size", "largest body a path may ask for (`SIZE`)")
	fs.Var(&maxDelay, "max-delay", "longest delay or drip a path may ask for (`D`)")
	fs.Var(&grace, "grace", "on SIGINT/SIGTERM, how long responses in flight may take to finish (`D`)")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, pflag.ErrHelp) {
			return printFlagError(ios.ErrOut, "fetch serve", err)
		}
		help = true
	}
	if help {
		fmt.Fprintf(ios.Out, serveHelpHead, flagUsages(fs, flagColumn(fs)))
		io.WriteString(ios.Out, serve.Usage)
		io.WriteString(ios.Out, serveHelpTail)
		return exitOK
	}
	if fs.NArg() > 0 {
		return printFlagError(ios.ErrOut, "fetch serve", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	so.maxSize, so.maxDelay, so.grace = maxSize.n, maxDelay.d, grace.d
	if runF != nil {
		return runF(ctx, ios, so)
	}
	return serveRun(ctx, ios, so)
}

// serveRun serves until ctx ends, then shuts down within the grace time.
func serveRun(ctx context.Context, ios *IOStreams, so *serveOptions) exitCode {
	if so.pidFile != "" {
		if err := writeFileAtomic(so.pidFile, strconv.Itoa(os.Getpid())+"\n"); err != nil {
			fmt.Fprintf(ios.ErrOut, "fetch serve: --pid-file: %v\n", err)
			return exitUsage
		}
		defer os.Remove(so.pidFile)
	}
	srv, err := serve.Start(so.addr, serve.Options{MaxSize: so.maxSize, MaxDelay: so.maxDelay})
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "fetch serve: %v\n", err)
		return exitUsage
	}
	if so.readyFile != "" {
		if err := writeFileAtomic(so.readyFile, srv.URL()+"\n"); err != nil {
			srv.Close()
			fmt.Fprintf(ios.ErrOut, "fetch serve: --ready-file: %v\n", err)
			return exitUsage
		}
		defer os.Remove(so.readyFile)
	}
	fmt.Fprintln(ios.Out, srv.URL())
	fmt.Fprintf(ios.ErrOut, "fetch serve: listening on %s (Ctrl-C stops)\n", srv.URL())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), so.grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	fmt.Fprintf(ios.ErrOut, "fetch serve: stopped after %d requests on %d connections\n", srv.Requests(), srv.Conns())
	return exitOK
}

// writeFileAtomic writes content to a temporary file beside name and
// renames it into place, so that a reader never sees part of it.
func writeFileAtomic(name, content string) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
