package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Sample describes repeated measurements of one quantity, such as the wall
// times of the runs of one mode.
type Sample struct {
	N      int
	Mean   float64
	Stddev float64 // the sample standard deviation (n-1); 0 for N < 2
	Median float64 // the mean of the middle two for an even N
	Min    float64
	Max    float64
}

// Describe returns the mean, standard deviation, median and extremes of
// xs (all zero for an empty xs). xs is not modified. NaNs are not
// expected: the result with one is unspecified.
func Describe(xs []float64) Sample {
	if len(xs) == 0 {
		return Sample{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mean, m2 := welford(s)
	out := Sample{N: len(s), Mean: mean, Median: median(s), Min: s[0], Max: s[len(s)-1]}
	if len(s) > 1 {
		out.Stddev = math.Sqrt(m2 / float64(len(s)-1))
	}
	return out
}

// welford returns the mean of xs and the sum of squared deviations from it,
// in one pass that keeps its precision whatever the offset of the values.
func welford(xs []float64) (mean, m2 float64) {
	for i, x := range xs {
		d := x - mean
		mean += d / float64(i+1)
		m2 += d * (x - mean)
	}
	return mean, max(m2, 0)
}

// median of sorted, non-empty s.
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

// Confidence is the level of the intervals of SpeedupOf.
const Confidence = 0.95

// Speedup is how many times faster one set of runs was than another.
type Speedup struct {
	// Ratio is the geometric mean of the base times over the geometric
	// mean of the other times: 2 when the other runs took half as long.
	Ratio float64
	// Lo and Hi bound Ratio's 95% confidence interval, when HasCI.
	Lo, Hi float64
	// HasCI is false when either side has fewer than two runs: one run
	// says nothing of the noise. Lo and Hi are then Ratio.
	HasCI bool
	// DF is the Welch–Satterthwaite degrees of freedom of the interval
	// (0 without one; +Inf when both sides had no spread at all).
	DF float64
}

var errNoRuns = errors.New("no runs")

// SpeedupOf returns the speedup of other over base, the ratio of their
// geometric means base/other, with a 95% confidence interval from Welch's
// t-interval on the difference of their mean log times (see the package
// doc for why). Every time must be positive and finite: an error says
// which is not. Samples of unequal sizes are fine.
func SpeedupOf(base, other []float64) (Speedup, error) {
	lb, err := logs(base, "base")
	if err != nil {
		return Speedup{}, err
	}
	lo, err := logs(other, "other")
	if err != nil {
		return Speedup{}, err
	}
	mb, m2b := welford(lb)
	mo, m2o := welford(lo)
	d := mb - mo
	s := Speedup{Ratio: math.Exp(d), Lo: math.Exp(d), Hi: math.Exp(d)}
	nb, no := float64(len(lb)), float64(len(lo))
	if len(lb) < 2 || len(lo) < 2 {
		return s, nil
	}
	vb := m2b / (nb - 1) / nb // the variance of each mean
	vo := m2o / (no - 1) / no
	s.HasCI = true
	if vb+vo == 0 {
		s.DF = math.Inf(1) // identical runs on both sides: a point
		return s, nil
	}
	s.DF = (vb + vo) * (vb + vo) / (vb*vb/(nb-1) + vo*vo/(no-1))
	half := studentQuantile(1-(1-Confidence)/2, s.DF) * math.Sqrt(vb+vo)
	s.Lo, s.Hi = math.Exp(d-half), math.Exp(d+half)
	return s, nil
}

// logs returns the natural logs of xs, which must be non-empty, positive
// and finite.
func logs(xs []float64, side string) ([]float64, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("stats: speedup: %s: %w", side, errNoRuns)
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 1) {
			return nil, fmt.Errorf("stats: speedup: %s run %d took %v: a time must be positive and finite", side, i+1, x)
		}
		out[i] = math.Log(x)
	}
	return out, nil
}
