package main

// The parts of the NDJSON summary and compare objects that describe
// distributions, failures and the slowest fetches: latency_ms, phases_ms,
// latency_hist, phases_hist, failures and waterfall. They are what the
// reports are drawn from (reports.go builds a report.Model from these
// records alone, whether the run just ended or was saved as NDJSON and is
// read back by fetch report), so they carry everything the reports show.
// Field names are a contract, as every field of the objects is.

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// jsonDist is a distribution of times in milliseconds (to the
// microsecond): latency_ms, and each phase of phases_ms. Percentiles are
// nearest-rank, within 0.39% (stats.Histogram); min, max, mean and stddev
// are exact.
type jsonDist struct {
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	Min    float64 `json:"min"`
}

// distOf returns the distribution h holds, or nil (JSON null) when it is
// empty.
func distOf(h *stats.Histogram) *jsonDist {
	if h.Count() == 0 {
		return nil
	}
	s := h.Summary()
	ms := fetcher.DurationMS
	return &jsonDist{P50: ms(s.P50), P90: ms(s.P90), P95: ms(s.P95), P99: ms(s.P99), P999: ms(s.P999),
		Max: ms(s.Max), Mean: ms(s.Mean), Stddev: ms(s.Stddev), Min: ms(s.Min)}
}

// jsonPhases is phases_ms: the distribution of each phase of the
// successful fetches, in the order they happen.
type jsonPhases struct {
	Queue   *jsonDist `json:"queue"`
	DNS     *jsonDist `json:"dns"`
	Connect *jsonDist `json:"connect"`
	TLS     *jsonDist `json:"tls"`
	TTFB    *jsonDist `json:"ttfb"`
}

// at returns the phase of index i (phaseQueue …).
func (p *jsonPhases) at(i int) *jsonDist {
	return *p.ptr(i)
}

func (p *jsonPhases) ptr(i int) **jsonDist {
	return [numPhases]**jsonDist{&p.Queue, &p.DNS, &p.Connect, &p.TLS, &p.TTFB}[i]
}

// phasesOf returns phases_ms of hs, or nil when they are empty.
func phasesOf(hs *[numPhases]stats.Histogram) *jsonPhases {
	if hs[0].Count() == 0 {
		return nil
	}
	p := new(jsonPhases)
	for i := range hs {
		*p.ptr(i) = distOf(&hs[i])
	}
	return p
}

// histBuckets is a histogram in compact form: its non-empty buckets in
// ascending order, each [lo_ns, hi_ns, count], counting the times d with
// lo <= d <= hi (nanoseconds); the lowest lo is the least time and the
// highest hi the greatest. At most the 7296 buckets of a stats.Histogram,
// however many fetches.
type histBuckets [][3]int64

// histOf returns the buckets of h.
func histOf(h *stats.Histogram) histBuckets {
	var out histBuckets
	for b := range h.Buckets() {
		out = append(out, [3]int64{int64(b.Lo), int64(b.Hi), b.Count})
	}
	return out
}

// jsonPhasesHist is phases_hist: the buckets of each phase's histogram.
type jsonPhasesHist struct {
	Queue   histBuckets `json:"queue"`
	DNS     histBuckets `json:"dns"`
	Connect histBuckets `json:"connect"`
	TLS     histBuckets `json:"tls"`
	TTFB    histBuckets `json:"ttfb"`
}

func (p *jsonPhasesHist) at(i int) histBuckets {
	return [numPhases]histBuckets{p.Queue, p.DNS, p.Connect, p.TLS, p.TTFB}[i]
}

// phasesHistOf returns phases_hist of hs, or nil when they are empty.
func phasesHistOf(hs *[numPhases]stats.Histogram) *jsonPhasesHist {
	if hs[0].Count() == 0 {
		return nil
	}
	return &jsonPhasesHist{Queue: histOf(&hs[phaseQueue]), DNS: histOf(&hs[phaseDNS]), Connect: histOf(&hs[phaseConnect]),
		TLS: histOf(&hs[phaseTLS]), TTFB: histOf(&hs[phaseTTFB])}
}

// jsonFailure counts the failed results of one kind: an error_kind, or
// (kind absent) a status of 400 or more, with the first URL that failed
// so and its message, each cut to 300 characters.
type jsonFailure struct {
	Kind    string `json:"kind,omitempty"`
	Status  int    `json:"status,omitempty"`
	Count   int64  `json:"count"`
	Example string `json:"example,omitempty"`
	Message string `json:"message,omitempty"`
}

// maxFailureKinds bounds the failure kinds merged over the runs of a
// mode, as report.FailureTally bounds those of a run: the rest are
// counted in one "other".
const maxFailureKinds = 1000

