package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// crawlSite starts nginx with a small site: / links to five pages and a
// forbidden one, each page links back and to /deep/, which links to
// /deeper.html; /missing.html is a 404.
func crawlSite(t *testing.T) *testserver.Nginx {
	t.Helper()
	files := map[string][]byte{
		"robots.txt":      []byte("User-agent: *\nDisallow: /private\n"),
		"index.html":      []byte(`<a href="/p1.html">1</a><a href="/p2.html">2</a><a href="/p3.html">3</a><a href="/p4.html">4</a><a href="/p5.html">5</a><a href="/private.html">x</a><a href="/missing.html">404</a>`),
		"private.html":    []byte("no"),
		"deep/index.html": []byte(`<a href="/deeper.html">deeper</a>`),
		"deeper.html":     []byte("end"),
	}
	for i := 1; i <= 5; i++ {
		files[fmt.Sprintf("p%d.html", i)] = []byte(`<a href="/">home</a><a href="/deep/">deep</a>`)
	}
	return testserver.StartNginx(t, testserver.NginxOptions{Files: files})
}

// TestCrawl crawls the site in each mode, in this process: one result a
// page, at its depth, with its parent and links; robots.txt obeyed; every
// page requested once.
func TestCrawl(t *testing.T) {
	ng := crawlSite(t)
	for _, mode := range []string{"sync", "threads", "async"} {
		t.Run(mode, func(t *testing.T) {
			r := fetchHere(t, context.Background(), "", "--crawl", "--json", "--mode", mode, "--depth", "2", ng.URL+"/")
			if r.code != 1 { // /missing.html is a 404
				t.Errorf("exit %d; want 1; stderr %q", r.code, r.stderr)
			}
			objs := parseNDJSON(t, r.stdout)
			res := resultsByURL(objs["result"])
			want := map[string]float64{"/": 0, "/p1.html": 1, "/p5.html": 1, "/missing.html": 1, "/deep/": 2}
			for path, depth := range want {
				o := res[ng.URL+path]
				if o == nil {
					t.Errorf("no result for %s", path)
					continue
				}
				if o["depth"] != depth {
					t.Errorf("%s: depth %v; want %v", path, o["depth"], depth)
				}
			}
			if len(res) != 8 {
				t.Errorf("%d results; want 8 (/, 5 pages, 404, /deep/)", len(res))
			}
			if o := res[ng.URL+"/"]; o == nil || o["links"] != float64(7) || o["parent"] != nil {
				t.Errorf("seed result %v; want links 7 and no parent", o)
			}
			if o := res[ng.URL+"/deep/"]; o == nil || !strings.HasPrefix(fmt.Sprint(o["parent"]), ng.URL+"/p") {
				t.Errorf("/deep/ result %v; want a /pN.html parent", o)
			}
			sums := objs["summary"]
			if len(sums) != 1 {
				t.Fatalf("%d summaries", len(sums))
			}
			s := sums[0]
			if s["pages"] != float64(8) || s["skipped_robots"] != float64(1) || s["urls"] != float64(8) || s["failed"] != float64(1) {
				t.Errorf("summary %v", s)
			}
			if _, ok := s["duplicates"]; !ok {
				t.Errorf("summary without duplicates: %v", s)
			}
			// robots.txt and the 8 pages, each once.
			entries := ng.WaitAccessLog(t, 9)
			seen := map[string]int{}
			for _, e := range entries {
				seen[e.URI]++
			}
			os.Truncate(ng.AccessLogFile, 0) // the next mode starts afresh
			for uri, n := range seen {
				if n != 1 {
					t.Errorf("%s requested %d times", uri, n)
				}
			}
			if seen["/private.html"] != 0 || seen["/deeper.html"] != 0 {
				t.Errorf("requested a forbidden or too deep page: %v", seen)
			}
		})
	}
}

