package crawl_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// offsiteListener listens on a second loopback address and counts every
// connection made to it: an off-scope host the crawl must never touch.
func offsiteListener(t *testing.T) (addr string, accepts *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	accepts = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), accepts
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// trapSite writes the generated site with its traps under the docroot of
// n; other is a second nginx (another port: off scope) and offsite a
// listener on 127.0.0.2. It returns the URIs a crawl of depth 3 from "/"
// must request, each exactly once, and URIs it must never request.
func trapSite(t *testing.T, n *testserver.Nginx, other, offsite string) (want, never []string) {
	base := n.URL
	files := map[string]string{
		"robots.txt": "# robots for the trap site\n" +
			"User-agent: otherbot\nDisallow: /\n\n" +
			"User-agent: *\n" +
			"Disallow: /private/\n" +
			"Allow: /private/open.html\n" +
			"Disallow: /*.pdf$\n" +
			"Sitemap: " + base + "/sitemap-index.xml\n",
		"index.html": `<!doctype html><html><head><title>home</title>
<link rel="stylesheet" href="/style.css"><link rel="next" href="/next.html">
</head><body>
<!-- the same page, spelled many ways -->
<a href="page.html">1</a> <a href="/./page.html">2</a> <a href="/a/../page.html">3</a>
<a href="HTTP://` + strings.TrimPrefix(base, "http://") + `/page.html">4</a>
<a href="` + base + `/page.html#section">5</a> <a href="/%70age.html">6</a>
<a href="http://` + strings.TrimPrefix(base, "http://") + `/page.html?">7 (a query, another URL)</a>
<a href="/~tilde.html">8</a> <a href="/%7etilde.html">9</a> <a href="/%7Etilde.html">10</a>
<a href="/cal/">calendar</a>
<a href="/malformed.html">malformed</a>
<a href="/base/index.html">base</a>
<a href="/redirect/301/page.html">redirect into a visited page</a>
<a href="/redirect/302/fresh.html">redirect to a new page</a>
<a href="/to-offsite">redirect off scope</a>
<a href="` + other + `/">another port</a> <a href="http://` + offsite + `/">another address</a>
<a href="/private/secret.html">forbidden</a> <a href="/private/open.html">allowed in forbidden</a>
<a href="/doc.pdf">forbidden pdf</a> <a href="/doc.pdf?v=1">pdf with a query</a>
<a rel="nofollow" href="/nf-rel.html">nofollow</a> <a href="/nofollow.html">meta nofollow</a>
<a href="/text.txt">text</a> <a href="/data.json">json</a>
<a href="/missing.html">404</a>
<a href="mailto:a@example.com">mail</a> <a href="javascript:alert(1)">js</a> <a href="data:text/html,<a href=/data-uri.html>">data</a>
</body></html>`,
		"page.html":   `<p>the page</p><a href="index.html">home</a><a href="/">home again</a>`,
		"next.html":   `<p>rel next</p>`,
		"style.css":   `a { color: red } /* http://` + offsite + `/css */`,
		"~tilde.html": `x`,
		"cal.html":    `<a href="next/">next month</a> <a href="../">previous month</a>`,
		"malformed.html": `<HTML><BODY><A HREF=mal1.html>unquoted</A>
<a href='mal2.html'>single quotes <a href="mal3.html?a=1&amp;b=2">entities<a href = "  mal4.html  ">spaces
<p><a href="mal5.html"`,
		"mal1.html": "1", "mal2.html": "2", "mal3.html": "3", "mal4.html": "4",
		"base/index.html":     `<html><head><base href="/basetarget/"></head><a href="t.html">via base</a></html>`,
		"basetarget/t.html":   `based`,
		"fresh.html":          `<a href="/redirect/301/fresh.html">redirect to myself</a>`,
		"private/secret.html": `secret`,
		"private/open.html":   `open`,
		"doc.pdf":             `%PDF-1.4 not really`,
		"nf-rel.html":         `never`,
		"nofollow.html":       `<html><head><meta name="ROBOTS" content="noindex,NOFOLLOW"></head><a href="/nf-meta.html">x</a></html>`,
		"nf-meta.html":        `never`,
		"text.txt":            base + "/from-text.html <a href=\"/from-text.html\">",
		"data.json":           `{"url": "` + base + `/from-json.html", "html": "<a href='/from-json.html'>"}`,
		"from-text.html":      `never`,
		"from-json.html":      `never`,
		"sitemap.xml": `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>` + base + `/sitemap-only.html</loc></url>
<url><loc>` + base + `/</loc></url>
<url><loc>http://` + offsite + `/in-sitemap.html</loc></url>
</urlset>`,
		"sitemap-index.xml": `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>` + base + `/sitemap-2.xml.gz</loc></sitemap>
<sitemap><loc>http://` + offsite + `/sitemap-3.xml</loc></sitemap>
</sitemapindex>`,
		"sitemap-2.xml.gz":  gzipped(`<urlset><url><loc>` + base + `/gz-only.html</loc></url></urlset>`),
		"sitemap-only.html": `only in the sitemap`,
		"gz-only.html":      `only in the gzipped sitemap`,
	}
	writeFiles(t, n.Root, files)
	want = []string{
		"/robots.txt", "/sitemap.xml", "/sitemap-index.xml", "/sitemap-2.xml.gz",
		"/", "/index.html", "/page.html", "/page.html?", "/next.html", "/~tilde.html",
		"/cal/", "/cal/next/", "/cal/next/next/", // depth 1, 2, 3: the trap ends at --depth
		"/malformed.html", "/mal1.html", "/mal2.html", "/mal3.html?a=1&b=2", "/mal4.html",
		"/base/index.html", "/basetarget/t.html",
		"/redirect/301/page.html",
		"/redirect/302/fresh.html", "/fresh.html", "/redirect/301/fresh.html",
		"/to-offsite",
		"/private/open.html", "/doc.pdf?v=1",
		"/nofollow.html", "/text.txt", "/data.json", "/missing.html",
		"/sitemap-only.html", "/gz-only.html",
	}
	never = []string{"/private/secret.html", "/doc.pdf", "/nf-rel.html", "/nf-meta.html", "/from-text.html",
		"/from-json.html", "/style.css", "/data-uri.html", "/cal/next/next/next/", "/mal5.html"}
	return want, never
}

