package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// The tests of this package never inherit the developer's proxies (a
// Config without Proxy reads them, and, as curl, proxies loopback too);
// the tests of the environment set their own with t.Setenv.
func init() {
	for _, k := range []string{"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"} {
		os.Unsetenv(k)
	}
}

// TestProxyEnv reads the environment as curl does and chooses proxies by
// NO_PROXY's rules (x/net's matcher, bridged for loopback hosts, which
// curl proxies and x/net never does).
func TestProxyEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		proxy    string // Config.Proxy
		noProxy  string // Config.NoProxy
		noEnv    bool
		url      string
		want     string // display of the chosen proxy, "" for direct
		wantFail string // NewClient error
	}{
		{"none", nil, "", "", false, "http://example.com/", "", ""},
		{"http_proxy", map[string]string{"http_proxy": "http://p:3128"}, "", "", false, "http://example.com/", "http://p:3128", ""},
		{"http_proxy not for https", map[string]string{"http_proxy": "http://p:3128"}, "", "", false, "https://example.com/", "", ""},
		{"HTTP_PROXY uppercase ignored", map[string]string{"HTTP_PROXY": "http://p:3128"}, "", "", false, "http://example.com/", "", ""},
		{"HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "http://p:3128"}, "", "", false, "https://example.com/", "http://p:3128", ""},
		{"https_proxy wins", map[string]string{"HTTPS_PROXY": "http://P:1", "https_proxy": "http://p:2"}, "", "", false, "https://example.com/", "http://p:2", ""},
		{"ALL_PROXY", map[string]string{"ALL_PROXY": "socks5h://s:1080"}, "", "", false, "https://example.com/", "socks5h://s:1080", ""},
		{"all_proxy for http", map[string]string{"all_proxy": "socks5://s"}, "", "", false, "http://example.com/", "socks5://s:1080", ""},
		{"scheme own beats all", map[string]string{"all_proxy": "socks5://s", "http_proxy": "p:8080"}, "", "", false, "http://example.com/", "http://p:8080", ""},
		{"no scheme is http", map[string]string{"http_proxy": "p"}, "", "", false, "http://example.com/", "http://p:80", ""},
		{"no_proxy suffix", map[string]string{"http_proxy": "p:1", "no_proxy": "example.com"}, "", "", false, "http://www.example.com/", "", ""},
		{"no_proxy dot suffix", map[string]string{"http_proxy": "p:1", "NO_PROXY": ".example.com"}, "", "", false, "http://www.example.com/", "", ""},
		{"no_proxy other", map[string]string{"http_proxy": "p:1", "no_proxy": "example.org"}, "", "", false, "http://example.com/", "http://p:1", ""},
		{"no_proxy not a substring", map[string]string{"http_proxy": "p:1", "no_proxy": "ample.com"}, "", "", false, "http://example.com/", "http://p:1", ""},
		{"no_proxy star", map[string]string{"http_proxy": "p:1", "no_proxy": "*"}, "", "", false, "http://example.com/", "", ""},
		{"no_proxy ip", map[string]string{"http_proxy": "p:1", "no_proxy": "192.0.2.7"}, "", "", false, "http://192.0.2.7/", "", ""},
		{"no_proxy cidr", map[string]string{"http_proxy": "p:1", "no_proxy": "192.0.2.0/24"}, "", "", false, "http://192.0.2.99:8080/", "", ""},
		{"no_proxy port match", map[string]string{"http_proxy": "p:1", "no_proxy": "example.com:8080"}, "", "", false, "http://example.com:8080/", "", ""},
		{"no_proxy port other", map[string]string{"http_proxy": "p:1", "no_proxy": "example.com:8080"}, "", "", false, "http://example.com/", "http://p:1", ""},
		{"loopback proxied as curl", map[string]string{"http_proxy": "p:1"}, "", "", false, "http://127.0.0.1:8080/", "http://p:1", ""},
		{"localhost proxied as curl", map[string]string{"http_proxy": "p:1"}, "", "", false, "http://localhost/", "http://p:1", ""},
		{"loopback in no_proxy", map[string]string{"http_proxy": "p:1", "no_proxy": "localhost,127.0.0.1"}, "", "", false, "http://127.0.0.1:8080/", "", ""},
		{"loopback cidr in no_proxy", map[string]string{"http_proxy": "p:1", "no_proxy": "127.0.0.0/8"}, "", "", false, "http://127.1.2.3/", "", ""},
		{"localhost in no_proxy", map[string]string{"http_proxy": "p:1", "no_proxy": "localhost"}, "", "", false, "http://localhost:99/", "", ""},
		{"::1 in no_proxy", map[string]string{"http_proxy": "p:1", "no_proxy": "::1"}, "", "", false, "http://[::1]:99/", "", ""},
		{"explicit beats env", map[string]string{"http_proxy": "p:1"}, "http://q:2", "", false, "http://example.com/", "http://q:2", ""},
		{"explicit for both schemes", nil, "https://user:pw@q:2", "", false, "https://example.com/", "https://q:2", ""},
		{"explicit ignores env no_proxy", map[string]string{"no_proxy": "*"}, "q:2", "", false, "http://example.com/", "http://q:2", ""},
		{"--noproxy list", nil, "q:2", "example.com", false, "http://a.example.com/", "", ""},
		{"--noproxy star", nil, "q:2", "*", false, "http://example.com/", "", ""},
		{"--noproxy over env", map[string]string{"http_proxy": "p:1", "no_proxy": "example.com"}, "", "other.org", false, "http://example.com/", "http://p:1", ""},
		{"--proxy empty", map[string]string{"http_proxy": "p:1"}, "", "", true, "http://example.com/", "", ""},
		{"bad scheme", nil, "socks4://q:1", "", false, "", "", "proxy scheme \"socks4\" not supported"},
		{"bad env", map[string]string{"https_proxy": "ftp://q"}, "", "", false, "", "", "https_proxy"},
		{"bad port", nil, "http://q:99999", "", false, "", "", "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			ch, err := newProxyChooser(tt.proxy, tt.noProxy, tt.noEnv, getenv)
			if tt.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
					t.Fatalf("got error %v; want one saying %q", err, tt.wantFail)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(tt.url)
			got := ""
			if p := ch.choose(u); p != nil {
				got = p.display
			}
			if got != tt.want {
				t.Errorf("%s: got proxy %q; want %q", tt.url, got, tt.want)
			}
		})
	}
}

