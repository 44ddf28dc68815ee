package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/greenfetch/greenfetch/scheduler"
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// staticResolver answers from a map, and fails other names.
type staticResolver map[string][]netip.Addr

func (r staticResolver) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return nil, &noSuchHost{host}
}

type noSuchHost struct{ host string }

func (e *noSuchHost) Error() string { return "lookup " + e.host + ": no such host (test resolver)" }

// TestInterleave orders addresses as RFC 8305 section 4 does: the
// resolver's order within a family, families alternating from the first.
func TestInterleave(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		in, want []netip.Addr
	}{
		{nil, nil},
		{[]netip.Addr{a("::1")}, []netip.Addr{a("::1")}},
		{[]netip.Addr{a("2001:db8::1"), a("2001:db8::2"), a("192.0.2.1"), a("192.0.2.2")}, []netip.Addr{a("2001:db8::1"), a("192.0.2.1"), a("2001:db8::2"), a("192.0.2.2")}},
		{[]netip.Addr{a("192.0.2.1"), a("192.0.2.2"), a("192.0.2.3"), a("2001:db8::1")}, []netip.Addr{a("192.0.2.1"), a("2001:db8::1"), a("192.0.2.2"), a("192.0.2.3")}},
		{[]netip.Addr{a("192.0.2.1"), a("192.0.2.2")}, []netip.Addr{a("192.0.2.1"), a("192.0.2.2")}},
	}
	for _, tt := range tests {
		if got := interleave(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("interleave(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// blackhole makes an address whose SYNs vanish: a veth pair into a network
// namespace of the test's own, 10.213.a.1/30 on the near side (returned
// as near, for a server) and 10.213.a.2/30 on the far side (hole), and a
// permanent neighbour entry giving that address a MAC nobody has, so the
// namespace's side drops every frame sent to it. Nothing is routed off the
// machine: the /30 lives only on the veth. It needs iproute2 and
// CAP_NET_ADMIN: without them the test is skipped, or fails when CI is set.
func blackhole(t *testing.T) (hole, nearAddr netip.Addr) {
	t.Helper()
	ns := fmt.Sprintf("gfhe%d-%d", os.Getpid(), time.Now().UnixNano()%100000)
	va := fmt.Sprintf("gfa%d", os.Getpid()%1000000)
	vb := fmt.Sprintf("gfb%d", os.Getpid()%1000000)
	// A /30 no route covers yet (another test process may hold one).
	var near, far string
	for try := 0; try < 64 && near == ""; try++ {
		id := (os.Getpid()+try)%250 + 1
		if out, err := exec.Command("ip", "-4", "route", "show", "match", fmt.Sprintf("10.213.%d.2", id)).Output(); err == nil && !strings.Contains(string(out), "10.213.") {
			near, far = fmt.Sprintf("10.213.%d.1", id), fmt.Sprintf("10.213.%d.2", id)
		}
	}
	if near == "" {
		near, far = "10.213.251.1", "10.213.251.2"
	}
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns); err != nil {
		msg := "cannot create a network namespace (needs root or CAP_NET_ADMIN and iproute2): " + err.Error()
		if ci := os.Getenv("CI"); ci != "" && ci != "0" && ci != "false" {
			t.Fatal(msg + "; CI is set, so this is a failure")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		run("link", "del", va) // takes its peer along
		if err := run("netns", "del", ns); err != nil {
			t.Error(err)
		}
	})
	for _, args := range [][]string{
		{"link", "add", va, "type", "veth", "peer", "name", vb, "netns", ns},
		{"addr", "add", near + "/30", "dev", va},
		{"link", "set", va, "up"},
		{"-n", ns, "addr", "add", far + "/30", "dev", vb},
		{"-n", ns, "link", "set", vb, "up"},
		{"neigh", "replace", far, "lladdr", "02:00:5e:00:53:01", "dev", va, "nud", "permanent"},
	} {
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("ip", "route", "get", far).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dev "+va) {
		t.Fatalf("route to %s does not stay on %s: %s %v", far, va, out, err)
	}
	return netip.MustParseAddr(far), netip.MustParseAddr(near)
}

// TestHappyEyeballsBlackhole: a name whose first address drops SYNs and
// whose second has a server is fetched in about the attempt delay, not
// the connect timeout, in every engine; the winner is the remote address,
// the loser is counted.
func TestHappyEyeballsBlackhole(t *testing.T) {
	hole, near := blackhole(t)
	// The server listens on the near side's address: like the hole, a
	// global address, so RFC 6724 keeps the resolver's order (a loopback
	// address would be sorted first).
	s, err := serve.Start(near.String()+":0", serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	_, port, _ := net.SplitHostPort(s.Addr().String())
	res := staticResolver{"dual.test": {hole, near}}
	const connectTimeout = 8 * time.Second
	forEachMode(t, func(t *testing.T, mode Mode) {
		cfg := Config{Timeout: 2 * connectTimeout, ConnectTimeout: connectTimeout, Resolver: res, NoKeepAlive: true}
		r, stats := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{"http://dual.test:" + port + "/size/4", "http://dual.test:" + port + "/size/4"})
		for _, r := range r {
			if !r.OK() || r.Bytes != 4 || r.RemoteAddr != near.String()+":"+port {
				t.Errorf("got ok=%v %d bytes from %s, %q; want 4 bytes from %s:%s", r.OK(), r.Bytes, r.RemoteAddr, errString(r), near, port)
			}
			if r.Timings.Connect >= connectTimeout || r.Timings.Connect < cfgDelay(cfg) {
				t.Errorf("connect took %v; want at least the attempt delay and less than the connect timeout %v", r.Timings.Connect, connectTimeout)
			}
		}
		if stats.ConnectLost < 2 || stats.Conns != 2 {
			t.Errorf("got stats %+v; want 2 conns and 2 lost attempts (the black hole's)", stats)
		}
	})
}

func cfgDelay(cfg Config) time.Duration {
	if cfg.ConnectAttemptDelay > 0 {
		return cfg.ConnectAttemptDelay
	}
	return DefaultConnectAttemptDelay
}

// TestHappyEyeballsRace drives the race with a socket layer of the test's
// own (no namespace needed): stalled addresses lose to a later one, a
// refusal moves on at once, every stalled attempt is canceled.
func TestHappyEyeballsRace(t *testing.T) {
	s := startServe(t)
	_, port, _ := net.SplitHostPort(s.Addr().String())
	var mu sync.Mutex
	var tried []string
	var canceled atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		tried = append(tried, addr)
		mu.Unlock()
		switch {
		case strings.HasPrefix(addr, "192.0.2."): // stalls
			<-ctx.Done()
			canceled.Add(1)
			return nil, ctx.Err()
		case strings.HasPrefix(addr, "198.51.100."): // refuses
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+port)
	}
	a := netip.MustParseAddr
	res := staticResolver{
		"stall.test":  {a("192.0.2.1"), a("192.0.2.2"), a("203.0.113.5")},
		"refuse.test": {a("198.51.100.1"), a("198.51.100.2"), a("203.0.113.6")},
	}
	c, err := NewClient(Config{Timeout: testTimeout, Resolver: res, ConnectAttemptDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.dial = dial
	r := c.Fetch(context.Background(), "http://stall.test:"+port+"/size/3")
	if !r.OK() || r.RemoteAddr != "127.0.0.1:"+port || r.Timings.Connect < 200*time.Millisecond {
		t.Errorf("stall: got ok=%v from %s after %v, %q; want ok after two attempt delays", r.OK(), r.RemoteAddr, r.Timings.Connect, errString(r))
	}
	r = c.Fetch(context.Background(), "http://refuse.test:"+port+"/size/3")
	if !r.OK() || r.Timings.Connect >= 100*time.Millisecond {
		t.Errorf("refuse: got ok=%v after %v, %q; want ok at once after two refusals", r.OK(), r.Timings.Connect, errString(r))
	}
	want := []string{"192.0.2.1:" + port, "192.0.2.2:" + port, "203.0.113.5:" + port, "198.51.100.1:" + port, "198.51.100.2:" + port, "203.0.113.6:" + port}
	deadline := time.Now().Add(testTimeout)
	for canceled.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(tried, want) || canceled.Load() != 2 {
		t.Errorf("tried %v, %d canceled; want %v, the 2 stalled ones canceled", tried, canceled.Load(), want)
	}
	st := c.Stats()
	if st.ConnectLost != 2 || st.ConnectFailed != 2 {
		t.Errorf("got %d lost, %d failed attempts; want 2 and 2", st.ConnectLost, st.ConnectFailed)
	}
}

// TestAllAddressesRefuse: every address refusing fails at once, naming
// each address.
func TestAllAddressesRefuse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	a := netip.MustParseAddr
	res := staticResolver{"refused.test": {a("127.0.0.1"), a("127.0.0.2"), a("127.0.0.3")}}
	const connectTimeout = 8 * time.Second
	forEachMode(t, func(t *testing.T, mode Mode) {
		t0 := time.Now()
		r, stats := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: 2 * connectTimeout, ConnectTimeout: connectTimeout, Resolver: res}}, []string{"http://refused.test:" + port + "/"})
		msg := errString(r[0])
		if r[0].ErrorKind != KindConnect {
			t.Errorf("got %v %q; want connect", r[0].ErrorKind, msg)
		}
		for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
			if !strings.Contains(msg, ip+":"+port+": connection refused") {
				t.Errorf("error %q does not say %s:%s was refused", msg, ip, port)
			}
		}
		if el := time.Since(t0); el >= connectTimeout {
			t.Errorf("took %v; want a failure well before the connect timeout", el)
		}
		if stats.ConnectFailed != 3 {
			t.Errorf("got %d failed attempts; want 3", stats.ConnectFailed)
		}
	})
}

