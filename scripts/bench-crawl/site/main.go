// Command site makes the generated site of scripts/bench-crawl.sh: N HTML
// pages of about 8 KiB, each linking to 10 others (5 that make a tree
// from "/", so every page is reachable, and 5 picked at random), under
// p/I.html, and an index.html linking to the first 10.
//
//	site -dir DIR [-pages N]                      write the site under DIR (for nginx)
//	site -serve ADDR -delay 50ms [-pages N]       serve it from memory, each response after the delay
//
// nginx cannot delay a static file, so the delayed workload is served by
// this program (Go's net/http, a goroutine per connection): both crawlers
// meet the same server.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const pageSize = 8 << 10

// page returns page i of n (i == -1: the index).
func page(i, n int) []byte {
	var b strings.Builder
	b.Grow(pageSize + 512)
	fmt.Fprintf(&b, "<!doctype html>\n<html><head><title>page %d</title></head><body>\n<h1>Page %d</h1>\n<ul>\n", i, i)
	var links []int
	if i < 0 {
		for j := 0; j < 10 && j < n; j++ {
			links = append(links, j)
		}
	} else {
		r := rand.New(rand.NewPCG(uint64(i), 42))
		for j := 5*i + 1; j <= 5*i+5 && j < n; j++ {
			links = append(links, j)
		}
		for len(links) < 10 {
			links = append(links, r.IntN(n))
		}
	}
	for _, l := range links {
		fmt.Fprintf(&b, "<li><a href=\"/p/%d.html\">page %d</a></li>\n", l, l)
	}
	b.WriteString("</ul>\n")
	for b.Len() < pageSize-20 {
		b.WriteString("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p>\n")
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

func main() {
	dir := flag.String("dir", "", "write the site under `DIR`")
	addr := flag.String("serve", "", "serve the site on `ADDR` instead")
	delay := flag.Duration("delay", 0, "answer each request after `D`")
	n := flag.Int("pages", 20000, "number of pages")
	flag.Parse()
	switch {
	case *dir != "":
		if err := os.MkdirAll(filepath.Join(*dir, "p"), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*dir, "index.html"), page(-1, *n), 0o644); err != nil {
			log.Fatal(err)
		}
		for i := 0; i < *n; i++ {
			if err := os.WriteFile(filepath.Join(*dir, "p", strconv.Itoa(i)+".html"), page(i, *n), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	case *addr != "":
		pages := make([][]byte, *n)
		for i := range pages {
			pages[i] = page(i, *n)
		}
		index := page(-1, *n)
		var requests = make(chan string, 1<<16)
		go func() { // the access log: one URI a line on stdout
			for uri := range requests {
				fmt.Println(uri)
			}
		}()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests <- r.URL.RequestURI()
			if *delay > 0 {
				time.Sleep(*delay)
			}
			var body []byte
			switch p := r.URL.Path; {
			case p == "/":
				body = index
			case strings.HasPrefix(p, "/p/") && strings.HasSuffix(p, ".html"):
				i, err := strconv.Atoi(p[3 : len(p)-5])
				if err != nil || i < 0 || i >= len(pages) {
					http.NotFound(w, r)
					return
				}
				body = pages[i]
			default:
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		})
		log.Fatal(http.ListenAndServe(*addr, h))
	default:
		log.Fatal("site: give -dir or -serve")
	}
}
