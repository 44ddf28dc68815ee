package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the output")

// checkGolden compares got with testdata/name.golden (or writes it with
// -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

const (
	okA  = "http://h.test/200/48708/103ms"
	okB  = "http://h.test/200/1024/1s"
	okC  = "http://h.test/200/2048/1.5s"
	nf   = "http://h.test/404/9/3ms"
	dns  = "http://h.test/err/dns"
	hang = "http://h.test/hang"
)

type fetchRunCase struct {
	name       string
	args       []string // flags and URLs, as typed
	stdin      string
	stdinTTY   bool
	isTTY      bool // stdout and stderr are terminals
	engine     fakeSpec
	cancelOn   string // cancel the run (as SIGINT does) when this URL starts
	wantStderr string // substring; "" means stderr must be empty
	wantExit   exitCode
	wantModes  []fetcher.Mode // engine runs, in order; nil: not checked
}

var fetchRunCases = []fetchRunCase{
	{name: "text", args: []string{okA, okB, okC}, wantExit: exitOK},
	{name: "text-errors", args: []string{"--keep-order", okA, nf, dns, "ftp://h.test/x", "http://", "mailto:someone@h.test", "h.test/200/5/5ms"}, wantExit: exitFailed},
	{name: "json", args: []string{"--json", "--keep-order", okA, nf, dns, "gopher://x"}, wantExit: exitFailed},
	{name: "json-format-flag", args: []string{"--format", "json", okA}, wantExit: exitOK},
	{name: "stdin", stdin: "# a list\n\n" + okA + "\n  " + okB + "  \r\n#" + okC + "\nh.test/200/7/7ms", wantExit: exitOK},
	{name: "stdin-long-line", args: []string{"--keep-order"}, stdin: okA + "\nhttp://h.test/" + strings.Repeat("x", maxLineLength+10) + "\n" + okB + "\n", wantExit: exitFailed},
	{name: "stdin-dash-tty", args: []string{"-i", "-"}, stdin: okA + "\n", stdinTTY: true, wantExit: exitOK},
	{name: "keep-order", args: []string{"--keep-order", "-c", "1", okA, okB, okC, nf, dns}, engine: fakeSpec{swapPairs: true}, wantExit: exitFailed},
	{name: "no-keep-order", args: []string{okA, okB, okC, nf, dns}, engine: fakeSpec{swapPairs: true}, wantExit: exitFailed},
	{name: "quiet", args: []string{"-q", okA, okB, dns}, wantExit: exitFailed},
	{name: "slowest", args: []string{"--slowest", "2", okA, okB, okC, nf}, engine: fakeSpec{dns: fetcher.ResolverStats{Queries: 2, CacheHits: 1}}, wantExit: exitFailed},
	{name: "slowest-json", args: []string{"--json", "--slowest", "2", okA, okB, okC}, wantExit: exitOK},
	{name: "compare", args: []string{"--compare", okA, okB, okC}, wantExit: exitOK, wantModes: []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync}},
	{name: "compare-json-repeat", args: []string{"--compare=sync,threads,async", "--repeat", "2", "--json", "-q", okA, okB, okC}, engine: fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeThreads: 1.1}}, wantExit: exitOK,
		wantModes: []fetcher.Mode{fetcher.ModeSync, fetcher.ModeThreads, fetcher.ModeAsync, fetcher.ModeAsync, fetcher.ModeThreads, fetcher.ModeSync}},
	{name: "compare-repeat-text", args: []string{"--compare", "--repeat", "3", "-q", okB, okC}, engine: fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.2}}, wantExit: exitOK},
	{name: "compare-stdin", args: []string{"--compare", "--repeat", "2", "-q"}, stdin: okA + "\n" + okB + "\n", wantExit: exitOK},
	{name: "gate-met", args: []string{"--compare", "--min-speedup", "1.5", okB, okC}, wantExit: exitOK},
	{name: "gate-not-met", args: []string{"--compare", "--min-speedup", "2", "-q", okB, okC}, engine: fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.5}},
		wantStderr: "fetch: speedup 1.11x of async over sync is below --min-speedup 2.00x\n", wantExit: exitGate},
	{name: "gate-failed-urls", args: []string{"--compare", "--min-speedup", "2", "-q", okB, okC}, engine: fakeSpec{asyncFail: true},
		wantStderr: "fetch: speedup 0.00x of async over sync is below --min-speedup 2.00x\n", wantExit: exitGate},
	{name: "gate-met-failed-urls", args: []string{"--compare", "--min-speedup", "1.5", "-q", okB, okC, nf}, wantExit: exitFailed},
	{name: "quiet-repeat-failures-once", args: []string{"--compare", "--repeat", "3", "-q", okB, dns, nf}, wantExit: exitFailed},
	{name: "quiet-repeat-json", args: []string{"--compare", "--repeat", "2", "-q", "--json", okB, dns}, wantExit: exitFailed},
	{name: "status-failed-marked", args: []string{"--keep-order", okA, nf, "http://h.test/500/3/2ms"}, wantExit: exitFailed},
	{name: "all-failed-json", args: []string{"--json", dns, nf}, wantExit: exitFailed},
	{name: "control-chars", args: []string{"--keep-order", "http://h.test/err/dns\x1b[31m", "h.test/200/1/1ms?\x1b]0;title\x07", "ftp://h.test/\u009b"}, wantExit: exitFailed},
	{name: "labels", args: []string{"--keep-order", "--json"}, stdin: okA + " item-1 # first\n" + okB + "\tsecond item\n" + "http://h.test/200/5/5ms#frag #just a comment\n" + "mailto:x lbl\n", wantExit: exitFailed},
	{name: "write-out", args: []string{"--keep-order", "-w", `{status}\t{timings_ms.total}\t{ok}\t{error_kind}\t{url}\n`, okA, nf, dns}, wantExit: exitFailed,
		wantStderr: "async cost 0.103s\nsummary: 3 URLs, 1 ok, 2 failed, 48717 bytes"},
	{name: "empty-stdin", stdin: "# only a comment\n\n   \n", wantStderr: "fetch: no URLs in standard input\n", wantExit: exitUsage},
	{name: "empty-args", args: []string{"", "# nothing"}, wantStderr: "fetch: no URLs in the arguments\n", wantExit: exitUsage},
	{name: "empty-stdin-compare", args: []string{"--compare"}, stdin: "\n", wantStderr: "fetch: no URLs in standard input\n", wantExit: exitUsage},
	{name: "interrupted-args-json", args: []string{"--json", "-c", "1", okA, hang, okB, "# x", okC}, cancelOn: hang, wantExit: exitInterrupted},
	{name: "interrupted", args: []string{okA, hang, okB}, cancelOn: hang, wantExit: exitInterrupted},
	{name: "interrupted-json", args: []string{"--json", "--keep-order", okA, hang, okB}, cancelOn: hang, wantExit: exitInterrupted},
	{name: "announce", args: []string{okA, okB}, wantExit: exitOK},
	{name: "announce-compare", args: []string{"--compare", okA, okB}, wantExit: exitOK},
	{name: "save-sha", args: []string{"--sha256", okA}, wantExit: exitOK},
	{name: "no-urls-tty", stdinTTY: true, wantStderr: "fetch: no URLs: give them as arguments, with --input FILE, or on standard input\nUsage: fetch [flags] [URL ...]\n", wantExit: exitUsage},
	{name: "missing-input-file", args: []string{"-i", "testdata/no-such-file"}, wantStderr: "fetch: --input: stat testdata/no-such-file: no such file or directory\n", wantExit: exitUsage},
	{name: "input-dir", args: []string{"-i", "testdata"}, wantStderr: "fetch: --input: testdata is a directory\n", wantExit: exitUsage},
	{name: "progress-never-on-tty", args: []string{"--progress", "never", okA}, isTTY: true, wantExit: exitOK},
}