func TestCrawlTrapSite(t *testing.T) {
	for _, mode := range fetcher.Modes {
		t.Run(mode.String(), func(t *testing.T) {
			offsite, accepts := offsiteListener(t)
			other := testserver.StartNginx(t, testserver.NginxOptions{})
			n := testserver.StartNginx(t, testserver.NginxOptions{
				ExtraServerConfig: `location /cal/ { try_files /cal.html =404; } ` +
					`location = /to-offsite { return 302 http://` + offsite + `/x; }`,
			})
			want, never := trapSite(t, n, other.URL, offsite)

			seed, _ := url.Parse(n.URL + "/")
			var (
				mu      sync.Mutex
				results = map[string]*fetcher.Result{}
				skipped []string
			)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stats, err := crawl.Run(ctx, crawl.Config{
				Mode:     mode,
				Fetch:    fetcher.RunConfig{Config: fetcher.Config{Timeout: 20 * time.Second}, Concurrency: 8},
				Seeds:    []*url.URL{seed},
				MaxDepth: 3,
				Sitemaps: true,
				PerHost:  3,
				OnResult: func(r *fetcher.Result) {
					mu.Lock()
					defer mu.Unlock()
					if results[r.URL] != nil {
						t.Errorf("two results for %s", r.URL)
					}
					results[r.URL] = r
				},
				OnSkip: func(u, reason string) { skipped = append(skipped, u) },
			})
			if err != nil {
				t.Fatal(err)
			}

			entries, err := n.AccessLog()
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, e := range entries {
				count[e.URI]++
			}
			for _, u := range want {
				if count[u] != 1 {
					t.Errorf("%s requested %d times; want exactly once", u, count[u])
				}
			}
			for _, u := range never {
				if count[u] != 0 {
					t.Errorf("%s requested %d times; want never", u, count[u])
				}
			}
			for u, c := range count {
				if !slices.Contains(want, u) {
					t.Errorf("unexpected request %s (%d times)", u, c)
				}
			}
			if others, _ := other.AccessLog(); len(others) != 0 {
				t.Errorf("the off-scope nginx got %d requests", len(others))
			}
			if a := accepts.Load(); a != 0 {
				t.Errorf("the off-scope address got %d connections", a)
			}

			// One result line per page: robots.txt and the three sitemaps are
			// not pages, and /fresh.html is the end of a followed redirect.
			if got := int(stats.Pages); got != len(results) || got != len(want)-5 {
				t.Errorf("stats.Pages %d, %d results; want %d", got, len(results), len(want)-5)
			}
			check := func(path string, depth int, parent string, status int) {
				t.Helper()
				r := results[n.URL+path]
				if r == nil {
					t.Errorf("no result for %s", path)
					return
				}
				if r.CrawlInfo == nil || r.Depth != depth || r.Parent != parent || r.Status != status {
					t.Errorf("%s: crawl info %+v status %d; want depth %d parent %q status %d", path, r.CrawlInfo, r.Status, depth, parent, status)
				}
			}
			check("/", 0, "", 200)
			check("/page.html", 1, n.URL+"/", 200)
			check("/cal/next/next/", 3, n.URL+"/cal/next/", 200)
			check("/basetarget/t.html", 2, n.URL+"/base/index.html", 200)
			check("/missing.html", 1, n.URL+"/", 404)
			check("/sitemap-only.html", 1, n.URL+"/sitemap.xml", 200)
			check("/gz-only.html", 1, n.URL+"/sitemap-2.xml.gz", 200)
			check("/redirect/301/page.html", 1, n.URL+"/", 301) // not followed: visited
			check("/to-offsite", 1, n.URL+"/", 302)             // not followed: off scope
			if r := results[n.URL+"/redirect/302/fresh.html"]; r == nil || r.FinalURL != n.URL+"/fresh.html" || r.Status != 200 {
				t.Errorf("redirect to a new page: %+v", r)
			}
			if r := results[n.URL+"/"]; r != nil && r.Links < 25 {
				t.Errorf("the home page yielded %d links", r.Links)
			}
			if stats.SkippedRobots != 2 || len(skipped) != 2 {
				t.Errorf("skipped_robots %d (%v); want 2 (/private/secret.html, /doc.pdf)", stats.SkippedRobots, skipped)
			}
			if stats.OutOfScope < 4 || stats.Duplicates < 10 || stats.Dropped != 0 {
				t.Errorf("stats %+v; want out_of_scope >= 4, duplicates >= 10, dropped 0", stats)
			}
			if stats.RobotsFetches != 1 {
				t.Errorf("robots.txt fetched %d times; want 1", stats.RobotsFetches)
			}
		})
	}
}

