package reporttest_test

import (
	"fmt"

	"github.com/greenfetch/greenfetch/internal/report/reporttest"
)

func ExampleSample() {
	m := reporttest.Sample(200, 1)
	for _, md := range m.Modes {
		fmt.Println(md.Mode, md.URLs, "URLs,", md.Failed, "failed,", len(md.Runs), "runs")
	}
	fmt.Println(len(m.Gates), "gates; baseline", m.Baseline.Name)
	// Output:
	// sync 200 URLs, 5 failed, 5 runs
	// threads 200 URLs, 6 failed, 5 runs
	// async 200 URLs, 5 failed, 5 runs
	// 7 gates; baseline baseline.ndjson
}
