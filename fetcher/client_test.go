package fetcher

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestStaleKeepAlive: a server that closes an idle kept-alive connection
// without saying so. The next request on it fails before any response
// byte and is sent again on a fresh connection, without counting as a
// retry.
func TestStaleKeepAlive(t *testing.T) {
	s := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		if readHead(br) == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
		// then close, as an idle timeout would
	})
	for _, mode := range []Mode{ModeSync, ModeThreads} {
		t.Run(mode.String(), func(t *testing.T) {
			c, err := NewClient(Config{Timeout: testTimeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := 0; i < 3; i++ {
				r := c.fetch(context.Background(), Job{URL: s.URL() + "/"}, mode, 0)
				if !r.OK() || r.Bytes != 2 || r.Retries != 0 {
					t.Fatalf("fetch %d: got status %d, %d bytes, %d retries, error %s; want 200, 2 bytes, no retry", i, r.Status, r.Bytes, r.Retries, errString(r))
				}
				time.Sleep(20 * time.Millisecond) // let the server's close arrive
			}
			if st := c.Stats(); st.Reused == 0 || st.Conns != 3 {
				t.Errorf("got %d conns, %d reused; want 3 fresh conns after 2 stale reuses", st.Conns, st.Reused)
			}
		})
	}
}

// recorder is a server that records the request heads it gets and answers
// with what answerFor says.
type recorder struct {
	mu    sync.Mutex
	heads []*http.Request
}

func startRecorder(t *testing.T, answerFor func(r *http.Request) string) (*hostileServer, *recorder) {
	rec := &recorder{}
	s := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			rec.mu.Lock()
			rec.heads = append(rec.heads, req)
			rec.mu.Unlock()
			if _, err := io.WriteString(c, answerFor(req)); err != nil {
				return
			}
		}
	})
	return s, rec
}

// TestRequestHeaders checks what goes on the wire: Host, User-Agent,
// Accept-Encoding only with Compressed, extra headers, and credentials
// dropped after a redirect to another host.
func TestRequestHeaders(t *testing.T) {
	other, otherRec := startRecorder(t, func(*http.Request) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	})
	_, port, _ := net.SplitHostPort(other.ln.Addr().String())
	otherURL := "http://localhost:" + port + "/landed"
	first, firstRec := startRecorder(t, func(r *http.Request) string {
		if r.URL.Path == "/go" {
			return "HTTP/1.1 302 Found\r\nLocation: " + otherURL + "\r\nContent-Length: 0\r\n\r\n"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	})
	hdr := http.Header{"Authorization": {"Bearer secret"}, "Cookie": {"a=b"}, "X-Trace": {"t1"}}
	c, err := NewClient(Config{Timeout: testTimeout, Headers: hdr, UserAgent: "ua/1", Compressed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := c.Fetch(context.Background(), first.URL()+"/go")
	if !r.OK() || r.Redirects != 1 || r.FinalURL != otherURL {
		t.Fatalf("got status %d, %d redirects, final %s, error %s; want 200 at %s", r.Status, r.Redirects, r.FinalURL, errString(r), otherURL)
	}
	got1, got2 := firstRec.heads[0], otherRec.heads[0]
	if got1.Host != first.ln.Addr().String() || got1.UserAgent() != "ua/1" || got1.Header.Get("Accept-Encoding") != "gzip, deflate" ||
		got1.Header.Get("Authorization") != "Bearer secret" || got1.Header.Get("Cookie") != "a=b" || got1.Header.Get("X-Trace") != "t1" {
		t.Errorf("first request headers: got Host %q, %v; want the configured ones", got1.Host, got1.Header)
	}
	if got2.Header.Get("Authorization") != "" || got2.Header.Get("Cookie") != "" || got2.Header.Get("X-Trace") != "t1" {
		t.Errorf("after a redirect to another host: got %v; want no Authorization or Cookie, X-Trace kept", got2.Header)
	}

	// Without Compressed, no Accept-Encoding; HEAD reads no body.
	c2, _ := NewClient(Config{Timeout: testTimeout, Method: "HEAD"})
	defer c2.Close()
	r = c2.Fetch(context.Background(), first.URL()+"/plain")
	if got := firstRec.heads[len(firstRec.heads)-1]; got.Method != "HEAD" || got.Header.Get("Accept-Encoding") != "" {
		t.Errorf("got method %s, Accept-Encoding %q; want HEAD and none", got.Method, got.Header.Get("Accept-Encoding"))
	}
	if !r.OK() || r.Bytes != 0 {
		t.Errorf("HEAD: got status %d, %d bytes; want 200, 0", r.Status, r.Bytes)
	}
}

// TestDeflate decodes zlib-wrapped and raw deflate bodies.
func TestDeflate(t *testing.T) {
	body := bytes.Repeat([]byte("deflate me "), 1000)
	var z, raw bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(body)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, 5)
	fw.Write(body)
	fw.Close()
	s, _ := startRecorder(t, func(r *http.Request) string {
		b := z.Bytes()
		if r.URL.Path == "/raw" {
			b = raw.Bytes()
		}
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
	})
	res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Compressed: true}, SHA256: true}, []string{s.URL() + "/zlib", s.URL() + "/raw"})
	for _, r := range res {
		if !r.OK() || r.Bytes != int64(len(body)) || r.SHA256 != sha256Hex(body) {
			t.Errorf("%s: got status %d, %d bytes, error %s; want the %d decoded bytes", r.URL, r.Status, r.Bytes, errString(r), len(body))
		}
	}
}

