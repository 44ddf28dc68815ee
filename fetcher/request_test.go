package fetcher

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is a request as an echo server got it.
type seen struct {
	Method, Path, Host string
	Header             http.Header
	Body               string
}

// echoServer records every request, body included, and answers what
// answerFor says (a whole response).
type echoServer struct {
	*hostileServer
	mu   sync.Mutex
	reqs []seen
}

func startEcho(t *testing.T, answerFor func(r seen) string) *echoServer {
	e := &echoServer{}
	e.hostileServer = startHostile(t, func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return
			}
			s := seen{req.Method, req.URL.Path, req.Host, req.Header, string(body)}
			e.mu.Lock()
			e.reqs = append(e.reqs, s)
			e.mu.Unlock()
			if _, err := io.WriteString(c, answerFor(s)); err != nil {
				return
			}
		}
	})
	return e
}

func (e *echoServer) requests() []seen {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]seen(nil), e.reqs...)
}

const ok0 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

// TestHeaderLinesHostOverride: -H lines go on the wire; "Host: vhost"
// replaces the Host header on the URL's own host only (the connection
// still goes to the URL's address); "Name:" removes a header the client
// sends; "Name;" sends it empty.
func TestHeaderLinesHostOverride(t *testing.T) {
	other := startEcho(t, func(seen) string { return ok0 })
	_, port, _ := net.SplitHostPort(other.ln.Addr().String())
	otherURL := "http://localhost:" + port + "/landed"
	first := startEcho(t, func(r seen) string {
		if r.Path == "/go" {
			return "HTTP/1.1 302 Found\r\nLocation: " + otherURL + "\r\nContent-Length: 0\r\n\r\n"
		}
		return ok0
	})
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := Config{Timeout: testTimeout, HeaderLines: []string{"Host: vhost.test", "X-Trace: t1", "User-Agent:", "X-Empty;"}}
			res, _ := runList(t, context.Background(), mode, RunConfig{Config: cfg}, []string{first.URL() + "/go"})
			if r := res[0]; !r.OK() || r.FinalURL != otherURL {
				t.Fatalf("got status %d, final %s, error %s; want 200 at %s", r.Status, r.FinalURL, errString(r), otherURL)
			}
			got1 := first.requests()[len(first.requests())-1]
			got2 := other.requests()[len(other.requests())-1]
			if got1.Host != "vhost.test" || got1.Header.Get("X-Trace") != "t1" || got1.Header["User-Agent"] != nil || got1.Header["X-Empty"] == nil {
				t.Errorf("first host: got Host %q, headers %v; want Host vhost.test, X-Trace, no User-Agent, an empty X-Empty", got1.Host, got1.Header)
			}
			if got2.Host != "localhost:"+port || got2.Header.Get("X-Trace") != "t1" {
				t.Errorf("after a redirect to another host: got Host %q, headers %v; want the URL's host, X-Trace kept", got2.Host, got2.Header)
			}
		})
	}
}

