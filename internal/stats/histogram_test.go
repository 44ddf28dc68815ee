package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// TestBucketLayout checks that the buckets tile [0, MaxInt64] without gaps
// or overlaps and that none is wider than 1/128 of its lower bound.
func TestBucketLayout(t *testing.T) {
	if got, want := bucketOf(math.MaxInt64), numBuckets-1; got != want {
		t.Fatalf("got bucketOf(MaxInt64) = %d; want %d (the last)", got, want)
	}
	var next uint64 // the lowest value of the next bucket
	for i := range numBuckets {
		lo, w := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d; want %d (where bucket %d ended)", i, lo, next, i-1)
		}
		last := lo + (w - 1)
		if got := bucketOf(lo); got != i {
			t.Fatalf("got bucketOf(%d) = %d; want %d", lo, got, i)
		}
		if got := bucketOf(last); got != i {
			t.Fatalf("got bucketOf(%d) = %d; want %d", last, got, i)
		}
		if mid := lo + w/2; lo >= 2*subCount && float64(mid-lo)/float64(lo) > 1.0/256 {
			t.Fatalf("bucket %d [%d, %d]: its middle %d is more than 1/256 above its start", i, lo, last, mid)
		}
		if lo < 2*subCount && w != 1 {
			t.Fatalf("bucket %d [%d, %d]: values below 256 ns have buckets of their own", i, lo, last)
		}
		next = last + 1
	}
	if next != 1<<63 {
		t.Fatalf("the buckets end at %d; want 2^63", next)
	}
}

// TestRank holds the nearest-rank rule to its definition, ceil(p/100 × n).
func TestRank(t *testing.T) {
	tests := []struct {
		name string
		p    float64
		n    int64
		want int64
	}{
		{"no samples", 50, 0, 0},
		{"one sample", 50, 1, 1},
		{"median of two is the lower", 50, 2, 1},
		{"median of three", 50, 3, 2},
		{"p95 of 20", 95, 20, 19},
		{"p95 of 21", 95, 21, 20},
		{"p99.9 of 1000 is exact", 99.9, 1000, 999},
		{"p99.9 of 1001", 99.9, 1001, 1000},
		{"p99.99 of 10000", 99.99, 10000, 9999},
		{"p100 is the max", 100, 7, 7},
		{"p0 is the min", 0, 7, 1},
		{"negative p is the min", -5, 7, 1},
		{"NaN is the min", math.NaN(), 7, 1},
		{"p above 100 is the max", 150, 7, 7},
		{"a tiny p is rank 1", 1e-9, 1 << 40, 1},
		{"median of the most samples", 50, math.MaxInt64, 1 << 62},
		{"max of the most samples", 100, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Rank(tt.p, tt.n); got != tt.want {
				t.Errorf("got Rank(%v, %d) = %d; want %d", tt.p, tt.n, got, tt.want)
			}
		})
	}
}

// TestRankMatchesSummary checks that Rank picks the rank cmd/fetch's summary
// has always picked for p50_ms and p95_ms (its latencies.percentile), so
// those fields do not shift when they come from a Histogram.
func TestRankMatchesSummary(t *testing.T) {
	oldRank := func(p float64, n int64) int64 { // summary.go's rule
		rank := int64(math.Ceil(p / 100 * float64(n)))
		return min(max(rank, 1), n)
	}
	limit := int64(200_000)
	if testing.Short() {
		limit = 20_000
	}
	for _, p := range []float64{50, 95} {
		for n := int64(1); n <= limit; n++ {
			if got, want := Rank(p, n), oldRank(p, n); got != want {
				t.Fatalf("got Rank(%v, %d) = %d; want %d as summary.go has it", p, n, got, want)
			}
		}
	}
}

// distribution draws durations for the accuracy tests.
type distribution struct {
	name string
	n    int
	draw func(r *rand.Rand) time.Duration
}

