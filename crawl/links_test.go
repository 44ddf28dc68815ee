package crawl

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func linkStrings(ls []*url.URL) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.String())
	}
	return out
}

func TestExtractLinks(t *testing.T) {
	const page = "http://h.test/dir/page.html"
	tests := []struct {
		name, html string
		want       []string
	}{
		{"a and area", `<a href="a.html">x</a><map><area href="/b"></map>`, []string{"http://h.test/dir/a.html", "http://h.test/b"}},
		{"link rels", `<link rel="next" href="n"><link rel="Alternate stylesheet" href="alt"><link rel="stylesheet" href="s.css"><link rel=prev href=p>`,
			[]string{"http://h.test/dir/n", "http://h.test/dir/alt", "http://h.test/dir/p"}},
		{"fragment dropped", `<a href="x#frag">x</a><a href="#top">top</a>`, []string{"http://h.test/dir/x", "http://h.test/dir/page.html"}},
		{"entities", `<a href="a?x=1&amp;y=2">x</a><a href="b&#x3f;q">y</a>`, []string{"http://h.test/dir/a?x=1&y=2", "http://h.test/dir/b?q"}},
		{"unquoted and uppercase", `<A HREF=up.html>x</A><a href='single'>`, []string{"http://h.test/dir/up.html", "http://h.test/dir/single"}},
		{"unclosed", `<a href="one">one<a href="two">two`, []string{"http://h.test/dir/one", "http://h.test/dir/two"}},
		{"whitespace in href", "<a href=\" \n/sp\tace \">x</a>", []string{"http://h.test/space"}},
		{"base", `<base href="http://other.test/base/"><a href="rel">x</a>`, []string{"http://other.test/base/rel"}},
		{"relative base", `<base href="/b2/"><a href="rel">x</a>`, []string{"http://h.test/b2/rel"}},
		{"first base wins", `<base href="/one/"><base href="/two/"><a href="x">`, []string{"http://h.test/one/x"}},
		{"base without href", `<base target="_top"><a href="x">`, []string{"http://h.test/dir/x"}},
		{"nofollow rel", `<a rel="nofollow" href="no">x</a><a rel="external NoFollow" href="no2"><a href="yes">`, []string{"http://h.test/dir/yes"}},
		{"meta nofollow", `<a href="before"><meta name="robots" content="noindex, nofollow"><a href="after">`, nil},
		{"meta none", `<meta name=ROBOTS content=none><a href="x">`, nil},
		{"meta other", `<meta name="description" content="nofollow"><a href="x">`, []string{"http://h.test/dir/x"}},
		{"schemes skipped", `<a href="mailto:a@b">m</a><a href="javascript:void(0)">j</a><a href="data:text/html,x">d</a><a href="ftp://h/x">f</a><a href="HTTPS://H.test/s">s</a>`,
			[]string{"https://H.test/s"}}, // host case is Normalize's business
		{"no href", `<a name="x">x</a><a href="">empty</a>`, nil},
		{"comments and scripts", `<!-- <a href="c"> --><script>var s = '<a href="js">';</script><a href="real">`, []string{"http://h.test/dir/real"}},
		{"text urls ignored", `see http://h.test/text for more`, nil},
		{"tag name spellings", "<AREA href=x1><LiNk REL=NEXT href=x2><a/href=x3><ab href=no><abbr href=no><areas href=no>\n<a\nhref=x4>",
			[]string{"http://h.test/dir/x1", "http://h.test/dir/x2", "http://h.test/dir/x3", "http://h.test/dir/x4"}},
		{"base uppercase", `<BASE HREF="/up/"><a href=x>`, []string{"http://h.test/up/x"}},
		{"protocol relative", `<a href="//x.test/p">`, []string{"http://x.test/p"}},
		{"bad url", `<a href="http://[::1">x</a><a href="ok">`, []string{"http://h.test/dir/ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := linkStrings(ExtractLinks(mustURL(t, page), strings.NewReader(tt.html)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
			// Streamed a byte at a time, the same links.
			e := NewLinkExtractor(mustURL(t, page))
			for i := 0; i < len(tt.html); i++ {
				e.Write([]byte{tt.html[i]})
			}
			e.Close()
			if s := linkStrings(e.Links()); !slices.Equal(s, tt.want) {
				t.Errorf("streamed byte by byte: got %q; want %q", s, tt.want)
			}
		})
	}
}

