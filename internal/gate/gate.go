// Package gate parses and judges thresholds on a run's numbers, in the
// spirit of k6's: `p95<300ms`, `ttfb.p95<100ms`, `failed<=1%`, `rps>=500`,
// `speedup.lo>=1.5`, `regression<=10%`. A CI job lists its gates and the
// run fails when one is not met.
//
// # Grammar
//
//	gate   = metric op value [unit]      (spaces allowed between the parts)
//	metric = stat | phase "." stat | "failed" | "rps"
//	       | "speedup" | "speedup.lo" | "speedup.hi" | "regression"
//	stat   = "p50" | "p90" | "p95" | "p99" | "p99.9" | "p999"
//	       | "max" | "mean" | "stddev"   (k6's p(95) is read as p95)
//	phase  = "dns" | "connect" | "tls" | "ttfb" | "queue"
//	op     = "<" | "<=" | ">" | ">=" | "=" | "=="
//	value  = digits ["." digits] | "." digits   (a "-" only for regression;
//	                                            at most 30 digits, below 1e15)
//	unit   = "us" | "µs" | "ms" | "s" | "m"     for a stat; bare is ms
//	       | "%"                                for failed (bare is a count)
//	                                            and regression (required)
//	       | "x"                                for speedup, speedup.lo and
//	                                            speedup.hi (optional)
//
// A bare stat is over the total time of the successful fetches; a phase's
// over that phase's time. p999 is p99.9. rps takes a plain number.
// Parse reports what is wrong and lists what is allowed, and String
// writes a gate back in the canonical form Parse reads to an equal Gate.
//
// # Judging
//
// Judge looks the gate's metric up by its Key, in the units of fetch's
// JSON: milliseconds for stats, a count for "failed", a percent of the
// URLs for "failed%", results a second for "rps", a ratio for the speedup
// keys and a percent for "regression" (10 for 10% slower). A metric the
// run does not have (no successful fetch for p95, no comparison for
// speedup) is a gate not met, with Available false: a gate never passes
// for want of a number.
//
// Some metrics need a kind of run: speedup a comparison of modes, its
// bounds a comparison with repeats, regression a baseline. Validate
// checks gates against the Families a run will have before it starts, so
// that asking for speedup without a comparison is a usage error up front
// rather than a gate missed at the end.
package gate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Op is a gate's comparison.
type Op uint8

const (
	Less      Op = iota + 1 // <
	LessEq                  // <=
	Greater                 // >
	GreaterEq               // >=
	Equal                   // = (also written ==)
)

var opNames = map[Op]string{Less: "<", LessEq: "<=", Greater: ">", GreaterEq: ">=", Equal: "="}

func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// holds reports whether v op limit holds.
func (o Op) holds(v, limit float64) bool {
	switch o {
	case Less:
		return v < limit
	case LessEq:
		return v <= limit
	case Greater:
		return v > limit
	case GreaterEq:
		return v >= limit
	case Equal:
		return v == limit
	}
	return false
}

// Unit is the unit a gate's value was written in.
type Unit uint8

const (
	Bare        Unit = iota // no unit: milliseconds for a stat, a count for failed
	Microsecond             // us or µs
	Millisecond             // ms
	Second                  // s
	Minute                  // m
	Percent                 // %
	Times                   // x, for a speedup
)

var unitNames = map[Unit]string{Bare: "", Microsecond: "µs", Millisecond: "ms", Second: "s", Minute: "m", Percent: "%", Times: "x"}

func (u Unit) String() string {
	if s, ok := unitNames[u]; ok {
		return s
	}
	return "Unit(" + strconv.Itoa(int(u)) + ")"
}

// msPer is the milliseconds in one of each duration unit.
var msPer = map[Unit]float64{Bare: 1, Microsecond: 0.001, Millisecond: 1, Second: 1000, Minute: 60_000}

// Family is the kind of number a gate's metric is, and so what a run must
// do to have it.
type Family uint8

const (
	Latency    Family = iota + 1 // p50 … stddev of the successful fetches' total time
	Phase                        // dns.p95 and the like: a phase's time
	Failed                       // failed: a count or a percent of the URLs
	Rate                         // rps: results a second
	Speedup                      // speedup: needs a comparison of modes
	SpeedupCI                    // speedup.lo, speedup.hi: needs a comparison with repeats
	Regression                   // regression: needs a baseline
)

var familyNames = map[Family]string{
	Latency: "latency", Phase: "phase", Failed: "failed", Rate: "rate",
	Speedup: "speedup", SpeedupCI: "speedup interval", Regression: "regression",
}

