package serve

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// The gzip bodies are encoded by hand, not by compress/flate: the body is
// Pattern repeated, so after its first period every 258 bytes are one
// DEFLATE match "copy 258 bytes from 63 back" (RFC 1951 3.2.5), 17 bits
// with the fixed Huffman codes of RFC 1951 3.2.6. That costs no
// compressor state (a flate.Writer holds about 1 MB), next to no CPU, a
// ratio of about 120:1 (1 GiB becomes 8.3 MB, a fair zip bomb), and a
// compressed length known before the first byte, so a gzip response has a
// Content-Length like any other.
//
// The stream is: the gzip header (RFC 1952 2.3), fixed-Huffman blocks (a
// new one after each flush), an empty final stored block, then CRC-32 and
// ISIZE.

const (
	gzipHeaderLen  = 10
	gzipTrailerLen = 8
	maxMatch       = 258 // RFC 1951 3.2.5: the longest match

	// Bit strings, already reversed where RFC 1951 3.1.1 wants a Huffman
	// code sent most significant bit first.
	fixedBlockBits = 0b010 // BFINAL=0, BTYPE=01 (fixed Huffman)
	fixedBlockLen  = 3
	eobLen         = 7 // symbol 256: code 0000000
	// matchBits is length 258 (symbol 285: 8-bit code 11000101), then
	// distance 63 (code 11: 5-bit code 01011, then 4 extra bits: 63-49=14).
	matchBits = 0b10100011 | 0b11010<<8 | 14<<13
	matchLen  = 17
	litLen    = 8 // literals 0-143 have 8-bit codes 0x30+lit; Pattern is ASCII
)

// litCode[c] is the reversed fixed Huffman code of literal c < 144.
var litCode = func() (t [144]uint8) {
	for c := range t {
		t[c] = reverse8(uint8(0x30 + c))
	}
	return t
}()

func reverse8(b uint8) uint8 {
	var r uint8
	for range 8 {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

// gzipLen returns the length of gzipBody's output for a body of n bytes
// written in one piece.
func gzipLen(n int64) int64 {
	var bits int64 = 3 // the final empty stored block's header
	if n > 0 {
		lits := min(n, int64(len(Pattern)))
		rest := n - lits
		bits += fixedBlockLen + litLen*(lits+rest%maxMatch) + matchLen*(rest/maxMatch) + eobLen
	}
	return gzipHeaderLen + (bits+7)/8 + 4 + gzipTrailerLen
}

var gzipBufs = sync.Pool{New: func() any { return new([4096]byte) }}

// gzipBody writes the gzip encoding of the pattern body to w, piece by
// piece. Its zero value is not ready: use newGzipBody, and release after.
type gzipBody struct {
	w       io.Writer
	buf     *[4096]byte
	n       int    // bytes used in buf
	bits    uint64 // pending bits, LSB first
	nbits   uint
	off     int64 // body bytes encoded so far
	crc     uint32
	inBlock bool
	err     error
}

func newGzipBody(w io.Writer) *gzipBody {
	z := &gzipBody{w: w, buf: gzipBufs.Get().(*[4096]byte)}
	// RFC 1952 2.3: ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 (unknown).
	z.n = copy(z.buf[:], []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	return z
}

// release returns the buffer; z is unusable after.
func (z *gzipBody) release() {
	if z.buf != nil {
		gzipBufs.Put(z.buf)
		z.buf = nil
	}
}

func (z *gzipBody) putBits(v uint64, n uint) {
	z.bits |= v << z.nbits
	z.nbits += n
	if z.nbits >= 32 {
		z.drainBits()
	}
}

// drainBits moves the whole bytes of the bit buffer to buf.
func (z *gzipBody) drainBits() {
	for z.nbits >= 8 {
		if z.n == len(z.buf) {
			z.writeOut()
		}
		z.buf[z.n] = byte(z.bits)
		z.n++
		z.bits >>= 8
		z.nbits -= 8
	}
}

func (z *gzipBody) writeOut() {
	if z.err == nil && z.n > 0 {
		_, z.err = z.w.Write(z.buf[:z.n])
	}
	z.n = 0
}

// write encodes the next n body bytes.
func (z *gzipBody) write(n int64) error {
	if n <= 0 {
		return z.err
	}
	z.crc = patternCRC(z.crc, z.off, n)
	if !z.inBlock {
		z.putBits(fixedBlockBits, fixedBlockLen)
		z.inBlock = true
	}
	for n > 0 && z.err == nil {
		if z.off >= int64(len(Pattern)) && n >= maxMatch {
			z.putBits(matchBits, matchLen)
			z.off += maxMatch
			n -= maxMatch
			continue
		}
		z.putBits(uint64(litCode[Pattern[z.off%int64(len(Pattern))]]), litLen)
		z.off++
		n--
	}
	return z.err
}

// endBlock ends the open block, if any, and writes an empty stored block
// (final or not), which leaves the stream on a byte boundary (the sync
// flush of zlib).
func (z *gzipBody) endBlock(final bool) {
	if z.inBlock {
		z.putBits(0, eobLen)
		z.inBlock = false
	}
	if final {
		z.putBits(1, 3) // BFINAL=1, BTYPE=00 (stored)
	} else {
		z.putBits(0, 3)
	}
	z.putBits(0, (8-z.nbits%8)%8)
	z.putBits(0xffff<<16, 32) // LEN=0, NLEN=^0
	z.drainBits()
}

// flush sends everything encoded so far to w.
func (z *gzipBody) flush() error {
	z.endBlock(false)
	z.writeOut()
	return z.err
}

// close ends the stream and sends the rest of it to w.
func (z *gzipBody) close() error {
	z.endBlock(true)
	var tr [gzipTrailerLen]byte
	binary.LittleEndian.PutUint32(tr[:4], z.crc)
	binary.LittleEndian.PutUint32(tr[4:], uint32(z.off)) // ISIZE is the size mod 2^32
	for _, b := range tr {
		z.putBits(uint64(b), 8)
	}
	z.drainBits()
	z.writeOut()
	return z.err
}

// patternCRC updates crc with body bytes [off, off+n).
func patternCRC(crc uint32, off, n int64) uint32 {
	for n > 0 {
		chunk := patternBuf[off%int64(len(Pattern)):]
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
		off += int64(len(chunk))
		n -= int64(len(chunk))
	}
	return crc
}