// runFetch runs one case through newCmdFetch with the fake engine and a
// fake clock, and returns stdout, stderr and the exit code.
func runFetch(t *testing.T, tc fetchRunCase) (string, string, exitCode, []fetcher.Mode) {
	t.Helper()
	ios, in, out, errOut := Test()
	in.WriteString(tc.stdin)
	ios.InTTY = tc.stdinTTY
	ios.OutTTY, ios.ErrTTY = tc.isTTY, tc.isTTY
	clock := newFakeClock()
	eng := &fakeEngine{fakeSpec: tc.engine, clock: clock}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	code := newCmdFetch(ctx, ios, tc.args, func(ctx context.Context, o *Options) exitCode {
		o.Now = clock.Now
		o.announce = strings.HasPrefix(tc.name, "announce")
		o.Run = eng.run
		if tc.cancelOn != "" {
			o.Run = func(rctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
				watched := make(chan fetcher.Job)
				go func() {
					defer close(watched)
					for j := range jobs {
						if j.URL == tc.cancelOn {
							cancel(&signalError{syscall.SIGINT})
						}
						watched <- j
					}
				}()
				return eng.run(rctx, mode, cfg, watched, results)
			}
		}
		if tc.name == "save-sha" {
			o.Run = func(rctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
				inner := make(chan fetcher.Result)
				done := make(chan struct{})
				go func() {
					defer close(done)
					for r := range inner {
						r.SHA256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
						r.SavedAs = "out/h.test/200/48708/103ms"
						results <- r
					}
				}()
				st, err := eng.run(rctx, mode, cfg, jobs, inner)
				close(inner)
				<-done
				return st, err
			}
		}
		return fetchRun(ctx, o)
	})
	return out.String(), errOut.String(), code, eng.runs
}

