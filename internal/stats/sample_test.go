package stats

import (
	"cmp"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want Sample
	}{
		{"empty", nil, Sample{}},
		{"one", []float64{3}, Sample{N: 1, Mean: 3, Median: 3, Min: 3, Max: 3}},
		{"two", []float64{3, 1}, Sample{N: 2, Mean: 2, Stddev: math.Sqrt2, Median: 2, Min: 1, Max: 3}},
		{"odd", []float64{5, 1, 3}, Sample{N: 3, Mean: 3, Stddev: 2, Median: 3, Min: 1, Max: 5}},
		{"even", []float64{4, 1, 2, 3}, Sample{N: 4, Mean: 2.5, Stddev: math.Sqrt(5.0 / 3), Median: 2.5, Min: 1, Max: 4}},
		{"equal", []float64{7, 7, 7}, Sample{N: 3, Mean: 7, Median: 7, Min: 7, Max: 7}},
		// A large offset loses nothing to cancellation (Welford).
		{"offset", []float64{1e9 + 1, 1e9 + 2, 1e9 + 3}, Sample{N: 3, Mean: 1e9 + 2, Stddev: 1, Median: 1e9 + 2, Min: 1e9 + 1, Max: 1e9 + 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			got := Describe(in)
			if got.N != tt.want.N || relErr(got.Mean, tt.want.Mean) > 1e-12 || math.Abs(got.Stddev-tt.want.Stddev) > 1e-9 ||
				got.Median != tt.want.Median || got.Min != tt.want.Min || got.Max != tt.want.Max {
				t.Errorf("got Describe(%v) = %+v; want %+v", tt.xs, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.xs[i] {
					t.Fatalf("Describe(%v) reordered its argument to %v", tt.xs, in)
				}
			}
		})
	}
}

// TestStudentQuantile holds the t quantiles to a printed table's (and the
// normal's for infinite degrees of freedom), and checks that fractional
// degrees of freedom, as Welch's are, invert the distribution function.
func TestStudentQuantile(t *testing.T) {
	tests := []struct {
		p, df, want float64
	}{
		{0.975, 1, 12.706204736},
		{0.975, 2, 4.302652730},
		{0.975, 3, 3.182446305},
		{0.975, 4, 2.776445105},
		{0.975, 5, 2.570581836},
		{0.975, 10, 2.228138852},
		{0.975, 30, 2.042272456},
		{0.975, 100, 1.983971519},
		{0.975, math.Inf(1), 1.959963985},
		{0.995, 4, 4.604094871},
		{0.95, 7, 1.894578605},
		{0.5, 3, 0},
	}
	for _, tt := range tests {
		if got := studentQuantile(tt.p, tt.df); math.Abs(got-tt.want) > 1e-8 {
			t.Errorf("got studentQuantile(%v, %v) = %.9f; want %.9f", tt.p, tt.df, got, tt.want)
		}
	}
	prev := math.Inf(1)
	for df := 0.5; df < 60; df += 0.37 {
		q := studentQuantile(0.975, df)
		if got := studentSF(q, df); math.Abs(got-0.025) > 1e-12 {
			t.Errorf("got studentSF(studentQuantile(0.975, %v)) = %v; want 0.025", df, got)
		}
		if q >= prev {
			t.Errorf("got studentQuantile(0.975, %v) = %v, not below %v at fewer degrees of freedom", df, q, prev)
		}
		prev = q
	}
}

func TestSpeedupOf(t *testing.T) {
	tests := []struct {
		name        string
		base, other []float64
		want        Speedup
	}{
		{"one run each", []float64{3}, []float64{1.5}, Speedup{Ratio: 2, Lo: 2, Hi: 2}},
		{"identical runs", []float64{3, 3}, []float64{1, 1, 1}, Speedup{Ratio: 3, Lo: 3, Hi: 3, HasCI: true, DF: math.Inf(1)}},
		{"geometric means", []float64{2, 8}, []float64{1, 4}, Speedup{Ratio: 2, HasCI: true, DF: 2}},
		// Welch–Satterthwaite with one side without spread: df = n-1
		// of the other.
		{"spread on one side", []float64{4, 4, 4}, []float64{1, 2, 4}, Speedup{Ratio: 2, HasCI: true, DF: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SpeedupOf(tt.base, tt.other)
			if err != nil {
				t.Fatalf("got SpeedupOf(%v, %v) error %v; want none", tt.base, tt.other, err)
			}
			if relErr(got.Ratio, tt.want.Ratio) > 1e-12 || got.HasCI != tt.want.HasCI || relErr(got.DF, tt.want.DF) > 1e-12 {
				t.Errorf("got SpeedupOf(%v, %v) = %+v; want %+v", tt.base, tt.other, got, tt.want)
			}
			if !(got.Lo <= got.Ratio && got.Ratio <= got.Hi) {
				t.Errorf("got SpeedupOf(%v, %v) = %+v; want Lo <= Ratio <= Hi", tt.base, tt.other, got)
			}
			if !tt.want.HasCI || math.IsInf(tt.want.DF, 1) {
				if relErr(got.Lo, tt.want.Lo) > 1e-12 || relErr(got.Hi, tt.want.Hi) > 1e-12 {
					t.Errorf("got SpeedupOf(%v, %v) = [%v, %v]; want [%v, %v]", tt.base, tt.other, got.Lo, got.Hi, tt.want.Lo, tt.want.Hi)
				}
			}
			// The interval is symmetric on the log scale, and swapping
			// the sides inverts it.
			if got.HasCI && relErr(math.Log(got.Hi/got.Ratio), math.Log(got.Ratio/got.Lo)) > 1e-9 {
				t.Errorf("got SpeedupOf(%v, %v) = %+v; want Ratio the geometric middle of [Lo, Hi]", tt.base, tt.other, got)
			}
			inv, _ := SpeedupOf(tt.other, tt.base)
			if relErr(inv.Ratio, 1/got.Ratio) > 1e-12 || relErr(inv.Lo, 1/got.Hi) > 1e-12 {
				t.Errorf("got SpeedupOf swapped = %+v; want the inverse of %+v", inv, got)
			}
		})
	}
}

