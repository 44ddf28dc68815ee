package report

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/internal/stats"
)

// The charts are inline SVG built from these shapes: a chart holds only
// numbers and strings, and one template writes every chart, so that every
// string from the input reaches the page through html/template's
// escaping.

type svgChart struct {
	W, H    int
	Label   string // aria-label: what the chart shows
	Lines   []svgLine
	Rects   []svgRect
	Paths   []svgPath
	Circles []svgCircle
	Texts   []svgText
}

type svgLine struct {
	X1, Y1, X2, Y2 string
	Class          string // grid, axis, ref, whisker
	Stroke         string // a colour, or "" for the class's
}

type svgRect struct {
	X, Y, W, H string
	Fill       string
	Class      string
	Title      string // a tooltip
}

type svgPath struct {
	D      string
	Stroke string
	Class  string
	Title  string
}

type svgCircle struct {
	CX, CY, R string
	Fill      string
	Title     string
}

type svgText struct {
	X, Y   string
	Anchor string // start, middle, end
	Class  string // tick, label, title, legend, value
	Fill   string
	Rotate bool // vertical (an axis title)
	S      string
}

// f1 writes a coordinate with at most one decimal.
func f1(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	s := strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s
}

// scale maps values (nanoseconds, or a ratio) to pixels, linearly or on
// a log scale.
type scale struct {
	log      bool
	lo, hi   float64 // the domain; lo > 0 when log
	px0, px1 float64
}

// pos returns v's pixel, clamped to the scale's pixels: a value out of
// the domain (from a Model whose numbers disagree) stays on the chart.
func (s scale) pos(v float64) float64 {
	var p float64
	if s.log {
		v = max(v, s.lo)
		p = s.px0 + (math.Log(v)-math.Log(s.lo))/(math.Log(s.hi)-math.Log(s.lo))*(s.px1-s.px0)
	} else {
		p = s.px0 + (v-s.lo)/(s.hi-s.lo)*(s.px1-s.px0)
	}
	return min(max(p, min(s.px0, s.px1)), max(s.px0, s.px1))
}

// at returns the value at fraction t (0 … 1) of the domain.
func (s scale) at(t float64) float64 {
	if s.log {
		return math.Exp(math.Log(s.lo) + t*(math.Log(s.hi)-math.Log(s.lo)))
	}
	return s.lo + t*(s.hi-s.lo)
}

// ticks returns round values in the domain: 1, 2, 5 × 10^k on a log
// scale, a 1-2-5 step giving about n ticks on a linear one.
func (s scale) ticks(n int) []float64 {
	var out []float64
	if s.log {
		for e := math.Floor(math.Log10(s.lo)); e <= math.Ceil(math.Log10(s.hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if v >= s.lo*(1-1e-9) && v <= s.hi*(1+1e-9) {
					out = append(out, v)
				}
			}
		}
		if len(out) >= 2 {
			return out
		}
		// A narrow log domain: fall back to linear steps.
		out = nil
	}
	step := niceStep((s.hi - s.lo) / float64(n))
	for v := math.Ceil(s.lo/step-1e-9) * step; v <= s.hi*(1+1e-9)+step*1e-9; v += step {
		out = append(out, v)
		if len(out) > 4*n { // a float step that will not advance
			break
		}
	}
	return out
}

// niceStep rounds x up to 1, 2 or 5 × 10^k.
func niceStep(x float64) float64 {
	if !(x > 0) {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= x*(1-1e-9) {
			return m * e
		}
	}
	return 10 * e
}

// timeScale returns the x scale of durations from lo to hi nanoseconds:
// logarithmic when hi is at least 5 times lo, so that a fast cache hit and
// a slow miss both show; linear from 0 otherwise, with a margin.
func timeScale(lo, hi float64, px0, px1 float64) scale {
	if hi <= 0 {
		return scale{lo: 0, hi: float64(time.Millisecond), px0: px0, px1: px1}
	}
	if lo > 0 && hi/lo >= 5 {
		return scale{log: true, lo: lo, hi: hi, px0: px0, px1: px1}
	}
	step := niceStep(hi / 5)
	return scale{lo: 0, hi: math.Ceil(hi/step) * step, px0: px0, px1: px1}
}

