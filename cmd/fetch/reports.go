package main

// Reports: --report FILE.html and FILE.md after a run, the Markdown
// appended to GITHUB_STEP_SUMMARY, and fetch report, which renders the
// same reports from a saved NDJSON run. Both build the report.Model from
// a runLog (runlog.go), the objects of the NDJSON, and nothing else, so a
// report rendered later from the saved run is the report the run wrote.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/report"
)

// reportFormat is a report's kind, chosen by its file's extension.
type reportFormat int

const (
	reportHTML reportFormat = iota + 1
	reportMarkdown
)

// reportFormatOf returns the format of the report file name.
func reportFormatOf(name string) (reportFormat, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm":
		return reportHTML, nil
	case ".md", ".markdown":
		return reportMarkdown, nil
	}
	return 0, fmt.Errorf("%q: want a file ending in .html (the charts) or .md (Markdown tables)", name)
}

// reportFile is a report to write: a temporary file beside its name,
// created before the run (so that a directory that is missing or not
// writable is a usage error before anything is fetched), written and
// renamed into place at the end, so that the file appears whole or not
// at all, and an earlier report of that name stays until then.
type reportFile struct {
	name   string
	format reportFormat
	tmp    *os.File
}

// openReport creates the temporary file of the report name.
func openReport(name string) (*reportFile, error) {
	format, err := reportFormatOf(name)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &reportFile{name: name, format: format, tmp: tmp}, nil
}

// write renders m into the file and puts it in place.
func (r *reportFile) write(m *report.Model) error {
	var err error
	if r.format == reportHTML {
		err = report.RenderHTML(r.tmp, m)
	} else {
		err = report.RenderMarkdown(r.tmp, m)
	}
	if cerr := r.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(r.tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(r.tmp.Name(), r.name)
	}
	if err != nil {
		os.Remove(r.tmp.Name())
	}
	return err
}

// discard removes the temporary file of a report not written.
func (r *reportFile) discard() {
	r.tmp.Close()
	os.Remove(r.tmp.Name())
}

// writeReports writes m to every report and appends its Markdown to the
// file GITHUB_STEP_SUMMARY names (unless noStep), and returns the first
// error, which names the file. A report whose write failed is not left
// half-written.
func writeReports(reports []*reportFile, m *report.Model, ios *IOStreams, noStep bool) error {
	var first error
	for _, r := range reports {
		if err := r.write(m); err != nil && first == nil {
			first = fmt.Errorf("writing the report %s: %w", r.name, err)
		}
	}
	if path := ios.getenv("GITHUB_STEP_SUMMARY"); path != "" && !noStep {
		if err := appendStepSummary(path, m); err != nil && first == nil {
			first = fmt.Errorf("appending to GITHUB_STEP_SUMMARY (%s): %w", path, err)
		}
	}
	return first
}

