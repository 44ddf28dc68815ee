package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/report"
)

// timingRun is one run of the command on the fake engine and clock.
type timingRun struct {
	stdout, stderr string
	code           exitCode
}

// runTiming runs fetch with args on the fake engine (spec), with env as
// the environment, and returns what it printed and its exit code.
func runTiming(t *testing.T, args []string, spec fakeSpec, env map[string]string) timingRun {
	t.Helper()
	ios, _, out, errOut := Test()
	ios.Getenv = func(k string) string { return env[k] }
	clock := newFakeClock()
	eng := &fakeEngine{fakeSpec: spec, clock: clock}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if spec.onJob == nil {
		eng.onJob = func(u string) {
			if u == hang {
				cancel(&signalError{syscall.SIGINT})
			}
		}
	}
	code := newCmdFetch(ctx, ios, args, func(ctx context.Context, o *Options) exitCode {
		o.Now, o.Run, o.Crawl = clock.Now, eng.run, eng.crawl
		return fetchRun(ctx, o)
	})
	return timingRun{out.String(), errOut.String(), code}
}

// lastObject returns the last NDJSON object of out of type typ.
func lastObject(t *testing.T, out, typ string) map[string]any {
	t.Helper()
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if obj["type"] == typ {
			last = obj
		}
	}
	if last == nil {
		t.Fatalf("no %s object in:\n%s", typ, out)
	}
	return last
}

