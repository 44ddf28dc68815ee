package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// h2Nginx starts nginx with HTTP/2 on its TLS port and an h2c port.
func h2Nginx(t *testing.T, opts testserver.NginxOptions) *testserver.Nginx {
	t.Helper()
	opts.TLS, opts.HTTP2 = true, true
	if opts.Files == nil {
		opts.Files = testserver.SizedFiles(testserver.DefaultSizes...)
	}
	return testserver.StartNginx(t, opts)
}

// TestH2Nginx fetches files of many sizes, a 404 and redirects from nginx
// over HTTP/2 (ALPN h2), with and without gzip, through every engine: the
// bodies are whole, the results say HTTP/2.0, and one connection per hub
// carries the streams.
func TestH2Nginx(t *testing.T) {
	files := testserver.SizedFiles(testserver.DefaultSizes...)
	ng := h2Nginx(t, testserver.NginxOptions{Files: files, Gzip: true})
	type want struct {
		status int
		body   []byte
	}
	var urls []string
	wants := map[string]want{}
	for _, size := range testserver.DefaultSizes {
		p := testserver.SizedPath(size)
		for _, u := range []string{ng.TLSURL + "/" + p, ng.TLSURL + testserver.RedirectPrefix + "302/" + p} {
			urls = append(urls, u)
			wants[u] = want{200, files[p]}
		}
	}
	urls = append(urls, ng.TLSURL+testserver.NotFoundPath)
	wants[ng.TLSURL+testserver.NotFoundPath] = want{status: 404}
	for _, compressed := range []bool{false, true} {
		for _, mode := range Modes {
			name := mode.String()
			if compressed {
				name += "/gzip"
			}
			t.Run(name, func(t *testing.T) {
				cfg := RunConfig{Config: Config{Timeout: testTimeout, Compressed: compressed, RootCAs: ng.CAPool}, Concurrency: 8, Hubs: 2, SHA256: true}
				res, stats := runList(t, context.Background(), mode, cfg, urls)
				for _, r := range res {
					w := wants[r.URL]
					if r.Err != nil || r.Status != w.status {
						t.Errorf("%s: got status %d, error %s; want %d, no error", r.URL, r.Status, errString(r), w.status)
						continue
					}
					if r.Proto != "HTTP/2.0" {
						t.Errorf("%s: got proto %q; want HTTP/2.0", r.URL, r.Proto)
					}
					if strings.Contains(r.URL, "/redirect/") && r.Redirects != 1 {
						t.Errorf("%s: got %d redirects; want 1", r.URL, r.Redirects)
					}
					if w.status != 200 {
						continue
					}
					if r.Bytes != int64(len(w.body)) || r.SHA256 != sha256Hex(w.body) {
						t.Errorf("%s: got %d bytes, sha256 %s; want %d bytes, %s", r.URL, r.Bytes, r.SHA256, len(w.body), sha256Hex(w.body))
					}
					if compressed && len(w.body) >= 64<<10 && r.WireBytes >= r.Bytes {
						t.Errorf("%s: got %d wire bytes for %d body bytes; want gzip to shrink it", r.URL, r.WireBytes, r.Bytes)
					}
					if r.Timings.TTFB <= 0 || r.Timings.TTFB > r.Timings.Total {
						t.Errorf("%s: got ttfb %v, total %v; want 0 < ttfb <= total", r.URL, r.Timings.TTFB, r.Timings.Total)
					}
				}
				if stats.HTTP2Conns == 0 || stats.HTTP2Conns > 2 || stats.HTTP1Conns != 0 {
					t.Errorf("got stats %+v; want 1 or 2 HTTP/2 connections (one per hub), no HTTP/1.1", stats)
				}
				if stats.HTTP2Streams != int64(len(urls)+len(testserver.DefaultSizes)) {
					t.Errorf("got %d streams; want %d (a stream per request, redirects too)", stats.HTTP2Streams, len(urls)+len(testserver.DefaultSizes))
				}
			})
		}
	}
}

