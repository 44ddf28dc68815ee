package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// seen is what a recording server saw of one request.
type seen struct {
	method, host, body, contentType, auth string
}

// startRecorder starts an HTTP server on loopback that records every
// request and answers 200 with a small body and a header of its own.
func startRecorder(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var reqs []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.Host, string(b), r.Header.Get("Content-Type"), r.Header.Get("Authorization")})
		mu.Unlock()
		w.Header().Set("X-Recorder", "yes")
		io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), reqs...)
	}
}

// TestE2ERequestFlags: -X, -d, -H "Host: …", --include, -v, labels and
// password masking, as a user runs them.
func TestE2ERequestFlags(t *testing.T) {
	srv, requests := startRecorder(t)
	dir := t.TempDir()
	body := filepath.Join(dir, "body.txt")
	if err := os.WriteFile(body, []byte("from=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("method and data", func(t *testing.T) {
		before := len(requests())
		r := fetch(t, "", "-X", "PUT", "-d", "a=1&b=2", srv.URL+"/x")
		if r.code != 0 {
			t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
		}
		got := requests()[before:]
		if len(got) != 1 || got[0].method != "PUT" || got[0].body != "a=1&b=2" || got[0].contentType != "application/x-www-form-urlencoded" {
			t.Errorf("server saw %+v; want one PUT with the form body", got)
		}
	})
	t.Run("data from a file", func(t *testing.T) {
		before := len(requests())
		r := fetch(t, "", "-d", "@"+body, srv.URL+"/x")
		got := requests()[before:]
		if r.code != 0 || len(got) != 1 || got[0].method != "POST" || got[0].body != "from=file" {
			t.Errorf("exit %d, server saw %+v; want one POST of the file's contents", r.code, got)
		}
	})
	t.Run("host header", func(t *testing.T) {
		before := len(requests())
		r := fetch(t, "", "-H", "Host: vhost.test", srv.URL+"/x")
		got := requests()[before:]
		if r.code != 0 || len(got) != 1 || got[0].host != "vhost.test" {
			t.Errorf("exit %d, server saw %+v; want Host vhost.test", r.code, got)
		}
	})
	t.Run("headers the client owns", func(t *testing.T) {
		before := len(requests())
		for _, h := range []string{"Connection: close", "Content-Length: 3", "Transfer-Encoding: chunked"} {
			r := fetch(t, "", "-H", h, srv.URL+"/x")
			if r.code != 2 || !strings.HasPrefix(r.stderr, "fetch: -H \""+h+"\": ") {
				t.Errorf("-H %q: exit %d, stderr %q; want 2 and the fetcher's message", h, r.code, r.stderr)
			}
		}
		if n := len(requests()) - before; n != 0 {
			t.Errorf("server got %d requests; want none", n)
		}
	})
	t.Run("include", func(t *testing.T) {
		r := fetch(t, "", "--include", "--json", srv.URL+"/x")
		res := parseNDJSON(t, r.stdout)["result"]
		h, _ := res[0]["headers"].(map[string]any)
		if v, _ := h["X-Recorder"].([]any); len(v) != 1 || v[0] != "yes" {
			t.Errorf("headers %v; want X-Recorder: [yes]", res[0]["headers"])
		}
		r = fetch(t, "", "--include", srv.URL+"/x")
		if !strings.Contains(r.stdout, "\n  X-Recorder: yes\n") {
			t.Errorf("text %q; want the header indented under the result", r.stdout)
		}
		r = fetch(t, "", "--json", srv.URL+"/x")
		if strings.Contains(r.stdout, `"headers"`) {
			t.Errorf("headers without --include: %s", r.stdout)
		}
	})
	t.Run("verbose", func(t *testing.T) {
		r := fetch(t, "", "-v", "-X", "DELETE", srv.URL+"/v")
		if !strings.Contains(r.stderr, "> DELETE /v HTTP/1.1") || !strings.Contains(r.stderr, "< HTTP/1.1 200") {
			t.Errorf("stderr %q; want the request and response heads", r.stderr)
		}
		if strings.Contains(r.stdout, "> ") {
			t.Errorf("stdout %q carries the heads", r.stdout)
		}
	})
	t.Run("labels", func(t *testing.T) {
		stdin := srv.URL + "/a id-7\n" + srv.URL + "/b\tsecond one # a comment\n" + srv.URL + "/c # no label\n"
		r := fetch(t, stdin, "--json", "--keep-order")
		var labels []string
		for _, o := range parseNDJSON(t, r.stdout)["result"] {
			l, _ := o["label"].(string)
			labels = append(labels, l)
		}
		if got := strings.Join(labels, "|"); got != "id-7|second one|" {
			t.Errorf("labels %q; want id-7|second one|(none)", got)
		}
		r = fetch(t, stdin, "--keep-order")
		if !strings.Contains(r.stdout, "/a (200, ") || !strings.Contains(r.stdout, " [id-7]\n") {
			t.Errorf("text %q; want [id-7] on its line", r.stdout)
		}
	})
	t.Run("passwords masked", func(t *testing.T) {
		secret := "s3cr3t-pw"
		withPW := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1) + "/pw"
		refused := "http://user:" + secret + "@127.0.0.1:1/"
		for _, args := range [][]string{
			{"--json", withPW, refused},
			{withPW, refused},
			{"-v", withPW},
			{"-w", "{url} {final_url} {error}\n", withPW, refused},
			{"--slowest", "1", withPW},
			{"--progress", "always", withPW},
		} {
			r := fetch(t, "", args...)
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("fetch %v shows the password:\n%s\n%s", args, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout+r.stderr, "user:***@") {
				t.Errorf("fetch %v: no masked URL in\n%s\n%s", args, r.stdout, r.stderr)
			}
		}
		if got := requests(); got[len(got)-1].auth == "" {
			t.Errorf("the request carried no Authorization: %+v", got[len(got)-1])
		}
	})
	t.Run("retry", func(t *testing.T) {
		s := startServe(t)
		r := fetch(t, "", "--json", "--retry", "1", s.URL()+"/status/503")
		res := parseNDJSON(t, r.stdout)["result"]
		if r.code != 1 || len(res) != 1 || res[0]["retries"] != 1.0 || res[0]["status"] != 503.0 {
			t.Errorf("exit %d, results %v; want 1 and a 503 after 1 retry", r.code, res)
		}
		r = fetch(t, "", "--json", "--retry", "2", "-X", "POST", s.URL()+"/status/503")
		if res := parseNDJSON(t, r.stdout)["result"]; len(res) != 1 || res[0]["retries"] != 0.0 {
			t.Errorf("POST: results %v; want no retry (not idempotent)", res)
		}
		r = fetch(t, "", "--json", "--retry", "1", "--retry-all-errors", "-X", "POST", s.URL()+"/status/503")
		if res := parseNDJSON(t, r.stdout)["result"]; len(res) != 1 || res[0]["retries"] != 1.0 {
			t.Errorf("POST with --retry-all-errors: results %v; want 1 retry", res)
		}
	})
}
