package main

// End-to-end tests of timing runs: the distributions of the summary
// against the per-URL results, --rate's correction, the baseline against
// a server whose delay the test sets, the terminal histogram, and the
// reports of a real run.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// resultTimes returns timings_ms.name of every successful result of
// mode in objs, in milliseconds.
func resultTimes(objs []map[string]any, mode, name string) []float64 {
	var out []float64
	for _, o := range objs {
		if o["ok"] != true || o["mode"] != mode {
			continue
		}
		tm := o["timings_ms"].(map[string]any)
		out = append(out, tm[name].(float64))
	}
	return out
}

// exactMS is the nearest-rank p-th percentile of ms (sorted here).
func exactMS(ms []float64, p float64) float64 {
	s := slices.Clone(ms)
	slices.Sort(s)
	rank := int64(math.Ceil(p / 100 * float64(len(s))))
	if p == 99.9 {
		rank = (999*int64(len(s)) + 999) / 1000
	}
	return s[min(max(rank, 1), int64(len(s)))-1]
}

// checkDist holds the distribution d (latency_ms or a phase of
// phases_ms) to the exact percentiles of ms: within 1%, and a microsecond
// for the rounding of the JSON's milliseconds.
func checkDist(t *testing.T, what string, d map[string]any, ms []float64) {
	t.Helper()
	if d == nil || len(ms) == 0 {
		t.Fatalf("%s: %v over %d fetches; want a distribution", what, d, len(ms))
	}
	for _, p := range []struct {
		key string
		p   float64
	}{{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}, {"max", 100}} {
		got, want := d[p.key].(float64), exactMS(ms, p.p)
		if math.Abs(got-want) > 0.01*want+0.001 {
			t.Errorf("%s.%s = %v ms; want %v ms (the exact percentile of %d results) within 1%%", what, p.key, got, want, len(ms))
		}
	}
	var sum float64
	for _, v := range ms {
		sum += v
	}
	if got, want := d["mean"].(float64), sum/float64(len(ms)); math.Abs(got-want) > 0.001*want+0.001 {
		t.Errorf("%s.mean = %v ms; want %v", what, got, want)
	}
}

// TestE2ELatencyExact fetches a list whose delays spread from 0 to 40 ms
// from the embedded server, in one mode and in a comparison with
// repeats, and holds the summary's latency_ms and phases_ms (and each
// mode's, over its runs, in the compare object) to the exact percentiles
// of the results printed.
func TestE2ELatencyExact(t *testing.T) {
	srv := startServe(t)
	var list strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&list, "%s/delay/%dms/size/%d?i=%d\n", srv.URL(), (i*7)%41, 100+i, i)
	}
	t.Run("one run", func(t *testing.T) {
		r := fetch(t, list.String(), "--json", "-c", "40")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		objs := parseNDJSON(t, r.stdout)
		sum := objs["summary"][0]
		checkDist(t, "latency_ms", sum["latency_ms"].(map[string]any), resultTimes(objs["result"], "async", "total"))
		ph := sum["phases_ms"].(map[string]any)
		checkDist(t, "phases_ms.ttfb", ph["ttfb"].(map[string]any), resultTimes(objs["result"], "async", "ttfb"))
		if sum["p50_ms"] != sum["latency_ms"].(map[string]any)["p50"] || sum["p95_ms"] != sum["latency_ms"].(map[string]any)["p95"] {
			t.Errorf("p50_ms %v, p95_ms %v; want latency_ms's", sum["p50_ms"], sum["p95_ms"])
		}
	})
	t.Run("compare with repeats", func(t *testing.T) {
		r := fetch(t, list.String(), "--json", "-q", "--compare", "--repeat", "2", "-c", "40")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		// -q prints no successful result: the same list again, printed.
		all := fetch(t, list.String(), "--json", "--compare", "--repeat", "2", "-c", "40")
		objs := parseNDJSON(t, all.stdout)
		cmp := objs["compare"][0]
		for _, m := range cmp["modes"].([]any) {
			m := m.(map[string]any)
			mode := m["mode"].(string)
			checkDist(t, mode+" latency_ms", m["latency_ms"].(map[string]any), resultTimes(objs["result"], mode, "total"))
			if m["ok"].(float64) != 600 || m["runs"].(float64) != 2 {
				t.Errorf("%s: ok %v over %v runs; want 600 over 2", mode, m["ok"], m["runs"])
			}
		}
		if ci, ok := cmp["speedup_ci"].([]any); !ok || len(ci) != 2 || ci[0].(float64) > ci[1].(float64) {
			t.Errorf("speedup_ci %v; want [lo, hi]", cmp["speedup_ci"])
		}
	})
}

