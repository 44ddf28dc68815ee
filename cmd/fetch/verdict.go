package main

// The verdict of a run: what the plan (plan.go) does with its summaries
// besides printing them. It keeps the run as its NDJSON tells it (a
// runLog), the totals of each mode, and at the end judges the gates,
// diffs the baseline, writes the reports and draws the histograms.

import (
	"fmt"

	"github.com/greenfetch/greenfetch/fetcher"
)

// verdictRun is the verdict side of one execution of a plan.
type verdictRun struct {
	p      *runPlan
	t      *timingOptions
	log    *runLog // the run as its NDJSON says it
	totals map[fetcher.Mode]*modeTotals
	cmp    *comparison // the comparison judged; nil without one
	gates  []jsonGate  // judged on the last object; nil before, or without gates
	met    bool        // every gate was met
}

// timingOpts returns the timing flags of o (none for a run that has no
// such flags, as fetch demo).
func (o *Options) timingOpts() *timingOptions {
	if o.timing == nil {
		return &timingOptions{}
	}
	return o.timing
}

// startVerdict opens the reports the run will write: a report that cannot
// be created is a usage error, before anything is fetched.
func (p *runPlan) startVerdict() (*verdictRun, error) {
	t := p.o.timingOpts()
	v := &verdictRun{p: p, t: t, log: newRunLog(""), totals: map[fetcher.Mode]*modeTotals{}, met: true}
	for _, m := range p.modes {
		v.totals[m] = &modeTotals{mode: m}
	}
	t.reports = nil
	for _, name := range t.reportFiles {
		r, err := openReport(name)
		if err != nil {
			for _, r := range t.reports {
				r.discard()
			}
			t.reports = nil
			return nil, fmt.Errorf("--report: %w", err)
		}
		t.reports = append(t.reports, r)
	}
	p.closers = append(p.closers, func() {
		for _, r := range t.reports {
			r.discard() // those written were renamed: this removes nothing of theirs
		}
	})
	return v, nil
}

// summary returns the summary object of the pass sum, with the verdict
// when final (the run makes no comparison, and this pass, which ended
// without an interrupt, is its only one), and logs it.
func (v *verdictRun) summary(sum *summary, final bool) *jsonSummary {
	rec := summaryRecord(sum)
	v.totals[sum.mode].add(sum)
	if final {
		var base *jsonBaseline
		if v.t.baseline != nil {
			base = diffBaseline(v.t.baseline, append(v.log.runs[:len(v.log.runs):len(v.log.runs)], runStatOf(rec)), v.p.modes, v.t.baselineStat)
		}
		view := &gateView{lat: rec.Latency, phases: rec.Phases, urls: rec.URLs, failed: rec.Failed, rps: rec.RPS, regression: base.regressionOf(sum.mode)}
		gates, min := allGates(v.p.o)
		v.gates, v.met = judgeGates(gates, min, []string{sum.mode.String()}, []*gateView{view}, nil)
		rec.verdict = verdictOf(v.gates, v.met, base)
	}
	v.logObject(rec)
	return rec
}

// compare returns the compare object of c, with the verdict, and logs it.
func (v *verdictRun) compare(c *comparison) *jsonCompare {
	v.cmp = c
	rec := compareRecord(c, v.totals)
	var base *jsonBaseline
	if v.t.baseline != nil {
		base = diffBaseline(v.t.baseline, v.log.runs, v.p.modes, v.t.baselineStat)
	}
	var names []string
	var views []*gateView
	for i := range rec.Modes {
		m := &rec.Modes[i]
		names = append(names, m.Mode.String())
		views = append(views, &gateView{lat: m.Latency, phases: m.Phases, urls: m.URLs, failed: m.Failed, rps: m.RPS, regression: base.regressionOf(m.Mode)})
	}
	// The speedup unrounded, as --min-speedup always judged it.
	cv := &comparisonView{has: rec.Speedup != nil, speedup: c.speedup, ci: rec.SpeedupCI}
	gates, min := allGates(v.p.o)
	v.gates, v.met = judgeGates(gates, min, names, views, cv)
	rec.verdict = verdictOf(v.gates, v.met, base)
	v.logObject(rec)
	return rec
}

// logObject logs the object rec as its NDJSON line says it.
func (v *verdictRun) logObject(rec any) {
	// Errors cannot happen: the line was made by appendJSON from the
	// types the log reads.
	v.log.addLine(appendJSON(nil, rec)) //nolint:errcheck
}

// baselineText is the text of the run's baseline diff, if any.
func (v *verdictRun) baselineText() []byte {
	if n := len(v.log.runs); v.log.compare != nil {
		return appendBaselineText(nil, v.log.compare.Baseline)
	} else if n > 0 {
		return appendBaselineText(nil, v.log.last[v.log.runs[n-1].mode].Baseline)
	}
	return nil
}

// writeReports writes the reports of the run, if any were asked for.
func (v *verdictRun) writeReports() error {
	if len(v.t.reports) == 0 || len(v.log.runs) == 0 {
		return nil
	}
	err := writeReports(v.t.reports, v.log.model(nil), v.p.o.IO, v.t.noStepSummary)
	v.t.reports = nil
	return err
}
