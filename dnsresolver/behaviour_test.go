package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestSearchList follows resolv.conf(5): a name with fewer dots than
// ndots tries the search domains first, then itself; one with as many
// tries itself first; a name ending in a dot only itself. A name that
// does not exist goes on to the next candidate.
func TestSearchList(t *testing.T) {
	srv := runLocalServer(t, func(q dnsmessage.Message) [][]byte {
		if strings.HasSuffix(q.Questions[0].Name.String(), ".c.example.") {
			return good(q)
		}
		return nxdomainSOA(q)
	}, nil)
	tests := []struct {
		host      string
		wantNames string // questions the server saw, A and AAAA of each candidate
		found     bool
	}{
		{"www", "[www.c.example. A www.c.example. AAAA]", true},
		{"www.other", "[www.other. A www.other. AAAA www.other.c.example. A www.other.c.example. AAAA]", true},
		{"abs.", "[abs. A abs. AAAA]", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			before := len(srv.names())
			r, err := NewAsync(Config{Servers: []string{srv.addr}, ResolvConf: "testdata/search-domain-resolv.conf", HostsFile: "-", Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.LookupHost(context.Background(), tt.host)
			if (err == nil) != tt.found {
				t.Errorf("got LookupHost(%q) error %v; want found=%v", tt.host, err, tt.found)
			}
			if got := fmt.Sprint(srv.names()[before:]); got != tt.wantNames {
				t.Errorf("got questions %s; want %s", got, tt.wantNames)
			}
		})
	}
}

// TestRotateAndAttempts: with rotate, lookups start at the servers in
// turn; without, always at the first. A failing server is asked attempts
// times (resolv.conf's options attempts).
func TestRotateAndAttempts(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		handler  handler
		lookups  int
		wantEach string // queries per server
	}{
		{"rotate spreads the first tries", "testdata/rotate-resolv.conf", good, 6, "[6 6]"},
		{"no rotate, first server always", "testdata/comments-resolv.conf", good, 6, "[12 0]"},
		{"servfail everywhere, 3 attempts each", "testdata/attempts-resolv.conf", servfail, 1, "[6 6]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := runLocalServer(t, tt.handler, nil), runLocalServer(t, tt.handler, nil)
			r, err := NewAsync(Config{Servers: []string{a.addr, b.addr}, ResolvConf: tt.conf, HostsFile: "-", Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tt.lookups; i++ {
				r.LookupHost(context.Background(), fmt.Sprintf("n%d.example", i))
			}
			if got := fmt.Sprint([]int64{a.queries.Load(), b.queries.Load()}); got != tt.wantEach {
				t.Errorf("got queries per server %s; want %s", got, tt.wantEach)
			}
		})
	}
}

// TestSourcePorts: every lookup has a fresh socket (a port the kernel
// picks at random); A and AAAA share it, unless single-request-reopen.
func TestSourcePorts(t *testing.T) {
	tests := []struct {
		conf        string
		wantSources int
	}{
		{"testdata/comments-resolv.conf", 5},
		{"testdata/reopen-resolv.conf", 10},
	}
	for _, tt := range tests {
		t.Run(tt.conf, func(t *testing.T) {
			srv := runLocalServer(t, good, nil)
			r, err := NewAsync(Config{Servers: []string{srv.addr}, ResolvConf: tt.conf, HostsFile: "-", Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				if ans, err := r.LookupHost(context.Background(), fmt.Sprintf("n%d.example", i)); err != nil || len(ans.Addrs) != 2 {
					t.Fatalf("got %v, %v; want two addresses", ans.Addrs, err)
				}
			}
			if got := srv.sources(); got != tt.wantSources {
				t.Errorf("got queries from %d source ports for 5 lookups; want %d", got, tt.wantSources)
			}
		})
	}
}

// TestMaxInFlight: however many lookups wait, no more exchanges than
// MaxInFlight are in flight at once (counted as open UDP sockets).
func TestMaxInFlight(t *testing.T) {
	srv := runLocalServer(t, slow, nil)
	var open, peak atomic.Int64
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		n := open.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		return &countedConn{Conn: c, open: &open}, nil
	}
	r, err := NewAsync(Config{Servers: []string{srv.addr}, ResolvConf: "testdata/none", HostsFile: "-", Timeout: 5 * time.Second, MaxInFlight: 2, Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.LookupHost(context.Background(), fmt.Sprintf("n%d.example", i)); err != nil {
				t.Errorf("got %v; want an answer", err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p < 1 || p > 2 {
		t.Errorf("got at most %d sockets open at once; want 1 or 2 (MaxInFlight)", p)
	}
	if n := open.Load(); n != 0 {
		t.Errorf("got %d sockets still open; want 0", n)
	}
}

type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}

// TestStatsAndTransports reads the counters after a truncated answer
// made the resolver ask again over TCP, and after a cache hit.
func TestStatsAndTransports(t *testing.T) {
	srv := runLocalServer(t, truncated, good)
	r := newTestAsync(t, srv.addr)
	for i := 0; i < 2; i++ {
		if ans, err := r.LookupHost(context.Background(), "big.example"); err != nil || len(ans.Addrs) != 2 || ans.Cached != (i == 1) {
			t.Fatalf("lookup %d: got %+v, %v; want two addresses, cached the second time", i, ans, err)
		}
	}
	st := r.Stats()
	got := fmt.Sprintf("queries=%d answers=%d hits=%d misses=%d udp=%d tcp=%d server-answers=%d",
		st.Queries, st.Answers, st.CacheHits, st.CacheMisses, st.Servers[0].UDP, st.Servers[0].TCP, st.Servers[0].Answers)
	want := "queries=4 answers=4 hits=1 misses=1 udp=2 tcp=2 server-answers=4"
	if got != want || st.Servers[0].Server != srv.addr || st.Servers[0].AvgLatency <= 0 {
		t.Errorf("got %s (%+v); want %s, the server's address and a latency", got, st.Servers[0], want)
	}
}

// TestTimeoutError: a lookup no server answers says which name and which
// server, and acts like the standard library's deadline errors.
func TestTimeoutError(t *testing.T) {
	srv := runLocalServer(t, silent, nil)
	r := newTestAsync(t, srv.addr)
	_, err := r.LookupHost(context.Background(), "quiet.example")
	var e *Error
	if !errors.As(err, &e) || !e.Timeout() || !e.Temporary() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v; want an *Error that is a timeout and os.ErrDeadlineExceeded", err)
	}
	if want := "lookup quiet.example on " + srv.addr + ": timed out"; err.Error() != want {
		t.Errorf("got %q; want %q", err.Error(), want)
	}
	if st := r.Stats(); st.Timeouts != 1 || st.Retransmits == 0 {
		t.Errorf("got %d timeouts, %d retransmits; want 1 and some", st.Timeouts, st.Retransmits)
	}
}
