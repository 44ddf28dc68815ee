package serve

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// gunzip decodes b with compress/gzip, which checks the stream, the
// distances against the history, the CRC-32 and the size.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip.NewReader: %v", err)
	}
	zr.Multistream(false)
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return got
}

func TestGzipBody(t *testing.T) {
	tests := []struct {
		name   string
		pieces []int64 // written with a flush after each when flushed
		flush  bool
	}{
		{name: "empty", pieces: nil},
		{name: "one byte", pieces: []int64{1}},
		{name: "under a period", pieces: []int64{62}},
		{name: "one period", pieces: []int64{63}},
		{name: "period and a byte", pieces: []int64{64}},
		{name: "period and one match", pieces: []int64{63 + 258}},
		{name: "period, match and a byte", pieces: []int64{63 + 258 + 1}},
		{name: "period, match less a byte", pieces: []int64{63 + 257}},
		{name: "64KiB", pieces: []int64{64 << 10}},
		{name: "3MiB and 7", pieces: []int64{3<<20 + 7}},
		{name: "pieces unflushed", pieces: []int64{5, 100, 1, 70000, 0, 3}},
		{name: "pieces flushed", pieces: []int64{5, 100, 1, 70000, 0, 3}, flush: true},
		{name: "bytes flushed", pieces: []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, flush: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			z := newGzipBody(&b)
			defer z.release()
			var n int64
			for _, p := range tt.pieces {
				if err := z.write(p); err != nil {
					t.Fatal(err)
				}
				n += p
				if tt.flush {
					before := b.Len()
					if err := z.flush(); err != nil {
						t.Fatal(err)
					}
					// A flush must hand over enough to decode all written so far.
					if p > 0 && b.Len() == before {
						t.Errorf("got no bytes out of a flush after %d bytes", p)
					}
				}
			}
			if err := z.close(); err != nil {
				t.Fatal(err)
			}
			if got := gunzip(t, b.Bytes()); !bytes.Equal(got, Body(n)) {
				t.Errorf("got %d decoded bytes; want the %d bytes of Body", len(got), n)
			}
			if len(tt.pieces) <= 1 {
				if got, want := int64(b.Len()), gzipLen(n); got != want {
					t.Errorf("got %d bytes of gzip; want gzipLen(%d) = %d", got, n, want)
				}
			}
		})
	}
}

func TestGzipLen(t *testing.T) {
	// One GiB compresses about 120:1.
	if got := gzipLen(1 << 30); got < 8<<20 || got > 9<<20 {
		t.Errorf("got gzipLen(1GiB) = %d; want about 8.3 MB", got)
	}
	for n := int64(0); n < 2000; n++ {
		var b bytes.Buffer
		z := newGzipBody(&b)
		z.write(n)
		z.close()
		z.release()
		if int64(b.Len()) != gzipLen(n) {
			t.Fatalf("got %d bytes of gzip; want gzipLen(%d) = %d", b.Len(), n, gzipLen(n))
		}
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestGzipBodyWriteError(t *testing.T) {
	z := newGzipBody(errWriter{})
	defer z.release()
	if err := z.write(1 << 20); err != io.ErrClosedPipe {
		t.Errorf("got write error %v; want %v", err, io.ErrClosedPipe)
	}
	if err := z.close(); err != io.ErrClosedPipe {
		t.Errorf("got close error %v; want %v", err, io.ErrClosedPipe)
	}
}

func TestGzipReverse(t *testing.T) {
	if got := reverse8(0xC5); got != 0b10100011 {
		t.Errorf("got reverse8(0xC5) = %08b; want 10100011", got)
	}
	// Literal '0' (0x30) has code 0x60 (RFC 1951 3.2.6), sent MSB first.
	if got, want := litCode['0'], reverse8(0x60); got != want {
		t.Errorf("got litCode['0'] = %08b; want %08b", got, want)
	}
}
