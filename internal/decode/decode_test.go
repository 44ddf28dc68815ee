package decode

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// encode applies the codings to data in the order given, as a server
// that sends "Content-Encoding: c1, c2" did. "raw-deflate" is deflate
// without the zlib wrapper.
func encode(t testing.TB, data []byte, codings ...string) []byte {
	t.Helper()
	for _, c := range codings {
		var b bytes.Buffer
		var w io.WriteCloser
		switch c {
		case "gzip":
			w = gzip.NewWriter(&b)
		case "deflate":
			w = zlib.NewWriter(&b)
		case "raw-deflate":
			w, _ = flate.NewWriter(&b, flate.DefaultCompression)
		case "br":
			w = brotli.NewWriter(&b)
		case "zstd":
			zw, err := zstd.NewWriter(&b, zstd.WithWindowSize(1<<20))
			if err != nil {
				t.Fatal(err)
			}
			w = zw
		default:
			t.Fatalf("encode: no encoder for %q", c)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data = b.Bytes()
	}
	return data
}

// text is a body that compresses as pages do, long enough to span several
// blocks of every coding.
func text(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<li><a href=\"/item/%d\">item %d of the list</a></li>\n", i*7919%100003, i)
	}
	return b.Bytes()[:n]
}

func decodeAll(body []byte, ce ...string) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(body), ce...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestDecode(t *testing.T) {
	data := text(300 << 10)
	tests := []struct {
		name    string
		applied []string // encoders, in the order applied
		header  []string // the Content-Encoding fields
	}{
		{"none", nil, nil},
		{"empty header", nil, []string{""}},
		{"identity", nil, []string{"identity"}},
		{"gzip", []string{"gzip"}, []string{"gzip"}},
		{"x-gzip", []string{"gzip"}, []string{"x-gzip"}},
		{"GZIP upper case", []string{"gzip"}, []string{"GZIP"}},
		{"deflate as zlib", []string{"deflate"}, []string{"deflate"}},
		{"deflate raw", []string{"raw-deflate"}, []string{"deflate"}},
		{"br", []string{"br"}, []string{"br"}},
		{"zstd", []string{"zstd"}, []string{"zstd"}},
		{"Zstd with blanks", []string{"zstd"}, []string{"  Zstd "}},
		{"gzip then br", []string{"gzip", "br"}, []string{"gzip, br"}},
		{"br then gzip", []string{"br", "gzip"}, []string{"br,gzip"}},
		{"three in two fields", []string{"deflate", "zstd", "gzip"}, []string{"deflate", "zstd, gzip"}},
		{"identity between", []string{"gzip", "zstd"}, []string{"gzip, identity, zstd"}},
		{"empty elements", []string{"br"}, []string{", br ,"}},
		{"gzip twice", []string{"gzip", "gzip"}, []string{"gzip, gzip"}},
		{"five codings", []string{"gzip", "br", "zstd", "deflate", "gzip"}, []string{"gzip, br, zstd, deflate, gzip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := encode(t, data, tt.applied...)
			got, err := decodeAll(body, tt.header...)
			if err != nil {
				t.Fatalf("decoding %v: %v", tt.header, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("decoding %v: got %d bytes that differ from the %d sent", tt.header, len(got), len(data))
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   []string
	}{
		{"nothing", nil, []string{}},
		{"identity only", []string{"identity"}, []string{}},
		{"aliases lowered", []string{"X-GZIP, Deflate"}, []string{"gzip", "deflate"}},
		{"fields joined", []string{"br", "", "zstd"}, []string{"br", "zstd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.header...)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.header, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got Parse(%q) = %q; want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	tests := []struct {
		name       string
		header     []string
		wantCoding string
		wantMsg    string
	}{
		{"compress", []string{"compress"}, "compress", `unsupported Content-Encoding "compress" (in "compress")`},
		{"one of a list", []string{"gzip, lzma"}, "lzma", `unsupported Content-Encoding "lzma" (in "gzip, lzma")`},
		{"second field", []string{"gzip", " sdch "}, "sdch", `unsupported Content-Encoding "sdch" (in "gzip,  sdch ")`},
		{"a parameter", []string{"gzip;q=1"}, "gzip;q=1", `unsupported Content-Encoding "gzip;q=1" (in "gzip;q=1")`},
		{"six codings", []string{"gzip, gzip, gzip, gzip, gzip, gzip"}, "", `Content-Encoding "gzip, gzip, gzip, gzip, gzip, gzip" stacks more than 5 codings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader("x"), tt.header...)
			var ue *UnknownError
			if !errors.As(err, &ue) {
				t.Fatalf("got NewReader(%q) = %v, %v; want an *UnknownError", tt.header, r, err)
			}
			if ue.Coding != tt.wantCoding || err.Error() != tt.wantMsg {
				t.Fatalf("got error %q naming %q; want %q naming %q", err, ue.Coding, tt.wantMsg, tt.wantCoding)
			}
			if Supported(tt.wantCoding) && tt.wantCoding != "" {
				t.Fatalf("Supported(%q) = true for a coding NewReader refuses", tt.wantCoding)
			}
		})
	}
}

// errReset is the body's own failure, as a connection reset is.
var errReset = errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: connection reset by peer")

// resetAfter is a body that fails after n bytes.
type resetAfter struct {
	r io.Reader
	n int
}

func (b *resetAfter) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errReset
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func TestBrokenBodies(t *testing.T) {
	data := text(200 << 10)
	garbage := bytes.Repeat([]byte("not compressed at all "), 50)
	tests := []struct {
		name       string
		header     string
		body       []byte
		resetAt    int    // when > 0, the body fails with errReset after this many bytes
		wantCoding string // "" when the body's own error must come back
		wantUnexp  bool   // the error wraps io.ErrUnexpectedEOF
	}{
		{name: "gzip garbage", header: "gzip", body: garbage, wantCoding: "gzip"},
		{name: "gzip empty", header: "gzip", body: nil, wantCoding: "gzip", wantUnexp: true},
		{name: "gzip truncated", header: "gzip", body: encode(t, data, "gzip")[:1000], wantCoding: "gzip", wantUnexp: true},
		{name: "zlib truncated", header: "deflate", body: encode(t, data, "deflate")[:1000], wantCoding: "deflate", wantUnexp: true},
		{name: "raw deflate truncated", header: "deflate", body: encode(t, data, "raw-deflate")[:1000], wantCoding: "deflate", wantUnexp: true},
		{name: "br truncated", header: "br", body: encode(t, data, "br")[:1000], wantCoding: "br", wantUnexp: true},
		{name: "br garbage", header: "br", body: garbage, wantCoding: "br"},
		{name: "zstd garbage", header: "zstd", body: garbage, wantCoding: "zstd"},
		{name: "zstd truncated", header: "zstd", body: encode(t, data, "zstd")[:1000], wantCoding: "zstd", wantUnexp: true},
		{name: "zstd window over 8 MiB", header: "zstd", body: zstdRLE(24, 1, 1), wantCoding: "zstd"},
		{name: "outer br broken under gzip", header: "gzip, br", body: encode(t, data, "gzip", "br")[:500], wantCoding: "br", wantUnexp: true},
		{name: "inner gzip broken under br", header: "gzip, br", body: encode(t, garbage, "br"), wantCoding: "gzip"},
		{name: "gzip body reset", header: "gzip", body: encode(t, data, "gzip"), resetAt: 700},
		{name: "br body reset", header: "br", body: encode(t, data, "br"), resetAt: 700},
		{name: "zstd body reset", header: "zstd", body: encode(t, data, "zstd"), resetAt: 700},
		{name: "stacked body reset", header: "zstd, br", body: encode(t, data, "zstd", "br"), resetAt: 700},
		{name: "identity body reset", header: "identity", body: data, resetAt: 700},
		{name: "gzip reset in header", header: "gzip", body: encode(t, data, "gzip"), resetAt: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.resetAt > 0 {
				body = &resetAfter{r: body, n: tt.resetAt}
			}
			r, err := NewReader(body, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = io.ReadAll(r)
			if tt.wantCoding == "" {
				if err != errReset {
					t.Fatalf("got error %v; want the body's own %v, unwrapped", err, errReset)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("got error %v (%T); want an *Error naming %s", err, err, tt.wantCoding)
			}
			if de.Coding != tt.wantCoding {
				t.Fatalf("got an error naming %q (%v); want %q", de.Coding, err, tt.wantCoding)
			}
			if tt.wantUnexp != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v; want io.ErrUnexpectedEOF in it: %v", err, tt.wantUnexp)
			}
			if !strings.HasPrefix(err.Error(), "bad "+tt.wantCoding+" body: ") {
				t.Fatalf("got message %q; want it to start with %q", err, "bad "+tt.wantCoding+" body: ")
			}
		})
	}
}

// zstdRLE builds a zstd frame by hand: a window of 1<<windowLog bytes and
// blocks RLE blocks, each of blockSize zero bytes (at most 128 KiB). It is
// the smallest bomb zstd allows: 4 bytes per block.
func zstdRLE(windowLog, blocks, blockSize int) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte((windowLog - 10) << 3)}
	for i := 0; i < blocks; i++ {
		last := 0
		if i == blocks-1 {
			last = 1
		}
		h := uint32(blockSize)<<3 | 1<<1 | uint32(last)
		b = binary.LittleEndian.AppendUint32(b, h)
		b[len(b)-1] = 0 // the RLE byte: zero
	}
	return b
}

// readUpTo reads r through a 16 KiB buffer, as the fetcher's copy loop
// does, until limit bytes came or r ends, checking every byte is zero.
func readUpTo(t *testing.T, r io.Reader, limit int64) int64 {
	t.Helper()
	buf := make([]byte, 16<<10)
	var n int64
	for n < limit {
		m, err := r.Read(buf)
		for _, c := range buf[:m] {
			if c != 0 {
				t.Fatalf("a bomb of zeros decoded a byte %#x at %d", c, n)
			}
		}
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
	return n
}

// gzipMembers is count gzip members, each of size zero bytes, one after
// the other: a gzip body of count*size zeros, made at the cost of one.
func gzipMembers(t testing.TB, size, count int) []byte {
	one := encode(t, make([]byte, size), "gzip")
	return bytes.Repeat(one, count)
}

// TestBombs reads a zstd, a brotli and a gzip body of a few kilobytes that
// decode to far more, up to a limit as --max-body would set it, and
// checks what that cost: the heap allocated during the read stays under a
// bound set by the decoders' windows, not by what the body decodes to.
func TestBombs(t *testing.T) {
	brBomb, err := os.ReadFile("testdata/zeros-1GiB.br") // see genbombs.go
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		coding   string
		body     []byte
		limit    int64
		maxAlloc uint64 // what the read may allocate in all
	}{
		// An 8 MiB window, the most a zstd body may ask for here.
		{"zstd 1 GiB in 32 KiB", "zstd", zstdRLE(23, 8192, 128<<10), 64 << 20, 12 << 20},
		// brotli's window is 16 MiB at most; its ring buffer is that.
		{"br 1 GiB in 809 bytes", "br", brBomb, 40 << 20, 20 << 20},
		// gzip's 32 KiB window: the guard fetcher/body.go has today.
		{"gzip 80 MiB in 80 members", "gzip", gzipMembers(t, 1<<20, 80), 64 << 20, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := NewReader(bytes.NewReader(tt.body), tt.coding)
			if err != nil {
				t.Fatal(err)
			}
			n := readUpTo(t, r, tt.limit)
			r.Close()
			runtime.ReadMemStats(&after)
			if n != tt.limit {
				t.Fatalf("read %d bytes; want the limit %d (the bomb decodes to more)", n, tt.limit)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d body bytes, %d decoded bytes read, %d bytes allocated (%.1f MiB)", tt.coding, len(tt.body), n, alloc, float64(alloc)/(1<<20))
			if alloc > tt.maxAlloc {
				t.Fatalf("reading %d decoded bytes allocated %d bytes; want at most %d", n, alloc, tt.maxAlloc)
			}
		})
	}
}

func TestReadAfterClose(t *testing.T) {
	r, err := NewReader(bytes.NewReader(encode(t, []byte("hello"), "gzip")), "gzip")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n, err := r.Read(make([]byte, 10)); err == nil {
		t.Fatalf("got Read after Close = %d, nil; want an error", n)
	}
}

// decoderGoroutines returns the stacks of goroutines running decoder
// code, other than the caller's.
func decoderGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, pkg := range []string{"github.com/klauspost/compress", "github.com/andybalholm/brotli", "compress/flate", "compress/gzip"} {
			if strings.Contains(g, pkg) && !strings.Contains(g, "decoderGoroutines") {
				found = append(found, g)
				break
			}
		}
	}
	return strings.Join(found, "\n\n")
}

// TestNoGoroutines checks that decoding, zstd included, runs no goroutine
// of its own, during the read or after it (a hub's task must leave none).
func TestNoGoroutines(t *testing.T) {
	data := text(1 << 20)
	for _, c := range []string{"zstd", "br", "gzip", "deflate"} {
		body := encode(t, data, c)
		r, err := NewReader(bytes.NewReader(body), c)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		if g := decoderGoroutines(); g != "" {
			t.Fatalf("%s: goroutines run decoder code while a Reader is open:\n%s", c, g)
		}
		r.Close()
	}
	if g := decoderGoroutines(); g != "" {
		t.Fatalf("goroutines run decoder code after the Readers closed:\n%s", g)
	}
}

// TestConcurrent decodes with pooled decoders from many goroutines at
// once, so that -race sees the pools shared.
func TestConcurrent(t *testing.T) {
	data := text(64 << 10)
	bodies := map[string][]byte{}
	for _, c := range []string{"zstd", "br", "gzip", "deflate", "gzip, br"} {
		bodies[c] = encode(t, data, strings.Split(c, ", ")...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				for c, body := range bodies {
					got, err := decodeAll(body, c)
					if err != nil || !bytes.Equal(got, data) {
						errs <- fmt.Errorf("%s: %d bytes, %v", c, len(got), err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestDecodeAllocs bounds what a small pooled decode allocates once the
// pools are warm: the Reader and its layer, not a decoder.
func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race, sync.Pool drops what it is given at random: allocations mean nothing")
	}
	data := text(4 << 10)
	buf := make([]byte, 16<<10)
	for _, tt := range []struct {
		coding string
		max    float64
	}{
		// The Reader and its layer; gzip its header's buffers; brotli
		// its ring buffer, made anew for each stream, sized to a short one.
		{"gzip", 4}, {"deflate", 4}, {"br", 5}, {"zstd", 4},
	} {
		body := encode(t, data, tt.coding)
		br := bytes.NewReader(body)
		allocs := testing.AllocsPerRun(50, func() {
			br.Reset(body)
			r, _ := NewReader(br, tt.coding)
			for {
				if _, err := r.Read(buf); err != nil {
					break
				}
			}
			r.Close()
		})
		t.Logf("%s: %.1f allocations a decode", tt.coding, allocs)
		if allocs > tt.max {
			t.Errorf("%s: got %.1f allocations a decode; want at most %.0f", tt.coding, allocs, tt.max)
		}
	}
}

func FuzzReader(f *testing.F) {
	data := text(2000)
	for _, c := range []string{"gzip", "deflate", "br", "zstd"} {
		f.Add(encode(f, data, c), c)
	}
	f.Add(encode(f, data, "raw-deflate"), "deflate")
	f.Add(encode(f, data, "gzip", "br"), "gzip, br")
	f.Add(zstdRLE(10, 3, 1024), "zstd")
	f.Add(zstdRLE(31, 1, 1), "zstd") // the largest window exponent
	f.Add([]byte{}, "zstd")
	f.Add([]byte{0x1f, 0x8b}, "x-gzip")
	f.Fuzz(func(t *testing.T, body []byte, ce string) {
		r, err := NewReader(bytes.NewReader(body), ce)
		if err != nil {
			var ue *UnknownError
			if !errors.As(err, &ue) {
				t.Fatalf("NewReader(%q) failed with %T, not *UnknownError: %v", ce, err, err)
			}
			return
		}
		defer r.Close()
		// A limit, as the fetcher's: a bomb in the corpus ends here.
		n, err := io.Copy(io.Discard, io.LimitReader(r, 4<<20))
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("decoding %q: %d bytes, then %T, not *Error: %v", ce, n, err, err)
			}
		}
	})
}

// FuzzRoundTrip encodes what the fuzzer gives with every coding and checks
// it decodes back to the same bytes.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"))
	f.Add([]byte{})
	f.Add(text(70000))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []string{"gzip", "deflate", "raw-deflate", "br", "zstd"} {
			ce := c
			if c == "raw-deflate" {
				ce = "deflate"
			}
			got, err := decodeAll(encode(t, data, c), ce)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s round trip of %d bytes: got %d bytes, %v", c, len(data), len(got), err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data := text(1 << 20)
	for _, c := range []string{"identity", "gzip", "deflate", "br", "zstd"} {
		body := data
		if c != "identity" {
			body = encode(b, data, c)
		}
		b.Run(c, func(b *testing.B) {
			buf := make([]byte, 16<<10)
			br := bytes.NewReader(body)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(body)
				r, _ := NewReader(br, c)
				for {
					if _, err := r.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
				r.Close()
			}
		})
	}
}
