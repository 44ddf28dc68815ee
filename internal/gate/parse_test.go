package gate

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		expr      string
		want      Gate
		canonical string
	}{
		{"p95 in ms", "p95<300ms", Gate{"p95", Less, 300, Millisecond}, "p95<300ms"},
		{"bare is ms", "p95<300", Gate{"p95", Less, 300, Bare}, "p95<300"},
		{"p99.9 in s", "p99.9<=1s", Gate{"p99.9", LessEq, 1, Second}, "p99.9<=1s"},
		{"p999 is p99.9", "p999<=1.5s", Gate{"p99.9", LessEq, 1.5, Second}, "p99.9<=1.5s"},
		{"k6's p(95)", "p(95)<200", Gate{"p95", Less, 200, Bare}, "p95<200"},
		{"k6's p(99.9)", "p(99.9)<200", Gate{"p99.9", Less, 200, Bare}, "p99.9<200"},
		{"p50", "p50<100ms", Gate{"p50", Less, 100, Millisecond}, "p50<100ms"},
		{"p90", "p90>1ms", Gate{"p90", Greater, 1, Millisecond}, "p90>1ms"},
		{"p99", "p99<800ms", Gate{"p99", Less, 800, Millisecond}, "p99<800ms"},
		{"max in minutes", "max<2m", Gate{"max", Less, 2, Minute}, "max<2m"},
		{"mean in us", "mean<=500us", Gate{"mean", LessEq, 500, Microsecond}, "mean<=500µs"},
		{"micro sign", "mean<=500µs", Gate{"mean", LessEq, 500, Microsecond}, "mean<=500µs"},
		{"greek mu", "mean<=500μs", Gate{"mean", LessEq, 500, Microsecond}, "mean<=500µs"},
		{"stddev", "stddev<20ms", Gate{"stddev", Less, 20, Millisecond}, "stddev<20ms"},
		{"ttfb phase", "ttfb.p95<100ms", Gate{"ttfb.p95", Less, 100, Millisecond}, "ttfb.p95<100ms"},
		{"dns phase alias", "dns.p999<5ms", Gate{"dns.p99.9", Less, 5, Millisecond}, "dns.p99.9<5ms"},
		{"connect phase", "connect.max<1s", Gate{"connect.max", Less, 1, Second}, "connect.max<1s"},
		{"tls phase", "tls.mean<50", Gate{"tls.mean", Less, 50, Bare}, "tls.mean<50"},
		{"queue phase", "queue.p99<=2s", Gate{"queue.p99", LessEq, 2, Second}, "queue.p99<=2s"},
		{"failed count", "failed=0", Gate{"failed", Equal, 0, Bare}, "failed=0"},
		{"double equals", "failed==0", Gate{"failed", Equal, 0, Bare}, "failed=0"},
		{"failed percent", "failed<=1%", Gate{"failed", LessEq, 1, Percent}, "failed<=1%"},
		{"failed fraction of a percent", "failed<0.5%", Gate{"failed", Less, 0.5, Percent}, "failed<0.5%"},
		{"rps", "rps>=500", Gate{"rps", GreaterEq, 500, Bare}, "rps>=500"},
		{"speedup", "speedup>=1.5", Gate{"speedup", GreaterEq, 1.5, Bare}, "speedup>=1.5"},
		{"speedup with x", "speedup>=1.5x", Gate{"speedup", GreaterEq, 1.5, Times}, "speedup>=1.5x"},
		{"speedup.lo", "speedup.lo>=1.5", Gate{"speedup.lo", GreaterEq, 1.5, Bare}, "speedup.lo>=1.5"},
		{"speedup.hi", "speedup.hi<10", Gate{"speedup.hi", Less, 10, Bare}, "speedup.hi<10"},
		{"regression", "regression<=10%", Gate{"regression", LessEq, 10, Percent}, "regression<=10%"},
		{"improvement", "regression<=-5%", Gate{"regression", LessEq, -5, Percent}, "regression<=-5%"},
		{"spaces", "  p95 <  300 ms ", Gate{"p95", Less, 300, Millisecond}, "p95<300ms"},
		{"leading fraction", "p95<.5s", Gate{"p95", Less, 0.5, Second}, "p95<0.5s"},
		{"trailing zeros", "p95<300.000ms", Gate{"p95", Less, 300, Millisecond}, "p95<300ms"},
		{"minus zero", "regression<=-0%", Gate{"regression", LessEq, 0, Percent}, "regression<=0%"},
		{"largest value", "p95<" + strings.Repeat("9", 15), Gate{"p95", Less, 1e15 - 1, Bare}, "p95<" + strings.Repeat("9", 15)},
		{"most digits", "p95<" + strings.Repeat("9", 14) + "." + strings.Repeat("9", 16), Gate{"p95", Less, 1e14, Bare}, "p95<1" + strings.Repeat("0", 14)},
		{"most decimals", "p95<0." + strings.Repeat("0", 28) + "1s", Gate{"p95", Less, 1e-29, Second}, "p95<0." + strings.Repeat("0", 28) + "1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("got Parse(%q) error %v; want %+v", tt.expr, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("got Parse(%q) = %+v; want %+v", tt.expr, got, tt.want)
			}
			if s := got.String(); s != tt.canonical {
				t.Errorf("got Parse(%q).String() = %q; want %q", tt.expr, s, tt.canonical)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string // each in the message
	}{
		{"empty", "", []string{`gate "": empty`, "such as p95<300ms"}},
		{"blank", "   ", []string{"empty"}},
		{"no comparison", "p95", []string{"no comparison", "<, <=, >, >=, = (or ==)"}},
		{"no metric", "<300ms", []string{`no metric before "<"`, "metrics are p50, p90, p95, p99, p99.9 (or p999), max, mean, stddev", "speedup.lo", "regression"}},
		{"unknown metric", "p97<1s", []string{`unknown metric "p97"`, "PHASE.STAT with PHASE one of dns, connect, tls, ttfb, queue"}},
		{"k6 avg", "avg<1s", []string{`unknown metric "avg"`}},
		{"phase without stat", "ttfb<100ms", []string{"ttfb is a phase", "ttfb.p95"}},
		{"unknown phase", "total.p95<1s", []string{`unknown phase "total"`, "phases are dns, connect, tls, ttfb, queue"}},
		{"unknown phase stat", "ttfb.avg<1s", []string{`unknown statistic "avg" in "ttfb.avg"`, "statistics are p50"}},
		{"double less", "p95<<3ms", []string{`unknown comparison "<<"`, "comparisons are"}},
		{"arrow", "p95=>3ms", []string{`unknown comparison "=>"`}},
		{"not equal", "failed!=0", []string{`unknown metric "failed!"`}},
		{"triple equals", "failed===0", []string{`unknown comparison "==="`}},
		{"no value", "p95<", []string{`no value after "<"`}},
		{"not a number", "p95<fast", []string{`"fast" is not a number`}},
		{"lone minus", "regression<=-%", []string{`"-%" is not a number`}},
		{"exponent", "p95<1e3ms", []string{`unit "e3ms" does not fit p95`}},
		{"bad unit for duration", "p95<3kb", []string{`unit "kb" does not fit p95, a duration`, "us, µs, ms, s or m (a bare number is milliseconds)"}},
		{"hours", "max<1h", []string{`unit "h" does not fit max`}},
		{"percent latency", "p95<3%", []string{`unit "%" does not fit p95`}},
		{"negative latency", "p95<-3ms", []string{"p95 cannot be below 0", "regression<=-5%"}},
		{"failed in ms", "failed<3ms", []string{`unit "ms" does not fit failed`, "failed=0", "failed<=1%"}},
		{"failed fraction", "failed<=1.5", []string{"not a whole number", "failed<=1.5%"}},
		{"failed over 100%", "failed<150%", []string{"at most 100, not 150"}},
		{"regression bare", "regression<=10", []string{"regression is a percent", "regression<=10%"}},
		{"rps unit", "rps>=500/s", []string{`unit "/s" does not fit rps`, "rps>=500"}},
		{"speedup unit", "speedup>=2ms", []string{`unit "ms" does not fit speedup`}},
		{"too large", "p95<" + "1" + strings.Repeat("0", 15), []string{`"1000000000000000" is too large: a limit is below 1e15`}},
		{"rounds to too large", "p95<" + strings.Repeat("9", 15) + ".99999", []string{"is too large"}},
		{"too many digits", "p95<1." + strings.Repeat("0", 30), []string{"has more than 30 digits"}},
		{"too long", "p95<" + strings.Repeat(" ", 300) + "1ms", []string{"longer than 200 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Parse(tt.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got Parse(%q) = %+v, %v; want a *SyntaxError", tt.expr, g, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got Parse(%q) error %q; want it to say %q", tt.expr, err, w)
				}
			}
		})
	}
}

