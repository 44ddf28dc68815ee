package report

import (
	"bufio"
	"io"
	"strings"
)

// RenderMarkdown writes m as GitHub-flavoured Markdown, the tables a CI
// page shows (what GITHUB_STEP_SUMMARY gets): the summary of each mode
// with its percentiles, the comparison with its interval, the gates with
// a ✅ or ❌, the baseline diff and the failures by kind. Every string
// from the input is escaped, so that a | in a URL stays in its cell and
// no markup (a link, an image, HTML) comes from a URL. The output
// depends on m alone. It returns the first error of w.
func RenderMarkdown(w io.Writer, m *Model) error {
	bw := bufio.NewWriter(w)
	r := mdWriter{w: bw}
	c, hidden := capped(m)
	r.render(&c, hidden)
	return bw.Flush()
}

type mdWriter struct {
	w *bufio.Writer
}

func (r mdWriter) line(parts ...string) {
	for _, p := range parts {
		r.w.WriteString(p)
	}
	r.w.WriteByte('\n')
}

// row writes one table row of cells already escaped.
func (r mdWriter) row(cells ...string) {
	r.w.WriteString("|")
	for _, c := range cells {
		r.w.WriteString(" ")
		r.w.WriteString(c)
		r.w.WriteString(" |")
	}
	r.w.WriteByte('\n')
}

// header writes a table's header; align holds one of 'l', 'r' or 'c' per
// column.
func (r mdWriter) header(align string, cells ...string) {
	r.row(cells...)
	seps := make([]string, len(cells))
	for i := range cells {
		switch align[i] {
		case 'r':
			seps[i] = "---:"
		case 'c':
			seps[i] = ":---:"
		default:
			seps[i] = ":---"
		}
	}
	r.row(seps...)
}

func (r mdWriter) render(m *Model, hidden int) {
	r.line("## ", mdText(title(m)))
	if m.Subtitle != "" {
		r.line()
		r.line(mdText(clip(m.Subtitle)))
	}
	modes := m.Modes
	r.summary(modes, hidden)
	if m.Comparison != nil && len(m.Comparison.Speedups) > 0 {
		r.comparison(m.Comparison)
	}
	if len(m.Gates) > 0 {
		r.gates(m.Gates)
	}
	if m.Baseline != nil && len(m.Baseline.Modes) > 0 {
		r.baseline(m.Baseline)
	}
	r.failures(modes)
}

func (r mdWriter) summary(modes []Mode, hidden int) {
	r.line()
	r.line("### Summary")
	r.line()
	if len(modes) == 0 {
		r.line("No mode ran.")
		return
	}
	repeats := false
	for _, md := range modes {
		repeats = repeats || len(md.Runs) > 1
	}
	cols := []string{"mode", "runs", "wall"}
	align := "lrr"
	if repeats {
		cols = append(cols, "wall mean ± σ")
		align += "r"
	}
	cols = append(cols, "URLs", "ok", "failed", "bytes", "results/s")
	align += "rrrrr"
	r.header(align, cols...)
	for i := range modes {
		md := &modes[i]
		cells := []string{mdText(clip(md.Mode)), itoa(int64(len(md.Runs))), fmtDur(md.Wall())}
		if repeats {
			cells = append(cells, wallSpread(md))
		}
		cells = append(cells, itoa(md.URLs), itoa(md.OK), itoa(md.Failed), fmtBytes(md.Bytes), fmtNum(md.RPS, 1))
		r.row(cells...)
	}
	r.line()
	r.line("Latency of the successful fetches:")
	r.line()
	r.header("lrrrrrrr", "mode", "p50", "p90", "p95", "p99", "p99.9", "max", "mean ± σ")
	for i := range modes {
		r.row(append([]string{mdText(clip(modes[i].Mode))}, latencyCells(modes[i].Latency)...)...)
	}
	if hidden > 0 {
		r.line()
		r.line("(", itoa(int64(hidden)), " more modes not shown)")
	}
}

// wallSpread writes the mean and standard deviation of a mode's run
// times, hyperfine's "mean ± σ".
func wallSpread(md *Mode) string {
	s := md.wallSample()
	if s.N < 2 {
		return "—"
	}
	return fmtDur(durOf(s.Mean)) + " ± " + fmtDur(durOf(s.Stddev))
}

// latencyCells writes p50 … max and mean ± σ of d, or dashes without
// samples.
func latencyCells(d Dist) []string {
	if d.Count == 0 {
		return []string{"—", "—", "—", "—", "—", "—", "—"}
	}
	return []string{fmtDur(d.P50), fmtDur(d.P90), fmtDur(d.P95), fmtDur(d.P99), fmtDur(d.P999), fmtDur(d.Max),
		fmtDur(d.Mean) + " ± " + fmtDur(d.Stddev)}
}

