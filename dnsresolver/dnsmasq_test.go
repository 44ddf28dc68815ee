package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
	"github.com/greenfetch/greenfetch/scheduler"
)

// TestAgainstDnsmasq asks a real dnsmasq, from goroutines and from tasks.
func TestAgainstDnsmasq(t *testing.T) {
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{
		Records: []testserver.Record{
			{Name: "www.test", Type: "A", Value: "192.0.2.10"},
			{Name: "www.test", Type: "AAAA", Value: "2001:db8::10"},
			{Name: "v4only.test", Type: "A", Value: "192.0.2.11"},
			{Name: "alias1.test", Type: "CNAME", Value: "alias2.test"},
			{Name: "alias2.test", Type: "CNAME", Value: "www.test"},
		},
		WildcardDomain: "wild.test", WildcardAddr: "127.0.0.5",
	})
	tests := []struct {
		host, want, cname string
		notFound          bool
	}{
		{host: "www.test", want: "[192.0.2.10 2001:db8::10]"},
		{host: "WWW.Test.", want: "[192.0.2.10 2001:db8::10]"},
		{host: "v4only.test", want: "[192.0.2.11]"},
		{host: "alias1.test", want: "[192.0.2.10 2001:db8::10]", cname: "www.test"},
		{host: "host-42.wild.test", want: "[127.0.0.5]"},
		{host: "missing.test", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for where, res := range lookupBoth(t, func() (Answer, error) {
				r := newTestAsync(t, d.Addr)
				r.timeout = 2 * time.Second
				return r.LookupHost(context.Background(), tt.host)
			}) {
				if tt.notFound {
					var e *Error
					if !errors.As(res.err, &e) || !e.IsNotFound || e.Server != d.Addr {
						t.Errorf("%s: got %v; want not found from %s", where, res.err, d.Addr)
					}
					continue
				}
				if res.err != nil || fmt.Sprint(res.ans.Addrs) != tt.want || res.ans.CNAME != tt.cname {
					t.Errorf("%s: got %v (cname %q), %v; want %s (cname %q)", where, res.ans.Addrs, res.ans.CNAME, res.err, tt.want, tt.cname)
				}
			}
		})
	}
}

// TestDnsmasqNegativeCache: an authoritative dnsmasq sends an SOA with its
// NXDOMAIN, so the failure is cached for the SOA minimum.
func TestDnsmasqNegativeCache(t *testing.T) {
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{
		AuthZone: "auth.test", TTL: 40 * time.Second,
		Records: []testserver.Record{{Name: "a.auth.test", Type: "A", Value: "192.0.2.1"}},
	})
	now := time.Unix(1e6, 0)
	r, _ := NewAsync(Config{Servers: []string{d.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 2 * time.Second, Now: func() time.Time { return now }})
	for i := 0; i < 3; i++ {
		if _, err := r.LookupHost(context.Background(), "nope.auth.test"); !errors.Is(err, ErrNoSuchHost) {
			t.Fatalf("got %v; want ErrNoSuchHost", err)
		}
	}
	s := r.Stats()
	if s.Queries != 2 || s.NegativeHits != 2 {
		t.Errorf("got %d queries, %d negative hits; want 2 and 2", s.Queries, s.NegativeHits)
	}
	now = now.Add(41 * time.Second)
	r.LookupHost(context.Background(), "nope.auth.test")
	if q := r.Stats().Queries; q != 4 {
		t.Errorf("got %d queries after the SOA minimum passed; want 4", q)
	}
}

// TestDnsmasqThousandsOfNames resolves many distinct wildcard names on a
// hub set with many lookups in flight, and reads the counters.
func TestDnsmasqThousandsOfNames(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{WildcardDomain: "wild.test", WildcardAddr: "127.0.0.7"})
	r, _ := NewAsync(Config{Servers: []string{d.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Family: V4, Timeout: 2 * time.Second, Attempts: 3, MaxInFlight: 128})
	s, err := scheduler.NewHubSet(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tasks []*scheduler.Task
	for i := 0; i < n; i++ {
		tasks = append(tasks, s.Spawn(func(*scheduler.Task) (any, error) {
			return r.LookupHost(context.Background(), fmt.Sprintf("n%d.wild.test", i))
		}))
	}
	for _, task := range tasks {
		v, err := task.Join()
		if err != nil || fmt.Sprint(v.(Answer).Addrs) != "[127.0.0.7]" {
			t.Fatalf("got %v, %v; want [127.0.0.7]", v, err)
		}
	}
	st := r.Stats()
	if st.CacheMisses != int64(n) || st.Answers < int64(n) || len(st.Servers) != 1 || st.Servers[0].UDP < int64(n) {
		t.Errorf("got stats %+v; want %d misses, at least %d answers over UDP", st, n, n)
	}
}

// TestDnsmasqFamilies asks a real dnsmasq for names with one family, the
// other or both, a name whose AAAA query dnsmasq refuses (address=/zone/
// without local=: dnsmasq 2.90 answers A and REFUSES AAAA), an alias into
// another zone, and a name with so many A records that the answer needs
// TCP.
func TestDnsmasqFamilies(t *testing.T) {
	records := []testserver.Record{
		{Name: "both.test", Type: "A", Value: "192.0.2.20"},
		{Name: "both.test", Type: "AAAA", Value: "2001:db8::20"},
		{Name: "v4.test", Type: "A", Value: "192.0.2.21"},
		{Name: "v6.test", Type: "AAAA", Value: "2001:db8::22"},
		{Name: "alias.test", Type: "CNAME", Value: "target.other"},
		{Name: "target.other", Type: "A", Value: "192.0.2.23"},
	}
	for i := 0; i < 100; i++ { // 100 A records: about 1,700 bytes, beyond the 1,232 of EDNS0
		records = append(records, testserver.Record{Name: "big.test", Type: "A", Value: fmt.Sprintf("10.1.0.%d", i+1)})
	}
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{
		Records:     records,
		ExtraConfig: []string{"local=/other/", "address=/refuse6.example/127.0.0.1"},
	})
	tests := []struct {
		host, want string
		wantA      string // the outcome counted for each family
		wantAAAA   string
		tcp        bool
	}{
		{"both.test", "[192.0.2.20 2001:db8::20]", "Answered", "Answered", false},
		{"v4.test", "[192.0.2.21]", "Answered", "NoData", false},
		{"v6.test", "[2001:db8::22]", "NoData", "Answered", false},
		{"x.refuse6.example", "[127.0.0.1]", "Answered", "Refused", false},
		{"alias.test", "[192.0.2.23]", "Answered", "NoData", false},
		{"big.test", "100 addresses", "Answered", "NoData", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for where, res := range lookupBoth(t, func() (Answer, error) {
				r := newTestAsync(t, d.Addr)
				r.timeout = 2 * time.Second
				ans, err := r.LookupHost(context.Background(), tt.host)
				st := settledStats(t, r, 2)
				if outcomeOf(st.A, tt.wantA) != 1 || outcomeOf(st.AAAA, tt.wantAAAA) != 1 {
					t.Errorf("got family stats A %+v, AAAA %+v; want A %s, AAAA %s", st.A, st.AAAA, tt.wantA, tt.wantAAAA)
				}
				if tcp := st.Servers[0].TCP > 0; tcp != tt.tcp {
					t.Errorf("got %d TCP queries; want TCP %v", st.Servers[0].TCP, tt.tcp)
				}
				return ans, err
			}) {
				got := fmt.Sprint(res.ans.Addrs)
				if len(res.ans.Addrs) == 100 {
					got = "100 addresses"
				}
				if res.err != nil || got != tt.want {
					t.Errorf("%s: got %v, %v; want %s", where, got, res.err, tt.want)
				}
			}
		})
	}
}

