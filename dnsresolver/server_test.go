package dnsresolver

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		in, want string // want: the address, or "error: " and a part of the message
	}{
		{"192.0.2.1", "192.0.2.1:53"},
		{"192.0.2.1:5353", "192.0.2.1:5353"},
		{"::1", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"[::1]:5353", "[::1]:5353"},
		{"2001:db8::53", "[2001:db8::53]:53"},
		{"fe80::1%eth0", "[fe80::1%eth0]:53"},
		{"[fe80::1%eth0]:53", "[fe80::1%eth0]:53"},
		{"::ffff:192.0.2.1", "192.0.2.1:53"},
		{"[192.0.2.1]:53", "192.0.2.1:53"},
		{"", "error: empty"},
		{"dns.example", "error: not by name"},
		{"dns.example:53", "error: not by name"},
		{"192.0.2", "error: not a valid IP address"},
		{"192.0.2.1:0", `error: port "0"`},
		{"192.0.2.1:70000", `error: port "70000"`},
		{"192.0.2.1:x", `error: port "x"`},
		{" 192.0.2.1", "error: white space"},
		{"[::1", "error: want an IP address"},
		{"::0%]0", `error: zone "]0"`}, // issue 10's fuzz finding
		{"[::%]0]:53", "error: want an IP address"},
		{"fe80::1%eth/0", `error: zone "eth/0"`},
		{"fe80::1%" + strings.Repeat("e", 16), "error: zone"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ap, err := ParseServer(tt.in)
			if msg, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "DNS server \""+tt.in+"\"") {
					t.Fatalf("got %v, %v; want an error naming %q that says %q", ap, err, tt.in, msg)
				}
				return
			}
			if err != nil || ap.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", ap, err, tt.want)
			}
		})
	}
	// NewAsync returns ParseServer's error for a bad server, unchanged.
	_, err := NewAsync(Config{Servers: []string{"192.0.2.1", "dns.example"}, HostsFile: "-", ResolvConf: "testdata/none"})
	_, want := ParseServer("dns.example")
	if err == nil || err.Error() != want.Error() {
		t.Errorf("got NewAsync error %v; want %v", err, want)
	}
}

// FuzzParseServer: never a panic, and what it accepts prints as an
// address that dials (host:port splits) and parses back to itself.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[::1]:5353", "fe80::1%eth0", "::0%]0", "[::%]0]:53", "::ffff:1.2.3.4", "1.2.3.4:65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParseServer(s)
		if err != nil {
			if !strings.Contains(err.Error(), "DNS server") {
				t.Fatalf("error %q does not say what it is about", err)
			}
			return
		}
		str := ap.String()
		if _, _, err := net.SplitHostPort(str); err != nil {
			t.Fatalf("ParseServer(%q) = %s, which does not split: %v", s, str, err)
		}
		again, err := ParseServer(str)
		if err != nil || again != ap {
			t.Fatalf("ParseServer(%q) = %s; parsed again: %v, %v", s, str, again, err)
		}
		if ap.Port() == 0 || !ap.Addr().IsValid() {
			t.Fatalf("ParseServer(%q) = %v: no port or address", s, ap)
		}
	})
}

// TestResolvConfBadZone: issue 10's fuzz finding, a nameserver whose zone
// holds ']': the line is skipped, never turned into a server address that
// no longer parses.
func TestResolvConfBadZone(t *testing.T) {
	c := parseResolvConf(bytes.NewReader([]byte("nameserver ::0%]0\nnameserver fe80::1%eth0\nnameserver ::1%a/b\nnameserver ::1\n")))
	if got := strings.Join(c.servers, " "); got != "[fe80::1%eth0]:53 [::1]:53" {
		t.Errorf("got servers %s; want [fe80::1%%eth0]:53 [::1]:53 (the bad zone skipped)", got)
	}
}

// TestNotFoundIsErrNoSuchHost: Pool and Async say "not found" alike.
func TestNotFoundIsErrNoSuchHost(t *testing.T) {
	srv := runLocalServer(t, nxdomainSOA, nil)
	async := newTestAsync(t, srv.addr)
	pool := NewPool(PoolConfig{Lookup: (&fakeSystem{}).lookup})
	pool4 := NewPool(PoolConfig{Family: V4, Lookup: (&fakeSystem{}).lookup})
	async6, err := NewAsync(Config{Servers: []string{srv.addr}, HostsFile: "testdata/hosts-case", ResolvConf: "testdata/none", Family: V6})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    Resolver
		host string
	}{
		{"async NXDOMAIN", async, "gone.example"},
		{"async hosts entry of the other family", async6, "alias.example"},
		{"pool NXDOMAIN", pool, "gone.example"},
		{"pool only the other family", pool4, "v6only.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.r.LookupHost(context.Background(), tt.host)
			var e *Error
			if !errors.Is(err, ErrNoSuchHost) || !errors.As(err, &e) || !e.IsNotFound || e.Name != tt.host {
				t.Errorf("got %v; want an *Error naming %q with errors.Is(err, ErrNoSuchHost)", err, tt.host)
			}
		})
	}
}
