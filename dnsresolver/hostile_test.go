package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/greenfetch/greenfetch/scheduler"
)

// lookupBoth runs fn from a goroutine and from a task on a hub, and
// returns both results. It checks that fn left no socket open (on Linux).
func lookupBoth(t *testing.T, fn func() (Answer, error)) map[string]struct {
	ans Answer
	err error
} {
	t.Helper()
	out := map[string]struct {
		ans Answer
		err error
	}{}
	sockets := openSockets()
	a, err := fn()
	out["goroutine"] = struct {
		ans Answer
		err error
	}{a, err}
	if n := settledSockets(sockets); n != sockets {
		t.Errorf("goroutine: got %d sockets open after the lookup; want %d as before", n, sockets)
	}
	h, herr := scheduler.NewHub()
	if herr != nil {
		t.Fatal(herr)
	}
	defer h.Close()
	v, _ := h.Run(func(*scheduler.Task) (any, error) {
		a, err := fn()
		return struct {
			ans Answer
			err error
		}{a, err}, nil
	})
	out["task"] = v.(struct {
		ans Answer
		err error
	})
	// Before the hub closes, which would close what a lookup forgot.
	if n := settledSockets(sockets); n != sockets {
		t.Errorf("task: got %d sockets open after the lookup; want %d as before", n, sockets)
	}
	return out
}

func newTestAsync(t *testing.T, servers ...string) *Async {
	t.Helper()
	r, err := NewAsync(Config{Servers: servers, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 150 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHostileServers(t *testing.T) {
	dead := func() string { // a port nobody listens on: ECONNREFUSED
		pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
		a := pc.LocalAddr().String()
		pc.Close()
		return a
	}
	tests := []struct {
		name      string
		servers   func(t *testing.T) []string
		host      string
		wantAddrs string
		wantErr   func(*Error) bool
	}{
		{"silent times out", func(t *testing.T) []string { return []string{runLocalServer(t, silent, nil).addr} },
			"x.example", "", func(e *Error) bool { return e.IsTimeout }},
		{"malformed: A cut in its record, AAAA cut in its question (dropped, then timeout)", func(t *testing.T) []string { return []string{runLocalServer(t, malformed, nil).addr} },
			"x.example", "", func(e *Error) bool {
				return errors.Is(e, errMalformed) && errors.Is(e, os.ErrDeadlineExceeded) && !e.IsTimeout && e.Temporary() &&
					e.Error() == "lookup x.example on "+e.Server+": A: malformed answer; AAAA: timed out"
			}},
		{"badID is dropped, then timeout", func(t *testing.T) []string { return []string{runLocalServer(t, badID, nil).addr} },
			"x.example", "", func(e *Error) bool { return e.IsTimeout }},
		{"wrongQuestionName is dropped, then timeout", func(t *testing.T) []string { return []string{runLocalServer(t, wrongQuestionName, nil).addr} },
			"x.example", "", func(e *Error) bool { return e.IsTimeout }},
		{"wrongQuestionType is dropped, then timeout", func(t *testing.T) []string { return []string{runLocalServer(t, wrongQuestionType, nil).addr} },
			"x.example", "", func(e *Error) bool { return e.IsTimeout }},
		{"wrongSource never reaches the socket, then timeout", func(t *testing.T) []string { return []string{runWrongSourceServer(t)} },
			"x.example", "", func(e *Error) bool { return e.IsTimeout }},
		{"formerr to EDNS0, asked again without", func(t *testing.T) []string { return []string{runLocalServer(t, formerrOnEDNS, nil).addr} },
			"x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"forgeries before the real answer are skipped", func(t *testing.T) []string { return []string{runLocalServer(t, badThenGoodID, nil).addr} },
			"x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"truncated answer retried over TCP", func(t *testing.T) []string { return []string{runLocalServer(t, truncated, good).addr} },
			"x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"servfail", func(t *testing.T) []string { return []string{runLocalServer(t, servfail, nil).addr} },
			"x.example", "", func(e *Error) bool { return errors.Is(e, errServerFailure) && e.Temporary() }},
		{"refused", func(t *testing.T) []string { return []string{runLocalServer(t, refused, nil).addr} },
			"x.example", "", func(e *Error) bool { return errors.Is(e, errRefused) }},
		{"dead first server, good second", func(t *testing.T) []string { return []string{dead(), runLocalServer(t, good, nil).addr} },
			"x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"silent first server, good second", func(t *testing.T) []string {
			return []string{runLocalServer(t, silent, nil).addr, runLocalServer(t, good, nil).addr}
		}, "x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"servfail first server, good second", func(t *testing.T) []string {
			return []string{runLocalServer(t, servfail, nil).addr, runLocalServer(t, good, nil).addr}
		}, "x.example", "[192.0.2.1 2001:db8::1]", nil},
		{"nxdomain", func(t *testing.T) []string { return []string{runLocalServer(t, nxdomainSOA, nil).addr} },
			"x.example", "", func(e *Error) bool { return e.IsNotFound && errors.Is(e, ErrNoSuchHost) }},
		{"cname loop is an error, not a hang", func(t *testing.T) []string { return []string{runLocalServer(t, cnameLoop, nil).addr} },
			"loop-a.example", "", func(e *Error) bool { return errors.Is(e, errCNAMELoop) }},
		{"invalid name, no query", func(t *testing.T) []string { return []string{runLocalServer(t, good, nil).addr} },
			"bad..name", "", func(e *Error) bool { return errors.Is(e, ErrInvalidName) && e.Server == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := tt.servers(t)
			for where, res := range lookupBoth(t, func() (Answer, error) {
				r := newTestAsync(t, servers...) // cold for each caller
				return r.LookupHost(context.Background(), tt.host)
			}) {
				if tt.wantErr == nil {
					if res.err != nil || fmt.Sprint(res.ans.Addrs) != tt.wantAddrs {
						t.Errorf("%s: got %v, %v; want %s", where, res.ans.Addrs, res.err, tt.wantAddrs)
					}
					continue
				}
				var e *Error
				if !errors.As(res.err, &e) || !tt.wantErr(e) {
					t.Errorf("%s: got error %v (%#v); want the kind this case names", where, res.err, e)
				}
				if e != nil && e.Name != tt.host {
					t.Errorf("%s: got error naming %q; want %q", where, e.Name, tt.host)
				}
			}
		})
	}
}

func TestNegativeCacheBySOA(t *testing.T) {
	srv := runLocalServer(t, nxdomainSOA, nil)
	now := time.Unix(1e6, 0)
	r, _ := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: time.Second, Now: func() time.Time { return now }})
	for i := 0; i < 3; i++ {
		if _, err := r.LookupHost(context.Background(), "gone.example"); !errors.Is(err, ErrNoSuchHost) {
			t.Fatalf("got %v; want ErrNoSuchHost", err)
		}
	}
	if q := srv.queries.Load(); q != 2 { // A and AAAA once
		t.Errorf("got %d queries for three lookups; want 2 (then negative hits)", q)
	}
	if s := r.Stats(); s.NegativeHits != 2 {
		t.Errorf("got %d negative hits; want 2", s.NegativeHits)
	}
	now = now.Add(31 * time.Second) // past the SOA minimum of 30s
	r.LookupHost(context.Background(), "gone.example")
	if q := srv.queries.Load(); q != 4 {
		t.Errorf("got %d queries after the negative TTL passed; want 4", q)
	}
}

