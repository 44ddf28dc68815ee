package testserver

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// answer is one answer record, flattened for comparison.
type answer struct {
	name, typ, value string
	ttl              uint32
}

func flatten(rs []dnsmessage.Resource) []answer {
	var out []answer
	for _, r := range rs {
		a := answer{name: r.Header.Name.String(), typ: r.Header.Type.String(), ttl: r.Header.TTL}
		switch b := r.Body.(type) {
		case *dnsmessage.AResource:
			a.value = netip.AddrFrom4(b.A).String()
		case *dnsmessage.AAAAResource:
			a.value = netip.AddrFrom16(b.AAAA).String()
		case *dnsmessage.CNAMEResource:
			a.value = b.CNAME.String()
		case *dnsmessage.TXTResource:
			a.value = strings.Join(b.TXT, "")
		case *dnsmessage.SOAResource:
			a.value = fmt.Sprintf("%s %s min %d", b.NS, b.MBox, b.MinTTL)
		default:
			a.value = fmt.Sprintf("%v", b)
		}
		out = append(out, a)
	}
	return out
}

func query(t *testing.T, network, server, name string, typ dnsmessage.Type) *dnsmessage.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := Query(ctx, network, server, name, typ)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDnsmasq(t *testing.T) {
	var many []Record
	for i := 1; i <= 40; i++ {
		many = append(many, Record{Name: "many.test", Type: "A", Value: fmt.Sprintf("10.2.0.%d", i)})
	}
	d := StartDnsmasq(t, DnsmasqOptions{
		Records: append([]Record{
			{Name: "a.test", Type: "A", Value: "127.0.0.2"},
			{Name: "a.test", Type: "A", Value: "127.0.0.3"},
			{Name: "six.test.", Type: "AAAA", Value: "::1"},
			{Name: "both.test", Type: "A", Value: "127.0.0.4"},
			{Name: "both.test", Type: "AAAA", Value: "fd00::4"},
			{Name: "short.test", Type: "A", Value: "127.0.0.9", TTL: 5 * time.Second},
			{Name: "c1.test", Type: "CNAME", Value: "c2.test"},
			{Name: "c2.test", Type: "CNAME", Value: "a.test"},
			{Name: "txt.test", Type: "TXT", Value: "hello greenfetch"},
		}, many...),
		WildcardDomain: "wild.test",
		WildcardAddr:   "127.0.0.5",
		TTL:            30 * time.Second,
	})

	tests := []struct {
		name      string
		qname     string
		qtype     dnsmessage.Type
		wantRCode dnsmessage.RCode
		want      []answer // in any order
	}{
		{"A two", "a.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{
			{"a.test.", "TypeA", "127.0.0.2", 30}, {"a.test.", "TypeA", "127.0.0.3", 30}}},
		{"A case-insensitive", "A.TeSt", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{
			{"A.TeSt.", "TypeA", "127.0.0.2", 30}, {"A.TeSt.", "TypeA", "127.0.0.3", 30}}},
		{"AAAA", "six.test", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, []answer{{"six.test.", "TypeAAAA", "::1", 30}}},
		{"NODATA A of AAAA-only", "six.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, nil},
		{"both A", "both.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{{"both.test.", "TypeA", "127.0.0.4", 30}}},
		{"both AAAA", "both.test", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, []answer{{"both.test.", "TypeAAAA", "fd00::4", 30}}},
		{"record TTL", "short.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{{"short.test.", "TypeA", "127.0.0.9", 5}}},
		{"CNAME chain", "c1.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{
			{"c1.test.", "TypeCNAME", "c2.test.", 30}, {"c2.test.", "TypeCNAME", "a.test.", 30},
			{"a.test.", "TypeA", "127.0.0.2", 30}, {"a.test.", "TypeA", "127.0.0.3", 30}}},
		{"TXT", "txt.test", dnsmessage.TypeTXT, dnsmessage.RCodeSuccess, []answer{{"txt.test.", "TypeTXT", "hello greenfetch", 30}}},
		{"wildcard", "x1.wild.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{{"x1.wild.test.", "TypeA", "127.0.0.5", 30}}},
		{"wildcard deep", "a.b.c.wild.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{{"a.b.c.wild.test.", "TypeA", "127.0.0.5", 30}}},
		{"wildcard apex", "wild.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []answer{{"wild.test.", "TypeA", "127.0.0.5", 30}}},
		{"wildcard AAAA NODATA", "x1.wild.test", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, nil},
		{"NXDOMAIN", "does-not-exist.test", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
		{"NXDOMAIN AAAA", "does-not-exist.test", dnsmessage.TypeAAAA, dnsmessage.RCodeNameError, nil},
		{"outside", "example.com", dnsmessage.TypeA, dnsmessage.RCodeRefused, nil},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				m := query(t, network, d.Addr, tt.qname, tt.qtype)
				if m.RCode != tt.wantRCode {
					t.Errorf("query %s %v: got rcode %v; want %v", tt.qname, tt.qtype, m.RCode, tt.wantRCode)
				}
				got := flatten(m.Answers)
				if !sameAnswers(got, tt.want) {
					t.Errorf("query %s %v: got answers %v; want %v", tt.qname, tt.qtype, got, tt.want)
				}
			})
		}
	}

	t.Run("many-distinct-wildcard", func(t *testing.T) {
		for i := range 200 {
			name := fmt.Sprintf("host%d.wild.test", i)
			m := query(t, "udp", d.Addr, name, dnsmessage.TypeA)
			if len(m.Answers) != 1 {
				t.Fatalf("query %s: got %d answers; want 1", name, len(m.Answers))
			}
		}
	})

	t.Run("truncation", func(t *testing.T) {
		m := query(t, "udp", d.Addr, "many.test", dnsmessage.TypeA)
		if !m.Truncated {
			t.Errorf("query many.test A over UDP (40 records, no EDNS0): got TC false; want true")
		}
		m = query(t, "tcp", d.Addr, "many.test", dnsmessage.TypeA)
		if m.Truncated || len(m.Answers) != 40 {
			t.Errorf("query many.test A over TCP: got TC %v and %d answers; want false and 40", m.Truncated, len(m.Answers))
		}
	})
}

func sameAnswers(got, want []answer) bool {
	cmp := func(a, b answer) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(g, w)
}

func TestDnsmasqAuthZone(t *testing.T) {
	d := StartDnsmasq(t, DnsmasqOptions{
		AuthZone: "auth.test",
		TTL:      40 * time.Second,
		Records: []Record{
			{Name: "a.auth.test", Type: "A", Value: "127.0.0.2"},
			{Name: "alias.auth.test", Type: "CNAME", Value: "a.auth.test"},
			{Name: "alias2.auth.test", Type: "CNAME", Value: "alias.auth.test"},
		},
		LogQueries: true,
	})
	soa := []answer{{"auth.test.", "TypeSOA", "ns.auth.test. hostmaster.auth.test. min 40", 40}}
	tests := []struct {
		name      string
		qname     string
		qtype     dnsmessage.Type
		wantRCode dnsmessage.RCode
		wantAA    bool
		want      []answer
		wantAuth  []answer // nil: not checked
	}{
		{"A", "a.auth.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, true, []answer{{"a.auth.test.", "TypeA", "127.0.0.2", 40}}, nil},
		{"CNAME one step", "alias.auth.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, true, []answer{
			{"alias.auth.test.", "TypeCNAME", "a.auth.test.", 40}, {"a.auth.test.", "TypeA", "127.0.0.2", 40}}, nil},
		{"CNAME chain not followed", "alias2.auth.test", dnsmessage.TypeA, dnsmessage.RCodeSuccess, true, []answer{
			{"alias2.auth.test.", "TypeCNAME", "alias.auth.test.", 40}}, nil},
		{"NXDOMAIN with SOA", "nope.auth.test", dnsmessage.TypeA, dnsmessage.RCodeNameError, true, nil, soa},
		{"NODATA with SOA", "a.auth.test", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, true, nil, soa},
		{"outside zone", "x.test", dnsmessage.TypeA, dnsmessage.RCodeRefused, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := query(t, "udp", d.Addr, tt.qname, tt.qtype)
			if m.RCode != tt.wantRCode || m.Authoritative != tt.wantAA {
				t.Errorf("query %s %v: got rcode %v AA %v; want %v AA %v", tt.qname, tt.qtype, m.RCode, m.Authoritative, tt.wantRCode, tt.wantAA)
			}
			if got := flatten(m.Answers); !sameAnswers(got, tt.want) {
				t.Errorf("query %s %v: got answers %v; want %v", tt.qname, tt.qtype, got, tt.want)
			}
			if tt.wantAuth != nil {
				if got := flatten(m.Authorities); !sameAnswers(got, tt.wantAuth) {
					t.Errorf("query %s %v: got authority %v; want %v", tt.qname, tt.qtype, got, tt.wantAuth)
				}
			}
		})
	}
}

func TestDnsmasqTTLZeroAndWildcard6(t *testing.T) {
	d := StartDnsmasq(t, DnsmasqOptions{
		Domain:         "example",
		TTL:            -1,
		WildcardDomain: "w.example",
		WildcardAddr6:  "fd00::5",
		Records:        []Record{{Name: "z.example", Type: "A", Value: "127.0.0.7"}},
	})
	tests := []struct {
		name  string
		qname string
		qtype dnsmessage.Type
		want  []answer
	}{
		{"ttl 0", "z.example", dnsmessage.TypeA, []answer{{"z.example.", "TypeA", "127.0.0.7", 0}}},
		{"wildcard default addr", "q.w.example", dnsmessage.TypeA, []answer{{"q.w.example.", "TypeA", "127.0.0.1", 0}}},
		{"wildcard AAAA", "q.w.example", dnsmessage.TypeAAAA, []answer{{"q.w.example.", "TypeAAAA", "fd00::5", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := query(t, "udp", d.Addr, tt.qname, tt.qtype)
			if got := flatten(m.Answers); !sameAnswers(got, tt.want) {
				t.Errorf("query %s %v: got answers %v (rcode %v); want %v", tt.qname, tt.qtype, got, m.RCode, tt.want)
			}
		})
	}
	m := query(t, "udp", d.Addr, "nope.example", dnsmessage.TypeA)
	if m.RCode != dnsmessage.RCodeNameError {
		t.Errorf("query nope.example A in Domain example: got rcode %v; want NXDOMAIN", m.RCode)
	}
}

func TestDnsmasqConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		opts DnsmasqOptions
		want string
	}{
		{"bad type", DnsmasqOptions{Records: []Record{{Name: "a.test", Type: "MX", Value: "x"}}}, `type "MX"`},
		{"A with IPv6", DnsmasqOptions{Records: []Record{{Name: "a.test", Type: "A", Value: "::1"}}}, "want an IPv4 address"},
		{"AAAA with IPv4", DnsmasqOptions{Records: []Record{{Name: "a.test", Type: "AAAA", Value: "1.2.3.4"}}}, "want an IPv6 address"},
		{"comma in name", DnsmasqOptions{Records: []Record{{Name: "a,b.test", Type: "A", Value: "1.2.3.4"}}}, `"a,b.test"`},
		{"long label", DnsmasqOptions{Records: []Record{{Name: strings.Repeat("x", 64) + ".test", Type: "A", Value: "1.2.3.4"}}}, "longer than 63"},
		{"TXT quote", DnsmasqOptions{Records: []Record{{Name: "t.test", Type: "TXT", Value: `a"b`}}}, "without quotes"},
		{"wildcard addr", DnsmasqOptions{WildcardDomain: "w.test", WildcardAddr: "::1"}, "WildcardAddr"},
		{"extra newline", DnsmasqOptions{ExtraConfig: []string{"a\nb"}}, "one line each"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dnsmasqConfig(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("dnsmasqConfig(%+v): got error %v; want one containing %q", tt.opts, err, tt.want)
			}
		})
	}
}
