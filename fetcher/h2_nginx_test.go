package fetcher

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestH2Versions checks what each HTTPVersion speaks to nginx: ALPN picks
// h2 by default, --http1.1 keeps HTTP/1.1, prior knowledge speaks h2c to
// the cleartext port, --http2 against a server without h2 is a tls error
// that says so, and prior knowledge against an HTTP/1.1 port a protocol
// error that says what the server answered.
func TestH2Versions(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{})
	plain := testserver.StartNginx(t, testserver.NginxOptions{TLS: true, Certs: ng.Certs, Files: testserver.SizedFiles(testserver.DefaultSizes...)})
	p := "/" + testserver.SizedPath(testserver.DefaultSizes[0])
	for _, tc := range []struct {
		name    string
		version HTTPVersion
		url     string
		proto   string
		kind    ErrorKind
		msg     string
	}{
		{"auto/https", HTTPVersionAuto, ng.TLSURL + p, "HTTP/2.0", KindNone, ""},
		{"auto/http", HTTPVersionAuto, ng.URL + p, "HTTP/1.1", KindNone, ""},
		{"auto/h1-only-server", HTTPVersionAuto, plain.TLSURL + p, "HTTP/1.1", KindNone, ""},
		{"1.1/https", HTTPVersion1, ng.TLSURL + p, "HTTP/1.1", KindNone, ""},
		{"2/https", HTTPVersion2, ng.TLSURL + p, "HTTP/2.0", KindNone, ""},
		{"2/h1-only-server", HTTPVersion2, plain.TLSURL + p, "", KindTLS, "server does not speak HTTP/2"},
		{"prior-knowledge/h2c", HTTPVersion2PriorKnowledge, ng.H2CURL + p, "HTTP/2.0", KindNone, ""},
		{"prior-knowledge/https", HTTPVersion2PriorKnowledge, ng.TLSURL + p, "HTTP/2.0", KindNone, ""},
		{"prior-knowledge/h1-only-server", HTTPVersion2PriorKnowledge, plain.URL + p, "", KindProtocol, `the server answered in HTTP/1 ("HTTP/1.1 400 Bad Request"), not HTTP/2`},
		{"redirect/https-to-http", HTTPVersionAuto, ng.TLSURL + testserver.ToHTTPPrefix + p[1:], "HTTP/1.1", KindNone, ""},
		{"redirect/http-to-https", HTTPVersionAuto, ng.URL + testserver.ToHTTPSPrefix + p[1:], "HTTP/2.0", KindNone, ""},
	} {
		for _, mode := range Modes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				cfg := Config{Timeout: testTimeout, HTTPVersion: tc.version, RootCAs: ng.CAPool}
				res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{tc.url})
				r := res[0]
				if r.ErrorKind != tc.kind || (tc.kind == KindNone && r.Status != 200) {
					t.Fatalf("got status %d, kind %v, error %s; want kind %v", r.Status, r.ErrorKind, errString(r), tc.kind)
				}
				if tc.msg != "" && !strings.Contains(errString(r), tc.msg) {
					t.Errorf("got error %s; want it to say %q", errString(r), tc.msg)
				}
				if r.Proto != tc.proto {
					t.Errorf("got proto %q; want %q", r.Proto, tc.proto)
				}
			})
		}
	}
}

// TestH2NginxLimits runs a list against nginx allowing 2 streams at once
// and 7 requests per connection (then GOAWAY): every fetch succeeds, the
// streams above the limit wait or go to a second connection, and the
// requests cut off by GOAWAY are sent again on new connections.
func TestH2NginxLimits(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{HTTP2MaxConcurrentStreams: 2, KeepaliveRequests: 7})
	var urls []string
	for i := range 60 {
		urls = append(urls, ng.TLSURL+"/"+testserver.SizedPath(testserver.DefaultSizes[i%8]))
	}
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := RunConfig{Config: Config{Timeout: testTimeout, RootCAs: ng.CAPool, HTTPVersion: HTTPVersion2}, Concurrency: 16, Hubs: 1}
			res, stats := runList(t, context.Background(), mode, cfg, urls)
			for _, r := range res {
				if !r.OK() || r.Proto != "HTTP/2.0" {
					t.Errorf("%s: got status %d, proto %q, error %s; want 200 over HTTP/2.0", r.URL, r.Status, r.Proto, errString(r))
				}
			}
			if stats.HTTP2Conns < int64(len(urls)/7) {
				t.Errorf("got %d connections for %d requests at 7 a connection; want at least %d", stats.HTTP2Conns, len(urls), len(urls)/7)
			}
		})
	}
	log := ng.WaitAccessLog(t, 3*len(urls))
	conns := map[uint64]int{}
	for _, e := range log {
		conns[e.Connection]++
		if e.ConnectionRequests > 7 {
			t.Errorf("access log: request %d on connection %d; want at most 7", e.ConnectionRequests, e.Connection)
		}
	}
	t.Logf("%d requests over %d connections", len(log), len(conns))
}