// proxyResults fetches urls through cfg in every engine.
func forEachMode(t *testing.T, fn func(t *testing.T, mode Mode)) {
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) { fn(t, mode) })
	}
}

// tlsOrigin starts an in-process HTTPS origin answering "hello" and returns
// its URL, its port and a pool trusting it.
func tlsOrigin(t *testing.T) (string, int, *x509.CertPool) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/hello", http.StatusFound)
			return
		}
		io.WriteString(w, "hello")
	}))
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return ts.URL, ts.Listener.Addr().(*net.TCPAddr).Port, pool
}

// checkProxied checks results fetched through proxyURL: all OK, with the
// proxy named, the credentials nowhere in the JSON.
func checkProxied(t *testing.T, res []Result, want int64, proxyDisplay, secret string) {
	t.Helper()
	for _, r := range res {
		if !r.OK() || r.Bytes != want || r.Proxy != proxyDisplay {
			t.Errorf("%s: got ok=%v %d bytes via %q, error %s; want ok, %d bytes via %s", r.URL, r.OK(), r.Bytes, r.Proxy, errString(r), want, proxyDisplay)
		}
		b, _ := json.Marshal(r)
		if secret != "" && strings.Contains(string(b), secret) {
			t.Errorf("result JSON shows the proxy password: %s", b)
		}
		if !strings.Contains(string(b), `"proxy":"`+proxyDisplay+`"`) {
			t.Errorf("result JSON lacks the proxy: %s", b)
		}
	}
}

