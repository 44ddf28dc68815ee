package gate

import (
	"math"
	"strconv"
	"strings"
)

// maxExprLen bounds an expression: the longest real one (ttfb.p99.9 <=
// 1234.567ms) is under 30 bytes.
const maxExprLen = 200

// maxDigits bounds a value's digits and maxValue its size, so that the
// canonical form of any gate Parse accepts (String) is short too, and
// holds no more digits than its input: the shortest decimal of a float64
// ends no further right than the input did, and below maxValue rounding
// cannot carry it into a new digit left of the point.
const (
	maxDigits = 30
	maxValue  = 1e15 // ms: 31,000 years
)

// The names, in the order errors list them.
var (
	statNames  = []string{"p50", "p90", "p95", "p99", "p99.9", "max", "mean", "stddev"}
	phaseNames = []string{"dns", "connect", "tls", "ttfb", "queue"}
	otherNames = []string{"failed", "rps", "speedup", "speedup.lo", "speedup.hi", "regression"}
)

// statAliases maps other spellings of a stat to its name.
var statAliases = map[string]string{"p999": "p99.9"}

const (
	listMetrics = "metrics are p50, p90, p95, p99, p99.9 (or p999), max, mean, stddev " +
		"(of the successful fetches' total time), PHASE.STAT with PHASE one of dns, connect, tls, ttfb, queue " +
		"and STAT one of those (ttfb.p95), failed, rps, speedup, speedup.lo, speedup.hi, regression"
	listOps       = "comparisons are <, <=, >, >=, = (or ==)"
	listDurations = "use us, µs, ms, s or m (a bare number is milliseconds)"
	example       = "such as p95<300ms, ttfb.p99<=1s, failed<=1%, rps>=500 or speedup>=1.5"
)

// SyntaxError is Parse's error: what is wrong with Expr and what is
// allowed.
type SyntaxError struct {
	Expr string
	Msg  string
}

func (e *SyntaxError) Error() string { return "gate " + strconv.Quote(e.Expr) + ": " + e.Msg }

// Parse reads a gate, such as "p95<300ms", by the grammar of the package
// doc. Spaces around the parts are allowed.
func Parse(expr string) (Gate, error) {
	fail := func(msg string) (Gate, error) { return Gate{}, &SyntaxError{Expr: expr, Msg: msg} }
	if len(expr) > maxExprLen {
		return Gate{}, &SyntaxError{Expr: expr[:maxExprLen] + "…", Msg: "longer than " + strconv.Itoa(maxExprLen) + " bytes"}
	}
	s := strings.TrimSpace(expr)
	if s == "" {
		return fail("empty; want METRIC OP VALUE, " + example)
	}
	i := strings.IndexAny(s, "<>=")
	if i < 0 {
		return fail("no comparison; want METRIC OP VALUE, " + example + "; " + listOps)
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	n := 1
	if len(rest) > 1 && rest[1] == '=' {
		n = 2
	}
	opText := rest[:n]
	rest = strings.TrimSpace(rest[n:])
	if rest != "" && strings.ContainsRune("<>=", rune(rest[0])) {
		j := 0
		for j < len(rest) && strings.ContainsRune("<>=", rune(rest[j])) {
			j++
		}
		return fail("unknown comparison " + strconv.Quote(opText+rest[:j]) + "; " + listOps)
	}
	var g Gate
	switch opText {
	case "<":
		g.Op = Less
	case "<=":
		g.Op = LessEq
	case ">":
		g.Op = Greater
	case ">=":
		g.Op = GreaterEq
	case "=", "==":
		g.Op = Equal
	}
	if name == "" {
		return fail("no metric before " + strconv.Quote(opText) + "; " + listMetrics)
	}
	metric, msg := parseMetric(name)
	if msg != "" {
		return fail(msg)
	}
	g.Metric = metric
	if rest == "" {
		return fail("no value after " + strconv.Quote(opText) + "; want a number, " + example)
	}
	num, digits, unit := splitNumber(rest)
	if digits == 0 {
		return fail(strconv.Quote(rest) + " is not a number; want digits with an optional fraction and unit, " + example)
	}
	if digits > maxDigits {
		return fail(strconv.Quote(num) + " has more than " + strconv.Itoa(maxDigits) + " digits")
	}
	// Within maxDigits digits a number is finite: ParseFloat cannot fail.
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return fail(strconv.Quote(num) + " is not a number: " + err.Error())
	}
	if math.Abs(v) >= maxValue {
		return fail(strconv.Quote(num) + " is too large: a limit is below 1e15")
	}
	if v == 0 {
		v = 0 // -0 as 0
	}
	g.Value = v
	if msg := g.setUnit(strings.TrimSpace(unit)); msg != "" {
		return fail(msg)
	}
	return g, nil
}

