package report

import (
	"bufio"
	_ "embed"
	"html/template"
	"io"
	"math"
)

// RenderHTML writes m as one self-contained HTML page: inline CSS and
// inline SVG charts, no script, and nothing loaded from anywhere (a
// Content-Security-Policy in the page forbids any load but its own
// styles). It shows the summary of each mode, the gates with pass or fail
// marks, the speedup of each mode with its interval, the baseline diff,
// the latency CDF of the modes overlaid and the histogram of each, a
// waterfall of each mode's slowest fetches, the phases' percentiles and
// the failures by kind.
//
// Every string from the input (URLs, mode names, messages, the title)
// goes through html/template's contextual escaping, so a URL holding
// </script> or "><svg onload=…> shows as text. The page depends on m
// alone, byte for byte; its size grows with the modes, the gates and the
// slowest fetches and failure kinds shown (each bounded: MaxModes,
// MaxGates, MaxSlowest, MaxFailureRows, and strings cut to 300
// characters), never with the number of URLs: the charts bin the
// histograms into a fixed number of bars and points. It returns the
// first error of w.
func RenderHTML(w io.Writer, m *Model) error {
	bw := bufio.NewWriter(w)
	if err := pageTemplate.Execute(bw, buildPage(m)); err != nil {
		return err
	}
	return bw.Flush()
}

//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("report").Parse(pageSource))

// page is what the template shows: strings and charts, everything
// computed here.
type page struct {
	Title, Subtitle string
	Legend          []legendItem
	HiddenModes     int
	Verdict         *verdictView
	Headline        string // the speedup in words
	Repeats         bool
	Modes           []modeRow
	Gates           []gateRow
	HiddenGates     int
	Comparison      *comparisonView
	Baseline        *baselineView
	CDF             *svgChart
	Tail            *svgChart
	Hists           []*svgChart
	Waterfalls      []waterfallView
	PhaseLegend     []legendItem
	Phases          []phaseRow
	Failures        []failureRow
}

type legendItem struct {
	Name, Color, Doc string
	Swatch           *svgChart
}

type verdictView struct {
	Met  bool
	Text string
}

type modeRow struct {
	Mode, Color                                string
	Runs, Wall, WallSpread                     string
	URLs, OK, Failed, Bytes, RPS               string
	HasFailed                                  bool
	P50, P90, P95, P99, P999, Max, Mean, Stdev string
}

type gateRow struct {
	Met         bool
	Expr, Value string
	Limit       string
}

type comparisonView struct {
	Base, Method, Level string
	Chart               *svgChart
	Rows                []speedupRow
	MinSpeedup          string
}

type speedupRow struct {
	Mode, Color, Ratio, Interval string
}

type baselineView struct {
	Name, Stat, Test string
	Rows             []baselineRow
}

type baselineRow struct {
	Mode, Color   string
	Span          int // the rows of the mode: one a statistic
	Stats         []statRow
	Worse, Better bool
	Verdict       string
}

// statRow is one statistic of a mode in the baseline diff: Main for the
// one whose change the verdict is about.
type statRow struct {
	Name, Old, New, Change string
	Main                   bool
}

type waterfallView struct {
	Mode, Color string
	Shown, All  int
	Chart       *svgChart
}

type phaseRow struct {
	Phase, Mode, Color               string
	Count, P50, P95, P99, Max, Share string
}

type failureRow struct {
	Mode, Color, Label, Count, Example, Message string
	Bar                                         *svgChart
}

func buildPage(orig *Model) *page {
	c, hidden := capped(orig)
	m := &c
	modes := m.Modes
	colors := colorsOf(modes)
	p := &page{Title: title(m), Subtitle: clip(m.Subtitle), HiddenModes: hidden}
	for i, md := range modes {
		p.Legend = append(p.Legend, legendItem{Name: clip(md.Mode), Color: colors[i], Swatch: swatch(colors[i])})
		p.Repeats = p.Repeats || len(md.Runs) > 1
	}
	for i := range modes {
		p.Modes = append(p.Modes, buildModeRow(&modes[i], colors[i]))
	}
	p.buildGates(m.Gates)
	if c := m.Comparison; c != nil && len(c.Speedups) > 0 {
		p.Comparison = buildComparison(c, modes, colors)
		last := c.Speedups[len(c.Speedups)-1]
		p.Headline = clip(last.Mode) + " ran " + fmtRatio(last.Ratio) + " as fast as " + clip(c.Base)
		if last.HasCI {
			p.Headline += " (" + level(c) + " interval " + fmtRatio(last.Lo) + " – " + fmtRatio(last.Hi) + ")"
		}
	}
	if b := m.Baseline; b != nil && len(b.Modes) > 0 {
		p.Baseline = buildBaseline(b, modes, colors)
	}
	p.CDF = cdfChart(modes, colors)
	p.Tail = tailChart(modes, colors)
	p.Hists = histCharts(modes, colors)
	for i := range modes {
		if c := waterfallChart(&modes[i]); c != nil {
			p.Waterfalls = append(p.Waterfalls, waterfallView{Mode: clip(modes[i].Mode), Color: colors[i],
				Shown: min(len(modes[i].Slowest), MaxSlowest), All: len(modes[i].Slowest), Chart: c})
		}
	}
	if len(p.Waterfalls) > 0 {
		for _, pc := range phaseColors {
			p.PhaseLegend = append(p.PhaseLegend, legendItem{Name: pc.name, Color: pc.color, Doc: pc.doc, Swatch: swatch(pc.color)})
		}
	}
	p.buildPhases(modes, colors)
	p.buildFailures(modes, colors)
	return p
}

