package fetcher

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// clientChildEnv makes the test binary one client run of a ratio
// benchmark (BenchmarkMassiveRatio, BenchmarkThroughput's "ratio"), in a
// process of its own so that its CPU time and peak RSS are its own and
// the other client's garbage is not collected on its time: "async" or
// "nethttp" fetches clientChildURL clientChildN times, clientChildConc
// at once (trusting the CA in the PEM file clientChildCA, if set), then
// prints its wall time in seconds and exits.
const (
	clientChildEnv  = "FETCHER_BENCH_CLIENT_CHILD"
	clientChildURL  = "FETCHER_BENCH_CLIENT_URL"
	clientChildN    = "FETCHER_BENCH_CLIENT_URLS"
	clientChildConc = "FETCHER_BENCH_CLIENT_CONC"
	clientChildCA   = "FETCHER_BENCH_CLIENT_CA"
)

// runClientChild is TestMain's part for clientChildEnv: it reports
// "wall-seconds" on stdout, or an error on stderr with exit status 1.
func runClientChild(mode string) int {
	if err := clientChild(mode); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func clientChild(mode string) error {
	n, err := strconv.Atoi(os.Getenv(clientChildN))
	if err != nil {
		return fmt.Errorf("%s: %w", clientChildN, err)
	}
	conc, err := strconv.Atoi(os.Getenv(clientChildConc))
	if err != nil {
		return fmt.Errorf("%s: %w", clientChildConc, err)
	}
	var roots *x509.CertPool
	if f := os.Getenv(clientChildCA); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no certificate in %s", clientChildCA, f)
		}
	}
	urls := make([]string, n)
	for i := range urls {
		urls[i] = os.Getenv(clientChildURL)
	}
	t0 := time.Now()
	switch mode {
	case "async":
		err = asyncPerURL(urls, RunConfig{Config: Config{Timeout: time.Minute, RootCAs: roots}, Concurrency: conc, Hubs: benchHubs()})
	case "nethttp":
		var tlsConf *tls.Config
		if roots != nil {
			tlsConf = &tls.Config{RootCAs: roots}
		}
		err = netHTTPPerURL(netHTTPClient(conc, tlsConf), urls, conc)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	fmt.Println(time.Since(t0).Seconds())
	return nil
}

// asyncPerURL fetches urls with the async engine and returns the first
// failure. Its feeder reads each URL before handing it over, as the fetch
// command's does (ParseJob), so that the fetch does not read it again.
func asyncPerURL(urls []string, cfg RunConfig) error {
	jobs := make(chan Job, 256)
	results := make(chan Result, 256)
	go func() {
		defer close(jobs)
		for i, u := range urls {
			job := Job{URL: u, Index: int64(i)}
			if parsed, err := ParseJob(job); err == nil {
				job = parsed
			} // else the fetch reports the bad URL as its result
			jobs <- job
		}
	}()
	var first error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range results {
			if r.OK() || first != nil {
				continue
			}
			if r.Error != nil {
				first = errors.New(*r.Error) // it names the URL
			} else {
				first = fmt.Errorf("%s: status %d", r.URL, r.Status)
			}
		}
	}()
	_, err := Run(context.Background(), ModeAsync, cfg, jobs, results)
	close(results)
	<-done
	if err != nil {
		return err
	}
	return first
}

// childRun is what one client child did.
type childRun struct {
	wall, cpu float64 // seconds
	rss       float64 // peak, MiB
}

// clientChildRun runs the test binary as a client child (clientChildEnv)
// of mode fetching url n times, conc at once (caFile: "" or a CA to
// trust), and returns its wall time, CPU time and peak RSS. The child has
// this process's GOMAXPROCS (go test -cpu). Its CPU time includes its
// start and exit, ≈ 5 ms: runs of a few thousand URLs or more make that
// small.
func clientChildRun(b *testing.B, mode, url string, n, conc int, caFile string) childRun {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clientChildEnv+"="+mode, clientChildURL+"="+url,
		clientChildN+"="+strconv.Itoa(n), clientChildConc+"="+strconv.Itoa(conc), clientChildCA+"="+caFile,
		"GOMAXPROCS="+strconv.Itoa(runtime.GOMAXPROCS(0)))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s client child fetching %s: %v: %s%s", mode, url, err, out.String(), errOut.String())
	}
	wall, err := strconv.ParseFloat(strings.TrimSpace(out.String()), 64)
	if err != nil {
		b.Fatalf("%s client child fetching %s printed %q, not its wall time: %s", mode, url, out.String(), errOut.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return childRun{wall, cpu, float64(ru.Maxrss) / 1024} // Maxrss is in KiB on Linux
}

// childPairs runs the async and nethttp client children pairs times,
// alternating which goes first, and returns each one's runs.
func childPairs(b *testing.B, pairs int, url string, n, conc int, caFile string) (async, nethttp []childRun) {
	for i := 0; i < pairs; i++ {
		if i%2 == 0 {
			async = append(async, clientChildRun(b, "async", url, n, conc, caFile))
			nethttp = append(nethttp, clientChildRun(b, "nethttp", url, n, conc, caFile))
		} else {
			nethttp = append(nethttp, clientChildRun(b, "nethttp", url, n, conc, caFile))
			async = append(async, clientChildRun(b, "async", url, n, conc, caFile))
		}
	}
	return async, nethttp
}

// medianRun returns the median of f over runs.
func medianRun(runs []childRun, f func(childRun) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return medianOf(v)
}

func runWall(r childRun) float64 { return r.wall }
func runCPU(r childRun) float64  { return r.cpu }
func runRSS(r childRun) float64  { return r.rss }

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
	a, h := childPairs(b, b.N, serve.URLFor(base, 3*time.Second, 1024), n, n, "")
	b.ReportMetric(medianRun(a, runWall), "async-wall-s")
	b.ReportMetric(medianRun(h, runWall), "nethttp-wall-s")
	b.ReportMetric(medianRun(a, runRSS), "async-rss-MiB")
	b.ReportMetric(medianRun(h, runRSS), "nethttp-rss-MiB")
	b.ReportMetric(medianRun(a, runWall)/medianRun(h, runWall), "wall-ratio")
	b.ReportMetric(medianRun(a, runRSS)/medianRun(h, runRSS), "rss-ratio")
	b.ReportMetric(medianRun(a, runCPU)/medianRun(h, runCPU), "cpu-ratio")
}
