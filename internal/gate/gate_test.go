package gate

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// run is a lookup over a run's numbers, in the units the package doc
// lists.
var run = map[string]float64{
	"p50": 120, "p90": 250, "p95": 300, "p99": 799.5, "p99.9": 1000, "max": 1203.9, "mean": 140.25, "stddev": 35,
	"ttfb.p95": 99.99, "dns.p99.9": 0.4, "connect.max": 12, "tls.mean": 0, "queue.p99": 2000,
	"failed": 3, "failed%": 0.75, "rps": 512.4,
	"speedup": 1.87, "speedup.lo": 1.49, "speedup.hi": 2.2,
	"regression": 12.5,
}

func lookupRun(key string) (float64, bool) {
	v, ok := run[key]
	return v, ok
}

func TestJudge(t *testing.T) {
	tests := []struct {
		expr      string
		wantValue float64
		wantLimit float64
		wantMet   bool
	}{
		{"p95<300ms", 300, 300, false},
		{"p95<=300ms", 300, 300, true},
		{"p95<300", 300, 300, false},
		{"p95<0.3s", 300, 300, false},
		{"p95<=300000us", 300, 300, true},
		{"p99<800ms", 799.5, 800, true},
		{"p99.9<=1s", 1000, 1000, true},
		{"p999<1s", 1000, 1000, false},
		{"p50>100ms", 120, 100, true},
		{"p90>=250", 250, 250, true},
		{"max<0.02m", 1203.9, 1200, false},
		{"mean=140.25ms", 140.25, 140.25, true},
		{"stddev<35ms", 35, 35, false},
		{"ttfb.p95<100ms", 99.99, 100, true},
		{"dns.p999<500us", 0.4, 0.5, true},
		{"connect.max<10ms", 12, 10, false},
		{"tls.mean=0", 0, 0, true},
		{"queue.p99<=2s", 2000, 2000, true},
		{"failed=0", 3, 0, false},
		{"failed<=3", 3, 3, true},
		{"failed<=1%", 0.75, 1, true},
		{"failed<0.5%", 0.75, 0.5, false},
		{"rps>=500", 512.4, 500, true},
		{"rps>600", 512.4, 600, false},
		{"speedup>=1.5", 1.87, 1.5, true},
		{"speedup>=2x", 1.87, 2, false},
		{"speedup.lo>=1.5", 1.49, 1.5, false},
		{"speedup.hi<=2.2", 2.2, 2.2, true},
		{"regression<=10%", 12.5, 10, false},
		{"regression<=15%", 12.5, 15, true},
		{"regression<=-5%", 12.5, -5, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			g, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := g.Judge(lookupRun)
			if !got.Available || got.Value != tt.wantValue || math.Abs(got.Limit-tt.wantLimit) > 1e-9 || got.Met != tt.wantMet {
				t.Errorf("got Judge(%s) = %+v; want value %v, limit %v, met %v", tt.expr, got, tt.wantValue, tt.wantLimit, tt.wantMet)
			}
		})
	}
}

