package testserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// noRedirect is an HTTP client that reports redirects instead of following
// them, with compression left to the test.
func testClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableCompression: true,
			TLSClientConfig:    &tls.Config{RootCAs: pool},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, body
}

func TestNginx(t *testing.T) {
	sizes := DefaultSizes
	n := StartNginx(t, NginxOptions{
		Files: mergeFiles(SizedFiles(sizes...), map[string][]byte{
			"hello.txt": []byte("hello, greenfetch\n"),
		}),
		Gzip: true,
		TLS:  true,
	})
	c := testClient(n.CAPool)

	for _, base := range []string{n.URL, n.TLSURL} {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("static/%s/%d", base[:5], size), func(t *testing.T) {
				url := base + "/" + SizedPath(size)
				resp, body := get(t, c, url)
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: got status %d; want 200", url, resp.StatusCode)
				}
				if resp.ContentLength != int64(size) {
					t.Errorf("GET %s: got Content-Length %d; want %d", url, resp.ContentLength, size)
				}
				if !bytes.Equal(body, SizedBody(size)) {
					t.Errorf("GET %s: got %d bytes differing from SizedBody(%d)", url, len(body), size)
				}
			})
		}
	}

	t.Run("index", func(t *testing.T) {
		resp, body := get(t, c, n.URL+"/")
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("greenfetch test index")) {
			t.Errorf("GET /: got %d %q; want 200 with the index", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
			t.Errorf("GET /: got Content-Type %q; want text/html", ct)
		}
	})

	t.Run("gzip", func(t *testing.T) {
		size := 64<<10 + 1
		url := n.URL + "/" + SizedPath(size)
		resp, body := get(t, c, url, "Accept-Encoding", "gzip")
		if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("GET %s with Accept-Encoding gzip: got Content-Encoding %q; want gzip", url, got)
		}
		if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("GET %s gzip: got Content-Length %d, Transfer-Encoding %q; want -1, [chunked]", url, resp.ContentLength, resp.TransferEncoding)
		}
		if len(body) >= size/2 {
			t.Errorf("GET %s gzip: got %d compressed bytes; want well under %d", url, len(body), size)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, SizedBody(size)) {
			t.Errorf("GET %s gzip: decoded %d bytes differ from SizedBody(%d)", url, len(plain), size)
		}
		// Without Accept-Encoding the same file comes plain, with a length.
		resp, _ = get(t, c, url)
		if resp.Header.Get("Content-Encoding") != "" || resp.ContentLength != int64(size) {
			t.Errorf("GET %s plain: got Content-Encoding %q, Content-Length %d; want none, %d", url, resp.Header.Get("Content-Encoding"), resp.ContentLength, size)
		}
	})

	t.Run("chunked", func(t *testing.T) {
		for _, size := range []int{1, 4096, 1 << 20} {
			for _, base := range []string{n.URL, n.TLSURL} {
				url := base + ChunkedPrefix + SizedPath(size)
				resp, body := get(t, c, url)
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: got status %d; want 200", url, resp.StatusCode)
				}
				if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
					t.Errorf("GET %s: got Content-Length %d, Transfer-Encoding %q; want -1, [chunked]", url, resp.ContentLength, resp.TransferEncoding)
				}
				if !bytes.Equal(body, SizedBody(size)) {
					t.Errorf("GET %s: got %d bytes differing from SizedBody(%d)", url, len(body), size)
				}
			}
		}
	})

	t.Run("chunked-wire", func(t *testing.T) {
		// The raw bytes: chunk sizes in hex, ending with a zero chunk.
		raw := rawExchange(t, n.Addr, "GET "+ChunkedPrefix+"hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		want := "Transfer-Encoding: chunked\r\n"
		if !strings.Contains(raw, want) || !strings.HasSuffix(raw, "\r\n0\r\n\r\n") || !strings.Contains(raw, "\r\n12\r\nhello, greenfetch\n\r\n") {
			t.Errorf("raw chunked response:\n%q\nwant %q and a chunk of 0x12 bytes ending with a zero chunk", raw, want)
		}
		// HTTP/1.0: no chunking, body delimited by close.
		raw = rawExchange(t, n.Addr, "GET "+ChunkedPrefix+"hello.txt HTTP/1.0\r\n\r\n")
		if strings.Contains(raw, "chunked") || strings.Contains(raw, "Content-Length") || !strings.HasSuffix(raw, "\r\n\r\nhello, greenfetch\n") {
			t.Errorf("raw HTTP/1.0 response:\n%q\nwant no length, no chunking, the body until close", raw)
		}
	})

	t.Run("status", func(t *testing.T) {
		for _, code := range StatusCodes {
			resp, _ := get(t, c, fmt.Sprintf("%s%s%d", n.URL, StatusPrefix, code))
			if resp.StatusCode != code {
				t.Errorf("GET %s%d: got status %d; want %d", StatusPrefix, code, resp.StatusCode, code)
			}
		}
		for _, path := range []string{NotFoundPath, "/no/such/file.txt"} {
			resp, _ := get(t, c, n.URL+path)
			if resp.StatusCode != 404 {
				t.Errorf("GET %s: got status %d; want 404", path, resp.StatusCode)
			}
		}
	})

	t.Run("redirect", func(t *testing.T) {
		tests := []struct {
			name, path   string
			wantStatus   int
			wantLocation string
		}{
			{"301", RedirectPrefix + "301/hello.txt", 301, "/hello.txt"},
			{"302 query", RedirectPrefix + "302/a/b?x=1", 302, "/a/b?x=1"},
			{"303", RedirectPrefix + "303/", 303, "/"},
			{"307", RedirectPrefix + "307/hello.txt", 307, "/hello.txt"},
			{"308", RedirectPrefix + "308/hello.txt", 308, "/hello.txt"},
			{"loop", RedirectLoopPath, 302, RedirectLoopPath},
			{"to https", ToHTTPSPrefix + "hello.txt", 302, n.TLSURL + "/hello.txt"},
			{"to http", ToHTTPPrefix + "hello.txt", 302, n.URL + "/hello.txt"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, _ := get(t, c, n.URL+tt.path)
				if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantLocation {
					t.Errorf("GET %s: got %d Location %q; want %d %q", tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.wantStatus, tt.wantLocation)
				}
			})
		}
		// Followed by a client, the https redirect ends on the TLS port.
		follow := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: n.CAPool}}}
		resp, err := follow.Get(n.URL + ToHTTPSPrefix + "hello.txt")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.String() != n.TLSURL+"/hello.txt" || resp.TLS == nil {
			t.Errorf("following %s: ended at %s (TLS %v); want %s over TLS", ToHTTPSPrefix, resp.Request.URL, resp.TLS != nil, n.TLSURL+"/hello.txt")
		}
	})

	t.Run("tls-errors", func(t *testing.T) {
		tests := []struct {
			name  string
			url   string
			check func(error) bool
			want  string
		}{
			{"expired", n.ExpiredURL, func(err error) bool {
				var e x509.CertificateInvalidError
				return errors.As(err, &e) && e.Reason == x509.Expired
			}, "x509.CertificateInvalidError{Reason: Expired}"},
			{"wrong name", n.WrongNameURL, func(err error) bool {
				var e x509.HostnameError
				return errors.As(err, &e)
			}, "x509.HostnameError"},
			{"untrusted", n.UntrustedURL, func(err error) bool {
				var e x509.UnknownAuthorityError
				return errors.As(err, &e)
			}, "x509.UnknownAuthorityError"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := c.Get(tt.url + "/hello.txt")
				if err == nil {
					resp.Body.Close()
					t.Fatalf("GET %s: got status %d; want a TLS error", tt.url, resp.StatusCode)
				}
				if !tt.check(err) {
					t.Errorf("GET %s: got error %v; want %s", tt.url, err, tt.want)
				}
			})
		}
		// With verification off, each still serves the docroot.
		insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		for _, url := range []string{n.ExpiredURL, n.WrongNameURL, n.UntrustedURL} {
			resp, err := insecure.Get(url + "/hello.txt")
			if err != nil {
				t.Fatalf("GET %s without verification: %v", url, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET %s without verification: got %d; want 200", url, resp.StatusCode)
			}
		}
	})

	t.Run("tls-alpn-resumption", func(t *testing.T) {
		cfg := &tls.Config{RootCAs: n.CAPool, ServerName: "localhost", NextProtos: []string{"http/1.1"}, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		for i, wantResumed := range []bool{false, true} {
			conn, err := tls.Dial("tcp", n.TLSAddr, cfg)
			if err != nil {
				t.Fatalf("TLS dial %d to %s: %v", i, n.TLSAddr, err)
			}
			// TLS 1.3 tickets arrive after the handshake: read a response.
			fmt.Fprintf(conn, "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			_, _ = io.ReadAll(conn)
			st := conn.ConnectionState()
			conn.Close()
			if st.NegotiatedProtocol != "http/1.1" {
				t.Errorf("conn %d: got ALPN %q; want http/1.1", i, st.NegotiatedProtocol)
			}
			if st.DidResume != wantResumed {
				t.Errorf("conn %d: got DidResume %v; want %v", i, st.DidResume, wantResumed)
			}
		}
	})

	t.Run("access-log", func(t *testing.T) {
		before, err := n.AccessLog()
		if err != nil {
			t.Fatal(err)
		}
		get(t, c, n.URL+"/hello.txt?marker=1")
		entries := n.WaitAccessLog(t, len(before)+1)
		e := entries[len(entries)-1]
		if e.Method != "GET" || e.URI != "/hello.txt?marker=1" || e.Status != 200 || e.ServerPort == 0 || e.BytesSent < 18 {
			t.Errorf("last access log entry: got %+v; want GET /hello.txt?marker=1 200 with at least 18 bytes", e)
		}
	})
}

// rawExchange writes req on a new connection to addr and returns all it reads
// until the server closes.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading from %s: %v", addr, err)
	}
	return string(b)
}

