package gate_test

import (
	"fmt"

	"github.com/greenfetch/greenfetch/internal/gate"
)

func Example() {
	// The run's numbers, in the units of fetch's JSON.
	summary := map[string]float64{"p95": 412.3, "ttfb.p95": 80, "failed%": 0.5, "rps": 510}
	lookup := func(key string) (float64, bool) {
		v, ok := summary[key]
		return v, ok
	}

	var gates []gate.Gate
	for _, expr := range []string{"p95<300ms", "ttfb.p95<100ms", "failed<=1%", "rps>=500"} {
		g, err := gate.Parse(expr)
		if err != nil {
			fmt.Println(err)
			return
		}
		gates = append(gates, g)
	}
	// A plain run has no comparison and no baseline: speedup and
	// regression gates would be usage errors.
	if err := gate.Validate(gates, gate.Latency, gate.Phase, gate.Failed, gate.Rate); err != nil {
		fmt.Println(err)
		return
	}
	results, met := gate.JudgeAll(gates, lookup)
	for _, r := range results {
		if !r.Met {
			fmt.Println(r)
		}
	}
	fmt.Println("all met:", met)
	// Output:
	// gate p95<300ms not met: p95 was 412.3ms, limit 300ms
	// all met: false
}

func ExampleParse() {
	for _, expr := range []string{"p(99.9) <= 1.5 s", "failed==0", "speedup.lo>=1.5x", "p97<1s"} {
		g, err := gate.Parse(expr)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s (%v, key %s)\n", g, g.Family(), g.Key())
	}
	// Output:
	// p99.9<=1.5s (latency, key p99.9)
	// failed=0 (failed, key failed)
	// speedup.lo>=1.5x (speedup interval, key speedup.lo)
	// gate "p97<1s": unknown metric "p97"; metrics are p50, p90, p95, p99, p99.9 (or p999), max, mean, stddev (of the successful fetches' total time), PHASE.STAT with PHASE one of dns, connect, tls, ttfb, queue and STAT one of those (ttfb.p95), failed, rps, speedup, speedup.lo, speedup.hi, regression
}

func ExampleValidate() {
	g := gate.MinSpeedup(1.5) // --min-speedup 1.5
	err := gate.Validate([]gate.Gate{g}, gate.Latency, gate.Phase, gate.Failed, gate.Rate)
	fmt.Println(err)
	// Output:
	// gate "speedup>=1.5": speedup is not measured in this run: it needs a comparison of modes
}
