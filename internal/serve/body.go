package serve

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Pattern is the content of every body: byte i of a body is
// Pattern[i%len(Pattern)]. Its length, 63, is odd, so a body cut or
// shifted by any power of two no longer matches.
const Pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"

// patternBuf holds Pattern repeated to about 64 KiB. Its length is a
// multiple of len(Pattern), so writing it again and again keeps the phase.
// It is shared by all requests and never written after init.
var patternBuf = func() []byte {
	const copies = 64 << 10 / len(Pattern)
	b := make([]byte, 0, copies*len(Pattern))
	for range copies {
		b = append(b, Pattern...)
	}
	return b
}()

// Body returns the first n bytes of the body every response of size n
// carries (before compression). It allocates n bytes: it is for tests.
func Body(n int64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = Pattern[i%len(Pattern)]
	}
	return b
}

// writePattern writes body bytes [off, off+n) to w from the shared buffer.
func writePattern(w io.Writer, off, n int64) error {
	for n > 0 {
		start := off % int64(len(Pattern))
		chunk := patternBuf[start:]
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		m, err := w.Write(chunk)
		off += int64(m)
		n -= int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}

// sleep waits d or until ctx is done, whichever comes first, and reports
// whether the whole wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// gzipWriters pools compressors: a flate state is a few hundred KiB, far
// more than any other per-request cost.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

// gzipHoldMax is the largest compressed body sent with a Content-Length;
// a longer one is streamed chunked, as nginx streams its gzip output.
const gzipHoldMax = 64 << 10

var holdBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, gzipHoldMax)
	return &b
}}

// holdWriter keeps what is written up to gzipHoldMax bytes. If it all fits,
// finish sends it with a Content-Length; once it overflows, the head goes
// out without one (chunked on HTTP/1.1) and the rest streams through.
type holdWriter struct {
	w       http.ResponseWriter
	status  int
	buf     *[]byte
	spilled bool
}

func (h *holdWriter) Write(p []byte) (int, error) {
	if !h.spilled {
		b := *h.buf
		if len(b)+len(p) <= cap(b) {
			*h.buf = append(b, p...)
			return len(p), nil
		}
		h.spilled = true
		h.w.WriteHeader(h.status)
		if _, err := h.w.Write(b); err != nil {
			return 0, err
		}
	}
	return h.w.Write(p)
}

// finish sends the held body if it never spilled.
func (h *holdWriter) finish() error {
	if h.spilled {
		return nil
	}
	b := *h.buf
	h.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	h.w.WriteHeader(h.status)
	_, err := h.w.Write(b)
	return err
}