func TestOneQueryInFlightPerName(t *testing.T) {
	srv := runLocalServer(t, func(q dnsmessage.Message) [][]byte {
		time.Sleep(20 * time.Millisecond) // the server is slow: callers pile up
		return good(q)
	}, nil)
	r := newTestAsync(t, srv.addr)
	r.timeout = 2 * time.Second
	s, err := scheduler.NewHubSet(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tasks []*scheduler.Task
	for i := 0; i < 50; i++ {
		tasks = append(tasks, s.Spawn(func(*scheduler.Task) (any, error) {
			return r.LookupHost(context.Background(), "shared.example")
		}))
	}
	// A caller that gives up does not cancel the query for the others.
	ctx, cancel := context.WithCancel(context.Background())
	quitter := s.Spawn(func(*scheduler.Task) (any, error) { return r.LookupHost(ctx, "shared.example") })
	cancel()
	if _, err := quitter.Join(); !errors.Is(err, context.Canceled) {
		t.Errorf("got quitter error %v; want context.Canceled", err)
	}
	for _, task := range tasks {
		if v, err := task.Join(); err != nil || len(v.(Answer).Addrs) != 2 {
			t.Fatalf("got %v, %v; want two addresses", v, err)
		}
	}
	if q := srv.queries.Load(); q != 2 {
		t.Errorf("got %d queries for 51 concurrent lookups of one name; want 2 (A and AAAA once)", q)
	}
}

func TestFamiliesAndLocalNames(t *testing.T) {
	srv := runLocalServer(t, good, nil)
	tests := []struct {
		fam        Family
		host, want string
	}{
		{V4, "x.example", "[192.0.2.1]"},
		{V6, "x.example", "[2001:db8::1]"},
		{Both, "localhost", "[127.0.0.1 ::1]"},
		{V4, "api.localhost", "[127.0.0.1]"},
		{Both, "[::1]", "[::1]"},
		{Both, "203.0.113.9", "[203.0.113.9]"},
	}
	for _, tt := range tests {
		r, _ := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "-", ResolvConf: "testdata/none", Family: tt.fam})
		ans, err := r.LookupHost(context.Background(), tt.host)
		if err != nil || fmt.Sprint(ans.Addrs) != tt.want {
			t.Errorf("got LookupHost(%s, %q) = %v, %v; want %s", tt.fam, tt.host, ans.Addrs, err, tt.want)
		}
	}
	if q := srv.queries.Load(); q != 2 {
		t.Errorf("got %d queries; want 2 (local names and literals need none)", q)
	}
	r, _ := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "testdata/hosts-case", ResolvConf: "testdata/none"})
	if ans, err := r.LookupHost(context.Background(), "ALIAS.example"); err != nil || fmt.Sprint(ans.Addrs) != "[10.1.2.3]" {
		t.Errorf("got hosts lookup %v, %v; want [10.1.2.3]", ans.Addrs, err)
	}
	if _, err := NewAsync(Config{Servers: []string{"dns.example"}}); err == nil {
		t.Error("got no error for a server given by name; want one")
	}
}