// durLabel writes a tick's duration (nanoseconds) briefly: 500µs, 20ms, 1.5s.
func durLabel(ns float64) string {
	d := time.Duration(math.Round(ns))
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return fmtNum(ns, 1) + "ns"
	case d < time.Millisecond:
		return fmtNum(ns/1e3, 1) + "µs"
	case d < time.Second:
		return fmtNum(ns/1e6, 1) + "ms"
	}
	return fmtNum(ns/1e9, 2) + "s"
}

// Layout of the plots: margins around the plot area.
const (
	chartW     = 880
	marginL    = 64
	marginR    = 24
	marginT    = 16
	axisBottom = 44
)

// latencyRange returns the smallest and largest latency over the modes,
// in nanoseconds, and whether any mode has samples.
func latencyRange(modes []Mode) (lo, hi float64, ok bool) {
	lo = math.Inf(1)
	for _, m := range modes {
		if m.Latency.Count == 0 || len(m.Latency.Buckets) == 0 {
			continue
		}
		ok = true
		lo = min(lo, float64(m.Latency.Min))
		hi = max(hi, float64(m.Latency.Max))
	}
	return lo, hi, ok
}

// xAxis adds the ticks, grid and title of a time axis at the bottom of a
// plot area from top to bottom.
func xAxis(c *svgChart, s scale, top, bottom float64, title string, durations bool) {
	for _, v := range s.ticks(6) {
		x := f1(s.pos(v))
		c.Lines = append(c.Lines, svgLine{X1: x, Y1: f1(top), X2: x, Y2: f1(bottom), Class: "grid"})
		label := fmtNum(v, 2)
		if durations {
			label = durLabel(v)
		} else {
			label += "×"
		}
		c.Texts = append(c.Texts, svgText{X: x, Y: f1(bottom + 16), Anchor: "middle", Class: "tick", S: label})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(s.px0), Y1: f1(bottom), X2: f1(s.px1), Y2: f1(bottom), Class: "axis"})
	if title != "" {
		c.Texts = append(c.Texts, svgText{X: f1((s.px0 + s.px1) / 2), Y: f1(bottom + 36), Anchor: "middle", Class: "label", S: title})
	}
}

// yAxisPercent adds a 0 … top% axis on the left of a plot area.
func yAxisPercent(c *svgChart, top, bottom, left, right, maxPct float64, title string) {
	step := niceStep(maxPct / 4)
	for v := 0.0; v <= maxPct*(1+1e-9); v += step {
		y := f1(bottom - v/maxPct*(bottom-top))
		c.Lines = append(c.Lines, svgLine{X1: f1(left), Y1: y, X2: f1(right), Y2: y, Class: "grid"})
		c.Texts = append(c.Texts, svgText{X: f1(left - 6), Y: y, Anchor: "end", Class: "tick ymid", S: fmtNum(v, 1) + "%"})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(left), Y1: f1(top), X2: f1(left), Y2: f1(bottom), Class: "axis"})
	if title != "" {
		c.Texts = append(c.Texts, svgText{X: f1(14), Y: f1((top + bottom) / 2), Anchor: "middle", Class: "label", Rotate: true, S: title})
	}
}

const cdfPoints = 240 // points of a CDF's line, whatever its buckets

