package cookies

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// lines returns the jar's file lines, less the header.
func lines(j *Jar) string {
	return strings.TrimPrefix(string(j.Export()), FileHeader)
}

func TestSetCookieRules(t *testing.T) {
	future := time.Now().Add(48 * time.Hour).UTC()
	tests := []struct {
		name    string
		url     string
		set     []string
		want    string // the file lines; expiries of "E" stand for future's
		wantHdr string // the Cookie field for url afterwards
	}{
		{name: "host-only", url: "http://www.example.com/", set: []string{"a=1"},
			want: "www.example.com\tFALSE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "domain cookie", url: "http://www.example.com/", set: []string{"a=1; Domain=example.com"},
			want: ".example.com\tTRUE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "public suffix refused", url: "http://www.example.co.uk/", set: []string{"a=1; Domain=co.uk", "b=2; Domain=uk"},
			want: "", wantHdr: ""},
		{name: "registrable domain of a public suffix host", url: "http://www.example.co.uk/", set: []string{"a=1; Domain=example.co.uk"},
			want: ".example.co.uk\tTRUE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "foreign domain refused", url: "http://www.example.com/", set: []string{"a=1; Domain=example.org", "b=2; Domain=other.www.example.com"},
			want: "", wantHdr: ""},
		{name: "IP host, Domain equal", url: "http://127.0.0.1:8080/", set: []string{"a=1; Domain=127.0.0.1"},
			want: "127.0.0.1\tFALSE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "IP host, other Domain refused", url: "http://127.0.0.1/", set: []string{"a=1; Domain=127.0.0.2"},
			want: "", wantHdr: ""},
		{name: "IPv6 host", url: "http://[::1]:8080/x", set: []string{"a=1"},
			want: "::1\tFALSE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "secure over https", url: "https://h.example/", set: []string{"a=1; Secure"},
			want: "h.example\tFALSE\t/\tTRUE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "secure over http refused", url: "http://h.example/", set: []string{"a=1; Secure"},
			want: "", wantHdr: ""},
		{name: "__Secure- needs Secure", url: "https://h.example/", set: []string{"__Secure-a=1", "__Secure-b=2; Secure"},
			want: "h.example\tFALSE\t/\tTRUE\t0\t__Secure-b\t2\n", wantHdr: "__Secure-b=2"},
		{name: "__Host- needs Secure, Path=/, no Domain", url: "https://h.example/", set: []string{"__Host-a=1; Secure", "__Host-b=2; Secure; Path=/; Domain=h.example", "__Host-c=3; Path=/", "__Host-d=4; Secure; Path=/"},
			want: "h.example\tFALSE\t/\tTRUE\t0\t__Host-d\t4\n", wantHdr: "__Host-d=4"},
		{name: "HttpOnly", url: "http://h.example/", set: []string{"a=1; HttpOnly"},
			want: "#HttpOnly_h.example\tFALSE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "default path written as curl does", url: "http://h.example/a/b/c?q=/x", set: []string{"a=1"},
			want: "h.example\tFALSE\t/a/b/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "path not matching the request is kept", url: "http://h.example/", set: []string{"a=1; Path=/sub"},
			want: "h.example\tFALSE\t/sub\tFALSE\t0\ta\t1\n", wantHdr: ""},
		{name: "expires", url: "http://h.example/", set: []string{"a=1; Expires=" + future.Format(time.RFC1123)},
			want: fmt.Sprintf("h.example\tFALSE\t/\tFALSE\t%d\ta\t1\n", future.Unix()), wantHdr: "a=1"},
		{name: "expired", url: "http://h.example/", set: []string{"a=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT"},
			want: "", wantHdr: ""},
		{name: "delete by Max-Age=0", url: "http://h.example/", set: []string{"a=1", "b=2", "a=x; Max-Age=0"},
			want: "h.example\tFALSE\t/\tFALSE\t0\tb\t2\n", wantHdr: "b=2"},
		{name: "delete needs the same path", url: "http://h.example/", set: []string{"a=1", "a=x; Path=/other; Max-Age=0"},
			want: "h.example\tFALSE\t/\tFALSE\t0\ta\t1\n", wantHdr: "a=1"},
		{name: "replace keeps one", url: "http://h.example/", set: []string{"a=1", "a=2"},
			want: "h.example\tFALSE\t/\tFALSE\t0\ta\t2\n", wantHdr: "a=2"},
		{name: "unparsable skipped", url: "http://h.example/", set: []string{"=nameless", "no equals", "b=2"},
			want: "h.example\tFALSE\t/\tFALSE\t0\tb\t2\n", wantHdr: "b=2"},
		{name: "oversized refused", url: "http://h.example/", set: []string{"big=" + strings.Repeat("v", MaxCookieSize), "ok=1"},
			want: "h.example\tFALSE\t/\tFALSE\t0\tok\t1\n", wantHdr: "ok=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := New(nil)
			u := mustURL(t, tt.url)
			j.SetCookieHeaders(u, tt.set)
			if got := lines(j); got != tt.want {
				t.Errorf("got file lines\n%q\nwant\n%q", got, tt.want)
			}
			if got := j.Header(u); got != tt.wantHdr {
				t.Errorf("got Header(%s) = %q; want %q", tt.url, got, tt.wantHdr)
			}
		})
	}
}