// TestMethodAndData: -X and -d as curl sends them, and what a redirect
// does to the method and the body.
func TestMethodAndData(t *testing.T) {
	s := startEcho(t, func(r seen) string {
		var code int
		if _, err := fmt.Sscanf(r.Path, "/r%d", &code); err == nil {
			return fmt.Sprintf("HTTP/1.1 %d Moved\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n", code)
		}
		return ok0
	})
	file := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(file, []byte("a=1\r\n&b=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type req struct{ method, body, ctype string }
	tests := []struct {
		name string
		cfg  Config
		path string
		want []req // each request the server got
	}{
		{"data is a form POST", Config{Data: "a=1&b=2"}, "/x", []req{{"POST", "a=1&b=2", "application/x-www-form-urlencoded"}}},
		{"data from a file, newlines dropped", Config{Data: "@" + file}, "/x", []req{{"POST", "a=1&b=2", "application/x-www-form-urlencoded"}}},
		{"PUT with its own Content-Type", Config{Method: "PUT", Data: `{"a":1}`, HeaderLines: []string{"Content-Type: application/json"}}, "/x", []req{{"PUT", `{"a":1}`, "application/json"}}},
		{"any token as method, no body", Config{Method: "PROPFIND"}, "/x", []req{{"PROPFIND", "", ""}}},
		{"POST 301 becomes GET", Config{Data: "d"}, "/r301", []req{{"POST", "d", "application/x-www-form-urlencoded"}, {"GET", "", ""}}},
		{"POST 302 becomes GET", Config{Data: "d"}, "/r302", []req{{"POST", "d", "application/x-www-form-urlencoded"}, {"GET", "", ""}}},
		{"PUT 303 becomes GET", Config{Method: "PUT", Data: "d"}, "/r303", []req{{"PUT", "d", "application/x-www-form-urlencoded"}, {"GET", "", ""}}},
		{"PUT 301 stays PUT", Config{Method: "PUT", Data: "d"}, "/r301", []req{{"PUT", "d", "application/x-www-form-urlencoded"}, {"PUT", "d", "application/x-www-form-urlencoded"}}},
		{"POST 307 keeps the body", Config{Data: "d"}, "/r307", []req{{"POST", "d", "application/x-www-form-urlencoded"}, {"POST", "d", "application/x-www-form-urlencoded"}}},
		{"POST 308 keeps the body", Config{Data: "d"}, "/r308", []req{{"POST", "d", "application/x-www-form-urlencoded"}, {"POST", "d", "application/x-www-form-urlencoded"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Timeout = testTimeout
			c, err := NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			before := len(s.requests())
			r := c.Fetch(context.Background(), s.URL()+tt.path)
			if !r.OK() {
				t.Fatalf("got status %d, error %s; want 200", r.Status, errString(r))
			}
			got := s.requests()[before:]
			if len(got) != len(tt.want) {
				t.Fatalf("server got %d requests; want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				cl := g.Header.Get("Content-Length")
				wantCL := ""
				if w.body != "" {
					wantCL = fmt.Sprint(len(w.body))
				}
				if g.Method != w.method || g.Body != w.body || g.Header.Get("Content-Type") != w.ctype || cl != wantCL {
					t.Errorf("request %d: got %s body %q, Content-Type %q, Content-Length %q; want %s body %q, %q, %q",
						i, g.Method, g.Body, g.Header.Get("Content-Type"), cl, w.method, w.body, w.ctype, wantCL)
				}
			}
		})
	}
}

// TestRetryAsCurl: which answers and failures --retry retries, for which
// methods, and how RetryAllErrors, RetryMaxTime and a long Retry-After
// change that.
func TestRetryAsCurl(t *testing.T) {
	s := startServe(t)
	refused := "http://127.0.0.1:1/"
	tests := []struct {
		name        string
		cfg         Config
		url         string
		wantStatus  int
		wantRetries int
		wantKind    ErrorKind
		wantMsg     string
	}{
		{"408 retried", Config{Retries: 2}, s.URL() + "/status/408", 408, 2, KindNone, ""},
		{"500 retried", Config{Retries: 1}, s.URL() + "/status/500", 500, 1, KindNone, ""},
		{"501 not retried", Config{Retries: 2}, s.URL() + "/status/501", 501, 0, KindNone, ""},
		{"PUT retried", Config{Retries: 1, Method: "PUT"}, s.URL() + "/status/503/header/Retry-After:0", 503, 1, KindNone, ""},
		{"POST never retried", Config{Retries: 2, Data: "x"}, s.URL() + "/status/503/header/Retry-After:0", 503, 0, KindNone, ""},
		{"POST refused never retried", Config{Retries: 2, Data: "x"}, refused, 0, 0, KindConnect, ""},
		{"POST retried with RetryAllErrors", Config{Retries: 2, Data: "x", RetryAllErrors: true}, s.URL() + "/status/503/header/Retry-After:0", 503, 2, KindNone, ""},
		{"404 retried with RetryAllErrors", Config{Retries: 1, RetryAllErrors: true}, s.URL() + "/status/404", 404, 1, KindNone, ""},
		{"Retry-After beyond the timeout", Config{Retries: 2, Timeout: 5 * time.Second}, s.URL() + "/status/503/header/Retry-After:60", 503, 0, KindTimeout, "Retry-After"},
		{"Retry-After beyond RetryMaxTime", Config{Retries: 2, RetryMaxTime: 500 * time.Millisecond}, s.URL() + "/status/429/header/Retry-After:2", 429, 0, KindTimeout, "retry max time"},
		{"RetryMaxTime ends backoff retries", Config{Retries: 1000, RetryMaxTime: 300 * time.Millisecond}, refused, 0, -1, KindConnect, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Timeout == 0 {
				tt.cfg.Timeout = testTimeout
			}
			res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: tt.cfg}, []string{tt.url})
			r := res[0]
			retriesOK := r.Retries == tt.wantRetries || tt.wantRetries < 0 && r.Retries < tt.cfg.Retries
			if r.Status != tt.wantStatus || !retriesOK || r.ErrorKind != tt.wantKind || !strings.Contains(errString(r), tt.wantMsg) {
				t.Errorf("%s: got status %d, %d retries, %v %s; want %d, %d retries, %v saying %q",
					tt.url, r.Status, r.Retries, r.ErrorKind, errString(r), tt.wantStatus, tt.wantRetries, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

// writeLog records each Write as one entry.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestVerbose: request and response heads as curl -v shows them, one
// Write each, passwords masked, from every engine at once.
func TestVerbose(t *testing.T) {
	s := startEcho(t, func(seen) string {
		return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
	})
	u := strings.Replace(s.URL(), "http://", "http://user:secret@", 1) + "/v"
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			var log writeLog
			urls := []string{u, u, u, u}
			runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, Verbose: &log, Concurrency: 4}, urls)
			if len(log.writes) != 2*len(urls) {
				t.Fatalf("got %d writes; want %d (one per head)", len(log.writes), 2*len(urls))
			}
			var reqs, resps int
			for _, w := range log.writes {
				if strings.Contains(w, "secret") {
					t.Errorf("a head shows the password: %q", w)
				}
				lines := strings.Split(strings.TrimSuffix(w, "\n"), "\n")
				if lines[0] != "* "+strings.Replace(u, "secret", "***", 1) {
					t.Errorf("got first line %q; want the masked URL", lines[0])
				}
				switch {
				case lines[1] == "> GET /v HTTP/1.1":
					reqs++
					if !strings.Contains(w, "\n> Authorization: Basic ***\n") || !strings.HasSuffix(w, "\n> \n") && !strings.HasSuffix(w, "\n>\n") {
						t.Errorf("request head: got %q; want masked Authorization and the blank line", w)
					}
				case lines[1] == "< HTTP/1.1 200 OK":
					resps++
					if !strings.Contains(w, "\n< Content-Type: text/plain\n") {
						t.Errorf("response head: got %q; want its fields", w)
					}
				default:
					t.Errorf("got a write %q; want a request or response head", w)
				}
			}
			if reqs != len(urls) || resps != len(urls) {
				t.Errorf("got %d request and %d response heads; want %d of each", reqs, resps, len(urls))
			}
		})
	}
}

// TestResultExtras: headers with IncludeHeaders, the job's label, and
// "ok" in the JSON of every result.
func TestResultExtras(t *testing.T) {
	s := startServe(t)
	jobs := make(chan Job, 2)
	results := make(chan Result, 2)
	jobs <- Job{URL: s.URL() + "/size/3", Index: 0, Label: "id-1"}
	jobs <- Job{URL: s.URL() + "/status/404", Index: 1}
	close(jobs)
	if _, err := Run(context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}, IncludeHeaders: true}, jobs, results); err != nil {
		t.Fatal(err)
	}
	close(results)
	for r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		hdr, _ := m["headers"].(map[string]any)
		if m["ok"] != r.OK() || hdr["Content-Length"] == nil || r.Headers.Get("Content-Length") == "" {
			t.Errorf("%s: got %s; want \"ok\": %v and the response headers", r.URL, b, r.OK())
		}
		wantLabel := map[int64]any{0: "id-1", 1: nil}[r.Index]
		if m["label"] != wantLabel {
			t.Errorf("%s: got label %v; want %v", r.URL, m["label"], wantLabel)
		}
	}
	var back Result
	b, _ := json.Marshal(Result{Type: "result", Status: 503})
	if err := json.Unmarshal(b, &back); err != nil || back.Status != 503 || !strings.Contains(string(b), `"ok":false`) {
		t.Errorf("got %s (%v); want \"ok\":false and a result that reads back", b, err)
	}
}

