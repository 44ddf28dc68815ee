package cookies

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// setCookieConfig is nginx configuration answering with the Set-Cookie
// fields of the interop test: host-only, domain, path, secure, HttpOnly,
// expired, max-age, prefixed, refused and deleting cookies.
const setCookieConfig = `
location = /set1 {
	add_header Set-Cookie "host_only=1";
	add_header Set-Cookie "dom=2; Domain=example.com";
	add_header Set-Cookie "dotdom=2b; Domain=.Example.COM; Path=/";
	add_header Set-Cookie "pathc=3; Path=/sub";
	add_header Set-Cookie "slashpath=3b; Path=/sub2/";
	add_header Set-Cookie "ho=4; HttpOnly";
	add_header Set-Cookie "maxage=5; Max-Age=86400";
	add_header Set-Cookie "expires=6; Expires=Wed, 09 Jun 2100 10:18:14 GMT";
	add_header Set-Cookie "expired=7; Expires=Wed, 09 Jun 2000 10:18:14 GMT";
	add_header Set-Cookie "psl=8; Domain=com";
	add_header Set-Cookie "other=9; Domain=other.org";
	add_header Set-Cookie "sub=9b; Domain=sub.www.example.com";
	add_header Set-Cookie "quoted=\"q v\"";
	add_header Set-Cookie "empty=";
	return 200 "set1\n";
}
location = /dir/set2 {
	add_header Set-Cookie "defpath=10";
	add_header Set-Cookie "dom2=10b; Domain=www.example.com; HttpOnly; Max-Age=3600";
	return 200 "set2\n";
}
location = /secure {
	add_header Set-Cookie "sec=11; Secure";
	add_header Set-Cookie "__Secure-p=12; Secure";
	add_header Set-Cookie "__Host-h=13; Secure; Path=/";
	add_header Set-Cookie "__Host-bad=14; Secure; Path=/; Domain=example.com";
	add_header Set-Cookie "__Secure-nosec=15";
	return 200 "secure\n";
}
location = /del {
	add_header Set-Cookie "maxage=gone; Max-Age=0";
	add_header Set-Cookie "host_only=; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
	add_header Set-Cookie "pathc=x; Path=/other; Max-Age=0";
	return 200 "del\n";
}
location = / {
	return 200 "$http_cookie";
}
location ~ ^/(sub|sub2|dir|x|nothing)(/|$) {
	return 200 "$http_cookie";
}
`

// interop is nginx with TLS for www.example.com, and the curl to check
// against.
type interop struct {
	n    *testserver.Nginx
	curl string
	c    *http.Client
}

