package serve

import (
	"context"
	"io"
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

// plainBody writes the pattern body as is, piece by piece.
type plainBody struct {
	w   io.Writer
	off int64
}

func (b *plainBody) write(n int64) error {
	err := writePattern(b.w, b.off, n)
	b.off += n
	return err
}

func (b *plainBody) flush() error { return nil }