// TestCrawlFlagsRun runs crawls with their flags, in this process, on
// the site: usage errors, and what each flag changes in the output.
func TestCrawlFlagsRun(t *testing.T) {
	ng := crawlSite(t)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"depth without crawl", []string{"--depth", "3", ng.URL + "/"}, "", 2, "", "--depth needs --crawl"},
		{"bad scope", []string{"--crawl", "--scope", "planet", ng.URL + "/"}, "", 2, "", "--scope"},
		{"bad regex", []string{"--crawl", "--reject-regex", "(", ng.URL + "/"}, "", 2, "", "--reject-regex"},
		{"bad robots", []string{"--crawl", "--robots", "maybe", ng.URL + "/"}, "", 2, "", "--robots"},
		{"head", []string{"--crawl", "--head", ng.URL + "/"}, "", 2, "", "--head"},
		{"method", []string{"--crawl", "-X", "DELETE", ng.URL + "/"}, "", 2, "", "-X DELETE: a crawl GETs its pages"},
		{"data", []string{"--crawl", "-d", "a=1", ng.URL + "/"}, "", 2, "", "-d/--data: a crawl GETs its pages"},
		{"bad seed", []string{"--crawl", "mailto:x@y"}, "", 2, "", "seed"},
		{"seeds from stdin, text", []string{"--crawl", "--depth", "0"}, ng.URL + "/p1.html\n# comment\n" + ng.URL + "/p2.html\n", 0, "crawl: 2 pages", ""},
		{"robots off, max pages", []string{"--crawl", "--robots", "off", "--max-pages", "3", "-q", ng.URL + "/"}, "", 0, "crawl: 3 pages", ""},
		{"max pages: what is left", []string{"--crawl", "--robots", "off", "--max-pages", "1", "--depth", "1", "-q", "-c", "1", ng.URL + "/"}, "", 0, "not started", ""},
		{"reject", []string{"--crawl", "--depth", "1", "--reject-regex", `p[1-4]\.html|missing`, "-q", ng.URL + "/"}, "", 0, "crawl: 2 pages", ""},
		{"verbose", []string{"--crawl", "--depth", "1", "--crawl-verbose", "-q", "--accept-regex", "private|/$", ng.URL + "/"}, "", 0, "crawl: 1 pages", "skipped (robots): " + ng.URL + "/private.html"},
		{"progress", []string{"--crawl", "--depth", "1", "--progress", "always", "-q", ng.URL + "/"}, "", 1, "crawl: 7 pages", "async crawl"},
		{"robots unreachable", []string{"--crawl", "http://127.0.0.1:1/"}, "", 1, "crawl: 0 pages", "http://127.0.0.1:1/robots.txt failed"},
		{"compare", []string{"--crawl", "--depth", "1", "-q", "--compare", ng.URL + "/p1.html"}, "", 0, "speedup", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fetchHere(t, context.Background(), tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d; want %d\nstdout %q (want %q)\nstderr %q (want %q)", r.code, tt.code, r.stdout, tt.stdout, r.stderr, tt.stderr)
			}
		})
	}
}