// TestTinyproxy fetches http URLs (absolute form) and https URLs
// (CONNECT) through a real tinyproxy, with and without Basic auth, in every
// engine, with redirects and keep-alive.
func TestTinyproxy(t *testing.T) {
	s := startServe(t)
	httpURL := s.URL()
	tlsURL, tlsPort, pool := tlsOrigin(t)
	for _, auth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", auth), func(t *testing.T) {
			opts := testserver.ProxyOptions{ConnectPorts: []int{tlsPort}}
			proxyURL := ""
			if auth {
				opts.User, opts.Password = "alice", "s3cret-pw"
			}
			px := testserver.StartTinyproxy(t, opts)
			proxyURL = px.URL
			if auth {
				proxyURL = "http://alice:s3cret-pw@" + px.Addr
			}
			forEachMode(t, func(t *testing.T, mode Mode) {
				cfg := RunConfig{Config: Config{Timeout: testTimeout, Proxy: proxyURL, RootCAs: pool}, Concurrency: 2}
				urls := []string{httpURL + "/size/10", httpURL + "/redirect/1/size/10", httpURL + "/size/10", tlsURL + "/hello", tlsURL + "/redirect", tlsURL + "/hello"}
				res, stats := runList(t, context.Background(), mode, cfg, urls)
				checkProxied(t, res[:3], 10, "http://"+px.Addr, "s3cret-pw")
				checkProxied(t, res[3:], 5, "http://"+px.Addr, "s3cret-pw")
				if res[1].Redirects != 1 || res[4].Redirects != 1 {
					t.Errorf("got %d and %d redirects; want 1 each", res[1].Redirects, res[4].Redirects)
				}
				if stats.Reused == 0 {
					t.Errorf("got stats %+v; want some requests on kept-alive proxy connections", stats)
				}
				for _, r := range res {
					if r.RemoteAddr != px.Addr {
						t.Errorf("%s: remote %s; want the proxy's address", r.URL, r.RemoteAddr)
					}
				}
				if res[0].Timings.Connect <= 0 || res[3].Timings.Connect <= 0 || res[3].Timings.TLS <= 0 {
					t.Errorf("got connect %v, %v, TLS %v; want the first fetch of each scheme to time its connect (and TLS over the tunnel)", res[0].Timings.Connect, res[3].Timings.Connect, res[3].Timings.TLS)
				}
			})
			t.Run("retries", func(t *testing.T) {
				cfg := Config{Timeout: testTimeout, Proxy: proxyURL, RootCAs: pool, Retries: 2}
				res, stats := runList(t, context.Background(), ModeAsync, RunConfig{Config: cfg}, []string{httpURL + "/status/503/size/1"})
				if r := res[0]; r.Status != 503 || r.Retries != 2 || r.Proxy != "http://"+px.Addr || stats.Requests < 3 {
					t.Errorf("got status %d after %d retries via %q, %d requests; want 503 after 2 retries via the proxy", r.Status, r.Retries, r.Proxy, stats.Requests)
				}
			})
			if auth {
				t.Run("no credentials", func(t *testing.T) {
					res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Proxy: px.URL, RootCAs: pool}}, []string{tlsURL + "/hello", httpURL + "/size/1"})
					if r := res[0]; r.ErrorKind != KindProxy || !strings.Contains(errString(r), "407") {
						t.Errorf("CONNECT without credentials: got %v %q; want proxy kind with the 407 status line", r.ErrorKind, errString(r))
					}
					if r := res[1]; r.Status != 407 || r.ErrorKind != KindProxy || !strings.Contains(errString(r), "proxy http://"+px.Addr+` answered GET `+httpURL+`/size/1 with "HTTP/1.`) || !strings.Contains(errString(r), " 407 ") || !strings.Contains(errString(r), "wants credentials") {
						t.Errorf("absolute-form request without credentials: got status %d, %v %q; want the proxy's 407, a proxy error naming the proxy and asking for credentials", r.Status, r.ErrorKind, errString(r))
					}
				})
				t.Run("wrong password", func(t *testing.T) {
					res, _ := runList(t, context.Background(), ModeThreads, RunConfig{Config: Config{Timeout: testTimeout, Proxy: "http://alice:wrong-pw@" + px.Addr, RootCAs: pool}}, []string{tlsURL + "/hello"})
					r := res[0]
					if r.ErrorKind != KindProxy || !strings.Contains(errString(r), "HTTP/1.") || strings.Contains(errString(r), "wrong-pw") {
						t.Errorf("got %v %q; want proxy kind with the status line and no password", r.ErrorKind, errString(r))
					}
				})
			}
		})
	}
}