// TestNoALPN: a TLS server that selects no ALPN protocol and then drops
// the HTTP/1.1 request, or answers it in HTTP/2 frames (an h2-only
// server), ends as protocol saying so, not as a bare io error.
func TestNoALPN(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	certs := ts.TLS.Certificates
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ts.Close()
	for _, tt := range []struct {
		name  string
		reply []byte
		want  string
	}{
		{"drops", nil, "closed the connection without answering"},
		{"h2 frames", []byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"), "answered the HTTP/1.1 request with something else"},
	} {
		srv := startHostile(t, func(c net.Conn, done <-chan struct{}) {
			tc := tls.Server(c, &tls.Config{Certificates: certs}) // no NextProtos: selects none
			if tc.Handshake() != nil {
				return
			}
			readHead(bufio.NewReader(tc))
			tc.Write(tt.reply)
		})
		forEachMode(t, func(t *testing.T, mode Mode) {
			u := "https://" + srv.ln.Addr().String() + "/"
			r, _ := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout, RootCAs: pool}}, []string{u})
			msg := errString(r[0])
			if r[0].ErrorKind != KindProtocol || !strings.Contains(msg, "server selected no ALPN protocol") || !strings.Contains(msg, tt.want) {
				t.Errorf("%s: got %v %q; want protocol saying no ALPN protocol was selected and %q", tt.name, r[0].ErrorKind, msg, tt.want)
			}
		})
	}
}