// cdfChart draws the latency CDF of every mode on one plot.
func cdfChart(modes []Mode, colors []string) *svgChart {
	lo, hi, ok := latencyRange(modes)
	if !ok {
		return nil
	}
	const h = 300
	top, bottom := float64(marginT), float64(h-axisBottom)
	c := &svgChart{W: chartW, H: h, Label: "latency CDF: the share of successful fetches done within each time, per mode"}
	s := timeScale(lo, hi, marginL, chartW-marginR)
	yAxisPercent(c, top, bottom, marginL, chartW-marginR, 100, "fetches done")
	xAxis(c, s, top, bottom, "total time of a fetch"+scaleNote(s), true)
	y := func(frac float64) float64 { return bottom - frac*(bottom-top) }
	for i, m := range modes {
		d := m.Latency
		if d.Count == 0 || len(d.Buckets) == 0 {
			continue
		}
		// The cumulative share at cdfPoints edges across the domain: a
		// bucket counts once its middle is at or below the edge.
		var b strings.Builder
		b.WriteString("M" + f1(s.pos(float64(d.Min))) + " " + f1(y(0)))
		var cum int64
		k := 0
		for j := 1; j <= cdfPoints; j++ {
			edge := s.at(float64(j) / cdfPoints)
			for k < len(d.Buckets) && mid(d.Buckets[k]) <= edge {
				cum += d.Buckets[k].Count
				k++
			}
			if j == cdfPoints { // the last edge is hi: every bucket
				for ; k < len(d.Buckets); k++ {
					cum += d.Buckets[k].Count
				}
			}
			x := s.pos(edge)
			if x < s.pos(float64(d.Min)) {
				continue
			}
			b.WriteString("L" + f1(x) + " " + f1(y(float64(cum)/float64(d.Count))))
		}
		c.Paths = append(c.Paths, svgPath{D: b.String(), Stroke: colors[i], Class: "line", Title: clip(m.Mode) + ": p50 " + fmtDur(d.P50) + ", p95 " + fmtDur(d.P95) + ", p99 " + fmtDur(d.P99)})
		// Mark p50, p95 and p99 on the line.
		for _, p := range []struct {
			v    time.Duration
			frac float64
			name string
		}{{d.P50, 0.5, "p50"}, {d.P95, 0.95, "p95"}, {d.P99, 0.99, "p99"}} {
			c.Circles = append(c.Circles, svgCircle{CX: f1(s.pos(float64(p.v))), CY: f1(y(p.frac)), R: "3.5", Fill: colors[i],
				Title: clip(m.Mode) + " " + p.name + " " + fmtDur(p.v)})
		}
	}
	return c
}

// scaleNote says when an axis is logarithmic.
func scaleNote(s scale) string {
	if s.log {
		return " (log scale)"
	}
	return ""
}

// mid is the middle of a bucket in nanoseconds.
func mid(b Bucket) float64 { return (float64(b.Lo) + float64(b.Hi)) / 2 }

const histBins = 48 // bars of a latency histogram, whatever its buckets

// histCharts draws the latency histogram of each mode, one panel a mode
// on a shared time axis and a shared percent scale, so that shapes
// compare at a glance.
func histCharts(modes []Mode, colors []string) []*svgChart {
	lo, hi, ok := latencyRange(modes)
	if !ok {
		return nil
	}
	s := timeScale(lo, hi, marginL, chartW-marginR)
	shares := make([][]float64, len(modes))
	maxShare := 0.0
	for i, m := range modes {
		d := m.Latency
		if d.Count == 0 {
			continue
		}
		bins := make([]float64, histBins)
		for _, b := range d.Buckets {
			t := (s.pos(mid(b)) - s.px0) / (s.px1 - s.px0)
			j := min(max(int(t*histBins), 0), histBins-1)
			bins[j] += float64(b.Count)
		}
		for j := range bins {
			bins[j] = 100 * bins[j] / float64(d.Count)
			maxShare = max(maxShare, bins[j])
		}
		shares[i] = bins
	}
	maxPct := niceStep(maxShare/4) * math.Ceil(maxShare/niceStep(maxShare/4))
	if !(maxPct > 0) { // counts that add up to nothing
		maxPct = 100
	}
	last := -1
	for i := range modes {
		if shares[i] != nil {
			last = i
		}
	}
	var out []*svgChart
	for i, m := range modes {
		if shares[i] == nil {
			continue
		}
		// The last panel carries the axis's title below it.
		h, xTitle := 130, ""
		if i == last {
			h, xTitle = 150, "total time of a fetch"+scaleNote(s)
		}
		top, bottom := 22.0, float64(130-axisBottom+20)
		c := &svgChart{W: chartW, H: h, Label: "latency histogram of " + clip(m.Mode) + ": the share of successful fetches in each range of total time"}
		yAxisPercent(c, top, bottom, marginL, chartW-marginR, maxPct, "")
		xAxis(c, s, top, bottom, xTitle, true)
		c.Texts = append(c.Texts, svgText{X: f1(marginL + 4), Y: "14", Anchor: "start", Class: "legend", Fill: colors[i],
			S: clip(m.Mode) + ": " + itoa(m.Latency.Count) + " fetches, p50 " + fmtDur(m.Latency.P50) + ", p99 " + fmtDur(m.Latency.P99)})
		bw := (s.px1 - s.px0) / histBins
		for j, share := range shares[i] {
			if share == 0 {
				continue
			}
			x := s.px0 + float64(j)*bw
			bh := share / maxPct * (bottom - top)
			from, to := s.at(float64(j)/histBins), s.at(float64(j+1)/histBins)
			c.Rects = append(c.Rects, svgRect{X: f1(x + 0.5), Y: f1(bottom - bh), W: f1(max(bw-1, 0.5)), H: f1(max(bh, 0.5)), Fill: colors[i], Class: "bar",
				Title: clip(m.Mode) + ": " + fmtNum(share, 2) + "% of fetches took " + durLabel(from) + " to " + durLabel(to)})
		}
		out = append(out, c)
	}
	return out
}