func TestSpeedupOfErrors(t *testing.T) {
	tests := []struct {
		name        string
		base, other []float64
		want        string
	}{
		{"no base runs", nil, []float64{1}, "base: no runs"},
		{"no other runs", []float64{1}, []float64{}, "other: no runs"},
		{"zero time", []float64{1, 0}, []float64{1}, "base run 2 took 0: a time must be positive"},
		{"negative time", []float64{1}, []float64{-1}, "other run 1 took -1"},
		{"infinite time", []float64{math.Inf(1)}, []float64{1}, "base run 1 took +Inf"},
		{"NaN", []float64{1}, []float64{2, math.NaN()}, "other run 2 took NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SpeedupOf(tt.base, tt.other)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got SpeedupOf(%v, %v) error %v; want one saying %q", tt.base, tt.other, err, tt.want)
			}
		})
	}
}

// TestSpeedupCoverage runs 1000 synthetic comparisons per case, from
// distributions whose true speedup is known, and counts how often the 95%
// interval covers it: 93% to 97% of the time, or the interval is not what
// it claims. With two runs a side Welch's interval is known to be
// conservative (it covered 97.9% of 20,000 such experiments): wider than
// it claims, so that a gate on its lower bound errs towards failing;
// that case may cover up to 99%. Seeded, so the counts are the same at
// every run.
func TestSpeedupCoverage(t *testing.T) {
	lognormal := func(median, sigma float64) func(*rand.Rand) float64 {
		return func(r *rand.Rand) float64 { return median * math.Exp(sigma*r.NormFloat64()) }
	}
	normal := func(mean, cv float64) func(*rand.Rand) float64 {
		return func(r *rand.Rand) float64 { return mean * (1 + cv*r.NormFloat64()) }
	}
	tests := []struct {
		name        string
		nBase, nNew int
		base, other func(*rand.Rand) float64
		truth       float64
		maxCovered  int // of 1000; 970 if zero
	}{
		// The medians' ratio is the truth for log-normal times.
		{"lognormal, 5 runs each", 5, 5, lognormal(3.0, 0.05), lognormal(1.5, 0.05), 2, 0},
		{"lognormal, 3 runs each", 3, 3, lognormal(3.0, 0.1), lognormal(1.5, 0.1), 2, 0},
		{"lognormal, 2 runs each", 2, 2, lognormal(1.0, 0.2), lognormal(1.0, 0.2), 1, 990},
		{"lognormal, 2 runs each, unequal noise", 2, 2, lognormal(2.0, 0.3), lognormal(1.0, 0.05), 2, 0},
		{"lognormal, unequal noise and runs", 4, 8, lognormal(2.0, 0.3), lognormal(1.6, 0.05), 1.25, 0},
		{"lognormal, 20 runs each, noisy", 20, 20, lognormal(10, 0.5), lognormal(2, 0.5), 5, 0},
		// With equal coefficients of variation the log ratio's mean is
		// the log of the means' ratio.
		{"normal, 10 runs each", 10, 10, normal(3.0, 0.03), normal(1.0, 0.03), 3, 0},
	}
	const experiments = 1000
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(42, uint64(i)))
			covered := 0
			base, other := make([]float64, tt.nBase), make([]float64, tt.nNew)
			for range experiments {
				for j := range base {
					base[j] = tt.base(r)
				}
				for j := range other {
					other[j] = tt.other(r)
				}
				s, err := SpeedupOf(base, other)
				if err != nil || !s.HasCI {
					t.Fatalf("got SpeedupOf(%v, %v) = %+v, %v; want an interval", base, other, s, err)
				}
				if s.Lo <= tt.truth && tt.truth <= s.Hi {
					covered++
				}
			}
			t.Logf("covered %d of %d", covered, experiments)
			maxCovered := cmp.Or(tt.maxCovered, 970)
			if covered < 930 || covered > maxCovered {
				t.Errorf("the 95%% interval covered the true speedup %v in %d of %d experiments; want 930 to %d", tt.truth, covered, experiments, maxCovered)
			}
		})
	}
}