// listenBacklog listens on 127.0.0.1 with a listen queue of n, as
// Python's http.server does (5).
func listenBacklog(t *testing.T, n int) net.Listener {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, n); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "backlog")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestBurstSmallBacklog: 200 URLs at -c 200 against a server that accepts
// one connection at a time from a listen queue of 5 all succeed: the
// connects per host are bounded, a burst queues in the client.
func TestBurstSmallBacklog(t *testing.T) {
	const n = 200
	for _, mode := range []Mode{ModeThreads, ModeAsync} {
		t.Run(mode.String(), func(t *testing.T) {
			ln := listenBacklog(t, 5)
			var served atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.SetDeadline(time.Now().Add(testTimeout))
					if readHead(bufio.NewReader(c)) == nil {
						served.Add(1)
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
					}
					c.Close()
				}
			}()
			defer func() { ln.Close(); <-done }()
			urls := make([]string, n)
			for i := range urls {
				urls[i] = fmt.Sprintf("http://%s/%d", ln.Addr(), i)
			}
			res, stats := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: 60 * time.Second}, Concurrency: n}, urls)
			failed := 0
			var worst time.Duration
			for _, r := range res {
				if !r.OK() {
					failed++
					if failed <= 3 {
						t.Errorf("%s: %q", r.URL, errString(r))
					}
				}
				worst = max(worst, r.Timings.Connect)
			}
			if failed > 0 {
				t.Errorf("%d of %d URLs failed; want none", failed, n)
			}
			t.Logf("served %d, worst connect %v, stats %+v", served.Load(), worst, stats)
		})
	}
}