// TestFetchRun runs the command on injected results: stdout against
// testdata/<case>.golden (twice, to show the output is stable), stderr and
// the exit code against the table.
func TestFetchRun(t *testing.T) {
	for _, tc := range fetchRunCases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code, modes := runFetch(t, tc)
			if code != tc.wantExit {
				t.Errorf("got exit %d; want %d (stderr %q)", code, tc.wantExit, stderr)
			}
			if tc.wantStderr == "" && stderr != "" {
				t.Errorf("got stderr %q; want none", stderr)
			}
			if tc.wantStderr != "" && !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("got stderr %q; want it to contain %q", stderr, tc.wantStderr)
			}
			if tc.wantModes != nil && !equalModes(modes, tc.wantModes) {
				t.Errorf("got runs %v; want %v", modes, tc.wantModes)
			}
			checkGolden(t, "run-"+tc.name, []byte(stdout))
			if *update {
				return
			}
			again, _, _, _ := runFetch(t, tc)
			if again != stdout {
				t.Errorf("second run differs:\n--- first\n%s--- second\n%s", stdout, again)
			}
		})
	}
}

func equalModes(a, b []fetcher.Mode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pipeWriter fails with EPIPE after n writes, as a stdout whose reader
// went away (| head -1).
type pipeWriter struct {
	n      int
	writes int
	buf    bytes.Buffer
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	if w.writes >= w.n {
		return 0, syscall.EPIPE
	}
	w.writes++
	return w.buf.Write(p)
}

// TestFetchRunClosedStdout: a closed stdout ends the run quietly, with the
// exit code of what was read.
func TestFetchRunClosedStdout(t *testing.T) {
	tests := []struct {
		name     string
		urls     []string
		wantExit exitCode
	}{
		{"ok-then-closed", []string{okA, okB, dns, okC}, exitOK},
		{"failed-then-closed", []string{dns, okA, okB}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := Test()
			pw := &pipeWriter{n: 1}
			ios.Out = pw
			clock := newFakeClock()
			eng := &fakeEngine{clock: clock}
			code := newCmdFetch(context.Background(), ios, tt.urls, func(ctx context.Context, o *Options) exitCode {
				o.Now, o.Run = clock.Now, eng.run
				return fetchRun(ctx, o)
			})
			if code != tt.wantExit {
				t.Errorf("got exit %d; want %d", code, tt.wantExit)
			}
			if errOut.Len() != 0 {
				t.Errorf("got stderr %q; want none", errOut)
			}
			if got := strings.Count(pw.buf.String(), "\n"); got != 1 {
				t.Errorf("got %d lines written; want 1", got)
			}
		})
	}
}

