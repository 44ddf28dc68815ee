package dnsresolver

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseResolvConf(t *testing.T) {
	def := func(c resolvConf) resolvConf { // the defaults, for fields a case leaves zero
		if c.ndots == 0 {
			c.ndots = defaultNdots
		}
		if c.timeout == 0 {
			c.timeout = defaultTimeout
		}
		if c.attempts == 0 {
			c.attempts = defaultAttempts
		}
		return c
	}
	tests := []struct {
		file string
		want resolvConf
	}{
		{"ndots-search-resolv.conf", resolvConf{
			servers: []string{"127.0.0.1:53", "[::1]:53", "127.0.0.2:5353"}, // MAXNS = 3
			search:  []string{"corp.example", "lab.example"},
			ndots:   2, timeout: 3 * time.Second, attempts: 4, rotate: true, edns0: true,
		}},
		{"broken-resolv.conf", def(resolvConf{
			servers:  []string{"127.0.0.1:53", "[::1]:53"}, // none valid: the local server
			attempts: maxAttempts,
		})},
		{"ndots-negative-resolv.conf", def(resolvConf{
			servers: []string{"192.0.2.1:53"}, ndots: maxNdots, timeout: maxTimeout,
		})},
		{"search-domain-resolv.conf", def(resolvConf{servers: []string{"192.0.2.1:53"}, search: []string{"c.example"}})},
		{"rotate-resolv.conf", def(resolvConf{servers: []string{"192.0.2.1:53", "192.0.2.2:53"}, rotate: true})},
		{"attempts-resolv.conf", def(resolvConf{servers: []string{"192.0.2.1:53"}, attempts: 3, timeout: 2 * time.Second})},
		{"comments-resolv.conf", def(resolvConf{servers: []string{"192.0.2.7:53", "192.0.2.8:53"}})},
		{"crlf-resolv.conf", def(resolvConf{servers: []string{"192.0.2.9:53"}, search: []string{"crlf.example"}, ndots: 3})},
		{"reopen-resolv.conf", def(resolvConf{servers: []string{"192.0.2.1:53"}, edns0: true, reopen: true})},
		{"ipv6-resolv.conf", def(resolvConf{servers: []string{"[::1]:53", "[fe80::1%eth0]:53", "[2001:db8::53]:5353"}})},
		{"long-line-resolv.conf", def(resolvConf{servers: []string{"192.0.2.3:53"}})},
		{"missing-resolv.conf", def(resolvConf{servers: []string{"127.0.0.1:53", "[::1]:53"}})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseResolvConf(bytes.NewReader(readFile("testdata/" + tt.file)))
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got parseResolvConf(%s) = %+v; want %+v", tt.file, *got, tt.want)
			}
		})
	}
}

func TestParseHosts(t *testing.T) {
	tests := []struct{ file, name, want string }{
		{"hosts-case", "mixedcase.example", "[10.1.2.3 10.1.2.4]"}, // case folded, duplicates dropped, order kept
		{"hosts-case", "alias.example", "[10.1.2.3]"},
		{"hosts-case", "localhost", "[127.0.0.1]"},
		{"hosts-ipv6", "ip6-loopback", "[::1]"},
		{"hosts-ipv6", "dual.example", "[2001:db8::5 192.0.2.5]"},
		{"hosts-ipv6", "mapped.example", "[192.0.2.9]"}, // v4-mapped is IPv4
		{"hosts-ipv6", "linklocal.example", "[fe80::1%lo]"},
		{"hosts-broken", "broken.example", "[]"},
		{"hosts-broken", "badip.example", "[]"},
		{"hosts-broken", "good.example", "[10.0.0.1]"},
		{"hosts-broken", "bad!name.example", "[]"},
		{"hosts-broken", "also-good.example", "[10.0.0.1]"}, // a bad name does not spoil its line
		{"hosts-broken", "tabbed.example", "[10.0.0.2]"},
		{"hosts-broken", "after-long.example", "[10.0.0.4]"}, // an overlong line is skipped, not the end
		{"hosts-broken", "label-too-long-neighbour.example", "[10.0.0.5]"},
		{"hosts-broken", "no-newline-at-end.example", "[10.0.0.6]"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.name, func(t *testing.T) {
			m := parseHosts(bytes.NewReader(readFile("testdata/" + tt.file)))
			if got := fmt.Sprint(m[tt.name]); got != tt.want {
				t.Errorf("got hosts[%q] = %s; want %s", tt.name, got, tt.want)
			}
		})
	}
	if m := parseHosts(bytes.NewReader(readFile("testdata/hosts-broken"))); len(m) != 6 {
		t.Errorf("got %d names from hosts-broken (%v); want 6", len(m), m)
	}
}

func TestNormalizeName(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "Example.COM.", want: "example.com"},
		{in: "bücher.example", want: "xn--bcher-kva.example"},
		{in: long + ".example", want: long + ".example"},
		{in: long + "a.example", bad: true},
		{in: strings.Repeat("a.", 127) + "aa", bad: true}, // 255 characters
		{in: "a..b", bad: true},
		{in: "", bad: true},
		{in: ".", bad: true},
		{in: "-lead.example", bad: true},
		{in: "sp ace.example", bad: true},
		{in: "semi;colon", bad: true},
		{in: "_srv.example", want: "_srv.example"},
	}
	for _, tt := range tests {
		got, err := normalizeName(tt.in)
		if tt.bad != (err != nil) || (!tt.bad && got != tt.want) {
			t.Errorf("got normalizeName(%q) = %q, %v; want %q, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestCandidates(t *testing.T) {
	r := &Async{search: []string{"corp.example", "lab.example"}, ndots: 2}
	tests := []struct{ host, want string }{
		{"www", "[www.corp.example. www.lab.example. www.]"},
		{"a.b.c", "[a.b.c. a.b.c.corp.example. a.b.c.lab.example.]"},
		{"abs.", "[abs.]"},
	}
	for _, tt := range tests {
		name, _ := normalizeName(tt.host)
		if got := fmt.Sprint(r.candidates(name, tt.host)); got != tt.want {
			t.Errorf("got candidates(%q) = %s; want %s", tt.host, got, tt.want)
		}
	}
}
