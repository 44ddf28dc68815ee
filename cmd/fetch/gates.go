package main

// Gates: --gate EXPR (repeatable) and --min-speedup X, judged on the run's
// last word: the summary of a run that makes no comparison, the compare
// object otherwise. The gates judged go into that object ("gates"), every
// gate missed is one line on stderr, and a gate missed is exit 3 (plan.go).

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/greenfetch/greenfetch/internal/gate"
	"github.com/greenfetch/greenfetch/internal/report"
)

// verdict is what the last object of a run (its summary without a
// comparison, the compare object with one) says of it beyond its numbers:
// the gates judged and, with --baseline, the diff from the earlier run.
type verdict struct {
	Gates    []jsonGate    `json:"gates,omitempty"`
	GateMet  *bool         `json:"gate_met,omitempty"` // every gate met; absent without gates
	Baseline *jsonBaseline `json:"baseline,omitempty"`
}

// jsonGate is a gate judged: its expression in the canonical form, the
// value measured and the limit (in unit: "ms", "%", "x", "/s" or "" for a
// count), whether it was met, and whether the run measured the value at
// all (a p95 with no successful fetch was not: the gate is not met).
// With a comparison, a gate on the fetches (latency, phases, failed, rps,
// regression) is judged on each mode, named by mode.
type jsonGate struct {
	Expr      string  `json:"expr"`
	Mode      string  `json:"mode,omitempty"`
	Value     float64 `json:"value"`
	Limit     float64 `json:"limit"`
	Unit      string  `json:"unit,omitempty"`
	Met       bool    `json:"met"`
	Available bool    `json:"available"`

	result     gate.Result // for the message of a gate missed
	minSpeedup bool        // the gate of --min-speedup (its message is older than --gate)
}

// gateFamilies are the families of numbers a run of o will have, for
// gate.Validate.
func gateFamilies(o *Options, baseline bool) []gate.Family {
	fams := []gate.Family{gate.Latency, gate.Phase, gate.Failed, gate.Rate}
	if len(o.Compare) >= 2 {
		fams = append(fams, gate.Speedup)
		if o.Repeat >= 2 {
			fams = append(fams, gate.SpeedupCI)
		}
	}
	if baseline {
		fams = append(fams, gate.Regression)
	}
	return fams
}

// gateFlagHint is what a run needs for a family of numbers, in flags.
var gateFlagHint = map[gate.Family]string{
	gate.Speedup:    "--compare",
	gate.SpeedupCI:  "--compare and --repeat 2 or more",
	gate.Regression: "--baseline FILE",
}

// parseGates parses the --gate expressions and checks that the run of o
// will measure what they need; the errors are usage errors that say what
// is allowed or which flag is missing.
func parseGates(exprs []string, o *Options, baseline bool) ([]gate.Gate, error) {
	var gates []gate.Gate
	for _, e := range exprs {
		g, err := gate.Parse(e)
		if err != nil {
			return nil, flagErrorf("--gate: %v", err)
		}
		gates = append(gates, g)
	}
	if err := gate.Validate(gates, gateFamilies(o, baseline)...); err != nil {
		var msgs []string
		for _, e := range unwrapJoined(err) {
			msg := e.Error()
			var ue *gate.UnavailableError
			if errors.As(e, &ue) && gateFlagHint[ue.Family] != "" {
				msg += " (" + gateFlagHint[ue.Family] + ")"
			}
			msgs = append(msgs, msg)
		}
		return nil, flagErrorf("--gate: %s", strings.Join(msgs, "; "))
	}
	return gates, nil
}

// unwrapJoined returns the errors joined in err (errors.Join), or err.
func unwrapJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// allGates returns the gates of o: --gate's in order, then --min-speedup's.
func allGates(o *Options) (gates []gate.Gate, minSpeedupAt int) {
	gates = append(gates, o.timingOpts().gates...)
	minSpeedupAt = -1
	if o.MinSpeedup > 0 {
		minSpeedupAt = len(gates)
		gates = append(gates, gate.MinSpeedup(o.MinSpeedup))
	}
	return gates, minSpeedupAt
}

// gateView is what one mode of a run measured, as the gates look it up.
type gateView struct {
	lat        *jsonDist
	phases     *jsonPhases
	urls       int64
	failed     int64
	rps        float64
	regression *float64 // percent; nil without a baseline (or none to compute)
}

