package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/greenfetch/greenfetch/internal/stats"
)

// Bounds on what a report shows, so that its size depends on the number
// of modes, never on the number of URLs.
const (
	// MaxSlowest is the most slowest fetches drawn per mode.
	MaxSlowest = 20
	// MaxFailureRows is the most failure kinds listed per mode; the rest
	// are added up in one "other" row.
	MaxFailureRows = 20
	// MaxGates is the most gates listed; the rest are counted in one
	// line.
	MaxGates = 100
	// MaxModes is the most modes drawn; a Model with more renders the
	// first MaxModes and says how many it left out.
	MaxModes = 8
	// maxText is the most runes of a string from the input (a URL, an
	// error message, a title) a report shows; a longer one is cut and
	// ends in "…".
	maxText = 300
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clip cuts s to maxText runes, replacing invalid UTF-8 and control
// characters (a newline in a label would break a Markdown table) with
// U+FFFD and spaces.
func clip(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxText {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}

// fmtDur writes d for a person with three significant digits and a unit:
// 412µs, 12.3ms, 103ms, 1.51s, 95.0s; 2m05s from two minutes on.
func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-max(d, -math.MaxInt64)) // -MinInt64 overflows
	}
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return itoa(int64(d)) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	case d < 100*time.Second:
		return sig3(d.Seconds()) + "s"
	case d < 2*time.Minute:
		return strconv.FormatFloat(math.Round(d.Seconds()), 'f', 0, 64) + "s"
	}
	d = d.Round(time.Second)
	m := int64(d / time.Minute)
	s := int64(d % time.Minute / time.Second)
	if s < 10 {
		return itoa(m) + "m0" + itoa(s) + "s"
	}
	return itoa(m) + "m" + itoa(s) + "s"
}

// sig3 writes 0 < x < 1000 with three significant digits, and rounds it
// to the unit when it has three or more digits before the point.
func sig3(x float64) string {
	switch {
	case x >= 99.95:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 9.995:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// fmtNum writes x with at most prec decimals, trailing zeros dropped;
// "—" for an infinity or a NaN.
func fmtNum(x float64, prec int) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "—"
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// fmtRatio writes a measured speedup with two decimals: 1.99×, 5.00×.
func fmtRatio(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + "×"
}

// fmtChange writes a relative change as a signed percent: +12.3%, −4.0%.
func fmtChange(rel float64) string {
	if math.IsInf(rel, 0) || math.IsNaN(rel) {
		return "—"
	}
	p := 100 * rel
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64)
	switch {
	case s == "0.0":
		return "±0.0%"
	case p < 0:
		return "−" + s + "%"
	}
	return "+" + s + "%"
}

// change returns new/old - 1, and false when old is 0.
func change(old, new float64) (float64, bool) {
	if old == 0 {
		return 0, false
	}
	return new/old - 1, true
}

// fmtBytes writes a byte count with a binary unit: 512 B, 1.5 KiB, 23.4 MiB.
func fmtBytes(n int64) string {
	if n < 1024 {
		return itoa(n) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	x := float64(n)
	i := -1
	for x >= 1024 && i < len(units)-1 {
		x /= 1024
		i++
	}
	return sig3(x) + " " + units[i]
}

// fmtGateValue writes a gate's value or limit in its unit; "—" for an
// infinity or a NaN.
func fmtGateValue(v float64, unit string) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "—"
	}
	switch unit {
	case "ms":
		if math.Abs(v) > float64(math.MaxInt64)/1e6 {
			return fmtNum(v, 3) + "ms"
		}
		// 60ms, not 60.0ms: a limit is as the user wrote it.
		s := fmtDur(time.Duration(math.Round(v * 1e6)))
		num := strings.TrimRight(s, "nµms")
		if strings.Contains(num, ".") {
			num = strings.TrimSuffix(strings.TrimRight(num, "0"), ".")
		}
		return num + s[len(strings.TrimRight(s, "nµms")):]
	case "x":
		return fmtNum(v, 2) + "×"
	case "/s":
		return fmtNum(v, 1) + "/s"
	case "%":
		return fmtNum(v, 2) + "%"
	}
	return fmtNum(v, 3) + unit
}

// Mode colours: the three engines have their own; other names take the
// rest in turn.
var (
	modeColors = map[string]string{"sync": "#e8590c", "threads": "#7048e8", "async": "#0c8599"}
	extraColor = []string{"#c2255c", "#2f9e44", "#1971c2", "#f08c00", "#5c940d", "#862e9c"}
)

// colorsOf returns the colour of each mode.
func colorsOf(modes []Mode) []string {
	out := make([]string, len(modes))
	next := 0
	for i, m := range modes {
		if c, ok := modeColors[m.Mode]; ok {
			out[i] = c
			continue
		}
		out[i] = extraColor[next%len(extraColor)]
		next++
	}
	return out
}

