// Command bench-redisclient measures two Redis clients for Go, go-redis v9
// and rueidis, on the workload of greenfetch's Redis frontier: EVALSHA of
// the frontier's Complete script (crawl/lua/complete.lua, read from the
// source tree at run time: 2 declared keys, about 200 ARGV strings of 8
// to 200 bytes: 4 pages done, 60 links),
// one call at a time from one goroutine as the crawl's driver calls it,
// and from 4 goroutines at once.
//
// It is a module of its own, so that rueidis is no dependency of
// greenfetch. It starts a redis-server (no persistence) on a free port of
// 127.0.0.1 in a temporary directory, or uses the one given by -addr.
//
// Each run lasts -dur; each client runs -reps times, the order of the
// clients alternating from one repetition to the next. Reported per run
// and as medians: calls per second, the client process's CPU per call
// (getrusage, user+system: the benchmark's own loop is in it, the same
// for every client), heap allocations and bytes per call
// (runtime.MemStats), and redis-server's CPU per call (INFO cpu). The
// load average before and after is printed: on a busy machine the
// numbers mean less.
//
// Ratios to go-redis are given two ways: of the medians, and paired (the
// median over repetitions of each repetition's ratio), which holds up
// better on a machine whose load changes while it runs: prefer many short
// repetitions there (-dur 300ms -reps 15).
//
// The arguments of each call are built before the run (a ring of 64
// calls), for both clients alike: what is measured is the client.
//
// Usage:
//
//	go run . [-addr host:port] [-dur 1s] [-reps 5] [-goroutines 1,4] [-lua DIR]
//
// -lua is the directory of the frontier's scripts; by default crawl/lua
// of the greenfetch module that holds the working directory.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// The workload's shape (what one Complete call of a crawl carries).
const (
	pagesPerCall = 4    // completions in one call (Run batches up to 64)
	linksPerCall = 60   // links found on those pages, to push
	linkPool     = 4096 // distinct links: after the first pass, all are duplicates
	hosts        = 8
	ring         = 64 // prepared calls, used in turn
	warmupCalls  = 2 * linkPool / linksPerCall
)

// Bounds.
const (
	maxDur       = 30 * time.Second
	maxReps      = 21
	startTimeout = 5 * time.Second
)

func main() {
	addr := flag.String("addr", "", "use the Redis at `host:port` (default: start redis-server on loopback)")
	dur := flag.Duration("dur", time.Second, "length of one measured run (at most 30s)")
	reps := flag.Int("reps", 5, "repetitions of each client and concurrency (at most 21)")
	gs := flag.String("goroutines", "1,4", "comma-separated numbers of goroutines calling at once")
	lua := flag.String("lua", "", "the frontier's script `DIR` (default: crawl/lua of the greenfetch source tree around the working directory)")
	flag.Parse()
	if err := run(*addr, *dur, *reps, *gs, *lua); err != nil {
		fmt.Fprintln(os.Stderr, "bench-redisclient:", err)
		os.Exit(1)
	}
}

// client is one Redis client under test: exec runs call i of the ring.
type client struct {
	name  string
	exec  func(ctx context.Context, i int) error
	close func()
}