// TestGateKinds judges every kind of gate, met and not met, on the fake
// engine's numbers: okA, okB and okC take 103 ms, 1 s and 1.5 s (their
// TTFB is 90% of that), nf is a 404 of 3 ms; a list's wall is its longest
// fetch in async and the sum in sync.
func TestGateKinds(t *testing.T) {
	dir := t.TempDir()
	// The baseline: the same list, async taking what it takes.
	base := runTiming(t, []string{"--json", "--repeat", "5", "-q", okA, okB, okC}, fakeSpec{}, nil)
	if base.code != exitOK {
		t.Fatalf("baseline run: exit %d, stderr %q", base.code, base.stderr)
	}
	baseFile := filepath.Join(dir, "base.ndjson")
	if err := os.WriteFile(baseFile, []byte(base.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	slower := fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.5}}
	tests := []struct {
		name       string
		args       []string
		spec       fakeSpec
		wantExit   exitCode
		wantStderr string // every line of it, in order
	}{
		{"latency met", []string{"--gate", "p95<2s", "--gate", "p50<=1001", okA, okB, okC}, fakeSpec{}, exitOK, ""},
		{"latency not met", []string{"--gate", "p95<1s", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: gate p95<1s not met: p95 was 1.5s, limit 1s\n"},
		{"max and mean", []string{"--gate", "max<=1500ms", "--gate", "mean<800ms", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: gate mean<800ms not met: mean was 867.667ms, limit 800ms\n"},
		{"phase met", []string{"--gate", "ttfb.p50<1s", "--gate", "dns.p99.9<=0.5ms", okA, okB, okC}, fakeSpec{}, exitOK, ""},
		{"phase not met", []string{"--gate", "connect.max<1ms", okA}, fakeSpec{}, exitGate,
			"fetch: gate connect.max<1ms not met: connect.max was 1ms, limit 1ms\n"},
		{"failed count not met, ahead of the failed URL", []string{"--gate", "failed=0", okA, nf}, fakeSpec{}, exitGate,
			"fetch: gate failed=0 not met: failed was 1, limit 0\n"},
		{"failed percent met: the failed URL decides", []string{"--gate", "failed<=50%", okA, nf}, fakeSpec{}, exitFailed, ""},
		{"failed percent not met", []string{"--gate", "failed<50%", okA, nf}, fakeSpec{}, exitGate,
			"fetch: gate failed<50% not met: failed was 50%, limit 50%\n"},
		{"rps", []string{"--gate", "rps>=2", "--gate", "rps>2", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: gate rps>2 not met: rps was 2, limit 2\n"},
		{"nothing succeeded: no latency, not met", []string{"--gate", "p95<1s", nf}, fakeSpec{}, exitGate,
			"fetch: gate p95<1s not met: p95 was not measured (needs fetches)\n"},
		{"speedup met", []string{"--compare", "--gate", "speedup>=1.7", okA, okB, okC}, fakeSpec{}, exitOK, ""},
		{"speedup not met", []string{"--compare", "--gate", "speedup>=2", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: gate speedup>=2 not met: speedup was 1.73533, limit 2\n"},
		{"speedup interval", []string{"--compare", "--repeat", "2", "-q", "--gate", "speedup.lo>=1.7", "--gate", "speedup.hi<1.7", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: gate speedup.hi<1.7 not met: speedup.hi was 1.735, limit 1.7\n"},
		{"min-speedup keeps its words", []string{"--compare", "--min-speedup", "2", okA, okB, okC}, fakeSpec{}, exitGate,
			"fetch: speedup 1.74x of async over sync is below --min-speedup 2.00x\n"},
		{"per mode", []string{"--compare", "--gate", "failed=0", "--gate", "p99<2s", okB, okC}, fakeSpec{asyncFail: true}, exitGate,
			"fetch: async: gate failed=0 not met: failed was 2, limit 0\n" +
				"fetch: async: gate p99<2s not met: p99 was not measured (needs fetches)\n"},
		{"regression met", []string{"--repeat", "5", "-q", "--baseline", baseFile, "--gate", "regression<=10%", okA, okB, okC}, fakeSpec{}, exitOK, ""},
		{"regression not met", []string{"--repeat", "5", "-q", "--baseline", baseFile, "--gate", "regression<=10%", okA, okB, okC}, slower, exitGate,
			"fetch: gate regression<=10% not met: regression was 50%, limit 10%\n"},
		{"regression of p95", []string{"--baseline", baseFile, "--baseline-stat", "p95", "--gate", "regression<=0%", okA, okB, okC}, slower, exitOK, ""},
		{"interrupt wins over a gate", []string{"--gate", "p95<1ms", okA, hang, okB}, fakeSpec{}, exitInterrupted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTiming(t, tt.args, tt.spec, nil)
			if r.code != tt.wantExit {
				t.Errorf("exit %d; want %d (stderr %q)", r.code, tt.wantExit, r.stderr)
			}
			if r.stderr != tt.wantStderr {
				t.Errorf("stderr\n%s\nwant\n%s", r.stderr, tt.wantStderr)
			}
			// The same run in JSON: the gates are in its last object.
			j := runTiming(t, append([]string{"--json"}, tt.args...), tt.spec, nil)
			if j.code != tt.wantExit {
				t.Errorf("--json: exit %d; want %d", j.code, tt.wantExit)
			}
			if tt.wantExit == exitInterrupted {
				return
			}
			typ := "summary"
			if strings.Contains(strings.Join(tt.args, " "), "--compare") || strings.Contains(strings.Join(tt.args, " "), "--repeat") {
				typ = "compare"
			}
			obj := lastObject(t, j.stdout, typ)
			gates, _ := obj["gates"].([]any)
			met, _ := obj["gate_met"].(bool)
			if len(gates) == 0 || met != (tt.wantStderr == "") {
				t.Errorf("--json: the %s has gates %v, gate_met %v; want the gates, met %v", typ, obj["gates"], obj["gate_met"], tt.wantStderr == "")
			}
			for _, g := range gates {
				g := g.(map[string]any)
				for _, k := range []string{"expr", "value", "limit", "met", "available"} {
					if _, ok := g[k]; !ok {
						t.Errorf("--json: gate %v has no %q", g, k)
					}
				}
			}
		})
	}
}

// TestTimingFlagErrors: a gate, a baseline or a report the run cannot
// honour is a usage error that says why, before anything is fetched.
func TestTimingFlagErrors(t *testing.T) {
	dir := t.TempDir()
	syncOnly := filepath.Join(dir, "sync.ndjson")
	if r := runTiming(t, []string{"--json", "--mode", "sync", okA}, fakeSpec{}, nil); r.code != exitOK {
		t.Fatal(r.stderr)
	} else if err := os.WriteFile(syncOnly, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.ndjson")
	os.WriteFile(old, []byte(`{"type":"summary","mode":"async","urls":1,"ok":1,"failed":0,"bytes":1,"wall_ms":5,"p50_ms":5,"p95_ms":5,"max_ms":5}`+"\n"), 0o644)
	notJSON := filepath.Join(dir, "text.txt")
	os.WriteFile(notJSON, []byte("summary: 3 URLs\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "list.md"), []byte(okA+"\n"), 0o644)
	if b, err := os.ReadFile(syncOnly); err == nil {
		os.WriteFile(filepath.Join(dir, "base.md"), b, 0o644) // a baseline with an odd name
	}
	noSummary := filepath.Join(dir, "results.ndjson")
	os.WriteFile(noSummary, []byte(`{"type":"result","url":"x"}`+"\n"), 0o644)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"bad gate", []string{"--gate", "p97<1s"}, `fetch: --gate: gate "p97<1s": unknown metric "p97"; metrics are p50, p90`},
		{"speedup without compare", []string{"--gate", "speedup>=2"}, `--gate: gate "speedup>=2": speedup is not measured in this run: it needs a comparison of modes (--compare)`},
		{"interval without repeat", []string{"--compare", "--gate", "speedup.lo>=2"}, "(--compare and --repeat 2 or more)"},
		{"regression without baseline", []string{"--gate", "regression<=5%"}, "regression is not measured in this run: it needs a baseline to compare with (--baseline FILE)"},
		{"baseline missing", []string{"--baseline", filepath.Join(dir, "nope.ndjson")}, "--baseline: open " + filepath.Join(dir, "nope.ndjson") + ": no such file or directory"},
		{"baseline of another mode", []string{"--baseline", syncOnly}, "--baseline: " + syncOnly + " has no run of mode async (it has sync)"},
		{"baseline not NDJSON", []string{"--baseline", notJSON}, "--baseline: " + notJSON + ": line 1: not a JSON object"},
		{"baseline without summary", []string{"--baseline", noSummary}, "no summary object in 1 lines"},
		{"baseline stat unknown", []string{"--baseline", syncOnly, "--mode", "sync", "--baseline-stat", "p42"}, "--baseline-stat: want one of wall, p50, p90, p95, p99, p99.9, max, mean"},
		{"baseline stat of an old file", []string{"--baseline", old, "--baseline-stat", "p99"}, "--baseline-stat p99: " + old + " was written by a fetch without latency_ms"},
		{"baseline stat without baseline", []string{"--baseline-stat", "p95"}, "--baseline-stat needs --baseline FILE"},
		{"report format", []string{"--report", filepath.Join(dir, "r.pdf")}, `--report: "` + filepath.Join(dir, "r.pdf") + `": want a file ending in .html`},
		{"no-step-summary without report", []string{"--no-step-summary"}, "--no-step-summary needs --report FILE"},
		{"report directory missing", []string{"--report", filepath.Join(dir, "no", "r.md")}, "fetch: --report: open " + filepath.Join(dir, "no")},
		{"report over the baseline", []string{"--mode", "sync", "--baseline", filepath.Join(dir, "base.md"), "--report", filepath.Join(dir, "base.md")}, "--report " + filepath.Join(dir, "base.md") + " is the baseline (--baseline " + filepath.Join(dir, "base.md") + ")"},
		{"report over the list", []string{"-i", filepath.Join(dir, "list.md"), "--report", filepath.Join(dir, "list.md")}, "is the list (-i " + filepath.Join(dir, "list.md") + ")"},
		{"report over the results", []string{"-o", filepath.Join(dir, "out.md"), "--report", filepath.Join(dir, "out.md")}, "is the results' file (-o " + filepath.Join(dir, "out.md") + ")"},
		{"report twice", []string{"--report", filepath.Join(dir, "r.md"), "--report", filepath.Join(dir, "r.md")}, "is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTiming(t, append(tt.args, okA), fakeSpec{}, nil)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q; want nothing fetched", r.stdout)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestBaselineSignificance: the same run five times a side (the fake
// clock makes their times equal) is no change; the async engine made 50%
// slower is a significant regression, every run of it after every run
// of the baseline (the Mann–Whitney U test's smallest p-value for 5 and
// 5, 2/252); one run a side cannot tell.
func TestBaselineSignificance(t *testing.T) {
	dir := t.TempDir()
	base := runTiming(t, []string{"--json", "--repeat", "5", "-q", okA, okB}, fakeSpec{}, nil)
	baseFile := filepath.Join(dir, "base.ndjson")
	os.WriteFile(baseFile, []byte(base.stdout), 0o644)
	one := runTiming(t, []string{"--json", okA, okB}, fakeSpec{}, nil)
	oneFile := filepath.Join(dir, "one.ndjson")
	os.WriteFile(oneFile, []byte(one.stdout), 0o644)
	slower := fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.5}}
	tests := []struct {
		name                     string
		args                     []string
		spec                     fakeSpec
		change                   float64
		significant, decidable   bool
		wantText                 string
		oldRuns, newRuns, failed int
	}{
		{"same", []string{"--repeat", "5", "--baseline", baseFile}, fakeSpec{}, 0, false, true, "wall +0.0%, within noise (p = 1)", 5, 5, 0},
		{"slower", []string{"--repeat", "5", "--baseline", baseFile}, slower, 50, true, true, "wall +50.0%, a significant regression (p = 0.0079)", 5, 5, 0},
		{"one run a side", []string{"--baseline", oneFile}, slower, 50, false, false, "wall +50.0%, too few runs to tell a change from noise", 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTiming(t, append(tt.args, "-q", okA, okB), tt.spec, nil)
			if !strings.Contains(r.stdout, "baseline async: wall ") || !strings.Contains(r.stdout, tt.wantText) {
				t.Errorf("stdout\n%s\nwant the baseline line with %q", r.stdout, tt.wantText)
			}
			j := runTiming(t, append(tt.args, "--json", "-q", okA, okB), tt.spec, nil)
			typ := "compare"
			if tt.newRuns == 1 {
				typ = "summary"
			}
			var obj struct {
				Baseline jsonBaseline `json:"baseline"`
			}
			raw, _ := json.Marshal(lastObject(t, j.stdout, typ))
			json.Unmarshal(raw, &obj)
			b := obj.Baseline
			if b.Test != "mann-whitney-u" || b.Stat != "wall" || b.File != tt.args[len(tt.args)-1] || len(b.Modes) != 1 {
				t.Fatalf("baseline %+v; want the Mann–Whitney test of wall against %s, one mode", b, tt.args[len(tt.args)-1])
			}
			d := b.Modes[0]
			if d.ChangePct == nil || *d.ChangePct != tt.change || d.Significant != tt.significant || d.Decidable != tt.decidable || d.Regressed != tt.significant {
				t.Errorf("diff %+v (change %v); want change %v%%, significant %v, decidable %v", d, d.ChangePct, tt.change, tt.significant, tt.decidable)
			}
			if d.Old.Runs != tt.oldRuns || d.New.Runs != tt.newRuns || d.Old.WallMS != 1000 || d.New.WallMS != 1000*(1+tt.change/100) || d.Old.P95MS != 1000 {
				t.Errorf("old %+v, new %+v; want %d and %d runs, wall 1000 ms then %v, p95 1000 ms", d.Old, d.New, tt.oldRuns, tt.newRuns, 1000*(1+tt.change/100))
			}
		})
	}
}

// TestReportsFromNDJSON: the reports a run writes (--report) are the
// reports fetch report renders from its saved NDJSON, byte for byte; the
// Markdown is appended to GITHUB_STEP_SUMMARY (by both), unless
// --no-step-summary; and a report is replaced whole.
func TestReportsFromNDJSON(t *testing.T) {
	dir := t.TempDir()
	base := runTiming(t, []string{"--json", "--compare", "--repeat", "2", "-q", okA, okB, okC, nf}, fakeSpec{}, nil)
	baseFile := filepath.Join(dir, "base.ndjson")
	os.WriteFile(baseFile, []byte(base.stdout), 0o644)
	html, md, step := filepath.Join(dir, "run.html"), filepath.Join(dir, "run.md"), filepath.Join(dir, "step.md")
	os.WriteFile(html, []byte("an older report"), 0o644)
	env := map[string]string{"GITHUB_STEP_SUMMARY": step}
	res := runTiming(t, []string{"--json", "--compare", "--repeat", "2", "-q", "--gate", "p95<2s", "--gate", "speedup.lo>=1.4", "--gate", "regression<=5%",
		"--baseline", baseFile, "--report", html, "--report", md, okA, okB, okC, nf}, fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.2}}, env)
	if res.code != exitGate {
		t.Fatalf("exit %d (stderr %q); want 3: the regression gate", res.code, res.stderr)
	}
	gotHTML, _ := os.ReadFile(html)
	gotMD, _ := os.ReadFile(md)
	for _, want := range []string{"### Gates: 1 of 5 not met", "| ❌ FAIL | regression&lt;=5% (async) | 20% | 5% |", "### Baseline: base.ndjson", "### Failures", "HTTP 404"} {
		if !bytes.Contains(gotMD, []byte(want)) {
			t.Errorf("the Markdown report lacks %q:\n%s", want, gotMD)
		}
	}
	if !bytes.HasPrefix(gotHTML, []byte("<!DOCTYPE html>")) || !bytes.Contains(gotHTML, []byte("<svg")) {
		t.Errorf("the HTML report is not a page with charts: %.200s", gotHTML)
	}
	if stepMD, _ := os.ReadFile(step); string(stepMD) != string(gotMD)+"\n" {
		t.Errorf("GITHUB_STEP_SUMMARY got\n%s\nwant the Markdown report", stepMD)
	}

	saved := filepath.Join(dir, "run.ndjson")
	os.WriteFile(saved, []byte(res.stdout), 0o644)
	ios, _, _, errOut := Test()
	ios.Getenv = func(k string) string { return env[k] }
	html2, md2 := filepath.Join(dir, "again.html"), filepath.Join(dir, "again.md")
	if code := run(context.Background(), []string{"report", saved, "-o", html2, "-o", md2}, ios); code != exitOK {
		t.Fatalf("fetch report: exit %d, stderr %q", code, errOut)
	}
	if b, _ := os.ReadFile(html2); !bytes.Equal(b, gotHTML) {
		t.Errorf("fetch report's HTML differs from the run's")
	}
	if b, _ := os.ReadFile(md2); !bytes.Equal(b, gotMD) {
		t.Errorf("fetch report's Markdown differs from the run's:\n%s\nwant\n%s", b, gotMD)
	}
	if stepMD, _ := os.ReadFile(step); string(stepMD) != strings.Repeat(string(gotMD)+"\n", 2) {
		t.Errorf("GITHUB_STEP_SUMMARY got\n%s\nwant the Markdown report twice (the run's, fetch report's)", stepMD)
	}

	// --no-step-summary leaves it alone; a text run writes the same reports.
	os.Remove(step)
	text := runTiming(t, []string{"--compare", "--repeat", "2", "-q", "--gate", "p95<2s", "--gate", "speedup.lo>=1.4", "--gate", "regression<=5%",
		"--baseline", baseFile, "--report", md, "--no-step-summary", okA, okB, okC, nf}, fakeSpec{scale: map[fetcher.Mode]float64{fetcher.ModeAsync: 1.2}}, env)
	if text.code != exitGate {
		t.Errorf("text run: exit %d; want 3", text.code)
	}
	if b, _ := os.ReadFile(md); !bytes.Equal(b, gotMD) {
		t.Errorf("the text run's Markdown differs from the JSON run's:\n%s\nwant\n%s", b, gotMD)
	}
	if _, err := os.Stat(step); err == nil {
		t.Errorf("--no-step-summary: GITHUB_STEP_SUMMARY was written")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestReportCommandErrors: fetch report's usage and input errors.
func TestReportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(bad, []byte(`{"type":"summary","mode":"fast"}`+"\n"), 0o644)
	long := filepath.Join(dir, "long.ndjson")
	os.WriteFile(long, []byte(`{"type":"summary","mode":"async","x":"`+strings.Repeat("a", maxRecordLine)+`"}`+"\n"), 0o644)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no run", []string{"-o", "r.md"}, "the run to report on is missing"},
		{"no output", []string{bad}, "-o FILE is required"},
		{"bad output", []string{bad, "-o", "r.txt"}, `-o: "r.txt": want a file ending in .html`},
		{"missing run", []string{filepath.Join(dir, "nope"), "-o", "r.md"}, "no such file or directory"},
		{"bad mode", []string{bad, "-o", filepath.Join(dir, "r.md")}, `line 1: summary: fetcher: unknown mode "fast"`},
		{"long line", []string{long, "-o", filepath.Join(dir, "r.md")}, "line 1: a summary or compare object longer than 32 MiB"},
		{"two runs", []string{bad, bad, "-o", "r.md"}, "one run at a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := Test()
			code := run(context.Background(), append([]string{"report"}, tt.args...), ios)
			if code != exitUsage || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "r.md")); err == nil {
		t.Errorf("a report was written after an error")
	}
}

// TestReadRunLogSkipsResults: a run's result lines, however long, are
// skipped unread, and what it reads is bounded.
func TestReadRunLogSkipsResults(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"result","url":"` + strings.Repeat("x", maxRecordLine+10) + `"}` + "\n")
	b.WriteString(`{"type":"start","mode":"sync","url":"x"}` + "\n\n")
	b.WriteString(`{"type":"summary","mode":"sync","urls":1,"ok":1,"failed":0,"bytes":1,"wall_ms":5}` + "\n")
	b.WriteString(`{"type":"something-new"}`)
	l, err := readRunLog(strings.NewReader(b.String()), "run")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.runs) != 1 || l.runs[0].wallMS != 5 || l.lines != 5 {
		t.Errorf("read %d runs in %d lines; want 1 (wall 5 ms) in 5", len(l.runs), l.lines)
	}
	many := strings.Repeat(`{"type":"summary","mode":"sync","wall_ms":5}`+"\n", maxLoggedRuns+1)
	if _, err := readRunLog(strings.NewReader(many), "many"); err == nil || !strings.Contains(err.Error(), "more than 3000 summaries") {
		t.Errorf("a run of %d summaries: got %v; want an error", maxLoggedRuns+1, err)
	}
}

// syncWriter is a writer safe for concurrent use that tells, on
// seen, when a line containing want has been written.
type syncWriter struct {
	mu   sync.Mutex
	b    bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestProgressLines: in a CI log (stderr not a terminal) a run prints a
// progress line now and then, so that it never looks hung. The fetch of
// the second URL waits until a line came (the interval is shortened to
// a millisecond), so the line is there, however slow the machine.
func TestProgressLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		tty  bool
	}{
		{"auto, stderr not a terminal", nil, nil, false},
		{"auto, CI set", nil, map[string]string{"CI": "true"}, true},
		{"lines", []string{"--progress", "lines"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.ErrTTY = tc.tty
			ios.Getenv = func(k string) string { return tc.env[k] }
			errOut := &syncWriter{want: "fetch: async: 1/2 URLs (50.0%)", seen: make(chan struct{})}
			ios.ErrOut = errOut
			clock := newFakeClock()
			eng := &fakeEngine{clock: clock}
			eng.onJob = func(u string) {
				if u == okB {
					<-errOut.seen
				}
			}
			args := append(tc.args, "-q", okA, okB)
			code := newCmdFetch(context.Background(), ios, args, func(ctx context.Context, o *Options) exitCode {
				o.Now, o.Run = clock.Now, eng.run
				o.progressEvery = 1e6 // 1ms
				return fetchRun(ctx, o)
			})
			if code != exitOK {
				t.Errorf("exit %d; want 0", code)
			}
			for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
				if !strings.HasPrefix(l, "fetch: async: ") || !strings.HasSuffix(l, " elapsed") || strings.Contains(l, "\r") || strings.Contains(l, "\x1b") {
					t.Errorf("stderr line %q; want progress lines only, no bar", l)
				}
			}
		})
	}
	// On a terminal (and with --progress never), no lines.
	if !progressBar(&Options{Progress: "auto", IO: &IOStreams{ErrTTY: true}}) || progressLines(&Options{Progress: "auto", IO: &IOStreams{ErrTTY: true}}) {
		t.Errorf("auto on a terminal: want the bar, no lines")
	}
	if progressLines(&Options{Progress: "never", IO: &IOStreams{}}) || progressLines(&Options{Progress: "auto", Verbose: true, IO: &IOStreams{}}) {
		t.Errorf("never, or -v: want no lines")
	}
}

// TestWriteReportSeed writes testdata/report-run.ndjson, the seed of
// FuzzReportFromNDJSON, with -update: the NDJSON of a comparison with
// repeats, gates, a baseline diff and failures, on the fake engine.
func TestWriteReportSeed(t *testing.T) {
	dir := t.TempDir()
	base := runTiming(t, []string{"--json", "--compare", "--repeat", "2", "-q", okA, okB}, fakeSpec{}, nil)
	baseFile := filepath.Join(dir, "base.ndjson")
	os.WriteFile(baseFile, []byte(base.stdout), 0o644)
	r := runTiming(t, []string{"--json", "--compare", "--repeat", "2", "--slowest", "1", "--gate", "p95<1s", "--gate", "speedup.lo>=1.2",
		"--baseline", baseFile, "--gate", "regression<=5%", okA, okB, nf, dns}, fakeSpec{}, nil)
	if r.code != exitGate {
		t.Fatalf("exit %d (%s); want 3", r.code, r.stderr)
	}
	seed := strings.ReplaceAll(r.stdout, baseFile, "base.ndjson")
	checkGolden(t, "report-run.ndjson", []byte(seed))
}

// FuzzReportFromNDJSON reads any bytes as a saved run: it is an error
// that names the line, or a report that renders, bounded, the same twice.
func FuzzReportFromNDJSON(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "report-run.ndjson.golden"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"type":"summary","mode":"async","wall_ms":1,"latency_ms":{"p50":1e308,"max":-5},"latency_hist":[[9,1,-3],[0,0,9223372036854775807]]}`))
	f.Add([]byte(`{"type":"compare","modes":[{"mode":"sync","speedup":-1,"speedup_ci":[5,1]}],"runs":[{"mode":"async","wall_ms":-1}]}` + "\n" +
		`{"type":"summary","mode":"sync","wall_ms":0,"gates":[{"expr":"<script>","value":1e999}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := readRunLog(bytes.NewReader(b), "run")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "run: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		render := func() (string, string) {
			m := l.model(nil)
			var h, md bytes.Buffer
			if err := report.RenderHTML(&h, m); err != nil {
				t.Fatal(err)
			}
			if err := report.RenderMarkdown(&md, m); err != nil {
				t.Fatal(err)
			}
			return h.String(), md.String()
		}
		h1, m1 := render()
		h2, m2 := render()
		if h1 != h2 || m1 != m2 {
			t.Errorf("the same run rendered twice differs")
		}
		if len(h1) > 8<<20 || len(m1) > 1<<20 {
			t.Errorf("a report of %d bytes (HTML) and %d (Markdown) from %d bytes of input", len(h1), len(m1), len(b))
		}
	})
}

// TestReadRunLogBounds: an object bigger than fetch writes is refused,
// naming what is too big, so that reporting on a hostile file costs no
// more than on a run.
func TestReadRunLogBounds(t *testing.T) {
	buckets := strings.Repeat("[1,2,3],", maxReadBuckets) + "[1,2,3]"
	tests := []struct {
		name, line, wantErr string
	}{
		{"modes", `{"type":"compare","modes":[{"mode":"sync"},{"mode":"sync"},{"mode":"sync"},{"mode":"sync"}]}`, "compare: 4 modes (there are 3)"},
		{"buckets", `{"type":"summary","mode":"sync","latency_hist":[` + buckets + `]}`, "summary: a histogram of 7297 buckets"},
		{"phase buckets", `{"type":"compare","modes":[{"mode":"async","phases_hist":{"ttfb":[` + buckets + `]}}]}`, "compare: mode async: a histogram of 7297 buckets"},
		{"baseline modes", `{"type":"summary","mode":"sync","baseline":{"modes":[{},{},{},{}]}}`, "summary: a baseline of 4 modes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readRunLog(strings.NewReader(tt.line+"\n"), "run")
			if err == nil || !strings.Contains(err.Error(), "run: line 1: "+tt.wantErr) {
				t.Errorf("got %v; want an error with %q", err, tt.wantErr)
			}
		})
	}
}
