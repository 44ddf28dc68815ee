package fetcher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestNginx fetches files of many sizes (plain and chunked), redirects to
// them and a 404 from a real nginx, with and without gzip, through every
// engine, over HTTP/1.1 and HTTP/2: the bodies are whole, the results name
// the protocol, and connections serve many requests (HTTP/1.1 kept alive;
// HTTP/2 one connection per hub for every stream).
func TestNginx(t *testing.T) {
	files := testserver.SizedFiles(testserver.DefaultSizes...)
	ng := nginxAll(t, testserver.NginxOptions{Files: files, Gzip: true})
	run(t, func(t *testing.T, p testProto) {
		base := p.url(ng)
		type want struct {
			status int
			body   []byte
		}
		var urls []string
		wants := map[string]want{}
		for _, size := range testserver.DefaultSizes {
			sp := testserver.SizedPath(size)
			for _, u := range []string{base + "/" + sp, base + testserver.ChunkedPrefix + sp, base + testserver.RedirectPrefix + "302/" + sp} {
				urls = append(urls, u)
				wants[u] = want{200, files[sp]}
			}
		}
		urls = append(urls, base+testserver.NotFoundPath)
		wants[base+testserver.NotFoundPath] = want{status: 404}
		redirects := len(testserver.DefaultSizes)
		for _, compressed := range []bool{false, true} {
			for _, mode := range Modes {
				name := mode.String()
				if compressed {
					name += "/gzip"
				}
				t.Run(name, func(t *testing.T) {
					cfg := RunConfig{Config: Config{Timeout: testTimeout, Compressed: compressed}, Concurrency: 8, Hubs: 2, SHA256: true}
					p.config(&cfg.Config, ng)
					res, stats := runList(t, context.Background(), mode, cfg, urls)
					for _, r := range res {
						w := wants[r.URL]
						if r.Err != nil || r.Status != w.status {
							t.Errorf("%s: got status %d, error %s; want %d, no error", r.URL, r.Status, errString(r), w.status)
							continue
						}
						if r.Proto != p.resultProto() {
							t.Errorf("%s: got proto %q; want %s", r.URL, r.Proto, p.resultProto())
						}
						if strings.Contains(r.URL, testserver.RedirectPrefix) && r.Redirects != 1 {
							t.Errorf("%s: got %d redirects; want 1", r.URL, r.Redirects)
						}
						if w.status != 200 {
							if r.OK() {
								t.Errorf("%s: got OK() = true for status %d; want false", r.URL, r.Status)
							}
							continue
						}
						if r.Bytes != int64(len(w.body)) || r.SHA256 != sha256Hex(w.body) {
							t.Errorf("%s: got %d bytes, sha256 %s; want %d bytes, %s", r.URL, r.Bytes, r.SHA256, len(w.body), sha256Hex(w.body))
						}
						if compressed && len(w.body) >= 64<<10 && r.WireBytes >= r.Bytes {
							t.Errorf("%s: got %d wire bytes for %d body bytes; want gzip to shrink it", r.URL, r.WireBytes, r.Bytes)
						}
						if !compressed && r.WireBytes <= r.Bytes {
							t.Errorf("%s: got %d wire bytes for %d body bytes; want more (the head)", r.URL, r.WireBytes, r.Bytes)
						}
						if r.Timings.TTFB <= 0 || r.Timings.TTFB > r.Timings.Total {
							t.Errorf("%s: got ttfb %v, total %v; want 0 < ttfb <= total", r.URL, r.Timings.TTFB, r.Timings.Total)
						}
					}
					switch {
					case p.h2() && (stats.HTTP2Conns == 0 || stats.HTTP2Conns > 2 || stats.HTTP1Conns != 0):
						t.Errorf("got stats %+v; want 1 or 2 HTTP/2 connections (one per hub), no HTTP/1.1", stats)
					case p.h2() && stats.HTTP2Streams != int64(len(urls)+redirects):
						t.Errorf("got %d streams; want %d (a stream per request, redirects too)", stats.HTTP2Streams, len(urls)+redirects)
					case !p.h2() && (stats.Reused == 0 || stats.HTTP2Conns != 0):
						t.Errorf("got stats %+v; want kept-alive HTTP/1.1 connections reused", stats)
					}
				})
			}
		}
	}, bothProtos)
}

// TestNginxKeepaliveClosed has nginx close every connection after 3
// requests, under a client that keeps them: every fetch still succeeds, on
// fresh connections when needed, and the access log shows reuse up to 3.
func TestNginxKeepaliveClosed(t *testing.T) {
	files := testserver.SizedFiles(100)
	ng := testserver.StartNginx(t, testserver.NginxOptions{Files: files, KeepaliveRequests: 3})
	const n = 20
	var urls []string
	for i := 0; i < n; i++ {
		urls = append(urls, ng.URL+"/"+testserver.SizedPath(100))
	}
	for _, mode := range []Mode{ModeSync, ModeAsync} {
		t.Run(mode.String(), func(t *testing.T) {
			res, stats := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 1}, urls)
			for _, r := range res {
				if !r.OK() || r.Bytes != 100 {
					t.Errorf("%s: got status %d, %d bytes, error %s; want 200, 100 bytes", r.URL, r.Status, r.Bytes, errString(r))
				}
			}
			if stats.Conns < n/3 || stats.Reused == 0 {
				t.Errorf("got %d conns, %d reused for %d requests with keepalive_requests 3; want ≥ %d conns and some reuse", stats.Conns, stats.Reused, n, n/3)
			}
		})
	}
	log := ng.WaitAccessLog(t, 2*n)
	maxReq := 0
	for _, e := range log {
		maxReq = max(maxReq, e.ConnectionRequests)
	}
	if maxReq != 3 {
		t.Errorf("got at most %d requests on one connection; want 3", maxReq)
	}
}

