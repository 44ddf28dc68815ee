package fetcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestNginx fetches files of many sizes from a real nginx, plain and
// chunked, with and without gzip, and a 404, through every engine.
func TestNginx(t *testing.T) {
	files := testserver.SizedFiles(testserver.DefaultSizes...)
	ng := testserver.StartNginx(t, testserver.NginxOptions{Files: files, Gzip: true})
	type want struct {
		status int
		body   []byte
	}
	var urls []string
	wants := map[string]want{}
	for _, size := range testserver.DefaultSizes {
		p := testserver.SizedPath(size)
		for _, u := range []string{ng.URL + "/" + p, ng.URL + testserver.ChunkedPrefix + p} {
			urls = append(urls, u)
			wants[u] = want{200, files[p]}
		}
	}
	urls = append(urls, ng.URL+testserver.NotFoundPath)
	wants[ng.URL+testserver.NotFoundPath] = want{status: 404}
	for _, compressed := range []bool{false, true} {
		for _, mode := range Modes {
			name := mode.String()
			if compressed {
				name += "/gzip"
			}
			t.Run(name, func(t *testing.T) {
				cfg := RunConfig{Config: Config{Timeout: testTimeout, Compressed: compressed}, Concurrency: 4, SHA256: true}
				res, stats := runList(t, context.Background(), mode, cfg, urls)
				for _, r := range res {
					w := wants[r.URL]
					if r.Err != nil || r.Status != w.status {
						t.Errorf("%s: got status %d, error %s; want %d, no error", r.URL, r.Status, errString(r), w.status)
						continue
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
				}
				if stats.Reused == 0 {
					t.Errorf("got stats %+v; want kept-alive connections reused", stats)
				}
			})
		}
	}
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

// TestNginxHostAndData: against a real nginx, "Host: vhost" is the host
// nginx serves ($host) while the connection goes to the URL's address,
// and -d sends a POST whose method, length and type nginx reads (in its
// answer and its access log), in every engine and over TLS.
func TestNginxHostAndData(t *testing.T) {
	ng := testserver.StartNginx(t, testserver.NginxOptions{TLS: true,
		ExtraServerConfig: `location = /echo { return 200 "$host $request_method $content_length $content_type\n"; }`})
	tests := []struct {
		name string
		cfg  Config
		want string // nginx's answer
	}{
		{"host override", Config{HeaderLines: []string{"Host: vhost.test"}}, "vhost.test GET  \n"},
		{"data", Config{Data: "a=1&b=22"}, "127.0.0.1 POST 8 application/x-www-form-urlencoded\n"},
		{"method and data", Config{Method: "PUT", Data: "{}", HeaderLines: []string{"Content-Type: application/json", "Host: api.test"}}, "api.test PUT 2 application/json\n"},
	}
	for _, base := range []string{ng.URL, ng.TLSURL} {
		for _, tt := range tests {
			for _, mode := range Modes {
				t.Run(base[:5]+"/"+tt.name+"/"+mode.String(), func(t *testing.T) {
					cfg := RunConfig{Config: tt.cfg}
					cfg.Timeout, cfg.SHA256, cfg.CAFile = testTimeout, true, ng.CAFile
					res, _ := runList(t, context.Background(), mode, cfg, []string{base + "/echo", base + "/echo"})
					for _, r := range res {
						if !r.OK() || r.SHA256 != sha256Hex([]byte(tt.want)) {
							t.Errorf("%s: got status %d, %d bytes, error %s; want 200 and %q", r.URL, r.Status, r.Bytes, errString(r), tt.want)
						}
					}
				})
			}
		}
	}
	log := ng.WaitAccessLog(t, 2*3*2*len(Modes))
	methods := map[string]int{}
	for _, e := range log {
		methods[e.Method]++
	}
	if methods["GET"] != 2*2*len(Modes) || methods["POST"] != 2*2*len(Modes) || methods["PUT"] != 2*2*len(Modes) {
		t.Errorf("nginx logged methods %v; want %d each of GET, POST, PUT", methods, 2*2*len(Modes))
	}
}
