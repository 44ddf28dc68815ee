package stats

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Scale is how a Chart spreads its rows over the samples' range.
type Scale int

const (
	// Linear rows are equally wide, from Min to Max: the shape of the
	// distribution as it is (oha's histogram).
	Linear Scale = iota
	// Log rows grow by an equal ratio, from Min to Max: a 1 ms cache hit
	// and a 300 ms miss both get rows of their own.
	Log
)

var scaleNames = map[Scale]string{Linear: "linear", Log: "log"}

func (s Scale) String() string {
	if n, ok := scaleNames[s]; ok {
		return n
	}
	return "Scale(" + strconv.Itoa(int(s)) + ")"
}

// Chart draws a Histogram as horizontal bars for a terminal, one row per
// range of durations, labelled with the range's upper bound and its count:
//
//	98.0ms  12 │███▍
//	 101ms 104 │█████████████████████████████▉
//
// The output depends only on the histogram and the Chart, never on the
// terminal. Its zero value draws 10 rows, 80 columns wide, in Unicode
// block characters without colour.
type Chart struct {
	// Width is the number of columns of the longest line (the bar of the
	// largest count fills it), at most 1000. If zero, 80 is used.
	Width int
	// Height is the most rows drawn. Fewer are drawn when rows would be
	// finer than the histogram's buckets (all samples equal make one
	// row). If zero, 10 is used.
	Height int
	// Scale spreads the rows; Linear if zero.
	Scale Scale
	// Color draws the bars with ANSI colour escapes: green for the rows
	// that start below the median, yellow for those that start below the
	// 99th percentile, red from it on. Off unless set; the escapes take
	// no columns.
	Color bool
	// ASCII draws bars of '#' and writes "us" for µs, for logs that
	// mangle other characters.
	ASCII bool
}

const (
	defaultWidth  = 80
	defaultHeight = 10
	// minBarColumns is the narrowest bar Render accepts: narrower bars
	// tell too few counts apart.
	minBarColumns = 8
	// maxWidth bounds a line: wider than any terminal, and a bar of
	// blocks costs 3 bytes a column.
	maxWidth = 1000
)