// failureRows returns the failures sorted by count (largest first, then
// by label), at most MaxFailureRows, the rest added into one "other" row.
func failureRows(fs []Failure) []Failure {
	s := slices.Clone(fs)
	slices.SortStableFunc(s, func(a, b Failure) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label(), b.Label())
	})
	if len(s) <= MaxFailureRows {
		return s
	}
	other := Failure{Kind: "other"}
	for _, f := range s[MaxFailureRows-1:] {
		other.Count += f.Count
	}
	other.Message = itoa(int64(len(s)-MaxFailureRows+1)) + " more kinds"
	return append(s[:MaxFailureRows-1:MaxFailureRows-1], other)
}

// capped returns a copy of m with at most MaxModes modes, speedups and
// baseline modes (a Model rebuilt from a saved file may hold any number),
// and how many modes it left out. m is not changed.
func capped(m *Model) (c Model, hidden int) {
	c = *m
	if len(c.Modes) > MaxModes {
		hidden = len(c.Modes) - MaxModes
		c.Modes = c.Modes[:MaxModes]
	}
	if c.Comparison != nil && len(c.Comparison.Speedups) > MaxModes {
		cmp := *c.Comparison
		cmp.Speedups = cmp.Speedups[:MaxModes]
		c.Comparison = &cmp
	}
	if c.Baseline != nil && len(c.Baseline.Modes) > MaxModes {
		b := *c.Baseline
		b.Modes = b.Modes[:MaxModes]
		c.Baseline = &b
	}
	return c, hidden
}

// title returns the model's title, or the default.
func title(m *Model) string {
	if m.Title == "" {
		return "fetch report"
	}
	return clip(m.Title)
}

// phaseDist returns the mode's distribution of phase, and whether it has
// one with samples.
func phaseDist(m *Mode, phase string) (Dist, bool) {
	d, ok := m.Phases[phase]
	return d, ok && d.Count > 0
}

// verdict says in words whether a mode's change is beyond noise.
func verdict(d ModeDiff) string {
	switch {
	case !d.Decidable:
		return "too few runs to tell"
	case d.Significant && d.Relative > 0:
		return "slower beyond noise (" + fmtP(d.P) + ")"
	case d.Significant:
		return "faster beyond noise (" + fmtP(d.P) + ")"
	}
	return "within noise (" + fmtP(d.P) + ")"
}

// fmtP writes a p-value with two significant digits: "p = 0.0079", or
// "p < 0.0001".
func fmtP(p float64) string {
	if p < 0.0001 {
		return "p < 0.0001"
	}
	return "p = " + strconv.FormatFloat(p, 'g', 2, 64)
}

// level writes a comparison's confidence level: "95%" (stats.Confidence
// when it is zero).
func level(c *Comparison) string {
	x := c.Confidence
	if !(x > 0 && x < 1) {
		x = stats.Confidence
	}
	return fmtNum(100*x, 1) + "%"
}

// minSpeedup returns the comparison's --min-speedup gate, and whether it
// has one to draw.
func minSpeedup(c *Comparison) (float64, bool) {
	x := c.MinSpeedup
	return x, x > 0 && !math.IsInf(x, 0)
}

// testName returns a baseline's Test, or DiffTest when it is empty.
func testName(b *Baseline) string {
	if b.Test == "" {
		return DiffTest
	}
	return clip(b.Test)
}

// phaseKeys returns the phases of PhaseNames that some mode measured.
func phaseKeys(modes []Mode) []string {
	var out []string
	for _, p := range PhaseNames {
		for i := range modes {
			if _, ok := phaseDist(&modes[i], p); ok {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// durOf rounds nanoseconds in a float64 to a Duration.
func durOf(ns float64) time.Duration { return time.Duration(math.Round(ns)) }

// hasFailures reports whether any mode lists a failure.
func hasFailures(modes []Mode) bool {
	for _, md := range modes {
		if len(md.Failures) > 0 {
			return true
		}
	}
	return false
}

// baselineStat is one line of a mode's baseline diff.
type baselineStat struct {
	name, old, new, change string
	main                   bool // the Baseline's Stat
}

// baselineStats lists the statistics of a mode's diff: wall, p50, p95,
// p99 and failed, old and new, with their relative change (the Stat's
// from d.Relative, the others' from the two values).
func baselineStats(d ModeDiff, stat string) []baselineStat {
	var out []baselineStat
	for _, st := range []struct {
		name     string
		old, new time.Duration
	}{{"wall", d.Old.Wall, d.New.Wall}, {"p50", d.Old.P50, d.New.P50}, {"p95", d.Old.P95, d.New.P95}, {"p99", d.Old.P99, d.New.P99}} {
		b := baselineStat{name: st.name, old: fmtDur(st.old), new: fmtDur(st.new), change: "—", main: st.name == stat}
		if rel, ok := change(float64(st.old), float64(st.new)); ok {
			if b.main {
				rel = d.Relative
			}
			b.change = fmtChange(rel)
		}
		out = append(out, b)
	}
	// Failures change by a count: +3, not +300% of 1.
	diff := d.New.Failed - d.Old.Failed
	f := baselineStat{name: "failed", old: itoa(d.Old.Failed), new: itoa(d.New.Failed), change: "±0"}
	switch {
	case diff > 0:
		f.change = "+" + itoa(diff)
	case diff < 0:
		f.change = "−" + itoa(-diff)
	}
	return append(out, f)
}
