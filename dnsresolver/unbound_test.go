package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestAgainstUnbound asks a real unbound serving local zones: A only
// (AAAA NODATA with the zone's SOA, cached for its minimum), AAAA only,
// both, an alias into another zone (unbound answers the CNAME alone: the
// resolver asks for the target), an answer that needs TCP, AAAA SERVFAIL
// (a typetransparent zone whose upstream is a dead loopback port), a
// refused zone, and a name that does not exist.
func TestAgainstUnbound(t *testing.T) {
	var big []string
	for i := 0; i < 100; i++ {
		big = append(big, fmt.Sprintf("big.u.test. 300 IN A 10.2.0.%d", i+1))
	}
	u := testserver.StartUnbound(t, testserver.UnboundOptions{Zones: []testserver.UnboundZone{
		{Name: "u.test", Data: append([]string{
			"u.test. 300 IN SOA ns.u.test. h.u.test. 1 3600 600 86400 30",
			"v4.u.test. 300 IN A 192.0.2.31",
			"v6.u.test. 300 IN AAAA 2001:db8::32",
			"both.u.test. 300 IN A 192.0.2.33",
			"both.u.test. 300 IN AAAA 2001:db8::33",
			"alias.u.test. 300 IN CNAME www.other.test.",
		}, big...)},
		{Name: "other.test", Data: []string{"www.other.test. 300 IN A 192.0.2.34", "www.other.test. 300 IN AAAA 2001:db8::34"}},
		{Name: "sf.test", Type: "typetransparent", Data: []string{"a.sf.test. 300 IN A 192.0.2.35"}},
		{Name: "no.test", Type: "refuse"},
	}})
	tests := []struct {
		host, want      string // the addresses, or "error: " and the error's text after the server
		wantA, wantAAAA string
		tcp             bool
	}{
		{"v4.u.test", "[192.0.2.31]", "Answered", "NoData", false},
		{"v6.u.test", "[2001:db8::32]", "NoData", "Answered", false},
		{"both.u.test", "[192.0.2.33 2001:db8::33]", "Answered", "Answered", false},
		{"alias.u.test", "[192.0.2.34 2001:db8::34]", "Answered", "Answered", false},
		{"big.u.test", "100 addresses", "Answered", "NoData", true},
		{"a.sf.test", "[192.0.2.35]", "Answered", "ServFail", false},
		{"x.no.test", "error: query refused (REFUSED)", "Refused", "Refused", false},
		{"gone.u.test", "error: no such host", "NXDomain", "NXDomain", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for where, res := range lookupBoth(t, func() (Answer, error) {
				r := newTestAsync(t, u.Addr)
				r.timeout = 3 * time.Second // unbound takes about 200ms to give up on the dead upstream
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
				if res.err != nil {
					got = "error: " + errors.Unwrap(res.err).Error()
				}
				if got != tt.want {
					t.Errorf("%s: got %s (%v); want %s", where, got, res.err, tt.want)
				}
			}
		})
	}

	// NODATA with the zone's SOA: the A-only answer is cached for the SOA
	// minimum (30s), not beyond.
	now := time.Unix(1e6, 0)
	r, err := NewAsync(Config{Servers: []string{u.Addr}, HostsFile: "-", ResolvConf: "testdata/none", Timeout: 2 * time.Second, ResolutionDelay: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after   time.Duration
		queries int64
	}{{0, 2}, {29 * time.Second, 2}, {2 * time.Second, 4}} {
		now = now.Add(step.after)
		if ans, err := r.LookupHost(context.Background(), "v4.u.test"); err != nil || fmt.Sprint(ans.Addrs) != "[192.0.2.31]" {
			t.Fatalf("got %v, %v; want [192.0.2.31]", ans.Addrs, err)
		}
		if q := r.Stats().Queries; q != step.queries {
			t.Errorf("got %d queries after %v more; want %d", q, step.after, step.queries)
		}
	}
}
