package scheduler_test

import (
	"context"
	"iter"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// BenchmarkSwitch measures one round trip: the hub resumes a task and the
// task yields back (two switches).
func BenchmarkSwitch(b *testing.B) {
	h := newHub(b)
	b.ReportAllocs()
	h.Run(func(t *scheduler.Task) (any, error) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t.Yield()
		}
		b.StopTimer()
		return nil, nil
	})
}

// BenchmarkSwitchCurrent is BenchmarkSwitch through the package-level
// Yield, which first finds the calling task.
func BenchmarkSwitchCurrent(b *testing.B) {
	h := newHub(b)
	b.ReportAllocs()
	h.Run(func(t *scheduler.Task) (any, error) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			scheduler.Yield()
		}
		b.StopTimer()
		return nil, nil
	})
}

// BenchmarkChannelRoundTrip is the baseline the issue names: a round trip
// between two goroutines over channels.
func BenchmarkChannelRoundTrip(b *testing.B) {
	ping, pong := make(chan struct{}), make(chan struct{})
	go func() {
		for range ping {
			pong <- struct{}{}
		}
	}()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ping <- struct{}{}
		<-pong
	}
	close(ping)
}

// BenchmarkSpawnJoin spawns a trivial task and joins it, from a task, in
// batches so that spawning and running overlap as in real use.
func BenchmarkSpawnJoin(b *testing.B) {
	h := newHub(b)
	b.ReportAllocs()
	h.Run(func(*scheduler.Task) (any, error) {
		fn := func(*scheduler.Task) (any, error) { return nil, nil }
		tasks := make([]*scheduler.Task, 0, 1000)
		b.ResetTimer()
		for i := 0; i < b.N; {
			tasks = tasks[:0]
			for j := 0; j < 1000 && i < b.N; j++ {
				tasks = append(tasks, h.Spawn(fn))
				i++
			}
			for _, t := range tasks {
				t.Join()
			}
		}
		b.StopTimer()
		return nil, nil
	})
}

// BenchmarkParkedSleep parks 100,000 tasks in Sleep at once and reports
// the memory each costs (heap and stacks).
func BenchmarkParkedSleep(b *testing.B) {
	const n = 100_000
	for i := 0; i < b.N; i++ {
		h := newHub(b)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		parked := scheduler.NewSemaphore(0)
		release := scheduler.NewEvent()
		tasks := make([]*scheduler.Task, n)
		h.Run(func(*scheduler.Task) (any, error) {
			for j := range tasks {
				tasks[j] = h.Spawn(func(t *scheduler.Task) (any, error) {
					parked.Release()
					return nil, t.Sleep(time.Hour)
				})
			}
			return nil, nil
		})
		for j := 0; j < n; j++ {
			parked.Acquire(context.Background())
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := (after.HeapInuse + after.StackInuse) - (before.HeapInuse + before.StackInuse)
		b.ReportMetric(float64(used)/n, "B/task")
		release.Set()
		h.Close()
	}
}

// BenchmarkEcho compares echo servers with 500 connections: the hub set
// (a listener per hub, SO_REUSEPORT) against a goroutine per connection on
// Go's own net package. The clients are the same for both: tasks on a hub
// set. One op is one 64-byte message echoed.
func BenchmarkEcho(b *testing.B) {
	const conns = 500
	servers := []struct {
		name  string
		start func(b *testing.B) (addr string, stop func())
	}{
		{"server=hubs", func(b *testing.B) (string, func()) {
			s, err := scheduler.NewHubSet(0)
			if err != nil {
				b.Fatal(err)
			}
			addr, stop := startEchoServer(b, s)
			return addr, func() { stop(); s.Close() }
		}},
		{"server=gonet", func(b *testing.B) (string, func()) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						buf := make([]byte, 4096)
						for {
							n, err := c.Read(buf)
							if err != nil {
								return
							}
							if _, err := c.Write(buf[:n]); err != nil {
								return
							}
						}
					}()
				}
			}()
			return l.Addr().String(), func() { l.Close() }
		}},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			addr, stop := srv.start(b)
			defer stop()
			clients, err := scheduler.NewHubSet(0)
			if err != nil {
				b.Fatal(err)
			}
			defer clients.Close()
			per := b.N/conns + 1
			b.SetBytes(64)
			b.ResetTimer()
			var tasks []*scheduler.Task
			for i := 0; i < conns; i++ {
				tasks = append(tasks, clients.Spawn(func(*scheduler.Task) (any, error) {
					return nil, echoClient(addr, i, per)
				}))
			}
			for _, t := range tasks {
				if _, err := t.Join(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(per*conns)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkCoroutineRoundTrip is the other baseline the issue names: the
// runtime's coroutine switch alone, as iter.Pull uses it. BenchmarkSwitch
// minus this is what the hub's loop adds.
func BenchmarkCoroutineRoundTrip(b *testing.B) {
	next, stop := iter.Pull(func(yield func(struct{}) bool) {
		for yield(struct{}{}) {
		}
	})
	defer stop()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		next()
	}
}
