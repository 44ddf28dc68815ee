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

func ExampleSpeedupOf() {
	sync := []float64{3.02, 2.97, 3.05, 3.01, 2.99} // seconds, --repeat 5
	async := []float64{1.51, 1.49, 1.55, 1.50, 1.52}
	s, err := stats.SpeedupOf(sync, async)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("async is %.2fx faster than sync (95%% CI %.2f to %.2f)\n", s.Ratio, s.Lo, s.Hi)
	// Output:
	// async is 1.99x faster than sync (95% CI 1.95 to 2.03)
}

func ExampleDiff() {
	lastWeek := []float64{1.21, 1.19, 1.20, 1.22, 1.20} // wall seconds
	today := []float64{1.80, 1.83, 1.79, 1.81, 1.82}
	d := stats.Diff(lastWeek, today, stats.Median)
	fmt.Printf("median %.2fs -> %.2fs (%+.0f%%), p = %.4f, regressed: %v\n", d.Old, d.New, 100*d.Relative, d.Test.P, d.Regressed())
	// Output:
	// median 1.20s -> 1.81s (+51%), p = 0.0079, regressed: true
}