// TestH2Versions checks what each HTTPVersion speaks to nginx: ALPN picks
// h2 by default, --http1.1 keeps HTTP/1.1, prior knowledge speaks h2c to
// the cleartext port, --http2 against a server without h2 is a tls error
// that says so, and prior knowledge against an HTTP/1.1 port a protocol
// error that says what the server answered.
func TestH2Versions(t *testing.T) {
	ng := h2Nginx(t, testserver.NginxOptions{})
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
	ng := h2Nginx(t, testserver.NginxOptions{HTTP2MaxConcurrentStreams: 2, KeepaliveRequests: 7})
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
	ng := h2Nginx(t, testserver.NginxOptions{HTTP2MaxConcurrentStreams: 1})
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

// TestH2Features checks that what works over HTTP/1.1 works over HTTP/2:
// retries of a 503, the body cap, saving with SHA-256, and HEAD.
func TestH2Features(t *testing.T) {
	ng := h2Nginx(t, testserver.NginxOptions{})
	big := ng.TLSURL + "/" + testserver.SizedPath(1<<20)
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			cfg := RunConfig{Config: Config{Timeout: testTimeout, Retries: 2, RootCAs: ng.CAPool}, SaveDir: dir, SHA256: true, Hubs: 1}
			res, stats := runList(t, context.Background(), mode, cfg, []string{ng.TLSURL + testserver.StatusPrefix + "503", big})
			if r := res[0]; r.Status != 503 || r.Retries != 2 || r.Proto != "HTTP/2.0" {
				t.Errorf("%s: got status %d, %d retries, proto %q; want 503 after 2 retries over HTTP/2.0", r.URL, r.Status, r.Retries, r.Proto)
			}
			r := res[1]
			body := testserver.SizedBody(1 << 20)
			if !r.OK() || r.SHA256 != sha256Hex(body) || !strings.HasPrefix(r.SavedAs, dir) {
				t.Fatalf("%s: got status %d, sha %s, saved as %q, error %s", r.URL, r.Status, r.SHA256, r.SavedAs, errString(r))
			}
			if saved, err := os.ReadFile(r.SavedAs); err != nil || !bytes.Equal(saved, body) {
				t.Errorf("saved file %s: %d bytes, error %v; want the body", r.SavedAs, len(saved), err)
			}
			if stats.HTTP2Streams != 4 || stats.Retries != 2 {
				t.Errorf("got stats %+v; want 4 streams, 2 retries", stats)
			}

			cfg = RunConfig{Config: Config{Timeout: testTimeout, MaxBody: 100 << 10, RootCAs: ng.CAPool}, Hubs: 1}
			res, _ = runList(t, context.Background(), mode, cfg, []string{big, big})
			for _, r := range res {
				if r.ErrorKind != KindTooLarge || r.Bytes != 100<<10 || !strings.HasSuffix(errString(r), "body larger than the limit of 102400 bytes") {
					t.Errorf("%s: got kind %v, %d bytes, error %s; want too_large at %d bytes, saying the limit", r.URL, r.ErrorKind, r.Bytes, errString(r), 100<<10)
				}
			}

			cfg = RunConfig{Config: Config{Timeout: testTimeout, Method: "HEAD", RootCAs: ng.CAPool}, Hubs: 1}
			res, _ = runList(t, context.Background(), mode, cfg, []string{big})
			if r := res[0]; !r.OK() || r.Bytes != 0 || r.Proto != "HTTP/2.0" {
				t.Errorf("HEAD %s: got status %d, %d bytes, proto %q, error %s; want 200, no body", r.URL, r.Status, r.Bytes, r.Proto, errString(r))
			}
		})
	}
}

// TestH2NoReuse checks that NoKeepAlive (no connection reuse)
// gives each HTTP/2 request a connection of its own.
func TestH2NoReuse(t *testing.T) {
	ng := h2Nginx(t, testserver.NginxOptions{})
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

// TestH2HostDataVerbose is TestNginxHostAndData over HTTP/2 (ALPN h2 and
// h2c): the Host override is the :authority nginx serves, -d and -X send
// their method, body and type; and Verbose and IncludeHeaders show the
// HTTP/2 exchange.
func TestH2HostDataVerbose(t *testing.T) {
	ng := h2Nginx(t, testserver.NginxOptions{
		ExtraServerConfig: `location = /echo { return 200 "$host $request_method $content_length $content_type $server_protocol\n"; }`})
	tests := []struct {
		name string
		cfg  Config
		want string // nginx's answer
	}{
		{"host override", Config{HeaderLines: []string{"Host: vhost.test"}}, "vhost.test GET   HTTP/2.0\n"},
		{"data", Config{Data: "a=1&b=22"}, "127.0.0.1 POST 8 application/x-www-form-urlencoded HTTP/2.0\n"},
		{"method and data", Config{Method: "PUT", Data: "{}", HeaderLines: []string{"Content-Type: application/json", "Host: api.test"}}, "api.test PUT 2 application/json HTTP/2.0\n"},
	}
	for _, base := range []string{ng.TLSURL, ng.H2CURL} {
		for _, tt := range tests {
			for _, mode := range Modes {
				t.Run(base[:5]+"/"+tt.name+"/"+mode.String(), func(t *testing.T) {
					var verbose bytes.Buffer
					cfg := RunConfig{Config: tt.cfg}
					cfg.Timeout, cfg.SHA256, cfg.CAFile, cfg.HTTPVersion = testTimeout, true, ng.CAFile, HTTPVersion2PriorKnowledge
					cfg.IncludeHeaders, cfg.Concurrency = true, 1
					if mode != ModeThreads {
						cfg.Verbose = &verbose
					}
					res, _ := runList(t, context.Background(), mode, cfg, []string{base + "/echo", base + "/echo"})
					for _, r := range res {
						if !r.OK() || r.SHA256 != sha256Hex([]byte(tt.want)) || r.Proto != "HTTP/2.0" || r.Headers.Get("Content-Type") == "" {
							t.Errorf("%s: got status %d, %d bytes, proto %q, headers %v, error %s; want 200 over HTTP/2.0 and %q", r.URL, r.Status, r.Bytes, r.Proto, r.Headers, errString(r), tt.want)
						}
					}
					if v := verbose.String(); mode != ModeThreads && (!strings.Contains(v, "> "+map[bool]string{true: "GET", false: "P"}[tt.cfg.Data == ""]) || !strings.Contains(v, " HTTP/2\n") || !strings.Contains(v, "< HTTP/2.0 200 OK\n")) {
						t.Errorf("verbose output %q; want the request and response heads of HTTP/2", v)
					}
				})
			}
		}
	}
}

// TestH2Proxy fetches from nginx through a real tinyproxy: https URLs go
// through its CONNECT tunnel as HTTP/2 (ALPN over the tunnel), http URLs
// in HTTP/1.1's absolute form even with prior knowledge asked.
func TestH2Proxy(t *testing.T) {
	ng := h2Nginx(t, testserver.NginxOptions{})
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