// parseMetric returns the canonical name of a metric, or a message saying
// why it is not one.
func parseMetric(name string) (string, string) {
	for _, o := range otherNames {
		if name == o {
			return name, ""
		}
	}
	phase, stat, dotted := "", name, false
	if i := strings.IndexByte(name, '.'); i > 0 && !strings.HasPrefix(name, "p") {
		phase, stat, dotted = name[:i], name[i+1:], true
		if !isPhase(phase) {
			return "", "unknown phase " + strconv.Quote(phase) + " in " + strconv.Quote(name) + "; phases are " + strings.Join(phaseNames, ", ")
		}
	}
	canon, ok := parseStat(stat)
	if !ok {
		if dotted {
			return "", "unknown statistic " + strconv.Quote(stat) + " in " + strconv.Quote(name) + "; statistics are p50, p90, p95, p99, p99.9 (or p999), max, mean, stddev"
		}
		if isPhase(name) {
			return "", name + " is a phase; gate one of its statistics, such as " + name + ".p95"
		}
		return "", "unknown metric " + strconv.Quote(name) + "; " + listMetrics
	}
	if dotted {
		return phase + "." + canon, ""
	}
	return canon, ""
}

// parseStat returns the canonical name of a stat: its own, p99.9 for
// p999, and pN for k6's p(N).
func parseStat(s string) (string, bool) {
	if strings.HasPrefix(s, "p(") && strings.HasSuffix(s, ")") {
		s = "p" + s[2:len(s)-1]
	}
	if a, ok := statAliases[s]; ok {
		return a, true
	}
	for _, n := range statNames {
		if s == n {
			return s, true
		}
	}
	return "", false
}

func isPhase(s string) bool {
	for _, p := range phaseNames {
		if s == p {
			return true
		}
	}
	return false
}

// splitNumber splits s into a leading decimal number (an optional "-",
// digits with an optional fraction, or a fraction alone), the number of
// its digits, and the rest. Without digits, num is "" and rest is s.
func splitNumber(s string) (num string, digits int, rest string) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return "", 0, s
	}
	return s[:i], digits, s[i:]
}

// setUnit checks unit and the value against g's metric and sets g.Unit,
// or returns a message saying what the metric takes.
func (g *Gate) setUnit(unit string) string {
	value := strconv.FormatFloat(g.Value, 'f', -1, 64)
	if g.Value < 0 && g.Metric != "regression" {
		return g.Metric + " cannot be below 0, as " + value + " asks; only regression takes a negative limit (regression<=-5% asks for 5% faster)"
	}
	switch f := g.Family(); f {
	case Latency, Phase:
		switch unit {
		case "":
			g.Unit = Bare
		case "us", "µs", "μs": // micro sign U+00B5 and Greek mu U+03BC
			g.Unit = Microsecond
		case "ms":
			g.Unit = Millisecond
		case "s":
			g.Unit = Second
		case "m":
			g.Unit = Minute
		default:
			return "unit " + strconv.Quote(unit) + " does not fit " + g.Metric + ", a duration; " + listDurations
		}
	case Failed:
		switch unit {
		case "":
			if g.Value != math.Trunc(g.Value) {
				return "failed without % counts URLs, and " + value + " is not a whole number; for a share write a percent (failed<=" + value + "%)"
			}
			g.Unit = Bare
		case "%":
			if g.Value > 100 {
				return "failed" + "%" + " is a percent of the URLs, at most 100, not " + value
			}
			g.Unit = Percent
		default:
			return "unit " + strconv.Quote(unit) + " does not fit failed; use a count (failed=0) or a percent (failed<=1%)"
		}
	case Regression:
		if unit != "%" {
			return "regression is a percent; write it with %, such as regression<=10%"
		}
		g.Unit = Percent
	case Speedup, SpeedupCI:
		switch unit {
		case "":
			g.Unit = Bare
		case "x":
			g.Unit = Times
		default:
			return "unit " + strconv.Quote(unit) + " does not fit " + g.Metric + "; it takes a plain ratio (" + g.Metric + ">=1.5, or 1.5x)"
		}
	case Rate:
		if unit != "" {
			return "unit " + strconv.Quote(unit) + " does not fit rps, results a second; it takes a plain number (rps>=500)"
		}
		g.Unit = Bare
	}
	return ""
}