// TestH2NginxStreamWait has nginx allow one stream per connection: with
// 8 fetches at once, at most maxH2ConnsPerKey connections open and the
// other fetches wait for a stream, the wait counted as queue time; with
// PerHost 2, no more than 2 requests are in flight, so 2 connections do.
func TestH2NginxStreamWait(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{HTTP2MaxConcurrentStreams: 1})
	var urls []string
	for range 24 {
		urls = append(urls, ng.TLSURL+"/"+testserver.SizedPath(1<<20))
	}
	for _, perHost := range []int{0, 2} {
		t.Run(fmt.Sprintf("per-host=%d", perHost), func(t *testing.T) {
			cfg := RunConfig{Config: Config{Timeout: testTimeout, RootCAs: ng.CAPool}, Concurrency: 8, PerHost: perHost, Hubs: 1}
			res, stats := runList(t, context.Background(), ModeAsync, cfg, urls)
			queued := false
			for _, r := range res {
				if !r.OK() || r.Proto != "HTTP/2.0" {
					t.Errorf("%s: got status %d, proto %q, error %s", r.URL, r.Status, r.Proto, errString(r))
				}
				if r.Timings.Queue > 0 {
					queued = true
				}
			}
			if !queued {
				t.Errorf("no result counted queue time; want waits for a stream counted")
			}
			limit := int64(maxH2ConnsPerKey)
			if perHost > 0 {
				limit = int64(perHost)
			}
			if stats.HTTP2Conns > limit || stats.HTTP2Conns < 1 {
				t.Errorf("got %d connections; want 1 to %d", stats.HTTP2Conns, limit)
			}
		})
	}
}

// TestH2NoReuse checks that NoKeepAlive (no connection reuse)
// gives each HTTP/2 request a connection of its own.
func TestH2NoReuse(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{})
	u := ng.TLSURL + "/" + testserver.SizedPath(4096)
	cfg := RunConfig{Config: Config{Timeout: testTimeout, NoKeepAlive: true, RootCAs: ng.CAPool}, Concurrency: 2, Hubs: 1}
	res, stats := runList(t, context.Background(), ModeAsync, cfg, []string{u, u, u, u})
	for _, r := range res {
		if !r.OK() || r.Proto != "HTTP/2.0" {
			t.Errorf("%s: got status %d, proto %q, error %s", r.URL, r.Status, r.Proto, errString(r))
		}
	}
	if stats.HTTP2Conns != 4 {
		t.Errorf("got %d HTTP/2 connections for 4 requests without reuse; want 4", stats.HTTP2Conns)
	}
}

// TestH2Proxy fetches from nginx through a real tinyproxy: https URLs go
// through its CONNECT tunnel as HTTP/2 (ALPN over the tunnel), http URLs
// in HTTP/1.1's absolute form even with prior knowledge asked.
func TestH2Proxy(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{})
	_, tlsPort, _ := net.SplitHostPort(ng.TLSAddr)
	port, _ := strconv.Atoi(tlsPort)
	px := testserver.StartTinyproxy(t, testserver.ProxyOptions{ConnectPorts: []int{port}})
	p := "/" + testserver.SizedPath(4096)
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := RunConfig{Config: Config{Timeout: testTimeout, Proxy: px.URL, RootCAs: ng.CAPool, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 4, Hubs: 1}
			res, stats := runList(t, context.Background(), mode, cfg, []string{ng.TLSURL + p, ng.TLSURL + p, ng.TLSURL + p, ng.URL + p})
			for i, r := range res {
				want := "HTTP/2.0"
				if i == 3 {
					want = "HTTP/1.1"
				}
				if !r.OK() || r.Bytes != 4096 || r.Proto != want || r.Proxy != px.URL || r.RemoteAddr != px.Addr {
					t.Errorf("%s: got status %d, %d bytes, proto %q, proxy %q, remote %s, error %s; want 4096 bytes over %s via %s", r.URL, r.Status, r.Bytes, r.Proto, r.Proxy, r.RemoteAddr, errString(r), want, px.URL)
				}
			}
			if stats.HTTP2Conns != 1 || stats.HTTP2Streams != 3 {
				t.Errorf("got stats %+v; want the 3 https fetches as streams of 1 tunnelled connection", stats)
			}
		})
	}
}
