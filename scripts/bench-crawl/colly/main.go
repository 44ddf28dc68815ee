// Command colly-crawl is the colly v2 side of scripts/bench-crawl.sh: it
// crawls a site with colly's async collector, N requests at once to the
// one allowed host, and prints the pages it fetched. It lives in a module
// of its own so that colly never becomes a dependency of greenfetch.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
)

func main() {
	seed := flag.String("url", "", "seed URL")
	n := flag.Int("c", 64, "parallelism (requests at once to the host)")
	flag.Parse()
	u, err := url.Parse(*seed)
	if err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "colly-crawl: -url wants an absolute URL")
		os.Exit(2)
	}
	c := colly.NewCollector(colly.Async(true), colly.AllowedDomains(u.Hostname()))
	// The same connection budget as greenfetch: N kept-alive connections.
	c.WithTransport(&http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        *n,
		MaxIdleConnsPerHost: *n,
		IdleConnTimeout:     90 * time.Second,
	})
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: *n}); err != nil {
		fmt.Fprintln(os.Stderr, "colly-crawl:", err)
		os.Exit(2)
	}
	var pages, failed atomic.Int64
	c.OnHTML("a[href]", func(e *colly.HTMLElement) { e.Request.Visit(e.Attr("href")) })
	c.OnResponse(func(*colly.Response) { pages.Add(1) })
	c.OnError(func(*colly.Response, error) { failed.Add(1) })
	if err := c.Visit(*seed); err != nil {
		fmt.Fprintln(os.Stderr, "colly-crawl:", err)
		os.Exit(1)
	}
	c.Wait()
	fmt.Printf("colly pages=%d failed=%d\n", pages.Load(), failed.Load())
}