// TestMicrosocks fetches through a real SOCKS5 proxy, with local DNS
// (socks5://) and proxy-side DNS (socks5h://), with and without RFC 1929
// credentials.
func TestMicrosocks(t *testing.T) {
	s := startServe(t)
	_, port, _ := net.SplitHostPort(s.Addr().String())
	tlsURL, _, pool := tlsOrigin(t)
	for _, auth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", auth), func(t *testing.T) {
			opts := testserver.ProxyOptions{}
			if auth {
				opts.User, opts.Password = "bob", "s0cks-pw"
			}
			px := testserver.StartMicrosocks(t, opts)
			for _, scheme := range []string{"socks5", "socks5h"} {
				proxyURL := scheme + "://" + px.Addr
				if auth {
					proxyURL = scheme + "://bob:s0cks-pw@" + px.Addr
				}
				t.Run(scheme, func(t *testing.T) {
					forEachMode(t, func(t *testing.T, mode Mode) {
						cfg := Config{Timeout: testTimeout, Proxy: proxyURL, RootCAs: pool}
						res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{"http://127.0.0.1:" + port + "/size/7", tlsURL + "/hello"})
						checkProxied(t, res[:1], 7, scheme+"://"+px.Addr, "s0cks-pw")
						checkProxied(t, res[1:], 5, scheme+"://"+px.Addr, "s0cks-pw")
					})
				})
			}
			if auth {
				res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Proxy: "socks5://bob:bad-pw@" + px.Addr}}, []string{s.URL() + "/size/1"})
				if r := res[0]; r.ErrorKind != KindProxy || strings.Contains(errString(r), "bad-pw") {
					t.Errorf("wrong SOCKS5 password: got %v %q; want proxy kind, no password", r.ErrorKind, errString(r))
				}
			}
		})
	}
}

// TestHostileProxies: a proxy that cannot be reached is connect; one that
// closes, answers 407 or 502, or stalls ends the fetch with a clear error
// within its timeout.
func TestHostileProxies(t *testing.T) {
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	var sawAuth atomic.Bool
	status := func(line string) func(net.Conn, <-chan struct{}) {
		return func(c net.Conn, done <-chan struct{}) {
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if req.Header.Get("Proxy-Authorization") != "" {
				sawAuth.Store(true)
			}
			io.WriteString(c, "HTTP/1.1 "+line+"\r\nContent-Length: 0\r\n\r\n")
		}
	}
	closes := startHostile(t, func(c net.Conn, done <-chan struct{}) { readHead(bufio.NewReader(c)) })
	stalls := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		<-done
	})
	p407 := startHostile(t, status("407 Proxy Authentication Required"))
	p502 := startHostile(t, status("502 Bad Gateway"))
	p403 := startHostile(t, status("403 Forbidden"))
	socksCloses := startHostile(t, func(c net.Conn, done <-chan struct{}) { c.Read(make([]byte, 16)) })
	host := func(s *hostileServer) string { return s.ln.Addr().String() }
	tests := []struct {
		name, proxy string
		timeout     time.Duration
		wantKind    ErrorKind
		wantMsg     string
	}{
		{"unreachable", "http://" + closed, 0, KindConnect, "proxy http://" + closed},
		{"closes", "http://" + host(closes), 0, KindProxy, "closed the connection before answering CONNECT"},
		{"stalls", "http://" + host(stalls), 300 * time.Millisecond, KindTimeout, "did not answer CONNECT"},
		{"407", "http://u:pw-secret@" + host(p407), 0, KindProxy, `"HTTP/1.1 407 Proxy Authentication Required"`},
		{"502", "http://" + host(p502), 0, KindProxy, "502 Bad Gateway"},
		{"403", "http://" + host(p403), 0, KindProxy, "403 Forbidden"},
		{"socks closes", "socks5h://" + host(socksCloses), 0, KindProxy, "closed the connection"},
		{"socks unreachable", "socks5://" + closed, 0, KindConnect, "connection refused"},
	}
	for _, tt := range tests {
		forEachMode(t, func(t *testing.T, mode Mode) {
			t.Run(tt.name, func(t *testing.T) {
				cfg := Config{Timeout: testTimeout, Proxy: tt.proxy, ConnectTimeout: tt.timeout}
				t0 := time.Now()
				res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{"https://origin.test/"})
				r := res[0]
				if r.ErrorKind != tt.wantKind || !strings.Contains(errString(r), tt.wantMsg) {
					t.Errorf("got %v %q; want %v saying %q", r.ErrorKind, errString(r), tt.wantKind, tt.wantMsg)
				}
				if strings.Contains(errString(r), "pw-secret") {
					t.Errorf("error %q shows the proxy password", errString(r))
				}
				if el := time.Since(t0); el >= testTimeout {
					t.Errorf("took %v; want an end within the connect timeout", el)
				}
			})
		})
	}
	if !sawAuth.Load() {
		t.Error("the 407 proxy never saw Proxy-Authorization")
	}
}

