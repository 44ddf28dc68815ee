package report_test

import (
	"fmt"
	"os"
	"time"

	"github.com/greenfetch/greenfetch/internal/gate"
	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/stats"
)

func Example() {
	// Two modes of a --compare --repeat 3 run: their run times and the
	// histograms of their fetches' total times.
	var syncLat, asyncLat stats.Histogram
	for i := range 100 {
		syncLat.Record(time.Duration(20+i%10) * time.Millisecond)
		asyncLat.Record(time.Duration(25+i%20) * time.Millisecond)
	}
	m := &report.Model{
		Title: "nightly fetch",
		Modes: []report.Mode{
			{Mode: "sync", Runs: []time.Duration{2500 * time.Millisecond, 2450 * time.Millisecond, 2550 * time.Millisecond},
				URLs: 101, OK: 100, Failed: 1, Bytes: 512000, RPS: 40.4, Latency: report.DistOf(&syncLat),
				Failures: []report.Failure{{Status: 503, Count: 1, Example: "http://127.0.0.1:8080/a|b"}}},
			{Mode: "async", Runs: []time.Duration{510 * time.Millisecond, 490 * time.Millisecond, 500 * time.Millisecond},
				URLs: 101, OK: 101, Bytes: 517120, RPS: 202, Latency: report.DistOf(&asyncLat)},
		},
	}
	m.Comparison = report.CompareModes(m.Modes)

	// A gate judged on the comparison.
	g, err := gate.Parse("speedup.lo>=4")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := m.Comparison.Speedups[0]
	m.Gates = append(m.Gates, report.GateOf(g.Judge(func(key string) (float64, bool) {
		return s.Lo, key == "speedup.lo"
	})))

	if err := report.RenderMarkdown(os.Stdout, m); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ## nightly fetch
	//
	// ### Summary
	//
	// | mode | runs | wall | wall mean ± σ | URLs | ok | failed | bytes | results/s |
	// | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
	// | sync | 3 | 2.50s | 2.50s ± 50.0ms | 101 | 100 | 1 | 500 KiB | 40.4 |
	// | async | 3 | 500ms | 500ms ± 10.0ms | 101 | 101 | 0 | 505 KiB | 202 |
	//
	// Latency of the successful fetches:
	//
	// | mode | p50 | p90 | p95 | p99 | p99.9 | max | mean ± σ |
	// | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
	// | sync | 24.1ms | 28.0ms | 29.0ms | 29.0ms | 29.0ms | 29.0ms | 24.5ms ± 2.89ms |
	// | async | 33.9ms | 42.1ms | 43.1ms | 43.9ms | 44.0ms | 44.0ms | 34.5ms ± 5.80ms |
	//
	// ### Comparison
	//
	// Speedup over sync: ratio of geometric means of the wall times, Welch's t-interval on their logs, 95% interval.
	//
	// | mode | speedup | 95% interval |
	// | :--- | ---: | ---: |
	// | async | 5.00× | 4.78× – 5.23× |
	//
	// ### Gates: all 1 met
	//
	// |  | gate | value | limit |
	// | :---: | :--- | ---: | ---: |
	// | ✅ pass | speedup.lo>=4 | 4.78× | 4× |
	//
	// ### Failures
	//
	// | mode | kind | count | example | message |
	// | :--- | :--- | ---: | :--- | :--- |
	// | sync | HTTP 503 | 1 | http://127.0.0.1:8080/a\|b |  |
}
