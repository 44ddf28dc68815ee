package warc_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
	"github.com/greenfetch/greenfetch/warc"
)

// fetchRaw sends request to addr and copies what it sent and every byte of
// the answer (to the connection's close) into Buffers, as the fetcher's
// capture will: the bytes as they crossed the wire.
func fetchRaw(t *testing.T, addr, request string) (req, resp *warc.Buffer, ip netip.Addr) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req, resp = warc.NewBuffer(4<<10, t.TempDir()), warc.NewBuffer(4<<10, t.TempDir())
	t.Cleanup(func() { req.Close(); resp.Close() })
	if _, err := io.Copy(io.MultiWriter(c, req), strings.NewReader(request)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(resp, c); err != nil {
		t.Fatal(err)
	}
	return req, resp, c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
}

// TestNginxWireBytes archives what real nginx sent: a file with a length,
// the same file chunked (the same payload: a revisit), gzip-encoded and
// chunked, and an error page; warcio reads it all back.
func TestNginxWireBytes(t *testing.T) {
	page := bytes.Repeat([]byte("<p>archived by greenfetch</p>\n"), 2000) // 60 kB: several chunks, and past the Buffers' memory
	ng := testserver.StartNginx(t, testserver.NginxOptions{Files: map[string][]byte{"page.html": page}, Gzip: true})
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "nginx", Dedup: true, CDX: true})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, extra string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: " + ng.Addr + "\r\nUser-Agent: greenfetch-test\r\n" + extra + "Connection: close\r\n\r\n"
	}
	cases := []struct {
		name, path, extra string
		status            int
		chunked, revisit  bool
	}{
		{"length", "/page.html", "", 200, false, false},
		{"chunked", testserver.ChunkedPrefix + "page.html", "", 200, true, true},
		{"gzip", "/page.html", "Accept-Encoding: gzip\r\n", 200, true, false},
		{"not found", "/nowhere", "", 404, false, false},
	}
	var written []warc.Written
	for _, c := range cases {
		req, resp, ip := fetchRaw(t, ng.Addr, get(c.path, c.extra))
		wr, err := w.WriteExchange(&warc.Exchange{URL: ng.URL + c.path, IP: ip, Request: req, Response: resp})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		written = append(written, wr)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readBack(t, dir, "sha1", w.Files())
	checkRecords(t, warc.SHA1, recs)
	byID := map[string]readRecord{}
	for _, r := range recs {
		byID[r.Fields["warc-record-id"]] = r
	}
	for i, c := range cases {
		r := byID[written[i].RecordID]
		wantType := "response"
		if c.revisit {
			wantType = "revisit"
		}
		if r.typ() != wantType || r.uri() != ng.URL+c.path || r.Status != c.status || r.Fields["warc-ip-address"] != "127.0.0.1" {
			t.Errorf("%s: %s %s %d from %s; want %s %s %d from 127.0.0.1", c.name, r.typ(), r.uri(), r.Status,
				r.Fields["warc-ip-address"], wantType, ng.URL+c.path, c.status)
		}
		if c.revisit {
			continue
		}
		if r.Chunked != c.chunked {
			t.Errorf("%s: chunked %v; want %v (nginx's framing changed?)", c.name, r.Chunked, c.chunked)
		}
	}
	// The page's payload digest is the digest of the file, framed or not.
	if want := digestOf(warc.SHA1, page); written[0].PayloadDigest != want || written[1].PayloadDigest != want {
		t.Errorf("payload digests %s (length) and %s (chunked); the file digests to %s", written[0].PayloadDigest, written[1].PayloadDigest, want)
	}
	if got, want := readIndex(t, dir, w), warcioCDX(t, dir, w.Files()); !equal(got, want) {
		t.Errorf("CDXJ index:\n%s\nwarcio cdx-index:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
