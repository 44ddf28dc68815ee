package warc

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMemLimit is the number of bytes a Buffer made with a zero limit
// keeps in memory before it moves to a temporary file.
const DefaultMemLimit = 1 << 20

// Buffer holds the bytes of one HTTP message as they crossed the wire, for
// an Exchange: in memory up to a limit, then in a temporary file, so that a
// body of any size is archived without being held in memory. It is written
// with Write (a connection's reads and writes can be copied into it as they
// happen) and read with ReadAt any number of times.
//
// Its temporary file is unlinked as soon as it is created (on the systems
// greenfetch runs on), so nothing is left behind even if the process dies;
// Close releases it. A Buffer is not safe for concurrent use, but
// WriteExchange only reads it, so one Buffer may be archived while nothing
// writes to it.
type Buffer struct {
	limit int
	dir   string

	mem  []byte
	file *os.File // nil until the buffer passes limit
	size int64
	err  error // sticky write error of the file
}

// NewBuffer returns an empty Buffer that keeps up to memLimit bytes in
// memory and the rest in a temporary file created in dir. If memLimit is
// zero, DefaultMemLimit is used; if dir is empty, os.TempDir().
func NewBuffer(memLimit int, dir string) *Buffer {
	if memLimit <= 0 {
		memLimit = DefaultMemLimit
	}
	return &Buffer{limit: memLimit, dir: dir}
}

// Write appends p. A failure to create or write the temporary file is
// returned, and by every later Write.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.file == nil && len(b.mem)+len(p) <= b.limit {
		b.mem = append(b.mem, p...)
		b.size += int64(len(p))
		return len(p), nil
	}
	if b.file == nil {
		f, err := os.CreateTemp(b.dir, "greenfetch-warc-*")
		if err != nil {
			b.err = fmt.Errorf("warc: buffer beyond %d bytes: %w", b.limit, err)
			return 0, b.err
		}
		_ = os.Remove(f.Name()) // unlinked: gone with the last descriptor
		if _, err := f.Write(b.mem); err != nil {
			f.Close()
			b.err = fmt.Errorf("warc: buffer beyond %d bytes: %w", b.limit, err)
			return 0, b.err
		}
		b.file = f
		b.mem = b.mem[:0]
	}
	n, err := b.file.Write(p)
	b.size += int64(n)
	if err != nil {
		b.err = fmt.Errorf("warc: buffer beyond %d bytes: %w", b.limit, err)
	}
	return n, b.err
}

// Size returns the number of bytes written.
func (b *Buffer) Size() int64 { return b.size }

// ReadAt reads len(p) bytes from offset off, as io.ReaderAt.
func (b *Buffer) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("warc: Buffer.ReadAt: negative offset")
	}
	if b.file != nil {
		if off >= b.size {
			return 0, io.EOF
		}
		if rest := b.size - off; int64(len(p)) > rest {
			n, err := b.file.ReadAt(p[:rest], off)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
		return b.file.ReadAt(p, off)
	}
	if off >= int64(len(b.mem)) {
		return 0, io.EOF
	}
	n := copy(p, b.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes returns the content when it is held in memory, and nil when it is
// in a file.
func (b *Buffer) Bytes() []byte {
	if b.file != nil {
		return nil
	}
	return b.mem
}

// Reset empties the buffer for reuse, keeping its memory and closing its
// temporary file.
func (b *Buffer) Reset() {
	if b.file != nil {
		b.file.Close()
		b.file = nil
	}
	b.mem = b.mem[:0]
	b.size = 0
	b.err = nil
}

// Close releases the memory and the temporary file. The Buffer may be
// used again after Close, as after Reset.
func (b *Buffer) Close() error {
	var err error
	if b.file != nil {
		err = b.file.Close()
		b.file = nil
	}
	b.mem = nil
	b.size = 0
	b.err = nil
	return err
}