func distributions() []distribution {
	lognormal := func(median time.Duration, sigma float64) func(r *rand.Rand) time.Duration {
		return func(r *rand.Rand) time.Duration {
			return time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
		}
	}
	return []distribution{
		{"no samples", 0, nil},
		{"one sample", 1, func(*rand.Rand) time.Duration { return 103 * time.Millisecond }},
		{"two samples", 2, lognormal(50*time.Millisecond, 1)},
		{"a single value", 10_000, func(*rand.Rand) time.Duration { return 1503900 * time.Microsecond }},
		{"uniform 1µs to 1h", 100_000, func(r *rand.Rand) time.Duration {
			return time.Microsecond + time.Duration(r.Int64N(int64(time.Hour-time.Microsecond)))
		}},
		{"uniform 95ms to 105ms", 50_000, func(r *rand.Rand) time.Duration {
			return 95*time.Millisecond + time.Duration(r.Int64N(int64(10*time.Millisecond)))
		}},
		{"lognormal around 100ms", 100_000, lognormal(100*time.Millisecond, 0.5)},
		{"lognormal heavy tail", 100_000, lognormal(2*time.Millisecond, 2.5)},
		{"bimodal cache hit and miss", 100_000, func(r *rand.Rand) time.Duration {
			if r.IntN(10) < 7 {
				return lognormal(800*time.Microsecond, 0.1)(r)
			}
			return lognormal(300*time.Millisecond, 0.3)(r)
		}},
		{"nanoseconds", 10_000, func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(time.Duration(5000)))) }},
		{"hours", 1000, func(r *rand.Rand) time.Duration { return time.Hour + time.Duration(r.Int64N(int64(1000*time.Hour))) }},
	}
}

// TestPercentileAccuracy holds the histogram's percentiles to 1% of the
// exact nearest-rank percentiles of the raw samples (0.39% by design), and
// its count, extremes, mean and standard deviation to the exact ones.
func TestPercentileAccuracy(t *testing.T) {
	ps := []float64{0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100}
	for _, dist := range distributions() {
		t.Run(dist.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			raw := make([]time.Duration, dist.n)
			for i := range raw {
				raw[i] = dist.draw(r)
				h.Record(raw[i])
			}
			slices.Sort(raw)
			n := int64(len(raw))
			if got := h.Count(); got != n {
				t.Fatalf("got Count() = %d; want %d", got, n)
			}
			for _, p := range ps {
				want := time.Duration(0)
				if n > 0 {
					want = raw[Rank(p, n)-1]
				}
				got := h.Percentile(p)
				if relErr(float64(got), float64(want)) > 0.01 {
					t.Errorf("got Percentile(%v) = %v; want %v within 1%%", p, got, want)
				}
			}
			if n == 0 {
				if h.Min() != 0 || h.Max() != 0 || h.Mean() != 0 || h.Stddev() != 0 {
					t.Errorf("got Min, Max, Mean, Stddev = %v, %v, %v, %v of nothing; want zeros", h.Min(), h.Max(), h.Mean(), h.Stddev())
				}
				return
			}
			if got, want := h.Min(), raw[0]; got != want {
				t.Errorf("got Min() = %v; want %v", got, want)
			}
			if got, want := h.Max(), raw[n-1]; got != want {
				t.Errorf("got Max() = %v; want %v", got, want)
			}
			mean, sd := twoPass(raw)
			if relErr(h.Mean(), mean) > 1e-9 {
				t.Errorf("got Mean() = %v; want %v", h.Mean(), mean)
			}
			if math.Abs(h.Stddev()-sd) > 1e-9*max(mean, 1) {
				t.Errorf("got Stddev() = %v; want %v", h.Stddev(), sd)
			}
		})
	}
}

