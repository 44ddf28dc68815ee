package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testTimeout bounds every request and every wait of these tests. It is a
// guard against hangs, never a timing assertion.
const testTimeout = 30 * time.Second

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawClient neither follows redirects nor decodes gzip, so tests see the
// wire as the server sent it.
func rawClient() *http.Client {
	return &http.Client{
		Timeout:   testTimeout,
		Transport: &http.Transport{DisableCompression: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type response struct {
	*http.Response
	body []byte
}

func get(t *testing.T, c *http.Client, method, url string, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("NewRequest(%s): %v", url, err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return response{resp, body}
}

// waitFor polls cond until it holds or testTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", testTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestResponses(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	const noCL = -1
	tests := []struct {
		name       string
		method     string
		path       string
		hdr        map[string]string
		wantStatus int
		wantBody   []byte // nil: Body(wantSize)
		wantSize   int64
		wantCL     int64 // Response.ContentLength; -1 when absent
		wantTE     string
		wantClose  bool
		wantHeader map[string]string
	}{
		{name: "default size", path: "/delay/0", wantStatus: 200, wantSize: DefaultSize, wantCL: DefaultSize},
		{name: "size bytes", path: "/size/5", wantStatus: 200, wantSize: 5, wantCL: 5},
		{name: "size zero", path: "/size/0", wantStatus: 200, wantSize: 0, wantCL: 0},
		{name: "size KiB", path: "/size/16KiB", wantStatus: 200, wantSize: 16 << 10, wantCL: 16 << 10},
		{name: "size MB", path: "/size/3MB", wantStatus: 200, wantSize: 3e6, wantCL: 3e6},
		{name: "size over one buffer", path: "/size/200001", wantStatus: 200, wantSize: 200001, wantCL: 200001},
		{name: "size unit case", path: "/size/2kib", wantStatus: 200, wantSize: 2048, wantCL: 2048},
		{name: "status", path: "/status/404/size/7", wantStatus: 404, wantSize: 7, wantCL: 7},
		{name: "status 503 empty", path: "/status/503/size/0", wantStatus: 503, wantSize: 0, wantCL: 0},
		{name: "status 204 no body", path: "/status/204/size/10", wantStatus: 204, wantBody: []byte{}, wantCL: 0},
		{name: "status 304 no body", path: "/status/304", wantStatus: 304, wantBody: []byte{}, wantCL: 0},
		{name: "order free", path: "/size/9/status/201", wantStatus: 201, wantSize: 9, wantCL: 9},
		{name: "empty segments skipped", path: "//size//5/", wantStatus: 200, wantSize: 5, wantCL: 5},
		{name: "query ignored", path: "/size/5?x=1", wantStatus: 200, wantSize: 5, wantCL: 5},
		{name: "chunked", path: "/chunked/size/3000", wantStatus: 200, wantSize: 3000, wantCL: noCL, wantTE: "chunked"},
		{name: "chunked small", path: "/size/3/chunked", wantStatus: 200, wantSize: 3, wantCL: noCL, wantTE: "chunked"},
		{name: "chunked empty", path: "/size/0/chunked", wantStatus: 200, wantSize: 0, wantCL: noCL, wantTE: "chunked"},
		{name: "eof", path: "/eof/size/3000", wantStatus: 200, wantSize: 3000, wantCL: noCL, wantClose: true},
		{name: "close", path: "/close/size/10", wantStatus: 200, wantSize: 10, wantCL: 10, wantClose: true},
		{name: "type", path: "/type/text%2Fhtml%3B%20charset%3Dutf-8/size/4", wantStatus: 200, wantSize: 4, wantCL: 4,
			wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{name: "default type", path: "/size/4", wantStatus: 200, wantSize: 4, wantCL: 4,
			wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{name: "header", path: "/status/503/header/Retry-After:2/header/X-Test%3A%20a%20b/size/0", wantStatus: 503, wantSize: 0, wantCL: 0,
			wantHeader: map[string]string{"Retry-After": "2", "X-Test": "a b"}},
		{name: "head", method: "HEAD", path: "/size/5000", wantStatus: 200, wantBody: []byte{}, wantCL: 5000},
		{name: "head chunked", method: "HEAD", path: "/size/5000/chunked", wantStatus: 200, wantBody: []byte{}, wantCL: noCL},
		{name: "post", method: "POST", path: "/size/5", wantStatus: 200, wantSize: 5, wantCL: 5},
		{name: "gzip not accepted", path: "/gzip/size/1000", hdr: map[string]string{"Accept-Encoding": "identity"},
			wantStatus: 200, wantSize: 1000, wantCL: 1000, wantHeader: map[string]string{"Vary": "Accept-Encoding", "Content-Encoding": ""}},
		{name: "gzip refused with q=0", path: "/gzip/size/1000", hdr: map[string]string{"Accept-Encoding": "gzip;q=0, br"},
			wantStatus: 200, wantSize: 1000, wantCL: 1000, wantHeader: map[string]string{"Content-Encoding": ""}},
		{name: "drip", path: "/drip/50ms/size/1000/pieces/7", wantStatus: 200, wantSize: 1000, wantCL: 1000},
		{name: "drip default pieces", path: "/drip/20ms/size/3", wantStatus: 200, wantSize: 3, wantCL: 3},
		{name: "drip chunked", path: "/drip/20ms/size/300/chunked", wantStatus: 200, wantSize: 300, wantCL: noCL, wantTE: "chunked"},
		{name: "drip eof", path: "/drip/20ms/size/300/eof", wantStatus: 200, wantSize: 300, wantCL: noCL, wantClose: true},
		{name: "drip empty", path: "/drip/1m/size/0", wantStatus: 200, wantSize: 0, wantCL: 0},
		{name: "redirect zero is plain", path: "/redirect/0/size/5", wantStatus: 200, wantSize: 5, wantCL: 5},
		{name: "healthz", path: "/healthz", wantStatus: 200, wantBody: []byte("ok\n"), wantCL: 3},
		{name: "robots", path: "/robots.txt", wantStatus: 200, wantBody: []byte(robotsTxt), wantCL: int64(len(robotsTxt))},
		{name: "index", path: "/", wantStatus: 200, wantBody: []byte(indexPage), wantCL: int64(len(indexPage)),
			wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			r := get(t, c, method, s.URL()+tt.path, tt.hdr)
			if r.StatusCode != tt.wantStatus {
				t.Errorf("got status %d; want %d (body %.200q)", r.StatusCode, tt.wantStatus, r.body)
			}
			want := tt.wantBody
			if want == nil {
				want = Body(tt.wantSize)
			}
			if !bytes.Equal(r.body, want) {
				t.Errorf("got body of %d bytes %.80q; want %d bytes %.80q", len(r.body), r.body, len(want), want)
			}
			if r.ContentLength != tt.wantCL {
				t.Errorf("got ContentLength %d; want %d", r.ContentLength, tt.wantCL)
			}
			if got := strings.Join(r.TransferEncoding, ","); got != tt.wantTE {
				t.Errorf("got TransferEncoding %q; want %q", got, tt.wantTE)
			}
			if r.Close != tt.wantClose {
				t.Errorf("got Close %v; want %v", r.Close, tt.wantClose)
			}
			for k, v := range tt.wantHeader {
				if got := r.Header.Get(k); got != v {
					t.Errorf("got header %s %q; want %q", k, got, v)
				}
			}
		})
	}
}

func TestGzip(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	tests := []struct {
		name    string
		path    string
		size    int64
		wantLen bool // a Content-Length, not chunked
	}{
		{name: "small", path: "/gzip/size/100", size: 100, wantLen: true},
		{name: "empty", path: "/gzip/size/0", size: 0, wantLen: true},
		{name: "1MiB", path: "/gzip/size/1MiB", size: 1 << 20, wantLen: true},
		{name: "5MiB and 3", path: "/gzip/size/5242883", size: 5<<20 + 3, wantLen: true},
		{name: "chunked forced", path: "/gzip/chunked/size/100", size: 100, wantLen: false},
		{name: "eof", path: "/gzip/eof/size/5000", size: 5000, wantLen: false},
		{name: "drip", path: "/gzip/drip/30ms/size/5000/pieces/3", size: 5000, wantLen: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, "GET", s.URL()+tt.path, map[string]string{"Accept-Encoding": "br, gzip"})
			if got := r.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("got Content-Encoding %q; want gzip", got)
			}
			if got := r.ContentLength >= 0; got != tt.wantLen {
				t.Errorf("got ContentLength %d (TransferEncoding %v); want a length: %v", r.ContentLength, r.TransferEncoding, tt.wantLen)
			}
			if r.ContentLength >= 0 && r.ContentLength != int64(len(r.body)) {
				t.Errorf("got ContentLength %d; want %d, the bytes sent", r.ContentLength, len(r.body))
			}
			zr, err := gzip.NewReader(bytes.NewReader(r.body))
			if err != nil {
				t.Fatalf("gzip.NewReader: %v", err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			if !bytes.Equal(got, Body(tt.size)) {
				t.Errorf("got %d decoded bytes; want the %d bytes of Body", len(got), tt.size)
			}
		})
	}
	t.Run("head", func(t *testing.T) {
		r := get(t, c, "HEAD", s.URL()+"/gzip/size/100", map[string]string{"Accept-Encoding": "gzip"})
		if got := r.Header.Get("Content-Encoding"); got != "gzip" {
			t.Errorf("got Content-Encoding %q; want gzip", got)
		}
		if got, want := r.ContentLength, gzipLen(100); got != want {
			t.Errorf("got ContentLength %d; want %d, as GET sends", got, want)
		}
		if len(r.body) != 0 {
			t.Errorf("got %d body bytes; want 0", len(r.body))
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"*"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"deflate", "gzip"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.0"}, false},
		{[]string{"br, identity"}, false},
		{[]string{"gzipx"}, false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.values); got != tt.want {
			t.Errorf("got acceptsGzip(%q) = %v; want %v", tt.values, got, tt.want)
		}
	}
}

func TestRedirectChain(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantLocs []string
		wantSize int64
	}{
		{name: "three hops", path: "/redirect/3/size/5", wantCode: 302,
			wantLocs: []string{"/redirect/2/size/5", "/redirect/1/size/5", "/redirect/0/size/5"}, wantSize: 5},
		{name: "keeps order, escapes and query", path: "/type/text%2Fhtml/redirect/2/size/4?a=b", wantCode: 302,
			wantLocs: []string{"/type/text%2Fhtml/redirect/1/size/4?a=b", "/type/text%2Fhtml/redirect/0/size/4?a=b"}, wantSize: 4},
		{name: "redirect-code 307", path: "/redirect/1/redirect-code/307/size/3", wantCode: 307,
			wantLocs: []string{"/redirect/0/redirect-code/307/size/3"}, wantSize: 3},
		{name: "redirect-code 301", path: "/redirect-code/301/redirect/1", wantCode: 301,
			wantLocs: []string{"/redirect-code/301/redirect/0"}, wantSize: DefaultSize},
		{name: "value named redirect", path: "/type/redirect/redirect/1/size/1", wantCode: 302,
			wantLocs: []string{"/type/redirect/redirect/0/size/1"}, wantSize: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := s.URL() + tt.path
			for i, want := range tt.wantLocs {
				r := get(t, c, "GET", url, nil)
				if r.StatusCode != tt.wantCode {
					t.Fatalf("hop %d: got status %d; want %d", i, r.StatusCode, tt.wantCode)
				}
				if got := r.Header.Get("Location"); got != want {
					t.Fatalf("hop %d: got Location %q; want %q", i, got, want)
				}
				if !bytes.Contains(r.body, []byte(want)) {
					t.Errorf("hop %d: got body %q; want it to name %q", i, r.body, want)
				}
				url = s.URL() + want
			}
			r := get(t, c, "GET", url, nil)
			if r.StatusCode != 200 || !bytes.Equal(r.body, Body(tt.wantSize)) {
				t.Errorf("end of chain: got status %d and %d bytes; want 200 and %d bytes", r.StatusCode, len(r.body), tt.wantSize)
			}
		})
	}

	t.Run("followed by net/http", func(t *testing.T) {
		hops := 0
		fc := &http.Client{Timeout: testTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			hops++
			return nil
		}}
		r := get(t, fc, "GET", s.URL()+"/redirect/5/size/10", nil)
		if hops != 5 || r.StatusCode != 200 || len(r.body) != 10 {
			t.Errorf("got %d hops, status %d, %d bytes; want 5, 200, 10", hops, r.StatusCode, len(r.body))
		}
	})
}

func TestRedirectTo(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantLoc  string
	}{
		{name: "absolute", path: "/redirect-to/http%3A%2F%2F127.0.0.1%3A1%2Fsize%2F5", wantCode: 302, wantLoc: "http://127.0.0.1:1/size/5"},
		{name: "relative", path: "/redirect-to/%2Fsize%2F5", wantCode: 302, wantLoc: "/size/5"},
		{name: "other scheme", path: "/redirect-to/ftp%3A%2F%2Fexample.org%2F", wantCode: 302, wantLoc: "ftp://example.org/"},
		{name: "code 308", path: "/redirect-code/308/redirect-to/%2Fhealthz", wantCode: 308, wantLoc: "/healthz"},
		{name: "code 303", path: "/redirect-to/%2Fhealthz/redirect-code/303", wantCode: 303, wantLoc: "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, "GET", s.URL()+tt.path, nil)
			if r.StatusCode != tt.wantCode {
				t.Errorf("got status %d; want %d", r.StatusCode, tt.wantCode)
			}
			if got := r.Header.Get("Location"); got != tt.wantLoc {
				t.Errorf("got Location %q; want %q", got, tt.wantLoc)
			}
		})
	}
	t.Run("relative followed", func(t *testing.T) {
		fc := &http.Client{Timeout: testTimeout}
		r := get(t, fc, "GET", s.URL()+"/redirect-to/%2Fsize%2F5", nil)
		if r.StatusCode != 200 || !bytes.Equal(r.body, Body(5)) {
			t.Errorf("got status %d, body %q; want 200, %q", r.StatusCode, r.body, Body(5))
		}
	})
}

