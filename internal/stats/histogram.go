package stats

import (
	"iter"
	"math"
	"math/bits"
	"time"
)

// The bucket layout (see the package doc). A value v >= 0 in nanoseconds
// with highest set bit e has the bucket index (shift << subBits) + m,
// where shift = max(e-subBits, 0) and m = v >> shift: the top subBits+1
// bits of v. Below 2<<subBits the index is v itself.
const (
	subBits    = 7
	subCount   = 1 << subBits                       // buckets per power of two above 2*subCount
	numBuckets = (62-subBits)*subCount + 2*subCount // up to math.MaxInt64: 7296
)

// bucketOf returns the index of the bucket that counts v (v >= 0).
func bucketOf(v uint64) int {
	shift := bits.Len64(v) - 1 - subBits
	if shift <= 0 {
		return int(v)
	}
	return shift<<subBits + int(v>>uint(shift))
}

// bucketBounds returns the lowest value of bucket i and its width.
func bucketBounds(i int) (lo, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	shift := i>>subBits - 1
	m := uint64(i - shift<<subBits)
	return m << uint(shift), 1 << uint(shift)
}

// Histogram records durations and reports their distribution: count, exact
// min, max, mean and standard deviation, and percentiles within 0.39% (see
// the package doc for the buckets). Its zero value is ready for use; it
// does not grow as it records, and its size (about 57 KiB) makes it a
// value to share by pointer, not to copy. Not safe for concurrent use:
// merge per-worker histograms with Merge.
type Histogram struct {
	counts [numBuckets]int64
	n      int64
	// min and max are exact; the non-empty buckets lie between theirs.
	min, max time.Duration
	// mean and m2 are Welford's running mean and sum of squared
	// deviations, in nanoseconds.
	mean, m2 float64
}

// Record adds one sample. A negative duration (a clock that went back) is
// recorded as 0.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 {
		h.min, h.max = d, d
	} else {
		h.min, h.max = min(h.min, d), max(h.max, d)
	}
	h.n++
	x := float64(d)
	delta := x - h.mean
	h.mean += delta / float64(h.n)
	h.m2 += delta * (x - h.mean)
}

// Merge adds every sample of o to h, as if h had recorded them itself (the
// mean and standard deviation by Chan's formula for combining running
// sums). o is unchanged; merging h into itself doubles it.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 {
		*h = *o
		return
	}
	on := o.n // o may be h
	lo, hi := bucketOf(uint64(o.min)), bucketOf(uint64(o.max))
	for i := lo; i <= hi; i++ {
		h.counts[i] += o.counts[i]
	}
	n := h.n + on
	delta := o.mean - h.mean
	h.m2 += o.m2 + delta*delta*float64(h.n)*float64(on)/float64(n)
	h.mean += delta * float64(on) / float64(n)
	h.min, h.max = min(h.min, o.min), max(h.max, o.max)
	h.n = n
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count returns the number of samples recorded.
func (h *Histogram) Count() int64 { return h.n }

// Min returns the smallest sample, or 0 without samples.
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest sample, or 0 without samples.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the mean of the samples in nanoseconds, or 0 without
// samples. It is a float64 so that the mean of 1 ns and 2 ns is 1.5.
func (h *Histogram) Mean() float64 { return h.mean }

// Stddev returns the sample standard deviation (with n-1 in the
// denominator, as hyperfine's σ) in nanoseconds, or 0 with fewer than two
// samples.
func (h *Histogram) Stddev() float64 {
	if h.n < 2 {
		return 0
	}
	return math.Sqrt(max(h.m2, 0) / float64(h.n-1))
}

// Rank returns the nearest rank of the p-th percentile among n samples:
// ceil(p/100 × n), at least 1 and at most n, with p rounded to a
// millionth of a percent and the product taken in integers, so that
// p = 99.9 and n = 1000 give 999. p is clamped to [0, 100]; NaN counts
// as 0. Rank returns 0 for n <= 0.
func Rank(p float64, n int64) int64 {
	if n <= 0 {
		return 0
	}
	if !(p > 0) { // and NaN
		return 1
	}
	p = min(p, 100)
	const scale = 100_000_000 // 100% in millionths of a percent
	pm := uint64(math.Round(p * 1e6))
	hi, lo := bits.Mul64(pm, uint64(n))
	lo, carry := bits.Add64(lo, scale-1, 0)
	hi += carry
	r, _ := bits.Div64(hi, lo, scale) // hi < scale as pm <= scale and n < 2^63
	return min(max(int64(r), 1), n)
}

// Percentile returns the nearest-rank p-th percentile (see Rank), or 0
// without samples. The value is the middle of the bucket that holds the
// sample of that rank, within 0.39% of it, clamped to [Min, Max]; the
// lowest rank gives Min and the highest Max exactly.
func (h *Histogram) Percentile(p float64) time.Duration {
	r := Rank(p, h.n)
	switch r {
	case 0:
		return 0
	case 1:
		return h.min
	case h.n:
		return h.max
	}
	var seen int64
	for i := bucketOf(uint64(h.min)); ; i++ {
		seen += h.counts[i]
		if seen >= r {
			lo, w := bucketBounds(i)
			mid := time.Duration(lo + w/2)
			return min(max(mid, h.min), h.max)
		}
	}
}

// Summary is a histogram's distribution in numbers: what fetch's summary
// reports as latency_ms and phases_ms.
type Summary struct {
	Count                    int64
	Min, Max                 time.Duration
	Mean, Stddev             time.Duration // rounded to the nanosecond
	P50, P90, P95, P99, P999 time.Duration
}

// Summary returns the count, extremes, mean, standard deviation and the
// 50th, 90th, 95th, 99th and 99.9th percentiles of h (all zero without
// samples).
func (h *Histogram) Summary() Summary {
	return Summary{
		Count:  h.n,
		Min:    h.min,
		Max:    h.max,
		Mean:   time.Duration(math.Round(h.mean)),
		Stddev: time.Duration(math.Round(h.Stddev())),
		P50:    h.Percentile(50),
		P90:    h.Percentile(90),
		P95:    h.Percentile(95),
		P99:    h.Percentile(99),
		P999:   h.Percentile(99.9),
	}
}

// Bucket is one non-empty bucket of a Histogram: Count samples d with
// Lo <= d <= Hi, and Cumulative samples at or below Hi (so that
// Cumulative/Count() draws the CDF). The lowest bucket's Lo is the
// histogram's Min and the highest's Hi its Max.
type Bucket struct {
	Lo, Hi     time.Duration
	Count      int64
	Cumulative int64
}

// Buckets yields the non-empty buckets of h in ascending order. h must not
// change during the iteration.
func (h *Histogram) Buckets() iter.Seq[Bucket] {
	return func(yield func(Bucket) bool) {
		if h.n == 0 {
			return
		}
		var cum int64
		first, last := bucketOf(uint64(h.min)), bucketOf(uint64(h.max))
		for i := first; i <= last; i++ {
			c := h.counts[i]
			if c == 0 {
				continue
			}
			cum += c
			lo, w := bucketBounds(i)
			b := Bucket{Lo: time.Duration(lo), Hi: time.Duration(lo + (w - 1)), Count: c, Cumulative: cum}
			if i == first {
				b.Lo = h.min
			}
			if i == last {
				b.Hi = h.max
			}
			if !yield(b) {
				return
			}
		}
	}
}