func TestResultJSON(t *testing.T) {
	msg := "u: timeout: slow"
	r := Result{Type: "result", URL: "u", Mode: ModeAsync, Status: 200, Timings: Timings{DNS: 400 * time.Microsecond, Total: 103900 * time.Microsecond}}
	b, _ := jsonMarshal(r)
	want := `{"type":"result","ok":true,"url":"u","final_url":"","mode":"async","status":200,"bytes":0,"wire_bytes":0,"content_type":"","redirects":0,"retries":0,"remote_addr":"","timings_ms":{"queue":0,"dns":0.4,"connect":0,"tls":0,"ttfb":0,"total":103.9},"error":null,"error_kind":null}`
	if string(b) != want {
		t.Errorf("got %s; want %s", b, want)
	}
	r.Error, r.ErrorKind = &msg, KindTimeout
	b, _ = jsonMarshal(r)
	var back Result
	if err := jsonUnmarshal(b, &back); err != nil || back.ErrorKind != KindTimeout || *back.Error != msg || back.Timings != r.Timings || back.Mode != ModeAsync {
		t.Errorf("round trip of %s: got %+v, %v", b, back, err)
	}
	for k := KindInvalidURL; k <= KindCanceled; k++ {
		if got, err := ParseErrorKind(k.String()); got != k || err != nil {
			t.Errorf("ParseErrorKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, m := range Modes {
		if got, err := ParseMode(m.String()); got != m || err != nil {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMode("fast"); err == nil {
		t.Errorf("ParseMode(%q): got no error; want one", "fast")
	}
}

// TestNoGoroutineLeak runs every engine and checks that the goroutines
// they started are gone.
func TestNoGoroutineLeak(t *testing.T) {
	s := startServe(t)
	before := runtime.NumGoroutine()
	for _, mode := range Modes {
		runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Concurrency: 4}, []string{s.URL() + "/size/10", s.URL() + "/size/20"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("got %d goroutines after the runs; want at most %d as before\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// FuzzSaveName checks that no URL makes a file name that could leave the
// save directory.
func FuzzSaveName(f *testing.F) {
	for _, s := range []string{"http://h/../../etc/passwd", "http://h/%2e%2e%2f", "http://h//abs", "http://h/a%00b", "http://[::1]/.", "http://h/" + strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || checkURL(u, raw) != nil {
			return
		}
		name := saveName(u)
		if name == "" || name == "." || name == ".." || name[0] == '.' || strings.ContainsAny(name, "/\\\x00") || len(name) > maxSaveName {
			t.Errorf("saveName(%q) = %q; want a plain file name of at most %d bytes", raw, name, maxSaveName)
		}
	})
}

// TestDefaultResolver fetches by name: "localhost" is answered locally
// (/etc/hosts or RFC 6761), counted as cache hits, never as queries; -6
// with a server on 127.0.0.1 only fails as dns or connect, saying so.
func TestDefaultResolver(t *testing.T) {
	s := startServe(t)
	_, port, _ := net.SplitHostPort(s.Addr().String())
	u := "http://localhost:" + port + "/size/3"
	res, stats := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, Family: Family4}}, []string{u, u, u})
	for _, r := range res {
		if !r.OK() || r.Bytes != 3 || !strings.HasPrefix(r.RemoteAddr, "127.0.0.1:") {
			t.Errorf("%s: got status %d, %d bytes from %s, error %s; want 200, 3 bytes from 127.0.0.1", r.URL, r.Status, r.Bytes, r.RemoteAddr, errString(r))
		}
	}
	if stats.DNS.Queries != 0 || stats.DNS.CacheHits == 0 {
		t.Errorf("got DNS stats %+v; want no query and some local hits", stats.DNS)
	}
	res, _ = runList(t, context.Background(), ModeThreads, RunConfig{Config: Config{Timeout: testTimeout, Family: Family6}}, []string{"http://127.0.0.1:" + port + "/"})
	if res[0].ErrorKind != KindDNS || !strings.Contains(errString(res[0]), "no IPv6 address") {
		t.Errorf("got %v %q; want dns saying there is no IPv6 address", res[0].ErrorKind, errString(res[0]))
	}
}

// slowResolver fails every lookup as its own timeout, or waits for ctx.
type slowResolver struct{ wait bool }

func (r slowResolver) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if r.wait {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true}
}

// TestResolverTimeouts: a resolver that gives up is a dns failure; a
// lookup cut by the fetch's own timeout is a timeout.
func TestResolverTimeouts(t *testing.T) {
	tests := []struct {
		name string
		r    Resolver
		want ErrorKind
	}{
		{"resolver gives up", slowResolver{}, KindDNS},
		{"fetch timeout", slowResolver{wait: true}, KindTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runList(t, context.Background(), ModeThreads, RunConfig{Config: Config{Timeout: 200 * time.Millisecond, Resolver: tt.r}}, []string{"http://name.test/"})
			if r := res[0]; r.ErrorKind != tt.want {
				t.Errorf("got %v %q; want %v", r.ErrorKind, errString(r), tt.want)
			}
		})
	}
}