// serverTiming reads the dur of "Server-Timing: delay;dur=<ms>".
func serverTiming(t *testing.T, h http.Header) time.Duration {
	t.Helper()
	v := h.Get("Server-Timing")
	ms, ok := strings.CutPrefix(v, "delay;dur=")
	if !ok {
		t.Fatalf("got Server-Timing %q; want delay;dur=<ms>", v)
	}
	f, err := strconv.ParseFloat(ms, 64)
	if err != nil {
		t.Fatalf("got Server-Timing %q: %v", v, err)
	}
	return time.Duration(f * 1e6)
}

// TestDelay checks, on the server's own clock, that each delay waited at
// least as long as asked. There is no upper bound: that is for benchmarks.
func TestDelay(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	tests := []struct {
		name string
		path string
		want time.Duration
	}{
		{name: "go duration", path: "/delay/30ms/size/3", want: 30 * time.Millisecond},
		{name: "plain milliseconds", path: "/delay/25/size/3", want: 25 * time.Millisecond},
		{name: "fraction", path: "/delay/0.02s", want: 20 * time.Millisecond},
		{name: "micro", path: "/delay/1500us", want: 1500 * time.Microsecond},
		{name: "with redirect", path: "/delay/10ms/redirect/1", want: 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, c, "GET", s.URL()+tt.path, nil)
			// dur is printed in ms with 3 decimals: allow the rounding.
			if got := serverTiming(t, r.Header); got < tt.want-time.Microsecond {
				t.Errorf("got a delay of %v; want at least %v", got, tt.want)
			}
		})
	}
	t.Run("no delay, no header", func(t *testing.T) {
		r := get(t, c, "GET", s.URL()+"/size/1", nil)
		if v := r.Header.Get("Server-Timing"); v != "" {
			t.Errorf("got Server-Timing %q; want none", v)
		}
	})
}

