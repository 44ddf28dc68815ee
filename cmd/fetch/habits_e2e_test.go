package main

// curl's and wget's habits, and the help's words, as a user meets them
// (issue 23, item 13): conflicting HTTP versions said as such, -w's
// %{name}, -d @-, --depth inf, and the help's sample error line in the
// format of a real one.

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

func TestE2ECurlHabits(t *testing.T) {
	srv := startServe(t)
	ok, nf := srv.URL()+"/size/4", srv.URL()+"/status/404"
	t.Run("--http2 --http1.1", func(t *testing.T) {
		r := fetch(t, "", "--http2", "--http1.1", ok)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "fetch: --http2 and --http1.1 exclude each other: choose one HTTP version\n") || strings.Contains(r.stderr, "invalid argument") {
			t.Errorf("exit %d, stderr %q; want 2 and the conflict said", r.code, r.stderr)
		}
	})
	t.Run("-w %{name}", func(t *testing.T) {
		r := fetch(t, "", "--keep-order", "-w", `%{http_code} %{time_total} %{url_effective}\n`, ok, nf, "http://127.0.0.1:1/")
		want := regexp.MustCompile(`^200 0\.\d{6} ` + regexp.QuoteMeta(ok) + `\n404 0\.\d{6} ` + regexp.QuoteMeta(nf) + `\n000 \d+\.\d{6} http://127\.0\.0\.1:1/\n$`)
		if r.code != 1 || !want.MatchString(r.stdout) {
			t.Errorf("exit %d, stdout %q; want 1 and the lines as curl prints them", r.code, r.stdout)
		}
	})
	t.Run("-w {http_code}", func(t *testing.T) {
		r := fetch(t, "", "-w", `{http_code}\n`, ok)
		if r.code != 2 || !strings.Contains(r.stderr, "unknown field {http_code} (curl's variable is %{http_code})") {
			t.Errorf("exit %d, stderr %q; want 2 and the hint", r.code, r.stderr)
		}
	})
	t.Run("-d @-", func(t *testing.T) {
		rec, requests := startRecorder(t)
		r := fetch(t, "a=1\n&b=2\r\n", "-d", "@-", rec.URL+"/form")
		got := requests()
		if r.code != 0 || len(got) != 1 || got[0].method != "POST" || got[0].body != "a=1&b=2" {
			t.Errorf("exit %d, stderr %q, server saw %+v; want one POST of a=1&b=2", r.code, r.stderr, got)
		}
		r = fetch(t, rec.URL+"/list\n", "-d", "@-")
		if r.code != 2 || !strings.Contains(r.stderr, "-d @- reads the body from standard input, which is where the URL list is read here") || len(requests()) != 1 {
			t.Errorf("list on stdin: exit %d, stderr %q, %d requests; want 2, the reason, and nothing sent", r.code, r.stderr, len(requests())-1)
		}
	})
}

// TestE2EDepthInf: --depth inf (wget's spelling) follows links as deep as
// they go.
func TestE2EDepthInf(t *testing.T) {
	ng := crawlSite(t)
	r := fetch(t, "", "--crawl", "--depth", "inf", "-q", ng.URL+"/")
	if r.code != 1 || !strings.Contains(r.stdout, "crawl: 9 pages") { // /missing.html is a 404
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and all 9 pages, /deeper.html at depth 3 included", r.code, r.stdout, r.stderr)
	}
	if r := fetch(t, "", "--crawl", "--depth", "deep", ng.URL+"/"); r.code != 2 || !strings.Contains(r.stderr, "want a number of levels, 0 or more, or inf") {
		t.Errorf("--depth deep: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

// TestE2EHelpSampleError: the error line the help shows has the format of
// a real one, a name that does not exist asked of a real DNS server
// (dnsmasq), with only the server's address told apart.
func TestE2EHelpSampleError(t *testing.T) {
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{Domain: "invalid"})
	r := fetch(t, "", "--dns-server", d.Addr, "http://nope.invalid/")
	var real string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "error: ") {
			real = line
		}
	}
	if real == "" {
		t.Fatalf("no error line in %q (stderr %q)", r.stdout, r.stderr)
	}
	help := fetch(t, "", "--help").stdout
	if want := "    " + strings.ReplaceAll(real, d.Addr, "127.0.0.53:53") + "\n"; !strings.Contains(help, want) {
		t.Errorf("the help has no line %q, the format of a real error", want)
	}
}

// startBareBody starts a hostile server on loopback that answers each
// connection with a bare body (no status line, no HTTP/2 frame) once the
// client has spoken, and closes it; it returns its URL.
func startBareBody(t *testing.T, body string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(e2eTimeout))
				c.Read(make([]byte, 1))
				io.WriteString(c, body)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// TestE2EPriorKnowledgeBareBody: with --http2-prior-knowledge, a server
// that answers with a bare body is a protocol error saying it does not
// speak HTTP/2, not "connection closed in the middle of the response
// head".
func TestE2EPriorKnowledgeBareBody(t *testing.T) {
	u := startBareBody(t, "just a body\n")
	r := fetch(t, "", "--http2-prior-knowledge", "--json", u)
	res := parseNDJSON(t, r.stdout)["result"]
	if r.code != 1 || len(res) != 1 || res[0]["error_kind"] != "protocol" || !strings.Contains(fmt.Sprint(res[0]["error"]), "not HTTP/2: it does not speak HTTP/2 with prior knowledge on this port") {
		t.Errorf("exit %d, stdout %q; want 1 and a protocol error saying the server is not HTTP/2", r.code, r.stdout)
	}
}
