package crawl

import (
	"go/build"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h.test/a", "http://h.test/a"},
		{"HTTP://H.Test/a", "http://h.test/a"},
		{"http://h.test", "http://h.test/"},
		{"http://h.test:80/a", "http://h.test/a"},
		{"https://h.test:443/a", "https://h.test/a"},
		{"http://h.test:443/a", "http://h.test:443/a"},
		{"http://h.test:/a", "http://h.test/a"},
		{"http://h.test/a/./b/../c", "http://h.test/a/c"},
		{"http://h.test/a/b/..", "http://h.test/a/"},
		{"http://h.test/../../x", "http://h.test/x"},
		{"http://h.test/a#frag", "http://h.test/a"},
		{"http://h.test/%7Euser", "http://h.test/~user"},
		{"http://h.test/%7euser", "http://h.test/~user"},
		{"http://h.test/~user", "http://h.test/~user"},
		{"http://h.test/a%2fb", "http://h.test/a%2Fb"},
		{"http://h.test/a b", "http://h.test/a%20b"},
		{"http://h.test/ツ", "http://h.test/%E3%83%84"},
		{"http://h.test/a?b=%41&c=d e", "http://h.test/a?b=A&c=d%20e"},
		{"http://h.test/a?", "http://h.test/a?"},
		{"http://h.test/a?z=1&a=2", "http://h.test/a?z=1&a=2"},
		{"http://u:p@h.test/", "http://u:p@h.test/"},
		{"http://[::1]:80/x", "http://[::1]/x"},
		{"http://[::1]:8080/x", "http://[::1]:8080/x"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(mustURL(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
			}
			again, err := Normalize(mustURL(t, got))
			if err != nil || again != got {
				t.Errorf("not idempotent: %q -> %q (%v)", got, again, err)
			}
		})
	}
	for _, bad := range []string{"mailto:a@b", "ftp://h/x", "http:///path", "/relative"} {
		if n, err := Normalize(mustURL(t, bad)); err == nil {
			t.Errorf("Normalize(%q) = %q; want an error", bad, n)
		}
	}
}

// FuzzNormalize: Normalize is idempotent and its result parses.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"http://h/a/../b?c=%7e#d", "HTTPS://X:443/%zz", "http://h/./", "http://[::1]:80/%E3%83%84", "http://h/a?%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		n, err := Normalize(u)
		if err != nil {
			return
		}
		u2, err := url.Parse(n)
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which does not parse: %v", s, n, err)
		}
		n2, err := Normalize(u2)
		if err != nil || n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, n, n2, err)
		}
		if Hash(n) == 0 {
			t.Fatal("zero hash")
		}
	})
}

func TestVisitedSet(t *testing.T) {
	var s VisitedSet
	if s.Has(42) || s.Len() != 0 {
		t.Fatal("zero set not empty")
	}
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 100000)
	for i := range keys {
		keys[i] = r.Uint64()
		if !s.Add(keys[i]) {
			t.Fatalf("key %d reported present before its Add", i)
		}
	}
	for i, k := range keys {
		if s.Add(k) || !s.Has(k) {
			t.Fatalf("key %d lost", i)
		}
	}
	if s.Len() != len(keys) {
		t.Errorf("Len %d; want %d", s.Len(), len(keys))
	}
	if per := float64(s.Bytes()) / float64(s.Len()); per > 22 {
		t.Errorf("%.1f bytes per key; want at most 21.3", per)
	}
	if s.Add(0) != true || s.Add(1) != false {
		t.Error("0 and 1 are not the same key")
	}
}

