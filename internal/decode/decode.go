// Package decode undoes the content codings of an HTTP body (RFC 9110
// §8.4): br (RFC 7932), zstd (RFC 8878, as RFC 9659 profiles it for HTTP),
// gzip and x-gzip, deflate (zlib as RFC 9110 says, or raw deflate as some
// servers send it) and identity, stacked in any order a Content-Encoding
// list names them.
//
// NewReader checks the list and returns a Reader that decodes as it is
// read, through the codings' decoders in the reverse of the order they were
// applied. It does no I/O of its own: the first Read reads the first
// header. What it decodes is produced only as it is read, into the caller's
// buffer, so a bomb (a tiny body that decodes to gigabytes) costs no more
// memory than a small one: the caller's byte limit stops it. The bounds
// that hold whatever the body says:
//
//   - zstd: the window is at most MaxZstdWindow (8 MiB, the most RFC 9659
//     lets an HTTP sender use); a frame that asks for more is an error, not
//     an allocation. Each decoder decodes in the caller's goroutine
//     (concurrency 1, low-memory mode, the in-memory shortcut off), so none
//     leaves a goroutine behind.
//   - br: the window is at most 16 MiB (RFC 7932's largest; the
//     large-window extension is refused).
//   - gzip, deflate: a 32 KiB window.
//   - at most MaxCodings codings in one list.
//
// Decoders are pooled (per coding, through sync.Pool) and go back to their
// pool on Close.
//
// A Read error is one of two kinds. When the body itself fails (its
// reader returns an error other than io.EOF), that error comes back as it
// is, whatever the decoders make of it. When the body is intact but does
// not decode (a bad header, a truncated stream, a checksum mismatch, a
// zstd window too large), the error is an *Error naming the coding: the
// peer's fault, which the fetcher reports as a protocol error. An unknown
// coding is an *UnknownError from NewReader.
//
// A Reader is not safe for concurrent use; different Readers are.
package decode

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// AcceptEncoding is the Accept-Encoding value that asks for every coding
// this package decodes, best first.
const AcceptEncoding = "br, zstd, gzip, deflate"

// MaxCodings is the most codings one Content-Encoding list may stack
// (identity not counted); curl stops at 5 too.
const MaxCodings = 5

// MaxZstdWindow is the largest zstd window a body may ask for.
const MaxZstdWindow = 8 << 20

// Supported reports whether coding (case-insensitive, surrounding blanks
// ignored) is one this package decodes: "br", "zstd", "gzip", "x-gzip",
// "deflate" or "identity".
func Supported(coding string) bool {
	_, ok := lookup(coding)
	return ok
}

// UnknownError is a Content-Encoding list naming a coding this package
// does not decode, or stacking more than MaxCodings.
type UnknownError struct {
	Coding string // the coding as the header spelled it; "" when too many
	List   string // the whole list
}

func (e *UnknownError) Error() string {
	if e.Coding == "" {
		return fmt.Sprintf("Content-Encoding %q stacks more than %d codings", e.List, MaxCodings)
	}
	return fmt.Sprintf("unsupported Content-Encoding %q (in %q)", e.Coding, e.List)
}

// Error is a body that does not decode as its coding says.
type Error struct {
	Coding string // "br", "zstd", "gzip" or "deflate"
	Err    error  // the decoder's error; io.ErrUnexpectedEOF when the stream stops short
}

func (e *Error) Error() string { return "bad " + e.Coding + " body: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// coding is one decoder kind.
type coding int

const (
	identity coding = iota
	gzipCoding
	deflateCoding
	brCoding
	zstdCoding
)

var codingNames = [...]string{"identity", "gzip", "deflate", "br", "zstd"}

func lookup(s string) (coding, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "identity", "":
		return identity, true
	case "gzip", "x-gzip":
		return gzipCoding, true
	case "deflate":
		return deflateCoding, true
	case "br":
		return brCoding, true
	case "zstd":
		return zstdCoding, true
	}
	return 0, false
}

// Parse splits Content-Encoding header values (one or several fields, each
// a comma-separated list) into the codings they name, in the order they
// were applied, identity and empty elements left out. It fails with an
// *UnknownError as NewReader does.
func Parse(values ...string) ([]string, error) {
	cs, err := parse(values)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = codingNames[c]
	}
	return names, nil
}

func parse(values []string) ([]coding, error) {
	return parseInto(nil, values)
}

