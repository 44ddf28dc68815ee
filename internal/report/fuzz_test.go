package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// FuzzRender decodes a Model from JSON (as one rebuilt from a saved file
// would be: any numbers, any strings, any lengths) and renders it both
// ways: no panic, a page of bounded size with no markup from the input,
// and Markdown tables that keep their cells.
func FuzzRender(f *testing.F) {
	// Small Models with every part: the fuzzer minimizes each input that
	// finds new code, and for a Model of tens of kilobytes (the package's
	// sample) that takes all of a short run.
	for _, m := range []*report.Model{smallModel(reporttest.HostileStrings[0]), smallModel("async"), {}, {Modes: []report.Mode{{Mode: "sync"}}}} {
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Numbers that disagree: buckets out of order, negative counts and
	// durations, a count that is not the buckets' sum.
	f.Add([]byte(`{"modes":[{"mode":"a","runs_ns":[-1,0,5],"latency":{"count":3,"min_ns":10,"max_ns":5,"p50_ns":-7,"buckets":[{"lo_ns":9,"hi_ns":2,"count":-4},{"lo_ns":1,"hi_ns":1,"count":9}]},"slowest":[{"url":"x","queue_ns":-5,"total_ns":-9,"ttfb_ns":99}]},{"mode":"b","runs_ns":[1]}],"comparison":{"base":"a","speedups":[{"mode":"b","ratio":-1,"lo":3,"hi":-2,"has_ci":true}],"min_speedup":-3},"baseline":{"modes":[{"mode":"a","relative":-2,"decidable":true,"significant":true}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m report.Model
		if err := json.Unmarshal(data, &m); err != nil {
			return
		}
		var h, md bytes.Buffer
		if err := report.RenderHTML(&h, &m); err != nil {
			t.Fatal(err)
		}
		if err := report.RenderMarkdown(&md, &m); err != nil {
			t.Fatal(err)
		}
		// Every list a page shows is capped, and every string cut to 300
		// runes: no Model makes a page bigger than this.
		if h.Len() > 4<<20 {
			t.Errorf("the page is %d bytes", h.Len())
		}
		page := h.String()
		for _, bad := range []string{"<script", "<img", "<iframe", "NaN", "Inf"} {
			if strings.Contains(page, bad) {
				t.Errorf("the page holds %q", bad)
			}
		}
		checkTables(t, md.String())
	})
}

// smallModel has every part of a Model, each with one or two entries, and
// name as the second mode's name, URL and messages.
func smallModel(name string) *report.Model {
	var h stats.Histogram
	for _, ms := range []int{3, 5, 40} {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	d := report.DistOf(&h)
	m := &report.Model{Title: name, Subtitle: name}
	for i, mode := range []string{"sync", name} {
		m.Modes = append(m.Modes, report.Mode{
			Mode: mode, Runs: []time.Duration{time.Duration(3-i) * time.Second, time.Duration(4-i) * time.Second},
			URLs: 4, OK: 3, Failed: 1, Bytes: 100, RPS: 2, Latency: d, Phases: map[string]report.Dist{"dns": d, "queue": d},
			Failures: []report.Failure{{Kind: "dns", Count: 1, Example: name, Message: name}, {Status: 503, Count: 1, Example: name}},
			Slowest:  []report.Fetch{{URL: name, Queue: time.Millisecond, DNS: time.Millisecond, TTFB: 20 * time.Millisecond, Total: 40 * time.Millisecond}},
		})
	}
	m.Comparison = report.CompareModes(m.Modes)
	m.Comparison.MinSpeedup = 1.2
	m.Gates = []report.Gate{{Expr: "p95<10ms", Value: 40, Limit: 10, Unit: "ms", Available: true}}
	m.Baseline = &report.Baseline{Name: name, Stat: "p95", Modes: []report.ModeDiff{{Mode: name, Old: report.Snapshot{P95: time.Second}, New: report.Snapshot{P95: 2 * time.Second}, Relative: 1, Decidable: true, Significant: true, P: 0.01}}}
	return m
}
