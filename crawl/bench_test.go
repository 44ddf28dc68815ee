package crawl

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// benchPage is an 8 KiB page with 10 links, as in scripts/bench-crawl.sh.
func benchPage() []byte {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><head><title>page</title></head><body>\n<ul>\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "<li><a href=\"/p/%d.html\">page %d</a></li>\n", i*37, i)
	}
	b.WriteString("</ul>\n")
	for b.Len() < 8<<10 {
		b.WriteString("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p>\n")
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// BenchmarkLinkExtractor streams a page through a LinkExtractor (its
// goroutine included); BenchmarkExtractLinks tokenizes it in place: the
// difference is the cost of streaming.
func BenchmarkLinkExtractor(b *testing.B) {
	page := benchPage()
	u, _ := url.Parse("http://h.test/p/1.html")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		e := NewLinkExtractor(u)
		e.Write(page)
		e.Close()
		if len(e.Links()) != 10 {
			b.Fatal("links")
		}
	}
}

func BenchmarkExtractLinks(b *testing.B) {
	page := benchPage()
	u, _ := url.Parse("http://h.test/p/1.html")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if len(ExtractLinks(u, bytes.NewReader(page))) != 10 {
			b.Fatal("links")
		}
	}
}

// BenchmarkNormalizeHash is the cost of a link's key.
func BenchmarkNormalizeHash(b *testing.B) {
	u, _ := url.Parse("http://Example.org:80/a/./b/../c%7e?q=1#frag")
	b.ReportAllocs()
	for b.Loop() {
		n, _ := Normalize(u)
		Hash(n)
	}
}

// BenchmarkVisitedAdd is the cost of a visited-set insertion.
func BenchmarkVisitedAdd(b *testing.B) {
	var s VisitedSet
	h := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		h = h*6364136223846793005 + 1442695040888963407
		s.Add(h)
	}
}
