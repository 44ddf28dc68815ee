package stats

import (
	"cmp"
	"math"
	"slices"
)

// Alpha is the significance level of Diff: a change is significant when
// its p-value is below 5%.
const Alpha = 0.05

// maxExact is the largest number of values, both samples together, whose
// Mann–Whitney p-value is computed exactly: the count visits at most
// n × n × n(n+1) states, under a million at 30 (about a millisecond).
// Beyond it the normal approximation is within a few
// thousandths of the exact p-value.
const maxExact = 30

// MannWhitney is the outcome of a two-sided Mann–Whitney U test.
type MannWhitney struct {
	// U counts the pairs (x, y) with x > y, and half the pairs with
	// x == y: len(x)×len(y)/2 when neither sample tends to be larger.
	U float64
	// P is the two-sided p-value: the chance, were both samples drawn
	// from one distribution, of a U at least this far from its middle.
	P float64
	// Exact is true when P was counted exactly (ties included), false
	// when it comes from the normal approximation.
	Exact bool
}

// MannWhitneyU runs the two-sided Mann–Whitney U test (Wilcoxon rank-sum)
// on x and y: exact for samples of maxExact values or fewer together,
// with the normal approximation (tie and continuity corrections) beyond.
// P is 1 when either sample is empty or every value is equal. NaNs are not
// expected: the result with one is unspecified.
func MannWhitneyU(x, y []float64) MannWhitney { return mannWhitneyU(x, y, maxExact) }

// mannWhitneyU is MannWhitneyU counting exactly up to exactLimit values.
func mannWhitneyU(x, y []float64, exactLimit int) MannWhitney {
	nx, ny := len(x), len(y)
	if nx == 0 || ny == 0 {
		return MannWhitney{P: 1, Exact: true}
	}
	// Pool and rank, giving tied values the mean of their ranks. Ranks are
	// doubled so that mid-ranks stay integers.
	type val struct {
		v   float64
		inX bool
	}
	all := make([]val, 0, nx+ny)
	for _, v := range x {
		all = append(all, val{v, true})
	}
	for _, v := range y {
		all = append(all, val{v, false})
	}
	slices.SortFunc(all, func(a, b val) int { return cmp.Compare(a.v, b.v) })
	n := nx + ny
	rank2 := make([]int, n) // doubled mid-ranks in the order of all
	var sumX2 int           // doubled rank sum of x
	var tieTerm float64     // Σ (t³ - t) over groups of t tied values
	for i := 0; i < n; {
		j := i + 1
		for j < n && all[j].v == all[i].v {
			j++
		}
		r2 := i + 1 + j // (i+1 + j) is twice the mean of ranks i+1..j
		for k := i; k < j; k++ {
			rank2[k] = r2
			if all[k].inX {
				sumX2 += r2
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	u := float64(sumX2)/2 - float64(nx*(nx+1))/2
	if n <= exactLimit {
		return MannWhitney{U: u, P: exactP(rank2, nx, sumX2), Exact: true}
	}
	fx, fy, fn := float64(nx), float64(ny), float64(n)
	mean := fx * fy / 2
	variance := fx * fy / 12 * ((fn + 1) - tieTerm/(fn*(fn-1)))
	if variance <= 0 {
		return MannWhitney{U: u, P: 1}
	}
	z := (math.Abs(u-mean) - 0.5) / math.Sqrt(variance)
	if z <= 0 {
		return MannWhitney{U: u, P: 1}
	}
	return MannWhitney{U: u, P: min(2*normalSF(z), 1)}
}

// exactP returns the two-sided p-value of a doubled rank sum sumX2 of nx
// values among the doubled ranks rank2: the share of all ways to choose nx
// of the ranks whose sum lies at least as far from its expectation. It
// counts subsets by size and sum (counts below 2^53 for up to maxExact
// values, so float64 holds them exactly).
func exactP(rank2 []int, nx, sumX2 int) float64 {
	total2 := 0
	for _, r := range rank2 {
		total2 += r
	}
	// ways[k][s]: subsets of the ranks seen so far with k members summing
	// to s.
	ways := make([][]float64, nx+1)
	for k := range ways {
		ways[k] = make([]float64, total2+1)
	}
	ways[0][0] = 1
	top := 0 // the largest sum reached so far
	for i, r := range rank2 {
		top += r
		for k := min(i+1, nx); k >= 1; k-- {
			prev, cur := ways[k-1], ways[k]
			for s := top; s >= r; s-- {
				cur[s] += prev[s-r]
			}
		}
	}
	// Compare distances from the expectation in units of 1/len: the
	// expected doubled sum is nx*total2/n.
	n := len(rank2)
	dist := func(s int) int { return abs(s*n - nx*total2) }
	obs := dist(sumX2)
	var extreme, all float64
	for s, w := range ways[nx] {
		if w == 0 {
			continue
		}
		all += w
		if dist(s) >= obs {
			extreme += w
		}
	}
	return min(extreme/all, 1)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Center names the statistic Diff compares.
type Center int

const (
	Median Center = iota // the median of each sample
	Mean                 // the mean of each sample
)

// Change is how a new sample moved from a baseline.
type Change struct {
	// Old and New are the chosen statistic (Center) of the baseline and of
	// the new sample.
	Old, New float64
	// Relative is New/Old - 1: 0.1 for 10% more. It is 0 when both are 0
	// and +Inf or -Inf when only Old is 0.
	Relative float64
	// Test is the Mann–Whitney U test of the two samples.
	Test MannWhitney
	// Significant is Test.P < Alpha: the samples differ beyond noise.
	Significant bool
	// Decidable is false when the samples are too small for any
	// difference to be significant: with n and m values, the smallest
	// p-value is 2/C(n+m, n), below 5% only from 4 values on each side
	// (or 3 and 5). Without repeats a change is never significant.
	Decidable bool
}

// Regressed reports whether the new sample is significantly larger than
// the baseline: a regression for a time, where larger is worse.
func (c Change) Regressed() bool { return c.Significant && c.New > c.Old }

// Diff compares a new sample with a baseline (such as the wall times of
// the runs of a mode, last week's and today's): the relative change of
// their median or mean, and whether they differ beyond noise by the
// Mann–Whitney U test at the 5% level.
func Diff(old, new []float64, c Center) Change {
	stat := func(xs []float64) float64 {
		d := Describe(xs)
		if c == Mean {
			return d.Mean
		}
		return d.Median
	}
	ch := Change{Old: stat(old), New: stat(new)}
	switch {
	case ch.Old != 0:
		ch.Relative = ch.New/ch.Old - 1
	case ch.New != 0:
		ch.Relative = math.Inf(int(math.Copysign(1, ch.New)))
	}
	ch.Test = MannWhitneyU(old, new)
	ch.Significant = ch.Test.P < Alpha
	ch.Decidable = minP(len(old), len(new)) < Alpha
	return ch
}

// minP returns the smallest two-sided Mann–Whitney p-value samples of n and
// m values can reach: 2/C(n+m, n), the chance that one sample is entirely
// below the other or entirely above.
func minP(n, m int) float64 {
	if n == 0 || m == 0 {
		return 1
	}
	c := 1.0 // C(n+m, n) as a float64: only its size matters here
	for i := 1; i <= n; i++ {
		c = c * float64(m+i) / float64(i)
	}
	return min(2/c, 1)
}
