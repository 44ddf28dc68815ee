package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/report"
)

// exactPercentile is the nearest-rank p-th percentile of sorted (the
// rule of p50_ms since it was exact): the value of rank ceil(p/100 × n).
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if p == 99.9 { // ceil(0.999 × n) in integers: a float product can land a rank too high
		rank = int((999*int64(len(sorted)) + 999) / 1000)
	}
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// within1pct reports whether got is within 1% of want.
func within1pct(got, want float64) bool {
	return math.Abs(got-want) <= 0.01*math.Abs(want)
}

// TestSummaryPercentiles feeds a summary results whose times spread over
// four powers of ten (log-normal, from a fixed seed), computes the exact
// percentiles of the results, and holds latency_ms and each phase of
// phases_ms to 1% of them (the histogram promises 0.39%); min, max and
// mean are exact (to the microsecond of the JSON). Failed results count
// in failures, not in the distributions.
func TestSummaryPercentiles(t *testing.T) {
	for _, n := range []int{1, 2, 7, 1000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			s := newSummary(fetcher.ModeAsync, 0, false)
			var totals, ttfbs, queues []time.Duration
			var sum float64
			for i := 0; i < n; i++ {
				total := time.Duration(math.Exp(rng.NormFloat64()*1.5) * float64(20*time.Millisecond))
				r := fetcher.Result{URL: fmt.Sprintf("http://h.test/%d", i), Status: 200, Index: int64(i)}
				r.Timings = fetcher.Timings{Queue: time.Duration(rng.IntN(1e6)), DNS: time.Duration(rng.IntN(2)) * time.Millisecond, TTFB: total * 9 / 10, Total: total}
				s.add(&r)
				totals, ttfbs, queues = append(totals, total), append(ttfbs, r.Timings.TTFB), append(queues, r.Timings.Queue)
				sum += float64(total)
				if i%10 == 0 { // a failure every ten: not in the distributions
					f := fetcher.Result{URL: "http://h.test/x", Status: 503, Index: int64(i), Timings: fetcher.Timings{Total: time.Hour}}
					s.add(&f)
				}
			}
			rec := summaryRecord(s)
			check := func(name string, d *jsonDist, ds []time.Duration) {
				t.Helper()
				slices.Sort(ds)
				for _, p := range []struct {
					p   float64
					got float64
				}{{50, d.P50}, {90, d.P90}, {95, d.P95}, {99, d.P99}, {99.9, d.P999}} {
					want := fetcher.DurationMS(exactPercentile(ds, p.p))
					if !within1pct(p.got, want) {
						t.Errorf("%s p%v = %v ms; want %v ms within 1%%", name, p.p, p.got, want)
					}
				}
				if want := fetcher.DurationMS(ds[len(ds)-1]); d.Max != want {
					t.Errorf("%s max = %v ms; want %v (exact)", name, d.Max, want)
				}
				if want := fetcher.DurationMS(ds[0]); d.Min != want {
					t.Errorf("%s min = %v ms; want %v (exact)", name, d.Min, want)
				}
			}
			check("latency_ms", rec.Latency, totals)
			check("phases_ms.ttfb", rec.Phases.TTFB, ttfbs)
			check("phases_ms.queue", rec.Phases.Queue, queues)
			if want := float64(time.Duration(sum/float64(n)).Round(time.Microsecond)) / 1e6; math.Abs(rec.Latency.Mean-want) > 0.0011 {
				t.Errorf("mean = %v ms; want %v", rec.Latency.Mean, want)
			}
			if *rec.P50MS != rec.Latency.P50 || *rec.P95MS != rec.Latency.P95 || *rec.MaxMS != rec.Latency.Max {
				t.Errorf("p50_ms, p95_ms, max_ms = %v, %v, %v; want latency_ms's %v, %v, %v", *rec.P50MS, *rec.P95MS, *rec.MaxMS, rec.Latency.P50, rec.Latency.P95, rec.Latency.Max)
			}
			var count int64
			for _, b := range rec.LatencyHist {
				count += b[2]
			}
			if count != int64(n) {
				t.Errorf("latency_hist counts %d fetches; want %d", count, n)
			}
			if len(rec.Failures) != 1 || rec.Failures[0].Status != 503 || rec.Failures[0].Count != int64((n+9)/10) {
				t.Errorf("failures = %+v; want one kind, 503, counted %d times", rec.Failures, (n+9)/10)
			}
			if want := min(n, report.MaxSlowest); len(rec.Waterfall) != want || fetcher.DurationMS(totals[len(totals)-1]) != fetcher.DurationMS(rec.Waterfall[0].Timings.Total) {
				t.Errorf("waterfall has %d fetches, the first of %v; want %d, the slowest (%v)", len(rec.Waterfall), rec.Waterfall[0].Timings.Total, want, totals[len(totals)-1])
			}
		})
	}
}

