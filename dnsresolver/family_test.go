package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/greenfetch/greenfetch/scheduler"
)

// perType answers A queries with a and AAAA queries with aaaa.
func perType(a, aaaa handler) handler {
	return func(q dnsmessage.Message) [][]byte {
		if q.Questions[0].Type == dnsmessage.TypeAAAA {
			return aaaa(q)
		}
		return a(q)
	}
}

// More behaviours, for one family failing alone.
var (
	nodata    = func(q dnsmessage.Message) [][]byte { return [][]byte{answer(q, answerOpts{})} }
	nodataSOA = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{soaMin: 30})}
	}
	nxdomainNoSOA = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeNameError})}
	}
	formerrAlways = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeFormatError})}
	}
	garbled = func(q dnsmessage.Message) [][]byte { // the question matches, the record is cut
		m := answer(q, answerOpts{addrs: []string{"192.0.2.1", "2001:db8::1"}})
		return [][]byte{m[:len(m)-3]}
	}
)

// familyFailures are the ways one family's query fails, with the outcome
// the family's counters must show.
var familyFailures = []struct {
	name    string
	h       handler
	outcome string // the FamilyStats field counted
}{
	{"NODATA", nodata, "NoData"},
	{"NODATA with SOA", nodataSOA, "NoData"},
	{"NXDOMAIN for this type only", nxdomainNoSOA, "NXDomain"},
	{"REFUSED", refused, "Refused"},
	{"SERVFAIL", servfail, "ServFail"},
	{"FORMERR with and without EDNS0", formerrAlways, "FormErr"},
	{"timeout", silent, "Timeout"},
	{"garbled", garbled, "Other"},
	{"forged ID (dropped, then timeout)", badID, "Timeout"},
	{"wrong question (dropped, then timeout)", wrongQuestionName, "Timeout"},
}

// outcomeOf reads one FamilyStats field by name.
func outcomeOf(s FamilyStats, field string) int64 {
	return map[string]int64{
		"Answered": s.Answered, "NoData": s.NoData, "NXDomain": s.NXDomain, "Refused": s.Refused,
		"ServFail": s.ServFail, "FormErr": s.FormErr, "Timeout": s.Timeout, "Other": s.Other,
	}[field]
}

// settledStats waits (bounded) until the resolver has counted want family
// outcomes in all: a late family is counted when its query ends, after the
// lookup returned.
func settledStats(t *testing.T, r *Async, want int64) Stats {
	t.Helper()
	total := func(s FamilyStats) int64 {
		return s.Answered + s.NoData + s.NXDomain + s.Refused + s.ServFail + s.FormErr + s.Timeout + s.Other
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := r.Stats()
		if total(s.A)+total(s.AAAA) >= want || time.Now().After(deadline) {
			return s
		}
		scheduler.Sleep(10 * time.Millisecond) // in a task, the hub runs the late query's task meanwhile
	}
}

// TestOneFamilyFailsAlone: a lookup whose A (or AAAA) query gets
// addresses succeeds with them, whatever happened to the other family's
// query; the stats count each family's outcome.
func TestOneFamilyFailsAlone(t *testing.T) {
	for _, ff := range familyFailures {
		for _, failing := range []string{"AAAA", "A"} {
			t.Run(failing+" "+ff.name, func(t *testing.T) {
				h, want := perType(good, ff.h), "[192.0.2.1]"
				if failing == "A" {
					h, want = perType(ff.h, good), "[2001:db8::1]"
				}
				srv := runLocalServer(t, h, nil)
				var last *Async
				for where, res := range lookupBoth(t, func() (Answer, error) {
					last = newTestAsync(t, srv.addr)
					ans, err := last.LookupHost(context.Background(), "x.example")
					settledStats(t, last, 2) // the failing family may end after the lookup
					return ans, err
				}) {
					if res.err != nil || fmt.Sprint(res.ans.Addrs) != want {
						t.Errorf("%s: got %v, %v; want %s", where, res.ans.Addrs, res.err, want)
					}
				}
				st := last.Stats()
				good, bad := st.A, st.AAAA
				if failing == "A" {
					good, bad = st.AAAA, st.A
				}
				if good.Answered != 1 || outcomeOf(bad, ff.outcome) != 1 {
					t.Errorf("got family stats A %+v, AAAA %+v; want the answering family Answered 1 and the other %s 1", st.A, st.AAAA, ff.outcome)
				}
			})
		}
	}
}