// TestKeepOrderBounded: with --keep-order, a long list whose results come
// back out of order is printed in order, and the engine is never handed
// more started-but-unprinted URLs than the window.
func TestKeepOrderBounded(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString("http://h.test/200/1/1ms?i=" + strconv.Itoa(i) + "\n")
	}
	ios, in, out, _ := Test()
	in.WriteString(sb.String())
	clock := newFakeClock()
	var maxHeld int
	// The engine holds every job it gets and answers, last first, only
	// once no more job comes: when the window has stopped the feeder.
	hoard := func(ctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
		var held []fetcher.Result
		release := func() {
			for i := len(held) - 1; i >= 0; i-- {
				results <- held[i]
			}
			held = held[:0]
		}
		for {
			var quiet <-chan time.Time
			if len(held) > 0 {
				quiet = time.After(20 * time.Millisecond)
			}
			select {
			case j, ok := <-jobs:
				if !ok {
					release()
					return fetcher.Stats{}, nil
				}
				held = append(held, fetcher.Result{Type: "result", URL: j.URL, Status: 200, Bytes: 1, Index: j.Index})
				maxHeld = max(maxHeld, len(held))
			case <-quiet:
				release()
			}
		}
	}
	code := newCmdFetch(context.Background(), ios, []string{"--keep-order", "-c", "4", "--json"}, func(ctx context.Context, o *Options) exitCode {
		o.Now, o.Run = clock.Now, hoard
		return fetchRun(ctx, o)
	})
	if code != exitOK {
		t.Fatalf("got exit %d; want 0", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != n+1 {
		t.Fatalf("got %d lines; want %d results and a summary", len(lines), n)
	}
	for i := 0; i < n; i++ {
		if want := "?i=" + strconv.Itoa(i) + `"`; !strings.Contains(lines[i], want) {
			t.Fatalf("line %d = %s; want the result of input line %d", i, lines[i], i)
		}
	}
	window := max(keepOrderFactor*4, minKeepOrderWindow)
	if maxHeld > window {
		t.Errorf("engine held %d jobs at once; want at most the window, %d", maxHeld, window)
	}
	if maxHeld < window/2 {
		t.Errorf("engine held at most %d jobs; want about the window (%d), or this test tests nothing", maxHeld, window)
	}
}

// TestCompareListChanged: a comparison whose runs read lists of different
// lengths (the file changed between runs) is an input error, exit 2, and
// no speedup is reported.
func TestCompareListChanged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(file, []byte(okA+"\n"+okB+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := Test()
	clock := newFakeClock()
	eng := &fakeEngine{clock: clock}
	runs := 0
	code := newCmdFetch(context.Background(), ios, []string{"--compare", "--json", "-i", file}, func(ctx context.Context, o *Options) exitCode {
		o.Now = clock.Now
		o.Run = func(ctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
			runs++
			if runs == 1 {
				// Someone truncates the list while the first run reads it.
				os.WriteFile(file, nil, 0o644)
			}
			return eng.run(ctx, mode, cfg, jobs, results)
		}
		return fetchRun(ctx, o)
	})
	if code != exitUsage {
		t.Errorf("got exit %d; want %d", code, exitUsage)
	}
	if want := "fetch: the runs read lists of different lengths (sync 2, async 0)"; !strings.Contains(errOut.String(), want) {
		t.Errorf("got stderr %q; want %q", errOut, want)
	}
	if strings.Contains(out.String(), `"type":"compare"`) {
		t.Errorf("a comparison was reported:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use: the standard
// streams of an in-process run, written by the collector, the progress
// bar and the crawl's callbacks (as os.Stdout and os.Stderr are).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// onWrite, if set, sees each write (under mu).
	onWrite func(p []byte)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onWrite != nil {
		s.onWrite(p)
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fetchHere runs the command in this process as fetch runs the binary:
// args and stdin in; stdout, stderr and the exit code out. The run is
// bounded by e2eTimeout; ctx may end it earlier (a *signalError cause,
// as SIGINT gives).
func fetchHere(t *testing.T, ctx context.Context, stdin string, args ...string) ran {
	t.Helper()
	return fetchHereTo(t, ctx, stdin, &syncBuffer{}, args...)
}

// fetchHereTo is fetchHere writing stdout to out.
func fetchHereTo(t *testing.T, ctx context.Context, stdin string, out *syncBuffer, args ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, e2eTimeout)
	defer cancel()
	errOut := &syncBuffer{}
	ios := &IOStreams{In: strings.NewReader(stdin), Out: out, ErrOut: errOut}
	code := run(ctx, args, ios)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("fetch %v did not end within %v", args, e2eTimeout)
	}
	return ran{out.String(), errOut.String(), int(code)}
}
