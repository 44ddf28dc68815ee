package fetcher

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileServer is an in-process peer that misbehaves in one way: it
// accepts on 127.0.0.1:0 and runs handle on every connection, each on a
// goroutine of its own, until the test ends.
type hostileServer struct {
	ln   net.Listener
	wg   sync.WaitGroup
	done chan struct{}
}

func startHostile(t testing.TB, handle func(c net.Conn, done <-chan struct{})) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{ln: ln, done: make(chan struct{})}
	var mu sync.Mutex
	var conns []net.Conn
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				handle(c, s.done)
			}()
		}
	}()
	t.Cleanup(func() {
		close(s.done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *hostileServer) URL() string { return "http://" + s.ln.Addr().String() }

// readHead reads a request head off c.
func readHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" || line == "\n" {
			return nil
		}
	}
}

// answer returns a handler that reads each request head and writes resp.
func answer(resp string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		for readHead(br) == nil {
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	}
}

// fixture returns the bytes of testdata/name: one raw response per quirk.
func fixture(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// answerFixture is answer with the response in testdata/name, read when a
// connection first needs it.
func answerFixture(name string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) { answer(fixture(name))(c, done) }
}

// The hostile peers, named after what they do.
var hostiles = map[string]func(c net.Conn, done <-chan struct{}){
	// silent reads the request and never answers.
	"silent": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		<-done
	},
	// stallAfterHeaders sends a head promising 100 bytes, then nothing.
	"stallAfterHeaders": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
		<-done
	},
	// drip sends a head promising 1000 bytes, then a byte every 50ms.
	"drip": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 1000; i++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte{'x'}); err != nil {
				return
			}
		}
	},
	// malformedStatus answers with a status code that is not a number.
	"malformedStatus": answerFixture("status-malformed.http"),
	// notHTTP answers with something that is not HTTP at all.
	"notHTTP": answerFixture("not-http.txt"),
	// truncatedBody promises 1000 bytes, sends 10 and closes.
	"truncatedBody": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
	},
	// truncatedHead closes in the middle of the head.
	"truncatedHead": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Le")
	},
	// badChunkSize sends a chunk whose size is not hexadecimal.
	"badChunkSize": answerFixture("chunked-bad-size.http"),
	// endlessBody sends chunks until the client goes away (at most 256 MiB).
	"endlessBody": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := "4000\r\n" + strings.Repeat("e", 0x4000) + "\r\n"
		for i := 0; i < 16<<10; i++ {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	},
	// hugeHeader sends a header line of 1 MiB.
	"hugeHeader": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Huge: "+strings.Repeat("h", 1<<20)+"\r\nContent-Length: 0\r\n\r\n")
	},
	// redirectLoop redirects every request to itself.
	"redirectLoop": answerFixture("redirect-loop.http"),
	// redirectToFTP redirects to another scheme.
	"redirectToFTP": answerFixture("redirect-ftp.http"),
	// reset reads the request and resets the connection.
	"reset": func(c net.Conn, done <-chan struct{}) {
		readHead(bufio.NewReader(c))
		c.(*net.TCPConn).SetLinger(0)
	},
	// tooManyInfo sends 1xx answers and never a final one.
	"tooManyInfo": answerFixture("info-endless.http"),
	// gzipLie says gzip but sends plain bytes (with Compressed on).
	"gzipLie": answerFixture("gzip-not-gzip.http"),
}

// failingResolver answers every name with a lookup failure.
type failingResolver struct{}

func (failingResolver) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

