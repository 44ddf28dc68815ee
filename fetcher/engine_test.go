package fetcher

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEnginesAgree runs one list, with successes and failures, through the
// three engines: the results agree field by field (all but timings and
// addresses).
func TestEnginesAgree(t *testing.T) {
	s := startServe(t)
	var urls []string
	for i := 0; i < 30; i++ {
		urls = append(urls, fmt.Sprintf("%s/size/%d", s.URL(), i*997))
	}
	urls = append(urls,
		s.URL()+"/status/404",
		s.URL()+"/status/500/size/10",
		s.URL()+"/chunked/size/50000",
		s.URL()+"/eof/size/7000",
		s.URL()+"/gzip/size/9000",
		s.URL()+"/status/204",
		s.URL()+"/redirect/3/size/10",
		s.URL()+"/redirect/20",
		s.URL()+"/redirect-to/ftp%3A%2F%2Fx",
		s.URL()+"/redirect-to/%2Fsize%2F77/redirect-code/308",
		"ftp://example.com/",
		"",
		"127.0.0.1:1/refused",
	)
	type key struct {
		Status, Redirects, Retries int
		Bytes                      int64
		FinalURL, ContentType, SHA string
		Kind                       ErrorKind
	}
	var first []key
	for _, mode := range Modes {
		res, _ := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout, Compressed: true}, Concurrency: 7, SHA256: true}, urls)
		var got []key
		for _, r := range res {
			if r.Mode != mode || r.Type != "result" {
				t.Errorf("%s: got mode %v, type %q; want %v, \"result\"", r.URL, r.Mode, r.Type, mode)
			}
			got = append(got, key{r.Status, r.Redirects, r.Retries, r.Bytes, r.FinalURL, r.ContentType, r.SHA256, r.ErrorKind})
		}
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			if got[i] != first[i] {
				t.Errorf("%s: %v got %+v; sync got %+v", urls[i], mode, got[i], first[i])
			}
		}
	}
	if first[30].Status != 404 || first[37].Kind != KindTooManyRedirects || first[38].Kind != KindUnsupportedScheme || first[39].Bytes != 77 {
		t.Errorf("got %+v, %+v, %+v, %+v; want a 404, too_many_redirects, unsupported_scheme, 77 bytes", first[30], first[37], first[38], first[39])
	}
}

// TestCancel cancels runs whose fetches wait on a slow server: every job
// still gets exactly one result, and those that did not finish are
// canceled.
func TestCancel(t *testing.T) {
	s := startServe(t)
	var urls []string
	for i := 0; i < 40; i++ {
		urls = append(urls, s.URL()+"/delay/20s/size/10")
	}
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				for s.Active() < 1 { // a fetch is in flight
					runtime.Gosched()
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			res, _ := runList(t, ctx, mode, RunConfig{Config: Config{Timeout: time.Minute}, Concurrency: 5}, urls)
			for _, r := range res {
				if r.ErrorKind != KindCanceled {
					t.Errorf("%s: got kind %v (%s); want canceled", r.URL, r.ErrorKind, errString(r))
				}
			}
		})
	}
}