// swatch is a legend's colour square.
func swatch(color string) *svgChart {
	return &svgChart{W: 12, H: 12, Rects: []svgRect{{X: "0", Y: "0", W: "12", H: "12", Fill: color, Class: "swatch"}}}
}

func buildModeRow(md *Mode, color string) modeRow {
	r := modeRow{
		Mode: clip(md.Mode), Color: color,
		Runs: itoa(int64(len(md.Runs))), Wall: fmtDur(md.Wall()), WallSpread: wallSpread(md),
		URLs: itoa(md.URLs), OK: itoa(md.OK), Failed: itoa(md.Failed), HasFailed: md.Failed > 0,
		Bytes: fmtBytes(md.Bytes), RPS: fmtNum(md.RPS, 1),
	}
	cells := latencyCells(md.Latency)
	r.P50, r.P90, r.P95, r.P99, r.P999, r.Max, r.Mean = cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
	return r
}

func (p *page) buildGates(gs []Gate) {
	if len(gs) == 0 {
		return
	}
	failed := 0
	for i, g := range gs {
		if !g.Met {
			failed++
		}
		if i >= MaxGates {
			continue
		}
		row := gateRow{Met: g.Met, Expr: clip(g.Expr), Value: fmtGateValue(g.Value, g.Unit), Limit: fmtGateValue(g.Limit, g.Unit)}
		if !g.Available {
			row.Value = "not measured"
		}
		p.Gates = append(p.Gates, row)
	}
	p.HiddenGates = max(len(gs)-MaxGates, 0)
	if failed == 0 {
		p.Verdict = &verdictView{Met: true, Text: "all " + itoa(int64(len(gs))) + " gates met"}
	} else {
		p.Verdict = &verdictView{Text: itoa(int64(failed)) + " of " + itoa(int64(len(gs))) + " gates not met"}
	}
}

func buildComparison(c *Comparison, modes []Mode, colors []string) *comparisonView {
	v := &comparisonView{Base: clip(c.Base), Method: clip(c.Method), Level: level(c), Chart: speedupChart(c, modes, colors)}
	if x, ok := minSpeedup(c); ok {
		v.MinSpeedup = fmtGateValue(x, "x")
	}
	colorOf := map[string]string{}
	for i, m := range modes {
		colorOf[m.Mode] = colors[i]
	}
	for _, s := range c.Speedups {
		v.Rows = append(v.Rows, speedupRow{Mode: clip(s.Mode), Color: colorOf[s.Mode], Ratio: fmtRatio(s.Ratio), Interval: intervalText(s)})
	}
	return v
}

func buildBaseline(b *Baseline, modes []Mode, colors []string) *baselineView {
	stat := b.Stat
	if stat == "" {
		stat = "wall"
	}
	v := &baselineView{Name: clip(b.Name), Stat: clip(stat), Test: testName(b)}
	colorOf := map[string]string{}
	for i, m := range modes {
		colorOf[m.Mode] = colors[i]
	}
	for _, d := range b.Modes {
		r := baselineRow{Mode: clip(d.Mode), Color: colorOf[d.Mode], Verdict: verdict(d)}
		for _, st := range baselineStats(d, stat) {
			r.Stats = append(r.Stats, statRow{Name: st.name, Old: st.old, New: st.new, Change: st.change, Main: st.main})
		}
		r.Span = len(r.Stats)
		if d.Decidable && d.Significant {
			r.Worse, r.Better = d.Relative > 0, d.Relative <= 0
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

func (p *page) buildPhases(modes []Mode, colors []string) {
	for _, ph := range phaseKeys(modes) {
		for i := range modes {
			d, ok := phaseDist(&modes[i], ph)
			if !ok {
				continue
			}
			r := phaseRow{Phase: ph, Mode: clip(modes[i].Mode), Color: colors[i], Count: itoa(d.Count),
				P50: fmtDur(d.P50), P95: fmtDur(d.P95), P99: fmtDur(d.P99), Max: fmtDur(d.Max), Share: "—"}
			// The phase's mean as a share of the mean total time.
			if lat := modes[i].Latency; lat.Mean > 0 && ph != "queue" {
				r.Share = fmtNum(math.Min(100*float64(d.Mean)/float64(lat.Mean), 999), 1) + "%"
			}
			p.Phases = append(p.Phases, r)
		}
	}
}

func (p *page) buildFailures(modes []Mode, colors []string) {
	var most int64
	for _, md := range modes {
		for _, f := range md.Failures {
			most = max(most, f.Count)
		}
	}
	for i, md := range modes {
		for _, f := range failureRows(md.Failures) {
			share := 0.0
			if most > 0 {
				share = float64(f.Count) / float64(most)
			}
			label := clip(f.Label())
			p.Failures = append(p.Failures, failureRow{
				Mode: clip(md.Mode), Color: colors[i], Label: label, Count: itoa(f.Count),
				Example: clip(f.Example), Message: clip(f.Message),
				Bar: barSVG(share, colors[i], clip(md.Mode)+": "+itoa(f.Count)+" × "+label),
			})
		}
	}
}