// TestExtractCut: a body cut in the middle still yields the links before
// the cut, and a huge token ends the extraction without losing them.
func TestExtractCut(t *testing.T) {
	page := mustURL(t, "http://h.test/")
	html := `<a href="/1">1</a><a href="/2">2</a><a href="/3`
	e := NewLinkExtractor(page)
	e.Write([]byte(html))
	e.Close()
	if got := linkStrings(e.Links()); !slices.Equal(got, []string{"http://h.test/1", "http://h.test/2"}) {
		t.Errorf("cut body: got %q", got)
	}

	e = NewLinkExtractor(page)
	e.Write([]byte(`<a href="/ok">`))
	big := []byte(`<a title="` + strings.Repeat("x", maxTokenBytes+10) + `" href="/lost">`)
	for len(big) > 0 { // in chunks, as a body arrives
		n := min(len(big), 16<<10)
		e.Write(big[:n])
		big = big[n:]
	}
	e.Write([]byte(`<a href="/after">`))
	e.Close()
	if got := linkStrings(e.Links()); !slices.Equal(got, []string{"http://h.test/ok"}) || e.Err() == nil {
		t.Errorf("huge token: got %q, err %v; want [/ok] and an error", got, e.Err())
	}
}

func TestExtractLinkBound(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxLinksPerPage+50; i++ {
		b.WriteString(`<a href="/x">`)
	}
	b.WriteString(`<a href="/` + strings.Repeat("x", MaxURLLength) + `">`)
	e := NewLinkExtractor(mustURL(t, "http://h.test/"))
	e.Write([]byte(b.String()))
	e.Close()
	if n := len(e.Links()); n != MaxLinksPerPage || e.Skipped() != 51 {
		t.Errorf("got %d links, %d skipped; want the bound %d and 51", n, e.Skipped(), MaxLinksPerPage)
	}
	long := `<a href="/short">` + `<a href="/` + strings.Repeat("y", MaxURLLength) + `">` + `<a href="?` + strings.Repeat("q", MaxURLLength-5) + `">`
	e = NewLinkExtractor(mustURL(t, "http://h.test/"+strings.Repeat("p", 100)))
	e.Write([]byte(long))
	e.Close()
	if n := len(e.Links()); n != 1 || e.Skipped() != 2 {
		t.Errorf("long URLs: %d links, %d skipped; want 1 and 2", n, e.Skipped())
	}
}

func TestIsHTML(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html": true, "text/html; charset=utf-8": true, "TEXT/HTML": true, "application/xhtml+xml": true,
		"text/plain": false, "": false, "application/json": false, "text/html;;": true, "image/svg+xml": false,
	} {
		if got := IsHTML(ct); got != want {
			t.Errorf("IsHTML(%q) = %v; want %v", ct, got, want)
		}
	}
}

// FuzzExtractLinks: any body, fed in any split, yields the same links as
// fed whole, each absolute http(s), without fragment, and normalizable.
func FuzzExtractLinks(f *testing.F) {
	f.Add(`<a href="a.html">x</a><base href="/b/"><A HREF=c>`, 3)
	f.Add(`<meta name=robots content=nofollow><a href=x>`, 1)
	f.Add(`<link rel="next prev" href="//h/x#y"><area href="?q=%zz">`, 7)
	f.Add("<a href=\"\x00\xff%\">", 2)
	f.Fuzz(func(t *testing.T, body string, split int) {
		page := mustURL(t, "http://h.test/d/p")
		whole := linkStrings(ExtractLinks(page, strings.NewReader(body)))
		if split <= 0 {
			split = 1
		}
		e := NewLinkExtractor(page)
		for s := body; len(s) > 0; {
			n := min(len(s), split)
			e.Write([]byte(s[:n]))
			s = s[n:]
		}
		e.Close()
		streamed := linkStrings(e.Links())
		if !slices.Equal(whole, streamed) {
			t.Fatalf("whole %q, streamed in %d-byte pieces %q", whole, split, streamed)
		}
		for _, l := range e.Links() {
			if l.Scheme != "http" && l.Scheme != "https" || l.Host == "" || l.Fragment != "" {
				t.Errorf("bad link %q", l)
			}
			n, err := Normalize(l)
			if err != nil {
				t.Errorf("Normalize(%q): %v", l, err)
				continue
			}
			if !utf8.ValidString(n) || strings.ContainsAny(n, " \t\n#") {
				t.Errorf("Normalize(%q) = %q", l, n)
			}
		}
	})
}

var _ io.WriteCloser = (*LinkExtractor)(nil)