// FuzzParse holds Parse to its round trip: whatever it accepts, String
// writes in a form it reads back to an equal Gate, and that form is a
// fixed point. Seeds sit at the grammar's edges.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"p95<300ms", "p999<=1s", "p(99.9)<2", "ttfb.p95<100ms", "failed<=1%", "failed=0", "failed==0",
		"rps>=500", "speedup>=1.5x", "speedup.lo>=1.5", "regression<=-5%", "mean<=500µs", "mean<=500μs",
		"p95<.5s", "regression<=-0%", "  p95 < 300 ms ", "p95<<3", "p95=>3", "<", "=", ".", "-",
		"p95<0.000000000000000000001us",     // the smallest decimals survive FormatFloat
		"p95<99999999999999999999999999m",   // past maxValue: refused
		"p95<999999999999999.9",             // rounds up to maxValue
		"p95<99999999999999.99999999999999", // 30 digits, rounds to 1e14
		"failed<=100%",                      // the largest percent of failed
		"dns.p99.9>=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		g, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got Parse(%q) error %T %v; want a *SyntaxError", expr, err, err)
			}
			return
		}
		s := g.String()
		g2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, but Parse of its String %q: %v", expr, g, s, err)
		}
		if g2 != g {
			t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v", expr, g, s, g2)
		}
		if s2 := g2.String(); s2 != s {
			t.Fatalf("String is not a fixed point: %q, then %q", s, s2)
		}
	})
}