// TestCrawlRobotsStatus: robots.txt answering 4xx allows everything,
// 5xx or no server forbids everything (nothing fetched but robots.txt).
func TestCrawlRobotsStatus(t *testing.T) {
	tests := []struct {
		name, config string
		pages        int64
		files        map[string]string // more files of the site
		fetch        fetcher.Config    // the client's, as the user set it
	}{
		{"404 allows all", `location = /robots.txt { return 404; }`, 2, nil, fetcher.Config{}},
		{"403 allows all", `location = /robots.txt { return 403; }`, 2, nil, fetcher.Config{}},
		{"503 forbids all", `location = /robots.txt { return 503; }`, 0, nil, fetcher.Config{}},
		{"500 forbids all", `location = /robots.txt { return 500; }`, 0, nil, fetcher.Config{}},
		{"redirect loop allows all", `location = /robots.txt { return 302 /robots.txt; }`, 2, nil, fetcher.Config{}},
		{"429 forbids all", `location = /robots.txt { return 429; }`, 0, nil, fetcher.Config{}},
		// RFC 9309 2.3.1.2: robots.txt follows its redirects (up to 5)
		// whatever the pages' limit is.
		{"redirect followed with redirects off", `location = /robots.txt { return 301 /real-robots.txt; }`, 1,
			map[string]string{"real-robots.txt": "User-agent: *\nDisallow: /b.html\n"}, fetcher.Config{NoRedirects: true}},
		// RFC 9309 2.5: a robots.txt longer than the body cap is parsed as
		// far as it was read.
		{"cut by the body cap", "", 1,
			map[string]string{"robots.txt": "User-agent: *\nDisallow: /b.html\n" + strings.Repeat("# padding\n", 1000)}, fetcher.Config{MaxBody: 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testserver.StartNginx(t, testserver.NginxOptions{ExtraServerConfig: tt.config})
			files := map[string]string{"index.html": `<a href="/b.html">b</a>`, "b.html": "b"}
			maps.Copy(files, tt.files)
			writeFiles(t, n.Root, files)
			seed, _ := url.Parse(n.URL + "/")
			stats, err := crawl.Run(context.Background(), crawl.Config{Mode: fetcher.ModeAsync, Seeds: []*url.URL{seed}, MaxDepth: 1, Fetch: fetcher.RunConfig{Config: tt.fetch}})
			if err != nil {
				t.Fatal(err)
			}
			if stats.Pages != tt.pages {
				t.Errorf("pages %d; want %d (stats %+v)", stats.Pages, tt.pages, stats)
			}
			entries, _ := n.AccessLog()
			robots := 0
			for _, e := range entries {
				if e.URI == "/robots.txt" {
					robots++
				}
			}
			if max := 1 + crawl.MaxRobotsRedirects; robots < 1 || robots > max {
				t.Errorf("robots.txt requested %d times; want 1 to %d", robots, max)
			}
			if tt.pages == 0 && (stats.SkippedRobots != 1 || stats.RobotsErrors != 1) {
				t.Errorf("skipped_robots %d, robots_errors %d; want 1 (the seed) and 1", stats.SkippedRobots, stats.RobotsErrors)
			}
			if tt.pages > 0 && stats.RobotsErrors != 0 {
				t.Errorf("robots_errors %d; want 0", stats.RobotsErrors)
			}
		})
	}
	t.Run("unreachable forbids all", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		seed, _ := url.Parse("http://" + addr + "/")
		stats, err := crawl.Run(context.Background(), crawl.Config{Mode: fetcher.ModeAsync, Seeds: []*url.URL{seed}})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Pages != 0 || stats.SkippedRobots != 1 {
			t.Errorf("stats %+v; want no page and the seed skipped", stats)
		}
	})
}