// TestSummaryFromDue: with --rate, latency counts from when each fetch
// was due: its queue time and its total.
func TestSummaryFromDue(t *testing.T) {
	s := newSummary(fetcher.ModeAsync, 0, true)
	r := fetcher.Result{URL: "http://h.test/", Status: 200, Timings: fetcher.Timings{Queue: 30 * time.Millisecond, Total: 10 * time.Millisecond}}
	s.add(&r)
	rec := summaryRecord(s)
	if rec.Latency.Max != 40 || rec.LatencyFrom != "due" || rec.Phases.Queue.Max != 30 {
		t.Errorf("latency max %v ms from %q, queue %v ms; want 40 ms from \"due\", queue 30 ms", rec.Latency.Max, rec.LatencyFrom, rec.Phases.Queue.Max)
	}
}

// TestSummaryAddAllocs: counting a result allocates nothing once the
// slowest are kept, so a summary's memory does not grow with the list.
func TestSummaryAddAllocs(t *testing.T) {
	s := newSummary(fetcher.ModeAsync, 5, false)
	r := fetcher.Result{URL: "http://h.test/", Status: 200, Timings: fetcher.Timings{Total: 10 * time.Millisecond}}
	for i := 0; i < 100; i++ {
		s.add(&r)
	}
	if n := testing.AllocsPerRun(1000, func() { s.add(&r) }); n != 0 {
		t.Errorf("summary.add allocates %v times a result; want 0", n)
	}
}

func TestSlowest(t *testing.T) {
	s := newSummary(fetcher.ModeAsync, 3, false)
	for i, ms := range []int{5, 50, 1, 50, 30, 2, 40} {
		r := fetcher.Result{URL: fmt.Sprintf("u%d", i), Status: 200, Index: int64(i)}
		r.Timings.Total = time.Duration(ms) * time.Millisecond
		s.add(&r)
	}
	var got []string
	for _, e := range s.slowestSorted() {
		got = append(got, e.url)
	}
	// Ties keep the earlier input line first.
	if want := "u1 u3 u6"; strings.Join(got, " ") != want {
		t.Errorf("slowest = %v; want %s", got, want)
	}
}

func TestSchedule(t *testing.T) {
	tests := []struct {
		modes  []fetcher.Mode
		repeat int
		want   string
	}{
		{[]fetcher.Mode{fetcher.ModeAsync}, 1, "[async]"},
		{[]fetcher.Mode{fetcher.ModeAsync}, 3, "[async async async]"},
		{[]fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync}, 1, "[sync async]"},
		{[]fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync}, 3, "[sync async async sync sync async]"},
		{[]fetcher.Mode{fetcher.ModeSync, fetcher.ModeThreads, fetcher.ModeAsync}, 2, "[sync threads async async threads sync]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(schedule(tt.modes, tt.repeat)); got != tt.want {
			t.Errorf("schedule(%v, %d) = %s; want %s", tt.modes, tt.repeat, got, tt.want)
		}
	}
}

func TestCompareRuns(t *testing.T) {
	s := time.Second
	runs := []runCost{{mode: fetcher.ModeSync, wall: 3 * s}, {mode: fetcher.ModeAsync, wall: 1 * s}, {mode: fetcher.ModeAsync, wall: 2 * s}, {mode: fetcher.ModeSync, wall: 5 * s}, {mode: fetcher.ModeSync, wall: 4 * s}, {mode: fetcher.ModeAsync, wall: 1500 * time.Millisecond}}
	c := compareRuns([]fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync}, runs, 2.5)
	if len(c.modes) != 2 {
		t.Fatalf("got %d modes; want 2", len(c.modes))
	}
	if m := c.modes[0]; m.median != 4*s || m.min != 3*s || m.max != 5*s || m.runs != 3 {
		t.Errorf("sync = %+v; want median 4s, min 3s, max 5s, 3 runs", m)
	}
	if m := c.modes[1]; m.median != 1500*time.Millisecond || m.min != s || m.max != 2*s {
		t.Errorf("async = %+v; want median 1.5s, min 1s, max 2s", m)
	}
	if want := 4.0 / 1.5; c.speedup != want {
		t.Errorf("speedup = %v; want %v", c.speedup, want)
	}
	if !c.gateMet() {
		t.Errorf("gate 2.5 with speedup %.2f: got not met; want met", c.speedup)
	}
	c.minSpeedup = 3
	if c.gateMet() {
		t.Errorf("gate 3 with speedup %.2f: got met; want not met", c.speedup)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 1..4 = %v; want 2 (mean of 2 and 3, truncated)", got)
	}
}