func TestBadPaths(t *testing.T) {
	s := startServer(t, Options{MaxSize: 1000, MaxDelay: time.Second})
	c := rawClient()
	tests := []struct {
		path string
		want string // in the 400 body
	}{
		{"/bogus", `unknown option "bogus"`},
		{"/size/5/bogus", `unknown option "bogus"`},
		{"/size", "size needs a value"},
		{"/delay", "delay needs a value"},
		{"/size/abc", `size "abc"`},
		{"/size/-1", `size "-1"`},
		{"/size/1.5KiB", `size "1.5KiB"`},
		{"/size/10XB", `size "10XB"`},
		{"/size/5/size/6", "size given twice"},
		{"/delay/abc", `delay "abc"`},
		{"/delay/-1s", "negative"},
		{"/status/99", "200 to 599"},
		{"/status/600", "200 to 599"},
		{"/status/abc", "200 to 599"},
		{"/redirect/1001", "0 to 1000"},
		{"/redirect/-1", "0 to 1000"},
		{"/redirect-code/200/redirect/1", "301, 302, 303, 307 or 308"},
		{"/redirect/1/redirect-to/%2F", "exclude each other"},
		{"/chunked/eof", "exclude each other"},
		{"/pieces/0/drip/1s", "1 to 100000"},
		{"/header/NoColon", "Name: value"},
		{"/header/Content-Length:5", "set by the server"},
		{"/header/Bad%20Name:1", "token"},
		{"/type/a%0Ab", "control characters"},
		{"/size/1001", "size 1001 is over this server's cap of 1000"},
		{"/size/1GiB", "cap of 1000"},
		{"/delay/2s/size/1", "cap of 1s"},
		{"/drip/1001ms/size/1", "cap of 1s"},
		{"/size/5/..", `unknown option ".."`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := get(t, c, "GET", s.URL()+tt.path, nil)
			if r.StatusCode != 400 {
				t.Errorf("got status %d; want 400", r.StatusCode)
			}
			if !bytes.Contains(r.body, []byte(tt.want)) {
				t.Errorf("got body %q; want it to contain %q", r.body, tt.want)
			}
			if !bytes.Contains(r.body, []byte(tt.path)) {
				t.Errorf("got body %q; want it to name the path %q", r.body, tt.path)
			}
		})
	}
	t.Run("cap itself is allowed", func(t *testing.T) {
		r := get(t, c, "GET", s.URL()+"/size/1000", nil)
		if r.StatusCode != 200 || len(r.body) != 1000 {
			t.Errorf("got status %d, %d bytes; want 200, 1000", r.StatusCode, len(r.body))
		}
	})
}