// TestProxyFromEnvironmentRun fetches through a proxy named by http_proxy,
// and directly when no_proxy names the origin.
func TestProxyFromEnvironmentRun(t *testing.T) {
	s := startServe(t)
	var seen atomic.Int64
	px := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			seen.Add(1)
			if !req.URL.IsAbs() {
				io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	t.Setenv("http_proxy", "http://"+px.ln.Addr().String())
	t.Setenv("no_proxy", "")
	res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}}, []string{s.URL() + "/size/5"})
	if r := res[0]; !r.OK() || r.Bytes != 2 || seen.Load() != 1 {
		t.Errorf("via http_proxy: got ok=%v %d bytes %q, proxy saw %d; want the proxy's 2 bytes", r.OK(), r.Bytes, errString(r), seen.Load())
	}
	t.Setenv("no_proxy", "127.0.0.1")
	res, _ = runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}}, []string{s.URL() + "/size/5"})
	if r := res[0]; !r.OK() || r.Bytes != 5 || r.Proxy != "" {
		t.Errorf("with no_proxy: got ok=%v %d bytes via %q; want 5 bytes direct", r.OK(), r.Bytes, r.Proxy)
	}
	res, _ = runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, NoEnvProxy: true, NoProxy: ""}}, []string{s.URL() + "/size/5"})
	if r := res[0]; !r.OK() || r.Bytes != 5 || r.Proxy != "" {
		t.Errorf("with NoEnvProxy: got ok=%v %d bytes via %q; want 5 bytes direct", r.OK(), r.Bytes, r.Proxy)
	}
}

// TestSOCKSNames checks who resolves the origin's name: socks5:// sends
// the address looked up here, socks5h:// sends the name.
func TestSOCKSNames(t *testing.T) {
	got := make(chan []byte, 4)
	fake := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		var greet [2]byte
		if _, err := io.ReadFull(br, greet[:]); err != nil {
			return
		}
		io.ReadFull(br, make([]byte, greet[1]))
		c.Write([]byte{5, 0}) // no authentication
		var req [4]byte
		if _, err := io.ReadFull(br, req[:]); err != nil {
			return
		}
		var addr []byte
		switch req[3] {
		case 1:
			addr = make([]byte, 4)
		case 4:
			addr = make([]byte, 16)
		case 3:
			n, _ := br.ReadByte()
			addr = make([]byte, n)
		}
		io.ReadFull(br, addr)
		got <- append([]byte{req[3]}, addr...)
		c.Write([]byte{5, 4, 0, 1, 0, 0, 0, 0, 0, 0}) // host unreachable
	})
	res := staticResolver{"origin.test": {netip.MustParseAddr("192.0.2.10")}}
	for _, tt := range []struct {
		scheme string
		want   []byte
	}{
		{"socks5", []byte{1, 192, 0, 2, 10}},
		{"socks5h", append([]byte{3}, "origin.test"...)},
	} {
		r, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Resolver: res, Proxy: tt.scheme + "://" + fake.ln.Addr().String()}}, []string{"http://origin.test/"})
		if r[0].ErrorKind != KindProxy || !strings.Contains(errString(r[0]), "unreachable") {
			t.Errorf("%s: got %v %q; want proxy kind saying the host is unreachable", tt.scheme, r[0].ErrorKind, errString(r[0]))
		}
		select {
		case b := <-got:
			if string(b) != string(tt.want) {
				t.Errorf("%s: proxy was asked for %v; want %v", tt.scheme, b, tt.want)
			}
		case <-time.After(testTimeout):
			t.Fatalf("%s: the fake proxy got no request", tt.scheme)
		}
	}
}

