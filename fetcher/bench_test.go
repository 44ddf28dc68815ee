package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
	"github.com/greenfetch/greenfetch/internal/testserver"
	"github.com/greenfetch/greenfetch/scheduler"
)

// serveChildEnv makes the test binary a serve process (for BenchmarkMassive,
// whose server must not count in the client's memory).
const serveChildEnv = "FETCHER_BENCH_SERVE_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(clientChildEnv); mode != "" {
		os.Exit(runClientChild(mode)) // child_bench_test.go
	}
	if os.Getenv(serveChildEnv) != "" {
		s, err := serve.Start("127.0.0.1:0", serve.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(s.URL())
		io.Copy(io.Discard, os.Stdin) // until the parent goes
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runDiscard runs urls through mode and checks that every one succeeded.
func runDiscard(b *testing.B, mode Mode, cfg RunConfig, urls []string) {
	jobs := make(chan Job, 256)
	results := make(chan Result, 256)
	go func() {
		defer close(jobs)
		for i, u := range urls {
			jobs <- Job{URL: u, Index: int64(i)}
		}
	}()
	var failed []Result
	var connects []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range results {
			if !r.OK() {
				failed = append(failed, r)
			}
			connects = append(connects, r.Timings.Connect)
		}
	}()
	if _, err := Run(context.Background(), mode, cfg, jobs, results); err != nil {
		b.Fatal(err)
	}
	close(results)
	<-done
	if len(failed) > 0 {
		b.Fatalf("%d of %d fetches failed, first %s: %s", len(failed), len(urls), failed[0].URL, errString(failed[0]))
	}
	if len(connects) > 0 {
		slices.Sort(connects)
		b.ReportMetric(float64(connects[len(connects)*95/100])/float64(time.Millisecond), "connect-p95-ms")
	}
}

// runNetHTTP fetches urls with Go's net/http client, n goroutines at once.
func runNetHTTP(b *testing.B, client *http.Client, urls []string, n int) {
	defer client.CloseIdleConnections() // see netHTTPPerURL
	var wg sync.WaitGroup
	var first firstError
	work := make(chan string)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				first.set(getDiscard(client, u))
			}
		}()
	}
	for _, u := range urls {
		work <- u
	}
	close(work)
	wg.Wait()
	if first.err != nil {
		b.Fatal(first.err)
	}
}

// runNetHTTPPerURL fetches urls with Go's net/http client as issue 14's
// baseline does (and scripts/bench-speed/nethttp): a goroutine per URL,
// at most n at once (a semaphore).
func runNetHTTPPerURL(b *testing.B, client *http.Client, urls []string, n int) {
	if err := netHTTPPerURL(client, urls, n); err != nil {
		b.Fatal(err)
	}
}

// netHTTPPerURL is runNetHTTPPerURL returning the first failure. It
// closes the client's idle connections at the end, as the baseline
// command's exit does: left open, each run's connections and their two
// goroutines each stayed in the process, for the garbage collector to
// scan during the runs that followed, of either client.
func netHTTPPerURL(client *http.Client, urls []string, n int) error {
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	var first firstError
	sem := make(chan struct{}, n)
	for _, u := range urls {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			first.set(getDiscard(client, u))
		}()
	}
	wg.Wait()
	return first.err
}

// getDiscard GETs u, reads the body away and wants a 200.
func getDiscard(client *http.Client, u string) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	return err
}

// firstError keeps the first non-nil error set, from any goroutine; read
// err once they are done.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func netHTTPClient(n int, tlsConf *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		DisableCompression:  true,
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   false,
	}}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLatency: 1000 URLs that each wait 100ms and send 16 KiB,
// concurrency 100, against the embedded server in a process of its own.
// The ideal wall time is 1.0s (10 rounds of 100ms). The sub-benchmark
// "ratio" is issue 14's fourth row (goal: ≤ 1.01× wall): the async engine
// against the net/http baseline (a goroutine per URL behind a
// semaphore, as scripts/bench-speed.sh's latency workload runs it), in
// pairs alternating which goes first (-benchtime Nx: N pairs), and the
// ratio of the median wall times:
//
//	go test -run '^$' -bench 'Latency/ratio' -benchtime 10x ./fetcher/
func BenchmarkLatency(b *testing.B) {
	base := startServeChild(b)
	const n, conc = 1000, 100
	urls := make([]string, n)
	for i := range urls {
		urls[i] = serve.URLFor(base, 100*time.Millisecond, 16<<10)
	}
	cfg := RunConfig{Config: Config{Timeout: time.Minute}, Concurrency: conc}
	run := map[string]func(){
		"async":   func() { runDiscard(b, ModeAsync, cfg, urls) },
		"threads": func() { runDiscard(b, ModeThreads, cfg, urls) },
		"nethttp": func() { runNetHTTP(b, netHTTPClient(conc, nil), urls, conc) },
	}
	for _, name := range []string{"async", "threads", "nethttp"} {
		b.Run(name, func(b *testing.B) {
			var wall time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				run[name]()
				wall += time.Since(t0)
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/run")
		})
	}
	b.Run("ratio", func(b *testing.B) {
		pair := map[string]func(){
			"async":   run["async"],
			"nethttp": func() { runNetHTTPPerURL(b, netHTTPClient(conc, nil), urls, conc) },
		}
		walls := map[string][]float64{}
		for i := 0; i < b.N; i++ {
			order := []string{"async", "nethttp"}
			if i%2 == 1 {
				order = []string{"nethttp", "async"}
			}
			for _, name := range order {
				t0 := time.Now()
				pair[name]()
				walls[name] = append(walls[name], time.Since(t0).Seconds())
			}
		}
		a, h := medianOf(walls["async"]), medianOf(walls["nethttp"])
		b.ReportMetric(a, "async-wall-s")
		b.ReportMetric(h, "nethttp-wall-s")
		b.ReportMetric(a/h, "wall-ratio")
	})
}