func (r mdWriter) comparison(c *Comparison) {
	r.line()
	r.line("### Comparison")
	r.line()
	method := ""
	if c.Method != "" {
		method = ": " + mdText(clip(c.Method))
	}
	r.line("Speedup over ", mdText(clip(c.Base)), method, ", ", level(c), " interval.")
	r.line()
	r.header("lrr", "mode", "speedup", level(c)+" interval")
	for _, s := range c.Speedups {
		r.row(mdText(clip(s.Mode)), fmtRatio(s.Ratio), intervalText(s))
	}
	if x, ok := minSpeedup(c); ok {
		r.line()
		r.line("Gate: speedup ≥ ", fmtGateValue(x, "x"), ".")
	}
}

// intervalText writes a speedup's interval, or why it has none.
func intervalText(s Speedup) string {
	if !s.HasCI {
		return "— (needs 2 runs a mode)"
	}
	return fmtRatio(s.Lo) + " – " + fmtRatio(s.Hi)
}

func (r mdWriter) gates(gs []Gate) {
	failed := 0
	for _, g := range gs {
		if !g.Met {
			failed++
		}
	}
	r.line()
	if failed == 0 {
		r.line("### Gates: all ", itoa(int64(len(gs))), " met")
	} else {
		r.line("### Gates: ", itoa(int64(failed)), " of ", itoa(int64(len(gs))), " not met")
	}
	r.line()
	r.header("clrr", "", "gate", "value", "limit")
	for i, g := range gs {
		if i == MaxGates {
			r.line()
			r.line("(", itoa(int64(len(gs)-MaxGates)), " more gates not shown)")
			break
		}
		mark, value := "✅ pass", fmtGateValue(g.Value, g.Unit)
		if !g.Met {
			mark = "❌ FAIL"
		}
		if !g.Available {
			value = "not measured"
		}
		r.row(mark, mdText(clip(g.Expr)), value, fmtGateValue(g.Limit, g.Unit))
	}
}

func (r mdWriter) baseline(b *Baseline) {
	r.line()
	if b.Name != "" {
		r.line("### Baseline: ", mdText(clip(b.Name)))
	} else {
		r.line("### Baseline")
	}
	stat := b.Stat
	if stat == "" {
		stat = "wall"
	}
	r.line()
	r.line("Whether the change of the ", mdText(clip(stat)), " is beyond noise is decided by the ", mdText(testName(b)), ", on the runs of each side.")
	r.line()
	r.header("llrrrl", "mode", "statistic", "old", "new", "change", "verdict")
	for _, d := range b.Modes {
		for _, st := range baselineStats(d, stat) {
			name, v := st.name, ""
			if st.main {
				name, v = "**"+name+"**", verdict(d)
			}
			r.row(mdText(clip(d.Mode)), name, st.old, st.new, st.change, v)
		}
	}
}

func (r mdWriter) failures(modes []Mode) {
	if !hasFailures(modes) {
		return
	}
	r.line()
	r.line("### Failures")
	r.line()
	r.header("llrll", "mode", "kind", "count", "example", "message")
	for _, md := range modes {
		for _, f := range failureRows(md.Failures) {
			r.row(mdText(clip(md.Mode)), mdText(clip(f.Label())), itoa(f.Count), mdText(clip(f.Example)), mdText(clip(f.Message)))
		}
	}
}

// mdText escapes s for a Markdown table cell or heading. A < becomes
// &lt;, which no renderer reads as the start of HTML, even where an
// autolink swallows a backslash before it (markdown-it's linkify does); a
// & that would start an entity becomes &amp;. Every other ASCII
// punctuation mark that could start inline markup is backslash-escaped
// (CommonMark allows that for any of them): emphasis, code, links and
// images, GitHub's math ($) and strikethrough, a heading's closing #, and
// |, which GFM reads as a cell's edge.
func mdText(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
			continue
		case r == '&' && entityAt(s[i+1:]):
			b.WriteString("&amp;")
			continue
		case strings.ContainsRune("\\`*_[]|~$#", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// entityAt reports whether s, following a &, would make an entity or a
// character reference: a name or #digits or #xhex, then a ;. A & not
// followed so is text to CommonMark, as in ?a=1&b=2.
func entityAt(s string) bool {
	n := 0
	for n < len(s) && n < 40 {
		c := s[n]
		if c == ';' {
			return n > 0
		}
		if !(c == '#' && n == 0) && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
		n++
	}
	return false
}
