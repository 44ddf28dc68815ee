// Package stats holds the numbers behind greenfetch's timing reports: a
// latency histogram that stays small however many samples it records, and
// a terminal chart of it (Chart).
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
// # Use
//
// A Histogram is not safe for concurrent use: give each worker (or hub)
// its own and Merge them at the end.
package stats
