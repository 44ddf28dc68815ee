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

// BenchmarkLookupCold resolves 10,000 distinct names (cold cache: a new
// resolver and new names every round) against one dnsmasq on loopback
// with 256 lookups in flight, A and AAAA each: our async resolver in
// tasks on a hub set (one hub per core), and Go's own pure-Go
// net.Resolver (PreferGo, its Dial pointed at the same server) from 256
// goroutines, in the same run. Both sides are 256 workers pulling names
// from one counter. Two servers: aaaa=nodata (address= with local=: A
// answered, AAAA NODATA) and aaaa=refused (issue 11's
// --address=/zone/127.0.0.1 --no-resolv: A answered, AAAA REFUSED).
// Compare the lookups/s metric of the sub-benchmarks.
//
//	go test -run '^$' -bench LookupCold -benchtime 5x ./dnsresolver/
func BenchmarkLookupCold(b *testing.B) {
	servers := []struct {
		name string
		opts testserver.DnsmasqOptions
		zone string
	}{
		{"aaaa=nodata", testserver.DnsmasqOptions{WildcardDomain: "wild.test", WildcardAddr: "127.0.0.9"}, "wild.test"},
		{"aaaa=refused", testserver.DnsmasqOptions{ExtraConfig: []string{"address=/zone/127.0.0.9"}}, "zone"},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			d := testserver.StartDnsmasq(b, srv.opts)
			benchLookupCold(b, d.Addr, srv.zone)
		})
	}
}

func benchLookupCold(b *testing.B, addr, zone string) {
	var round atomic.Int64
	names := func() []string {
		r := round.Add(1)
		out := make([]string, benchNames)
		for i := range out {
			out[i] = fmt.Sprintf("r%d-n%d.%s", r, i, zone)
		}
		return out
	}
	check := func(b *testing.B, failed int64, firstErr *atomic.Value) {
		if failed > 0 {
			b.Fatalf("%d of %d lookups failed, first: %v", failed, benchNames, firstErr.Load())
		}
	}
	b.Run("resolver=async", func(b *testing.B) {
		s, err := scheduler.NewHubSet(0)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ReportAllocs()
		var elapsed, cpu time.Duration
		var slowest maxDuration
		for i := 0; i < b.N; i++ {
			ns := names()
			r, err := NewAsync(Config{Servers: []string{addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 2 * time.Second, Attempts: 3, MaxInFlight: benchInFlight})
			if err != nil {
				b.Fatal(err)
			}
			var next, failed atomic.Int64
			var firstErr atomic.Value
			start, cpu0 := time.Now(), processCPU()
			tasks := make([]*scheduler.Task, benchInFlight)
			for w := range tasks {
				tasks[w] = s.Spawn(func(t *scheduler.Task) (any, error) {
					ctx := t.Context()
					for j := next.Add(1) - 1; j < benchNames; j = next.Add(1) - 1 {
						t0 := time.Now()
						ans, err := r.LookupHost(ctx, ns[j])
						slowest.observe(time.Since(t0))
						if err != nil || len(ans.Addrs) != 1 {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, fmt.Sprintf("%v, %v", ans.Addrs, err))
						}
					}
					return nil, nil
				})
			}
			scheduler.JoinAll(tasks, 0)
			elapsed += time.Since(start)
			cpu += processCPU() - cpu0
			check(b, failed.Load(), &firstErr)
			if i == 0 {
				st := r.Stats()
				b.Logf("stats: queries %d answers %d timeouts %d retransmits %d dropped %d; A %+v; AAAA %+v", st.Queries, st.Answers, st.Timeouts, st.Retransmits, st.Dropped, st.A, st.AAAA)
			}
		}
		b.ReportMetric(float64(benchNames*b.N)/elapsed.Seconds(), "lookups/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(benchNames*b.N), "cpu-µs/lookup")
		b.ReportMetric(float64(slowest.v.Load())/1e6, "max-ms")
	})
	b.Run("resolver=go", func(b *testing.B) {
		b.ReportAllocs()
		var elapsed, cpu time.Duration
		var slowest maxDuration
		for i := 0; i < b.N; i++ {
			ns := names()
			r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var dd net.Dialer
				return dd.DialContext(ctx, network, addr)
			}}
			var next, failed atomic.Int64
			var firstErr atomic.Value
			start, cpu0 := time.Now(), processCPU()
			var wg sync.WaitGroup
			for w := 0; w < benchInFlight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := context.Background()
					for j := next.Add(1) - 1; j < benchNames; j = next.Add(1) - 1 {
						t0 := time.Now()
						addrs, err := r.LookupNetIP(ctx, "ip", ns[j])
						slowest.observe(time.Since(t0))
						if err != nil || len(addrs) != 1 {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, fmt.Sprintf("%v, %v", addrs, err))
						}
					}
				}()
			}
			wg.Wait()
			elapsed += time.Since(start)
			cpu += processCPU() - cpu0
			check(b, failed.Load(), &firstErr)
		}
		b.ReportMetric(float64(benchNames*b.N)/elapsed.Seconds(), "lookups/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(benchNames*b.N), "cpu-µs/lookup")
		b.ReportMetric(float64(slowest.v.Load())/1e6, "max-ms")
	})
}

// maxDuration is the longest of the durations observed, safe for
// concurrent use.
type maxDuration struct{ v atomic.Int64 }

func (m *maxDuration) observe(d time.Duration) {
	for cur := m.v.Load(); int64(d) > cur && !m.v.CompareAndSwap(cur, int64(d)); cur = m.v.Load() {
	}
}

// BenchmarkCacheHit is one lookup answered from the cache: goal ≤ 200 ns
// and no allocation (TestCacheHitAllocs holds the second).
//
//	go test -run '^$' -bench CacheHit ./dnsresolver/
func BenchmarkCacheHit(b *testing.B) {
	r, err := NewAsync(Config{Servers: []string{"127.0.0.1:1"}, HostsFile: "-", ResolvConf: "testdata/none"})
	if err != nil {
		b.Fatal(err)
	}
	r.cache.put(cacheKey{"cached.example", Both}, Answer{TTL: time.Hour}, nil, time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupHost(ctx, "cached.example"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHitParallel is cache hits from every core at once: the
// cache's mutex is shared.
func BenchmarkCacheHitParallel(b *testing.B) {
	r, err := NewAsync(Config{Servers: []string{"127.0.0.1:1"}, HostsFile: "-", ResolvConf: "testdata/none"})
	if err != nil {
		b.Fatal(err)
	}
	r.cache.put(cacheKey{"cached.example", Both}, Answer{TTL: time.Hour}, nil, time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.LookupHost(ctx, "cached.example"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