func TestKeepAliveCounters(t *testing.T) {
	s := startServer(t, Options{})
	c := rawClient()
	for range 5 {
		get(t, c, "GET", s.URL()+"/size/100", nil)
	}
	if got, want := s.Requests(), int64(5); got != want {
		t.Errorf("got Requests() = %d; want %d", got, want)
	}
	if got, want := s.Conns(), int64(1); got != want {
		t.Errorf("got Conns() = %d; want %d (keep-alive reuses one)", got, want)
	}
	// close and eof end the connection: the next request needs a new one.
	get(t, c, "GET", s.URL()+"/close/size/1", nil)
	get(t, c, "GET", s.URL()+"/eof/size/1", nil)
	get(t, c, "GET", s.URL()+"/size/1", nil)
	if got, want := s.Conns(), int64(3); got != want {
		t.Errorf("after close and eof: got Conns() = %d; want %d", got, want)
	}
	waitFor(t, "Active() = 0", func() bool { return s.Active() == 0 })
}

// TestDisconnectReleasesDelay parks requests in long delays, drops the
// clients, and checks that every handler returns.
func TestDisconnectReleasesDelay(t *testing.T) {
	s := startServer(t, Options{})
	n := 50
	if testing.Short() {
		n = 10
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	errs := make(chan error, n)
	for range n {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/delay/10m/size/1", nil)
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	waitFor(t, fmt.Sprintf("Active() = %d", n), func() bool { return s.Active() == int64(n) })
	cancel()
	for range n {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("got error %v; want context.Canceled", err)
		}
	}
	waitFor(t, "Active() = 0 after the clients went away", func() bool { return s.Active() == 0 })
}

// TestDisconnectReleasesDrip drops a client in the middle of a drip.
func TestDisconnectReleasesDrip(t *testing.T) {
	s := startServer(t, Options{})
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /drip/10m/size/10 HTTP/1.1\r\nHost: x\r\n\r\n")
	// The head comes at once, the first piece only after a minute.
	buf := make([]byte, 1024)
	conn.SetReadDeadline(time.Now().Add(testTimeout))
	n, err := conn.Read(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200 OK\r\n")) {
		t.Fatalf("got %q, %v; want the response head", buf[:n], err)
	}
	if got := s.Active(); got != 1 {
		t.Errorf("got Active() = %d during the drip; want 1", got)
	}
	conn.Close()
	waitFor(t, "Active() = 0 after the client went away", func() bool { return s.Active() == 0 })
}

func TestCloseEndsParked(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	c := &http.Client{Timeout: testTimeout}
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := c.Get(s.URL() + "/delay/10m")
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	waitFor(t, "parked requests", func() bool { return s.Active() == n })
	if err := s.Close(); err != nil {
		t.Errorf("got Close() = %v; want nil", err)
	}
	for range n {
		if err := <-errs; err == nil {
			t.Errorf("got a response from a closed server; want an error")
		}
	}
	waitFor(t, "Active() = 0 after Close", func() bool { return s.Active() == 0 })
	if err := s.Close(); err != nil {
		t.Errorf("got a second Close() = %v; want nil", err)
	}
}

func TestShutdown(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get(t, rawClient(), "GET", s.URL()+"/size/1", nil)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("got Shutdown() = %v; want nil", err)
	}
	if _, err := http.Get(s.URL() + "/size/1"); err == nil {
		t.Errorf("got a response after Shutdown; want an error")
	}
}