// Phase colours of the waterfall, after the browsers' network panels.
var phaseColors = []struct{ name, color, doc string }{
	{"queue", "#adb5bd", "waiting for a free slot"},
	{"dns", "#22b8cf", "DNS lookup"},
	{"connect", "#fd7e14", "TCP connect"},
	{"tls", "#9775fa", "TLS handshake"},
	{"wait", "#51cf66", "request sent, waiting for the first byte"},
	{"receive", "#339af0", "receiving the response"},
}

// waterfallChart draws the phases of a mode's slowest fetches, one row a
// fetch, each aligned at the moment it was queued.
func waterfallChart(m *Mode) *svgChart {
	rows := m.Slowest
	if len(rows) > MaxSlowest {
		rows = rows[:MaxSlowest]
	}
	if len(rows) == 0 {
		return nil
	}
	const (
		rowH   = 22
		labelW = 300
		top    = 8
	)
	h := top + len(rows)*rowH + axisBottom - 8
	bottom := float64(top + len(rows)*rowH)
	var end float64
	for _, f := range rows {
		end = max(end, float64(max(f.Queue, 0)+max(f.Total, 0)))
	}
	if end <= 0 {
		end = float64(time.Millisecond)
	}
	step := niceStep(end / 5)
	s := scale{lo: 0, hi: math.Ceil(end/step) * step, px0: labelW + 8, px1: chartW - marginR - 56}
	c := &svgChart{W: chartW, H: h, Label: "waterfall of the slowest fetches of " + clip(m.Mode) + ": the phases of each, from the moment it was queued"}
	xAxis(c, s, top, bottom, "time since the fetch was queued", true)
	for i, f := range rows {
		y := float64(top + i*rowH)
		url := clip(f.URL)
		c.Texts = append(c.Texts, svgText{X: f1(labelW), Y: f1(y + rowH/2), Anchor: "end", Class: "url ymid", S: shorten(url, 40)})
		// The queue, then the phases from the start of the fetch, each
		// clamped to its end: DNS, connect and TLS add up over every
		// connection of a redirected fetch, which may run past the first
		// byte.
		q := float64(max(f.Queue, 0))
		endAt := q + float64(max(f.Total, 0))
		seg := func(phase int, from, to float64) {
			if to <= from {
				return
			}
			pc := phaseColors[phase]
			c.Rects = append(c.Rects, svgRect{X: f1(s.pos(from)), Y: f1(y + 4), W: f1(max(s.pos(to)-s.pos(from), 1)), H: f1(rowH - 8), Fill: pc.color, Class: "seg",
				Title: url + " — " + pc.name + " " + fmtDur(time.Duration(to-from))})
		}
		seg(0, 0, q)
		at := q
		for phase, d := range []time.Duration{f.DNS, f.Connect, f.TLS} {
			to := min(at+float64(max(d, 0)), endAt)
			seg(phase+1, at, to)
			at = to
		}
		firstByte := max(at, min(q+float64(max(f.TTFB, 0)), endAt))
		seg(4, at, firstByte)
		seg(5, firstByte, endAt)
		c.Texts = append(c.Texts, svgText{X: f1(s.pos(endAt) + 6), Y: f1(y + rowH/2), Anchor: "start", Class: "value ymid", S: fmtDur(f.Total)})
	}
	return c
}