func startInterop(t *testing.T) *interop {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "0" && ci != "false" {
			t.Fatal("curl not found on PATH; CI is set, so this is a failure, not a skip")
		}
		t.Skip("curl not found on PATH")
	}
	certs, err := testserver.GenerateCerts(t.TempDir(), testserver.CertOptions{Names: []string{"www.example.com", "example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	n := testserver.StartNginx(t, testserver.NginxOptions{TLS: true, Certs: certs, ExtraServerConfig: setCookieConfig})
	// Every name goes to nginx: nothing is looked up.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		to := n.Addr
		if port == "443" {
			to = n.TLSAddr
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", to)
	}
	c := &http.Client{
		Transport: &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: certs.CAPool}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	t.Cleanup(c.CloseIdleConnections)
	return &interop{n: n, curl: curl, c: c}
}

// runCurl runs curl on the URLs with the extra arguments, every name sent
// to nginx, and returns what it printed.
func (in *interop) runCurl(t *testing.T, args []string, urls ...string) string {
	t.Helper()
	all := []string{"-sS", "--max-time", "10", "--cacert", in.n.CAFile,
		"--connect-to", "www.example.com:80:" + in.n.Addr,
		"--connect-to", "www.example.com:443:" + in.n.TLSAddr}
	all = append(all, args...)
	all = append(all, urls...)
	out, err := exec.Command(in.curl, all...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v: %s", strings.Join(all, " "), err, out)
	}
	return string(out)
}

// fetch gets u with the jar, as the fetcher will: the Cookie field from
// Header, the Set-Cookie fields to SetCookieHeaders. It returns the body.
func (in *interop) fetch(t *testing.T, j *Jar, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", raw, nil)
	if h := j.Header(u); h != "" {
		req.Header.Set("Cookie", h)
	}
	resp, err := in.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	j.SetCookieHeaders(u, resp.Header.Values("Set-Cookie"))
	return string(body)
}

var setURLs = []string{
	"http://www.example.com/set1",
	"http://www.example.com/dir/set2",
	"https://www.example.com/secure",
	"http://www.example.com/secure", // Secure cookies from http: refused
	"http://www.example.com/del",
}

// jarLines returns the cookie lines of a Netscape file, sorted, with the
// expiry of those within a minute of want's rounded to want's (a Max-Age
// counted from a second apart).
func jarLines(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l == "" || (strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#HttpOnly_")) {
			continue
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// sameLines compares two files' lines, allowing expiries a few seconds
// apart (Max-Age counted by two clients).
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
		if len(g) != 7 || len(w) != 7 {
			ok = got[i] == want[i]
			continue
		}
		ge, _ := strconv.ParseInt(g[4], 10, 64)
		we, _ := strconv.ParseInt(w[4], 10, 64)
		if d := ge - we; d < -3 || d > 3 {
			ok = false
		}
		g[4], w[4] = "", ""
		if strings.Join(g, "\t") != strings.Join(w, "\t") {
			ok = false
		}
	}
	if !ok {
		t.Fatalf("%s: got lines\n%s\nwant (curl's)\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCurlJarAgrees makes the same requests with curl -c and with a Jar,
// and checks the two cookie files hold the same lines; then that each
// reads the other's file back to the same lines, and that both send the
// same cookies.
func TestCurlJarAgrees(t *testing.T) {
	in := startInterop(t)
	dir := t.TempDir()

	curlJar := filepath.Join(dir, "curl.jar")
	in.runCurl(t, []string{"-c", curlJar}, setURLs...)
	curlText, err := os.ReadFile(curlJar)
	if err != nil {
		t.Fatal(err)
	}
	want := jarLines(t, string(curlText))
	if len(want) < 10 {
		t.Fatalf("curl kept only %d cookies; the test expects more:\n%s", len(want), curlText)
	}

	j := New(nil)
	for _, u := range setURLs {
		in.fetch(t, j, u)
	}
	ourJar := filepath.Join(dir, "ours.jar")
	if err := j.WriteFile(ourJar); err != nil {
		t.Fatal(err)
	}
	ourText, err := os.ReadFile(ourJar)
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "after the same requests", jarLines(t, string(ourText)), want)

	// Each reads the other's file back unchanged.
	j2 := New(nil)
	if err := j2.LoadFile(curlJar); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "curl's file loaded and written", jarLines(t, string(j2.Export())), want)
	curlAgain := filepath.Join(dir, "curl-again.jar")
	in.runCurl(t, []string{"-b", ourJar, "-c", curlAgain}, "http://www.example.com/nothing")
	again, err := os.ReadFile(curlAgain)
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "our file read and written by curl", jarLines(t, string(again)), want)

	// Both send the same cookies.
	for _, u := range []string{"http://www.example.com/", "https://www.example.com/sub/x", "https://www.example.com/dir/x", "http://www.example.com/sub2/"} {
		got := cookieSet(in.fetch(t, j, u))
		w := cookieSet(in.runCurl(t, []string{"-b", curlJar}, u))
		if got != w {
			t.Errorf("%s: we sent %q; curl sent %q", u, got, w)
		}
	}
}

// cookieSet sorts the pairs of a Cookie field, for comparing.
func cookieSet(h string) string {
	parts := strings.Split(h, "; ")
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// TestCurlCookieString checks -b 'n=v; n2=v2' as curl sends it: on every
// request, and not into the -c jar.
func TestCurlCookieString(t *testing.T) {
	in := startInterop(t)
	dir := t.TempDir()
	curlJar := filepath.Join(dir, "curl.jar")
	const s = "a=1; b=2"
	got := in.runCurl(t, []string{"-b", s, "-c", curlJar}, "http://www.example.com/x")
	pairs, err := ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	j := New(nil)
	j.AddFixed(pairs)
	if ours := in.fetch(t, j, "http://www.example.com/x"); ours != got {
		t.Fatalf("we sent %q; curl sent %q", ours, got)
	}
	text, err := os.ReadFile(curlJar)
	if err != nil {
		t.Fatal(err)
	}
	if l := jarLines(t, string(text)); len(l) != 0 {
		t.Fatalf("curl wrote the -b string's cookies to its jar: %q", l)
	}
	if l := jarLines(t, string(j.Export())); len(l) != 0 {
		t.Fatalf("we wrote the -b string's cookies to the jar: %q", l)
	}
}