func TestServeOnListener(t *testing.T) {
	s := New(Options{})
	if s.Addr() != nil || s.URL() != "" {
		t.Errorf("before Serve: got Addr() = %v, URL() = %q; want nil, \"\"", s.Addr(), s.URL())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	waitFor(t, "Serve to start", func() bool { return s.Addr() != nil })
	if got, want := s.URL(), "http://"+l.Addr().String(); got != want {
		t.Errorf("got URL() = %q; want %q", got, want)
	}
	r := get(t, rawClient(), "GET", s.URL()+"/healthz", nil)
	if r.StatusCode != 200 {
		t.Errorf("got status %d; want 200", r.StatusCode)
	}
	s.Close()
	if err := <-done; err != nil {
		t.Errorf("got Serve() = %v after Close; want nil", err)
	}
}

func TestURLOfUnspecifiedAddress(t *testing.T) {
	s, err := Start(":0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := s.URL()
	if !strings.HasPrefix(u, "http://127.0.0.1:") && !strings.HasPrefix(u, "http://[::1]:") {
		t.Fatalf("got URL() = %q; want a loopback URL", u)
	}
	r := get(t, rawClient(), "GET", u+"/healthz", nil)
	if r.StatusCode != 200 {
		t.Errorf("got status %d; want 200", r.StatusCode)
	}
}

func TestStartError(t *testing.T) {
	s, err := Start("127.0.0.1:-1", Options{})
	if err == nil || s != nil {
		t.Errorf("got Start(bad address) = %v, %v; want nil and an error", s, err)
	}
}

func TestHandlerOnOwnServer(t *testing.T) {
	s := New(Options{})
	srv := &http.Server{Handler: s.Handler()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	r := get(t, rawClient(), "GET", "http://"+l.Addr().String()+"/size/3", nil)
	if r.StatusCode != 200 || string(r.body) != "012" {
		t.Errorf("got %d %q; want 200 \"012\"", r.StatusCode, r.body)
	}
	if got := s.Requests(); got != 1 {
		t.Errorf("got Requests() = %d; want 1", got)
	}
}

// discardWriter is a ResponseWriter that drops the body, for budgets.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestBodyNotBuffered checks that a big body streams from the shared
// buffer: a 16 MiB response allocates a few hundred bytes, not 16 MiB.
func TestBodyNotBuffered(t *testing.T) {
	h := New(Options{}).Handler()
	for _, path := range []string{"/size/16MiB", "/chunked/size/16MiB", "/gzip/size/16MiB", "/redirect/2/size/16MiB"} {
		t.Run(path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &discardWriter{h: http.Header{}}
			allocs := testing.AllocsPerRun(10, func() {
				clear(w.h)
				h.ServeHTTP(w, req)
			})
			if allocs > 20 {
				t.Errorf("got %v allocations per request; want at most 20", allocs)
			}
			const runs = 10
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 4<<10 {
				t.Errorf("got %d bytes allocated per request; want at most 4 KiB", per)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s := startServer(t, Options{})
	if s.opts.MaxSize != 1<<30 || s.opts.MaxDelay != 10*time.Minute ||
		s.srv.ReadHeaderTimeout != 10*time.Second || s.srv.IdleTimeout != 2*time.Minute {
		t.Errorf("got %+v; want the documented defaults", s.opts)
	}
	if s.srv.Protocols.HTTP2() || !s.srv.Protocols.HTTP1() {
		t.Errorf("got protocols %v; want HTTP/1 only", s.srv.Protocols)
	}
	c := rawClient()
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/size/1073741825", 400}, // 1 GiB + 1
		{"/delay/10m1ms", 400},
		{"/drip/601s", 400},
		{"/size/1GiB/status/204", 204}, // at the cap; no body anyway
	} {
		if r := get(t, c, "GET", s.URL()+tt.path, nil); r.StatusCode != tt.want {
			t.Errorf("got GET %s status %d; want %d", tt.path, r.StatusCode, tt.want)
		}
	}
	if r := get(t, c, "HEAD", s.URL()+"/size/1GiB", nil); r.StatusCode != 200 || r.ContentLength != 1<<30 {
		t.Errorf("got HEAD /size/1GiB = %d with ContentLength %d; want 200 and %d", r.StatusCode, r.ContentLength, 1<<30)
	}
}

// TestNoGoroutineLeak parks requests, closes the server, and checks that
// the goroutines of the server go away with it.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /delay/10m HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	waitFor(t, "20 parked requests", func() bool { return s.Active() == 20 })
	s.Close()
	for _, c := range conns {
		c.Close()
	}
	waitFor(t, fmt.Sprintf("goroutines back to %d (now %d)", before, runtime.NumGoroutine()),
		func() bool { return runtime.NumGoroutine() <= before })
}