// mergeFailures adds the counts of from to into (the first example of a
// kind stays) and returns into, largest count first, then by label.
func mergeFailures(into, from []report.Failure) []report.Failure {
	for _, f := range from {
		i := slices.IndexFunc(into, func(g report.Failure) bool { return g.Kind == f.Kind && g.Status == f.Status })
		switch {
		case i >= 0:
			into[i].Count += f.Count
		case len(into) >= maxFailureKinds:
			j := slices.IndexFunc(into, func(g report.Failure) bool { return g.Kind == "other" && g.Status == 0 })
			if j < 0 {
				j = len(into) - 1 // the smallest makes room for "other"
				into[j] = report.Failure{Kind: "other", Message: "more kinds than a report lists"}
			}
			into[j].Count += f.Count
		default:
			into = append(into, f)
		}
	}
	slices.SortStableFunc(into, func(a, b report.Failure) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Label(), b.Label())
	})
	return into
}

func failuresJSON(fs []report.Failure) []jsonFailure {
	out := make([]jsonFailure, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFailure(f))
	}
	return out
}

// jsonFetch is a fetch of the waterfall: one of the slowest successful
// fetches (by total time), with its phases.
type jsonFetch struct {
	URL     string          `json:"url"`
	Status  int             `json:"status"`
	Timings fetcher.Timings `json:"timings_ms"`
}

func fetchesJSON(fs []report.Fetch) []jsonFetch {
	out := make([]jsonFetch, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFetch{URL: f.URL, Status: f.Status, Timings: fetcher.Timings{Queue: f.Queue, DNS: f.DNS, Connect: f.Connect, TLS: f.TLS, TTFB: f.TTFB, Total: f.Total}})
	}
	return out
}

// dists are the fields of the summary object, and of each mode of the
// compare object, that describe the fetches beyond their counts: they are
// embedded in both.
type dists struct {
	// RPS is results a second: the results of the runs over their wall
	// time.
	RPS float64 `json:"rps"`
	// Latency is the distribution of the successful fetches' latency:
	// their total time, or with --rate from when each was due (queue
	// and total); null when none succeeded. LatencyFrom says which:
	// "start" or "due".
	Latency     *jsonDist   `json:"latency_ms"`
	LatencyFrom string      `json:"latency_from"`
	Phases      *jsonPhases `json:"phases_ms"`
	// Failures are the failed results by kind, largest first.
	Failures []jsonFailure `json:"failures,omitempty"`
	// LatencyHist and PhasesHist are the histograms themselves, and
	// Waterfall the slowest successful fetches with their phases (at
	// most report.MaxSlowest): what the reports draw.
	LatencyHist histBuckets     `json:"latency_hist,omitempty"`
	PhasesHist  *jsonPhasesHist `json:"phases_hist,omitempty"`
	Waterfall   []jsonFetch     `json:"waterfall,omitempty"`
}

// latencyFrom names where latency counts from.
func latencyFrom(fromDue bool) string {
	if fromDue {
		return "due"
	}
	return "start"
}

// rps is n results over wall, or 0 for no time.
func rps(n int64, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return math.Round(float64(n)/wall.Seconds()*1000) / 1000
}

// distsOf returns the distributions of a summary.
func distsOf(s *summary) dists {
	return dists{
		RPS:         rps(s.urls, s.wall),
		Latency:     distOf(&s.lat),
		LatencyFrom: latencyFrom(s.fromDue),
		Phases:      phasesOf(&s.phases),
		Failures:    failuresJSON(s.failures.Failures()),
		LatencyHist: histOf(&s.lat),
		PhasesHist:  phasesHistOf(&s.phases),
		Waterfall:   fetchesJSON(s.waterfall.Fetches()),
	}
}

// modeTotals is what the runs of one mode delivered together: the
// numbers of that mode in the comparison, and the histograms --histogram
// draws. Memory is bounded by the histograms and the failure kinds, not
// by the runs or the URLs.
type modeTotals struct {
	mode                    fetcher.Mode
	runs                    int
	urls, ok, failed, bytes int64
	wall                    time.Duration // over every run, for rps
	fromDue                 bool
	lat                     stats.Histogram
	phases                  [numPhases]stats.Histogram
	failures                []report.Failure
	waterfall               report.SlowestTally
}

// add counts the run s in.
func (m *modeTotals) add(s *summary) {
	m.runs++
	m.urls += s.urls
	m.ok += s.ok
	m.failed += s.failed
	m.bytes += s.bytes
	m.wall += s.wall
	m.fromDue = s.fromDue
	m.lat.Merge(&s.lat)
	for i := range m.phases {
		m.phases[i].Merge(&s.phases[i])
	}
	m.failures = mergeFailures(m.failures, s.failures.Failures())
	for _, f := range s.waterfall.Fetches() {
		m.waterfall.Add(f)
	}
}

// dists returns the distributions of the mode's runs together.
func (m *modeTotals) dists() dists {
	return dists{
		RPS:         rps(m.urls, m.wall),
		Latency:     distOf(&m.lat),
		LatencyFrom: latencyFrom(m.fromDue),
		Phases:      phasesOf(&m.phases),
		Failures:    failuresJSON(m.failures),
		LatencyHist: histOf(&m.lat),
		PhasesHist:  phasesHistOf(&m.phases),
		Waterfall:   fetchesJSON(m.waterfall.Fetches()),
	}
}