// appendStepSummary appends the Markdown of m to the file path, as a
// GitHub Actions step does with its job summary.
func appendStepSummary(path string, m *report.Model) error {
	var b strings.Builder
	if err := report.RenderMarkdown(&b, m); err != nil {
		return err
	}
	b.WriteString("\n")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// speedupMethod says how a comparison's speedup and interval come about.
const speedupMethod = "the ratio of the median wall times; interval: Welch's t-interval on the logs of the wall times, centred on the ratio of their geometric means"

// baselineTest says how a baseline diff's significance is decided.
var baselineTest = report.DiffTest + ", and a change of " + strconv.Itoa(int(minSignificantChange*100)) + "% or more"

// model returns the report of the run l holds: its modes (from the
// compare object when there is one, else from the last summary of each
// mode), the comparison, the gates and the baseline diff of its last
// object. baseline, if not nil, replaces the saved diff.
func (l *runLog) model(baseline *jsonBaseline) *report.Model {
	m := &report.Model{Title: "fetch report"}
	var v *verdict
	var from string
	if c := l.compare; c != nil && len(c.Modes) > 0 {
		for i := range c.Modes {
			mc := &c.Modes[i]
			mode := report.Mode{Mode: mc.Mode.String(), URLs: mc.URLs, OK: mc.OK, Failed: mc.Failed, Bytes: mc.Bytes}
			for _, r := range c.Runs {
				if r.Mode == mc.Mode {
					mode.Runs = append(mode.Runs, msDuration(r.WallMS))
				}
			}
			fillMode(&mode, &mc.dists)
			m.Modes = append(m.Modes, mode)
			from = mc.LatencyFrom
		}
		if len(c.Modes) >= 2 {
			cmp := &report.Comparison{Base: c.Modes[0].Mode.String(), Method: speedupMethod, Confidence: 0.95, MinSpeedup: c.MinSpeedupValue()}
			for _, mc := range c.Modes[1:] {
				if mc.Speedup == nil {
					continue
				}
				s := report.Speedup{Mode: mc.Mode.String(), Ratio: *mc.Speedup, Lo: *mc.Speedup, Hi: *mc.Speedup}
				if mc.SpeedupCI != nil {
					s.Lo, s.Hi, s.HasCI = mc.SpeedupCI[0], mc.SpeedupCI[1], true
				}
				cmp.Speedups = append(cmp.Speedups, s)
			}
			m.Comparison = cmp
		}
		v = &c.verdict
	} else {
		for _, md := range l.modes {
			s := l.last[md]
			mode := report.Mode{Mode: md.String(), URLs: s.URLs, OK: s.OK, Failed: s.Failed, Bytes: s.Bytes}
			for _, st := range l.runs {
				if st.mode == md {
					mode.Runs = append(mode.Runs, msDuration(st.wallMS))
				}
			}
			fillMode(&mode, &s.dists)
			m.Modes = append(m.Modes, mode)
			from = s.LatencyFrom
		}
		if n := len(l.runs); n > 0 {
			v = &l.last[l.runs[n-1].mode].verdict
		}
	}
	m.Subtitle = l.subtitle(from)
	if v != nil {
		multi := len(m.Modes) > 1
		for _, g := range v.Gates {
			expr := g.Expr
			if multi && g.Mode != "" {
				expr += " (" + g.Mode + ")"
			}
			m.Gates = append(m.Gates, report.Gate{Expr: expr, Value: g.Value, Limit: g.Limit, Unit: g.Unit, Met: g.Met, Available: g.Available})
		}
		if baseline == nil {
			baseline = v.Baseline
		}
	}
	if baseline != nil {
		m.Baseline = baselineModel(baseline)
	}
	return m
}

// MinSpeedupValue is --min-speedup, or 0.
func (c *jsonCompare) MinSpeedupValue() float64 {
	if c.MinSpeedup == nil {
		return 0
	}
	return *c.MinSpeedup
}

// subtitle says what ran: "100 URLs; sync and async, 5 runs each".
func (l *runLog) subtitle(from string) string {
	var b strings.Builder
	if len(l.runs) > 0 {
		st := l.runs[len(l.runs)-1]
		fmt.Fprintf(&b, "%d URLs; ", st.urls)
	}
	b.WriteString(modeList(l.modes))
	counts := map[fetcher.Mode]int{}
	for _, st := range l.runs {
		counts[st.mode]++
	}
	if n := counts[l.modes[0]]; n > 1 {
		fmt.Fprintf(&b, ", %d runs", n)
		if len(l.modes) > 1 {
			b.WriteString(" each")
		}
	}
	if from == "due" {
		b.WriteString("; latency from each fetch's scheduled start (--rate)")
	}
	return b.String()
}

// fillMode sets the distributions, failures and slowest fetches of mode
// from d.
func fillMode(mode *report.Mode, d *dists) {
	mode.RPS = d.RPS
	mode.Latency = distFrom(d.Latency, d.LatencyHist)
	if d.Phases != nil {
		mode.Phases = map[string]report.Dist{}
		for i, name := range report.PhaseNames {
			var h histBuckets
			if d.PhasesHist != nil {
				h = d.PhasesHist.at(i)
			}
			if pd := d.Phases.at(i); pd != nil {
				mode.Phases[name] = distFrom(pd, h)
			}
		}
	}
	for _, f := range d.Failures {
		mode.Failures = append(mode.Failures, report.Failure(f))
	}
	for _, f := range d.Waterfall {
		t := f.Timings
		mode.Slowest = append(mode.Slowest, report.Fetch{URL: f.URL, Status: f.Status, Queue: t.Queue, DNS: t.DNS, Connect: t.Connect, TLS: t.TLS, TTFB: t.TTFB, Total: t.Total})
	}
}

// distFrom returns the report's view of a distribution and its buckets;
// its count is the buckets'.
func distFrom(d *jsonDist, h histBuckets) report.Dist {
	if d == nil {
		return report.Dist{}
	}
	out := report.Dist{Min: msDuration(d.Min), Max: msDuration(d.Max), Mean: msDuration(d.Mean), Stddev: msDuration(d.Stddev),
		P50: msDuration(d.P50), P90: msDuration(d.P90), P95: msDuration(d.P95), P99: msDuration(d.P99), P999: msDuration(d.P999)}
	for _, b := range h {
		out.Count += b[2]
		out.Buckets = append(out.Buckets, report.Bucket{Lo: time.Duration(b[0]), Hi: time.Duration(b[1]), Count: b[2]})
	}
	return out
}

// baselineModel returns the report's view of a baseline diff.
func baselineModel(b *jsonBaseline) *report.Baseline {
	rb := &report.Baseline{Name: filepath.Base(b.File), Stat: b.Stat, Test: baselineTest}
	snap := func(s jsonSnapshot) report.Snapshot {
		return report.Snapshot{Runs: s.Runs, Wall: msDuration(s.WallMS), P50: msDuration(s.P50MS), P95: msDuration(s.P95MS), P99: msDuration(s.P99MS), Failed: s.Failed}
	}
	for _, d := range b.Modes {
		md := report.ModeDiff{Mode: d.Mode.String(), Old: snap(d.Old), New: snap(d.New), P: d.P, Significant: d.Significant, Decidable: d.Decidable}
		if d.ChangePct != nil {
			md.Relative = *d.ChangePct / 100
		}
		rb.Modes = append(rb.Modes, md)
	}
	return rb
}

// errNoReportOutput is fetch report without -o.
var errNoReportOutput = errors.New("-o FILE is required: FILE.html for the charts, FILE.md for Markdown tables (repeatable)")