// TestLineWriterWholeLines: concurrent writers never interleave within a
// line, and each line is one Write.
func TestLineWriterWholeLines(t *testing.T) {
	var rec recordWriter
	lw := newLineWriter(&rec)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			line := []byte(strings.Repeat(string(rune('a'+g)), 1000) + "\n")
			for i := 0; i < 200; i++ {
				lw.writeLine(line)
			}
		}()
	}
	wg.Wait()
	if len(rec.writes) != 8*200 {
		t.Fatalf("got %d writes; want %d", len(rec.writes), 8*200)
	}
	for _, w := range rec.writes {
		if len(w) != 1001 || bytes.Count(w, w[:1]) != 1000 || w[1000] != '\n' {
			t.Fatalf("a write is not one whole line: %q...", w[:20])
		}
	}
}

type recordWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *recordWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 48708: "48.7 kB", 1_500_000_000: "1.5 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q; want %q", n, got, want)
		}
	}
}

// crawlStatsAll are crawl counters with every field set, the engine's
// too, so that a summary that leaves one out shows it.
var crawlStatsAll = crawl.Stats{Discovered: 5, SkippedRobots: 1, OutOfScope: 2, Duplicates: 3, Dropped: 1, LinksOverMax: 4, RobotsFetches: 1, Sitemaps: 1,
	Fetch: fetcher.Stats{DNS: fetcher.ResolverStats{Queries: 2, CacheHits: 1}, Requests: 4, Conns: 2, Reused: 2,
		ConnectLost: 1, ConnectFailed: 2, HTTP2Conns: 1, HTTP2Streams: 3}}

// TestCrawlSummaryHasListFields: a crawl's JSON summary has every field a
// list's has, in the same order, then the crawl counters (crawl.Stats's
// names); its text has the list's summary line, then the crawl line.
func TestCrawlSummaryHasListFields(t *testing.T) {
	list := newSummary(fetcher.ModeAsync, 1, false)
	r := fetcher.Result{Type: "result", URL: okA, Status: 200, Bytes: 3, Timings: fetcher.Timings{Total: time.Second}}
	list.add(&r)
	list.setStats(crawlStatsAll.Fetch)
	cr := newSummary(fetcher.ModeAsync, 1, false)
	cr.add(&r)
	cs := crawlStatsAll
	cs.Pages, cs.Left = 1, 2
	cr.setCrawl(cs)
	f := &formatter{json: true}
	listKeys, crawlKeys := jsonKeys(t, f.summary(nil, list)), jsonKeys(t, f.summary(nil, cr))
	for _, k := range []string{"h2_conns", "h2_streams", "connect_attempts_lost", "connect_attempts_failed", "slowest"} {
		if !slices.Contains(listKeys, k) {
			t.Errorf("list summary keys %v; want %s (its stats are all set)", listKeys, k)
		}
	}
	wantKeys := append(slices.Clone(listKeys), "pages", "discovered", "skipped_robots", "out_of_scope", "duplicates", "dropped", "links_over_max",
		"robots_fetches", "robots_errors", "sitemaps", "left")
	if !slices.Equal(crawlKeys, wantKeys) {
		t.Errorf("crawl summary keys\n%v\nwant\n%v", crawlKeys, wantKeys)
	}
	f.json = false
	listText, crawlText := string(f.summary(nil, list)), string(f.summary(nil, cr))
	want := strings.Replace(listText, ", 3 bytes", ", 2 not started, 3 bytes", 1) + // the crawl's left
		"crawl: 1 pages, 5 discovered, 1 skipped by robots.txt, 2 out of scope, 3 duplicates, 1 dropped, 4 links past --max-links-per-page, 2 left unfetched\n"
	if !strings.Contains(listText, "HTTP/2 3 streams on 1 conns") || crawlText != want {
		t.Errorf("crawl text summary\n%s\nwant\n%s", crawlText, want)
	}
}

// jsonKeys returns the keys of the JSON object line b, in order.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
	}
	return keys
}
