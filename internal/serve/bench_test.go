package serve

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func BenchmarkParsePath(b *testing.B) {
	const path = "/delay/100ms/size/16KiB/status/200/gzip/redirect/3/type/text%2Fhtml"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePath(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler measures the handler alone, into a writer that drops
// the body: what a request costs the server beyond net/http.
func BenchmarkHandler(b *testing.B) {
	for _, path := range []string{"/size/16KiB", "/size/1MiB", "/gzip/size/16KiB", "/gzip/size/1GiB", "/chunked/size/16KiB"} {
		b.Run(path, func(b *testing.B) {
			h := New(Options{}).Handler()
			req, _ := http.NewRequest("GET", path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkServe measures whole requests over loopback with keep-alive,
// from net/http's client on parallel goroutines.
func BenchmarkServe(b *testing.B) {
	for _, path := range []string{"/size/4KiB", "/size/16KiB", "/size/1MiB"} {
		b.Run(path, func(b *testing.B) {
			s, err := Start("127.0.0.1:0", Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer c.CloseIdleConnections()
			url := s.URL() + path
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(s.Requests()-s.Conns())/float64(s.Requests()), "reused/req")
		})
	}
}

// BenchmarkParked parks n requests in a 10-minute delay, from raw
// connections that cost the client side almost nothing, and reports what
// each parked request costs the server process: heap and stacks (Go's
// accounting) per request. The process needs 2n file descriptors. Run it
// with -benchtime 1x: later rounds reuse what net/http pooled in the first
// and look cheaper than a cold server is.
func BenchmarkParked(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				heap, stack, rss := parkN(b, n)
				b.ReportMetric(float64(heap)/float64(n), "heapB/parked")
				b.ReportMetric(float64(stack)/float64(n), "stackB/parked")
				if rss > 0 {
					b.ReportMetric(float64(rss)/float64(n), "rssB/parked")
				}
			}
		})
	}
}

// rssBytes returns the resident set size of the process, or 0 where
// /proc/self/statm is missing.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func parkN(b *testing.B, n int) (heap, stack, rss int64) {
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rss0 := rssBytes()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	req := []byte("GET /delay/10m/size/1KiB HTTP/1.1\r\nHost: bench\r\n\r\n")
	for range n {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			b.Fatalf("dial after %d conns: %v", len(conns), err)
		}
		conns = append(conns, c)
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for s.Active() < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d requests parked after a minute", s.Active(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if rss0 > 0 {
		rss = rssBytes() - rss0
	}
	return int64(after.HeapInuse) - int64(before.HeapInuse), int64(after.StackInuse) - int64(before.StackInuse), rss
}
