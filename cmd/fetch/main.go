// Command fetch fetches many URLs at once and reports what each delivered
// and what the whole list cost, as text for people and NDJSON for scripts.
//
//	fetch [flags] [URL ...]   fetch URLs from arguments, --input FILE or standard input
//	fetch demo                the seed demo on an embedded local server (no network)
//	fetch serve               the embedded test server, for CI timing runs
//
// Run `fetch --help` for the flags. The output formats and exit codes are
// a contract that scripts rely on; see DESIGN.md "cmd/fetch".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// exitCode is the status fetch exits with. The values are a contract.
type exitCode int

const (
	exitOK          exitCode = 0   // every URL ok
	exitFailed      exitCode = 1   // some URL failed (error or status >= 400)
	exitUsage       exitCode = 2   // usage or input error: message on stderr, nothing fetched
	exitGate        exitCode = 3   // a gate (--gate, --min-speedup) was not met
	exitOutput      exitCode = 4   // the results, or a report, could not be written (a full disk, /dev/full): message on stderr
	exitInterrupted exitCode = 130 // SIGINT: 128 + 2
	exitTerminated  exitCode = 143 // SIGTERM: 128 + 15
)

func main() {
	raiseFileLimit() // rlimit_unix.go: thousands of sockets, where the hard limit allows them
	stopProfiles := startProfiles()
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], System())
	stop()
	stopProfiles()
	os.Exit(int(code))
}

// signalError is the cause of a context canceled by a signal.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated (SIGTERM)"
	}
	return "interrupted (SIGINT)"
}

// exitCode is the status a process ends with after the signal.
func (e *signalError) exitCode() exitCode {
	if e.sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// signalContext returns a context canceled, with a *signalError cause, by
// the first SIGINT or SIGTERM. A second one exits at once. It also turns
// SIGPIPE into EPIPE errors on writes, so that a closed stdout (`| head`)
// ends the run quietly instead of killing the process.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(&signalError{sig})
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			os.Exit(int((&signalError{sig}).exitCode()))
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigs)
		cancel(nil)
	}
}

// interruptCode returns the exit code for a context ended by a signal, and
// false if ctx was not ended by one.
func interruptCode(ctx context.Context) (exitCode, bool) {
	if se, ok := context.Cause(ctx).(*signalError); ok {
		return se.exitCode(), true
	}
	return 0, false
}
