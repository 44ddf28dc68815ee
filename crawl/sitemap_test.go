package crawl

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseSitemap(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	const urlset = `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc> http://h/a </loc><lastmod>2020-01-01</lastmod></url><url><loc>http://h/b?x=1&amp;y=2</loc></url></urlset>`
	tests := []struct {
		name  string
		body  string
		locs  []string
		index bool
	}{
		{"urlset", urlset, []string{"http://h/a", "http://h/b?x=1&y=2"}, false},
		{"gzip", gz(urlset), []string{"http://h/a", "http://h/b?x=1&y=2"}, false},
		{"index", `<sitemapindex><sitemap><loc>http://h/s1.xml.gz</loc></sitemap></sitemapindex>`, []string{"http://h/s1.xml.gz"}, true},
		{"broken after one", `<urlset><url><loc>http://h/a</loc></url><url><loc>http://h/b`, []string{"http://h/a"}, false},
		{"not xml", `hello`, nil, false},
		{"bad gzip", "\x1f\x8b garbage", nil, false},
		{"empty loc", `<urlset><url><loc> </loc></url></urlset>`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locs, index := ParseSitemap([]byte(tt.body))
			if !slices.Equal(locs, tt.locs) || index != tt.index {
				t.Errorf("got %q, index %v; want %q, %v", locs, index, tt.locs, tt.index)
			}
		})
	}
	// The URL bound.
	var b strings.Builder
	b.WriteString("<urlset>")
	for i := 0; i < MaxSitemapURLs+10; i++ {
		fmt.Fprintf(&b, "<url><loc>http://h/%d</loc></url>", i)
	}
	b.WriteString("</urlset>")
	if locs, _ := ParseSitemap([]byte(b.String())); len(locs) != MaxSitemapURLs {
		t.Errorf("%d locations; want the bound %d", len(locs), MaxSitemapURLs)
	}
	// The capture buffer keeps its bound.
	c := &capBuffer{max: 10}
	c.Write([]byte("0123456789abc"))
	c.Write([]byte("more"))
	if string(c.b) != "0123456789" {
		t.Errorf("capBuffer kept %q", c.b)
	}
}

// FuzzParseSitemap: any body parses without panic, within the bound.
func FuzzParseSitemap(f *testing.F) {
	f.Add([]byte(`<urlset><url><loc>http://h/a</loc></url></urlset>`))
	f.Add([]byte(`<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>`))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		locs, _ := ParseSitemap(body)
		if len(locs) > MaxSitemapURLs {
			t.Fatalf("%d locations", len(locs))
		}
	})
}