// TestNoFamilyAnswers: when no family has an address the error says what
// each got, and is ErrNoSuchHost only when every family says the name or
// its addresses do not exist.
func TestNoFamilyAnswers(t *testing.T) {
	tests := []struct {
		name     string
		a, aaaa  handler
		want     string // the error's text after "lookup x.example on SERVER: "
		notFound bool
		is       error // errors.Is must hold for it too
	}{
		{"NXDOMAIN and NODATA", nxdomainSOA, nodataSOA, "no such host", true, ErrNoSuchHost},
		{"NODATA both", nodata, nodata, "no such host", true, ErrNoSuchHost},
		{"REFUSED and timeout", refused, silent, "A: REFUSED; AAAA: timed out", false, errRefused},
		{"NODATA and SERVFAIL", nodata, servfail, "A: NODATA; AAAA: SERVFAIL", false, errServerFailure},
		{"NXDOMAIN and REFUSED", nxdomainSOA, refused, "A: NXDOMAIN; AAAA: REFUSED", false, errRefused},
		{"timeout and FORMERR", silent, formerrAlways, "A: timed out; AAAA: FORMERR", false, errTimeout},
		{"SERVFAIL both", servfail, servfail, errServerFailure.Error(), false, errServerFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := runLocalServer(t, perType(tt.a, tt.aaaa), nil)
			r := newTestAsync(t, srv.addr)
			_, err := r.LookupHost(context.Background(), "x.example")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v; want an *Error", err)
			}
			if want := "lookup x.example on " + srv.addr + ": " + tt.want; err.Error() != want {
				t.Errorf("got %q; want %q", err, want)
			}
			if errors.Is(err, ErrNoSuchHost) != tt.notFound || e.IsNotFound != tt.notFound {
				t.Errorf("got errors.Is(err, ErrNoSuchHost) %v, IsNotFound %v; want %v", errors.Is(err, ErrNoSuchHost), e.IsNotFound, tt.notFound)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("got %v; want errors.Is(err, %v)", err, tt.is)
			}
		})
	}
}

// TestFamilyAsksOnlyItsQuestion: V4 sends only A questions, V6 only
// AAAA, Both one of each, counted at the server.
func TestFamilyAsksOnlyItsQuestion(t *testing.T) {
	tests := []struct {
		fam  Family
		want string
	}{
		{V4, "[a.example. A b.example. A]"},
		{V6, "[a.example. AAAA b.example. AAAA]"},
		{Both, "[a.example. A a.example. AAAA b.example. A b.example. AAAA]"},
	}
	for _, tt := range tests {
		t.Run(tt.fam.String(), func(t *testing.T) {
			srv := runLocalServer(t, good, nil)
			r, err := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "-", ResolvConf: "testdata/none", Family: tt.fam, Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range []string{"a.example", "b.example"} {
				if _, err := r.LookupHost(context.Background(), host); err != nil {
					t.Fatal(err)
				}
			}
			if got := fmt.Sprint(srv.names()); got != tt.want {
				t.Errorf("got questions %s; want %s", got, tt.want)
			}
		})
	}
}

// runDelayServer answers every query well (192.0.2.1, 2001:db8::1), A
// after delayA and AAAA after delayAAAA, each reply on its own goroutine.
func runDelayServer(t *testing.T, delayA, delayAAAA time.Duration) *fakeServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{addr: pc.LocalAddr().String(), ports: map[string]struct{}{}}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if q.Unpack(buf[:n]) != nil || len(q.Questions) != 1 {
				continue
			}
			s.queries.Add(1)
			d := delayA
			if q.Questions[0].Type == dnsmessage.TypeAAAA {
				d = delayAAAA
			}
			go func() {
				select {
				case <-time.After(d):
				case <-done:
					return
				}
				for _, r := range good(q) {
					pc.WriteTo(r, from)
				}
			}()
		}
	}()
	return s
}