// TestVisitedSetMillion states what a million URLs cost (the README
// figure): a 2^21-slot table of 16 MiB.
func TestVisitedSetMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var s VisitedSet
	for i := 0; i < 1000000; i++ {
		s.Add(Hash("http://h.test/page/" + string(rune('a'+i%26)) + "/" + itoa(i)))
	}
	if s.Len() != 1000000 || s.Bytes() != 16<<20 {
		t.Errorf("a million URLs: %d keys in %d bytes; want 1000000 in 16 MiB", s.Len(), s.Bytes())
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

func TestScope(t *testing.T) {
	seed := mustURL(t, "http://www.Example.co.uk:8080/docs/intro.html")
	tests := []struct {
		kind ScopeKind
		url  string
		want bool
	}{
		{ScopeHost, "http://www.example.co.uk:8080/other", true},
		{ScopeHost, "http://www.example.co.uk/other", false},
		{ScopeHost, "https://www.example.co.uk:8080/x", true},
		{ScopeHost, "http://cdn.example.co.uk:8080/x", false},
		{ScopeDomain, "http://cdn.example.co.uk/x", true},
		{ScopeDomain, "https://example.co.uk/x", true},
		{ScopeDomain, "http://other.co.uk/x", false},
		{ScopePrefix, "http://www.example.co.uk:8080/docs/a/b", true},
		{ScopePrefix, "http://www.example.co.uk:8080/docsx", false},
		{ScopePrefix, "https://www.example.co.uk:8080/docs/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+" "+tt.url, func(t *testing.T) {
			s := Scope{Kind: tt.kind}
			s.AddSeed(seed)
			u := mustURL(t, tt.url)
			n, _ := Normalize(u)
			if got := s.In(n, u); got != tt.want {
				t.Errorf("In(%q) = %v; want %v", n, got, tt.want)
			}
		})
	}
	s := Scope{Regex: regexp.MustCompile(`^http://x\.test/`), Exclude: regexp.MustCompile(`\.pdf$`), Include: regexp.MustCompile(`/a`)}
	s.AddSeed(seed)
	for u, want := range map[string]bool{"http://x.test/a": true, "http://x.test/a.pdf": false, "http://x.test/b": false, "http://www.example.co.uk:8080/docs/a": false} {
		if got := s.In(u, mustURL(t, u)); got != want {
			t.Errorf("regex scope: In(%q) = %v; want %v", u, got, want)
		}
	}
	s = Scope{Kind: ScopeDomain}
	s.AddSeed(mustURL(t, "http://127.0.0.1:9/"))
	if !s.In("http://127.0.0.1:10/", mustURL(t, "http://127.0.0.1:10/")) || s.In("http://127.0.0.2/", mustURL(t, "http://127.0.0.2/")) {
		t.Error("domain scope of an IP address")
	}
}

func TestMemoryFrontier(t *testing.T) {
	f := newMemoryFrontier(StoreOptions{PerHost: 1, MaxFrontier: 5})
	item := func(host, path string) Item {
		n := "http://" + host + path
		return Item{URL: n, Key: Hash(n), Host: host}
	}
	pr, _ := f.Push([]Item{item("a", "/1"), item("a", "/2"), item("a", "/3"), item("b", "/1"), item("a", "/1"), item("c", "/1")})
	if pr != (PushResult{Added: 5, Duplicates: 1}) {
		t.Fatalf("Push: %+v", pr)
	}
	pr, _ = f.Push([]Item{item("d", "/1")})
	if pr.Dropped != 1 {
		t.Fatalf("over the bound: %+v; want 1 dropped", pr)
	}
	now := time.Now()
	got, _, _ := f.Claim(now, 10)
	var hosts []string
	for _, it := range got {
		hosts = append(hosts, it.Host)
	}
	// One per host (PerHost 1), round-robin.
	if strings.Join(hosts, ",") != "a,b,c" {
		t.Fatalf("claimed hosts %v; want a,b,c", hosts)
	}
	if more, wait, _ := f.Claim(now, 10); len(more) != 0 || wait != 0 {
		t.Fatalf("claimed %d more at the per-host limit (wait %v)", len(more), wait)
	}
	f.Done(got[0])
	f.SetHostDelay("a", time.Second)
	next, _, _ := f.Claim(now, 10)
	if len(next) != 1 || next[0].URL != "http://a/2" {
		t.Fatalf("after Done: %+v; want http://a/2 (FIFO)", next)
	}
	f.Done(next[0])
	if none, wait, _ := f.Claim(now, 10); len(none) != 0 || wait != time.Second {
		t.Fatalf("within the delay: %d claimed, wait %v; want 0 and 1s", len(none), wait)
	}
	if later, _, _ := f.Claim(now.Add(time.Second), 10); len(later) != 1 {
		t.Fatalf("after the delay: %d claimed; want 1", len(later))
	}
	if n, _ := f.Outstanding(); n != 3 {
		t.Errorf("Outstanding %d; want 3 (b, c and a/3 claimed)", n)
	}
	if isNew, _ := f.Visit(Hash("http://a/1")); isNew {
		t.Error("Visit of a queued URL says new")
	}
}

// TestImports keeps the layering: crawl imports fetcher (and what is
// below it), never cmd.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/greenfetch/") && imp != "github.com/greenfetch/greenfetch/fetcher" {
			t.Errorf("crawl imports %s; want only fetcher of the project", imp)
		}
	}
}
