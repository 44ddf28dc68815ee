package stats_test

import (
	"fmt"
	"os"
	"time"

	"github.com/greenfetch/greenfetch/internal/stats"
)

func Example() {
	// One histogram per worker, merged at the end.
	workers := make([]stats.Histogram, 4)
	for i := range 1000 {
		d := 100*time.Millisecond + time.Duration(i%100)*time.Millisecond
		workers[i%len(workers)].Record(d)
	}
	var all stats.Histogram
	for i := range workers {
		all.Merge(&workers[i])
	}
	s := all.Summary()
	fmt.Println("count", s.Count, "min", s.Min, "max", s.Max)
	fmt.Println("p50", s.P50.Round(time.Millisecond), "p99", s.P99.Round(time.Millisecond))
	fmt.Println("mean", s.Mean, "stddev", s.Stddev.Round(time.Microsecond))
	// Output:
	// count 1000 min 100ms max 199ms
	// p50 149ms p99 198ms
	// mean 149.5ms stddev 28.881ms
}

func ExampleChart_Render() {
	var h stats.Histogram
	for i := range 100 {
		h.Record(time.Duration(10+i%20) * time.Millisecond)
	}
	stats.Chart{Width: 40, Height: 4, ASCII: true}.Render(os.Stdout, &h)
	// Output:
	// 14.8ms 25 |#############################
	// 19.5ms 25 |#############################
	// 24.2ms 25 |#############################
	// 29.0ms 25 |#############################
}