// parseInto appends the codings of values to cs.
func parseInto(cs []coding, values []string) ([]coding, error) {
	for _, v := range values {
		for len(v) > 0 {
			var el string
			el, v, _ = strings.Cut(v, ",")
			c, ok := lookup(el)
			if !ok {
				return nil, &UnknownError{Coding: strings.TrimSpace(el), List: strings.Join(values, ", ")}
			}
			if c == identity {
				continue
			}
			if len(cs) == MaxCodings {
				return nil, &UnknownError{List: strings.Join(values, ", ")}
			}
			cs = append(cs, c)
		}
	}
	return cs, nil
}

// Reader decodes a body. Its zero value is not usable: see NewReader.
type Reader struct {
	src     source
	buf     [MaxCodings]coding
	codings []coding // in the order applied (in buf): decoded from the last
	lbuf    [MaxCodings]layer
	layers  []layer // built on the first Read (in lbuf), outermost first
	top     io.Reader
	started bool
	closed  bool
}

// source remembers the body's own failure, so that a decoder's error can
// be told from the connection's. It also hides whatever else the body's
// reader implements (zstd would read a *bytes.Buffer whole).
type source struct {
	r   io.Reader
	err error
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// NewReader returns a Reader of body decoded for the Content-Encoding
// values given (the header's fields as received; see Parse). With no
// coding but identity, reading it reads body as it is. It fails only with
// an *UnknownError, and reads nothing.
func NewReader(body io.Reader, contentEncoding ...string) (*Reader, error) {
	r := &Reader{src: source{r: body}}
	cs, err := parseInto(r.buf[:0], contentEncoding)
	if err != nil {
		return nil, err
	}
	r.codings = cs
	r.layers = r.lbuf[:0]
	return r, nil
}

// Codings returns the codings the Reader undoes, in the order they were
// applied to the body ("gzip", "br", ...), identity left out.
func (r *Reader) Codings() []string {
	names := make([]string, len(r.codings))
	for i, c := range r.codings {
		names[i] = codingNames[c]
	}
	return names
}

var errClosed = errors.New("decode: read after Close")

// Read reads decoded bytes. It returns io.EOF when the last coding's
// stream ends; bytes the body may hold after that end are not read (the
// caller can check for them on the body's reader).
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	if !r.started {
		r.started = true
		r.top = &r.src
		for i := len(r.codings) - 1; i >= 0; i-- {
			l := newLayer(r.codings[i])
			r.layers = append(r.layers, l)
			if err := l.reset(r.top); err != nil {
				return 0, r.fault(l, err)
			}
			r.top = l
		}
	}
	n, err := r.top.Read(p)
	if err != nil && err != io.EOF {
		err = r.fault(nil, err)
	}
	return n, err
}

// fault turns a decoder's error into the body's own failure, when the body
// failed, or into an *Error naming the innermost coding that broke.
func (r *Reader) fault(at layer, err error) error {
	if r.src.err != nil {
		return r.src.err
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	if at == nil && len(r.layers) > 0 {
		at = r.layers[len(r.layers)-1]
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	name := "identity"
	if at != nil {
		name = codingNames[at.kind()]
	}
	return &Error{Coding: name, Err: err}
}

// Close returns the decoders to their pools; it does not close the body.
// Reading after Close fails.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	for i, l := range r.layers {
		l.release()
		r.layers[i] = nil
	}
	r.layers = nil
	r.top = nil
	r.src.r = nil
	return nil
}

// layer is one decoder over the layer below it.
type layer interface {
	io.Reader
	kind() coding
	reset(src io.Reader) error // reads the stream's header where the coding has one
	release()                  // back to the pool
}

func newLayer(c coding) layer {
	switch c {
	case gzipCoding:
		return &gzipLayer{}
	case deflateCoding:
		return &deflateLayer{}
	case brCoding:
		return &brLayer{}
	default:
		return &zstdLayer{}
	}
}

var (
	gzipPool   sync.Pool // *gzip.Reader
	flatePool  sync.Pool // io.ReadCloser that is a flate.Resetter
	zlibPool   sync.Pool // io.ReadCloser that is a zlib.Resetter
	bufPool    = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 512) }}
	brotliPool = sync.Pool{New: func() any { return brotli.NewReader(nil) }}
	zstdPool   sync.Pool // *zstd.Decoder
)

type gzipLayer struct{ zr *gzip.Reader }

func (g *gzipLayer) kind() coding { return gzipCoding }