func TestNginxKeepalive(t *testing.T) {
	const limit = 3
	n := StartNginx(t, NginxOptions{KeepaliveRequests: limit, Files: map[string][]byte{"k.txt": []byte("keep\n")}})
	conn, err := net.DialTimeout("tcp", n.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := 1; i <= limit; i++ {
		fmt.Fprintf(conn, "GET /k.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d on one connection: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "keep\n" {
			t.Errorf("response %d: got body %q; want %q", i, body, "keep\n")
		}
		if gotClose, wantClose := resp.Close, i == limit; gotClose != wantClose {
			t.Errorf("response %d of keepalive_requests %d: got Close %v; want %v", i, limit, gotClose, wantClose)
		}
	}
	// nginx has closed the connection under the client.
	if n, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after %d requests: got read (%v, %v); want EOF", limit, n, err)
	}
	entries := n.WaitAccessLog(t, limit)
	for i, e := range entries {
		if e.Connection != entries[0].Connection || e.ConnectionRequests != i+1 {
			t.Errorf("access log entry %d: got connection %d request %d; want connection %d request %d", i, e.Connection, e.ConnectionRequests, entries[0].Connection, i+1)
		}
	}
}

func TestNginxKeepaliveOff(t *testing.T) {
	n := StartNginx(t, NginxOptions{KeepaliveTimeout: -1})
	resp, _ := get(t, testClient(nil), n.URL+"/")
	if !resp.Close {
		t.Errorf("GET / with keep-alive off: got Close false; want true (Connection: close)")
	}
}

func TestNginxWorkers(t *testing.T) {
	n := StartNginx(t, NginxOptions{Workers: 2})
	for i := 0; i < 4; i++ {
		resp, _ := get(t, testClient(nil), n.URL+"/")
		if resp.StatusCode != 200 {
			t.Fatalf("GET / with 2 workers: got %d; want 200", resp.StatusCode)
		}
	}
}

func mergeFiles(ms ...map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