// TestCrawlLimits: --max-pages stops the crawl and counts what it left,
// --max-frontier drops and counts, robots off fetches no robots.txt.
func TestCrawlLimits(t *testing.T) {
	n := testserver.StartNginx(t, testserver.NginxOptions{ExtraServerConfig: `location /cal/ { try_files /cal.html =404; }`})
	var links strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&links, `<a href="/p%d.html">%d</a>`, i, i)
	}
	files := map[string]string{"index.html": links.String() + `<a href="/cal/">cal</a>`, "cal.html": `<a href="next/">next</a>`}
	for i := 0; i < 30; i++ {
		files[fmt.Sprintf("p%d.html", i)] = "p"
	}
	writeFiles(t, n.Root, files)
	seed, _ := url.Parse(n.URL + "/")

	stats, err := crawl.Run(context.Background(), crawl.Config{Mode: fetcher.ModeThreads, Seeds: []*url.URL{seed}, MaxDepth: 50, MaxPages: 7})
	if err != nil {
		t.Fatal(err)
	}
	// Left: those discovered and never fetched (fetches in flight at the
	// stop are neither pages nor left).
	if stats.Pages != 7 || stats.Left == 0 || stats.Left > stats.Discovered-stats.Pages {
		t.Errorf("max-pages 7: %d pages, %d discovered, %d left; want 7, and some of the rest left", stats.Pages, stats.Discovered, stats.Left)
	}

	stats, err = crawl.Run(context.Background(), crawl.Config{Mode: fetcher.ModeSync, Seeds: []*url.URL{seed}, MaxDepth: 1, MaxFrontier: 10, IgnoreRobots: true})
	if err != nil {
		t.Fatal(err)
	}
	// The seed is taken before the links arrive: then 10 of 31 fit.
	if stats.Pages != 11 || stats.Dropped != 21 || stats.RobotsFetches != 0 || stats.Left != 0 {
		t.Errorf("max-frontier 10: %+v; want 11 pages, 21 dropped, no robots.txt, none left", stats)
	}
}

