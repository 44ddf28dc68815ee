package warc

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"strings"
	"testing"
)

func TestParseHead(t *testing.T) {
	for _, c := range []struct {
		name       string
		head, rest string // the block is head+rest; want.length is len(head)
		want       head
	}{
		{"response", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\n", "hi",
			head{ended: true, status: 200, mime: "text/html"}},
		{"bare LF lines", "HTTP/1.0 404 Not Found\nContent-Type:text/plain\n\n", "x",
			head{ended: true, status: 404, mime: "text/plain"}},
		{"no reason phrase", "HTTP/1.1 204\r\n\r\n", "", head{ended: true, status: 204}},
		{"status not three digits", "HTTP/1.1 20 OK\r\n\r\n", "", head{ended: true}},
		{"request", "POST /f HTTP/1.1\r\nHost: a\r\n\r\n", "body", head{ended: true, method: "POST"}},
		{"chunked, any case, last coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED \r\n\r\n", "0\r\n\r\n",
			head{ended: true, status: 200, chunked: true}},
		{"chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "", head{ended: true, status: 200}},
		{"first Content-Type wins", "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n", "",
			head{ended: true, status: 200, mime: "a/b"}},
		{"head never ends", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "", head{}},
		{"CR CR LF is not an empty line", "HTTP/1.1 200 OK\r\n\r\r\nX: y\r\n\r\n", "z", head{ended: true, status: 200}},
	} {
		t.Run(c.name, func(t *testing.T) {
			block := c.head + c.rest
			want := c.want
			want.length = int64(len(c.head))
			// Any split of the block gives the same head.
			for split := range len(block) + 1 {
				var s scanner
				s.reset(sha1.New(), sha1.New())
				s.Write([]byte(block[:split]))
				s.Write([]byte(block[split:]))
				got := s.head
				if got != want {
					t.Fatalf("split at %d: head = %+v; want %+v", split, got, want)
				}
				if wantPayload := int64(len(c.rest)); got.ended && !got.chunked && s.payloadLen != wantPayload {
					t.Fatalf("split at %d: %d payload bytes; want %d", split, s.payloadLen, wantPayload)
				}
			}
		})
	}
}

func TestDechunk(t *testing.T) {
	for _, c := range []struct {
		name      string
		body      string
		want      string
		wantState chunkState
	}{
		{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", chunkDone},
		{"extensions and whitespace", "5 ; a=b\r\nhello\r\n0;x\r\n\r\n", "hello", chunkDone},
		{"upper-case hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", chunkDone},
		{"bare LF", "3\nabc\n0\n\n", "abc", chunkDone},
		{"trailer fields", "3\r\nabc\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", "abc", chunkDone},
		{"bytes after the end are not payload", "1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", "a", chunkDone},
		{"cut in the data", "5\r\nhel", "hel", chunkData},
		{"cut before the last chunk", "5\r\nhello\r\n", "hello", chunkSizeLine},
		{"no digits", "\r\nhello\r\n", "", chunkBroken},
		{"not hex", "zz\r\nhello\r\n", "", chunkBroken},
		{"no CRLF after data", "5\r\nhelloX6\r\n world\r\n", "hello", chunkBroken},
		{"size too large", "1000000000000000\r\nx", "", chunkBroken},
		{"size line too long", "1;" + strings.Repeat("x", maxChunkLine) + "\r\na\r\n0\r\n\r\n", "", chunkBroken},
	} {
		t.Run(c.name, func(t *testing.T) {
			for split := range len(c.body) + 1 {
				var d dechunker
				var out bytes.Buffer
				n := d.write([]byte(c.body[:split]), &out)
				n += d.write([]byte(c.body[split:]), &out)
				if out.String() != c.want || n != int64(len(c.want)) || d.state != c.wantState {
					t.Fatalf("split at %d: got %q (%d), state %d; want %q, state %d", split, out.String(), n, d.state, c.want, c.wantState)
				}
			}
		})
	}
}

// chunk encodes data in chunks of the given sizes (cycled), with an
// extension on every other chunk.
func chunk(data []byte, sizes []byte) []byte {
	var b bytes.Buffer
	for i := 0; len(data) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = int(sizes[i%len(sizes)]) + 1
		}
		n = min(n, len(data))
		if i%2 == 1 {
			fmt.Fprintf(&b, "%x;i=%d\r\n", n, i)
		} else {
			fmt.Fprintf(&b, "%X\r\n", n)
		}
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

// FuzzDechunk checks the round trip (data chunked any way de-chunks to
// itself, in pieces of any size) and that any input de-chunks without a
// panic to no more bytes than it holds.
func FuzzDechunk(f *testing.F) {
	f.Add([]byte("hello world"), []byte{4, 0, 200}, []byte("5\r\nhello\r\n0\r\n\r\n"), uint16(3))
	f.Add([]byte(""), []byte{}, []byte("0\r\n\r\n"), uint16(0))
	f.Add([]byte("x"), []byte{255}, []byte("fffffffffffffff\r\nx"), uint16(1))                                      // 15 hex digits: the largest size accepted
	f.Add([]byte("x"), []byte{1}, []byte("1;"+strings.Repeat("e", maxChunkLine-3)+"\r\nx\r\n0\r\n\r\n"), uint16(7)) // a size line at the limit
	f.Fuzz(func(t *testing.T, data, sizes, raw []byte, piece uint16) {
		step := int(piece%64) + 1
		feed := func(b []byte) (*dechunker, []byte) {
			var d dechunker
			var out bytes.Buffer
			for len(b) > 0 {
				k := min(step, len(b))
				d.write(b[:k], &out)
				b = b[k:]
			}
			return &d, out.Bytes()
		}
		d, got := feed(chunk(data, sizes))
		if !bytes.Equal(got, data) || d.state != chunkDone {
			t.Fatalf("round trip of %q in sizes %v: got %q, state %d", data, sizes, got, d.state)
		}
		if _, got := feed(raw); len(got) > len(raw) {
			t.Fatalf("%q de-chunked to %d bytes, more than it holds", raw, len(got))
		}
	})
}
