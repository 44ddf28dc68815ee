package main

// --histogram: the latency distribution of each mode drawn in the
// terminal after the run (stats.Chart), fitted to its width, in colour
// only on a terminal.

import (
	"bytes"
	"fmt"

	"github.com/greenfetch/greenfetch/internal/stats"
)

// chartLogSpread is the ratio of the slowest to the fastest fetch from
// which the histogram's rows grow by a ratio (stats.Log) rather than by
// equal steps: then a 1 ms hit and a 300 ms miss both get rows.
const chartLogSpread = 10

// maxChartWidth bounds the chart on a wide terminal, where bars of the
// whole width would be hard to read.
const maxChartWidth = 120

// drawHistograms draws the latency histogram of each mode, over all its
// runs, after the run's last object: to stdout with the costs and
// summaries in text, to stderr with --json (whose stdout is NDJSON), -w
// or -o FILE.
func (v *verdictRun) drawHistograms() {
	o := v.p.o
	if !v.t.histogram || v.p.out.Err() != nil {
		return
	}
	write, tty := v.p.info.writeLine, o.IO.OutTTY
	if o.JSON || o.WriteOut != nil || v.p.echo != nil {
		// stdout is NDJSON, -w's lines or a file (-o): the chart is for
		// the terminal, on stderr (but for -s, which wants none there).
		if o.Silent {
			return
		}
		write = func(b []byte) { o.IO.ErrOut.Write(b) } //nolint:errcheck // a chart that cannot be drawn is no reason to stop
		tty = o.IO.ErrTTY
	}
	width := 80
	if tty {
		width = min(v.p.o.IO.termWidth(), maxChartWidth)
	}
	var b bytes.Buffer
	for _, m := range v.p.modes {
		t := v.totals[m]
		if t == nil || t.runs == 0 {
			continue
		}
		b.Reset()
		chartOf(&b, t, len(v.p.modes) > 1, width, tty && colourAllowed(o.IO))
		write(b.Bytes())
	}
}

// chartOf writes the title and chart of the latency of t.
func chartOf(b *bytes.Buffer, t *modeTotals, named bool, width int, colour bool) {
	b.WriteString("latency")
	if t.fromDue {
		b.WriteString(" from the scheduled start")
	}
	if named {
		b.WriteString(" of " + t.mode.String())
	}
	fmt.Fprintf(b, " (%d fetches", t.lat.Count())
	if t.runs > 1 {
		fmt.Fprintf(b, ", %d runs", t.runs)
	}
	b.WriteString("):\n")
	c := stats.Chart{Width: width, Color: colour}
	if lo := t.lat.Min(); lo > 0 && t.lat.Max() >= chartLogSpread*lo {
		c.Scale = stats.Log
	}
	if err := c.Render(b, &t.lat); err != nil {
		// Too narrow a terminal for bars beside the labels: draw at the
		// default width rather than nothing.
		c.Width = 0
		c.Render(b, &t.lat) //nolint:errcheck // a bytes.Buffer does not fail
	}
}

// colourAllowed reports whether a terminal's output may be coloured:
// not with NO_COLOR set (no-color.org) or TERM=dumb.
func colourAllowed(ios *IOStreams) bool {
	return ios.getenv("NO_COLOR") == "" && ios.getenv("TERM") != "dumb"
}
