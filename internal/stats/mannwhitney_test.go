package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMannWhitneyU(t *testing.T) {
	tests := []struct {
		name  string
		x, y  []float64
		wantU float64
		wantP float64
	}{
		{"3 below 3", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 2.0 / 20},
		{"3 above 3", []float64{4, 5, 6}, []float64{1, 2, 3}, 9, 2.0 / 20},
		{"5 below 5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0, 2.0 / 252},
		// U=2 of 5 and 5: 4 of the 252 arrangements have U <= 2.
		{"5 and 5 nearly apart", []float64{1, 2, 3, 4, 7}, []float64{5, 6, 8, 9, 10}, 2, 8.0 / 252},
		// U=4 or 5, 6 of the 20 arrangements, are nearer the middle 4.5.
		{"interleaved", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 14.0 / 20},
		{"all equal", []float64{2, 2, 2}, []float64{2, 2}, 3, 1},
		{"one each", []float64{1}, []float64{2}, 0, 1},
		{"empty x", nil, []float64{1, 2}, 0, 1},
		{"empty y", []float64{1, 2}, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MannWhitneyU(tt.x, tt.y)
			if got.U != tt.wantU || math.Abs(got.P-tt.wantP) > 1e-12 || !got.Exact {
				t.Errorf("got MannWhitneyU(%v, %v) = %+v; want U %v, P %v, exact", tt.x, tt.y, got, tt.wantU, tt.wantP)
			}
		})
	}
}

// TestMannWhitneyExact checks the counted p-value against brute force:
// every way of splitting the pooled values into samples of the two sizes,
// with U computed from the pairs, not from ranks. The values are drawn
// from a few integers so that ties are common.
func TestMannWhitneyExact(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for trial := range 300 {
		nx, ny := 1+r.IntN(7), 1+r.IntN(7)
		levels := 2 + r.IntN(12)
		x, y := make([]float64, nx), make([]float64, ny)
		for i := range x {
			x[i] = float64(r.IntN(levels))
		}
		for i := range y {
			y[i] = float64(r.IntN(levels) + r.IntN(3)) // sometimes shifted
		}
		got := MannWhitneyU(x, y)
		wantU, wantP := bruteForceMW(x, y)
		if got.U != wantU || math.Abs(got.P-wantP) > 1e-12 || !got.Exact {
			t.Fatalf("trial %d: got MannWhitneyU(%v, %v) = %+v; want U %v, P %v by brute force", trial, x, y, got, wantU, wantP)
		}
	}
}

// bruteForceMW returns U of x and its two-sided permutation p-value.
func bruteForceMW(x, y []float64) (u, p float64) {
	uOf := func(a, b []float64) float64 {
		var u float64
		for _, v := range a {
			for _, w := range b {
				switch {
				case v > w:
					u++
				case v == w:
					u += 0.5
				}
			}
		}
		return u
	}
	pool := append(append([]float64(nil), x...), y...)
	n, nx := len(pool), len(x)
	mid := float64(nx*len(y)) / 2
	u = uOf(x, y)
	obs := math.Abs(u - mid)
	var extreme, all int
	for mask := 0; mask < 1<<n; mask++ {
		var a, b []float64
		for i, v := range pool {
			if mask&(1<<i) != 0 {
				a = append(a, v)
			} else {
				b = append(b, v)
			}
		}
		if len(a) != nx {
			continue
		}
		all++
		if math.Abs(uOf(a, b)-mid) >= obs {
			extreme++
		}
	}
	return u, float64(extreme) / float64(all)
}