// twoPass returns the mean and sample standard deviation of xs the
// textbook way, in two passes.
func twoPass(xs []time.Duration) (mean, sd float64) {
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestRecordNegative(t *testing.T) {
	var h Histogram
	h.Record(-time.Second)
	h.Record(2)
	if got := h.Min(); got != 0 {
		t.Errorf("got Min() = %v after Record(-1s); want 0", got)
	}
	if got := h.Mean(); got != 1 {
		t.Errorf("got Mean() = %v of -1s (as 0) and 2ns; want 1", got)
	}
}

// TestMerge checks that histograms filled apart and merged equal one
// histogram that recorded everything.
func TestMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all Histogram
	parts := make([]Histogram, 4)
	for i := range 40_000 {
		d := time.Duration(float64(20*time.Millisecond) * math.Exp(r.NormFloat64()))
		if i%7 == 0 {
			d *= 50
		}
		all.Record(d)
		parts[r.IntN(len(parts)-1)].Record(d) // the last part stays empty
	}
	var merged Histogram
	for i := range parts {
		merged.Merge(&parts[i])
	}
	sameHistogram(t, "merged parts", &merged, &all)

	t.Run("into itself", func(t *testing.T) {
		var twice Histogram
		twice.Merge(&all)
		twice.Merge(&all)
		var self Histogram
		self.Merge(&all)
		self.Merge(&self)
		sameHistogram(t, "h merged into itself", &self, &twice)
	})
	t.Run("empty into full", func(t *testing.T) {
		h := all
		h.Merge(&Histogram{})
		sameHistogram(t, "h merged with an empty one", &h, &all)
	})
	t.Run("one sample each", func(t *testing.T) {
		var a, b Histogram
		a.Record(time.Millisecond)
		b.Record(3 * time.Millisecond)
		a.Merge(&b)
		if got, want := a.Mean(), float64(2*time.Millisecond); got != want {
			t.Errorf("got Mean() = %v; want %v", got, want)
		}
		if got, want := a.Stddev(), float64(time.Millisecond)*math.Sqrt2; relErr(got, want) > 1e-12 {
			t.Errorf("got Stddev() = %v; want %v", got, want)
		}
	})
}

func sameHistogram(t *testing.T, what string, got, want *Histogram) {
	t.Helper()
	if got.counts != want.counts {
		t.Errorf("%s: bucket counts differ from the histogram that recorded everything", what)
	}
	if got.Count() != want.Count() || got.Min() != want.Min() || got.Max() != want.Max() {
		t.Errorf("%s: got count, min, max = %d, %v, %v; want %d, %v, %v", what, got.Count(), got.Min(), got.Max(), want.Count(), want.Min(), want.Max())
	}
	if relErr(got.Mean(), want.Mean()) > 1e-12 || relErr(got.Stddev(), want.Stddev()) > 1e-9 {
		t.Errorf("%s: got mean, stddev = %v, %v; want %v, %v", what, got.Mean(), got.Stddev(), want.Mean(), want.Stddev())
	}
}

func TestBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var h Histogram
	raw := make([]time.Duration, 5000)
	for i := range raw {
		raw[i] = time.Duration(float64(time.Millisecond) * math.Exp(2*r.NormFloat64()))
		h.Record(raw[i])
	}
	slices.Sort(raw)
	var seen int64
	prevHi := time.Duration(-1)
	for b := range h.Buckets() {
		if b.Count <= 0 {
			t.Fatalf("bucket [%v, %v] has count %d; want only non-empty buckets", b.Lo, b.Hi, b.Count)
		}
		if b.Lo <= prevHi || b.Hi < b.Lo {
			t.Fatalf("bucket [%v, %v] after one ending at %v; want ascending, disjoint bounds", b.Lo, b.Hi, prevHi)
		}
		for _, d := range raw[seen : seen+b.Count] {
			if d < b.Lo || d > b.Hi {
				t.Fatalf("sample %v counted in bucket [%v, %v]", d, b.Lo, b.Hi)
			}
		}
		seen += b.Count
		if b.Cumulative != seen {
			t.Fatalf("bucket [%v, %v]: got Cumulative = %d; want %d", b.Lo, b.Hi, b.Cumulative, seen)
		}
		prevHi = b.Hi
	}
	if seen != h.Count() {
		t.Fatalf("the buckets count %d samples; want %d", seen, h.Count())
	}
	var first []Bucket
	for b := range h.Buckets() {
		first = append(first, b)
		break
	}
	if len(first) != 1 || first[0].Lo != raw[0] {
		t.Errorf("got %v from a loop that stopped at the first bucket; want one starting at Min %v", first, raw[0])
	}
	for b := range (&Histogram{}).Buckets() {
		t.Errorf("an empty histogram yields bucket %v", b)
	}
}

