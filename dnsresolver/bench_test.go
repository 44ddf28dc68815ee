package dnsresolver

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
	"github.com/greenfetch/greenfetch/scheduler"
)

const (
	benchNames    = 10000
	benchInFlight = 256
)

// BenchmarkLookupCold resolves 10,000 distinct names (cold cache) against
// dnsmasq on loopback with 256 lookups in flight: our async resolver on a
// hub set, and Go's own pure-Go net.Resolver pointed at the same server,
// in the same run. Compare the lookups/s metric (benchstat -col /resolver).
func BenchmarkLookupCold(b *testing.B) {
	d := testserver.StartDnsmasq(b, testserver.DnsmasqOptions{WildcardDomain: "wild.test", WildcardAddr: "127.0.0.9"})
	var round atomic.Int64
	names := func() []string {
		r := round.Add(1)
		out := make([]string, benchNames)
		for i := range out {
			out[i] = fmt.Sprintf("r%d-n%d.wild.test", r, i)
		}
		return out
	}
	b.Run("resolver=async", func(b *testing.B) {
		s, err := scheduler.NewHubSet(0)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for i := 0; i < b.N; i++ {
			ns := names()
			r, _ := NewAsync(Config{Servers: []string{d.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 2 * time.Second, Attempts: 3, MaxInFlight: benchInFlight})
			start := time.Now()
			sem := scheduler.NewSemaphore(benchInFlight)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for _, n := range ns {
				sem.Acquire(context.Background())
				wg.Add(1)
				s.Spawn(func(*scheduler.Task) (any, error) {
					defer wg.Done()
					defer sem.Release()
					if _, err := r.LookupHost(context.Background(), n); err != nil {
						failed.Add(1)
					}
					return nil, nil
				})
			}
			wg.Wait()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d lookups failed", f)
			}
			b.ReportMetric(float64(benchNames)/time.Since(start).Seconds(), "lookups/s")
			st := r.Stats()
			b.Logf("stats: queries %d answers %d timeouts %d dropped %d", st.Queries, st.Answers, st.Timeouts, st.Dropped)
		}
	})
	b.Run("resolver=go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ns := names()
			r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var dd net.Dialer
				return dd.DialContext(ctx, network, d.Addr)
			}}
			start := time.Now()
			sem := make(chan struct{}, benchInFlight)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for _, n := range ns {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					if _, err := r.LookupNetIP(context.Background(), "ip", n); err != nil {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d lookups failed", f)
			}
			b.ReportMetric(float64(benchNames)/time.Since(start).Seconds(), "lookups/s")
		}
	})
}

// BenchmarkCacheHit is one lookup answered from the cache.
func BenchmarkCacheHit(b *testing.B) {
	r, _ := NewAsync(Config{Servers: []string{"127.0.0.1:1"}, HostsFile: "-", ResolvConf: "testdata/none"})
	r.cache.put(cacheKey{"cached.example", Both}, Answer{TTL: time.Hour}, nil, time.Hour, time.Now())
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := r.LookupHost(ctx, "cached.example"); err != nil {
			b.Fatal(err)
		}
	}
}