// startTLSProxy runs an HTTPS proxy in-process (tinyproxy speaks no TLS
// to its clients): TLS with httptest's certificate, then CONNECT tunnels
// and absolute-form requests, demanding Basic credentials when auth is set.
func startTLSProxy(t *testing.T, auth string) (addr string, pool *x509.CertPool) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	certs := ts.TLS.Certificates
	pool = x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ts.Close()
	srv := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		tc := tls.Server(c, &tls.Config{Certificates: certs})
		br := bufio.NewReader(tc)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if auth != "" && req.Header.Get("Proxy-Authorization") != auth {
			io.WriteString(tc, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
			return
		}
		if req.Method != "CONNECT" {
			req.RequestURI = ""
			req.Header.Del("Proxy-Authorization")
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				io.WriteString(tc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
				return
			}
			defer resp.Body.Close()
			resp.Close = true
			resp.Write(tc)
			return
		}
		up, err := net.Dial("tcp", req.Host)
		if err != nil {
			io.WriteString(tc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		io.WriteString(tc, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite() }()
		io.Copy(tc, up)
	})
	return srv.ln.Addr().String(), pool
}

// TestHTTPSProxy fetches http and https URLs through a proxy spoken to
// over TLS, with credentials.
func TestHTTPSProxy(t *testing.T) {
	s := startServe(t)
	tlsURL, _, originPool := tlsOrigin(t)
	// httptest's servers share one certificate: originPool trusts the proxy too.
	addr, _ := startTLSProxy(t, "Basic ZGF2ZTp0bHMtcHc=") // dave:tls-pw
	forEachMode(t, func(t *testing.T, mode Mode) {
		cfg := Config{Timeout: testTimeout, Proxy: "https://dave:tls-pw@" + addr, RootCAs: originPool}
		res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{s.URL() + "/size/6", tlsURL + "/hello"})
		checkProxied(t, res[:1], 6, "https://"+addr, "tls-pw")
		checkProxied(t, res[1:], 5, "https://"+addr, "tls-pw")
		if res[0].Timings.TLS <= 0 {
			t.Errorf("http URL via an https proxy: TLS time %v; want the handshake with the proxy timed", res[0].Timings.TLS)
		}
		res, _ = runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout, Proxy: "https://dave:wrong@" + addr, RootCAs: originPool}}, []string{tlsURL + "/hello"})
		if r := res[0]; r.ErrorKind != KindProxy || !strings.Contains(errString(r), "407") {
			t.Errorf("wrong credentials: got %v %q; want proxy with the 407", r.ErrorKind, errString(r))
		}
		res, _ = runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout, Proxy: "https://" + addr, RootCAs: x509.NewCertPool()}}, []string{tlsURL + "/hello"})
		if r := res[0]; r.ErrorKind != KindTLS || !strings.Contains(errString(r), "TLS to proxy https://"+addr) {
			t.Errorf("untrusted proxy certificate: got %v %q; want tls naming the proxy", r.ErrorKind, errString(r))
		}
	})
}
