// Package gowarcbench compares the cost of writing 20,000 small exchanges
// (a request and a response record each, gzip per record, WARC 1.1, SHA-1
// digests) with github.com/nlnwa/gowarc/v3 and with greenfetch's warc.
package gowarcbench

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/warc"
	"github.com/nlnwa/gowarc/v3"
)

const n = 20000

type exchange struct {
	url       string
	req, resp []byte
}

// The same pages as warc's BenchmarkWrite20000.
func exchanges() []exchange {
	exs := make([]exchange, n)
	for i := range exs {
		u := fmt.Sprintf("http://127.0.0.1:8080/docs/page%d.html", i)
		body := fmt.Sprintf("<!doctype html><title>page %d</title>\n%s", i, strings.Repeat("<p>Some text of a documentation page, with <a href=\"/x\">links</a>.</p>\n", 28))
		exs[i] = exchange{
			url:  u,
			req:  []byte("GET /docs/page" + fmt.Sprint(i) + ".html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: greenfetch-test\r\nAccept: */*\r\n\r\n"),
			resp: fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nServer: nginx/1.26.3\r\nDate: Tue, 04 Mar 2025 05:06:07 GMT\r\nContent-Type: text/html\r\nContent-Length: %d\r\nLast-Modified: Mon, 03 Mar 2025 10:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"67c5-%x\"\r\nAccept-Ranges: bytes\r\n\r\n%s", len(body), i, body),
		}
	}
	return exs
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirSize(dir string) int64 {
	var size int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	return size
}

func report(b *testing.B, cpu0 time.Duration, size int64) {
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size)/float64(b.N)/n, "file-B/exchange")
}

func BenchmarkGowarc(b *testing.B) {
	exs := exchanges()
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	recOpts := []gowarc.WarcRecordOption{
		gowarc.WithDefaultDigestAlgorithm("sha1"),
		gowarc.WithAddMissingDigest(true),
		gowarc.WithAddMissingRecordId(true),
		gowarc.WithAddMissingContentLength(true),
		gowarc.WithBufferTmpDir(b.TempDir()),
	}
	b.ReportAllocs()
	var size int64
	cpu0 := cpuTime()
	for b.Loop() {
		dir := b.TempDir()
		w := gowarc.NewWarcFileWriter(
			gowarc.WithCompression(true),
			gowarc.WithFileNameGenerator(&gowarc.PatternNameGenerator{Directory: dir, Prefix: "bench-", Pattern: "%{prefix}s%{ts}s-%05{serial}d.%{ext}s"}),
			gowarc.WithWarcInfoFunc(func(rb gowarc.WarcRecordBuilder) error {
				_, err := rb.WriteString("software: gowarcbench\r\nformat: WARC File Format 1.1\r\n")
				return err
			}),
			gowarc.WithAddWarcConcurrentToHeader(true),
			gowarc.WithRecordOptions(recOpts...),
		)
		for _, ex := range exs {
			var recs [2]gowarc.WarcRecord
			for i, part := range []struct {
				t     gowarc.RecordType
				ct    string
				bytes []byte
			}{{gowarc.Request, "application/http;msgtype=request", ex.req}, {gowarc.Response, "application/http;msgtype=response", ex.resp}} {
				rb := gowarc.NewRecordBuilder(part.t, recOpts...)
				rb.AddWarcHeader(gowarc.WarcTargetURI, ex.url)
				rb.AddWarcHeaderTime(gowarc.WarcDate, date)
				rb.AddWarcHeader(gowarc.WarcIPAddress, "127.0.0.1")
				rb.AddWarcHeader(gowarc.ContentType, part.ct)
				if _, err := rb.Write(part.bytes); err != nil {
					b.Fatal(err)
				}
				rec, _, err := rb.Build()
				if err != nil {
					b.Fatal(err)
				}
				recs[i] = rec
			}
			for _, r := range w.Write(recs[0], recs[1]) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		size += dirSize(dir)
	}
	report(b, cpu0, size)
}

func BenchmarkGreenfetch(b *testing.B) {
	exs := exchanges()
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, level := range []struct {
		name  string
		level int
	}{{"level1", 1}, {"level6", 6}} {
		b.Run(level.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			cpu0 := cpuTime()
			for b.Loop() {
				dir := b.TempDir()
				w, err := warc.Create(warc.Options{Dir: dir, Prefix: "bench", GzipLevel: level.level})
				if err != nil {
					b.Fatal(err)
				}
				for _, ex := range exs {
					if _, err := w.WriteExchange(&warc.Exchange{URL: ex.url, Date: date,
						Request: bytes.NewReader(ex.req), Response: bytes.NewReader(ex.resp)}); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				size += dirSize(dir)
			}
			report(b, cpu0, size)
		})
	}
}
