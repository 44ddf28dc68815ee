package testserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestUnbound starts unbound with local zones and checks what it answers:
// records, NODATA with the zone's SOA, NXDOMAIN, a refused zone, SERVFAIL
// for the types a typetransparent zone lacks (its upstream is a closed
// port), and an answer too large for UDP (truncated, whole over TCP).
func TestUnbound(t *testing.T) {
	var big []string
	for i := 0; i < 100; i++ {
		big = append(big, fmt.Sprintf("big.u.test. 300 IN A 10.0.%d.%d", i/250, i%250+1))
	}
	u := StartUnbound(t, UnboundOptions{Zones: []UnboundZone{
		{Name: "u.test", Data: append([]string{
			"u.test. 300 IN SOA ns.u.test. h.u.test. 1 3600 600 86400 30",
			"v4.u.test. 300 IN A 192.0.2.1",
			"alias.u.test. 300 IN CNAME v6.other.test.",
		}, big...)},
		{Name: "other.test", Data: []string{"v6.other.test. 300 IN AAAA 2001:db8::1"}},
		{Name: "tt.test", Type: "typetransparent", Data: []string{"a.tt.test. 300 IN A 192.0.2.2"}},
		{Name: "no.test", Type: "refuse"},
	}})
	ctx := context.Background()
	tests := []struct {
		network, name string
		typ           dnsmessage.Type
		want          string // rcode, answers, authorities, truncated
	}{
		{"udp", "v4.u.test", dnsmessage.TypeA, "RCodeSuccess an=1 ns=0 tc=false"},
		{"udp", "v4.u.test", dnsmessage.TypeAAAA, "RCodeSuccess an=0 ns=1 tc=false"},
		{"udp", "gone.u.test", dnsmessage.TypeA, "RCodeNameError an=0 ns=1 tc=false"},
		{"udp", "x.no.test", dnsmessage.TypeA, "RCodeRefused an=0 ns=0 tc=false"},
		{"udp", "a.tt.test", dnsmessage.TypeA, "RCodeSuccess an=1 ns=0 tc=false"},
		{"udp", "a.tt.test", dnsmessage.TypeAAAA, "RCodeServerFailure an=0 ns=0 tc=false"},
		{"udp", "big.u.test", dnsmessage.TypeA, "RCodeSuccess an=0 ns=0 tc=true"},
		{"tcp", "big.u.test", dnsmessage.TypeA, "RCodeSuccess an=100 ns=0 tc=false"},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.name+" "+tt.typ.String(), func(t *testing.T) {
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			m, err := Query(qctx, tt.network, u.Addr, tt.name, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%v an=%d ns=%d tc=%v", m.RCode, len(m.Answers), len(m.Authorities), m.Truncated)
			if got != tt.want {
				t.Errorf("got %s; want %s", got, tt.want)
			}
		})
	}
	m, err := Query(ctx, "udp", u.Addr, "alias.u.test", dnsmessage.TypeAAAA)
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, a := range m.Answers {
		recs = append(recs, a.Header.Type.String())
	}
	// unbound answers a CNAME into another local zone with the CNAME
	// alone: the client asks for the target itself.
	if got := fmt.Sprintf("%v %s", m.RCode, strings.Join(recs, " ")); got != "RCodeSuccess TypeCNAME" {
		t.Errorf("got alias.u.test AAAA: %s; want RCodeSuccess TypeCNAME", got)
	}
}