// TestNginxTLS fetches over HTTPS with the test CA, and checks that each
// bad certificate fails as tls with its reason.
func TestNginxTLS(t *testing.T) {
	files := testserver.SizedFiles(4096)
	ng := testserver.StartNginx(t, testserver.NginxOptions{Files: files, TLS: true})
	p := "/" + testserver.SizedPath(4096)
	tests := []struct {
		name     string
		url      string
		cfg      Config
		wantKind ErrorKind
		wantMsg  string
	}{
		{"ca file", ng.TLSURL + p, Config{CAFile: ng.CAFile}, KindNone, ""},
		{"root pool", ng.TLSURL + p, Config{RootCAs: ng.CAPool}, KindNone, ""},
		{"system roots", ng.TLSURL + p, Config{}, KindTLS, "unknown authority"},
		{"expired", ng.ExpiredURL + "/", Config{CAFile: ng.CAFile}, KindTLS, "expired"},
		{"wrong name", ng.WrongNameURL + "/", Config{CAFile: ng.CAFile}, KindTLS, "name mismatch"},
		{"untrusted", ng.UntrustedURL + "/", Config{CAFile: ng.CAFile}, KindTLS, "unknown authority"},
		{"insecure", ng.UntrustedURL + p, Config{Insecure: true}, KindNone, ""},
		{"plain HTTP port", strings.Replace(ng.URL, "http:", "https:", 1) + p, Config{Insecure: true}, KindTLS, "plain HTTP"},
		{"to https", ng.URL + testserver.ToHTTPSPrefix + testserver.SizedPath(4096), Config{CAFile: ng.CAFile}, KindNone, ""},
	}
	for _, tt := range tests {
		for _, mode := range []Mode{ModeThreads, ModeAsync} {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				tt.cfg.Timeout = testTimeout
				res, _ := runList(t, context.Background(), mode, RunConfig{Config: tt.cfg}, []string{tt.url})
				r := res[0]
				if r.ErrorKind != tt.wantKind || (tt.wantMsg != "" && !strings.Contains(errString(r), tt.wantMsg)) {
					t.Fatalf("%s: got %v %q; want %v saying %q", tt.url, r.ErrorKind, errString(r), tt.wantKind, tt.wantMsg)
				}
				if tt.wantKind == KindNone && (r.Bytes != 4096 || r.Timings.TLS <= 0 || !strings.HasPrefix(r.FinalURL, "https://")) {
					t.Errorf("%s: got %d bytes, TLS time %v, final %s; want 4096 bytes over TLS", tt.url, r.Bytes, r.Timings.TLS, r.FinalURL)
				}
			})
		}
	}
	t.Run("resumption", func(t *testing.T) {
		// No keep-alive: every fetch dials, and all but the first resume.
		urls := []string{ng.TLSURL + p, ng.TLSURL + p, ng.TLSURL + p, ng.TLSURL + p}
		for _, mode := range []Mode{ModeSync, ModeThreads} {
			_, stats := runList(t, context.Background(), mode, RunConfig{Config: Config{CAFile: ng.CAFile, NoKeepAlive: true}, Concurrency: 1}, urls)
			if stats.Conns != 4 || stats.Resumed != 3 {
				t.Errorf("%v: got %d conns, %d resumed; want 4 conns, 3 resumed", mode, stats.Conns, stats.Resumed)
			}
		}
	})
}