// TestDnsmasqTenThousandNamesAAAARefused is issue 11's acceptance run:
// 10,000 names against dnsmasq started with --address=/zone/127.0.0.1 and
// --no-resolv, which answers A and refuses AAAA: every lookup succeeds
// with the A address. BenchmarkLookupCold times the same workload against
// Go's resolver.
func TestDnsmasqTenThousandNamesAAAARefused(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 500
	}
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{ExtraConfig: []string{"address=/zone/127.0.0.1"}})
	r, err := NewAsync(Config{Servers: []string{d.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 2 * time.Second, Attempts: 3, MaxInFlight: 128})
	if err != nil {
		t.Fatal(err)
	}
	s, err := scheduler.NewHubSet(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var next, failed atomic.Int64
	var firstErr atomic.Value
	workers := make([]*scheduler.Task, 128)
	for w := range workers {
		workers[w] = s.Spawn(func(*scheduler.Task) (any, error) {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				ans, err := r.LookupHost(context.Background(), fmt.Sprintf("n%d.zone", i))
				if err != nil || fmt.Sprint(ans.Addrs) != "[127.0.0.1]" {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%v, %v", ans.Addrs, err))
				}
			}
			return nil, nil
		})
	}
	for _, w := range workers {
		if _, err := w.Join(); err != nil {
			t.Fatal(err)
		}
	}
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d lookups failed; first: %v", f, n, firstErr.Load())
	}
	st := settledStats(t, r, int64(2*n))
	t.Logf("%d lookups: %d queries (%d retransmitted)", n, st.Queries, st.Retransmits)
	if st.A.Answered != int64(n) || st.AAAA.Refused != int64(n) {
		t.Errorf("got family stats A %+v, AAAA %+v; want %d answered A and %d refused AAAA", st.A, st.AAAA, n, n)
	}
}

// TestDnsmasqFamilyQuestions: -4 and -6 (Family V4 and V6) ask only their
// family's question, counted in dnsmasq's query log.
func TestDnsmasqFamilyQuestions(t *testing.T) {
	tests := []struct {
		fam       Family
		wantA     int
		wantAAAA  int
		wantAddrs string
	}{
		{V4, 1, 0, "[192.0.2.40]"},
		{V6, 0, 1, "[2001:db8::40]"},
		{Both, 1, 1, "[192.0.2.40 2001:db8::40]"},
	}
	for _, tt := range tests {
		t.Run(tt.fam.String(), func(t *testing.T) {
			d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{LogQueries: true, Records: []testserver.Record{
				{Name: "fam.test", Type: "A", Value: "192.0.2.40"},
				{Name: "fam.test", Type: "AAAA", Value: "2001:db8::40"},
			}})
			r, err := NewAsync(Config{Servers: []string{d.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Family: tt.fam, Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if ans, err := r.LookupHost(context.Background(), "fam.test"); err != nil || fmt.Sprint(ans.Addrs) != tt.wantAddrs {
				t.Fatalf("got %v, %v; want %s", ans.Addrs, err, tt.wantAddrs)
			}
			count := func(log, typ string) int { return strings.Count(log, "query["+typ+"] fam.test from") }
			var log string
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				b, _ := os.ReadFile(d.LogFile)
				log = string(b)
				if count(log, "A")+count(log, "AAAA") >= tt.wantA+tt.wantAAAA || time.Now().After(deadline) {
					break
				}
			}
			if a, aaaa := count(log, "A"), count(log, "AAAA"); a != tt.wantA || aaaa != tt.wantAAAA {
				t.Errorf("dnsmasq logged %d A and %d AAAA questions; want %d and %d", a, aaaa, tt.wantA, tt.wantAAAA)
			}
		})
	}
}