// TestSortRFC6724 orders destinations by RFC 6724's precedence and scope
// rules, stable otherwise; Happy Eyeballs then interleaves the families.
func TestSortRFC6724(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		in, want []netip.Addr
	}{
		{[]netip.Addr{a("192.0.2.1"), a("2001:db8::1")}, []netip.Addr{a("2001:db8::1"), a("192.0.2.1")}},                 // global IPv6 (40) before IPv4 (35)
		{[]netip.Addr{a("fd00::1"), a("192.0.2.1")}, []netip.Addr{a("192.0.2.1"), a("fd00::1")}},                         // ULA (3) after IPv4
		{[]netip.Addr{a("2001:0:1::1"), a("192.0.2.1")}, []netip.Addr{a("192.0.2.1"), a("2001:0:1::1")}},                 // Teredo (5) after IPv4
		{[]netip.Addr{a("192.0.2.1"), a("::1"), a("127.0.0.1")}, []netip.Addr{a("::1"), a("127.0.0.1"), a("192.0.2.1")}}, // ::1 (50) first; then IPv4, loopback's smaller scope first (rule 8)
		{[]netip.Addr{a("192.0.2.2"), a("192.0.2.1")}, []netip.Addr{a("192.0.2.2"), a("192.0.2.1")}},                     // stable
	}
	for _, tt := range tests {
		if got := sortRFC6724(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("sortRFC6724(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// TestConnWindow: a host's connect window starts at a quarter of the
// bound, widens by one per connection taken at once, halves when one sits
// in limbo, and the entry goes when nothing holds it.
func TestConnWindow(t *testing.T) {
	l := newConnLimiter(8)
	ctx := context.Background()
	blocked := func() bool {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		s, _, err := l.acquire(c, time.Time{}, "h:80")
		if err == nil {
			l.release("h:80", s, slotNeutral)
		}
		return err != nil
	}
	var held []*connSlots
	take := func(n int) {
		for range n {
			s, _, err := l.acquire(ctx, time.Time{}, "h:80")
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, s)
		}
	}
	take(2) // the initial window: 8/4
	if !blocked() {
		t.Fatal("a third connect got a slot; want the initial window of 2")
	}
	l.release("h:80", held[0], slotTaken) // window 3
	held = held[1:]
	take(2)
	if !blocked() || held[0].window != 3 {
		t.Fatalf("window %d; want 3 after one connection taken at once", held[0].window)
	}
	l.release("h:80", held[0], slotLimbo) // halves: 3 -> 1, taking 2 permits out
	held = held[1:]
	if held[0].window != 2 || held[0].debt != 1 {
		t.Fatalf("window %d, debt %d; want 2 and 1 on the way to 1", held[0].window, held[0].debt)
	}
	l.release("h:80", held[0], slotNeutral)
	held = held[1:]
	if held[0].window != 1 || !blocked() {
		t.Fatalf("window %d; want 1 (every slot held)", held[0].window)
	}
	l.release("h:80", held[0], slotNeutral)
	if len(l.m) != 0 {
		t.Errorf("%d host entries left; want none once nothing holds them", len(l.m))
	}
}

// TestBurstRetry: a connect refused while other connects to the host are
// in progress (a listen queue overflowing with tcp_abort_on_overflow) is
// tried again after a short backoff instead of failing the URL.
func TestBurstRetry(t *testing.T) {
	s := startServe(t)
	_, port, _ := net.SplitHostPort(s.Addr().String())
	var dials atomic.Int64
	c, err := NewClient(Config{Timeout: testTimeout, Resolver: staticResolver{"burst.test": {netip.MustParseAddr("127.0.0.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= 4 {
			time.Sleep(20 * time.Millisecond) // the others are in progress meanwhile
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([]Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Fetch(context.Background(), "http://burst.test:"+port+"/size/2")
		}()
	}
	wg.Wait()
	for _, r := range results {
		if !r.OK() {
			t.Errorf("got %q; want every URL fetched after the refusals were retried", errString(r))
		}
	}
	if st := c.Stats(); st.ConnectRetries < 1 || st.ConnectFailed != 4 {
		t.Errorf("got %d retries, %d failed attempts; want retries for the 4 refusals", st.ConnectRetries, st.ConnectFailed)
	}
}

// TestConnSlotDeadline: a wait for a connect slot ends with a timeout at
// its deadline (timed by the hub in a task, by a timer elsewhere), at once
// when the deadline has passed, and leaves no slot taken and no entry
// behind.
func TestConnSlotDeadline(t *testing.T) {
	l := newConnLimiter(4) // an initial window of one
	ctx := context.Background()
	s, _, err := l.acquire(ctx, time.Time{}, "h:80")
	if err != nil {
		t.Fatal(err)
	}
	wait := func(d time.Duration) (time.Duration, error) {
		_, waited, err := l.acquire(ctx, time.Now().Add(d), "h:80")
		return waited, err
	}
	h, err := scheduler.NewHub()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, inTask := range []bool{false, true} {
		var waited, past time.Duration
		var werr, perr error
		check := func() {
			waited, werr = wait(30 * time.Millisecond)
			past, perr = wait(-time.Second)
		}
		if inTask {
			h.Run(func(*scheduler.Task) (any, error) { check(); return nil, nil })
		} else {
			check()
		}
		if !isTimeout(werr) || waited < 25*time.Millisecond || waited > 5*time.Second {
			t.Errorf("task=%v: waited %v, got %v; want a timeout after about 30ms", inTask, waited, werr)
		}
		if !isTimeout(perr) || past != 0 {
			t.Errorf("task=%v: a passed deadline waited %v, got %v; want a timeout at once", inTask, past, perr)
		}
	}
	l.release("h:80", s, slotNeutral)
	s, _, err = l.acquire(ctx, time.Now().Add(time.Second), "h:80")
	if err != nil {
		t.Fatalf("got %v; want the slot back once released", err)
	}
	l.release("h:80", s, slotNeutral)
	if len(l.m) != 0 {
		t.Errorf("%d host entries left; want none", len(l.m))
	}
}

// TestRefusedPortFailsAtOnce: a burst to a port where nothing listens is
// not taken for a listen queue overflowing: every URL fails with its
// connect refused, on its first attempt, without the burst's retries.
func TestRefusedPortFailsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	const n = 64
	jobs := make(chan Job, n)
	for i := range n {
		jobs <- Job{URL: fmt.Sprintf("http://%s/%d", addr, i), Index: int64(i)}
	}
	close(jobs)
	results := make(chan Result, n)
	st, err := Run(context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: n}, jobs, results)
	if err != nil {
		t.Fatal(err)
	}
	close(results)
	for r := range results {
		if r.ErrorKind != KindConnect || !strings.Contains(errString(r), "refused") {
			t.Errorf("%s: got %s %q; want a connect error, refused", r.URL, r.ErrorKind, errString(r))
		}
	}
	if st.ConnectRetries != 0 || st.ConnectFailed != n {
		t.Errorf("got %d retries, %d failed attempts; want none and %d: one attempt a URL", st.ConnectRetries, st.ConnectFailed, n)
	}
}
