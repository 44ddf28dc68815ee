package dnsresolver

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		file string
		want resolvConf
	}{
		{"ndots-search-resolv.conf", resolvConf{
			servers: []string{"127.0.0.1:53", "[::1]:53", "127.0.0.2:5353"}, // MAXNS = 3
			search:  []string{"corp.example", "lab.example"},
			ndots:   2, timeout: 3 * time.Second, attempts: 4, rotate: true, edns0: true,
		}},
		{"broken-resolv.conf", resolvConf{
			servers: []string{"127.0.0.1:53", "[::1]:53"}, // none valid: the local server
			ndots:   defaultNdots, timeout: defaultTimeout, attempts: maxAttempts,
		}},
		{"ndots-negative-resolv.conf", resolvConf{
			servers: []string{"192.0.2.1:53"}, ndots: maxNdots, timeout: maxTimeout, attempts: defaultAttempts,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := parseResolvConf(f)
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got parseResolvConf(%s) = %+v; want %+v", tt.file, *got, tt.want)
			}
		})
	}
}

func TestParseHosts(t *testing.T) {
	f, err := os.Open("testdata/hosts-case")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := parseHosts(f)
	tests := []struct{ name, want string }{
		{"mixedcase.example", "[10.1.2.3 10.1.2.4]"}, // case folded, duplicates dropped, order kept
		{"alias.example", "[10.1.2.3]"},
		{"ip6-loopback", "[::1]"},
		{"linklocal.example", "[fe80::1%lo0]"},
		{"broken.example", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(m[tt.name]); got != tt.want {
			t.Errorf("got hosts[%q] = %s; want %s", tt.name, got, tt.want)
		}
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
