package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

func TestPercentileExact(t *testing.T) {
	var l latencies
	for _, ms := range []int{5, 1, 4, 2, 3, 10, 9, 8, 7, 6} {
		l.add(time.Duration(ms) * time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 5 * time.Millisecond}, {95, 10 * time.Millisecond}, {90, 9 * time.Millisecond}, {10, time.Millisecond}, {100, 10 * time.Millisecond}}
	for _, tt := range tests {
		if got := l.percentile(tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v; want %v", tt.p, got, tt.want)
		}
	}
	var empty latencies
	if got := empty.percentile(50); got != 0 {
		t.Errorf("empty percentile(50) = %v; want 0", got)
	}
}

// TestPercentileHistogram: past maxExactLatencies samples, memory stops
// growing and percentiles stay within the 1% of a bucket.
func TestPercentileHistogram(t *testing.T) {
	var l latencies
	n := 5 * maxExactLatencies
	for i := 1; i <= n; i++ { // 1ms .. 50s, uniformly
		l.add(time.Duration(i) * time.Millisecond)
	}
	if l.exact != nil || len(l.hist) > 4000 {
		t.Errorf("got %d exact samples and %d buckets; want the histogram only, bounded", len(l.exact), len(l.hist))
	}
	for _, p := range []float64{50, 95, 99} {
		want := time.Duration(p/100*float64(n)) * time.Millisecond
		got := l.percentile(p)
		if diff := float64(got-want) / float64(want); diff > 0.011 || diff < -0.011 {
			t.Errorf("percentile(%v) = %v; want %v within 1%%", p, got, want)
		}
	}
	if l.max != time.Duration(n)*time.Millisecond {
		t.Errorf("max = %v; want %v (exact)", l.max, time.Duration(n)*time.Millisecond)
	}
}

func TestSlowest(t *testing.T) {
	s := newSummary(fetcher.ModeAsync, 3)
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
	list := newSummary(fetcher.ModeAsync, 1)
	r := fetcher.Result{Type: "result", URL: okA, Status: 200, Bytes: 3, Timings: fetcher.Timings{Total: time.Second}}
	list.add(&r)
	list.setStats(crawlStatsAll.Fetch)
	cr := newSummary(fetcher.ModeAsync, 1)
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
