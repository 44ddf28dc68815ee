//go:build !race

// The race detector makes frames larger: this budget holds without it.

package fetcher

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// TestParkedTaskStack keeps the stack of a task waiting for its answer
// small: the frames under the wait use under 2 KiB, so the runtime shrinks
// the stack to 4 KiB (10,000 waiting fetches fit in the massive
// benchmark's budget only so). It compares async fetches parked on a
// silent server with bare tasks parked on a read of the same server.
func TestParkedTaskStack(t *testing.T) {
	const n = 300
	var waiting atomic.Int64
	silent := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		readHead(br)
		waiting.Add(1)
		io.Copy(io.Discard, br) // until the client goes
		waiting.Add(-1)
	})
	addr := silent.ln.Addr().String()
	parked := func(want int64) uint64 {
		deadline := time.Now().Add(10 * time.Second)
		for waiting.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if waiting.Load() < want {
			t.Fatalf("got %d requests waiting; want %d", waiting.Load(), want)
		}
		runtime.GC()
		runtime.GC() // stacks shrink at GC
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.StackInuse

	// Bare tasks: dial, write, wait for a byte.
	hubs, err := scheduler.NewHubSet(0)
	if err != nil {
		t.Fatal(err)
	}
	defer hubs.Close()
	var tasks []*scheduler.Task
	for i := 0; i < n; i++ {
		tasks = append(tasks, hubs.Spawn(func(*scheduler.Task) (any, error) {
			c, err := scheduler.DialContext(context.Background(), "tcp", addr)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			var b [1]byte
			c.SetReadDeadline(time.Now().Add(time.Minute))
			c.Read(b[:])
			return nil, nil
		}))
	}
	bare := parked(n)
	hubs.Close()
	scheduler.JoinAll(tasks, 0)
	for waiting.Load() > 0 { // the server's goroutines of those are gone
		time.Sleep(5 * time.Millisecond)
	}

	// Fetches of the async engine, waiting for the answer.
	ctx, cancel := context.WithCancel(context.Background())
	jobs := make(chan Job, n)
	results := make(chan Result, n)
	for i := 0; i < n; i++ {
		jobs <- Job{URL: "http://" + addr + "/", Index: int64(i)}
	}
	close(jobs)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		Run(ctx, ModeAsync, RunConfig{Config: Config{Timeout: time.Minute}, Concurrency: n * 2}, jobs, results)
	}()
	fetching := parked(n)
	cancel()
	<-ran

	perBare := float64(bare-base) / n
	perFetch := float64(fetching-base) / n
	t.Logf("stack per parked task: bare %.0f B, fetch %.0f B", perBare, perFetch)
	if perFetch-perBare > 3<<10 {
		t.Errorf("got %.0f B of stack per waiting fetch, %.0f B more than a bare task; want at most 3 KiB more (a 4 KiB stack)", perFetch, perFetch-perBare)
	}
}
