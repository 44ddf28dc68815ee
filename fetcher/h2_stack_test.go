//go:build !race

// The race detector makes frames larger: this budget holds without it.

package fetcher

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// TestH2ParkedTaskStack is TestParkedTaskStack for HTTP/2: a fetch
// parked on its stream's answer keeps a stack the runtime can shrink to
// 4 KiB.
func TestH2ParkedTaskStack(t *testing.T) {
	const n = 300
	var waiting atomic.Int64
	url := serveH2(t, func(c net.Conn, done <-chan struct{}) {
		p, err := newH2Peer(c, []http2.Setting{{ID: http2.SettingMaxConcurrentStreams, Val: 1000}})
		if err != nil {
			return
		}
		for {
			if _, _, err := p.request(); err != nil {
				return
			}
			waiting.Add(1)
		}
	})
	stackInuse := func() uint64 {
		runtime.GC()
		runtime.GC() // stacks shrink at GC
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse
	}
	base := stackInuse()
	ctx, cancel := context.WithCancel(context.Background())
	jobs := make(chan Job, n)
	results := make(chan Result, n)
	for i := 0; i < n; i++ {
		jobs <- Job{URL: url + "/", Index: int64(i)}
	}
	close(jobs)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		Run(ctx, ModeAsync, RunConfig{Config: Config{Timeout: time.Minute, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: n * 2, Hubs: 1}, jobs, results)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for waiting.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if waiting.Load() < n {
		t.Fatalf("got %d streams waiting; want %d", waiting.Load(), n)
	}
	perFetch := float64(stackInuse()-base) / n
	cancel()
	<-ran
	t.Logf("stack per parked HTTP/2 fetch: %.0f B", perFetch)
	if perFetch > 5<<10 {
		t.Errorf("got %.0f B of stack per fetch parked on an HTTP/2 stream; want at most 5 KiB (a 4 KiB stack, and its share of the connection's tasks)", perFetch)
	}
}
