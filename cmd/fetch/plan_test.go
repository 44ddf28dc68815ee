package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
)

// TestPlanExitPrecedence runs each case as a list (the fake engine) and
// as a crawl (the fake crawl, its seeds the same URLs): one plan decides
// the exit code of both, so both exit alike.
func TestPlanExitPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		engine   fakeSpec
		cancelOn string
		closeOut int // stdout fails (EPIPE) after this many writes; 0: never
		want     exitCode
	}{
		{"ok", []string{okA, okB}, fakeSpec{}, "", 0, exitOK},
		{"failed URL", []string{okA, nf}, fakeSpec{}, "", 0, exitFailed},
		{"gate not met wins over a failed URL", []string{"--compare", "--min-speedup", "2", okB, okC, nf}, fakeSpec{}, "", 0, exitGate},
		{"gate met, failed URL", []string{"--compare", "--min-speedup", "1.5", okB, okC, nf}, fakeSpec{}, "", 0, exitFailed},
		{"interrupt wins over the gate", []string{"--compare", "--min-speedup", "2", okB, hang, okC}, fakeSpec{}, hang, 0, exitInterrupted},
		{"closed stdout after an ok line", []string{okA, okB, nf}, fakeSpec{}, "", 1, exitOK},
		{"closed stdout after a failed line", []string{nf, okA, okB}, fakeSpec{}, "", 1, exitFailed},
		{"empty list", []string{"", "# nothing"}, fakeSpec{}, "", 0, exitUsage},
	}
	for _, tt := range tests {
		for _, kind := range []string{"list", "crawl"} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				ios, _, _, errOut := Test()
				if tt.closeOut > 0 {
					ios.Out = &pipeWriter{n: tt.closeOut}
				}
				clock := newFakeClock()
				eng := &fakeEngine{fakeSpec: tt.engine, clock: clock}
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				eng.onJob = func(u string) {
					if u == tt.cancelOn {
						cancel(&signalError{syscall.SIGINT})
					}
				}
				args := tt.args
				if kind == "crawl" {
					args = append([]string{"--crawl"}, args...)
				}
				code := newCmdFetch(ctx, ios, args, func(ctx context.Context, o *Options) exitCode {
					o.Now, o.Run, o.Crawl = clock.Now, eng.run, eng.crawl
					return fetchRun(ctx, o)
				})
				if code != tt.want {
					t.Errorf("fetch %v: got exit %d; want %d (stderr %q)", args, code, tt.want, errOut)
				}
			})
		}
	}
}

// TestPlanFailureNamesTheKind: a failure of the engine or of the crawl
// itself (not of a URL) ends the plan with exit 1, naming the mode and
// the kind of pass.
func TestPlanFailureNamesTheKind(t *testing.T) {
	for _, kind := range []string{"engine", "crawl"} {
		ios, _, _, errOut := Test()
		clock := newFakeClock()
		eng := &fakeEngine{fakeSpec: fakeSpec{crawlErr: errors.New("fake failure")}, clock: clock}
		args := []string{"--mode", "threads", okA}
		if kind == "crawl" {
			args = append(args, "--crawl")
		}
		code := newCmdFetch(context.Background(), ios, args, func(ctx context.Context, o *Options) exitCode {
			o.Now, o.Crawl = clock.Now, eng.crawl
			o.Run = func(ctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error) {
				st, _ := eng.run(ctx, mode, cfg, jobs, results)
				return st, errors.New("fake failure")
			}
			return fetchRun(ctx, o)
		})
		want := fmt.Sprintf("fetch: threads %s: fake failure\n", kind)
		if code != exitFailed || !strings.HasSuffix(errOut.String(), want) {
			t.Errorf("%s: got exit %d, stderr %q; want 1 and %q", kind, code, errOut, want)
		}
	}
}

// TestStoreListPlan runs lists on a bolt store in this process: a line
// that is no URL is said, not queued, and fails the run (exit 1) though
// every URL was fetched; the summary is a crawl's; an empty list is a
// usage error that fetches nothing; the list again is complete.
func TestStoreListPlan(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	list := srv.URL() + "/size/3\nmailto:someone@h.test\n" + srv.URL() + "/size/4\n"
	r := fetchHere(t, context.Background(), list, "--json", "--frontier", "bolt:"+filepath.Join(dir, "a.db"))
	if r.code != 1 || !strings.Contains(r.stderr, "line 2: mailto:someone@h.test: ") || !strings.Contains(r.stderr, "not queued") {
		t.Errorf("a bad line: exit %d, stderr %q; want 1, the line said not queued", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	if len(objs["result"]) != 2 || len(objs["summary"]) != 1 || objs["summary"][0]["pages"] != 2.0 || objs["summary"][0]["ok"] != 2.0 {
		t.Errorf("a bad line: stdout\n%s\nwant 2 ok results and a summary of 2 pages", r.stdout)
	}
	r = fetchHere(t, context.Background(), "# nothing\n", "--frontier", "bolt:"+filepath.Join(dir, "b.db"))
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "no URLs in standard input") {
		t.Errorf("an empty list: exit %d, stdout %q, stderr %q; want 2 and no URLs", r.code, r.stdout, r.stderr)
	}
	// The same list again: it is complete, nothing is run, and the bad
	// line still fails it.
	r = fetchHere(t, context.Background(), list, "-q", "--frontier", "bolt:"+filepath.Join(dir, "a.db"))
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, " is complete: nothing is left to fetch; its results: fetch results --frontier bolt:") {
		t.Errorf("the list again: exit %d, stdout %q, stderr %q; want 1, nothing run, and the list said complete", r.code, r.stdout, r.stderr)
	}
}