// TestPasswordsMasked: a URL's password never shows in a result: not in
// the URL, the final URL, the error, nor a saved file's name.
func TestPasswordsMasked(t *testing.T) {
	s := startEcho(t, func(r seen) string {
		if r.Path == "/go" {
			return "HTTP/1.1 302 Found\r\nLocation: http://user:secret@127.0.0.1:1/gone\r\nContent-Length: 0\r\n\r\n"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	})
	base := strings.Replace(s.URL(), "http://", "http://user:secret@", 1)
	dir := t.TempDir()
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			res, _ := runList(t, context.Background(), mode, RunConfig{Config: Config{Timeout: testTimeout}, SaveDir: dir}, []string{base + "/go", base + "/file", "ftp://user:secret@h/", "http://user:secret@h:99999/"})
			for _, r := range res {
				b, _ := json.Marshal(r)
				if strings.Contains(string(b), "secret") || strings.Contains(errString(r), "secret") {
					t.Errorf("got %s; want the password masked everywhere", b)
				}
				if !strings.Contains(r.URL, "user:***@") {
					t.Errorf("got url %q; want user:***@ in it", r.URL)
				}
			}
			if res[0].ErrorKind != KindConnect || !strings.Contains(res[0].FinalURL, "user:***@127.0.0.1:1") {
				t.Errorf("got %v, final %q; want connect at the masked Location", res[0].ErrorKind, res[0].FinalURL)
			}
			if !res[1].OK() || res[1].SavedAs == "" {
				t.Errorf("got status %d, saved as %q; want a saved file", res[1].Status, res[1].SavedAs)
			}
		})
	}
}

