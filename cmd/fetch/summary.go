package main

import (
	"container/heap"
	"math"
	"slices"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// maxExactLatencies is how many latencies the summary keeps to compute
// exact percentiles; past it, they go into a log histogram whose buckets
// are 1% wide, so that memory stays flat however long the list.
const maxExactLatencies = 10000

// histGrowth is the width ratio of histogram buckets.
const histGrowth = 1.01

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
	lat           latencies
	slowest       slowestHeap // the N slowest successful fetches
	nSlowest      int
}

func newSummary(mode fetcher.Mode, slowest int) *summary {
	return &summary{mode: mode, nSlowest: slowest, inputComplete: true}
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
		return
	}
	s.ok++
	s.lat.add(r.Timings.Total)
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

// latencies computes nearest-rank percentiles: exactly up to
// maxExactLatencies samples, within 1% beyond.
type latencies struct {
	exact []time.Duration
	hist  []int64 // bucket counts once exact overflowed; nil before
	n     int64
	max   time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.n++
	l.max = max(l.max, d)
	if l.hist == nil {
		if len(l.exact) < maxExactLatencies {
			l.exact = append(l.exact, d)
			return
		}
		for _, e := range l.exact {
			l.addHist(e)
		}
		l.exact = nil
	}
	l.addHist(d)
}

func histBucket(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us < 1 {
		return 0
	}
	return 1 + int(math.Log(us)/math.Log(histGrowth))
}

// histValue is the geometric middle of bucket b.
func histValue(b int) time.Duration {
	if b == 0 {
		return 0
	}
	lo := math.Pow(histGrowth, float64(b-1))
	return time.Duration(lo * math.Sqrt(histGrowth) * float64(time.Microsecond))
}

func (l *latencies) addHist(d time.Duration) {
	if l.hist == nil {
		l.hist = make([]int64, 0, 2048)
	}
	b := histBucket(d)
	for len(l.hist) <= b {
		l.hist = append(l.hist, 0)
	}
	l.hist[b]++
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100), or
// 0 without samples.
func (l *latencies) percentile(p float64) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(p / 100 * float64(l.n)))
	rank = min(max(rank, 1), l.n)
	if l.hist == nil {
		slices.Sort(l.exact)
		return l.exact[rank-1]
	}
	var seen int64
	for b, c := range l.hist {
		seen += c
		if seen >= rank {
			return min(histValue(b), l.max)
		}
	}
	return l.max
}