// shorten cuts s to n runes with a middle ellipsis, keeping its start
// (scheme and host) and its end (the file).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := n * 2 / 3
	tail := n - head - 1
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// speedupChart draws each mode's speedup over the base with its interval,
// a reference line at 1× and one at the --min-speedup gate.
func speedupChart(c *Comparison, modes []Mode, colors []string) *svgChart {
	if c == nil || len(c.Speedups) == 0 {
		return nil
	}
	const (
		rowH   = 34
		labelW = 150
		top    = 26
	)
	lo, hi := 1.0, 1.0
	for _, sp := range c.Speedups {
		for _, v := range []float64{sp.Ratio, sp.Lo, sp.Hi} {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	gateAt, hasGate := minSpeedup(c)
	if hasGate {
		lo, hi = min(lo, gateAt), max(hi, gateAt)
	}
	pad := (hi - lo) * 0.1
	if pad == 0 {
		pad = 0.1
	}
	step := niceStep((hi - lo + 2*pad) / 6)
	s := scale{lo: max(math.Floor((lo-pad)/step)*step, 0), hi: math.Ceil((hi+pad)/step) * step, px0: labelW, px1: chartW - marginR}
	n := len(c.Speedups)
	bottom := float64(top + n*rowH)
	ch := &svgChart{W: chartW, H: int(bottom) + axisBottom, Label: "speedup of each mode over " + clip(c.Base) + " with its " + level(c) + " interval"}
	xAxis(ch, s, top, bottom, "times faster than "+clip(c.Base), false)
	ref := func(v float64, label, class string) {
		x := f1(s.pos(v))
		ch.Lines = append(ch.Lines, svgLine{X1: x, Y1: f1(top - 8), X2: x, Y2: f1(bottom), Class: class})
		ch.Texts = append(ch.Texts, svgText{X: x, Y: f1(top - 12), Anchor: "middle", Class: "tick", S: label})
	}
	ref(1, "1× (as fast)", "ref")
	if hasGate {
		ref(gateAt, "gate "+fmtGateValue(gateAt, "x"), "gateline")
	}
	colorOf := map[string]string{}
	for i, m := range modes {
		colorOf[m.Mode] = colors[i]
	}
	for i, sp := range c.Speedups {
		y := float64(top) + float64(i)*rowH + rowH/2
		col := colorOf[sp.Mode]
		if col == "" {
			col = "#495057"
		}
		ch.Texts = append(ch.Texts, svgText{X: f1(labelW - 10), Y: f1(y), Anchor: "end", Class: "legend ymid", Fill: col, S: clip(sp.Mode) + " " + fmtRatio(sp.Ratio)})
		tip := clip(sp.Mode) + ": " + fmtRatio(sp.Ratio) + " faster than " + clip(c.Base)
		if sp.HasCI {
			tip += ", " + level(c) + " interval " + fmtRatio(sp.Lo) + " to " + fmtRatio(sp.Hi)
			x1, x2 := f1(s.pos(sp.Lo)), f1(s.pos(sp.Hi))
			ch.Lines = append(ch.Lines,
				svgLine{X1: x1, Y1: f1(y), X2: x2, Y2: f1(y), Class: "whisker", Stroke: col},
				svgLine{X1: x1, Y1: f1(y - 7), X2: x1, Y2: f1(y + 7), Class: "whisker", Stroke: col},
				svgLine{X1: x2, Y1: f1(y - 7), X2: x2, Y2: f1(y + 7), Class: "whisker", Stroke: col})
		} else {
			tip += " (one run a mode: no interval)"
		}
		ch.Circles = append(ch.Circles, svgCircle{CX: f1(s.pos(sp.Ratio)), CY: f1(y), R: "6", Fill: col, Title: tip})
	}
	return ch
}

// barSVG is a small horizontal bar, share of the full width (a table
// cell's chart).
func barSVG(share float64, color, title string) *svgChart {
	const w, h = 160, 12
	c := &svgChart{W: w, H: h, Label: title}
	c.Rects = append(c.Rects, svgRect{X: "0", Y: "0", W: f1(w), H: f1(h), Fill: "#f1f3f5", Class: "track"})
	if share > 0 {
		c.Rects = append(c.Rects, svgRect{X: "0", Y: "0", W: f1(max(share*w, 1)), H: f1(h), Fill: color, Class: "bar", Title: title})
	}
	return c
}

// tailPoints is the number of points of a line of the percentile chart.
const tailPoints = 160

// percentileOf returns the nearest-rank p-th percentile (0 < q <= 1 as a
// fraction) of d from its buckets, as stats.Histogram.Percentile gives it:
// the middle of the bucket holding that rank, clamped to [Min, Max].
func percentileOf(d Dist, q float64) float64 {
	n := d.Count
	r := stats.Rank(100*q, n)
	switch {
	case r <= 1:
		return float64(d.Min)
	case r >= n:
		return float64(d.Max)
	}
	var cum int64
	for _, b := range d.Buckets {
		cum += b.Count
		if cum >= r {
			return min(max(mid(b), float64(d.Min)), float64(d.Max))
		}
	}
	return float64(d.Max)
}

// tailChart draws each mode's latency against the percentile, the
// percentile axis spread by its nines (90%, 99%, 99.9%, …) as
// HdrHistogram's plots are, so the tail gets as much room as the body.
// The axis ends at the finest percentile the samples resolve: 99% of 100
// fetches is the last one but one.
func tailChart(modes []Mode, colors []string) *svgChart {
	lo, hi, ok := latencyRange(modes)
	if !ok {
		return nil
	}
	var nines float64 // log10 of the most samples of a mode, at most 5
	for _, m := range modes {
		if m.Latency.Count > 1 {
			nines = max(nines, math.Min(math.Log10(float64(m.Latency.Count)), 5))
		}
	}
	if nines < 1 {
		nines = 1
	}
	const h = 280
	top, bottom := float64(marginT+4), float64(h-axisBottom)
	c := &svgChart{W: chartW, H: h, Label: "latency by percentile: the time within which each share of the successful fetches was done, per mode"}
	x := scale{lo: 0, hi: nines, px0: marginL, px1: chartW - marginR}
	y := timeScale(lo, hi, bottom, top)
	if !y.log {
		y.lo = 0
	}
	// The y axis: times.
	for _, v := range y.ticks(4) {
		py := f1(y.pos(v))
		c.Lines = append(c.Lines, svgLine{X1: f1(x.px0), Y1: py, X2: f1(x.px1), Y2: py, Class: "grid"})
		c.Texts = append(c.Texts, svgText{X: f1(x.px0 - 6), Y: py, Anchor: "end", Class: "tick ymid", S: durLabel(v)})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(x.px0), Y1: f1(top), X2: f1(x.px0), Y2: f1(bottom), Class: "axis"})
	c.Texts = append(c.Texts, svgText{X: "14", Y: f1((top + bottom) / 2), Anchor: "middle", Class: "label", Rotate: true, S: "total time" + scaleNote(y)})
	// The x axis: percentiles at whole nines.
	for k := 0.0; k <= nines+1e-9; k++ {
		px := f1(x.pos(k))
		c.Lines = append(c.Lines, svgLine{X1: px, Y1: f1(top), X2: px, Y2: f1(bottom), Class: "grid"})
		c.Texts = append(c.Texts, svgText{X: px, Y: f1(bottom + 16), Anchor: "middle", Class: "tick", S: fmtNum(100*(1-math.Pow(10, -k)), 3) + "%"})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(x.px0), Y1: f1(bottom), X2: f1(x.px1), Y2: f1(bottom), Class: "axis"})
	c.Texts = append(c.Texts, svgText{X: f1((x.px0 + x.px1) / 2), Y: f1(bottom + 36), Anchor: "middle", Class: "label", S: "percentile of the fetches (by nines)"})
	for i, m := range modes {
		d := m.Latency
		if d.Count == 0 || len(d.Buckets) == 0 {
			continue
		}
		// The mode's own end: the finest percentile its samples resolve.
		end := math.Min(math.Log10(float64(max(d.Count, 10))), nines)
		var b strings.Builder
		for j := 0; j <= tailPoints; j++ {
			t := end * float64(j) / tailPoints
			q := 1 - math.Pow(10, -t)
			if j == 0 {
				q = 0
			}
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			b.WriteString(cmd + f1(x.pos(t)) + " " + f1(y.pos(percentileOf(d, q))))
		}
		c.Paths = append(c.Paths, svgPath{D: b.String(), Stroke: colors[i], Class: "line",
			Title: clip(m.Mode) + ": p90 " + fmtDur(d.P90) + ", p99 " + fmtDur(d.P99) + ", p99.9 " + fmtDur(d.P999) + ", max " + fmtDur(d.Max)})
	}
	return c
}
