package fetcher

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
)

// plainHeadSeeds are responses plainHead takes (the first plainSeeds),
// then some it must leave to http.ReadResponse.
var plainHeadSeeds = []string{
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 09:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nLast-Modified: Sun, 29 Nov 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"abc\"\r\nAccept-Ranges: bytes\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200\r\nContent-Length: 3\r\n\r\nabcdef",
	"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\nx-dup: 1\r\nX-Dup:  2 \r\nx-empty:\r\n\r\nnope",
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
	"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok",
}

// plainSeeds is how many of plainHeadSeeds, first, are of the plain kind.
const plainSeeds = 7

// FuzzPlainHead holds plainHead to http.ReadResponse: whenever plainHead
// takes a head, ReadResponse reads the same response from the same bytes
// (status, protocol, headers, length, framing), their bodies give the same
// bytes and the same end, and both leave the same bytes after the body.
func FuzzPlainHead(f *testing.F) {
	for _, s := range plainHeadSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		br.Peek(1) // buffer what the first read gives, as awaitResponse does
		got, ok := plainHead(br, getRequest)
		if !ok {
			if br.Buffered() != min(len(data), 4096) {
				t.Fatalf("plainHead declined but consumed %d bytes", min(len(data), 4096)-br.Buffered())
			}
			return
		}
		wr := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		want, err := http.ReadResponse(wr, getRequest)
		if err != nil {
			t.Fatalf("plainHead took a head that http.ReadResponse refuses: %v", err)
		}
		type fields struct {
			Status              string
			StatusCode          int
			Proto               string
			ProtoMajor, Minor   int
			Header              http.Header
			ContentLength       int64
			TransferEncoding    []string
			Close, Uncompressed bool
			Trailer             http.Header
			Request             *http.Request
			NoBody              bool
		}
		of := func(r *http.Response) fields {
			return fields{r.Status, r.StatusCode, r.Proto, r.ProtoMajor, r.ProtoMinor, r.Header, r.ContentLength,
				r.TransferEncoding, r.Close, r.Uncompressed, r.Trailer, r.Request, r.Body == http.NoBody}
		}
		if g, w := of(got), of(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("plainHead:\n%+v\nhttp.ReadResponse:\n%+v", g, w)
		}
		gb, gerr := io.ReadAll(got.Body)
		wb, werr := io.ReadAll(want.Body)
		if !bytes.Equal(gb, wb) || !errors.Is(gerr, werr) && !(errors.Is(gerr, io.ErrUnexpectedEOF) && errors.Is(werr, io.ErrUnexpectedEOF)) {
			t.Fatalf("body: plainHead %q, %v; http.ReadResponse %q, %v", gb, gerr, wb, werr)
		}
		grest, _ := io.ReadAll(br)
		wrest, _ := io.ReadAll(wr)
		if !bytes.Equal(grest, wrest) {
			t.Fatalf("after the body: plainHead left %q; http.ReadResponse %q", grest, wrest)
		}
	})
}

// TestPlainHeadTakes: the heads plainHead exists for are taken, not left
// to http.ReadResponse (the fuzz target checks only what it takes).
func TestPlainHeadTakes(t *testing.T) {
	for i, s := range plainHeadSeeds[:plainSeeds] {
		br := bufio.NewReader(strings.NewReader(s))
		br.Peek(1)
		if _, ok := plainHead(br, getRequest); !ok {
			t.Errorf("seed %d: plainHead declined %q", i, s)
		}
	}
	for i, s := range plainHeadSeeds[plainSeeds:] {
		br := bufio.NewReader(strings.NewReader(s))
		br.Peek(1)
		if _, ok := plainHead(br, getRequest); ok {
			t.Errorf("seed %d: plainHead took %q; it is not of the plain kind", i+plainSeeds, s)
		}
	}
	br := bufio.NewReader(strings.NewReader(plainHeadSeeds[0]))
	br.Peek(1)
	if _, ok := plainHead(br, headRequest); ok {
		t.Error("plainHead took the answer to a HEAD request")
	}
}

// BenchmarkPlainHead reads nginx's head of a static file with plainHead
// and with http.ReadResponse.
func BenchmarkPlainHead(b *testing.B) {
	data := []byte(plainHeadSeeds[0])
	for _, name := range []string{"plainHead", "ReadResponse"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			r := bytes.NewReader(data)
			br := bufio.NewReaderSize(r, 4096)
			for b.Loop() {
				r.Reset(data)
				br.Reset(r)
				br.Peek(1)
				if name == "plainHead" {
					if _, ok := plainHead(br, getRequest); !ok {
						b.Fatal("plainHead declined nginx's head")
					}
				} else if _, err := http.ReadResponse(br, getRequest); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// chunkReader returns its chunks one read each, the last with err, then
// err again.
type chunkReader struct {
	chunks [][]byte
	err    error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, r.err
	}
	n := copy(p, r.chunks[0])
	r.chunks = r.chunks[1:]
	if len(r.chunks) == 0 {
		return n, r.err
	}
	return n, nil
}

// TestLengthBodyEnds: plainHead's body ends as net/http's does, read after
// read, when the connection's last bytes come with an error, and when the
// connection ends before the length (ErrUnexpectedEOF, then EOF).
func TestLengthBodyEnds(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	for _, tc := range []struct {
		name string
		body int
		err  error
	}{
		{"last bytes with a timeout", 100, os.ErrDeadlineExceeded},
		{"connection ends early", 90, io.EOF},
		{"whole body then EOF", 100, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk := func() *bufio.Reader {
				// A buffer smaller than the reads: bufio reads the body straight into p.
				return bufio.NewReaderSize(&chunkReader{chunks: [][]byte{[]byte(head), bytes.Repeat([]byte("a"), tc.body)}, err: tc.err}, 64)
			}
			br := mk()
			br.Peek(1)
			got, ok := plainHead(br, getRequest)
			if !ok {
				t.Fatal("plainHead declined")
			}
			want, err := http.ReadResponse(mk(), getRequest)
			if err != nil {
				t.Fatal(err)
			}
			p, q := make([]byte, 4096), make([]byte, 4096)
			for k := range 3 {
				gn, gerr := got.Body.Read(p)
				wn, werr := want.Body.Read(q)
				if gn != wn || !errors.Is(gerr, werr) && !errors.Is(werr, gerr) {
					t.Errorf("read %d: plainHead (%d, %v); net/http (%d, %v)", k, gn, gerr, wn, werr)
				}
			}
		})
	}
}