// TestCrawlCancel: a canceled crawl ends at once; fetches in flight end
// as canceled results.
func TestCrawlCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never answers
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	seed, _ := url.Parse("http://" + ln.Addr().String() + "/")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	var got []*fetcher.Result
	start := time.Now()
	_, err = crawl.Run(ctx, crawl.Config{Mode: fetcher.ModeAsync, Seeds: []*url.URL{seed}, IgnoreRobots: true, OnResult: func(r *fetcher.Result) { got = append(got, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if len(got) != 1 || got[0].ErrorKind != fetcher.KindCanceled {
		t.Errorf("results %+v; want the seed, canceled", got)
	}
}

// TestCrawlDelay: --delay and a robots.txt Crawl-delay space the request
// starts to a host; the crawl cannot end before the last of them (a lower
// bound on time, never a speed claim).
func TestCrawlDelay(t *testing.T) {
	tests := []struct {
		name   string
		robots string
		delay  time.Duration
		want   time.Duration // the least time between starts
	}{
		{"delay flag", "User-agent: *\nDisallow:\n", 150 * time.Millisecond, 150 * time.Millisecond},
		{"crawl-delay wins", "User-agent: *\nCrawl-delay: 0.2\n", 50 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testserver.StartNginx(t, testserver.NginxOptions{})
			writeFiles(t, n.Root, map[string]string{
				"robots.txt": tt.robots,
				"index.html": `<a href="/1.html">1</a><a href="/2.html">2</a><a href="/3.html">3</a><a href="/4.html">4</a>`,
				"1.html":     "1", "2.html": "2", "3.html": "3", "4.html": "4",
			})
			seed, _ := url.Parse(n.URL + "/")
			start := time.Now()
			stats, err := crawl.Run(context.Background(), crawl.Config{Mode: fetcher.ModeAsync, Seeds: []*url.URL{seed}, MaxDepth: 1, PerHost: 4, Delay: tt.delay})
			if err != nil {
				t.Fatal(err)
			}
			if stats.Pages != 5 {
				t.Fatalf("pages %d; want 5", stats.Pages)
			}
			// The four links start one delay apart after the seed.
			if d := time.Since(start); d < 3*tt.want {
				t.Errorf("crawl took %v; the delay %v between 4 starts needs at least %v", d, tt.want, 3*tt.want)
			}
		})
	}
}

// TestCrawlRobotsRetry: after a 503 the origin is forbidden until the
// retry time; the next URL of the origin after it asks again.
func TestCrawlRobotsRetry(t *testing.T) {
	var robotsHits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			if robotsHits.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "User-agent: *\nDisallow:\n")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "page")
	}))
	defer srv.Close()
	a, _ := url.Parse(srv.URL + "/a")
	b, _ := url.Parse(srv.URL + "/b")
	var got []string
	stats, err := crawl.Run(context.Background(), crawl.Config{
		Mode: fetcher.ModeAsync, Seeds: []*url.URL{a, b}, PerHost: 1,
		Delay: 300 * time.Millisecond, RobotsRetry: 100 * time.Millisecond,
		OnResult: func(r *fetcher.Result) { got = append(got, r.URL) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.RobotsFetches != 2 || stats.SkippedRobots != 1 || len(got) != 1 || got[0] != srv.URL+"/b" {
		t.Errorf("stats %+v, results %v; want robots.txt twice, /a skipped, /b fetched", stats, got)
	}
}

// TestCrawlHostsInterleaved: a slow host holds its own per-host slots and
// no more; a fast host's pages all finish while the slow one still works.
func TestCrawlHostsInterleaved(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/s1">1</a><a href="/s2">2</a><a href="/s3">3</a><a href="/s4">4</a><a href="/s5">5</a>`)
	}))
	defer slow.Close()
	n := testserver.StartNginx(t, testserver.NginxOptions{})
	var links strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&links, `<a href="/f%d.html">%d</a>`, i, i)
	}
	files := map[string]string{"index.html": links.String()}
	for i := 0; i < 20; i++ {
		files[fmt.Sprintf("f%d.html", i)] = "f"
	}
	writeFiles(t, n.Root, files)
	s1, _ := url.Parse(slow.URL + "/")
	s2, _ := url.Parse(n.URL + "/")
	var order []string
	_, err := crawl.Run(context.Background(), crawl.Config{
		Mode: fetcher.ModeAsync, Fetch: fetcher.RunConfig{Concurrency: 4}, Seeds: []*url.URL{s1, s2}, MaxDepth: 1, PerHost: 2,
		OnResult: func(r *fetcher.Result) { order = append(order, r.URL) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 27 {
		t.Fatalf("%d results; want 27", len(order))
	}
	slowDone := 0
	for _, u := range order {
		if strings.HasPrefix(u, slow.URL) {
			slowDone++
			continue
		}
		if slowDone > 2 {
			t.Fatalf("fast page %s came after %d slow pages: %v", u, slowDone, order)
		}
	}
}

// TestRunList: a URL list on a store (bolt). Each URL once, duplicates
// and all; no robots.txt asked; links not followed; a redirect followed in
// place, to a URL of the list as well; results without crawl info; the
// list pushed beforehand (no seeds) is the work.
func TestRunList(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/a", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/never">never</a>`)
	}))
	defer srv.Close()
	f, err := crawl.OpenStore(context.Background(), "bolt:"+filepath.Join(t.TempDir(), "list.db"), crawl.StoreOptions{CrawlID: "list", PerHost: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []crawl.Item
	for _, p := range []string{"/a", "/b", "/old", "/a", "/c?x=1&y=2"} {
		u, _ := url.Parse(srv.URL + p)
		it, err := crawl.NewItem(u, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	if pr, err := f.Push(items); err != nil || pr.Added != 4 || pr.Duplicates != 1 {
		t.Fatalf("push: %+v, %v; want 4 added, 1 duplicate", pr, err)
	}
	var got []*fetcher.Result
	stats, err := crawl.Run(context.Background(), crawl.Config{
		Mode: fetcher.ModeAsync, List: true, Frontier: f, PerHost: 4,
		Record:   func(r *fetcher.Result) []byte { return []byte(r.URL) },
		OnResult: func(r *fetcher.Result) { got = append(got, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || stats.Pages != 4 || stats.RobotsFetches != 0 {
		t.Fatalf("%d results, stats %+v; want 4 pages, no robots.txt", len(got), stats)
	}
	for _, r := range got {
		if r.CrawlInfo != nil || r.Status != 200 {
			t.Errorf("result %s: status %d, crawl info %+v; want 200 and none", r.URL, r.Status, r.CrawlInfo)
		}
		if r.URL == srv.URL+"/old" && (r.FinalURL != srv.URL+"/a" || r.Redirects != 1) {
			t.Errorf("/old: final %s after %d redirects; want /a after 1", r.FinalURL, r.Redirects)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/robots.txt"] != 0 || hits["/never"] != 0 || hits["/a"] != 2 || hits["/b"] != 1 || hits["/c"] != 1 {
		t.Errorf("requests %v; want /a twice (itself, the redirect), /b and /c once, nothing else", hits)
	}
}
