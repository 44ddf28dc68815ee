package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// massiveChildEnv makes the test binary one client run of
// BenchmarkMassiveRatio: "async" or "nethttp", fetching the URLs of
// massiveChildN URLs of the serve process at massiveChildBase, then
// printing its wall time in seconds and exiting.
const (
	massiveChildEnv  = "FETCHER_BENCH_MASSIVE_CHILD"
	massiveChildBase = "FETCHER_BENCH_MASSIVE_BASE"
	massiveChildN    = "FETCHER_BENCH_MASSIVE_URLS"
)

// runMassiveChild is TestMain's part for massiveChildEnv: it reports
// "wall-seconds" on stdout, or an error on stderr with exit status 1.
func runMassiveChild(mode string) int {
	n, _ := strconv.Atoi(os.Getenv(massiveChildN))
	base := os.Getenv(massiveChildBase)
	urls := make([]string, n)
	for i := range urls {
		urls[i] = serve.URLFor(base, 3*time.Second, 1024)
	}
	t0 := time.Now()
	var err error
	switch mode {
	case "async":
		err = massiveAsync(urls, n)
	case "nethttp":
		err = massiveNetHTTP(urls, n)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(time.Since(t0).Seconds())
	return 0
}

// massiveAsync fetches urls with the async engine, conc at once, and
// returns the first failure.
func massiveAsync(urls []string, conc int) error {
	jobs := make(chan Job, 256)
	results := make(chan Result, 256)
	go func() {
		defer close(jobs)
		for i, u := range urls {
			jobs <- Job{URL: u, Index: int64(i)}
		}
	}()
	var first error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range results {
			if !r.OK() && first == nil {
				first = fmt.Errorf("%s: %s", r.URL, errString(r))
			}
		}
	}()
	_, err := Run(context.Background(), ModeAsync, Config{Concurrency: conc, Timeout: time.Minute}, jobs, results)
	close(results)
	<-done
	if err != nil {
		return err
	}
	return first
}

// massiveNetHTTP fetches urls with net/http, a goroutine per URL gated by
// a semaphore of conc, and returns the first failure.
func massiveNetHTTP(urls []string, conc int) error {
	return netHTTPPerURL(netHTTPClient(conc, nil), urls, conc)
}

// BenchmarkMassiveRatio: issue 14's third workload with the engine against
// Go's net/http client (a goroutine per URL, one Transport with
// MaxIdleConnsPerHost = n): n = 10,000 requests at once (FETCHER_MASSIVE_N),
// each waiting 3 s for 1 KiB from a serve process of its own. Each client
// runs in a child process of its own, alternating, so that its peak RSS
// and CPU are its own; reported: medians of wall time, peak RSS and CPU of
// each, and the ratios async/nethttp (goal: ≤ 0.85× wall, ≤ 0.35× RSS).
//
//	go test -run '^$' -bench MassiveRatio -benchtime 3x ./fetcher/
func BenchmarkMassiveRatio(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("FETCHER_MASSIVE_N")); err == nil && v > 0 {
		n = v
	}
	base := startServeChild(b)
	type run struct{ wall, rss, cpu float64 }
	runs := map[string][]run{}
	child := func(mode string) run {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), massiveChildEnv+"="+mode, massiveChildBase+"="+base, massiveChildN+"="+strconv.Itoa(n))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s child: %v: %s%s", mode, err, out.String(), errOut.String())
		}
		wall, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
		if err != nil {
			b.Fatalf("%s child printed %q", mode, out.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		return run{wall, float64(ru.Maxrss) * 1024, cpu} // Maxrss is in KiB on Linux
	}
	for i := 0; i < b.N; i++ {
		order := []string{"async", "nethttp"}
		if i%2 == 1 {
			order = []string{"nethttp", "async"}
		}
		for _, mode := range order {
			runs[mode] = append(runs[mode], child(mode))
		}
	}
	median := func(rs []run, f func(run) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		for i := range v { // insertion sort: a handful of values
			for j := i; j > 0 && v[j] < v[j-1]; j-- {
				v[j], v[j-1] = v[j-1], v[j]
			}
		}
		return (v[(len(v)-1)/2] + v[len(v)/2]) / 2
	}
	wall := func(r run) float64 { return r.wall }
	rss := func(r run) float64 { return r.rss / (1 << 20) }
	cpu := func(r run) float64 { return r.cpu }
	a, h := runs["async"], runs["nethttp"]
	b.ReportMetric(median(a, wall), "async-wall-s")
	b.ReportMetric(median(h, wall), "nethttp-wall-s")
	b.ReportMetric(median(a, rss), "async-rss-MiB")
	b.ReportMetric(median(h, rss), "nethttp-rss-MiB")
	b.ReportMetric(median(a, wall)/median(h, wall), "wall-ratio")
	b.ReportMetric(median(a, rss)/median(h, rss), "rss-ratio")
	b.ReportMetric(median(a, cpu)/median(h, cpu), "cpu-ratio")
}