// lookup returns the number a gate's key names, in the units of the JSON
// (gate.Gate.Judge), and whether the run has it.
func (v *gateView) lookup(key string) (float64, bool) {
	switch key {
	case "failed":
		return float64(v.failed), true
	case "failed%":
		if v.urls == 0 {
			return 0, false
		}
		return float64(v.failed) / float64(v.urls) * 100, true
	case "rps":
		return v.rps, v.urls > 0
	case "regression":
		if v.regression == nil {
			return 0, false
		}
		return *v.regression, true
	}
	d := v.lat
	if phase, stat, ok := strings.Cut(key, "."); ok && phase != "p99" {
		i := phaseIndex(phase)
		if i < 0 || v.phases == nil {
			return 0, false
		}
		d, key = v.phases.at(i), stat
	}
	if d == nil {
		return 0, false
	}
	switch key {
	case "p50":
		return d.P50, true
	case "p90":
		return d.P90, true
	case "p95":
		return d.P95, true
	case "p99":
		return d.P99, true
	case "p99.9":
		return d.P999, true
	case "max":
		return d.Max, true
	case "mean":
		return d.Mean, true
	case "stddev":
		return d.Stddev, true
	}
	return 0, false
}

// phaseIndex returns the index of the phase named name, or -1.
func phaseIndex(name string) int {
	for i, n := range report.PhaseNames {
		if n == name {
			return i
		}
	}
	return -1
}

// comparisonView is what a comparison measured, for the speedup gates.
type comparisonView struct {
	has     bool // a comparison of two modes or more: speedup was measured
	speedup float64
	ci      *[2]float64
}

func (c *comparisonView) lookup(key string) (float64, bool) {
	switch key {
	case "speedup":
		return c.speedup, c.has
	case "speedup.lo", "speedup.hi":
		if c.ci == nil {
			return 0, false
		}
		if key == "speedup.lo" {
			return c.ci[0], true
		}
		return c.ci[1], true
	}
	return 0, false
}

// judgeGates judges gates on modes (one view per mode, named by names;
// the mode is named in each result only when there are several) and on
// the comparison cmp (nil without one). minSpeedupAt is the index of the
// gate of --min-speedup, or -1. It returns the gates judged in the order
// given, each gate on the fetches once per mode, and whether all were met.
func judgeGates(gates []gate.Gate, minSpeedupAt int, names []string, modes []*gateView, cmp *comparisonView) ([]jsonGate, bool) {
	var out []jsonGate
	all := true
	add := func(g gate.Gate, i int, mode string, lookup func(string) (float64, bool)) {
		r := g.Judge(lookup)
		rg := report.GateOf(r)
		out = append(out, jsonGate{Expr: rg.Expr, Mode: mode, Value: rg.Value, Limit: rg.Limit, Unit: rg.Unit, Met: rg.Met, Available: rg.Available,
			result: r, minSpeedup: i == minSpeedupAt})
		all = all && r.Met
	}
	for i, g := range gates {
		switch g.Family() {
		case gate.Speedup, gate.SpeedupCI:
			if cmp == nil {
				cmp = &comparisonView{}
			}
			add(g, i, "", cmp.lookup)
		default:
			for j, v := range modes {
				mode := ""
				if len(modes) > 1 {
					mode = names[j]
				}
				add(g, i, mode, v.lookup)
			}
		}
	}
	return out, all
}

// verdictOf returns the verdict of gates judged (nil gates: none given)
// and the baseline diff (nil for none).
func verdictOf(gates []jsonGate, met bool, b *jsonBaseline) verdict {
	v := verdict{Gates: gates, Baseline: b}
	if len(gates) > 0 {
		v.GateMet = &met
	}
	return v
}

// printMissed writes a line on w for every gate missed, naming the value
// and the limit: "fetch: gate p95<300ms not met: p95 was 412.3ms, limit
// 300ms", with "async: " before "gate" when judged on one mode of several.
// The gate of --min-speedup keeps its own words (c is the comparison it
// was judged on).
func printMissed(w io.Writer, gates []jsonGate, c *comparison) {
	for _, g := range gates {
		if g.Met {
			continue
		}
		if g.minSpeedup && c != nil && len(c.modes) >= 2 {
			fmt.Fprintf(w, "fetch: speedup %.2fx of %s over %s is below --min-speedup %.2fx\n",
				c.speedup, c.modes[len(c.modes)-1].mode, c.modes[0].mode, c.minSpeedup)
			continue
		}
		prefix := "fetch: "
		if g.Mode != "" {
			prefix += g.Mode + ": "
		}
		fmt.Fprintf(w, "%s%s\n", prefix, shownText(g.result.String()))
	}
}
