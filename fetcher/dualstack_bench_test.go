package fetcher

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// BenchmarkDualStackAAAARefused is issue 11's acceptance run: 10,000 URLs
// of distinct names under a zone whose server answers A and refuses AAAA
// (dnsmasq with address=/zone/127.0.0.1 and no upstream, as a resolver
// that only knows IPv4 behaves), fetched by the async engine with our
// resolver and by net/http with Go's pure-Go resolver asked of the same
// dnsmasq, in the same run. Every URL must be ok in both (runDiscard and
// runNetHTTP fail the benchmark otherwise); urls/s is reported for each.
//
//	go test -run '^$' -bench DualStack -benchtime 1x -count 3 ./fetcher/
func BenchmarkDualStackAAAARefused(b *testing.B) {
	const n, conc = 10000, 256
	dns := testserver.StartDnsmasq(b, testserver.DnsmasqOptions{ExtraConfig: []string{"address=/zone/127.0.0.1"}})
	base := startServeChild(b) // http://127.0.0.1:PORT
	port := base[strings.LastIndexByte(base, ':')+1:]
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://n%d.zone:%s/size/1KiB", i, port)
	}
	runs := map[string]func(b *testing.B){
		"async": func(b *testing.B) {
			res, err := dnsresolver.NewAsync(dnsresolver.Config{
				Servers: []string{dns.Addr}, HostsFile: "-", ResolvConf: filepath.Join(b.TempDir(), "none"),
			})
			if err != nil {
				b.Fatal(err)
			}
			runDiscard(b, ModeAsync, RunConfig{Config: Config{Resolver: res}, Concurrency: conc}, urls)
		},
		"nethttp": func(b *testing.B) {
			r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, dns.Addr)
			}}
			tr := &http.Transport{
				MaxIdleConns: conc, MaxIdleConnsPerHost: conc, DisableCompression: true,
				DialContext: (&net.Dialer{Resolver: r, Timeout: 10 * time.Second}).DialContext,
			}
			runNetHTTP(b, &http.Client{Transport: tr, Timeout: 30 * time.Second}, urls, conc)
		},
	}
	for _, name := range []string{"async", "nethttp"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				start := time.Now()
				runs[name](b)
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "urls/s")
			}
		})
	}
}
