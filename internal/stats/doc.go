// Package stats holds the numbers behind greenfetch's timing reports: a
// latency histogram that stays small however many samples it records, a
// terminal chart of it, and the comparison of repeated measurements (mean
// and standard deviation, the speedup of one mode over another with its
// confidence interval, and whether a baseline and a new sample differ
// beyond noise).
//
// # Histogram
//
// Histogram is log-linear, as HdrHistogram is: a duration in nanoseconds
// falls into the bucket named by its top 8 significant bits (its highest
// set bit and the 7 bits below it). Below 256 ns every nanosecond has a
// bucket of its own; above, each power of two is cut into 128 buckets of
// equal width, so a bucket is never wider than 1/128 of its lower bound.
// A percentile is reported as the middle of its bucket (clamped to the
// exact minimum and maximum), within 1/256 (0.39%) of the true value,
// from 0 to the largest time.Duration: there is no range to configure
// and nothing saturates. The 7296 counters are a fixed array, so the
// memory of a Histogram (about 57 KiB) does not grow with the samples it
// records, and Record does not allocate. Count, Min, Max, Mean and
// Stddev are exact (Mean and Stddev from running sums by Welford's
// method, merged by Chan's).
//
// Percentiles follow the nearest-rank rule, as the p50_ms and p95_ms of
// fetch's summary always have: the p-th percentile of n samples is the
// sample of rank ceil(p/100 × n) in ascending order (at least rank 1).
// The rank is computed in integers from p rounded to a millionth of a
// percent, so p99.9 of 1000 samples is the 999th, not the 1000th that a
// float64 product would give.
//
// # Comparing samples
//
// Describe gives the mean, standard deviation and median of repeated
// measurements (one wall time per run of a mode, with --repeat).
//
// SpeedupOf gives how many times faster one mode ran than another, with a
// 95% confidence interval: the ratio of geometric means of their wall
// times, and Welch's t-interval on the difference of their mean log
// times. Wall times are positive and their noise is multiplicative (a
// slow disk or a busy core stretches a run by a factor), so their logs are
// close to normal. Then the ratio of geometric means estimates the ratio
// of medians, as the command's speedup (median over median) does, while
// an outlier moves it less than it moves a ratio of arithmetic means; the
// interval is centred on it on the log scale, needs no random numbers,
// and holds its 95% for the few runs CI jobs afford: in seeded
// simulations of 20,000 experiments with 2 to 10 log-normal runs a side
// it covered the true ratio 93.7% to 96.3% of the time, equal noise or
// not (Welch allows the two modes different noise), except with 2 runs a
// side of equal noise, where it is conservative (97.9%). A percentile bootstrap of the ratio, the other candidate,
// covered it 82% of the time with 3 runs a side, 88% with 5 and 93%
// with 10 (log-normal times, 2000 experiments): a resample of 3 runs has
// at most 10 distinct means.
//
// Diff tells whether a new sample differs from a baseline beyond noise,
// by the Mann–Whitney U test (two-sided): exact, by counting every
// assignment of the pooled ranks (ties included), when the two samples
// hold 30 values or fewer together, and by the normal approximation with
// tie and continuity corrections beyond. The test needs no assumption on
// the shape of the distributions, which for timings have long right
// tails.
//
// # Use
//
// A Histogram is not safe for concurrent use: give each worker (or hub)
// its own and Merge them at the end. The other functions are pure.
package stats
