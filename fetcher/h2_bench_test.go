package fetcher

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// runStats runs urls through mode and returns the run's Stats; every fetch
// must succeed.
func runStats(b *testing.B, mode Mode, cfg RunConfig, urls []string) Stats {
	jobs := make(chan Job, 256)
	results := make(chan Result, 256)
	go func() {
		defer close(jobs)
		for i, u := range urls {
			jobs <- Job{URL: u, Index: int64(i)}
		}
	}()
	var failed []Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range results {
			if !r.OK() {
				failed = append(failed, r)
			}
		}
	}()
	stats, err := Run(context.Background(), mode, cfg, jobs, results)
	if err != nil {
		b.Fatal(err)
	}
	close(results)
	<-done
	if len(failed) > 0 {
		b.Fatalf("%d of %d fetches failed, first %s: %s", len(failed), len(urls), failed[0].URL, errString(failed[0]))
	}
	return stats
}

// BenchmarkH2VsNetHTTP: 5,000 URLs of 4 KiB from nginx over HTTPS with
// HTTP/2, concurrency 64, fetched in turn (same run, same nginx) by the
// async engine over h2, the async engine over HTTP/1.1, and Go's net/http
// client (which speaks h2 there too). It reports each one's URLs/s, client
// CPU per URL and connections, and the ratios of the h2 engine to
// net/http (goal: >= 1.3x URLs/s at <= 0.8x CPU per URL).
// scripts/bench-h2.sh runs it.
func BenchmarkH2VsNetHTTP(b *testing.B) {
	files := testserver.SizedFiles(4096)
	ng := testserver.StartNginx(b, testserver.NginxOptions{Files: files, TLS: true, HTTP2: true, Workers: 1, WorkerConnections: 4096,
		// nginx ends an HTTP/2 connection (GOAWAY) after keepalive_requests
		// streams, 1000 by default: raised so one connection can carry the list.
		KeepaliveRequests: 100000})
	const n, conc = 5000, 64
	urls := make([]string, n)
	for i := range urls {
		urls[i] = ng.TLSURL + "/" + testserver.SizedPath(4096)
	}
	type tally struct {
		wall, cpu time.Duration
		conns     int64
	}
	var h2, h1, nh tally
	measure := func(t *tally, fn func() int64) {
		t0, c0 := time.Now(), cpuTime()
		conns := fn()
		t.wall += time.Since(t0)
		t.cpu += cpuTime() - c0
		t.conns += conns
	}
	cfg := RunConfig{Config: Config{Timeout: time.Minute, RootCAs: ng.CAPool}, Concurrency: conc, Hubs: benchHubs()}
	for i := 0; i < b.N; i++ {
		measure(&h2, func() int64 {
			s := runStats(b, ModeAsync, cfg, urls)
			if s.HTTP2Streams < n {
				b.Fatalf("got %d HTTP/2 streams; want at least %d", s.HTTP2Streams, n)
			}
			return s.Conns
		})
		measure(&nh, func() int64 {
			var dials atomic.Int64
			tr := &http.Transport{
				MaxIdleConns: conc, MaxIdleConnsPerHost: conc, DisableCompression: true,
				TLSClientConfig: &tls.Config{RootCAs: ng.CAPool}, ForceAttemptHTTP2: true,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					dials.Add(1)
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				},
			}
			runNetHTTP(b, &http.Client{Transport: tr}, urls, conc)
			tr.CloseIdleConnections()
			return dials.Load()
		})
		h1cfg := cfg
		h1cfg.HTTPVersion = HTTPVersion1
		measure(&h1, func() int64 { return runStats(b, ModeAsync, h1cfg, urls).Conns })
	}
	urlsDone := float64(n * b.N)
	rate := func(t tally) float64 { return urlsDone / t.wall.Seconds() }
	cpu := func(t tally) float64 { return float64(t.cpu.Microseconds()) / urlsDone }
	b.ReportMetric(rate(h2), "h2-urls/s")
	b.ReportMetric(cpu(h2), "h2-cpu-µs/url")
	b.ReportMetric(float64(h2.conns)/float64(b.N), "h2-conns/run")
	b.ReportMetric(rate(nh), "nethttp-urls/s")
	b.ReportMetric(cpu(nh), "nethttp-cpu-µs/url")
	b.ReportMetric(float64(nh.conns)/float64(b.N), "nethttp-conns/run")
	b.ReportMetric(rate(h1), "h1-urls/s")
	b.ReportMetric(cpu(h1), "h1-cpu-µs/url")
	b.ReportMetric(float64(h1.conns)/float64(b.N), "h1-conns/run")
	b.ReportMetric(rate(h2)/rate(nh), "urls/s-ratio-vs-nethttp")
	b.ReportMetric(cpu(h2)/cpu(nh), "cpu-ratio-vs-nethttp")
}
