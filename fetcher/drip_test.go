package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// How often a dripping peer sends its next byte: dripEvery is fast (a
// body that keeps coming), slowDrip lets a bound fire between two bytes
// of one line. No idle-read bound is set: only the deadline under test
// can end the fetch.
const (
	dripEvery = 20 * time.Millisecond
	slowDrip  = 200 * time.Millisecond
)

// dripConn writes what it is given a byte at a time, every apart, from
// the byte at offset on (the bytes before go at once), until done.
type dripConn struct {
	net.Conn
	offset  int
	every   time.Duration
	written int
	done    <-chan struct{}
}

func (d *dripConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if d.written < d.offset {
			k := min(len(p)-n, d.offset-d.written)
			m, err := d.Conn.Write(p[n : n+k])
			n, d.written = n+m, d.written+m
			if err != nil {
				return n, err
			}
			continue
		}
		select {
		case <-d.done:
			return n, net.ErrClosed
		case <-time.After(d.every):
		}
		if _, err := d.Conn.Write(p[n : n+1]); err != nil {
			return n, err
		}
		n++
		d.written++
	}
	return n, nil
}

// dripAnswer reads each request and writes resp, dripping a byte every
// so often from offset on.
func dripAnswer(resp string, offset int, every time.Duration) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) {
		if readHead(bufio.NewReader(c)) != nil {
			return
		}
		io.WriteString(&dripConn{Conn: c, offset: offset, every: every, done: done}, resp)
	}
}

// dripHandshake runs a TLS server handshake whose bytes drip from the
// first one on.
func dripHandshake(conf *tls.Config) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) {
		tls.Server(&dripConn{Conn: c, every: dripEvery, done: done}, conf).Handshake()
	}
}

// TestDripTimeouts: whichever deadline fires while a peer drips its
// bytes — the overall Timeout or the deadline of the phase — the result
// is a timeout that names the phase, never a malformed response: the
// deadline, not the partial bytes, is the cause. A drip at each point of
// the exchange, in every engine.
func TestDripTimeouts(t *testing.T) {
	certs, err := testserver.GenerateCerts(t.TempDir(), testserver.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{certs.Server.Cert}}
	const fixed = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
	const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	body := strings.Repeat("b", 1000)
	servers := map[string]string{
		// In the head, a slow drip: the bound fires in the middle of the
		// status code and of a field name, where a cut line would read as
		// malformed.
		"status line":     startHostile(t, dripAnswer(fixed+body, len("HTTP/1.1 2"), slowDrip)).URL(),
		"header field":    startHostile(t, dripAnswer(fixed+body, len("HTTP/1.1 200 OK\r\nContent-Ty"), slowDrip)).URL(),
		"chunk size line": startHostile(t, dripAnswer(chunked+"3e8\r\n"+body+"\r\n0\r\n\r\n", len(chunked)+1, dripEvery)).URL(),
		"body":            startHostile(t, dripAnswer(fixed+body, len(fixed)+3, dripEvery)).URL(),
		"tls handshake":   strings.Replace(startHostile(t, dripHandshake(tlsConf)).URL(), "http:", "https:", 1),
		"connect":         "http://" + listenFull(t),
		// Reads the request head, never the body: a big body's write
		// blocks once the socket buffers are full.
		"request body": startHostile(t, func(c net.Conn, done <-chan struct{}) {
			readHead(bufio.NewReader(c))
			<-done
		}).URL(),
	}
	big := strings.Repeat("d", 32<<20)
	const bound = 300 * time.Millisecond
	tests := []struct {
		point string
		cfg   Config
		want  string // in the error
	}{
		{"connect", Config{ConnectTimeout: bound}, "connect timed out after 300ms"},
		{"connect", Config{Timeout: bound}, "during connect"},
		{"request body", Config{Timeout: bound, Data: big}, "during request"},
		{"tls handshake", Config{TLSTimeout: bound}, "TLS handshake timed out after 300ms"},
		{"tls handshake", Config{Timeout: bound}, "during tls"},
		{"status line", Config{HeaderTimeout: bound}, "no response head within 300ms"},
		{"status line", Config{Timeout: bound}, "during header"},
		{"header field", Config{HeaderTimeout: bound}, "no response head within 300ms"},
		{"header field", Config{Timeout: bound}, "during header"},
		{"chunk size line", Config{Timeout: bound}, "during body"},
		{"body", Config{Timeout: bound}, "during body"},
	}
	for _, mode := range Modes {
		for _, tt := range tests {
			bounded := "Timeout"
			if tt.cfg.Timeout == 0 {
				bounded = "phase"
			}
			t.Run(mode.String()+"/"+tt.point+"/"+bounded, func(t *testing.T) {
				t.Parallel()
				cfg := tt.cfg
				if cfg.Timeout == 0 {
					cfg.Timeout = testTimeout
				}
				cfg.Insecure = true
				res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{servers[tt.point] + "/"})
				r := res[0]
				if r.ErrorKind != KindTimeout || !strings.Contains(errString(r), tt.want) {
					t.Errorf("%s: got %v %q; want timeout saying %q", tt.point, r.ErrorKind, errString(r), tt.want)
				}
			})
		}
	}
}

// TestHostOverrideTLS: with "Host: vhost" the TLS server name (SNI) and
// the certificate check stay the URL's host; only the Host header says
// vhost.
func TestHostOverrideTLS(t *testing.T) {
	certs, err := testserver.GenerateCerts(t.TempDir(), testserver.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sni, host string
	conf := &tls.Config{
		Certificates: []tls.Certificate{certs.Server.Cert},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			sni = hello.ServerName
			mu.Unlock()
			return nil, nil
		},
	}
	s := startHostile(t, func(c net.Conn, done <-chan struct{}) {
		tc := tls.Server(c, conf)
		req, err := http.ReadRequest(bufio.NewReader(tc))
		if err != nil {
			return
		}
		mu.Lock()
		host = req.Host
		mu.Unlock()
		io.WriteString(tc, ok0)
	})
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	c, err := NewClient(Config{Timeout: testTimeout, RootCAs: certs.CAPool, HeaderLines: []string{"Host: vhost.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := c.Fetch(context.Background(), "https://localhost:"+port+"/")
	mu.Lock()
	defer mu.Unlock()
	if !r.OK() || sni != "localhost" || host != "vhost.test" {
		t.Errorf("got status %d (%s), SNI %q, Host %q; want 200, SNI localhost, Host vhost.test", r.Status, errString(r), sni, host)
	}
}