func run(addr string, dur time.Duration, reps int, gs, luaDir string) error {
	if dur <= 0 || dur > maxDur || reps < 1 || reps > maxReps {
		return fmt.Errorf("-dur %v, -reps %d: want 0 < dur <= %v, 1 <= reps <= %d", dur, reps, maxDur, maxReps)
	}
	var conc []int
	for _, s := range strings.Split(gs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 64 {
			return fmt.Errorf("-goroutines %q: want numbers from 1 to 64", gs)
		}
		conc = append(conc, n)
	}
	if addr == "" {
		a, stop, err := startRedis()
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	src, err := completeScript(luaDir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	calls := prepare()
	clients, err := newClients(ctx, addr, calls, src)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer admin.Close()

	fmt.Printf("redis at %s; %d pages + %d links a call (%d ARGV); %v a run, %d reps; GOMAXPROCS %d\n",
		addr, pagesPerCall, linksPerCall, len(calls[0].strs), dur, reps, runtime.GOMAXPROCS(0))
	fmt.Printf("load before: %s\n", loadavg())
	// Warm up: the script loaded, the links and hosts in the store, each
	// client's connections open.
	for _, c := range clients {
		for i := range warmupCalls {
			if err := c.exec(ctx, i%ring); err != nil {
				return fmt.Errorf("%s: warm-up: %w", c.name, err)
			}
		}
	}
	type key struct {
		client string
		g      int
	}
	results := map[key][]measure{}
	fmt.Printf("%-4s %-22s %3s %10s %12s %12s %10s %12s\n", "rep", "client", "g", "calls/s", "cpu µs/call", "allocs/call", "B/call", "srv µs/call")
	for rep := range reps {
		order := slices.Clone(clients)
		if rep%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			for _, g := range conc {
				m, err := measureRun(ctx, c, g, dur, admin)
				if err != nil {
					return fmt.Errorf("%s, %d goroutines: %w", c.name, g, err)
				}
				results[key{c.name, g}] = append(results[key{c.name, g}], m)
				fmt.Printf("%-4d %-22s %3d %10.0f %12.1f %12.1f %10.0f %12.1f\n", rep, c.name, g, m.rate(), m.cpuPerCall(), m.allocsPerCall(), m.bytesPerCall(), m.srvPerCall())
			}
		}
	}
	fmt.Printf("load after: %s\n", loadavg())

	fmt.Printf("\nmedians of %d runs\n", reps)
	fmt.Printf("%-22s %3s %10s %12s %12s %10s %12s\n", "client", "g", "calls/s", "cpu µs/call", "allocs/call", "B/call", "srv µs/call")
	med := func(ms []measure, f func(measure) float64) float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	base := clients[0].name
	for _, g := range conc {
		for _, c := range clients {
			ms := results[key{c.name, g}]
			fmt.Printf("%-22s %3d %10.0f %12.1f %12.1f %10.0f %12.1f\n", c.name, g,
				med(ms, measure.rate), med(ms, measure.cpuPerCall), med(ms, measure.allocsPerCall), med(ms, measure.bytesPerCall), med(ms, measure.srvPerCall))
		}
	}
	fmt.Printf("\nratios to %s: of the medians, and the median of each repetition's ratio\n", base)
	fmt.Printf("(paired: the runs of one repetition are close in time, so a load that\n")
	fmt.Printf("changes from one repetition to the next cancels out)\n")
	fmt.Printf("%-22s %3s %14s %14s %14s %14s\n", "client", "g", "calls/s", "paired", "cpu/call", "paired")
	for _, g := range conc {
		b := results[key{base, g}]
		for _, c := range clients[1:] {
			ms := results[key{c.name, g}]
			rate, cpu := make([]float64, len(ms)), make([]float64, len(ms))
			for i := range ms {
				rate[i] = ms[i].rate() / b[i].rate()
				cpu[i] = ms[i].cpuPerCall() / b[i].cpuPerCall()
			}
			slices.Sort(rate)
			slices.Sort(cpu)
			fmt.Printf("%-22s %3d %13.2f× %13.2f× %13.2f× %13.2f×\n", c.name, g,
				med(ms, measure.rate)/med(b, measure.rate), rate[len(rate)/2],
				med(ms, measure.cpuPerCall)/med(b, measure.cpuPerCall), cpu[len(cpu)/2])
		}
	}
	return nil
}

// call is the arguments of one Complete call, for either client.
type call struct {
	keys []string
	args []any    // go-redis: the frontier passes ints as ints
	strs []string // rueidis: strings only
}

// prepare builds the ring of calls: each completes pagesPerCall pages
// (with an entry ID that is not pending, as a page already acknowledged
// by a reclaim: XACK finds nothing) and pushes linksPerCall links from a
// pool of linkPool.
func prepare() []call {
	const prefix = "greenfetch:{bench}:"
	key8 := func(n int) string {
		var b [8]byte
		for i := range b {
			b[i] = byte(uint64(n*2654435761+12345) >> (8 * i))
		}
		return string(b[:])
	}
	host := func(n int) string { return fmt.Sprintf("host%02d.example.org", n%hosts) }
	calls := make([]call, ring)
	for c := range calls {
		args := []any{prefix, pagesPerCall}
		for p := range pagesPerCall {
			n := c*pagesPerCall + p
			rec := fmt.Sprintf(`{"url":"http://%s/page/%d","status":200,"bytes":%d,"time_ms":12.5,"depth":2,"parent":"http://%s/","content_type":"text/html"}`,
				host(n), n, 10000+n, host(n))
			args = append(args, host(n), fmt.Sprintf("%d-0", 1000+n), key8(1<<20+n), rec)
		}
		args = append(args, 0, linksPerCall) // bound 0: none
		for l := range linksPerCall {
			n := (c*linksPerCall + l) % linkPool
			u := fmt.Sprintf("http://%s/page/%d", host(n), n)
			item := "\x02" + u + "\x00http://" + host(n) + "/index\x00" // about as long as an encoded Item
			args = append(args, key8(n), host(n), item)
		}
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = fmt.Sprint(a)
		}
		calls[c] = call{keys: []string{prefix + "seen", prefix + "out"}, args: args, strs: strs}
	}
	return calls
}