// TestCrawlInterrupt: an interrupt (SIGINT's cancel) mid-crawl ends the
// pages in flight as canceled, prints the summary and exits 130.
func TestCrawlInterrupt(t *testing.T) {
	srv := startServe(t)
	args := []string{"--crawl", "--robots", "off", "--json", "-c", "8", "--per-host", "8", srv.URL() + "/size/3?fast=1"}
	for i := 0; i < 4; i++ {
		args = append(args, fmt.Sprintf("%s/delay/30s?slow=%d", srv.URL(), i))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	fast := make(chan struct{})
	out := &syncBuffer{onWrite: func(p []byte) {
		if strings.Contains(string(p), "?fast=") && !isDone(fast) {
			close(fast)
		}
	}}
	go func() {
		select {
		case <-fast:
		case <-ctx.Done():
			return
		}
		for srv.Active() < 4 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel(&signalError{syscall.SIGINT})
	}()
	r := fetchHereTo(t, ctx, "", out, args...)
	if r.code != 130 {
		t.Errorf("exit %d; want 130; stderr %q", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	canceled := 0
	for _, o := range objs["result"] {
		if o["error_kind"] == "canceled" {
			canceled++
		}
	}
	if canceled != 4 || len(objs["summary"]) != 1 {
		t.Fatalf("%d canceled, %d summaries; want 4 and 1:\n%s", canceled, len(objs["summary"]), r.stdout)
	}
	if s := objs["summary"][0]; s["pages"] != 5.0 || s["ok"] != 1.0 {
		t.Errorf("summary %v; want 5 pages, 1 ok", s)
	}
}

// TestCrawlFlags parses the crawl flags into the crawl configuration.
func TestCrawlFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, cfg crawl.Config)
	}{
		{"defaults", nil, func(t *testing.T, c crawl.Config) {
			if c.MaxDepth != 2 || c.PerHost != crawl.DefaultPerHost || c.IgnoreRobots || c.Sitemaps || c.MaxPages != 0 ||
				c.MaxFrontier != crawl.DefaultMaxFrontier || c.Scope.Kind != crawl.ScopeHost || c.Delay != 0 {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{"all", []string{"--depth", "5", "--per-host", "7", "--robots", "off", "--sitemaps", "--max-pages", "9", "--max-frontier", "11",
			"--scope", "domain", "--delay", "1500ms", "--scope-regex", "^http://a/", "--accept-regex", "x", "--reject-regex", "y"}, func(t *testing.T, c crawl.Config) {
			if c.MaxDepth != 5 || c.PerHost != 7 || !c.IgnoreRobots || !c.Sitemaps || c.MaxPages != 9 || c.MaxFrontier != 11 ||
				c.Scope.Kind != crawl.ScopeDomain || c.Delay != 1500*time.Millisecond ||
				c.Scope.Regex.String() != "^http://a/" || c.Scope.Include.String() != "x" || c.Scope.Exclude.String() != "y" {
				t.Errorf("all: %+v", c)
			}
		}},
	}
	tests = append(tests, struct {
		name  string
		args  []string
		check func(t *testing.T, cfg crawl.Config)
	}{"depth inf", []string{"--depth", "inf"}, func(t *testing.T, c crawl.Config) {
		if c.MaxDepth != infiniteDepth {
			t.Errorf("--depth inf: MaxDepth %d; want %d", c.MaxDepth, infiniteDepth)
		}
	}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := Test()
			var got *Options
			code := newCmdFetch(context.Background(), ios, append([]string{"--crawl", "x.test"}, tt.args...), func(_ context.Context, o *Options) exitCode {
				got = o
				return exitOK
			})
			if code != exitOK || got == nil {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			cfg, err := got.crawl.setup(got)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}

type crawlRunCase struct {
	name       string
	args       []string // after --crawl
	engine     fakeSpec
	cancelOn   string // cancel the run (as SIGINT does) when this seed starts
	wantStderr string // substring; "" means stderr must be empty
	wantExit   exitCode
	wantModes  []fetcher.Mode // crawls run, in order; nil: not checked
}

var crawlRunCases = []crawlRunCase{
	{name: "json", args: []string{"--json", "--slowest", "1", okA, okB}, engine: fakeSpec{crawlStats: crawlStatsAll}, wantExit: exitOK},
	{name: "text", args: []string{"--slowest", "1", okA, nf}, engine: fakeSpec{crawlStats: crawlStatsAll}, wantExit: exitFailed},
	{name: "robots-errors", args: []string{"-q", okA}, engine: fakeSpec{crawlStats: crawl.Stats{RobotsFetches: 1, RobotsErrors: 1}}, wantExit: exitFailed},
	{name: "gate-not-met-failed", args: []string{"--compare", "--min-speedup", "2", "-q", okB, okC, nf},
		wantStderr: "fetch: speedup 1.67x of async over sync is below --min-speedup 2.00x\n", wantExit: exitGate, wantModes: []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync}},
	{name: "gate-met", args: []string{"--compare", "--min-speedup", "1.5", "-q", okB, okC}, wantExit: exitOK},
	{name: "repeat-quiet", args: []string{"--compare", "--repeat", "2", "-q", okB, dns}, wantExit: exitFailed,
		wantModes: []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync, fetcher.ModeAsync, fetcher.ModeSync}},
	{name: "error", args: []string{okA}, engine: fakeSpec{crawlErr: errors.New("fake crawl failure")}, wantStderr: "fetch: async crawl: fake crawl failure\n", wantExit: exitFailed},
	{name: "interrupted-json", args: []string{"--json", okA, hang, okB}, cancelOn: hang, wantExit: exitInterrupted},
	{name: "write-out", args: []string{"-w", `{status} {depth} {url}\n`, okA, nf}, wantStderr: "async cost 0.103s\nsummary: 2 URLs, 1 ok, 1 failed", wantExit: exitFailed},
}

// runCrawl runs one case of fetch --crawl through newCmdFetch with the
// fake crawl and a fake clock.
func runCrawl(t *testing.T, tc crawlRunCase) (string, string, exitCode, []fetcher.Mode) {
	t.Helper()
	ios, _, out, errOut := Test()
	clock := newFakeClock()
	eng := &fakeEngine{fakeSpec: tc.engine, clock: clock}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if tc.cancelOn != "" {
		eng.onJob = func(u string) {
			if u == tc.cancelOn {
				cancel(&signalError{syscall.SIGINT})
			}
		}
	}
	code := newCmdFetch(ctx, ios, append([]string{"--crawl"}, tc.args...), func(ctx context.Context, o *Options) exitCode {
		o.Now, o.Crawl = clock.Now, eng.crawl
		o.Run = func(context.Context, fetcher.Mode, fetcher.RunConfig, <-chan fetcher.Job, chan<- fetcher.Result) (fetcher.Stats, error) {
			t.Error("a crawl ran the list engine")
			return fetcher.Stats{}, nil
		}
		return fetchRun(ctx, o)
	})
	return out.String(), errOut.String(), code, eng.runs
}

// TestCrawlRun runs fetch --crawl on an injected crawl: stdout against
// testdata/crawl-<case>.golden (twice, to show the output is stable),
// stderr and the exit code against the table.
func TestCrawlRun(t *testing.T) {
	for _, tc := range crawlRunCases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code, modes := runCrawl(t, tc)
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
			checkGolden(t, "crawl-"+tc.name, []byte(stdout))
			if *update {
				return
			}
			again, _, _, _ := runCrawl(t, tc)
			if again != stdout {
				t.Errorf("second run differs:\n--- first\n%s--- second\n%s", stdout, again)
			}
		})
	}
}