func TestPerResponseLimit(t *testing.T) {
	j := New(nil)
	var set []string
	for i := 0; i < MaxPerResponse+10; i++ {
		set = append(set, fmt.Sprintf("c%d=%d", i, i))
	}
	j.SetCookieHeaders(mustURL(t, "http://h.example/"), set)
	if j.Len() != MaxPerResponse {
		t.Fatalf("got %d cookies from one response of %d; want %d", j.Len(), len(set), MaxPerResponse)
	}
}

// TestEviction fills a small jar: the expired cookies go first, then the
// oldest, and cookiejar drops them too (they are no longer sent).
func TestEviction(t *testing.T) {
	j := New(&Options{MaxCookies: 3})
	u := mustURL(t, "http://h.example/")
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC1123)
	j.SetCookieHeaders(u, []string{"old=1", "shortlived=2; Expires=" + soon, "mid=3"})
	// An hour and a minute later, by the jar's clock.
	j.now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) }
	j.SetCookieHeaders(u, []string{"new=4"})
	if got, want := j.Header(u), "old=1; mid=3; new=4"; got != want {
		t.Fatalf("after an expired one was evicted: got %q; want %q", got, want)
	}
	j.SetCookieHeaders(u, []string{"newer=5"})
	if got, want := j.Header(u), "mid=3; new=4; newer=5"; got != want {
		t.Fatalf("after the oldest was evicted: got %q; want %q", got, want)
	}
	if j.Len() != 3 {
		t.Fatalf("got %d cookies; want 3", j.Len())
	}
}

func TestFixed(t *testing.T) {
	j := New(nil)
	u := mustURL(t, "http://h.example/")
	j.SetCookieHeaders(u, []string{"jar=1"})
	j.AddFixed([]Pair{{"s", "1"}, {"t", "2"}})
	j.AddFixed([]Pair{{"s", "3"}})
	if got, want := j.Header(u), "jar=1; s=3; t=2"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if got, want := j.Header(mustURL(t, "https://elsewhere.example/x")), "s=3; t=2"; got != want {
		t.Fatalf("another host: got %q; want %q", got, want)
	}
	if strings.Contains(lines(j), "\ts\t") {
		t.Fatalf("fixed cookies written to the file:\n%s", lines(j))
	}
}

