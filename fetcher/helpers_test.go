package fetcher

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// startServe runs the embedded test server for the test.
func startServe(t testing.TB) *serve.Server {
	t.Helper()
	s, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		t.Fatalf("serve.Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runList runs urls through mode and returns the results in input order.
func runList(t testing.TB, ctx context.Context, mode Mode, cfg RunConfig, urls []string) ([]Result, Stats) {
	t.Helper()
	jobs := make(chan Job)
	results := make(chan Result, len(urls))
	go func() {
		defer close(jobs)
		for i, u := range urls {
			jobs <- Job{URL: u, Index: int64(i)}
		}
	}()
	stats, err := Run(ctx, mode, cfg, jobs, results)
	if err != nil {
		t.Fatalf("Run(%v): %v", mode, err)
	}
	close(results)
	var out []Result
	for r := range results {
		out = append(out, r)
	}
	if len(out) != len(urls) {
		t.Fatalf("Run(%v) gave %d results for %d jobs", mode, len(out), len(urls))
	}
	slices.SortFunc(out, func(a, b Result) int { return int(a.Index - b.Index) })
	for i, r := range out {
		if r.Index != int64(i) {
			t.Fatalf("Run(%v): result %d has index %d; want every index once", mode, i, r.Index)
		}
	}
	return out, stats
}

func errString(r Result) string {
	if r.Error == nil {
		return "<nil>"
	}
	return *r.Error
}

// testTimeout bounds every fetch of a test that does not set its own.
const testTimeout = 10 * time.Second

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
