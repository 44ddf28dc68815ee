package warc_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/warc"
)

// fixedNow is the clock of the tests' writers, so that file names are
// known.
func fixedNow() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC) }

func digestOf(d warc.Digest, b []byte) string {
	if d == warc.SHA256 {
		s := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(s[:])
	}
	s := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(s[:])
}

func getRequest(method, url, host string) []byte {
	path := url[strings.Index(url[len("https://"):], "/")+len("https://"):]
	return []byte(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: greenfetch-test\r\nAccept: */*\r\n\r\n")
}

// exchangeCase is one exchange to archive and what its payload is.
type exchangeCase struct {
	name     string
	url      string
	method   string
	response string
	payload  string // the entity body: the response's body with chunking removed
	status   int
	noReq    bool
	reqBody  string // sent with Content-Type: application/octet-stream
}

var exchangeCases = []exchangeCase{
	{name: "content-length", url: "http://127.0.0.1:8080/index.html",
		response: "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 20\r\n\r\n<html>hello</html>\r\n",
		payload:  "<html>hello</html>\r\n", status: 200},
	{name: "chunked with extension", url: "http://127.0.0.1:8080/chunked/a.txt",
		response: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		payload:  "hello world", status: 200},
	{name: "not found without content type", url: "http://127.0.0.1:8080/missing",
		response: "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
		payload:  "not found", status: 404},
	{name: "no content", url: "http://127.0.0.1:8080/status/204",
		response: "HTTP/1.1 204 No Content\r\nServer: nginx\r\n\r\n", status: 204},
	{name: "head", url: "http://127.0.0.1:8080/head", method: "HEAD",
		response: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", status: 200},
	{name: "www, port, dot segments, query", url: "http://www.Example.COM:8080/p/../q/./r?z=1&a=2&m",
		response: "HTTP/1.1 301 Moved Permanently\r\nLocation: /s\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\nmove",
		payload:  "move", status: 301},
	{name: "https default port", url: "https://www2.example.org:443/",
		response: "HTTP/1.1 200 OK\r\nContent-Type: Text/HTML\r\nContent-Length: 3\r\n\r\nabc",
		payload:  "abc", status: 200},
	{name: "post with a body", url: "http://127.0.0.1:8080/form?x=1", method: "POST", reqBody: "binary\x00body\xff",
		response: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
		payload:  "ok", status: 200},
	{name: "no request", url: "http://[::1]:8080/v6", noReq: true,
		response: "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\noops",
		payload:  "oops", status: 500},
}

func (c exchangeCase) exchange(date time.Time) *warc.Exchange {
	ex := &warc.Exchange{
		URL:      c.url,
		Date:     date,
		IP:       netip.MustParseAddr("127.0.0.1"),
		Response: strings.NewReader(c.response),
	}
	if !c.noReq {
		m := c.method
		if m == "" {
			m = "GET"
		}
		req := getRequest(m, c.url, "127.0.0.1")
		if c.reqBody != "" {
			req = bytes.Replace(req, []byte("\r\n\r\n"), []byte(fmt.Sprintf("\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n%s", len(c.reqBody), c.reqBody)), 1)
		}
		ex.Request = bytes.NewReader(req)
	}
	return ex
}

// readIndex returns the lines of the writer's CDXJ index.
func readIndex(t *testing.T, dir string, w *warc.Writer) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, w.IndexFile()))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// checkRecords checks what every reader must find in any file set: WARC
// 1.1, each file beginning with its warcinfo, block and payload digests
// that warcio's bytes agree with, unique record ids, and request and
// response records next to each other, pointing at each other.
func checkRecords(t *testing.T, d warc.Digest, recs []readRecord) {
	t.Helper()
	ids := map[string]bool{}
	for i, r := range recs {
		where := fmt.Sprintf("%s@%d (%s %s)", r.File, r.Offset, r.typ(), r.uri())
		if r.Version != "WARC/1.1" {
			t.Errorf("%s: version %q; want WARC/1.1", where, r.Version)
		}
		id := r.Fields["warc-record-id"]
		if ids[id] {
			t.Errorf("%s: record id %s seen twice", where, id)
		}
		ids[id] = true
		if (i == 0 || recs[i-1].File != r.File) != (r.typ() == "warcinfo") {
			t.Errorf("%s: warcinfo records must begin each file, and only there", where)
		}
		if got, want := r.Fields["warc-block-digest"], r.ComputedBlockDigest; got != want {
			t.Errorf("%s: WARC-Block-Digest %s; warcio's block digests to %s", where, got, want)
		}
		if !strings.HasPrefix(r.Fields["warc-block-digest"], d.String()+":") {
			t.Errorf("%s: WARC-Block-Digest %s; want %s", where, r.Fields["warc-block-digest"], d)
		}
		if got := fmt.Sprint(r.BlockLength); got != r.Fields["content-length"] {
			t.Errorf("%s: Content-Length %s; warcio read %s bytes", where, r.Fields["content-length"], got)
		}
		switch r.typ() {
		case "warcinfo":
			if r.Fields["warc-filename"] != r.File {
				t.Errorf("%s: WARC-Filename %q; want %q", where, r.Fields["warc-filename"], r.File)
			}
		case "request":
			if i+1 >= len(recs) || recs[i+1].File != r.File || recs[i+1].Fields["warc-concurrent-to"] != id ||
				r.Fields["warc-concurrent-to"] != recs[i+1].Fields["warc-record-id"] {
				t.Errorf("%s: not followed by its response, linked by WARC-Concurrent-To both ways", where)
			}
			fallthrough
		case "response":
			if got, want := r.Fields["warc-payload-digest"], r.ComputedPayloadDigest; got != want {
				t.Errorf("%s: WARC-Payload-Digest %s; warcio's payload (chunked %v) digests to %s", where, got, r.Chunked, want)
			}
			if want := "application/http;msgtype=" + r.typ(); r.Fields["content-type"] != want {
				t.Errorf("%s: Content-Type %q; want %q", where, r.Fields["content-type"], want)
			}
		case "revisit":
			if r.Fields["warc-profile"] != "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest" {
				t.Errorf("%s: WARC-Profile %q", where, r.Fields["warc-profile"])
			}
			if r.PayloadLength != 0 {
				t.Errorf("%s: revisit has %d payload bytes; want the head alone", where, r.PayloadLength)
			}
		default:
			t.Errorf("%s: unexpected record type", where)
		}
	}
}

func TestReadBackByWarcio(t *testing.T) {
	for _, d := range []warc.Digest{warc.SHA1, warc.SHA256} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			w, err := warc.Create(warc.Options{Dir: dir, Prefix: "rb", CDX: true, Digest: d, Now: fixedNow,
				CommandLine: "fetch --warc rb http://127.0.0.1:8080/"})
			if err != nil {
				t.Fatal(err)
			}
			var written []warc.Written
			for i, c := range exchangeCases {
				wr, err := w.WriteExchange(c.exchange(fixedNow().Add(time.Duration(i) * time.Second)))
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				written = append(written, wr)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := w.Files()
			if want := []string{"rb-20250304050607-00000.warc.gz"}; !equal(files, want) || !equal(warcFiles(t, dir), want) {
				t.Fatalf("files %q, on disk %q; want %q", files, warcFiles(t, dir), want)
			}
			recs := readBack(t, dir, d.String(), files)
			checkRecords(t, d, recs)

			if recs[0].typ() != "warcinfo" {
				t.Fatalf("first record is %q", recs[0].typ())
			}
			rest := recs[1:]
			for i, c := range exchangeCases {
				if !c.noReq {
					req := rest[0]
					rest = rest[1:]
					if req.typ() != "request" || req.uri() != c.url {
						t.Errorf("%s: got %s %s; want request %s", c.name, req.typ(), req.uri(), c.url)
					}
				}
				resp := rest[0]
				rest = rest[1:]
				if resp.typ() != "response" || resp.uri() != c.url || resp.Status != c.status {
					t.Errorf("%s: got %s %s %d; want response %s %d", c.name, resp.typ(), resp.uri(), resp.Status, c.url, c.status)
				}
				if want := digestOf(d, []byte(c.payload)); resp.Fields["warc-payload-digest"] != want {
					t.Errorf("%s: WARC-Payload-Digest %s; the entity body digests to %s", c.name, resp.Fields["warc-payload-digest"], want)
				}
				if resp.Fields["warc-ip-address"] != "127.0.0.1" {
					t.Errorf("%s: WARC-IP-Address %q", c.name, resp.Fields["warc-ip-address"])
				}
				wantDate := fixedNow().Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000Z")
				if resp.Fields["warc-date"] != wantDate {
					t.Errorf("%s: WARC-Date %q; want %q", c.name, resp.Fields["warc-date"], wantDate)
				}
				wr := written[i]
				if wr.File != resp.File || wr.Offset != resp.Offset || wr.Length != resp.Length || wr.RecordID != resp.Fields["warc-record-id"] {
					t.Errorf("%s: WriteExchange said %+v; warcio found it in %s at %d, %d bytes, id %s",
						c.name, wr, resp.File, resp.Offset, resp.Length, resp.Fields["warc-record-id"])
				}
			}
			if len(rest) != 0 {
				t.Errorf("%d records more than written", len(rest))
			}
			info := recs[0]
			if !strings.Contains(info.Fields["content-type"], "application/warc-fields") {
				t.Errorf("warcinfo Content-Type %q", info.Fields["content-type"])
			}

			// warcio's own index command lists the same records.
			idx := warcioIndex(t, dir, "offset,warc-type,warc-target-uri,warc-payload-digest", files)
			if len(idx) != len(recs) {
				t.Fatalf("warcio index lists %d records; readback.mjs %d", len(idx), len(recs))
			}
			for i, m := range idx {
				r := recs[i]
				if m["offset"] != float64(r.Offset) || m["warc-type"] != r.typ() || (r.uri() != "" && m["warc-target-uri"] != r.uri()) ||
					(r.Fields["warc-payload-digest"] != "" && m["warc-payload-digest"] != r.Fields["warc-payload-digest"]) {
					t.Errorf("warcio index line %d: %v; readback.mjs: %s %s at %d", i, m, r.typ(), r.uri(), r.Offset)
				}
			}

			// The index is the one warcio makes of the same files.
			if got, want := readIndex(t, dir, w), warcioCDX(t, dir, files); !equal(got, want) {
				t.Errorf("CDXJ index:\n%s\nwarcio cdx-index:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestWarcinfo(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "info", Now: fixedNow, Software: "greenfetch/v9.9.9",
		CommandLine: "fetch --warc info -i urls.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// warcio index can print the warcinfo's block fields? It cannot: read
	// the record's block through the independent reader's offsets and
	// gunzip it ourselves.
	recs := readBack(t, dir, "sha1", w.Files())
	if len(recs) != 1 || recs[0].typ() != "warcinfo" {
		t.Fatalf("records %+v; want one warcinfo", recs)
	}
	block := recordBlock(t, filepath.Join(dir, w.Files()[0]), recs[0])
	for _, want := range []string{"software: greenfetch/v9.9.9\r\n", "format: WARC File Format 1.1\r\n",
		"command-line: fetch --warc info -i urls.txt\r\n"} {
		if !strings.Contains(block, want) {
			t.Errorf("warcinfo block %q lacks %q", block, want)
		}
	}
}

func TestRevisit(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "dedup", Dedup: true, CDX: true, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	const body = "the same body, twice or more"
	plain := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	chunked := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", body[:4], len(body)-4, body[4:])
	empty := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	steps := []struct {
		url, response, truncated string
		revisitOf                int // index of the step it revisits, or -1
	}{
		{"http://a.test/1", plain, "", -1},
		{"http://a.test/2", plain, "", 0},
		{"http://a.test/3", chunked, "", 0}, // same entity body with other framing: same payload
		{"http://a.test/1", plain, "", 0},
		{"http://a.test/4", plain, "length", -1}, // truncated: written whole
		{"http://a.test/5", empty, "", -1},       // empty payloads are not deduplicated
		{"http://a.test/6", empty, "", -1},
	}
	var written []warc.Written
	for i, s := range steps {
		wr, err := w.WriteExchange(&warc.Exchange{URL: s.url, Date: fixedNow().Add(time.Duration(i) * time.Second),
			Request: bytes.NewReader(getRequest("GET", s.url, "a.test")), Response: strings.NewReader(s.response), Truncated: s.truncated})
		if err != nil {
			t.Fatal(err)
		}
		if wr.Revisit != (s.revisitOf >= 0) {
			t.Errorf("step %d: Revisit %v; want %v", i, wr.Revisit, s.revisitOf >= 0)
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
	for i, s := range steps {
		r := byID[written[i].RecordID]
		if s.revisitOf < 0 {
			if r.typ() != "response" {
				t.Errorf("step %d: %s; want response", i, r.typ())
			}
			if s.truncated != "" && r.Fields["warc-truncated"] != s.truncated {
				t.Errorf("step %d: WARC-Truncated %q; want %q", i, r.Fields["warc-truncated"], s.truncated)
			}
			continue
		}
		orig := byID[written[s.revisitOf].RecordID]
		want := map[string]string{
			"warc-type":                 "revisit",
			"warc-target-uri":           s.url,
			"warc-refers-to":            orig.Fields["warc-record-id"],
			"warc-refers-to-target-uri": orig.uri(),
			"warc-refers-to-date":       orig.Fields["warc-date"],
			"warc-payload-digest":       orig.Fields["warc-payload-digest"],
		}
		for k, v := range want {
			if r.Fields[k] != v {
				t.Errorf("step %d: %s %q; want %q", i, k, r.Fields[k], v)
			}
		}
		if r.Status != 200 {
			t.Errorf("step %d: the revisit's HTTP head says %d; want 200", i, r.Status)
		}
		headLen := strings.Index(s.response, "\r\n\r\n") + 4
		if r.BlockLength != int64(headLen) {
			t.Errorf("step %d: revisit block of %d bytes; want the %d of the head", i, r.BlockLength, headLen)
		}
	}
	if got, want := readIndex(t, dir, w), warcioCDX(t, dir, w.Files()); !equal(got, want) {
		t.Errorf("CDXJ index:\n%s\nwarcio cdx-index:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// randomBody returns n bytes that do not compress, from seed.
func randomBody(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}

func response(body []byte) []byte {
	return append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", len(body))), body...)
}

var fileName = regexp.MustCompile(`^roll-(\d{14})-(\d{5})\.warc\.gz$`)

func TestRollover(t *testing.T) {
	dir := t.TempDir()
	const maxSize = 8 << 10
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "roll", MaxSize: maxSize, CDX: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		u := fmt.Sprintf("http://127.0.0.1:8080/%d", i)
		if _, err := w.WriteExchange(&warc.Exchange{URL: u, Request: bytes.NewReader(getRequest("GET", u, "h")),
			Response: bytes.NewReader(response(randomBody(uint64(i), 1500)))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := w.Files()
	if !equal(files, warcFiles(t, dir)) {
		t.Fatalf("Files() %q; on disk %q", files, warcFiles(t, dir))
	}
	if len(files) < 4 {
		t.Fatalf("%d files of at most about %d bytes for %d exchanges of 1.5 kB; want several", len(files), maxSize, n)
	}
	for i, f := range files {
		m := fileName.FindStringSubmatch(f)
		if m == nil || m[2] != fmt.Sprintf("%05d", i) {
			t.Errorf("file %d is named %q; want roll-YYYYMMDDhhmmss-%05d.warc.gz", i, f, i)
		}
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if i < len(files)-1 && fi.Size() < maxSize {
			t.Errorf("%s has %d bytes: rolled over before passing %d", f, fi.Size(), maxSize)
		}
		if fi.Size() > maxSize+4<<10 {
			t.Errorf("%s has %d bytes: passed %d by more than one exchange", f, fi.Size(), maxSize)
		}
	}
	// Each file read alone is valid and begins with its warcinfo.
	seen := map[string]int{}
	for _, f := range files {
		recs := readBack(t, dir, "sha1", []string{f})
		checkRecords(t, warc.SHA1, recs)
		for _, r := range recs {
			if r.typ() == "response" {
				seen[r.uri()]++
			}
		}
	}
	for i := range n {
		if u := fmt.Sprintf("http://127.0.0.1:8080/%d", i); seen[u] != 1 {
			t.Errorf("%s archived %d times; want once", u, seen[u])
		}
	}
	if got, want := readIndex(t, dir, w), warcioCDX(t, dir, files); !equal(got, want) {
		t.Errorf("CDXJ index differs from warcio cdx-index:\n%s\n----\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConcurrentWriters(t *testing.T) {
	workers, each := 16, 40
	if testing.Short() {
		workers, each = 8, 10
	}
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "conc", MaxSize: 64 << 10, Dedup: true, CDX: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				u := fmt.Sprintf("http://h%d.test/%d", g, i)
				// One body in four is shared by every worker: revisits.
				seed := uint64(g*each + i)
				if i%4 == 0 {
					seed = 1 << 40
				}
				size := 200 + int(seed%3000)
				if _, err := w.WriteExchange(&warc.Exchange{URL: u, Request: bytes.NewReader(getRequest("GET", u, "h")),
					Response: bytes.NewReader(response(randomBody(seed, size)))}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := w.Files()
	recs := readBack(t, dir, "sha1", files)
	checkRecords(t, warc.SHA1, recs)
	count := map[string]map[string]int{}
	for _, r := range recs {
		if r.typ() == "warcinfo" {
			continue
		}
		if count[r.uri()] == nil {
			count[r.uri()] = map[string]int{}
		}
		count[r.uri()][r.typ()]++
	}
	// A copy of the shared body is a revisit, unless it was written while
	// the first copy was still being written; a revisit points at a
	// response written before it, with the same payload.
	revisits := 0
	where := map[string]int{} // record id -> position
	for i, r := range recs {
		where[r.Fields["warc-record-id"]] = i
	}
	for i, r := range recs {
		if r.typ() != "revisit" {
			continue
		}
		revisits++
		j, ok := where[r.Fields["warc-refers-to"]]
		if !ok || j >= i || recs[j].typ() != "response" || recs[j].Fields["warc-payload-digest"] != r.Fields["warc-payload-digest"] {
			t.Errorf("revisit %s refers to %s, which is not a response with its digest written before it", r.uri(), r.Fields["warc-refers-to"])
		}
	}
	for g := range workers {
		for i := range each {
			u := fmt.Sprintf("http://h%d.test/%d", g, i)
			c := count[u]
			if c["request"] != 1 || c["response"]+c["revisit"] != 1 {
				t.Errorf("%s: records %v; want one request and one response or revisit", u, c)
			}
		}
	}
	if len(count) != workers*each {
		t.Errorf("%d URLs archived; want %d", len(count), workers*each)
	}
	shared := workers * ((each + 3) / 4) // the copies of the shared body: i%4 == 0
	if revisits == 0 || revisits > shared-1 {
		t.Errorf("%d revisits; want some, and at most %d (every copy of the shared body but the first)", revisits, shared-1)
	}
	index := readIndex(t, dir, w)
	if len(index) != workers*each {
		t.Errorf("%d index lines; want %d", len(index), workers*each)
	}
	if want := warcioCDX(t, dir, files); !equal(index, want) {
		t.Errorf("CDXJ index differs from warcio cdx-index (%d and %d lines)", len(index), len(want))
	}
}

func TestLargeBodyStreamedFromBuffer(t *testing.T) {
	const memLimit = 64 << 10
	const size = 8 << 20 // past the Buffer's memory and the writer's inline limit
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "big", GzipLevel: 1, Digest: warc.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	// The response goes through a Buffer as a connection's reads would.
	buf := warc.NewBuffer(memLimit, t.TempDir())
	defer buf.Close()
	body := sha256.New()
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
	buf.Write([]byte(head))
	r := rand.New(rand.NewPCG(7, 7))
	chunk := make([]byte, 32<<10)
	for left := size; left > 0; left -= len(chunk) {
		for i := 0; i < len(chunk); i += 8 {
			binary.LittleEndian.PutUint64(chunk[i:], r.Uint64())
		}
		fmt.Fprintf(buf, "%x\r\n", len(chunk))
		buf.Write(chunk)
		buf.Write([]byte("\r\n"))
		body.Write(chunk)
	}
	if _, err := buf.Write([]byte("0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if buf.Bytes() != nil {
		t.Fatalf("a %d-byte response is still in memory with a limit of %d", buf.Size(), memLimit)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	u := "http://127.0.0.1:8080/big.bin"
	wr, err := w.WriteExchange(&warc.Exchange{URL: u, Request: bytes.NewReader(getRequest("GET", u, "h")), Response: buf})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// A gzip compressor (about 1 MB) and copy buffers, not the body.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
		t.Errorf("archiving a %d-byte response allocated %d bytes; want it streamed, not held", size, alloc)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "sha256:" + hex.EncodeToString(body.Sum(nil))
	recs := readBack(t, dir, "sha256", w.Files())
	checkRecords(t, warc.SHA256, recs)
	resp := recs[len(recs)-1]
	if resp.typ() != "response" || resp.BlockLength != buf.Size() || resp.PayloadLength != int64(size) {
		t.Fatalf("warcio read a %s of %d bytes, payload %d; want a response of %d, payload %d",
			resp.typ(), resp.BlockLength, resp.PayloadLength, buf.Size(), size)
	}
	if wr.PayloadDigest != want || resp.ComputedPayloadDigest != want {
		t.Errorf("payload digest %s, warcio's de-chunked payload digests to %s; the body digests to %s", wr.PayloadDigest, resp.ComputedPayloadDigest, want)
	}
}

// failingBlock is a block whose reads fail past a point: a temporary file
// lost under the writer, say.
type failingBlock struct {
	data  []byte
	after int64
}

func (f failingBlock) Size() int64 { return int64(len(f.data)) }
func (f failingBlock) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.after {
		return 0, errors.New("input/output error")
	}
	return copy(p, f.data[off:]), nil
}

// flakyBlock reads well once, then fails past a point: the second reading,
// the one that writes, fails after part of the record is in the file.
type flakyBlock struct {
	data  []byte
	reads *int
}

func (f flakyBlock) Size() int64 { return int64(len(f.data)) }
func (f flakyBlock) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		*f.reads++
	}
	if *f.reads > 1 && off > int64(len(f.data))/2 {
		return 0, errors.New("input/output error")
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestFailedExchangeLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "fail", Dedup: true, CDX: true})
	if err != nil {
		t.Fatal(err)
	}
	ok := func(u string) {
		t.Helper()
		if _, err := w.WriteExchange(&warc.Exchange{URL: u, Response: bytes.NewReader(response([]byte("fine: " + u)))}); err != nil {
			t.Fatal(err)
		}
	}
	ok("http://a.test/before")
	big := response(randomBody(3, 3<<20)) // streamed under the lock
	reads := 0
	for _, c := range []struct {
		name string
		b    warc.Block
	}{
		{"first reading fails", failingBlock{data: response([]byte("lost")), after: 10}},
		{"writing fails half way", flakyBlock{data: big, reads: &reads}},
	} {
		u := "http://a.test/" + strings.ReplaceAll(c.name, " ", "-")
		_, err := w.WriteExchange(&warc.Exchange{URL: u, Request: bytes.NewReader(getRequest("GET", u, "a")), Response: c.b})
		if err == nil || !strings.Contains(err.Error(), u) || !strings.Contains(err.Error(), "input/output error") {
			t.Errorf("%s: error %v; want one naming %s and the cause", c.name, err, u)
		}
	}
	ok("http://a.test/after")
	// The big body again, now readable: it was not remembered as archived,
	// so it is written whole.
	wr, err := w.WriteExchange(&warc.Exchange{URL: "http://a.test/big", Response: bytes.NewReader(big)})
	if err != nil || wr.Revisit {
		t.Errorf("the body of a failed exchange: %+v, %v; want a response record", wr, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readBack(t, dir, "sha1", w.Files())
	checkRecords(t, warc.SHA1, recs)
	var uris []string
	for _, r := range recs[1:] {
		uris = append(uris, r.typ()+" "+r.uri())
	}
	if want := []string{"response http://a.test/before", "response http://a.test/after", "response http://a.test/big"}; !equal(uris, want) {
		t.Errorf("records %q; want %q", uris, want)
	}
}

func TestRejects(t *testing.T) {
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "rej", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	resp := func() warc.Block { return strings.NewReader("HTTP/1.1 200 OK\r\n\r\n") }
	for _, c := range []struct {
		name string
		ex   warc.Exchange
		want string
	}{
		{"CRLF in the URL", warc.Exchange{URL: "http://a.test/x\r\nWARC-Type: resource", Response: resp()}, "control character"},
		{"space in the URL", warc.Exchange{URL: "http://a.test/x y", Response: resp()}, "space"},
		{"invalid UTF-8", warc.Exchange{URL: "http://a.test/\xff", Response: resp()}, "UTF-8"},
		{"no URL", warc.Exchange{Response: resp()}, "no URL"},
		{"no response", warc.Exchange{URL: "http://a.test/"}, "no response"},
		{"unknown truncation", warc.Exchange{URL: "http://a.test/t", Response: resp(), Truncated: "because"}, "WARC-Truncated"},
	} {
		_, err := w.WriteExchange(&c.ex)
		var we *warc.Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &we) || we.URL != c.ex.URL {
			t.Errorf("%s: error %v; want a *warc.Error naming the URL and %q", c.name, err, c.want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteExchange(&warc.Exchange{URL: "http://a.test/", Response: resp()}); !errors.Is(err, warc.ErrClosed) {
		t.Errorf("after Close: %v; want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A second writer with the same prefix in the same second fails and
	// leaves the first one's files as they were.
	before, _ := os.ReadFile(filepath.Join(dir, w.Files()[0]))
	if _, err := warc.Create(warc.Options{Dir: dir, Prefix: "rej", Now: fixedNow}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over existing files: %v; want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, w.Files()[0]))
	if !bytes.Equal(before, after) {
		t.Error("Create changed an existing file")
	}
	for _, p := range []string{"", "a/b", "..", "x\ny"} {
		if _, err := warc.Create(warc.Options{Dir: dir, Prefix: p}); err == nil {
			t.Errorf("Create with prefix %q succeeded", p)
		}
	}
	if _, err := warc.Create(warc.Options{Dir: filepath.Join(dir, "missing"), Prefix: "p"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create in a missing directory: %v; want fs.ErrNotExist", err)
	}
}

func TestUniquePrefix(t *testing.T) {
	a, b := warc.UniquePrefix("crawl"), warc.UniquePrefix("crawl")
	if a == b {
		t.Errorf("UniquePrefix gave %q twice", a)
	}
	ok := regexp.MustCompile(`^crawl-[A-Za-z0-9.-]+-\d+-[0-9a-f]{6}$`)
	if !ok.MatchString(a) || !strings.Contains(a, fmt.Sprintf("-%d-", os.Getpid())) {
		t.Errorf("UniquePrefix(\"crawl\") = %q; want crawl-HOST-%d-RANDOM", a, os.Getpid())
	}
	dir := t.TempDir()
	var ws []*warc.Writer
	for range 3 {
		w, err := warc.Create(warc.Options{Dir: dir, Prefix: warc.UniquePrefix("worker"), Now: fixedNow, CDX: true})
		if err != nil {
			t.Fatalf("writers with prefixes of their own in one directory: %v", err)
		}
		ws = append(ws, w)
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(warcFiles(t, dir)); n != 3 {
		t.Errorf("%d files; want 3", n)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recordBlock returns the block of the record warcio found at r's offset,
// gunzipped and cut out of its record here.
func recordBlock(t *testing.T, path string, r readRecord) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(io.NewSectionReader(f, r.Offset, r.Length))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	rec, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := bytes.Cut(rec, []byte("\r\n\r\n"))
	if !ok || !bytes.HasSuffix(block, []byte("\r\n\r\n")) {
		t.Fatalf("record at %d is not a WARC header, a block and CRLF CRLF: %q", r.Offset, rec)
	}
	return string(block[:len(block)-4])
}

// TestIndexSpillsSortedRuns writes more index lines than memory holds, so
// that sorted runs go to temporary files and are merged, more than once.
func TestIndexSpillsSortedRuns(t *testing.T) {
	defer warc.SetCDXBounds(2<<10, 3)()
	dir := t.TempDir()
	w, err := warc.Create(warc.Options{Dir: dir, Prefix: "spill", CDX: true, MaxSize: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	r := rand.New(rand.NewPCG(5, 5))
	for _, i := range r.Perm(n) {
		u := fmt.Sprintf("http://h%d.test/p/%d?q=%d", i%7, i, n-i)
		if _, err := w.WriteExchange(&warc.Exchange{URL: u, Request: bytes.NewReader(getRequest("GET", u, "h")),
			Response: bytes.NewReader(response([]byte(u)))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	index := readIndex(t, dir, w)
	if len(index) != n {
		t.Fatalf("%d index lines; want %d", len(index), n)
	}
	if want := warcioCDX(t, dir, w.Files()); !equal(index, want) {
		t.Errorf("index differs from the sorted warcio cdx-index")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".warc.gz") && e.Name() != w.IndexFile() {
			t.Errorf("%s left in the directory", e.Name())
		}
	}
}