// TestHostile runs a list mixing well-behaved URLs with hostile peers
// through every engine: each hostile URL ends with its kind, every other
// URL succeeds.
func TestHostile(t *testing.T) {
	good := startServe(t)
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedURL := "http://" + refused.Addr().String() + "/"
	refused.Close()
	tlsSilent := startHostile(t, hostiles["silent"])

	want := map[string]ErrorKind{
		"silent":            KindTimeout,
		"stallAfterHeaders": KindTimeout,
		"drip":              KindTimeout,
		"malformedStatus":   KindProtocol,
		"notHTTP":           KindProtocol,
		"truncatedBody":     KindIO,
		"truncatedHead":     KindIO,
		"badChunkSize":      KindProtocol,
		"endlessBody":       KindTooLarge,
		"hugeHeader":        KindProtocol,
		"redirectLoop":      KindTooManyRedirects,
		"redirectToFTP":     KindUnsupportedScheme,
		"reset":             KindIO,
		"tooManyInfo":       KindProtocol,
		"gzipLie":           KindProtocol,
	}
	var urls []string
	wantKind := map[string]ErrorKind{}
	for name, kind := range want {
		u := startHostile(t, hostiles[name]).URL() + "/" + name
		urls = append(urls, u)
		wantKind[u] = kind
	}
	extra := map[string]ErrorKind{
		refusedURL: KindConnect,
		"https://" + tlsSilent.ln.Addr().String():    KindTimeout, // no TLS answer
		"http://no-such-host.invalid/":               KindDNS,
		"ftp://127.0.0.1/":                           KindUnsupportedScheme,
		"http://127.0.0.1:99999/":                    KindInvalidURL,
		"http:// bad host/":                          KindInvalidURL,
		good.URL() + "/size/1GiB/gzip":               KindTooLarge, // a gzip bomb
		good.URL() + "/redirect-to/gopher%3A%2F%2Fx": KindUnsupportedScheme,
	}
	for u, k := range extra {
		urls = append(urls, u)
		wantKind[u] = k
	}
	for i := 0; i < 10; i++ {
		u := fmt.Sprintf("%s/size/%d/gzip", good.URL(), 1000+i)
		urls = append(urls, u)
		wantKind[u] = KindNone
	}
	cfg := RunConfig{Config: Config{Timeout: time.Second, TLSTimeout: 300 * time.Millisecond, MaxBody: 1 << 20, Compressed: true, Resolver: failingResolver{}}, Concurrency: 8}
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			res, _ := runList(t, context.Background(), mode, cfg, urls)
			for _, r := range res {
				if r.ErrorKind != wantKind[r.URL] {
					t.Errorf("%s: got kind %v (%s); want %v", r.URL, r.ErrorKind, errString(r), wantKind[r.URL])
				}
				if r.ErrorKind == KindNone && (r.Status != 200 || r.Bytes < 1000) {
					t.Errorf("%s: got status %d, %d bytes; want 200 and the body", r.URL, r.Status, r.Bytes)
				}
				if r.ErrorKind != KindNone {
					var fe *Error
					if !errors.As(r.Err, &fe) || fe.Kind != r.ErrorKind || !strings.HasPrefix(*r.Error, fe.URL+": "+r.ErrorKind.String()+": ") {
						t.Errorf("%s: got error %q (%T); want an *Error saying \"URL: %v: ...\"", r.URL, errString(r), r.Err, r.ErrorKind)
					}
				}
				if testing.Verbose() {
					t.Logf("%-60s %-18v %s", r.URL, r.ErrorKind, errString(r))
				}
			}
		})
	}
}

// TestPhaseTimeouts: each phase timeout ends a fetch long before the
// overall one, says which phase, and is retried when Retries allows.
func TestPhaseTimeouts(t *testing.T) {
	silent := startHostile(t, hostiles["silent"])
	drip := startHostile(t, hostiles["drip"])
	tests := []struct {
		name        string
		url         string
		cfg         Config
		wantMsg     string
		wantRetries int
	}{
		{"header", silent.URL(), Config{HeaderTimeout: 100 * time.Millisecond}, "no response head within 100ms", 0},
		{"header retried", silent.URL(), Config{HeaderTimeout: 100 * time.Millisecond, Retries: 1}, "no response head within 100ms", 1},
		{"idle body", drip.URL(), Config{IdleReadTimeout: 10 * time.Millisecond}, "no body bytes for 10ms", 0},
		{"overall", drip.URL(), Config{Timeout: 300 * time.Millisecond}, "no complete response within 300ms", 0},
	}
	for _, tt := range tests {
		for _, mode := range []Mode{ModeThreads, ModeAsync} {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				if tt.cfg.Timeout == 0 {
					tt.cfg.Timeout = testTimeout
				}
				res, _ := runList(t, context.Background(), mode, RunConfig{Config: tt.cfg}, []string{tt.url})
				r := res[0]
				if r.ErrorKind != KindTimeout || !strings.Contains(errString(r), tt.wantMsg) || r.Retries != tt.wantRetries {
					t.Errorf("got %v %q, %d retries; want timeout saying %q, %d retries", r.ErrorKind, errString(r), r.Retries, tt.wantMsg, tt.wantRetries)
				}
			})
		}
	}
}

// listenFull returns the address of a listener whose accept queue is full
// and never drained: a connect to it hangs (the kernel drops the SYN), as
// a connect to a blackholed host does, but on loopback.
func listenFull(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue (backlog 0 holds one connection, two with the SYN
	// queue's slack); stop when a connect no longer completes at once.
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the kernel accepted every connect to a full backlog: no connect stall to test")
	return ""
}

// TestConnectStall: a connect that never completes ends as a connect-phase
// timeout, retried when Retries allows, in every engine.
func TestConnectStall(t *testing.T) {
	addr := listenFull(t)
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := Config{Timeout: testTimeout, ConnectTimeout: 150 * time.Millisecond, Retries: 1}
			res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{"http://" + addr + "/"})
			r := res[0]
			if r.ErrorKind != KindTimeout || !strings.Contains(errString(r), "connect timed out after 150ms") || r.Retries != 1 {
				t.Errorf("got %v %q, %d retries; want timeout saying the connect timed out, 1 retry", r.ErrorKind, errString(r), r.Retries)
			}
		})
	}
}
