package fetcher

import (
	"context"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestH2O fetches files of many sizes and a 404 from h2o, a second HTTP/2
// implementation: over TLS with ALPN, and over cleartext with prior
// knowledge, with and without gzip, with h2o allowing 3 streams at once.
func TestH2O(t *testing.T) {
	files := testserver.SizedFiles(testserver.DefaultSizes...)
	for _, gz := range []bool{false, true} {
		h := testserver.StartH2O(t, testserver.H2OOptions{Files: files, Gzip: gz, MaxConcurrentStreams: 3})
		for _, base := range []string{h.TLSURL, h.URL} {
			var urls []string
			for _, size := range testserver.DefaultSizes {
				urls = append(urls, base+"/"+testserver.SizedPath(size), base+"/"+testserver.SizedPath(size))
			}
			urls = append(urls, base+"/no/such/file")
			for _, mode := range Modes {
				name := mode.String() + "/" + base[:5]
				if gz {
					name += "/gzip"
				}
				t.Run(name, func(t *testing.T) {
					cfg := RunConfig{Config: Config{Timeout: testTimeout, Compressed: gz, RootCAs: h.Certs.CAPool, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 8, Hubs: 1, SHA256: true}
					res, stats := runList(t, context.Background(), mode, cfg, urls)
					for _, r := range res[:len(res)-1] {
						p := r.URL[len(base)+1:]
						if r.Err != nil || r.Status != 200 || r.Proto != "HTTP/2.0" {
							t.Errorf("%s: got status %d, proto %q, error %s; want 200 over HTTP/2.0", r.URL, r.Status, r.Proto, errString(r))
							continue
						}
						if r.Bytes != int64(len(files[p])) || r.SHA256 != sha256Hex(files[p]) {
							t.Errorf("%s: got %d bytes, sha256 %s; want %d bytes", r.URL, r.Bytes, r.SHA256, len(files[p]))
						}
					}
					if last := res[len(res)-1]; last.Status != 404 || last.Err != nil {
						t.Errorf("%s: got status %d, error %s; want 404", last.URL, last.Status, errString(last))
					}
					if stats.HTTP2Conns < 1 || stats.HTTP2Conns > maxH2ConnsPerKey || stats.HTTP1Conns != 0 {
						t.Errorf("got stats %+v; want 1 to %d HTTP/2 connections, no HTTP/1.1", stats, maxH2ConnsPerKey)
					}
				})
			}
		}
	}
}