// TestResolutionDelay: when one family's addresses came, the lookup waits
// for the other at most the resolution delay (RFC 8305 section 3); the
// late answer still fills the cache. With a negative delay it waits for
// both. These are checked by what the answer holds, not by timing.
func TestResolutionDelay(t *testing.T) {
	t.Parallel()
	const slow = 2 * time.Second // far beyond the 50ms delay (a loaded machine may wake the caller late), well within the timeout
	tests := []struct {
		name              string
		delayA, delayBoth time.Duration
		resDelay          time.Duration
		want              string
	}{
		{"AAAA slow: A alone after the delay", 0, slow, 0, "[192.0.2.1]"},
		{"A slow: AAAA alone after the delay", slow, 0, 0, "[2001:db8::1]"},
		{"AAAA slow, delay off: both", 0, slow, -1, "[192.0.2.1 2001:db8::1]"},
		{"AAAA a little late, within a long delay: both", 0, 30 * time.Millisecond, 5 * time.Second, "[192.0.2.1 2001:db8::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := runDelayServer(t, tt.delayA, tt.delayBoth)
			r, err := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 5 * time.Second, Attempts: 1, ResolutionDelay: tt.resDelay})
			if err != nil {
				t.Fatal(err)
			}
			h, err := scheduler.NewHub()
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			v, err := h.Run(func(*scheduler.Task) (any, error) { return r.LookupHost(context.Background(), "x.example") })
			if ans, _ := v.(Answer); err != nil || fmt.Sprint(ans.Addrs) != tt.want {
				t.Fatalf("got %v, %v; want %s", v, err, tt.want)
			}
			// The late answer completes in the background and is cached:
			// the next lookup has both families without a query.
			deadline := time.Now().Add(5 * time.Second)
			for {
				ans, err := r.LookupHost(context.Background(), "x.example")
				if err == nil && ans.Cached && len(ans.Addrs) == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("got %v, %v (cached %v) after the late answer; want both families from the cache", ans.Addrs, err, ans.Cached)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if q := srv.queries.Load() - r.Stats().Retransmits; q != 2 {
				t.Errorf("got %d queries (less retransmissions); want 2 (A and AAAA once)", q)
			}
		})
	}
}

// TestFailureCaching: the failed family is cached only as RFC 2308 allows
// (an SOA-backed NODATA or NXDOMAIN, for its negative TTL), other failures
// for FailureTTL at most, timeouts not at all.
func TestFailureCaching(t *testing.T) {
	tests := []struct {
		name       string
		a, aaaa    handler
		failureTTL time.Duration
		cachedFor  time.Duration // 0: not cached
	}{
		{"A, AAAA REFUSED: FailureTTL", good, refused, 0, DefaultFailureTTL},
		{"A, AAAA timeout: FailureTTL", good, silent, 0, DefaultFailureTTL},
		{"A, AAAA SERVFAIL, FailureTTL 2s", good, servfail, 2 * time.Second, 2 * time.Second},
		{"A, AAAA REFUSED, FailureTTL off: not cached", good, refused, -1, 0},
		{"A, AAAA NODATA with SOA: the SOA minimum", good, nodataSOA, 0, 30 * time.Second},
		{"A, AAAA NODATA without SOA: FailureTTL", good, nodata, 0, DefaultFailureTTL},
		{"A, AAAA both: the records' TTL", good, good, 0, 120 * time.Second},
		{"REFUSED both: FailureTTL", refused, refused, 0, DefaultFailureTTL},
		{"NXDOMAIN with SOA both: the SOA minimum", nxdomainSOA, nxdomainSOA, 0, 30 * time.Second},
		{"NXDOMAIN without SOA: not cached", nxdomainNoSOA, nxdomainNoSOA, 0, 0},
		{"timeout and REFUSED: not cached", silent, refused, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := runLocalServer(t, perType(tt.a, tt.aaaa), nil)
			now := time.Unix(1e6, 0)
			r, err := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 150 * time.Millisecond, Attempts: 1,
				FailureTTL: tt.failureTTL, ResolutionDelay: -1, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			r.LookupHost(context.Background(), "x.example")
			asked := srv.queries.Load()
			lookupAfter := func(d time.Duration) bool { // reports whether it was a cache hit
				now = now.Add(d)
				r.LookupHost(context.Background(), "x.example")
				q := srv.queries.Load()
				hit := q == asked
				asked = q
				return hit
			}
			if tt.cachedFor == 0 {
				if lookupAfter(0) {
					t.Errorf("got a cache hit; want the failure not cached")
				}
				return
			}
			if !lookupAfter(tt.cachedFor - time.Second) {
				t.Errorf("got a query %v later; want a cache hit (cached for %v)", tt.cachedFor-time.Second, tt.cachedFor)
			}
			if lookupAfter(2 * time.Second) {
				t.Errorf("got a cache hit %v later; want a query (cached for %v)", tt.cachedFor+time.Second, tt.cachedFor)
			}
		})
	}
}