// TestJudgeUnavailable checks that a gate whose number the run lacks is
// not met, whichever way its comparison points.
func TestJudgeUnavailable(t *testing.T) {
	lookup := func(key string) (float64, bool) {
		switch key {
		case "p95":
			return math.NaN(), true // a bug upstream: not a pass
		case "failed":
			return 0, true
		}
		return 0, false
	}
	tests := []struct {
		expr string
		want string
	}{
		{"speedup>=1.5", "gate speedup>=1.5 not met: speedup was not measured (needs a comparison of modes)"},
		{"speedup.lo>=0", "gate speedup.lo>=0 not met: speedup.lo was not measured (needs a comparison of modes with at least two runs of each)"},
		{"regression<=10%", "gate regression<=10% not met: regression was not measured (needs a baseline to compare with)"},
		{"p99<1s", "gate p99<1s not met: p99 was not measured (needs fetches)"},
		{"p95>0", "gate p95>0 not met: p95 was not measured (needs fetches)"},
		{"failed<=1%", "gate failed<=1% not met: failed was not measured (needs fetches)"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			g, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			r := g.Judge(lookup)
			if r.Met || r.Available {
				t.Errorf("got Judge(%s) = %+v; want not available, not met", tt.expr, r)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("got Judge(%s).String() = %q; want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"p95<300ms", "gate p95<300ms not met: p95 was 300ms, limit 300ms"},
		{"p95<=0.3s", "gate p95<=0.3s met: p95 was 0.3s"},
		{"p99<1", "gate p99<1 not met: p99 was 799.5ms, limit 1ms"},
		{"dns.p99.9<100us", "gate dns.p99.9<100µs not met: dns.p99.9 was 400µs, limit 100µs"},
		{"max<0.02m", "gate max<0.02m not met: max was 0.020065m, limit 0.02m"},
		{"mean<1m", "gate mean<1m met: mean was 0.0023375m"},
		{"max<=2s", "gate max<=2s met: max was 1.2039s"},
		{"p50<100us", "gate p50<100µs not met: p50 was 120000µs, limit 100µs"},
		{"failed=0", "gate failed=0 not met: failed was 3, limit 0"},
		{"failed<0.5%", "gate failed<0.5% not met: failed was 0.75%, limit 0.5%"},
		{"rps>600", "gate rps>600 not met: rps was 512.4, limit 600"},
		{"speedup>=2x", "gate speedup>=2x not met: speedup was 1.87x, limit 2x"},
		{"regression<=10%", "gate regression<=10% not met: regression was 12.5%, limit 10%"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			g, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Judge(lookupRun).String(); got != tt.want {
				t.Errorf("got Judge(%s).String() = %q; want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestJudgeAll(t *testing.T) {
	parse := func(exprs ...string) []Gate {
		var gs []Gate
		for _, e := range exprs {
			g, err := Parse(e)
			if err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
		}
		return gs
	}
	tests := []struct {
		name    string
		gates   []Gate
		wantMet bool
	}{
		{"no gates", nil, true},
		{"all met", parse("p95<=300ms", "rps>=500"), true},
		{"one missed", parse("p95<=300ms", "failed=0", "rps>=500"), false},
		{"one unavailable", parse("p95<=300ms", "speedup>=1.5"), true},
	}
	lookup := func(key string) (float64, bool) {
		if key == "speedup" {
			return 1.6, true
		}
		return lookupRun(key)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, met := JudgeAll(tt.gates, lookup)
			if met != tt.wantMet || len(results) != len(tt.gates) {
				t.Errorf("got JudgeAll = %d results, met %v; want %d, %v", len(results), met, len(tt.gates), tt.wantMet)
			}
			for i, r := range results {
				if r.Gate != tt.gates[i] {
					t.Errorf("got result %d for gate %v; want %v (in order)", i, r.Gate, tt.gates[i])
				}
			}
		})
	}
	if _, met := JudgeAll(parse("speedup.lo>=1"), func(string) (float64, bool) { return 0, false }); met {
		t.Errorf("got JudgeAll met with the only gate's metric unavailable; want not met")
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		expr string
		want Family
	}{
		{"p95<1", Latency}, {"p99.9<1", Latency}, {"max<1", Latency}, {"stddev<1", Latency},
		{"ttfb.p95<1", Phase}, {"queue.p99.9<1", Phase}, {"dns.mean<1", Phase},
		{"failed=0", Failed}, {"failed<=1%", Failed}, {"rps>1", Rate},
		{"speedup>1", Speedup}, {"speedup.lo>1", SpeedupCI}, {"speedup.hi>1", SpeedupCI},
		{"regression<=1%", Regression},
	}
	for _, tt := range tests {
		g, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Family(); got != tt.want {
			t.Errorf("got Parse(%q).Family() = %v; want %v", tt.expr, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	gates := func(exprs ...string) []Gate {
		var gs []Gate
		for _, e := range exprs {
			g, err := Parse(e)
			if err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
		}
		return gs
	}
	every := []Family{Latency, Phase, Failed, Rate}
	tests := []struct {
		name      string
		gates     []Gate
		available []Family
		want      []string // nil for no error
	}{
		{"plain run", gates("p95<1s", "ttfb.p99<1s", "failed=0", "rps>1"), every, nil},
		{"speedup without a comparison", gates("p95<1s", "speedup>=1.5"), every,
			[]string{`gate "speedup>=1.5": speedup is not measured in this run: it needs a comparison of modes`}},
		{"speedup with a comparison", gates("speedup>=1.5"), append(every, Speedup), nil},
		{"interval without repeats", gates("speedup>=1.5", "speedup.lo>=1.2"), append(every, Speedup),
			[]string{`gate "speedup.lo>=1.2": speedup.lo is not measured in this run: it needs a comparison of modes with at least two runs of each`}},
		{"regression without a baseline, and speedup", gates("regression<=10%", "speedup>2"), every,
			[]string{"regression is not measured in this run: it needs a baseline", "speedup is not measured"}},
		{"no gates", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.gates, tt.available...)
			if tt.want == nil {
				if err != nil {
					t.Errorf("got Validate error %v; want none", err)
				}
				return
			}
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("got Validate error %v; want an *UnavailableError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got Validate error %q; want it to say %q", err, w)
				}
			}
		})
	}
}

func TestMinSpeedup(t *testing.T) {
	g, err := Parse("speedup>=1.5")
	if err != nil {
		t.Fatal(err)
	}
	if got := MinSpeedup(1.5); got != g {
		t.Errorf("got MinSpeedup(1.5) = %+v; want %+v as Parse(\"speedup>=1.5\")", got, g)
	}
}

func TestStrings(t *testing.T) {
	if got := Op(0).String(); got != "Op(0)" {
		t.Errorf("got Op(0).String() = %q; want %q", got, "Op(0)")
	}
	if got := Unit(99).String(); got != "Unit(99)" {
		t.Errorf("got Unit(99).String() = %q; want %q", got, "Unit(99)")
	}
	if got := SpeedupCI.String(); got != "speedup interval" {
		t.Errorf("got SpeedupCI.String() = %q; want %q", got, "speedup interval")
	}
}