// TestRetries checks retries on 503 with Retry-After, on refused
// connects, and that a 429 with Retry-After holds back the host's next
// request.
func TestRetries(t *testing.T) {
	s := startServe(t)
	refused := "http://127.0.0.1:1/"
	tests := []struct {
		name        string
		url         string
		retries     int
		wantStatus  int
		wantRetries int
		wantKind    ErrorKind
	}{
		{"503 retried", s.URL() + "/status/503/header/Retry-After:0", 2, 503, 2, KindNone},
		{"502 not retried without Retries", s.URL() + "/status/502", 0, 502, 0, KindNone},
		{"404 never retried", s.URL() + "/status/404", 3, 404, 0, KindNone},
		{"refused retried", refused, 2, 0, 2, KindConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, stats := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Retries: tt.retries}}, []string{tt.url})
			r := res[0]
			if r.Status != tt.wantStatus || r.Retries != tt.wantRetries || r.ErrorKind != tt.wantKind || stats.Retries != int64(tt.wantRetries) {
				t.Errorf("%s: got status %d, %d retries (stats %d), kind %v; want %d, %d, %v", tt.url, r.Status, r.Retries, stats.Retries, r.ErrorKind, tt.wantStatus, tt.wantRetries, tt.wantKind)
			}
		})
	}
	t.Run("429 pauses the host", func(t *testing.T) {
		c, err := NewClient(Config{Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := c.Fetch(context.Background(), s.URL()+"/status/429/header/Retry-After:1")
		if r.Status != 429 || r.Timings.Queue != 0 {
			t.Fatalf("got status %d, queue %v; want 429, no queue", r.Status, r.Timings.Queue)
		}
		r = c.Fetch(context.Background(), s.URL()+"/size/5")
		if r.Status != 200 || r.Timings.Queue == 0 {
			t.Errorf("next fetch to the host: got status %d, queue %v; want 200 after a wait in the queue", r.Status, r.Timings.Queue)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 3 ", 3 * time.Second, true},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	for attempt := 0; attempt < 30; attempt++ {
		ceil := min(backoffCap, backoffBase<<min(attempt, 20))
		for i := 0; i < 20; i++ {
			if got := backoff(attempt); got < 0 || got >= ceil {
				t.Fatalf("backoff(%d) = %v; want in [0, %v)", attempt, got, ceil)
			}
		}
	}
}

// TestPerHostAndRate checks that the per-host limit and the rate keep every
// fetch successful (their timing is for benchmarks).
func TestPerHostAndRate(t *testing.T) {
	s := startServe(t)
	var urls []string
	for i := 0; i < 20; i++ {
		urls = append(urls, s.URL()+"/delay/10ms/size/100")
	}
	res, stats := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 10, PerHost: 2, Rate: 200, Hubs: 1}, urls)
	for _, r := range res {
		if !r.OK() {
			t.Errorf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
		}
	}
	if stats.Conns > 2 {
		t.Errorf("got %d connections with PerHost 2 on one hub; want at most 2", stats.Conns)
	}
}

// TestRateQueueFromSchedule checks wrk2's correction: with a Rate the
// server cannot keep up with (one slot, 40 ms a response, a fetch due
// every 10 ms), each fetch waits for the one before it, so the k-th
// cannot start before k × 40 ms after the first, while it was due k ×
// 10 ms after it. Its Queue time counts from when it was due, so it is
// at least k × 30 ms: a bound from causality, which no slow machine can
// break. A pacer that restarted its schedule after each stall would
// report no wait at all.
func TestRateQueueFromSchedule(t *testing.T) {
	s := startServe(t)
	const delay, interval = 40 * time.Millisecond, 10 * time.Millisecond
	var urls []string
	for i := 0; i < 5; i++ {
		urls = append(urls, fmt.Sprintf("%s/delay/%v/size/10?i=%d", s.URL(), delay, i))
	}
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			res, _ := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 1, Rate: float64(time.Second / interval), Hubs: 1}, urls)
			for k, r := range res {
				if !r.OK() {
					t.Fatalf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
				}
				if want := time.Duration(k) * (delay - interval); r.Timings.Queue < want {
					t.Errorf("fetch %d: got queue %v; want at least %v (due every %v, each takes %v)", k, r.Timings.Queue, want, interval, delay)
				}
			}
		})
	}
}

// panicky is an Observer with a bug: it panics on one URL.
type panicky struct {
	NopObserver
	url string
}

func (p panicky) OnStart(job Job) {
	if job.URL == p.url {
		panic("observer bug")
	}
}

// TestPanicIsAResult: a panic during one fetch (here in a user's
// Observer) becomes that job's result; every other job still succeeds.
func TestPanicIsAResult(t *testing.T) {
	s := startServe(t)
	var urls []string
	for i := 0; i < 12; i++ {
		urls = append(urls, fmt.Sprintf("%s/size/%d", s.URL(), i))
	}
	bad := urls[5]
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			res, _ := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 3, Observer: panicky{url: bad}}, urls)
			for _, r := range res {
				if r.URL == bad {
					if r.ErrorKind != KindInternal || !strings.Contains(errString(r), "observer bug") {
						t.Errorf("%s: got %v %q; want internal saying the panic", r.URL, r.ErrorKind, errString(r))
					}
				} else if !r.OK() {
					t.Errorf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
				}
			}
		})
	}
}