func (g *gzipLayer) reset(src io.Reader) error {
	var err error
	if v := gzipPool.Get(); v != nil {
		g.zr = v.(*gzip.Reader)
		err = g.zr.Reset(src)
	} else {
		g.zr, err = gzip.NewReader(src)
	}
	if err != nil {
		if g.zr != nil {
			gzipPool.Put(g.zr)
		}
		g.zr = nil
		return wrap("gzip", eofUnexpected(err))
	}
	return nil
}

func (g *gzipLayer) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	return n, wrap("gzip", err)
}

func (g *gzipLayer) release() {
	if g.zr != nil {
		gzipPool.Put(g.zr)
		g.zr = nil
	}
}

// deflateLayer reads zlib (RFC 1950), as RFC 9110 §8.4.1.2 says deflate
// is, or raw deflate (RFC 1951), which some servers send instead: two
// bytes that make a valid zlib header decide.
type deflateLayer struct {
	br   *bufio.Reader
	rc   io.ReadCloser
	zlib bool
}

func (d *deflateLayer) kind() coding { return deflateCoding }

func (d *deflateLayer) reset(src io.Reader) error {
	d.br = bufPool.Get().(*bufio.Reader)
	d.br.Reset(src)
	hdr, _ := d.br.Peek(2)
	d.zlib = len(hdr) == 2 && hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0
	if d.zlib {
		var err error
		if v := zlibPool.Get(); v != nil {
			d.rc = v.(io.ReadCloser)
			err = d.rc.(zlib.Resetter).Reset(d.br, nil)
		} else {
			d.rc, err = zlib.NewReader(d.br)
		}
		if err != nil {
			if d.rc != nil {
				zlibPool.Put(d.rc)
			}
			d.rc = nil
			return wrap("deflate", eofUnexpected(err))
		}
		return nil
	}
	if v := flatePool.Get(); v != nil {
		d.rc = v.(io.ReadCloser)
		_ = d.rc.(flate.Resetter).Reset(d.br, nil) // never fails
	} else {
		d.rc = flate.NewReader(d.br)
	}
	return nil
}

func (d *deflateLayer) Read(p []byte) (int, error) {
	n, err := d.rc.Read(p)
	return n, wrap("deflate", err)
}

func (d *deflateLayer) release() {
	if d.rc != nil {
		if d.zlib {
			zlibPool.Put(d.rc)
		} else {
			flatePool.Put(d.rc)
		}
		d.rc = nil
	}
	if d.br != nil {
		d.br.Reset(nil)
		bufPool.Put(d.br)
		d.br = nil
	}
}

type brLayer struct{ r *brotli.Reader }

func (b *brLayer) kind() coding { return brCoding }

func (b *brLayer) reset(src io.Reader) error {
	b.r = brotliPool.Get().(*brotli.Reader)
	return b.r.Reset(src) // always nil
}

func (b *brLayer) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	return n, wrap("br", err)
}

func (b *brLayer) release() {
	if b.r != nil {
		_ = b.r.Reset(nil)
		brotliPool.Put(b.r)
		b.r = nil
	}
}

type zstdLayer struct{ d *zstd.Decoder }

func (z *zstdLayer) kind() coding { return zstdCoding }

// newZstd makes a decoder whose memory is bounded whatever a frame says.
func newZstd() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(MaxZstdWindow),
		zstd.WithDecoderMaxMemory(MaxZstdWindow),
		zstd.WithDecodeBuffersBelow(0),
	)
}

func (z *zstdLayer) reset(src io.Reader) error {
	if v := zstdPool.Get(); v != nil {
		z.d = v.(*zstd.Decoder)
	} else {
		d, err := newZstd()
		if err != nil {
			return &Error{Coding: "zstd", Err: err}
		}
		z.d = d
	}
	if err := z.d.Reset(src); err != nil {
		return wrap("zstd", eofUnexpected(err))
	}
	return nil
}

func (z *zstdLayer) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		err = fmt.Errorf("a frame asks for a window over the %d MiB allowed: %w", MaxZstdWindow>>20, err)
	}
	return n, wrap("zstd", err)
}

func (z *zstdLayer) release() {
	if z.d != nil {
		if z.d.Reset(nil) == nil {
			zstdPool.Put(z.d)
		}
		z.d = nil
	}
}

// wrap makes a decoder's read error an *Error naming the coding, unless it
// already is one: then a coding below this one broke, and keeps its name.
func wrap(coding string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	return &Error{Coding: coding, Err: err}
}

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
