package warc_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/warc"
)

// smallPage is a response of the size of a small HTML page (2 kB), as a
// crawl of documentation meets by the thousand.
func smallPage(i int) []byte {
	body := fmt.Sprintf("<!doctype html><title>page %d</title>\n%s", i, strings.Repeat("<p>Some text of a documentation page, with <a href=\"/x\">links</a>.</p>\n", 28))
	return fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nServer: nginx/1.26.3\r\nDate: Tue, 04 Mar 2025 05:06:07 GMT\r\nContent-Type: text/html\r\nContent-Length: %d\r\nLast-Modified: Mon, 03 Mar 2025 10:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"67c5-%x\"\r\nAccept-Ranges: bytes\r\n\r\n%s", len(body), i, body)
}

// benchExchanges returns n exchanges of small pages, all different.
func benchExchanges(n int) []*warc.Exchange {
	exs := make([]*warc.Exchange, n)
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := range exs {
		u := fmt.Sprintf("http://127.0.0.1:8080/docs/page%d.html", i)
		exs[i] = &warc.Exchange{
			URL: u, Date: date, IP: netip.MustParseAddr("127.0.0.1"),
			Request:  bytes.NewReader(getRequest("GET", u, "127.0.0.1:8080")),
			Response: bytes.NewReader(smallPage(i)),
		}
	}
	return exs
}

// BenchmarkWrite20000 writes 20,000 small exchanges (40,000 records, as a
// crawl of 20,000 pages does) into a new writer per op, index included.
// testdata/gowarcbench runs the same with github.com/nlnwa/gowarc/v3.
func BenchmarkWrite20000(b *testing.B) {
	const n = 20000
	exs := benchExchanges(n)
	for _, bc := range []struct {
		name     string
		parallel int
	}{{"serial", 1}, {"8 writers", 8}} {
		b.Run(strings.ReplaceAll(bc.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			cpu0 := cpuTime()
			for b.Loop() {
				dir := b.TempDir()
				w, err := warc.Create(warc.Options{Dir: dir, Prefix: "bench", CDX: true})
				if err != nil {
					b.Fatal(err)
				}
				next := make(chan *warc.Exchange)
				done := make(chan error, bc.parallel)
				for range bc.parallel {
					go func() {
						for ex := range next {
							if _, err := w.WriteExchange(ex); err != nil {
								done <- err
								return
							}
						}
						done <- nil
					}()
				}
				for _, ex := range exs {
					next <- ex
				}
				close(next)
				for range bc.parallel {
					if err := <-done; err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				for _, f := range w.Files() {
					if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
						size += fi.Size()
					}
				}
			}
			// CPU time, not only wall time: the machine is shared.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(size)/float64(b.N)/float64(n), "file-B/exchange")
		})
	}
}

// BenchmarkWriteExchange is the cost of one small exchange, alone and
// from parallel callers.
func BenchmarkWriteExchange(b *testing.B) {
	exs := benchExchanges(1024)
	b.Run("serial", func(b *testing.B) {
		w, err := warc.Create(warc.Options{Dir: b.TempDir(), Prefix: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := w.WriteExchange(exs[i%len(exs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		w, err := warc.Create(warc.Options{Dir: b.TempDir(), Prefix: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := w.WriteExchange(exs[i%len(exs)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