// medianOf returns the median of v, which it sorts.
func medianOf(v []float64) float64 {
	slices.Sort(v)
	return (v[(len(v)-1)/2] + v[len(v)/2]) / 2
}

// BenchmarkThroughput: 5000 URLs (FETCHER_THROUGHPUT_N) of 4 KiB from
// nginx, concurrency 64, over HTTP and TLS: URLs per second, CPU time
// (user+system, this process) and allocations per URL, for the async
// engine, the threads engine and Go's net/http client (issue 14's
// baseline: a goroutine per URL, at most 64 at once, one Transport), in
// the same run. Then (sub-benchmark "ratio") async over net/http, each
// client in a process of its own, as scripts/bench-speed.sh reports them
// for the commands (issue 14: 100,000 URLs over HTTP, 30,000 over TLS):
//
//	FETCHER_THROUGHPUT_N=30000 go test -run '^$' -bench 'Throughput/.*/ratio' -benchtime 7x ./fetcher/
func BenchmarkThroughput(b *testing.B) {
	files := testserver.SizedFiles(4096)
	ng := testserver.StartNginx(b, testserver.NginxOptions{Files: files, TLS: true, Workers: 1, WorkerConnections: 4096, NoAccessLog: true})
	n, conc := 5000, 64
	if v, err := strconv.Atoi(os.Getenv("FETCHER_THROUGHPUT_N")); err == nil && v > 0 {
		n = v // issue 14's workloads: 100000 (HTTP), 30000 (HTTPS)
	}
	for _, scheme := range benchSchemes() {
		base := ng.URL
		if scheme == "https" {
			base = ng.TLSURL
		}
		urls := make([]string, n)
		for i := range urls {
			urls[i] = base + "/" + testserver.SizedPath(4096)
		}
		cfg := RunConfig{Config: Config{Timeout: time.Minute, RootCAs: ng.CAPool}, Concurrency: conc, Hubs: benchHubs()}
		run := map[string]func(){
			"async":   func() { runDiscard(b, ModeAsync, cfg, urls) },
			"threads": func() { runDiscard(b, ModeThreads, cfg, urls) },
			"nethttp": func() {
				runNetHTTPPerURL(b, netHTTPClient(conc, &tls.Config{RootCAs: ng.CAPool}), urls, conc)
			},
		}
		for _, name := range []string{"async", "threads", "nethttp"} {
			b.Run(scheme+"/"+name, func(b *testing.B) {
				var wall, cpu, srv time.Duration
				var ms0, ms1 runtime.MemStats
				var mallocs uint64
				for i := 0; i < b.N; i++ {
					runtime.ReadMemStats(&ms0)
					t0, c0, s0 := time.Now(), cpuTime(), procCPU(ng.ConfigFile)
					run[name]()
					wall += time.Since(t0)
					cpu += cpuTime() - c0
					srv += procCPU(ng.ConfigFile) - s0
					runtime.ReadMemStats(&ms1)
					mallocs += ms1.Mallocs - ms0.Mallocs
				}
				urlsDone := float64(n * b.N)
				b.ReportMetric(urlsDone/wall.Seconds(), "urls/s")
				b.ReportMetric(float64(cpu.Microseconds())/urlsDone, "cpu-µs/url")
				b.ReportMetric(float64(srv.Microseconds())/urlsDone, "nginx-cpu-µs/url")
				b.ReportMetric(float64(mallocs)/urlsDone, "allocs/url")
			})
		}
		// The ratios of issue 14, async over net/http: pairs of runs,
		// alternating which goes first (-benchtime Nx: N pairs), each
		// client in a process of its own as the commands are, and the
		// ratio of the medians. The sub-benchmarks above run one
		// client's runs back to back in this process, where a machine's
		// changing load skews them and each client's collections scan
		// (and are charged for) the other's garbage too.
		b.Run(scheme+"/ratio", func(b *testing.B) {
			caFile := ""
			if scheme == "https" {
				caFile = ng.CAFile
			}
			a, h := childPairs(b, b.N, urls[0], n, conc, caFile)
			b.ReportMetric(float64(n)/medianRun(a, runWall), "async-urls/s")
			b.ReportMetric(float64(n)/medianRun(h, runWall), "nethttp-urls/s")
			b.ReportMetric(medianRun(a, runCPU)*1e6/float64(n), "async-cpu-µs/url")
			b.ReportMetric(medianRun(h, runCPU)*1e6/float64(n), "nethttp-cpu-µs/url")
			b.ReportMetric(medianRun(h, runWall)/medianRun(a, runWall), "urls/s-ratio")
			b.ReportMetric(medianRun(a, runCPU)/medianRun(h, runCPU), "cpu/url-ratio")
			b.ReportMetric(medianRun(a, runRSS)/medianRun(h, runRSS), "rss-ratio")
		})
	}
}