// TestFamilyErrorText: FamilyError names each family's outcome.
func TestFamilyErrorText(t *testing.T) {
	e := &FamilyError{Families: []FamilyOutcome{{"A", "REFUSED", errRefused}, {"AAAA", "timed out", errTimeout}}}
	if got := e.Error(); got != "A: REFUSED; AAAA: timed out" {
		t.Errorf("got %q", got)
	}
	if !errors.Is(e, errRefused) || errors.Is(e, ErrNoSuchHost) || !strings.Contains(fmt.Sprint(e), "AAAA") {
		t.Errorf("got errors.Is refused %v, no such host %v; want true, false", errors.Is(e, errRefused), errors.Is(e, ErrNoSuchHost))
	}
}

// TestLateFamilyAtTheNextServer: A answered and AAAA refused by the first
// server; the second server never answers AAAA. The lookup returns the A
// address after the resolution delay, not after the second server's
// timeout (3s, beyond the caller's 2s deadline).
func TestLateFamilyAtTheNextServer(t *testing.T) {
	t.Parallel()
	s1 := runLocalServer(t, perType(good, refused), nil)
	s2 := runLocalServer(t, perType(good, silent), nil)
	h, err := scheduler.NewHub()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, where := range []string{"goroutine", "task"} {
		r, err := NewAsync(Config{Servers: []string{s1.addr, s2.addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 3 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		lookup := func() (Answer, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return r.LookupHost(ctx, "x.example")
		}
		var ans Answer
		if where == "goroutine" {
			ans, err = lookup()
		} else {
			var v any
			v, err = h.Run(func(*scheduler.Task) (any, error) { return lookup() })
			ans, _ = v.(Answer)
		}
		if err != nil || fmt.Sprint(ans.Addrs) != "[192.0.2.1]" {
			t.Errorf("%s: got %v, %v; want [192.0.2.1] before the deadline", where, ans.Addrs, err)
		}
		// The AAAA question goes on at the second server in the background
		// (on the caller's hub for a task) until its timeout.
		if where == "task" {
			h.Run(func(*scheduler.Task) (any, error) { return settledStats(t, r, 2), nil })
		} else {
			settledStats(t, r, 2)
		}
		if st := r.Stats(); st.A.Answered != 1 || st.AAAA.Timeout != 1 {
			t.Errorf("%s: got family stats A %+v, AAAA %+v; want A answered, AAAA timed out (at the second server)", where, st.A, st.AAAA)
		}
	}
	n := s2.names()
	for _, q := range n {
		if q != "x.example. AAAA" {
			t.Errorf("got question %q at the second server; want only AAAA (A was answered by the first)", q)
		}
	}
	if len(n) < 2 {
		t.Errorf("got questions at the second server %v; want AAAA asked there for each lookup", n)
	}
}