// TestRetryBody: a body that stalls (an idle-read timeout) or is cut is
// fetched again when Retries allows, and the result is the second body's
// alone; without Retries the failure is the result.
func TestRetryBody(t *testing.T) {
	for _, tt := range []struct {
		name string
		bad  func(c net.Conn, done <-chan struct{}) // the first answer
		kind ErrorKind
	}{
		{"stall", func(c net.Conn, done <-chan struct{}) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")
			<-done
		}, KindTimeout},
		{"cut", func(c net.Conn, done <-chan struct{}) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")
		}, KindIO},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			s := startHostile(t, func(c net.Conn, done <-chan struct{}) {
				if readHead(bufio.NewReader(c)) != nil {
					return
				}
				mu.Lock()
				n++
				first := n%2 == 1
				mu.Unlock()
				if first {
					tt.bad(c, done)
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
			})
			for _, mode := range Modes {
				reset := func() { mu.Lock(); n = 0; mu.Unlock() } // the next answer is the bad one
				reset()
				cfg := RunConfig{Config: Config{Timeout: testTimeout, IdleReadTimeout: 200 * time.Millisecond}, SHA256: true}
				res, _ := runList(t, context.Background(), mode, cfg, []string{s.URL() + "/"})
				if r := res[0]; r.ErrorKind != tt.kind || r.Retries != 0 {
					t.Errorf("%v without Retries: got %v %s, %d retries; want %v", mode, r.ErrorKind, errString(r), r.Retries, tt.kind)
				}
				cfg.Retries = 1
				reset()
				res, _ = runList(t, context.Background(), mode, cfg, []string{s.URL() + "/"})
				if r := res[0]; !r.OK() || r.Retries != 1 || r.Bytes != 10 || r.SHA256 != sha256Hex([]byte("0123456789")) {
					t.Errorf("%v with Retries: got status %d, %d bytes, %d retries, error %s; want the 10 bytes of the second answer after 1 retry", mode, r.Status, r.Bytes, r.Retries, errString(r))
				}
			}
		})
	}
}