func (f Family) String() string {
	if s, ok := familyNames[f]; ok {
		return s
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// needs says what a run must do to measure the family.
var needs = map[Family]string{
	Latency:    "fetches",
	Phase:      "fetches",
	Failed:     "fetches",
	Rate:       "fetches",
	Speedup:    "a comparison of modes",
	SpeedupCI:  "a comparison of modes with at least two runs of each",
	Regression: "a baseline to compare with",
}

// Gate is one parsed threshold: Metric Op Value Unit. Its zero value is
// not a gate; make one with Parse or MinSpeedup.
type Gate struct {
	// Metric is the canonical name: "p95", "p99.9", "ttfb.p95", "failed",
	// "rps", "speedup", "speedup.lo", "speedup.hi" or "regression".
	Metric string
	Op     Op
	// Value is the limit as written, in Unit.
	Value float64
	Unit  Unit
}

// MinSpeedup returns the gate of --min-speedup x: speedup>=x.
func MinSpeedup(x float64) Gate {
	return Gate{Metric: "speedup", Op: GreaterEq, Value: x}
}

// String returns the gate in the canonical form: p999 as p99.9, == as =,
// µs for us, and the shortest decimal of the value.
func (g Gate) String() string {
	return g.Metric + g.Op.String() + strconv.FormatFloat(g.Value, 'f', -1, 64) + g.Unit.String()
}

// Family returns the kind of g's metric.
func (g Gate) Family() Family {
	switch g.Metric {
	case "failed":
		return Failed
	case "rps":
		return Rate
	case "speedup":
		return Speedup
	case "speedup.lo", "speedup.hi":
		return SpeedupCI
	case "regression":
		return Regression
	}
	if i := strings.IndexByte(g.Metric, '.'); i > 0 && isPhase(g.Metric[:i]) {
		return Phase
	}
	return Latency
}

// Key returns the name Judge looks g's metric up by: Metric, except
// "failed%" for failed written with %.
func (g Gate) Key() string {
	if g.Metric == "failed" && g.Unit == Percent {
		return "failed%"
	}
	return g.Metric
}

// Limit returns Value in the unit of the lookup: milliseconds for a
// duration, Value itself for the rest.
func (g Gate) Limit() float64 {
	if f := g.Family(); f == Latency || f == Phase {
		return g.Value * msPer[g.Unit]
	}
	return g.Value
}

// Result is a gate judged.
type Result struct {
	Gate Gate
	// Value is the measured value in the lookup's unit (see Limit); 0
	// when not Available.
	Value float64
	// Limit is Gate.Limit(): the limit in Value's unit.
	Limit float64
	// Met is whether Value Op Limit holds: false when not Available.
	Met bool
	// Available is false when the run has no such number.
	Available bool
}

// Judge looks g's metric up by its Key (in the units the package doc
// lists) and compares it with the limit. A metric lookup does not have,
// or a NaN, is not Available and not Met.
func (g Gate) Judge(lookup func(key string) (float64, bool)) Result {
	r := Result{Gate: g, Limit: g.Limit()}
	v, ok := lookup(g.Key())
	if !ok || math.IsNaN(v) {
		return r
	}
	r.Value, r.Available = v, true
	r.Met = g.Op.holds(v, r.Limit)
	return r
}

// JudgeAll judges every gate and reports whether all were met (true for
// no gates).
func JudgeAll(gates []Gate, lookup func(key string) (float64, bool)) (results []Result, met bool) {
	met = true
	for _, g := range gates {
		r := g.Judge(lookup)
		results = append(results, r)
		met = met && r.Met
	}
	return results, met
}

// String describes r for a person, naming the value and the limit in the
// gate's unit:
//
//	gate p95<300ms met: p95 was 212.4ms
//	gate p95<300ms not met: p95 was 412.3ms, limit 300ms
//	gate speedup>=1.5 not met: speedup was not measured (needs a comparison of modes)
func (r Result) String() string {
	g := r.Gate
	expr, name := g.String(), g.Metric
	if !r.Available {
		return fmt.Sprintf("gate %s not met: %s was not measured (needs %s)", expr, name, needs[g.Family()])
	}
	if r.Met {
		return fmt.Sprintf("gate %s met: %s was %s", expr, name, g.format(r.Value))
	}
	return fmt.Sprintf("gate %s not met: %s was %s, limit %s", expr, name, g.format(r.Value), g.format(r.Limit))
}

// format writes v, in the lookup's unit, in g's unit (ms for a bare
// duration), to 6 significant digits without an exponent.
func (g Gate) format(v float64) string {
	unit := g.Unit
	if f := g.Family(); f == Latency || f == Phase {
		if unit == Bare {
			unit = Millisecond
		}
		v /= msPer[unit]
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64) + unit.String()
}

// UnavailableError is Validate's error for a gate whose metric the run
// will not have.
type UnavailableError struct {
	Gate   Gate
	Family Family
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("gate %q: %s is not measured in this run: it needs %s", e.Gate.String(), e.Gate.Metric, needs[e.Family])
}

// Validate checks that every gate's Family is among available, the
// families the run will have: Latency, Phase, Failed and Rate for every
// run; Speedup with a comparison; SpeedupCI with a comparison of repeated
// runs; Regression with a baseline. It returns an *UnavailableError for
// each gate that is not (joined with errors.Join), or nil.
func Validate(gates []Gate, available ...Family) error {
	var errs []error
	for _, g := range gates {
		f := g.Family()
		ok := false
		for _, a := range available {
			ok = ok || a == f
		}
		if !ok {
			errs = append(errs, &UnavailableError{Gate: g, Family: f})
		}
	}
	return errors.Join(errs...)
}