func TestSummary(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	s := h.Summary()
	want := map[string][2]time.Duration{ // got, want
		"P50":  {s.P50, 500 * time.Millisecond},
		"P90":  {s.P90, 900 * time.Millisecond},
		"P95":  {s.P95, 950 * time.Millisecond},
		"P99":  {s.P99, 990 * time.Millisecond},
		"P999": {s.P999, 999 * time.Millisecond},
		"Min":  {s.Min, time.Millisecond},
		"Max":  {s.Max, time.Second},
		"Mean": {s.Mean, 500500 * time.Microsecond},
	}
	for name, gw := range want {
		if relErr(float64(gw[0]), float64(gw[1])) > 0.004 {
			t.Errorf("got Summary().%s = %v; want %v within 0.4%%", name, gw[0], gw[1])
		}
	}
	if s.Count != 1000 {
		t.Errorf("got Summary().Count = %d; want 1000", s.Count)
	}
	// The standard deviation of 1..1000 ms is sqrt(1000·1001/12) ms.
	if got, want := s.Stddev, time.Duration(math.Round(math.Sqrt(1000*1001/12.0)*1e6)); got != want {
		t.Errorf("got Summary().Stddev = %v; want %v", got, want)
	}
}

// TestMemoryFlat turns the memory budget into a test: a Histogram is a
// fixed size, and neither a million Records nor a Merge allocate.
func TestMemoryFlat(t *testing.T) {
	const maxSize = 60 << 10
	if got := unsafe.Sizeof(Histogram{}); got > maxSize {
		t.Errorf("got unsafe.Sizeof(Histogram{}) = %d; want at most %d", got, maxSize)
	}
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	h := new(Histogram)
	allocs := testing.AllocsPerRun(2, func() {
		for i := range n {
			h.Record(time.Duration(i*7919) % time.Hour)
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations recording %d samples; want 0", allocs, n)
	}
	o := new(Histogram)
	o.Record(time.Second)
	if allocs := testing.AllocsPerRun(10, func() { h.Merge(o) }); allocs != 0 {
		t.Errorf("got %v allocations a Merge; want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(10, func() { h.Summary() }); allocs != 0 {
		t.Errorf("got %v allocations a Summary; want 0", allocs)
	}
}

var sinkDuration time.Duration

func BenchmarkRecord(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	ds := make([]time.Duration, 4096)
	for i := range ds {
		ds[i] = time.Duration(float64(50*time.Millisecond) * math.Exp(r.NormFloat64()))
	}
	h := new(Histogram)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(ds[i%len(ds)])
	}
}

func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	src := new(Histogram)
	for range 100_000 {
		src.Record(time.Duration(float64(50*time.Millisecond) * math.Exp(2*r.NormFloat64())))
	}
	dst := new(Histogram)
	b.ReportAllocs()
	for b.Loop() {
		dst.Merge(src)
	}
}

func BenchmarkSummary(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	h := new(Histogram)
	for range 100_000 {
		h.Record(time.Duration(float64(50*time.Millisecond) * math.Exp(2*r.NormFloat64())))
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkDuration = h.Summary().P99
	}
}