// TestE2ERateFromSchedule: with --rate a server cannot keep up with (one
// at a time, 40 ms each, one due every 10 ms), latency counts from when
// each fetch was due: the last of five was due 40 ms after the first and
// could not start before 160 ms after it, so its latency is at least
// 120 ms + 40 ms, while its own fetch took about 40 ms.
func TestE2ERateFromSchedule(t *testing.T) {
	srv := startServe(t)
	var urls []string
	for i := 0; i < 5; i++ {
		urls = append(urls, fmt.Sprintf("%s/delay/40ms/size/10?i=%d", srv.URL(), i))
	}
	r := fetch(t, "", append([]string{"--json", "--rate", "100", "-c", "1"}, urls...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sum := parseNDJSON(t, r.stdout)["summary"][0]
	lat := sum["latency_ms"].(map[string]any)
	queue := sum["phases_ms"].(map[string]any)["queue"].(map[string]any)
	if sum["latency_from"] != "due" || lat["max"].(float64) < 160 || queue["max"].(float64) < 120 {
		t.Errorf("latency from %v, max %v ms, queue max %v ms; want from \"due\", at least 160 ms and 120 ms", sum["latency_from"], lat["max"], queue["max"])
	}
	text := fetch(t, "", append([]string{"--rate", "100", "-c", "1"}, urls...)...)
	if !strings.Contains(text.stdout, "\nlatency from the scheduled start: p50 ") {
		t.Errorf("text:\n%s\nwant the latency line saying it counts from the scheduled start", text.stdout)
	}
}

// baselineDiff returns the baseline diff of the run's last object.
func baselineDiff(t *testing.T, out string) jsonModeDiff {
	t.Helper()
	var last struct {
		Baseline *jsonBaseline `json:"baseline"`
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Baseline == nil || len(last.Baseline.Modes) != 1 {
		t.Fatalf("last line %q (%v): want an object with the baseline diff of one mode", lines[len(lines)-1], err)
	}
	return last.Baseline.Modes[0]
}

// TestE2EBaseline is the test of the baseline: the same list
// against the same server, five runs a side, never reports a significant
// regression, five times over; the server made 50% slower (each
// response's delay, which the test sets, from 50 to 75 ms) does, every
// time, and fails the regression gate.
func TestE2EBaseline(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	list := func(delay time.Duration) string {
		var b strings.Builder
		for i := 0; i < 5; i++ {
			fmt.Fprintf(&b, "%s/delay/%v/size/1KiB?i=%d\n", srv.URL(), delay, i)
		}
		return b.String()
	}
	args := []string{"--json", "-q", "-c", "5", "--repeat", "5"}
	base := fetch(t, list(100*time.Millisecond), args...)
	if base.code != 0 {
		t.Fatalf("baseline run: exit %d: %s", base.code, base.stderr)
	}
	baseFile := filepath.Join(dir, "base.ndjson")
	if err := os.WriteFile(baseFile, []byte(base.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	withBase := append(slices.Clone(args), "--baseline", baseFile, "--baseline-stat", "p50", "--gate", "regression<=20%")
	for i := 0; i < 5; i++ {
		r := fetch(t, list(100*time.Millisecond), withBase...)
		d := baselineDiff(t, r.stdout)
		t.Logf("same server, run %d: p50 %v → %v ms, change %+.2f%%, p = %.3g", i+1, d.Old.P50MS, d.New.P50MS, *d.ChangePct, d.P)
		if d.Regressed || !d.Decidable {
			t.Errorf("same server, run %d: diff %+v (change %v%%); want no significant regression (decidable)\nstderr %s", i+1, d, *d.ChangePct, r.stderr)
		}
	}
	for i := 0; i < 3; i++ {
		r := fetch(t, list(150*time.Millisecond), withBase...)
		d := baselineDiff(t, r.stdout)
		t.Logf("slower server, run %d: p50 %v → %v ms, change %+.2f%%, p = %.3g", i+1, d.Old.P50MS, d.New.P50MS, *d.ChangePct, d.P)
		if r.code != 3 || !d.Regressed || !d.Significant || *d.ChangePct < 30 {
			t.Errorf("a server 50%% slower, run %d: exit %d, diff %+v (change %v%%); want exit 3, a significant regression of about 50%%\nstderr %s", i+1, r.code, d, *d.ChangePct, r.stderr)
		}
		if !strings.Contains(r.stderr, "fetch: gate regression<=20% not met: regression was ") {
			t.Errorf("stderr %q; want the regression gate's line", r.stderr)
		}
	}
}

// TestE2EHistogram: --histogram draws each mode's latency after the run:
// to stdout with the text, fitted to 80 columns and without colour when
// stdout is not a terminal; to stderr with --json, whose stdout stays
// NDJSON.
func TestE2EHistogram(t *testing.T) {
	srv := startServe(t)
	var urls []string
	for i := 0; i < 20; i++ {
		urls = append(urls, fmt.Sprintf("%s/delay/%dms?i=%d", srv.URL(), i, i))
	}
	r := fetch(t, "", append([]string{"--histogram", "--compare", "-q"}, urls...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"\nlatency of sync (20 fetches):\n", "\nlatency of async (20 fetches):\n", " │█"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("stdout has escapes (colour) though it is not a terminal:\n%q", r.stdout)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "│") && len([]rune(l)) > 80 {
			t.Errorf("chart line of %d columns; want at most 80: %q", len([]rune(l)), l)
		}
	}
	j := fetch(t, "", append([]string{"--histogram", "--json"}, urls...)...)
	parseNDJSON(t, j.stdout) // every line an object of the contract
	if !strings.Contains(j.stderr, "latency (20 fetches):\n") || !strings.Contains(j.stderr, "│") {
		t.Errorf("--json: stderr %q; want the chart", j.stderr)
	}
}

// TestE2EReports: a real comparison writes its HTML and Markdown reports
// and appends the Markdown to GITHUB_STEP_SUMMARY; fetch report renders
// the same bytes from the NDJSON the run printed.
func TestE2EReports(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	var list strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&list, "%s/delay/%dms/size/2KiB?i=%d\n", srv.URL(), i%10, i)
	}
	fmt.Fprintf(&list, "%s/status/503\n", srv.URL())
	html, md, step := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.md"), filepath.Join(dir, "step.md")
	ndjson := filepath.Join(dir, "run.ndjson")
	listFile := filepath.Join(dir, "urls.txt")
	os.WriteFile(listFile, []byte(list.String()), 0o644)
	res := runShell(t, dir, "GITHUB_STEP_SUMMARY="+step+" fetch --compare --repeat 2 -q --json -i urls.txt --gate 'p99<10s' --gate failed=0 --report r.html --report r.md > run.ndjson")
	if res.code != 3 || !strings.Contains(res.stderr, "fetch: sync: gate failed=0 not met: failed was 2, limit 0") {
		t.Fatalf("exit %d, stderr %q; want 3 for the 503 of each run", res.code, res.stderr)
	}
	gotHTML, err1 := os.ReadFile(html)
	if !bytes.HasPrefix(gotHTML, []byte("<!DOCTYPE html>")) {
		t.Errorf("%s is not an HTML page: %.100q", html, gotHTML)
	}
	gotMD, err2 := os.ReadFile(md)
	stepMD, err3 := os.ReadFile(step)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stepMD, append(slices.Clone(gotMD), '\n')) {
		t.Errorf("GITHUB_STEP_SUMMARY:\n%s\nwant the Markdown report", stepMD)
	}
	for _, want := range []string{"| ❌ FAIL | failed=0 (sync) | 2 | 0 |", "| sync | HTTP 503 | 2 |", "31 URLs; sync and async, 2 runs each"} {
		if !bytes.Contains(gotMD, []byte(want)) {
			t.Errorf("the Markdown lacks %q:\n%s", want, gotMD)
		}
	}
	again := fetch(t, "", "report", ndjson, "-o", filepath.Join(dir, "again.html"), "-o", filepath.Join(dir, "again.md"))
	if again.code != 0 {
		t.Fatalf("fetch report: exit %d: %s", again.code, again.stderr)
	}
	for _, f := range []struct{ name, orig string }{{"again.html", html}, {"again.md", md}} {
		b1, _ := os.ReadFile(filepath.Join(dir, f.name))
		b0, _ := os.ReadFile(f.orig)
		if !bytes.Equal(b0, b1) {
			t.Errorf("fetch report's %s differs from the run's %s", f.name, filepath.Base(f.orig))
		}
	}
}