// completeScript returns the source of the frontier's Complete script as
// the crawl package assembles it: lua/complete.lua after the files its
// first line names ("-- uses: lib.lua lib_complete.lua"). dir is the
// scripts' directory; if empty, crawl/lua of the module
// github.com/greenfetch/greenfetch found above the working directory.
func completeScript(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/greenfetch/greenfetch\n") {
				dir = filepath.Join(d, "crawl", "lua")
				break
			}
			if filepath.Dir(d) == d {
				return "", fmt.Errorf("no greenfetch source tree around %s: give -lua DIR (crawl/lua)", wd)
			}
		}
	}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	text, err := read("complete.lua")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	first, _, _ := strings.Cut(text, "\n")
	if uses, ok := strings.CutPrefix(first, "-- uses:"); ok {
		for _, name := range strings.Fields(uses) {
			part, err := read(name)
			if err != nil {
				return "", err
			}
			b.WriteString(part)
		}
	}
	b.WriteString(text)
	return b.String(), nil
}

func newClients(ctx context.Context, addr string, calls []call, src string) ([]client, error) {
	// go-redis as the frontier sets it up (crawl's openRedis).
	gr := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 4})
	grScript := redis.NewScript(src)
	goredis := client{
		name: "go-redis v9",
		exec: func(ctx context.Context, i int) error {
			return grScript.Run(ctx, gr, calls[i].keys, calls[i].args...).Err()
		},
		close: func() { gr.Close() },
	}
	ruScript := rueidis.NewLuaScript(src)
	newRueidis := func(name string, noAuto bool) (client, error) {
		c, err := rueidis.NewClient(rueidis.ClientOption{
			InitAddress:           []string{addr},
			DisableCache:          true, // no client-side caching (the frontier reads nothing twice)
			DisableAutoPipelining: noAuto,
			ForceSingleClient:     true,
		})
		if err != nil {
			return client{}, fmt.Errorf("%s: %w", name, err)
		}
		return client{
			name: name,
			exec: func(ctx context.Context, i int) error {
				return ruScript.Exec(ctx, c, calls[i].keys, calls[i].strs).Error()
			},
			close: c.Close,
		}, nil
	}
	ru, err := newRueidis("rueidis", false)
	if err != nil {
		gr.Close()
		return nil, err
	}
	ruPool, err := newRueidis("rueidis no-autopipe", true)
	if err != nil {
		gr.Close()
		ru.close()
		return nil, err
	}
	if err := gr.Ping(ctx).Err(); err != nil {
		gr.Close()
		ru.close()
		ruPool.close()
		return nil, fmt.Errorf("go-redis: %w", err)
	}
	return []client{goredis, ru, ruPool}, nil
}

// measure is one run.
type measure struct {
	calls          int
	wall, cpu      time.Duration
	mallocs, bytes uint64
	srvCPU         float64 // seconds
}

func (m measure) rate() float64          { return float64(m.calls) / m.wall.Seconds() }
func (m measure) cpuPerCall() float64    { return float64(m.cpu.Microseconds()) / float64(m.calls) }
func (m measure) allocsPerCall() float64 { return float64(m.mallocs) / float64(m.calls) }
func (m measure) bytesPerCall() float64  { return float64(m.bytes) / float64(m.calls) }
func (m measure) srvPerCall() float64    { return m.srvCPU * 1e6 / float64(m.calls) }

// measureRun calls c from g goroutines for dur.
func measureRun(ctx context.Context, c client, g int, dur time.Duration, admin *redis.Client) (measure, error) {
	srv0, err := serverCPU(ctx, admin)
	if err != nil {
		return measure{}, err
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := rusage()
	start := time.Now()
	var stop atomic.Bool
	timer := time.AfterFunc(dur, func() { stop.Store(true) })
	defer timer.Stop()
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, g)
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; !stop.Load(); i++ {
				if err := c.exec(ctx, i%ring); err != nil {
					errs[w] = err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	m := measure{calls: int(n.Load()), wall: time.Since(start), cpu: rusage() - cpu0}
	runtime.ReadMemStats(&ms1)
	m.mallocs, m.bytes = ms1.Mallocs-ms0.Mallocs, ms1.TotalAlloc-ms0.TotalAlloc
	if err := errors.Join(errs...); err != nil {
		return m, err
	}
	if m.calls == 0 {
		return m, errors.New("no call finished")
	}
	srv1, err := serverCPU(ctx, admin)
	if err != nil {
		return m, err
	}
	m.srvCPU = srv1 - srv0
	return m, nil
}

// rusage returns the user and system CPU time of this process so far.
func rusage() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU returns redis-server's used_cpu_user + used_cpu_sys, seconds.
func serverCPU(ctx context.Context, c *redis.Client) (float64, error) {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_user" || k == "used_cpu_sys" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("INFO cpu: %s: %w", line, err)
			}
			sum += f
		}
	}
	return sum, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// startRedis starts redis-server on a free port of 127.0.0.1 with its
// files in a temporary directory, and waits until it answers PING.
func startRedis() (addr string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bin = "/usr/bin/redis-server"
	}
	dir, err := os.MkdirTemp("", "bench-redisclient")
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", dir+"/redis.log")
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		if err := ping(addr); err == nil {
			return addr, stop, nil
		} else if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s: not answering after %v: %w", addr, startTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("answered %q", strings.TrimSpace(line))
	}
	return nil
}
