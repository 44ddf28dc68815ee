package main

import (
	"container/heap"
	"slices"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// The phases of a fetch that the summary keeps a distribution of, in
// the order of report.PhaseNames (and of timings_ms).
const (
	phaseQueue = iota
	phaseDNS
	phaseConnect
	phaseTLS
	phaseTTFB
	numPhases
)

// phaseTimes returns the phases of t in the order of the phase constants.
func phaseTimes(t *fetcher.Timings) [numPhases]time.Duration {
	return [numPhases]time.Duration{t.Queue, t.DNS, t.Connect, t.TLS, t.TTFB}
}

// summary accumulates what a run delivered: a list's or a crawl's, from
// its results and, at its end, the engine's counters (setStats) and a
// crawl's (setCrawl). Every output of a summary (text, JSON) is rendered
// from it by formatter.summary. It is touched by the collector goroutine
// only.
type summary struct {
	mode     fetcher.Mode
	urls     int64
	ok       int64
	failed   int64
	canceled int64
	bytes    int64
	// notStarted counts the URL lines never started: read and not begun
	// when the run stopped early and, with countable input, those left
	// unread. urls + notStarted is the length of the list when
	// inputComplete.
	notStarted    int64
	inputComplete bool
	wall          time.Duration
	stats         fetcher.Stats // what the engine did on the wire (setStats)
	crawl         *crawl.Stats  // a crawl's counters (setCrawl); nil for a list
	list          bool          // crawl holds the counters of a list kept in a store
	slowest       slowestHeap   // the N slowest successful fetches (--slowest)
	nSlowest      int

	// The distributions of the successful fetches: their latency (the
	// total time; with --rate, from when each was due: queue + total,
	// wrk2's correction, see fromDue) and each phase's time. Histograms
	// of a fixed size (about 57 KiB each), whatever the number of URLs.
	lat    stats.Histogram
	phases [numPhases]stats.Histogram
	// fromDue counts latency from when a fetch was due by the --rate
	// schedule rather than from its start.
	fromDue bool
	// failures counts the failed results by kind (bounded by the kinds);
	// waterfall keeps the slowest successful fetches with their phases,
	// for the reports (report.MaxSlowest of them).
	failures  report.FailureTally
	waterfall report.SlowestTally
}

// newSummary returns the summary of a run of mode that lists its slowest
// successful fetches (0: none). With fromDue (--rate), latency counts from
// each fetch's due start.
func newSummary(mode fetcher.Mode, slowest int, fromDue bool) *summary {
	return &summary{mode: mode, nSlowest: slowest, inputComplete: true, fromDue: fromDue}
}

// setStats keeps the counters of the engine's run.
func (s *summary) setStats(st fetcher.Stats) { s.stats = st }

// setCrawl keeps the counters of a crawl (or of a list on a store): its
// engine's, its own, and what its frontier left (not started).
func (s *summary) setCrawl(cs crawl.Stats) {
	s.setStats(cs.Fetch)
	cs.Fetch = fetcher.Stats{} // kept once, in s.stats
	s.crawl = &cs
	s.notStarted = cs.Left // 0 with a store, whose queue is the next run's
}

// anyFailed reports whether the run failed anything: a URL, or a
// robots.txt that kept its origin out.
func (s *summary) anyFailed() bool {
	return s.failed > 0 || (s.crawl != nil && s.crawl.RobotsErrors > 0)
}

func (s *summary) add(r *fetcher.Result) {
	s.urls++
	if r.ErrorKind == fetcher.KindCanceled {
		s.canceled++
	}
	s.bytes += r.Bytes
	if !r.OK() {
		s.failed++
		if r.ErrorKind != fetcher.KindNone {
			s.failures.Add(r.ErrorKind.String(), 0, r.URL, errorMessage(r))
		} else {
			s.failures.Add("", r.Status, r.URL, "")
		}
		return
	}
	s.ok++
	t := &r.Timings
	lat := t.Total
	if s.fromDue {
		lat += t.Queue
	}
	s.lat.Record(lat)
	for i, d := range phaseTimes(t) {
		s.phases[i].Record(d)
	}
	s.waterfall.Add(report.Fetch{URL: r.URL, Status: r.Status, Queue: t.Queue, DNS: t.DNS, Connect: t.Connect, TLS: t.TLS, TTFB: t.TTFB, Total: t.Total})
	if s.nSlowest > 0 {
		e := slowEntry{r.Timings.Total, r.URL, r.Index}
		if s.slowest.Len() < s.nSlowest {
			heap.Push(&s.slowest, e)
		} else if s.slowest[0].less(e) {
			s.slowest[0] = e
			heap.Fix(&s.slowest, 0)
		}
	}
}

// slowestSorted returns the slowest fetches, slowest first.
func (s *summary) slowestSorted() []slowEntry {
	out := slices.Clone(s.slowest)
	slices.SortFunc(out, func(a, b slowEntry) int {
		if a.less(b) {
			return 1
		}
		if b.less(a) {
			return -1
		}
		return 0
	})
	return out
}

type slowEntry struct {
	total time.Duration
	url   string
	index int64
}

// less orders by time, then later input first, so that ties keep the
// earlier lines among the slowest.
func (e slowEntry) less(f slowEntry) bool {
	if e.total != f.total {
		return e.total < f.total
	}
	return e.index > f.index
}

// slowestHeap is a min-heap: the fastest of the slowest on top.
type slowestHeap []slowEntry

func (h slowestHeap) Len() int           { return len(h) }
func (h slowestHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h slowestHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slowestHeap) Push(x any)        { *h = append(*h, x.(slowEntry)) }
func (h *slowestHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