// Render writes the chart of h to w: nothing but "no samples" and a
// newline when h is empty. It fails, writing nothing, when Width is over
// 1000 or leaves fewer than 8 columns for the bars beside the labels; and
// when w fails.
func (c Chart) Render(w io.Writer, h *Histogram) error {
	width, height := c.Width, c.Height
	if width <= 0 {
		width = defaultWidth
	}
	if width > maxWidth {
		return fmt.Errorf("stats: chart of %d columns: at most %d", width, maxWidth)
	}
	if height <= 0 {
		height = defaultHeight
	}
	if h.Count() == 0 {
		_, err := io.WriteString(w, "no samples\n")
		return err
	}
	rows := c.layout(h, height)
	labels := rowLabels(rows, c.ASCII)
	var maxCount int64
	labelW := 0
	for i, r := range rows {
		maxCount = max(maxCount, r.count)
		labelW = max(labelW, len([]rune(labels[i])))
	}
	countW := len(strconv.FormatInt(maxCount, 10))
	barW := width - labelW - 1 - countW - 2 // "label count │bar"
	if barW < minBarColumns {
		return fmt.Errorf("stats: chart of %d columns: the labels take %d, leaving fewer than the %d the bars need", width, labelW+countW+3, minBarColumns)
	}
	sep := " │"
	if c.ASCII {
		sep = " |"
	}
	p50, p99 := h.Percentile(50), h.Percentile(99)
	bw := bufio.NewWriter(w)
	for i, r := range rows {
		fmt.Fprintf(bw, "%*s %*d%s", labelW, labels[i], countW, r.count, sep)
		bar := c.bar(r.count, maxCount, barW)
		if c.Color && bar != "" {
			color := "\x1b[32m" // green
			switch {
			case i > 0 && r.lo >= p99:
				color = "\x1b[31m" // red
			case i > 0 && r.lo >= p50:
				color = "\x1b[33m" // yellow
			}
			bar = color + bar + "\x1b[0m"
		}
		bw.WriteString(bar)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// eighths are the partial blocks U+258F..U+2589, one to seven eighths.
var eighths = []rune("▏▎▍▌▋▊▉")

// bar draws count against maxCount in at most cols columns: at least a
// sliver when count > 0, nothing for 0.
func (c Chart) bar(count, maxCount int64, cols int) string {
	if count == 0 {
		return ""
	}
	steps := int64(8)
	if c.ASCII {
		steps = 1
	}
	// count/maxCount of cols*steps, rounded half up, at least 1.
	total := int64(cols) * steps
	n := max((2*count*total+maxCount)/(2*maxCount), 1)
	if c.ASCII {
		return strings.Repeat("#", int(n))
	}
	s := strings.Repeat("█", int(n/8))
	if r := n % 8; r > 0 {
		s += string(eighths[r-1])
	}
	return s
}

// chartRow is one row of a chart: the samples from lo up to hi (hi
// included in the last row only).
type chartRow struct {
	lo, hi time.Duration
	count  int64
}

// layout cuts [h.Min, h.Max] into at most height rows and counts each
// bucket's samples in the row of its middle (clamped to [Min, Max]).
func (c Chart) layout(h *Histogram, height int) []chartRow {
	lo, hi := h.Min(), h.Max()
	// The widest bucket in range is the one of Max; rows finer than it
	// would draw the bucket grid, not the samples.
	_, wmax := bucketBounds(bucketOf(uint64(hi)))
	var n int
	var edge func(i int) time.Duration
	var rowOf func(v time.Duration) int
	switch {
	case c.Scale == Log:
		base := max(lo, 1)
		ratio := float64(hi) / float64(base)
		// Buckets are at least 1/128 of their lower bound wide.
		n = 1
		if ratio > 1 {
			n = max(min(height, int(math.Log(ratio)/math.Log1p(1.0/subCount))), 1)
		}
		edge = func(i int) time.Duration {
			return time.Duration(math.Round(float64(base) * math.Pow(ratio, float64(i)/float64(n))))
		}
		rowOf = func(v time.Duration) int {
			if v <= base {
				return 0
			}
			return int(math.Log(float64(v)/float64(base)) / math.Log(ratio) * float64(n))
		}
	default:
		span := hi - lo
		n = int(max(min(int64(height), int64(span)/int64(wmax)), 1))
		edge = func(i int) time.Duration {
			return lo + time.Duration(math.Round(float64(span)*float64(i)/float64(n)))
		}
		rowOf = func(v time.Duration) int {
			return int(float64(v-lo) / float64(span) * float64(n))
		}
	}
	rows := make([]chartRow, n)
	for i := range rows {
		rows[i].lo, rows[i].hi = edge(i), edge(i+1)
	}
	rows[0].lo, rows[n-1].hi = lo, hi
	for b := range h.Buckets() {
		mid := min(max(b.Lo+(b.Hi-b.Lo)/2, lo), hi)
		i := 0
		if n > 1 {
			i = min(max(rowOf(mid), 0), n-1)
		}
		rows[i].count += b.Count
	}
	return rows
}

// rowLabels returns the label of each row, its upper bound, with the
// fewest significant digits (3 or more) that tell the rows apart.
func rowLabels(rows []chartRow, ascii bool) []string {
	labels := make([]string, len(rows))
	for digits := 3; ; digits++ {
		distinct := true
		for i, r := range rows {
			labels[i] = formatDuration(r.hi, digits, ascii)
			if i > 0 && labels[i] == labels[i-1] {
				distinct = false
			}
		}
		if distinct || digits == 9 {
			return labels
		}
	}
}

// formatDuration writes d in ns, µs, ms or s, whichever gives it a whole
// part of 1 to 999 (s beyond), with digits significant digits (and no
// fewer than the whole part has): 980µs, 1.23ms, 12.3ms, 123ms, 1234s.
func formatDuration(d time.Duration, digits int, ascii bool) string {
	unit, name := time.Duration(1), "ns"
	switch {
	case d >= time.Second:
		unit, name = time.Second, "s"
	case d >= time.Millisecond:
		unit, name = time.Millisecond, "ms"
	case d >= time.Microsecond:
		unit, name = time.Microsecond, "µs"
		if ascii {
			name = "us"
		}
	}
	if unit == 1 {
		return strconv.FormatInt(int64(d), 10) + name // whole nanoseconds
	}
	v := float64(d) / float64(unit)
	whole := len(strconv.FormatInt(int64(v), 10))
	s := strconv.FormatFloat(v, 'f', max(digits-whole, 0), 64)
	// Rounding up may carry into a new digit (999.6µs to "1000µs"); that
	// is still the right value, only one digit longer.
	return s + name
}
