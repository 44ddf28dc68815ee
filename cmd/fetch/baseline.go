package main

// --baseline FILE: the run compared with an earlier one (the NDJSON a CI
// job kept), mode by mode: the old and new wall time, p50, p95, p99 and
// failures, the relative change of the statistic --baseline-stat names
// (the regression gate's value), and whether that change is beyond noise.

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// baselineStats are the statistics --baseline-stat takes: the wall time
// of a run, or a statistic of its latency_ms.
var baselineStats = []string{"wall", "p50", "p90", "p95", "p99", "p99.9", "max", "mean"}

// diffTest names the test of significance in the JSON.
const diffTest = "mann-whitney-u"

// minSignificantChange is the smallest relative change called
// significant, however small its p-value: runs of a shared CI runner
// drift by a few percent between one job and the next (a neighbour's
// load), which shifts every run of a side alike, and a rank test alone
// would call that shift significant. Below it a change is noise by
// definition.
const minSignificantChange = 0.05

// statOf returns the statistic name of the run st in milliseconds, and
// whether st has it.
func (st *runStat) statOf(name string) (float64, bool) {
	if name == "wall" {
		return st.wallMS, true
	}
	d := st.lat
	if d == nil {
		d = st.old
		if d == nil || (name != "p50" && name != "p95" && name != "max") {
			return 0, false
		}
	}
	v := &gateView{lat: d}
	return v.lookup(name)
}

// jsonBaseline is the "baseline" of the last object: the run compared
// with an earlier one, mode by mode. Stat names the statistic that
// change_pct (and the regression gate) follows; Test how significance is
// decided: the two-sided Mann–Whitney U test of the stat's values over
// the runs of each side, at the 5% level, and a change of at least
// min_change (a fraction) besides. With a single run on either side no
// change is significant, and decidable is false.
type jsonBaseline struct {
	File      string         `json:"file"`
	Stat      string         `json:"stat"`
	Test      string         `json:"test"`
	Alpha     float64        `json:"alpha"`
	MinChange float64        `json:"min_change"`
	Modes     []jsonModeDiff `json:"modes"`
}

// jsonModeDiff is how one mode moved: each side's runs and numbers (the
// median over its runs of each run's wall time and percentiles, and its
// failures in all), the change of the stat in percent (null when the old
// value is 0), the test's p-value, and whether the change is significant.
type jsonModeDiff struct {
	Mode        fetcher.Mode `json:"mode"`
	Old         jsonSnapshot `json:"old"`
	New         jsonSnapshot `json:"new"`
	ChangePct   *float64     `json:"change_pct"`
	P           float64      `json:"p"`
	Significant bool         `json:"significant"`
	Decidable   bool         `json:"decidable"`
	Regressed   bool         `json:"regressed"` // significant, and the stat went up
}