// TestMannWhitneyNormal checks that past the exact limit the normal
// approximation stays within 0.01 of the exact p-value.
func TestMannWhitneyNormal(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for trial := range 50 {
		nx, ny := 12+r.IntN(9), 12+r.IntN(9)
		x, y := make([]float64, nx), make([]float64, ny)
		shift := r.Float64() * 2
		for i := range x {
			x[i] = math.Round(10 * r.NormFloat64()) // ties
		}
		for i := range y {
			y[i] = math.Round(10 * (r.NormFloat64() + shift))
		}
		exact := mannWhitneyU(x, y, 1000)
		approx := mannWhitneyU(x, y, 0)
		if !exact.Exact || approx.Exact || exact.U != approx.U {
			t.Fatalf("got exact %+v and approximate %+v; want one of each with the same U", exact, approx)
		}
		if math.Abs(exact.P-approx.P) > 0.01 {
			t.Errorf("trial %d (%d and %d values): got P %v by the normal approximation; want %v within 0.01", trial, nx, ny, approx.P, exact.P)
		}
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name          string
		old, new      []float64
		center        Center
		wantRelative  float64
		wantSig       bool
		wantDecidable bool
		wantRegressed bool
	}{
		{"50% slower", []float64{1.00, 1.01, 0.99, 1.02, 1.00}, []float64{1.50, 1.51, 1.49, 1.52, 1.50}, Median, 0.5, true, true, true},
		{"50% faster is no regression", []float64{1.50, 1.51, 1.49, 1.52, 1.50}, []float64{0.75, 0.76, 0.74, 0.76, 0.75}, Median, -0.5, true, true, false},
		{"noise", []float64{1.00, 1.02, 0.98, 1.01}, []float64{1.01, 0.99, 1.00, 1.03}, Median, 0, false, true, false},
		{"by mean", []float64{1, 2, 3, 4, 10}, []float64{2, 4, 6, 8, 20}, Mean, 1, false, true, false},
		{"by median", []float64{1, 2, 3, 4, 10}, []float64{2, 4, 6, 8, 20}, Median, 1, false, true, false},
		{"one run each", []float64{1}, []float64{10}, Median, 9, false, false, false},
		{"3 and 3 cannot decide", []float64{1, 1.1, 1.2}, []float64{5, 5.1, 5.2}, Median, 4 / 1.1, false, false, false},
		{"3 and 5 can", []float64{1, 1.1, 1.2}, []float64{5, 5.1, 5.2, 5.3, 5.4}, Median, 4.1 / 1.1, true, true, true},
		{"both zero", []float64{0, 0}, []float64{0, 0}, Median, 0, false, false, false},
		{"from zero", []float64{0, 0}, []float64{1, 1}, Median, math.Inf(1), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.old, tt.new, tt.center)
			if relErr(got.Relative, tt.wantRelative) > 1e-9 && !(math.IsInf(tt.wantRelative, 1) && math.IsInf(got.Relative, 1)) {
				t.Errorf("got Diff(%v, %v).Relative = %v; want %v", tt.old, tt.new, got.Relative, tt.wantRelative)
			}
			if got.Significant != tt.wantSig || got.Decidable != tt.wantDecidable || got.Regressed() != tt.wantRegressed {
				t.Errorf("got Diff(%v, %v) significant %v, decidable %v, regressed %v (P %v); want %v, %v, %v",
					tt.old, tt.new, got.Significant, got.Decidable, got.Regressed(), got.Test.P, tt.wantSig, tt.wantDecidable, tt.wantRegressed)
			}
		})
	}
}

func TestMinP(t *testing.T) {
	tests := []struct {
		n, m int
		want float64
	}{
		{0, 5, 1}, {1, 1, 1}, {3, 3, 0.1}, {3, 4, 2.0 / 35}, {4, 4, 2.0 / 70}, {3, 5, 2.0 / 56}, {5, 5, 2.0 / 252},
	}
	for _, tt := range tests {
		if got := minP(tt.n, tt.m); relErr(got, tt.want) > 1e-12 {
			t.Errorf("got minP(%d, %d) = %v; want %v", tt.n, tt.m, got, tt.want)
		}
	}
}

// TestDiffFalsePositives runs 1000 seeded comparisons of two samples from
// one distribution, and counts those called significant: near 5% for 20
// runs a side (normal approximation), and for 5 and 10 runs a side
// (exact) at most the level the test can reach: the exact test of 5 and
// 5 can only reach 3.2% (p <= 8/252) below 5%, that of 10 and 10 4.3%.
func TestDiffFalsePositives(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		lo, hi int // significant calls of 1000
	}{
		{"5 runs a side", 5, 15, 50},
		{"10 runs a side", 10, 25, 60},
		{"20 runs a side", 20, 30, 70},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, uint64(i)))
			old, new := make([]float64, tt.n), make([]float64, tt.n)
			significant := 0
			for range 1000 {
				for j := range old {
					old[j] = 1.5 * math.Exp(0.2*r.NormFloat64())
					new[j] = 1.5 * math.Exp(0.2*r.NormFloat64())
				}
				if Diff(old, new, Median).Significant {
					significant++
				}
			}
			t.Logf("significant in %d of 1000", significant)
			if significant < tt.lo || significant > tt.hi {
				t.Errorf("got %d of 1000 same-distribution pairs called significant; want %d to %d", significant, tt.lo, tt.hi)
			}
		})
	}
}

// TestDiffFindsSlowdown runs 1000 seeded comparisons of 5 runs against 5
// runs 50% slower, with the low noise of a quiet runner (2% spread): each
// must be called a significant regression.
func TestDiffFindsSlowdown(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	old, new := make([]float64, 5), make([]float64, 5)
	for trial := range 1000 {
		for j := range old {
			old[j] = 1.2 * math.Exp(0.02*r.NormFloat64())
			new[j] = 1.8 * math.Exp(0.02*r.NormFloat64())
		}
		d := Diff(old, new, Median)
		if !d.Regressed() || math.Abs(d.Relative-0.5) > 0.1 {
			t.Fatalf("trial %d: got Diff(%v, %v) = %+v; want a significant regression near +50%%", trial, old, new, d)
		}
	}
}

func BenchmarkMannWhitneyExact(b *testing.B) {
	r := rand.New(rand.NewPCG(21, 22))
	x, y := make([]float64, 15), make([]float64, 15)
	for i := range x {
		x[i], y[i] = r.Float64(), r.Float64()+0.2
	}
	b.ReportAllocs()
	for b.Loop() {
		MannWhitneyU(x, y)
	}
}
