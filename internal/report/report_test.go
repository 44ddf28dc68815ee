package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/gate"
	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
	"github.com/greenfetch/greenfetch/internal/stats"
)

func render(t *testing.T, m *report.Model) (html, md string) {
	t.Helper()
	var h, d bytes.Buffer
	if err := report.RenderHTML(&h, m); err != nil {
		t.Fatalf("RenderHTML: %v", err)
	}
	if err := report.RenderMarkdown(&d, m); err != nil {
		t.Fatalf("RenderMarkdown: %v", err)
	}
	return h.String(), d.String()
}

// TestDeterministic renders one Model many times (its Phases are a map)
// and wants the same bytes each time.
func TestDeterministic(t *testing.T) {
	m := reporttest.Sample(300, 7)
	html0, md0 := render(t, m)
	for range 20 {
		html, md := render(t, m)
		if html != html0 || md != md0 {
			t.Fatal("two renderings of one Model differ")
		}
	}
}

// TestJSONRoundTrip encodes a Model, decodes it, and wants the same Model
// and the same reports.
func TestJSONRoundTrip(t *testing.T) {
	m := reporttest.Sample(200, 1)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back report.Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, &back) {
		t.Fatal("the Model decoded from its JSON differs from the Model")
	}
	html0, md0 := render(t, m)
	html1, md1 := render(t, &back)
	if html0 != html1 || md0 != md1 {
		t.Error("the reports of the decoded Model differ")
	}
	for _, key := range []string{`"runs_ns"`, `"latency"`, `"p999_ns"`, `"buckets"`, `"lo_ns"`, `"phases"`, `"ttfb"`, `"slowest"`, `"queue_ns"`, `"failures"`, `"comparison"`, `"speedups"`, `"has_ci"`, `"gates"`, `"expr"`, `"met"`, `"baseline"`, `"significant"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("the JSON lacks %s", key)
		}
	}
}

// TestEmptyAndDegenerate renders Models with nothing in them, with no
// successful fetch, with one run, and with numbers JSON cannot hold: no
// panic, no chart without data, and dashes where there is no number.
func TestEmptyAndDegenerate(t *testing.T) {
	var one stats.Histogram
	one.Record(5 * time.Millisecond)
	tests := []struct {
		name       string
		m          *report.Model
		wantHTML   []string
		wantMD     []string
		noHTML     []string
		wantCharts int
	}{
		{name: "empty", m: &report.Model{}, wantHTML: []string{"No mode ran."}, wantMD: []string{"No mode ran."}, noHTML: []string{`id="latency"`}},
		{name: "all failed", m: &report.Model{Modes: []report.Mode{{Mode: "async", Runs: []time.Duration{time.Second}, URLs: 3, Failed: 3,
			Failures: []report.Failure{{Kind: "dns", Count: 3, Example: "http://nx.invalid/", Message: "no such host"}}}}},
			wantHTML: []string{"no such host"}, wantMD: []string{"| async | dns | 3 |", "| async | — | — |"}, noHTML: []string{`id="latency"`, `id="slowest"`}},
		{name: "one sample one run", m: &report.Model{Modes: []report.Mode{{Mode: "sync", Runs: []time.Duration{time.Second}, URLs: 1, OK: 1, Latency: report.DistOf(&one),
			Slowest: []report.Fetch{{URL: "http://127.0.0.1/", Total: 5 * time.Millisecond, TTFB: 4 * time.Millisecond}}}}},
			wantHTML: []string{"latency CDF", "waterfall of the slowest"}, wantMD: []string{"| sync | 1 | 1.00s |"}},
		{name: "no interval", m: &report.Model{
			Modes:      []report.Mode{{Mode: "sync", Runs: []time.Duration{time.Second}}, {Mode: "async", Runs: []time.Duration{time.Second / 4}}},
			Comparison: report.CompareModes([]report.Mode{{Mode: "sync", Runs: []time.Duration{time.Second}}, {Mode: "async", Runs: []time.Duration{time.Second / 4}}}),
		}, wantMD: []string{"| async | 4.00× | — (needs 2 runs a mode) |"}, wantHTML: []string{"async ran 4.00× as fast as sync"}},
		{name: "not finite", m: &report.Model{
			Modes:      []report.Mode{{Mode: "sync", RPS: math.Inf(1)}},
			Comparison: &report.Comparison{Base: "sync", Speedups: []report.Speedup{{Mode: "async", Ratio: math.NaN(), Lo: math.Inf(-1), Hi: math.Inf(1), HasCI: true}}, MinSpeedup: math.Inf(1)},
			Gates:      []report.Gate{{Expr: "p95<1ms", Value: math.NaN(), Limit: 1, Unit: "ms", Available: true}},
			Baseline:   &report.Baseline{Stat: "p95", Modes: []report.ModeDiff{{Mode: "sync", Relative: math.Inf(1), Decidable: true, Significant: true}}},
		}, wantMD: []string{"| sync | 0 | 0 | 0 | 0 | 0 | 0 B | — |", "| async | — | — – — |", "Speedup over sync, 95% interval.", `| ❌ FAIL | p95&lt;1ms | — | 1ms |`, "| sync | **p95** | 0 | 0 | — |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, md := render(t, tt.m)
			checkTables(t, md)
			for _, s := range tt.wantHTML {
				if !strings.Contains(html, s) {
					t.Errorf("the HTML lacks %q", s)
				}
			}
			for _, s := range tt.noHTML {
				if strings.Contains(html, s) {
					t.Errorf("the HTML has %q", s)
				}
			}
			for _, s := range tt.wantMD {
				if !strings.Contains(md, s) {
					t.Errorf("the Markdown lacks %q; got:\n%s", s, md)
				}
			}
			if strings.Contains(html, "NaN") || strings.Contains(html, "Inf") || strings.Contains(md, "NaN") || strings.Contains(md, "Inf") {
				t.Error("a report shows NaN or Inf")
			}
		})
	}
}

// errWriter fails every write.
type errWriter struct{}

var errWrite = errors.New("disk full")

func (errWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteError(t *testing.T) {
	m := reporttest.Sample(50, 1)
	if err := report.RenderHTML(errWriter{}, m); !errors.Is(err, errWrite) {
		t.Errorf("RenderHTML to a failing writer = %v; want %v", err, errWrite)
	}
	if err := report.RenderMarkdown(errWriter{}, m); !errors.Is(err, errWrite) {
		t.Errorf("RenderMarkdown to a failing writer = %v; want %v", err, errWrite)
	}
}

// spread returns a histogram with samples in every bucket from 1µs to
// 100s, times copies: the widest distribution a run can have.
func spread(copies int) *stats.Histogram {
	h := new(stats.Histogram)
	for d := time.Microsecond; d <= 100*time.Second; d += max(d/256, 1) {
		for range copies {
			h.Record(d)
		}
	}
	return h
}

// bigModel is a three-mode run at the renderers' limits: every bucket
// filled, more slowest fetches, failure kinds and longer URLs than any
// report shows.
func bigModel(copies int) *report.Model {
	h := report.DistOf(spread(copies))
	long := "http://127.0.0.1:8080/" + strings.Repeat("x", 5000)
	m := &report.Model{Title: "big"}
	for _, name := range []string{"sync", "threads", "async"} {
		md := report.Mode{Mode: name, Runs: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, URLs: h.Count, OK: h.Count, Latency: h,
			Phases: map[string]report.Dist{}}
		for _, p := range report.PhaseNames {
			md.Phases[p] = h
		}
		for i := range 100 {
			md.Slowest = append(md.Slowest, report.Fetch{URL: long, Queue: time.Second, DNS: time.Second, Connect: time.Second, TLS: time.Second, TTFB: 5 * time.Second, Total: time.Duration(100-i) * time.Second})
			md.Failures = append(md.Failures, report.Failure{Status: 400 + i, Count: int64(copies * (i + 1)), Example: long, Message: long})
		}
		m.Modes = append(m.Modes, md)
	}
	m.Comparison = report.CompareModes(m.Modes)
	return m
}

// TestSizeBounded checks that a report's size does not grow with the
// number of URLs: the same shape of run with 1000 times the fetches
// renders to the same size, but for the digits of the counts, and a run
// at every limit stays small.
func TestSizeBounded(t *testing.T) {
	html1, md1 := render(t, bigModel(1))
	html1000, md1000 := render(t, bigModel(1000))
	for _, c := range []struct {
		name      string
		small     string
		large     string
		maxGrowth float64
	}{{"HTML", html1, html1000, 0.02}, {"Markdown", md1, md1000, 0.05}} {
		growth := float64(len(c.large))/float64(len(c.small)) - 1
		t.Logf("%s: %d bytes with %d fetches a mode, %d with 1000 times as many", c.name, len(c.small), bigModel(1).Modes[0].URLs, len(c.large))
		if growth > c.maxGrowth {
			t.Errorf("%s grew by %.1f%% with 1000 times the fetches; want at most %.0f%%", c.name, 100*growth, 100*c.maxGrowth)
		}
	}
	const limit = 512 << 10
	if len(html1000) > limit {
		t.Errorf("the HTML of a run at every limit is %d bytes; want at most %d", len(html1000), limit)
	}
	if n := strings.Count(html1, `class="url ymid"`); n != 3*report.MaxSlowest {
		t.Errorf("the waterfalls draw %d fetches; want %d (MaxSlowest a mode)", n, 3*report.MaxSlowest)
	}
	if n := strings.Count(md1, "| sync | HTTP "); n != report.MaxFailureRows-1 {
		t.Errorf("the Markdown lists %d kinds of failure of sync and an other row; want %d and one", n, report.MaxFailureRows-1)
	}
	if !strings.Contains(md1, "| sync | other |") {
		t.Error("the Markdown lacks the other row of the failures past MaxFailureRows")
	}
}

// TestSampleSize states the size of the report of a three-mode run, as
// the package doc does.
func TestSampleSize(t *testing.T) {
	html, md := render(t, reporttest.Sample(200, 1))
	t.Logf("three-mode report: HTML %d bytes, Markdown %d bytes", len(html), len(md))
	if len(html) > 150<<10 {
		t.Errorf("the HTML of a three-mode run is %d bytes; the package doc says about 93 KB", len(html))
	}
}

func TestCompareModes(t *testing.T) {
	modes := reporttest.Sample(50, 3).Modes
	c := report.CompareModes(modes)
	if c.Base != "sync" || len(c.Speedups) != 2 || c.Method != report.SpeedupMethod || c.Confidence != stats.Confidence {
		t.Fatalf("CompareModes = %+v; want speedups of threads and async over sync", c)
	}
	secs := func(m report.Mode) []float64 {
		var xs []float64
		for _, r := range m.Runs {
			xs = append(xs, r.Seconds())
		}
		return xs
	}
	for i, s := range c.Speedups {
		want, err := stats.SpeedupOf(secs(modes[0]), secs(modes[i+1]))
		if err != nil {
			t.Fatal(err)
		}
		if s.Mode != modes[i+1].Mode || s.Ratio != want.Ratio || s.Lo != want.Lo || s.Hi != want.Hi || !s.HasCI {
			t.Errorf("speedup %d = %+v; want %+v of %s", i, s, want, modes[i+1].Mode)
		}
	}
	if c := report.CompareModes(modes[:1]); c != nil {
		t.Errorf("CompareModes of one mode = %+v; want nil", c)
	}
	noRuns := []report.Mode{modes[0], {Mode: "async"}}
	if c := report.CompareModes(noRuns); len(c.Speedups) != 0 {
		t.Errorf("CompareModes with a mode without runs = %+v; want no speedup", c.Speedups)
	}
}

func TestGateOf(t *testing.T) {
	lookup := func(key string) (float64, bool) {
		v, ok := map[string]float64{"p95": 250, "dns.p99": 3, "failed": 2, "failed%": 0.5, "rps": 800, "speedup": 1.9, "regression": math.Inf(1)}[key]
		return v, ok
	}
	tests := []struct {
		expr string
		want report.Gate
	}{
		{"p95<300ms", report.Gate{Expr: "p95<300ms", Value: 250, Limit: 300, Unit: "ms", Met: true, Available: true}},
		{"p95<0.2s", report.Gate{Expr: "p95<0.2s", Value: 250, Limit: 200, Unit: "ms", Available: true}},
		{"dns.p99<=5", report.Gate{Expr: "dns.p99<=5", Value: 3, Limit: 5, Unit: "ms", Met: true, Available: true}},
		{"failed=0", report.Gate{Expr: "failed=0", Value: 2, Limit: 0, Available: true}},
		{"failed<=1%", report.Gate{Expr: "failed<=1%", Value: 0.5, Limit: 1, Unit: "%", Met: true, Available: true}},
		{"rps>=500", report.Gate{Expr: "rps>=500", Value: 800, Limit: 500, Unit: "/s", Met: true, Available: true}},
		{"speedup>=1.5", report.Gate{Expr: "speedup>=1.5", Value: 1.9, Limit: 1.5, Unit: "x", Met: true, Available: true}},
		{"speedup.lo>=1.5", report.Gate{Expr: "speedup.lo>=1.5", Limit: 1.5, Unit: "x"}},
		{"regression<=10%", report.Gate{Expr: "regression<=10%", Value: 0, Limit: 10, Unit: "%", Available: true}},
	}
	for _, tt := range tests {
		g, err := gate.Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := report.GateOf(g.Judge(lookup)); got != tt.want {
			t.Errorf("GateOf(%s) = %+v; want %+v", tt.expr, got, tt.want)
		}
	}
}

func TestDistOf(t *testing.T) {
	if d := report.DistOf(nil); !reflect.DeepEqual(d, report.Dist{}) {
		t.Errorf("DistOf(nil) = %+v; want the zero Dist", d)
	}
	var h stats.Histogram
	for i := range 1000 {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	d := report.DistOf(&h)
	s := h.Summary()
	if d.Count != s.Count || d.P50 != s.P50 || d.P999 != s.P999 || d.Max != s.Max || d.Stddev != s.Stddev {
		t.Errorf("DistOf = %+v; want the numbers of %+v", d, s)
	}
	var n int64
	for i, b := range d.Buckets {
		n += b.Count
		if b.Lo > b.Hi || (i > 0 && b.Lo <= d.Buckets[i-1].Hi) {
			t.Errorf("bucket %d is [%v, %v] after [%v, %v]", i, b.Lo, b.Hi, d.Buckets[i-1].Lo, d.Buckets[i-1].Hi)
		}
	}
	if n != 1000 || d.Buckets[0].Lo != h.Min() || d.Buckets[len(d.Buckets)-1].Hi != h.Max() {
		t.Errorf("the buckets hold %d samples from %v to %v; want 1000 from %v to %v", n, d.Buckets[0].Lo, d.Buckets[len(d.Buckets)-1].Hi, h.Min(), h.Max())
	}
}

func TestModeDiffOf(t *testing.T) {
	ch := stats.Diff([]float64{1, 1.01, 0.99, 1.02, 1}, []float64{1.5, 1.52, 1.49, 1.51, 1.5}, stats.Median)
	d := report.ModeDiffOf("async", report.Snapshot{Wall: time.Second}, report.Snapshot{Wall: 1500 * time.Millisecond}, ch)
	if d.Relative != ch.Relative || d.P != ch.Test.P || !d.Significant || !d.Decidable {
		t.Errorf("ModeDiffOf = %+v; want the numbers of %+v", d, ch)
	}
	_, md := render(t, &report.Model{Baseline: &report.Baseline{Stat: "wall", Test: report.DiffTest, Modes: []report.ModeDiff{d}}})
	if !strings.Contains(md, "| async | **wall** | 1.00s | 1.50s | +50.0% | slower beyond noise (p = 0.0079) |") {
		t.Errorf("the baseline table lacks the verdict of async; got:\n%s", md)
	}
	// From a baseline of 0 (nothing succeeded then) the change is
	// infinite: JSON cannot hold it.
	inf := report.ModeDiffOf("async", report.Snapshot{}, report.Snapshot{P95: time.Second}, stats.Diff([]float64{0}, []float64{1}, stats.Median))
	if inf.Relative != 0 {
		t.Errorf("ModeDiffOf from 0 has Relative %v; want 0", inf.Relative)
	}
	if _, err := json.Marshal(inf); err != nil {
		t.Error(err)
	}
}