// jsonSnapshot is one side of a jsonModeDiff, in milliseconds.
type jsonSnapshot struct {
	Runs   int     `json:"runs"`
	WallMS float64 `json:"wall_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	Failed int64   `json:"failed"`
}

// loadBaseline reads the baseline file name and checks that it can be
// compared with a run of modes on stat. Its errors are usage errors,
// met before anything is fetched.
func loadBaseline(name, stat string, modes []fetcher.Mode) (*runLog, error) {
	if !slices.Contains(baselineStats, stat) {
		return nil, flagErrorf("--baseline-stat: want one of %s, got %q", strings.Join(baselineStats, ", "), stat)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, flagErrorf("--baseline: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, flagErrorf("--baseline: %s is a directory", name)
	}
	l, err := readRunLog(f, name)
	if err != nil {
		return nil, flagErrorf("--baseline: %v", err)
	}
	for _, m := range modes {
		if !l.hasMode(m) {
			return nil, flagErrorf("--baseline: %s has no run of mode %s (it has %s): compare a run with one of the same modes", name, m, modeList(l.modes))
		}
	}
	if stat != "wall" {
		for _, m := range modes {
			if len(statValues(l.runs, m, stat)) > 0 {
				continue
			}
			for _, st := range l.runs {
				if st.mode == m && st.old != nil {
					return nil, flagErrorf("--baseline-stat %s: %s was written by a fetch without latency_ms: its runs have p50, p95 and max (and wall)", stat, name)
				}
			}
			return nil, flagErrorf("--baseline-stat %s: no fetch of mode %s succeeded in %s: it has no %s to compare (--baseline-stat wall compares the wall time)", stat, m, name, stat)
		}
	}
	return l, nil
}

// modeList is "sync and async".
func modeList(ms []fetcher.Mode) string {
	var names []string
	for _, m := range ms {
		names = append(names, m.String())
	}
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// diffBaseline compares the runs of each of modes in cur with those of
// old, on stat.
func diffBaseline(old *runLog, cur []runStat, modes []fetcher.Mode, stat string) *jsonBaseline {
	b := &jsonBaseline{File: old.name, Stat: stat, Test: diffTest, Alpha: stats.Alpha, MinChange: minSignificantChange, Modes: []jsonModeDiff{}}
	for _, m := range modes {
		o, n := snapshotOf(old.runs, m), snapshotOf(cur, m)
		if o.Runs == 0 || n.Runs == 0 {
			continue
		}
		ov, nv := statValues(old.runs, m, stat), statValues(cur, m, stat)
		d := jsonModeDiff{Mode: m, Old: o, New: n, P: 1}
		if len(ov) > 0 && len(nv) > 0 {
			ch := stats.Diff(ov, nv, stats.Median)
			if !math.IsInf(ch.Relative, 0) && !math.IsNaN(ch.Relative) && ch.Old != 0 {
				pct := math.Round(ch.Relative*100*1000) / 1000
				d.ChangePct = &pct
			}
			d.P = ch.Test.P
			d.Decidable = ch.Decidable
			d.Significant = ch.Significant && math.Abs(ch.Relative) >= minSignificantChange
			d.Regressed = d.Significant && ch.Relative > 0
		}
		b.Modes = append(b.Modes, d)
	}
	return b
}

// statValues returns stat of every run of mode m that has it.
func statValues(runs []runStat, m fetcher.Mode, stat string) []float64 {
	var out []float64
	for i := range runs {
		if runs[i].mode != m {
			continue
		}
		if v, ok := runs[i].statOf(stat); ok {
			out = append(out, v)
		}
	}
	return out
}

// snapshotOf returns the numbers of the runs of mode m: the median over
// the runs of each statistic, and the failures in all.
func snapshotOf(runs []runStat, m fetcher.Mode) jsonSnapshot {
	var s jsonSnapshot
	med := func(stat string) float64 {
		vs := statValues(runs, m, stat)
		if len(vs) == 0 {
			return 0
		}
		return stats.Describe(vs).Median
	}
	for i := range runs {
		if runs[i].mode == m {
			s.Runs++
			s.Failed += runs[i].failed
		}
	}
	if s.Runs == 0 {
		return s
	}
	s.WallMS, s.P50MS, s.P95MS, s.P99MS = med("wall"), med("p50"), med("p95"), med("p99")
	return s
}

// regressionOf returns the regression gate's value for mode m: the
// change of the stat in percent, or nil when there is none.
func (b *jsonBaseline) regressionOf(m fetcher.Mode) *float64 {
	if b == nil {
		return nil
	}
	for i := range b.Modes {
		if b.Modes[i].Mode == m {
			return b.Modes[i].ChangePct
		}
	}
	return nil
}

// appendBaselineText appends the text of the diff, a line per mode:
// "baseline async: wall 1507 ms → 1620 ms, p50 …, failed 0 → 0; wall
// +7.5%, within noise (p = 0.42)".
func appendBaselineText(b []byte, jb *jsonBaseline) []byte {
	if jb == nil {
		return b
	}
	for _, d := range jb.Modes {
		b = fmt.Appendf(b, "baseline %s: wall %s → %s, p50 %s → %s, p95 %s → %s, p99 %s → %s, failed %d → %d; %s ",
			d.Mode, fmtMS(d.Old.WallMS), fmtMS(d.New.WallMS), fmtMS(d.Old.P50MS), fmtMS(d.New.P50MS),
			fmtMS(d.Old.P95MS), fmtMS(d.New.P95MS), fmtMS(d.Old.P99MS), fmtMS(d.New.P99MS), d.Old.Failed, d.New.Failed, jb.Stat)
		if d.ChangePct != nil {
			b = fmt.Appendf(b, "%+.1f%%", *d.ChangePct)
		} else {
			b = append(b, "change unknown (0 before)"...)
		}
		switch {
		case !d.Decidable:
			b = append(b, ", too few runs to tell a change from noise (--repeat 4 or more on both sides)"...)
		case d.Regressed:
			b = fmt.Appendf(b, ", a significant regression (p = %.2g)", d.P)
		case d.Significant:
			b = fmt.Appendf(b, ", a significant improvement (p = %.2g)", d.P)
		default:
			b = fmt.Appendf(b, ", within noise (p = %.2g)", d.P)
		}
		b = append(b, '\n')
	}
	return b
}

// fmtMS is ms as appendMSFloat writes it.
func fmtMS(ms float64) string { return string(appendMSFloat(nil, ms)) }