// TestRunClosesConnsAfterLastJob: once the input has ended and no fetch
// waits for a connection, a fetch that ends closes its connection instead
// of keeping it idle until the run's end — but for one a host, which a
// running fetch may yet be redirected to; while jobs may still come, it is
// kept and reused.
func TestRunClosesConnsAfterLastJob(t *testing.T) {
	for _, mode := range []Mode{ModeAsync, ModeThreads} {
		t.Run("input ended/"+mode.String(), func(t *testing.T) {
			s, release, closed := startLastJobServer(t)
			jobs := make(chan Job, 3)
			jobs <- Job{URL: s.URL() + "/fast", Index: 0}
			jobs <- Job{URL: s.URL() + "/fast", Index: 1}
			jobs <- Job{URL: s.URL() + "/slow", Index: 2}
			close(jobs)
			results := make(chan Result, 3)
			errc := make(chan error, 1)
			go func() {
				// One hub: connections belong to a hub, and one is kept a hub.
				_, err := Run(context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 3, Hubs: 1}, jobs, results)
				errc <- err
			}()
			for range 2 {
				if r := <-results; !r.OK() || !strings.HasSuffix(r.URL, "/fast") {
					t.Fatalf("result %+v; want /fast, ok", r)
				}
			}
			select {
			case p := <-closed:
				if p != "/fast" {
					t.Errorf("closed %q first; want /fast", p)
				}
			case <-time.After(5 * time.Second):
				t.Error("both connections of /fast were still open 5 s after their fetches, with no job left: kept idle until the run's end")
			}
			select {
			case p := <-closed:
				t.Errorf("closed %q too; want one connection of /fast kept for a redirect", p)
			case <-time.After(100 * time.Millisecond):
			}
			close(release)
			if r := <-results; !r.OK() {
				t.Errorf("third result %+v; want ok", r)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("input open", func(t *testing.T) {
		s := startHostile(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		jobs := make(chan Job)
		results := make(chan Result, 2)
		statc := make(chan Stats, 1)
		go func() {
			// One worker: connections belong to a hub, and a second
			// worker could be on another.
			st, _ := Run(context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 1}, jobs, results)
			statc <- st
		}()
		for i := range 2 {
			jobs <- Job{URL: s.URL() + "/again", Index: int64(i)}
			if r := <-results; !r.OK() {
				t.Fatalf("result %d: %+v; want ok", i, r)
			}
		}
		close(jobs)
		if st := <-statc; st.Conns != 1 || st.Reused != 1 {
			t.Errorf("got %d conns, %d reused; want 1 conn reused once while the input was open", st.Conns, st.Reused)
		}
	})
}

// startLastJobServer starts a server for TestRunClosesConnsAfterLastJob:
// it answers /fast once three requests are in (a short while after, so
// the engine sees the input's end first) and /slow once release is
// closed, and sends on closed the path of each connection the client
// closes.
func startLastJobServer(t *testing.T) (s *hostileServer, release chan struct{}, closed chan string) {
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	release = make(chan struct{})
	closed = make(chan string, 8)
	s = startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		path := ""
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				closed <- path // the client closed the connection, or the test ended
				return
			}
			if p, ok := strings.CutPrefix(line, "GET "); ok {
				path, _, _ = strings.Cut(p, " ")
			}
			if line != "\r\n" {
				continue
			}
			mu.Lock()
			if arrived++; arrived == 3 {
				close(both)
			}
			mu.Unlock()
			wait := both
			if path == "/slow" {
				wait = release
			}
			select {
			case <-wait:
			case <-done:
				return
			}
			if path == "/fast" {
				time.Sleep(50 * time.Millisecond)
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	return s, release, closed
}

// TestRunKeepsConnsForRedirects: a fetch between hops still wants a
// connection, so the end of the input does not make other fetches close
// theirs: B's redirect to A's host reuses A's idle connection, whether B
// redirects after A ended or waits for A's host slot meanwhile.
func TestRunKeepsConnsForRedirects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perHost int
		a, b    string
	}{
		{"A ends, then B redirects to A's host", 0, "/size/10", "/delay/300ms/redirect-to/"},
		{"B waits for A's host slot", 1, "/delay/300ms/size/10", "/redirect-to/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := startServe(t), startServe(t)
			urls := []string{x.URL() + tc.a, y.URL() + tc.b + url.PathEscape(x.URL()+"/size/10")}
			res, st := runList(t, context.Background(), ModeThreads, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 2, PerHost: tc.perHost}, urls)
			for _, r := range res {
				if !r.OK() {
					t.Fatalf("%s: status %d, error %s; want 200", r.URL, r.Status, errString(r))
				}
			}
			if st.Conns != 2 || st.Reused != 1 {
				t.Errorf("got %d connections, %d reused; want 2, B's hop to X on A's idle connection", st.Conns, st.Reused)
			}
		})
	}
}

// panicResolver is a Resolver with a bug.
type panicResolver struct{}

func (panicResolver) LookupNetIP(context.Context, string) ([]netip.Addr, error) {
	panic("resolver bug")
}

// TestSeekingAfterPanic: a fetch that panics is no longer counted as
// wanting a connection (Client.seeking), or no connection would be closed
// at the run's end.
func TestSeekingAfterPanic(t *testing.T) {
	c, err := NewClient(Config{Timeout: testTimeout, Resolver: panicResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := &engine{c: c, ctx: context.Background(), mode: ModeThreads}
	if r := e.threadsFetch(Job{URL: "http://example.invalid/"}, 0); r.ErrorKind != KindInternal {
		t.Fatalf("got %v (%s); want internal", r.ErrorKind, errString(r))
	}
	if n := c.seeking.Load(); n != 0 {
		t.Errorf("seeking = %d after the panicked fetch; want 0", n)
	}
}