// BenchmarkMassive: 10,000 requests in flight at once, each waiting 3s for
// 1 KiB, against a serve process of its own. It reports the peak RSS of
// this process (VmHWM): run it alone (-bench Massive) for a true peak.
func BenchmarkMassive(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("FETCHER_MASSIVE_N")); err == nil && v > 0 {
		n = v
	}
	base := startServeChild(b)
	urls := make([]string, n)
	for i := range urls {
		urls[i] = serve.URLFor(base, 3*time.Second, 1024)
	}
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		// Sample the Go heap and stacks while the requests are parked.
		var ms runtime.MemStats
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			time.Sleep(2500 * time.Millisecond)
			if os.Getenv("FETCHER_MASSIVE_GC") != "" {
				runtime.GC()
				runtime.GC()
			}
			runtime.ReadMemStats(&ms)
			if f := os.Getenv("FETCHER_MASSIVE_HEAPPROFILE"); f != "" {
				if out, err := os.Create(f); err == nil {
					pprof.WriteHeapProfile(out)
					out.Close()
				}
			}
		}()
		if os.Getenv("FETCHER_MASSIVE_RAW") != "" {
			rawParked(b, strings.TrimPrefix(base, "http://"), n)
		} else {
			runDiscard(b, ModeAsync, RunConfig{Config: Config{Timeout: time.Minute}, Concurrency: n}, urls)
		}
		<-sampled
		b.ReportMetric(time.Since(t0).Seconds(), "wall-s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "parked-heap-MiB")
		b.ReportMetric(float64(ms.StackInuse)/(1<<20), "parked-stack-MiB")
	}
	b.ReportMetric(float64(vmHWM())/(1<<20), "peak-rss-MiB")
}

// startServeChild runs the embedded server in a child process (this test
// binary, see TestMain), so that its CPU and memory do not count as the
// client's, and returns its base URL. The child ends with the benchmark.
func startServeChild(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		b.Fatalf("serve child: %q %v", line, err)
	}
	return strings.TrimSpace(line)
}

// vmHWM returns the peak resident set size of this process, from
// /proc/self/status, in bytes (0 where there is no /proc).
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// rawParked is the floor under BenchmarkMassive: n tasks that each dial,
// write a fixed request and wait for the first response byte, with no
// fetcher code (FETCHER_MASSIVE_RAW=1).
func rawParked(b *testing.B, addr string, n int) {
	hubs, err := scheduler.NewHubSet(0)
	if err != nil {
		b.Fatal(err)
	}
	defer hubs.Close()
	req := []byte("GET /delay/3s/size/1KiB HTTP/1.1\r\nHost: x\r\n\r\n")
	tasks := make([]*scheduler.Task, n)
	for i := range tasks {
		tasks[i] = hubs.Spawn(func(*scheduler.Task) (any, error) {
			conn, err := scheduler.DialContext(context.Background(), "tcp", addr)
			if err != nil {
				return nil, err
			}
			defer conn.Close()
			if _, err := conn.Write(req); err != nil {
				return nil, err
			}
			var one [1]byte
			_, err = conn.Read(one[:])
			return nil, err
		})
	}
	for _, t := range tasks {
		if _, err := t.Join(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSchemes are the schemes BenchmarkThroughput runs; FETCHER_BENCH_SCHEME
// narrows them to one (for profiles).
func benchSchemes() []string {
	if s := os.Getenv("FETCHER_BENCH_SCHEME"); s != "" {
		return []string{s}
	}
	return []string{"http", "https"}
}

// benchHubs is the async engine's hub count in BenchmarkThroughput: the
// default unless FETCHER_BENCH_HUBS says otherwise.
func benchHubs() int {
	n, _ := strconv.Atoi(os.Getenv("FETCHER_BENCH_HUBS"))
	return n
}

// procCPU returns the CPU time (user+system) of the processes whose
// command line mentions marker (the nginx master, started with its config
// file) and of their children (its workers, which retitle themselves), from
// /proc; 0 where there is no /proc.
func procCPU(marker string) time.Duration {
	type proc struct{ ppid, ticks int64 }
	procs := map[int64]proc{}
	roots := map[int64]bool{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the parenthesised command: state, ppid, ..., utime and
		// stime as the 12th and 13th fields (proc(5) fields 14 and 15).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.ParseInt(f[1], 10, 64)
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		procs[pid] = proc{ppid, u + st}
		if cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && strings.Contains(string(cmd), marker) {
			roots[pid] = true
		}
	}
	var ticks int64
	for pid, p := range procs {
		if roots[pid] || roots[p.ppid] {
			ticks += p.ticks
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}
