package report

import (
	"math"
	"time"

	"github.com/greenfetch/greenfetch/internal/gate"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// Model is everything a report shows, as plain data: the renderers read
// nothing else, and a Model encodes to JSON and back unchanged, so that
// it can be saved, or rebuilt from a saved NDJSON run. Every part but
// Modes is optional: a section whose part is empty is left out.
//
// Durations are time.Duration (nanoseconds in JSON, as the _ns field
// names say).
type Model struct {
	// Title heads the report. If empty, "fetch report" is used.
	Title string `json:"title,omitempty"`
	// Subtitle is a line under the title, such as the command and the
	// input; the renderers add no date of their own, so that one Model
	// always renders to the same bytes.
	Subtitle string `json:"subtitle,omitempty"`
	// Modes are the engines that ran (sync, threads, async), in the
	// order the report lists them (the command's --compare order).
	Modes []Mode `json:"modes"`
	// Comparison is the speedup of the modes over the first one; nil
	// without --compare.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Gates are the thresholds judged on the run, in the order given.
	Gates []Gate `json:"gates,omitempty"`
	// Baseline compares the run with an earlier one; nil without
	// --baseline.
	Baseline *Baseline `json:"baseline,omitempty"`
}

// Mode is what one engine did, over all its runs (several with
// --repeat).
type Mode struct {
	// Mode is the engine's name: "sync", "threads" or "async".
	Mode string `json:"mode"`
	// Runs holds the wall time of each run, in the order they ran.
	Runs []time.Duration `json:"runs_ns"`
	// URLs, OK, Failed and Bytes are the summary's counts (urls, ok,
	// failed, bytes).
	URLs   int64 `json:"urls"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
	Bytes  int64 `json:"bytes"`
	// RPS is results a second.
	RPS float64 `json:"rps"`
	// Latency is the distribution of the successful fetches' total time.
	Latency Dist `json:"latency"`
	// Phases are the distributions of the phases' times, by the names of
	// PhaseNames; a phase the run did not measure is absent.
	Phases map[string]Dist `json:"phases,omitempty"`
	// Failures counts the failed results by error kind, and those with
	// a status of 400 or more by status. The renderers list them by
	// count, largest first, and at most MaxFailureRows of them.
	Failures []Failure `json:"failures,omitempty"`
	// Slowest are the slowest fetches with their phases, slowest first;
	// the renderers draw at most MaxSlowest of them.
	Slowest []Fetch `json:"slowest,omitempty"`
}

// PhaseNames are the phases of a fetch in the order they happen, the
// keys of Mode.Phases and the names of fetch's timings_ms.
var PhaseNames = []string{"queue", "dns", "connect", "tls", "ttfb"}

// Wall returns the median of the mode's run times (the mean of the middle
// two for an even count; 0 without runs): the wall time the command
// reports and compares.
func (m *Mode) Wall() time.Duration {
	return time.Duration(m.wallSample().Median)
}

func (m *Mode) wallSample() stats.Sample {
	xs := make([]float64, len(m.Runs))
	for i, r := range m.Runs {
		xs[i] = float64(r)
	}
	return stats.Describe(xs)
}

// Dist is a distribution of durations: the numbers of fetch's latency_ms
// (stats.Summary) and the non-empty buckets of the histogram they came
// from, which the HTML charts draw.
type Dist struct {
	Count  int64         `json:"count"`
	Min    time.Duration `json:"min_ns"`
	Max    time.Duration `json:"max_ns"`
	Mean   time.Duration `json:"mean_ns"`
	Stddev time.Duration `json:"stddev_ns"`
	P50    time.Duration `json:"p50_ns"`
	P90    time.Duration `json:"p90_ns"`
	P95    time.Duration `json:"p95_ns"`
	P99    time.Duration `json:"p99_ns"`
	P999   time.Duration `json:"p999_ns"`
	// Buckets are the histogram's non-empty buckets in ascending order;
	// at most the 7296 of a stats.Histogram, however many samples.
	Buckets []Bucket `json:"buckets,omitempty"`
}

// Bucket counts the samples d with Lo <= d <= Hi.
type Bucket struct {
	Lo    time.Duration `json:"lo_ns"`
	Hi    time.Duration `json:"hi_ns"`
	Count int64         `json:"count"`
}

// DistOf returns the distribution h holds: its summary and its non-empty
// buckets. A nil or empty h gives the zero Dist.
func DistOf(h *stats.Histogram) Dist {
	if h == nil || h.Count() == 0 {
		return Dist{}
	}
	s := h.Summary()
	d := Dist{
		Count: s.Count, Min: s.Min, Max: s.Max, Mean: s.Mean, Stddev: s.Stddev,
		P50: s.P50, P90: s.P90, P95: s.P95, P99: s.P99, P999: s.P999,
	}
	for b := range h.Buckets() {
		d.Buckets = append(d.Buckets, Bucket{Lo: b.Lo, Hi: b.Hi, Count: b.Count})
	}
	return d
}

// Failure counts failed results of one kind: an error kind (fetch's
// error_kind: "dns", "timeout", …) when Status is 0, or a status of 400 or
// more.
type Failure struct {
	Kind   string `json:"kind,omitempty"`
	Status int    `json:"status,omitempty"`
	Count  int64  `json:"count"`
	// Example is one URL that failed so, and Message its error's text
	// (empty for a status), to show what the kind means.
	Example string `json:"example,omitempty"`
	Message string `json:"message,omitempty"`
}

// Label names the failure: its kind, or "HTTP 503" for a status.
func (f Failure) Label() string {
	if f.Status != 0 {
		return "HTTP " + itoa(int64(f.Status))
	}
	if f.Kind == "" {
		return "unknown"
	}
	return f.Kind
}

// Fetch is one fetch's phases, as fetch's timings_ms has them: DNS,
// Connect and TLS add up over the connections the fetch opened; TTFB runs
// from the start of the fetch to the first byte of the response and Total
// to its end; Queue is the wait for a slot before the start, outside
// Total.
type Fetch struct {
	URL     string        `json:"url"`
	Status  int           `json:"status,omitempty"`
	Queue   time.Duration `json:"queue_ns"`
	DNS     time.Duration `json:"dns_ns"`
	Connect time.Duration `json:"connect_ns"`
	TLS     time.Duration `json:"tls_ns"`
	TTFB    time.Duration `json:"ttfb_ns"`
	Total   time.Duration `json:"total_ns"`
}

// Comparison is how many times faster each mode ran than the first mode
// of the comparison (Base).
type Comparison struct {
	// Base is the mode the others are compared with: the first of
	// --compare.
	Base string `json:"base"`
	// Method names how the speedup and its interval were computed.
	Method string `json:"method"`
	// Confidence is the level of the intervals: 0.95. If zero,
	// stats.Confidence (0.95) is assumed.
	Confidence float64 `json:"confidence"`
	// Speedups holds one entry per mode other than Base, in the order of
	// Model.Modes. The command's "speedup" is the last one's Ratio.
	Speedups []Speedup `json:"speedups"`
	// MinSpeedup is --min-speedup (the speedup>=X gate), drawn as a line
	// on the chart; 0 for none.
	MinSpeedup float64 `json:"min_speedup,omitempty"`
}

// Speedup is how many times faster Mode ran than the comparison's Base:
// Ratio with its interval [Lo, Hi] when HasCI (two runs or more on both
// sides), else Lo and Hi equal Ratio.
type Speedup struct {
	Mode  string  `json:"mode"`
	Ratio float64 `json:"ratio"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	HasCI bool    `json:"has_ci"`
}

// SpeedupMethod is the Method of a Comparison made with stats.SpeedupOf.
const SpeedupMethod = "ratio of geometric means of the wall times, Welch's t-interval on their logs"

// CompareModes returns the Comparison of every mode of modes with the
// first, by stats.SpeedupOf on their run times, or nil with fewer than two
// modes. A mode without runs (or with a run that took no time, which
// stats.SpeedupOf refuses) is left out of Speedups.
func CompareModes(modes []Mode) *Comparison {
	if len(modes) < 2 {
		return nil
	}
	seconds := func(m *Mode) []float64 {
		xs := make([]float64, len(m.Runs))
		for i, r := range m.Runs {
			xs[i] = r.Seconds()
		}
		return xs
	}
	c := &Comparison{Base: modes[0].Mode, Method: SpeedupMethod, Confidence: stats.Confidence}
	base := seconds(&modes[0])
	for i := 1; i < len(modes); i++ {
		s, err := stats.SpeedupOf(base, seconds(&modes[i]))
		if err != nil {
			continue
		}
		c.Speedups = append(c.Speedups, Speedup{Mode: modes[i].Mode, Ratio: s.Ratio, Lo: s.Lo, Hi: s.Hi, HasCI: s.HasCI})
	}
	return c
}

// Gate is a gate judged: its expression, the measured value and the limit
// (in Unit), and whether it was met.
type Gate struct {
	// Expr is the gate in its canonical form: "p95<300ms".
	Expr string `json:"expr"`
	// Value and Limit are in Unit; Value is 0 when not Available.
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	// Unit is "ms" for a time, "%" for a percent, "x" for a speedup,
	// "/s" for a rate and "" for a count.
	Unit string `json:"unit,omitempty"`
	Met  bool   `json:"met"`
	// Available is false when the run had no such number (a gate on
	// the speedup of a run without a comparison): the gate is not met.
	Available bool `json:"available"`
}

// GateOf returns the report's view of a judged gate. A value or limit
// that is not finite (JSON has no infinity) is 0.
func GateOf(r gate.Result) Gate {
	g := Gate{Expr: r.Gate.String(), Value: finite(r.Value), Limit: finite(r.Limit), Met: r.Met, Available: r.Available}
	switch r.Gate.Family() {
	case gate.Latency, gate.Phase:
		g.Unit = "ms"
	case gate.Failed:
		if r.Gate.Unit == gate.Percent {
			g.Unit = "%"
		}
	case gate.Rate:
		g.Unit = "/s"
	case gate.Speedup, gate.SpeedupCI:
		g.Unit = "x"
	case gate.Regression:
		g.Unit = "%"
	}
	return g
}

// Baseline is the comparison of the run with an earlier one, mode by
// mode.
type Baseline struct {
	// Name says what the baseline is, such as its file's name.
	Name string `json:"name,omitempty"`
	// Stat is the statistic whose change Relative measures: "wall" (the
	// default), "p50", "p95" or "p99".
	Stat string `json:"stat"`
	// Test names how significance was decided. If empty, DiffTest is
	// assumed.
	Test  string     `json:"test"`
	Modes []ModeDiff `json:"modes"`
}

// DiffTest is the Test of a Baseline whose changes come from stats.Diff.
const DiffTest = "Mann–Whitney U test (two-sided, 5% level)"

// ModeDiff is how one mode moved from the baseline.
type ModeDiff struct {
	Mode string   `json:"mode"`
	Old  Snapshot `json:"old"`
	New  Snapshot `json:"new"`
	// Relative is New/Old - 1 of the Baseline's Stat: 0.1 for 10% more;
	// 0 when it has no finite value (an Old of 0).
	Relative float64 `json:"relative"`
	// P is the test's p-value; Significant is whether the change is
	// beyond noise; Decidable is false when there were too few runs for
	// any change to be significant (a single run on either side).
	P           float64 `json:"p"`
	Significant bool    `json:"significant"`
	Decidable   bool    `json:"decidable"`
}

// Snapshot is the numbers of one side of a ModeDiff.
type Snapshot struct {
	Runs   int           `json:"runs"`
	Wall   time.Duration `json:"wall_ns"`
	P50    time.Duration `json:"p50_ns"`
	P95    time.Duration `json:"p95_ns"`
	P99    time.Duration `json:"p99_ns"`
	Failed int64         `json:"failed"`
}

// ModeDiffOf returns the diff of one mode from the two sides' numbers and
// the stats.Diff of the chosen statistic's samples (an infinite Relative,
// from an Old of 0, becomes 0: JSON has no infinity).
func ModeDiffOf(mode string, old, new Snapshot, ch stats.Change) ModeDiff {
	return ModeDiff{
		Mode: mode, Old: old, New: new, Relative: finite(ch.Relative),
		P: ch.Test.P, Significant: ch.Significant, Decidable: ch.Decidable,
	}
}

// finite returns x, or 0 for an infinity or a NaN, which JSON cannot hold.
func finite(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0
	}
	return x
}
