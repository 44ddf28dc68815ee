package warc_test

import (
	"bytes"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/warc"
)

// A fetch archives the bytes it sent and received; the second fetch of the
// same page becomes a revisit record, and Close writes the CDXJ index.
func ExampleWriter() {
	dir, err := os.MkdirTemp("", "warc-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	clock := func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "example", Dedup: true, CDX: true, Now: clock})
	if err != nil {
		log.Fatal(err)
	}
	for _, url := range []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/index.html"} {
		// The fetcher copies what crosses the connection into Buffers.
		req, resp := warc.NewBuffer(0, ""), warc.NewBuffer(0, "")
		fmt.Fprintf(req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", url[len("http://127.0.0.1:8080"):])
		fmt.Fprint(resp, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello!\r\n0\r\n\r\n")

		wr, err := w.WriteExchange(&warc.Exchange{URL: url, IP: netip.MustParseAddr("127.0.0.1"), Request: req, Response: resp})
		req.Close()
		resp.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(wr.File, wr.PayloadDigest, "revisit:", wr.Revisit)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(dir, w.IndexFile()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.IndexFile())
	for _, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		key, ts, _ := bytes.Cut([]byte(line), []byte(" "))
		ts, _, _ = bytes.Cut(ts, []byte(" "))
		fmt.Println(string(key), string(ts))
	}
	// Output:
	// example-20250304050607-00000.warc.gz sha1:R56YR2IBUWWTUBOYZQG6SMYT7V3AFD4M revisit: false
	// example-20250304050607-00000.warc.gz sha1:R56YR2IBUWWTUBOYZQG6SMYT7V3AFD4M revisit: true
	// example-20250304050607.cdxj
	// 1,0,0,127:8080)/ 20250304050607
	// 1,0,0,127:8080)/index.html 20250304050607
}

func ExampleSURT() {
	fmt.Println(warc.SURT("https://www.Example.com:8443/a/b?z=1&a=2#top"))
	fmt.Println(warc.SURT("http://127.0.0.1:8080/index.html"))
	// Output:
	// com,example:8443)/a/b?a=2&z=1
	// 1,0,0,127:8080)/index.html
}
