package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// A crawl of a four-page site: /c is linked twice but fetched once, the
// link off the host is not followed, and robots.txt keeps /private out.
func ExampleRun() {
	pages := map[string]string{
		"/robots.txt": "User-agent: *\nDisallow: /private\n",
		"/":           `<a href="/a">a</a> <a href="b">b</a> <a href="http://elsewhere.invalid/">x</a> <a href="/private">p</a>`,
		"/a":          `<a href="/c">c</a>`,
		"/b":          `<a href="./c#top">c</a>`,
		"/c":          `the end`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", "text/html")
		}
		fmt.Fprint(w, body)
	}))
	defer srv.Close()

	seed, _ := url.Parse(srv.URL + "/")
	var lines []string
	stats, err := crawl.Run(context.Background(), crawl.Config{
		Mode:     fetcher.ModeAsync,
		Seeds:    []*url.URL{seed},
		MaxDepth: 2,
		OnResult: func(r *fetcher.Result) {
			path := r.URL[len(srv.URL):]
			lines = append(lines, fmt.Sprintf("%s depth=%d links=%d status=%d", path, r.Depth, r.Links, r.Status))
		},
	})
	if err != nil {
		panic(err)
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("pages=%d skipped_robots=%d out_of_scope=%d duplicates=%d\n",
		stats.Pages, stats.SkippedRobots, stats.OutOfScope, stats.Duplicates)
	// Output:
	// / depth=0 links=4 status=200
	// /a depth=1 links=1 status=200
	// /b depth=1 links=1 status=200
	// /c depth=2 links=0 status=200
	// pages=4 skipped_robots=1 out_of_scope=1 duplicates=1
}