// TestNginxHostAndData: against a real nginx, over HTTP/1.1 and HTTP/2,
// in the clear and over TLS, "Host: vhost" is the host nginx serves
// ($host, HTTP/2's :authority) while the connection goes to the URL's
// address, -d and -X send the method, length and type nginx reads (in its
// answer and its access log), in every engine; Verbose shows the heads of
// the protocol spoken and IncludeHeaders keeps the answer's.
func TestNginxHostAndData(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{
		ExtraServerConfig: `location = /echo { return 200 "$host $request_method $content_length $content_type $server_protocol\n"; }`})
	tests := []struct {
		name string
		cfg  Config
		want string // nginx's answer, but its protocol
	}{
		{"host override", Config{HeaderLines: []string{"Host: vhost.test"}}, "vhost.test GET   "},
		{"data", Config{Data: "a=1&b=22"}, "127.0.0.1 POST 8 application/x-www-form-urlencoded "},
		{"method and data", Config{Method: "PUT", Data: "{}", HeaderLines: []string{"Content-Type: application/json", "Host: api.test"}}, "api.test PUT 2 application/json "},
	}
	run(t, func(t *testing.T, p testProto) {
		base := p.url(ng)
		for _, tt := range tests {
			want := tt.want + p.resultProto() + "\n"
			for _, mode := range Modes {
				t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
					var verbose bytes.Buffer
					cfg := RunConfig{Config: tt.cfg, SHA256: true, IncludeHeaders: true, Concurrency: 1}
					cfg.Timeout = testTimeout
					p.config(&cfg.Config, ng)
					if mode != ModeThreads {
						cfg.Verbose = &verbose
					}
					res, _ := runList(t, context.Background(), mode, cfg, []string{base + "/echo", base + "/echo"})
					for _, r := range res {
						if !r.OK() || r.SHA256 != sha256Hex([]byte(want)) || r.Proto != p.resultProto() || r.Headers.Get("Content-Type") == "" {
							t.Errorf("%s: got status %d, %d bytes, proto %q, headers %v, error %s; want 200 over %s and %q", r.URL, r.Status, r.Bytes, r.Proto, r.Headers, errString(r), p.resultProto(), want)
						}
					}
					method := map[bool]string{true: "GET", false: "P"}[tt.cfg.Data == ""]
					if v := verbose.String(); mode != ModeThreads && (!strings.Contains(v, "> "+method) || !strings.Contains(v, p.requestLine()) || !strings.Contains(v, "< "+p.resultProto()+" 200 OK\n")) {
						t.Errorf("verbose output %q; want the request and response heads of %s", v, p.resultProto())
					}
				})
			}
		}
	}, allProtos)
	n := 2 * len(allProtos) * len(Modes) // of each method
	log := ng.WaitAccessLog(t, 3*n)
	methods := map[string]int{}
	for _, e := range log {
		methods[e.Method]++
	}
	if methods["GET"] != n || methods["POST"] != n || methods["PUT"] != n {
		t.Errorf("nginx logged methods %v; want %d each of GET, POST, PUT", methods, n)
	}
}

// TestNginxFeatures checks what every protocol does alike: retries of a
// 503, the body cap, saving with SHA-256, and HEAD.
func TestNginxFeatures(t *testing.T) {
	ng := nginxAll(t, testserver.NginxOptions{})
	run(t, func(t *testing.T, p testProto) {
		big := p.url(ng) + "/" + testserver.SizedPath(1<<20)
		for _, mode := range Modes {
			t.Run(mode.String(), func(t *testing.T) {
				dir := t.TempDir()
				cfg := RunConfig{Config: Config{Timeout: testTimeout, Retries: 2}, SaveDir: dir, SHA256: true, Hubs: 1}
				p.config(&cfg.Config, ng)
				res, stats := runList(t, context.Background(), mode, cfg, []string{p.url(ng) + testserver.StatusPrefix + "503", big})
				if r := res[0]; r.Status != 503 || r.Retries != 2 || r.Proto != p.resultProto() {
					t.Errorf("%s: got status %d, %d retries, proto %q; want 503 after 2 retries over %s", r.URL, r.Status, r.Retries, r.Proto, p.resultProto())
				}
				r := res[1]
				body := testserver.SizedBody(1 << 20)
				if !r.OK() || r.SHA256 != sha256Hex(body) || !strings.HasPrefix(r.SavedAs, dir) {
					t.Fatalf("%s: got status %d, sha %s, saved as %q, error %s", r.URL, r.Status, r.SHA256, r.SavedAs, errString(r))
				}
				if saved, err := os.ReadFile(r.SavedAs); err != nil || !bytes.Equal(saved, body) {
					t.Errorf("saved file %s: %d bytes, error %v; want the body", r.SavedAs, len(saved), err)
				}
				if stats.Requests != 4 || stats.Retries != 2 || p.h2() && stats.HTTP2Streams != 4 {
					t.Errorf("got stats %+v; want 4 requests (HTTP/2: streams), 2 retries", stats)
				}

				cfg = RunConfig{Config: Config{Timeout: testTimeout, MaxBody: 100 << 10}, Hubs: 1}
				p.config(&cfg.Config, ng)
				res, _ = runList(t, context.Background(), mode, cfg, []string{big, big})
				for _, r := range res {
					if r.ErrorKind != KindTooLarge || r.Bytes != 100<<10 || !strings.HasSuffix(errString(r), "body larger than the limit of 102400 bytes") {
						t.Errorf("%s: got kind %v, %d bytes, error %s; want too_large at %d bytes, saying the limit", r.URL, r.ErrorKind, r.Bytes, errString(r), 100<<10)
					}
				}

				cfg = RunConfig{Config: Config{Timeout: testTimeout, Method: "HEAD"}, Hubs: 1}
				p.config(&cfg.Config, ng)
				res, _ = runList(t, context.Background(), mode, cfg, []string{big})
				if r := res[0]; !r.OK() || r.Bytes != 0 || r.Proto != p.resultProto() {
					t.Errorf("HEAD %s: got status %d, %d bytes, proto %q, error %s; want 200, no body", r.URL, r.Status, r.Bytes, r.Proto, errString(r))
				}
			})
		}
	}, bothProtos)
}