func TestLoad(t *testing.T) {
	future := time.Now().Add(24 * time.Hour).Unix()
	tests := []struct {
		name    string
		file    string
		want    string // the lines written back
		url     string
		wantHdr string
		wantErr string
	}{
		{name: "curl's own file", file: "# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n# This file was generated by libcurl! Edit at your own risk.\n\n" +
			"#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t0\tho\t4\n.example.com\tTRUE\t/\tFALSE\t0\tdom\t2\n",
			want: "#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t0\tho\t4\n.example.com\tTRUE\t/\tFALSE\t0\tdom\t2\n",
			url:  "http://www.example.com/", wantHdr: "ho=4; dom=2"},
		{name: "session cookie kept", file: "h.example\tFALSE\t/\tFALSE\t0\ts\tv\n",
			want: "h.example\tFALSE\t/\tFALSE\t0\ts\tv\n", url: "http://h.example/", wantHdr: "s=v"},
		{name: "expiry kept", file: fmt.Sprintf("h.example\tFALSE\t/\tFALSE\t%d\ts\tv\n", future),
			want: fmt.Sprintf("h.example\tFALSE\t/\tFALSE\t%d\ts\tv\n", future), url: "http://h.example/", wantHdr: "s=v"},
		{name: "expired skipped", file: "h.example\tFALSE\t/\tFALSE\t1000\ts\tv\n", want: "", url: "http://h.example/", wantHdr: ""},
		{name: "six fields: empty value", file: "h.example\tFALSE\t/\tFALSE\t0\ts\n",
			want: "h.example\tFALSE\t/\tFALSE\t0\ts\t\n", url: "http://h.example/", wantHdr: "s="},
		{name: "no path field", file: "h.example\tFALSE\tFALSE\t0\ts\tv\n",
			want: "h.example\tFALSE\t/\tFALSE\t0\ts\tv\n", url: "http://h.example/", wantHdr: "s=v"},
		{name: "CRLF and blank lines", file: "\r\n# c\r\nh.example\tFALSE\t/\tFALSE\t0\ts\tv\r\n\r\n",
			want: "h.example\tFALSE\t/\tFALSE\t0\ts\tv\n", url: "http://h.example/", wantHdr: "s=v"},
		{name: "dir path with its slash matches the dir", file: "h.example\tFALSE\t/dir/\tFALSE\t0\ts\tv\n",
			want: "h.example\tFALSE\t/dir/\tFALSE\t0\ts\tv\n", url: "http://h.example/dir", wantHdr: "s=v"},
		{name: "secure only over https", file: "h.example\tFALSE\t/\tTRUE\t0\ts\tv\n",
			want: "h.example\tFALSE\t/\tTRUE\t0\ts\tv\n", url: "http://h.example/", wantHdr: ""},
		// cookiejar keeps it for co.uk itself only (as if co.uk set it).
		{name: "public suffix line host-only", file: ".co.uk\tTRUE\t/\tFALSE\t0\ts\tv\n", want: "co.uk\tFALSE\t/\tFALSE\t0\ts\tv\n", url: "http://a.co.uk/", wantHdr: ""},
		{name: "Set-Cookie line with a domain", file: "Set-Cookie: s=v; Domain=example.com; Path=/\n",
			want: ".example.com\tTRUE\t/\tFALSE\t0\ts\tv\n", url: "http://www.example.com/", wantHdr: "s=v"},
		{name: "Set-Cookie line without a domain: every host", file: "set-cookie: s=v\n",
			want: "", url: "http://anything.example/", wantHdr: "s=v"},
		{name: "too few fields", file: "# ok\nh.example\tFALSE\t/\tFALSE\n", wantErr: "cookie file jar.txt:2: 4 tab-separated fields; want 7"},
		{name: "spaces, not tabs", file: "h.example FALSE / FALSE 0 s v\n", wantErr: "cookie file jar.txt:1: 1 tab-separated fields"},
		{name: "bad expiry", file: "h.example\tFALSE\t/\tFALSE\tsoon\ts\tv\n", wantErr: `cookie file jar.txt:1: expires "soon" is not a Unix time`},
		{name: "no name", file: "h.example\tFALSE\t/\tFALSE\t0\t\tv\n", wantErr: "cookie file jar.txt:1: an empty cookie name"},
		{name: "bad Set-Cookie", file: "Set-Cookie: =v\n", wantErr: "cookie file jar.txt:1: a Set-Cookie line that does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := New(nil)
			err := j.Load("jar.txt", []byte(tt.file))
			if tt.wantErr != "" {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one starting %q", err, tt.wantErr)
				}
				if j.Len() != 0 {
					t.Fatalf("a file that failed added %d cookies", j.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(j); got != tt.want {
				t.Errorf("got lines\n%q\nwant\n%q", got, tt.want)
			}
			if got := j.Header(mustURL(t, tt.url)); got != tt.wantHdr {
				t.Errorf("got Header(%s) = %q; want %q", tt.url, got, tt.wantHdr)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.txt")
	err := New(nil).LoadFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "cookie file "+missing+": cannot open: no such file or directory" {
		t.Fatalf("got %v; want an error naming %s that is fs.ErrNotExist", err, missing)
	}
	if err := New(nil).LoadFile(dir); err == nil || !strings.HasPrefix(err.Error(), "cookie file "+dir+": cannot read") {
		t.Fatalf("got %v reading a directory; want an error naming it", err)
	}

	j := New(nil)
	j.SetCookieHeaders(mustURL(t, "https://h.example/"), []string{"s=1", "p=2; Max-Age=3600; Secure; HttpOnly"})
	name := filepath.Join(dir, "jar.txt")
	if err := j.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("got %v, %v; want a file of mode 0600", fi.Mode(), err)
	}
	back := New(nil)
	if err := back.LoadFile(name); err != nil {
		t.Fatal(err)
	}
	if got, want := lines(back), lines(j); got != want {
		t.Fatalf("read back:\n%s\nwant\n%s", got, want)
	}
	bad := filepath.Join(dir, "no-such-dir", "jar.txt")
	if err := j.WriteFile(bad); err == nil || !strings.HasPrefix(err.Error(), "cookie file "+bad+": cannot write") {
		t.Fatalf("got %v; want an error naming %s", err, bad)
	}
}

// TestExportImport moves a jar, session cookies included, to another.
func TestExportImport(t *testing.T) {
	a := New(nil)
	a.SetCookieHeaders(mustURL(t, "https://www.example.com/app/"), []string{"session=abc", "d=1; Domain=example.com; Path=/", "k=2; Max-Age=600; HttpOnly; Secure"})
	b := New(nil)
	b.SetCookieHeaders(mustURL(t, "http://other.example/"), []string{"mine=1"})
	if err := b.Import(a.Export()); err != nil {
		t.Fatal(err)
	}
	// The same cookies, in the same order (longer paths, then older, first).
	if got, want := b.Header(mustURL(t, "https://www.example.com/app/x")), a.Header(mustURL(t, "https://www.example.com/app/x")); got != want || want != "session=abc; k=2; d=1" {
		t.Fatalf("got %q; want %q", got, want)
	}
	if got := b.Header(mustURL(t, "http://other.example/")); got != "mine=1" {
		t.Fatalf("Import dropped the jar's own: got %q", got)
	}
	err := b.Import([]byte("garbage\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "cookie file (imported bytes):1: ") {
		t.Fatalf("got %v; want an error about the imported bytes' line 1", err)
	}
}

func TestParseString(t *testing.T) {
	tests := []struct {
		in      string
		want    []Pair
		wantErr string
	}{
		{in: "n=v; n2=v2", want: []Pair{{"n", "v"}, {"n2", "v2"}}},
		{in: "n=v;n2=v2;", want: []Pair{{"n", "v"}, {"n2", "v2"}}},
		{in: " a = 1 ;  b=", want: []Pair{{"a", "1"}, {"b", ""}}},
		{in: `q="x y"`, wantErr: `cookie string "q=\"x y\"": "q=\"x y\"" has ' ' in its value`},
		{in: `q="xy"`, want: []Pair{{"q", `"xy"`}}},
		{in: "a=1; oops", wantErr: `cookie string "a=1; oops": "oops" is not name=value`},
		{in: "=v", wantErr: `cookie string "=v": "=v" has no name before '='`},
		{in: "a b=1", wantErr: `cookie string "a b=1": "a b=1" has ' ' in its name`},
		{in: "a=1,2", wantErr: `cookie string "a=1,2": "a=1,2" has ',' in its value`},
		{in: ";;", wantErr: `cookie string ";;": ";;" holds no name=value`},
	}
	for _, tt := range tests {
		got, err := ParseString(tt.in)
		if tt.wantErr != "" {
			var se *StringError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseString(%q): got error %v; want one starting %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("got ParseString(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if !IsString("a=1") || IsString("cookies.txt") {
		t.Errorf("IsString: want curl's rule, a '=' makes a string")
	}
}

// TestConcurrent sets, reads and exports from many goroutines at once.
func TestConcurrent(t *testing.T) {
	j := New(&Options{MaxCookies: 100})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				u := mustURL(t, fmt.Sprintf("http://h%d.example/p%d", g, i%3))
				j.SetCookieHeaders(u, []string{fmt.Sprintf("c%d=%d", i%40, i), "d=1; Domain=" + u.Host})
				j.Header(u)
				if i%25 == 0 {
					if err := New(nil).Import(j.Export()); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := j.Len(); n > 100 {
		t.Fatalf("a jar of at most 100 holds %d", n)
	}
}

// FuzzLoad reads any file without panicking, and what it reads survives
// a round trip: exported, imported into a new jar, exported again, the
// same bytes.
func FuzzLoad(f *testing.F) {
	f.Add("# Netscape HTTP Cookie File\n#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t0\tho\t4\n.example.com\tTRUE\t/\tFALSE\t0\tdom\t2\n")
	f.Add("h.example\tFALSE\t/dir/\tTRUE\t4102444800\ts\t\"q\"\n")
	f.Add("h.example\tFALSE\tFALSE\t0\ts\n")
	f.Add("Set-Cookie: a=b; Domain=example.com; Path=/x; Secure; HttpOnly; Max-Age=100\n")
	f.Add("Set-Cookie: a=b\n")
	f.Add("[::1]\tFALSE\t/\tFALSE\t0\ta\tb\n")
	f.Add("\t\t\t\t\t\t\n")
	f.Fuzz(func(t *testing.T, file string) {
		j := New(nil)
		if err := j.Load("fuzz.txt", []byte(file)); err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T: %v", err, err)
			}
			return
		}
		out := j.Export()
		k := New(nil)
		if err := k.Import(out); err != nil {
			t.Fatalf("the jar's own export does not import: %v\n%s", err, out)
		}
		if again := k.Export(); string(again) != string(out) {
			t.Fatalf("round trip changed the file:\n%s\nthen\n%s", out, again)
		}
	})
}

func FuzzParseString(f *testing.F) {
	f.Add("n=v; n2=v2")
	f.Add(`q="xy"; a=`)
	f.Add("a=1; oops")
	f.Fuzz(func(t *testing.T, s string) {
		pairs, err := ParseString(s)
		if err != nil {
			var se *StringError
			if !errors.As(err, &se) || !strings.Contains(s, se.Part) {
				t.Fatalf("got %v; want a *StringError naming a part of the string", err)
			}
			return
		}
		var parts []string
		for _, p := range pairs {
			parts = append(parts, p.Name+"="+p.Value)
		}
		again, err := ParseString(strings.Join(parts, "; "))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(pairs) {
			t.Fatalf("round trip: got %v, %v; want %v", again, err, pairs)
		}
	})
}

func BenchmarkSetCookieHeaders(b *testing.B) {
	j := New(nil)
	u := mustURL(b, "https://www.example.com/app/page")
	set := []string{"session=abc123; Path=/; HttpOnly; Secure", "pref=dark; Domain=example.com; Max-Age=31536000", "ab=test-b"}
	b.ReportAllocs()
	for b.Loop() {
		j.SetCookieHeaders(u, set)
	}
}

func BenchmarkHeader(b *testing.B) {
	j := New(nil)
	u := mustURL(b, "https://www.example.com/app/page")
	j.SetCookieHeaders(u, []string{"session=abc123; Path=/; HttpOnly; Secure", "pref=dark; Domain=example.com; Max-Age=31536000", "ab=test-b"})
	b.ReportAllocs()
	for b.Loop() {
		j.Header(u)
	}
}
