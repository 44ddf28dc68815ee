package warc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// ErrClosed is returned by WriteExchange after Close.
var ErrClosed = errors.New("warc: writer closed")

// Defaults of Options.
const (
	// DefaultMaxSize is the size past which a file is closed and the next
	// one begun: 1 GB, Heritrix's default.
	DefaultMaxSize = 1_000_000_000
	// DefaultDedupEntries bounds the payload digests remembered for
	// deduplication: about 200 bytes each.
	DefaultDedupEntries = 100_000
)

// inlineLimit is the largest block compressed before the writer's lock is
// taken, into memory, so that several exchanges compress at once; a larger
// block is compressed straight into the file while the lock is held, so
// that memory stays bounded.
const inlineLimit = 1 << 20

// Options configure a Writer. Only Prefix is required.
type Options struct {
	// Dir is the directory the files are created in. It must exist. If
	// empty, the current directory.
	Dir string

	// Prefix begins every file name: PREFIX-YYYYMMDDhhmmss-NNNNN.warc.gz
	// for the WARC files (the time the file was begun, in UTC, and its
	// serial number from 00000), PREFIX-YYYYMMDDhhmmss.cdxj for the index.
	// Writers that share a directory need prefixes of their own (see
	// UniquePrefix): a name that exists is never overwritten, and Create
	// or a rollover fails instead. It must not hold a path separator.
	Prefix string

	// MaxSize is the size on disk past which the current file is closed;
	// the next exchange begins a new file. An exchange is never split
	// across files, so a file passes MaxSize by at most one exchange. If
	// zero, DefaultMaxSize is used; if negative, there is one file.
	MaxSize int64

	// Dedup writes a response whose payload digest equals that of a
	// response already written (by this Writer) as a revisit record of
	// the identical-payload-digest profile: its HTTP head and no body.
	Dedup bool

	// DedupEntries bounds the digests Dedup remembers; past it the oldest
	// are forgotten (a later copy of their payload is written whole). If
	// zero, DefaultDedupEntries is used.
	DedupEntries int

	// CDX writes a CDXJ index of the responses and revisits beside the
	// WARC files, sorted, when the Writer is closed. Its lines wait in
	// sorted runs in temporary files in Dir meanwhile, so memory stays
	// bounded however many records there are.
	CDX bool

	// Digest is the algorithm of the block and payload digests. If zero,
	// SHA1.
	Digest Digest

	// GzipLevel is the compression level of every record's gzip member
	// (compress/gzip's levels, 1 to 9). If zero, gzip.BestSpeed: on records
	// of a few kilobytes, gzip.DefaultCompression makes files about 2%
	// smaller for about 40% more CPU time (testdata/gowarcbench).
	GzipLevel int

	// Software is the "software" field of each warcinfo record. If empty,
	// "greenfetch/" and the module version.
	Software string

	// CommandLine, if set, is written as the "command-line" field of each
	// warcinfo record. The caller masks any credentials in it.
	CommandLine string

	// Now is the clock of file names, warcinfo records and exchanges
	// without a Date. If nil, time.Now.
	Now func() time.Time
}

// Writer writes exchanges as WARC 1.1 records, one gzip member per record,
// into a set of files that roll over by size, each beginning with a
// warcinfo record. A request record and its response record are written
// together, request first, each pointing at the other with
// WARC-Concurrent-To, never separated by a rollover nor interleaved with
// another exchange's records.
//
// Safe for concurrent use: many fetches may call WriteExchange at once.
// Small records are digested and compressed by the calling goroutines in
// parallel; the file is appended to under a lock.
type Writer struct {
	opts     Options
	software string
	gzPool   sync.Pool // *gzip.Writer at opts.GzipLevel

	dedupMu sync.Mutex
	dedup   *dedupTable // nil unless opts.Dedup; guarded by dedupMu

	mu     sync.Mutex // guards the fields below, and the files
	closed bool
	file   *os.File // nil between a rollover and the next exchange
	bw     *bufio.Writer
	name   string // base name of file
	size   int64  // bytes of file written so far
	serial int
	broken error // a write that could not be undone: the file is closed at the next exchange
	files  []string
	cdx    *cdxIndex // nil unless opts.CDX
}

// Create checks opts, creates the first file (and reserves the index's
// name) and returns a Writer. Close it to finish the last file and write
// the index.
func Create(opts Options) (*Writer, error) {
	if opts.Prefix == "" {
		return nil, &Error{Op: "create", Err: errors.New("no file name prefix")}
	}
	if strings.ContainsAny(opts.Prefix, `/\`+"\x00") || opts.Prefix == "." || opts.Prefix == ".." {
		return nil, &Error{Op: "create", Err: fmt.Errorf("prefix %q is not a file name (put directories in Options.Dir)", opts.Prefix)}
	}
	if err := checkField("the prefix", opts.Prefix); err != nil {
		return nil, &Error{Op: "create", Err: err}
	}
	if !opts.Digest.valid() {
		return nil, &Error{Op: "create", Err: fmt.Errorf("unknown digest %v", opts.Digest)}
	}
	if opts.GzipLevel == 0 {
		opts.GzipLevel = gzip.BestSpeed
	}
	if _, err := gzip.NewWriterLevel(io.Discard, opts.GzipLevel); err != nil {
		return nil, &Error{Op: "create", Err: err}
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.DedupEntries <= 0 {
		opts.DedupEntries = DefaultDedupEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if err := checkField("the command line", opts.CommandLine); err != nil {
		return nil, &Error{Op: "create", Err: err}
	}
	w := &Writer{opts: opts, software: opts.Software}
	if w.software == "" {
		w.software = "greenfetch/" + moduleVersion()
	}
	if err := checkField("the software name", w.software); err != nil {
		return nil, &Error{Op: "create", Err: err}
	}
	level := opts.GzipLevel
	w.gzPool.New = func() any {
		gz, _ := gzip.NewWriterLevel(nil, level) // level checked above
		return gz
	}
	if opts.Dedup {
		w.dedup = newDedupTable(opts.DedupEntries)
	}
	start := opts.Now()
	if opts.CDX {
		cdx, err := newCDXIndex(opts.Dir, fmt.Sprintf("%s-%s.cdxj", opts.Prefix, start.UTC().Format("20060102150405")))
		if err != nil {
			return nil, err
		}
		w.cdx = cdx
	}
	if err := w.openLocked(start); err != nil {
		if w.cdx != nil {
			w.cdx.abort()
		}
		return nil, err
	}
	return w, nil
}

// moduleVersion is the greenfetch module's version as the build recorded
// it, or "(devel)".
func moduleVersion() string {
	const module = "github.com/greenfetch/greenfetch"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == module && bi.Main.Version != "" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == module && d.Version != "" {
				return d.Version
			}
		}
	}
	return "(devel)"
}

// Files returns the base names of the WARC files begun so far, in order.
func (w *Writer) Files() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.files...)
}

// IndexFile returns the base name of the CDXJ index, written by Close; ""
// unless Options.CDX is set.
func (w *Writer) IndexFile() string {
	if w.cdx == nil {
		return ""
	}
	return w.cdx.name
}

// openLocked begins the next file with its warcinfo record.
func (w *Writer) openLocked(now time.Time) error {
	name := fmt.Sprintf("%s-%s-%05d.warc.gz", w.opts.Prefix, now.UTC().Format("20060102150405"), w.serial)
	f, err := os.OpenFile(filepath.Join(w.opts.Dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return &Error{Op: "create", File: name, Err: err}
	}
	w.serial++
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(f, 64<<10)
	} else {
		w.bw.Reset(f)
	}
	w.file, w.name, w.size, w.broken = f, name, 0, nil
	w.files = append(w.files, name)

	info := w.warcinfo(name, now)
	if _, err := w.bw.Write(info); err != nil {
		return w.abandonLocked(err)
	}
	if err := w.bw.Flush(); err != nil {
		return w.abandonLocked(err)
	}
	w.size = int64(len(info))
	return nil
}

// abandonLocked closes a file that could not get its warcinfo record; it
// stays on disk (it was created, and nothing is deleted) but gets nothing
// more.
func (w *Writer) abandonLocked(err error) error {
	name := w.name
	w.file.Close()
	w.file = nil
	return &Error{Op: "create", File: name, Err: err}
}

// warcinfo returns the gzip member of a file's warcinfo record.
func (w *Writer) warcinfo(name string, now time.Time) []byte {
	var fields []byte
	fields = headerBuf(fields).field("software", w.software)
	fields = headerBuf(fields).field("format", "WARC File Format 1.1")
	fields = headerBuf(fields).field("conformsTo", "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/")
	if w.opts.CommandLine != "" {
		fields = headerBuf(fields).field("command-line", w.opts.CommandLine)
	}
	h := w.opts.Digest.newHash()
	h.Write(fields)
	var sum [sha256Size]byte
	digest := w.opts.Digest.appendFormat(nil, h.Sum(sum[:0]))

	hb := headerBuf(warcVersion)
	hb = hb.field("WARC-Type", "warcinfo")
	hb = hb.field("WARC-Record-ID", newRecordID())
	hb = hb.fieldBytes("WARC-Date", appendWARCDate(nil, now))
	hb = hb.field("WARC-Filename", name)
	hb = hb.field("Content-Type", "application/warc-fields")
	hb = hb.fieldBytes("WARC-Block-Digest", digest)
	hb = hb.fieldInt("Content-Length", int64(len(fields)))
	hb = append(hb, "\r\n"...)

	var out bytes.Buffer
	gz := w.gzPool.Get().(*gzip.Writer)
	gz.Reset(&out)
	gz.Write(hb)
	gz.Write(fields)
	gz.Write([]byte(recordEnd))
	gz.Close()
	w.gzPool.Put(gz)
	return out.Bytes()
}

const sha256Size = 32

// scratch is the per-call working memory of WriteExchange, pooled.
type scratch struct {
	block, payload hash.Hash
	scan           scanner
	copyBuf        []byte
	member         [2]bytes.Buffer // compressed request and response members
	header         [2][]byte
	sum            [sha256Size]byte
}

var scratchPools [2]sync.Pool // by Digest

func getScratch(d Digest) *scratch {
	if s, ok := scratchPools[d].Get().(*scratch); ok {
		return s
	}
	return &scratch{block: d.newHash(), payload: d.newHash(), copyBuf: make([]byte, 32<<10)}
}

func putScratch(d Digest, s *scratch) {
	for i := range s.member {
		if s.member[i].Cap() > 2*inlineLimit {
			s.member[i] = bytes.Buffer{} // do not keep a huge buffer
		}
		s.member[i].Reset()
	}
	scratchPools[d].Put(s)
}

// scanned is what the first reading of a block found.
type scanned struct {
	head          head
	blockDigest   []byte
	payloadDigest []byte // nil when the head does not end
	payloadLen    int64
	payloadWhole  bool // the payload was read to its end (chunking complete, when chunked)
}

// scan reads block b once and digests it.
func (w *Writer) scan(s *scratch, b Block) (scanned, error) {
	s.scan.reset(s.block, s.payload)
	if buf, ok := b.(*Buffer); ok && buf.Bytes() != nil {
		s.scan.Write(buf.Bytes())
	} else {
		if _, err := io.CopyBuffer(&s.scan, io.NewSectionReader(b, 0, b.Size()), s.copyBuf); err != nil {
			return scanned{}, err
		}
	}
	sc := scanned{head: s.scan.head, payloadLen: s.scan.payloadLen}
	sc.blockDigest = w.opts.Digest.appendFormat(nil, s.block.Sum(s.sum[:0]))
	if sc.head.ended {
		sc.payloadDigest = w.opts.Digest.appendFormat(nil, s.payload.Sum(s.sum[:0]))
		sc.payloadWhole = !sc.head.chunked || s.scan.de.state == chunkDone
	} else {
		sc.head.length = b.Size()
	}
	return sc, nil
}

// record is one record of an exchange, ready to be appended.
type record struct {
	member  *bytes.Buffer // the compressed record; nil when it is streamed under the lock
	header  []byte        // WARC header, for a streamed record
	block   Block
	size    int64 // bytes of block written (all of it, or the head of a revisit)
	offset  int64 // where it was written
	written int64 // its length on disk
}

// WriteExchange archives one exchange: a request record (unless
// ex.Request is nil) and a response record, or a revisit record when
// Options.Dedup is set and the response's payload was already archived
// whole. It returns where the response went. The blocks are read while it
// runs and not after.
//
// An exchange is written whole or not at all: on a failure the file is cut
// back to where the exchange began. The error names the URL and the file.
func (w *Writer) WriteExchange(ex *Exchange) (Written, error) {
	fail := func(op, file string, err error) (Written, error) {
		return Written{}, &Error{Op: op, URL: ex.URL, File: file, Err: err}
	}
	if err := checkURL(ex.URL); err != nil {
		return fail("write", "", err)
	}
	if ex.Response == nil {
		return fail("write", "", errors.New("no response to archive"))
	}
	if ex.Truncated != "" && !truncatedReasons[ex.Truncated] {
		return fail("write", "", fmt.Errorf("WARC-Truncated %q is none of length, time, disconnect, unspecified", ex.Truncated))
	}
	date := ex.Date
	if date.IsZero() {
		date = w.opts.Now()
	}
	var dateBuf [32]byte
	warcDate := appendWARCDate(dateBuf[:0], date)

	s := getScratch(w.opts.Digest)
	defer putScratch(w.opts.Digest, s)

	var req scanned
	if ex.Request != nil {
		var err error
		if req, err = w.scan(s, ex.Request); err != nil {
			return fail("write", "", fmt.Errorf("reading the request: %w", err))
		}
	}
	resp, err := w.scan(s, ex.Response)
	if err != nil {
		return fail("write", "", fmt.Errorf("reading the response: %w", err))
	}

	reqID, respID := newRecordID(), newRecordID()
	result := Written{RecordID: respID, PayloadDigest: string(resp.payloadDigest)}

	// Deduplicate: a revisit only ever points at a record already written.
	var orig *dedupEntry
	mine := false
	if w.dedup != nil && resp.payloadDigest != nil && resp.payloadWhole && resp.payloadLen > 0 && ex.Truncated == "" {
		w.dedupMu.Lock()
		orig, mine = w.dedup.lookup(string(resp.payloadDigest), respID, ex.URL, string(warcDate))
		w.dedupMu.Unlock()
	}
	result.Revisit = orig != nil

	// The records, compressed here when small.
	var recs [2]record
	n := 0
	if ex.Request != nil {
		hb := headerBuf(s.header[0][:0])
		hb = append(hb, warcVersion...)
		hb = hb.field("WARC-Type", "request")
		hb = hb.field("WARC-Record-ID", reqID)
		hb = hb.fieldBytes("WARC-Date", warcDate)
		hb = hb.field("WARC-Target-URI", ex.URL)
		if ex.IP.IsValid() {
			hb = hb.field("WARC-IP-Address", ex.IP.Unmap().String())
		}
		hb = hb.field("WARC-Concurrent-To", respID)
		hb = hb.field("Content-Type", "application/http;msgtype=request")
		hb = hb.fieldBytes("WARC-Block-Digest", req.blockDigest)
		if req.payloadDigest != nil {
			hb = hb.fieldBytes("WARC-Payload-Digest", req.payloadDigest)
		}
		hb = hb.fieldInt("Content-Length", ex.Request.Size())
		hb = append(hb, "\r\n"...)
		s.header[0] = hb
		recs[n] = w.prepare(s, &s.member[0], hb, ex.Request, ex.Request.Size())
		n++
	}
	{
		hb := headerBuf(s.header[1][:0])
		hb = append(hb, warcVersion...)
		size := ex.Response.Size()
		if orig != nil {
			size = resp.head.length
			hb = hb.field("WARC-Type", "revisit")
		} else {
			hb = hb.field("WARC-Type", "response")
		}
		hb = hb.field("WARC-Record-ID", respID)
		hb = hb.fieldBytes("WARC-Date", warcDate)
		hb = hb.field("WARC-Target-URI", ex.URL)
		if ex.IP.IsValid() {
			hb = hb.field("WARC-IP-Address", ex.IP.Unmap().String())
		}
		if ex.Request != nil {
			hb = hb.field("WARC-Concurrent-To", reqID)
		}
		if orig != nil {
			hb = hb.field("WARC-Profile", revisitProfile)
			hb = hb.field("WARC-Refers-To", orig.id)
			hb = hb.field("WARC-Refers-To-Target-URI", orig.uri)
			hb = hb.field("WARC-Refers-To-Date", orig.date)
		}
		hb = hb.field("Content-Type", "application/http;msgtype=response")
		if orig != nil {
			// The block is the head alone: digest it again.
			s.block.Reset()
			if _, err := io.CopyBuffer(s.block, io.NewSectionReader(ex.Response, 0, size), s.copyBuf); err != nil {
				w.forget(mine, resp.payloadDigest, respID)
				return fail("write", "", fmt.Errorf("reading the response: %w", err))
			}
			hb = hb.fieldBytes("WARC-Block-Digest", w.opts.Digest.appendFormat(nil, s.block.Sum(s.sum[:0])))
		} else {
			hb = hb.fieldBytes("WARC-Block-Digest", resp.blockDigest)
		}
		if resp.payloadDigest != nil {
			hb = hb.fieldBytes("WARC-Payload-Digest", resp.payloadDigest)
		}
		if ex.Truncated != "" {
			hb = hb.field("WARC-Truncated", ex.Truncated)
		}
		hb = hb.fieldInt("Content-Length", size)
		hb = append(hb, "\r\n"...)
		s.header[1] = hb
		recs[n] = w.prepare(s, &s.member[1], hb, ex.Response, size)
		n++
	}

	// What the index needs of a request's body.
	var reqBody []byte
	if w.cdx != nil && req.head.method != "" && req.head.method != "GET" && req.head.ended {
		n := min(ex.Request.Size()-req.head.length, int64(maxQueryBody))
		reqBody = make([]byte, n)
		if _, err := ex.Request.ReadAt(reqBody, req.head.length); err != nil && !errors.Is(err, io.EOF) {
			w.forget(mine, resp.payloadDigest, respID)
			return fail("write", "", fmt.Errorf("reading the request: %w", err))
		}
	}

	// Append them.
	w.mu.Lock()
	file, err := w.appendLocked(s, recs[:n])
	if err == nil {
		r := &recs[n-1]
		result.File, result.Offset, result.Length = file, r.offset, r.written
		if w.cdx != nil {
			err = w.cdx.add(cdxEntry{
				url: ex.URL, date: warcDate, resp: &resp.head, req: &req.head, revisit: orig != nil,
				digest: resp.payloadDigest, length: r.written, offset: r.offset, file: file,
				reqBody: reqBody,
			})
		}
	}
	w.mu.Unlock()
	if err != nil {
		w.forget(mine, resp.payloadDigest, respID)
		return fail("write", file, err)
	}
	if mine {
		w.dedupMu.Lock()
		w.dedup.confirm(string(resp.payloadDigest), respID)
		w.dedupMu.Unlock()
	}
	return result, nil
}

// forget drops the dedup entry an exchange added, when it was not written.
func (w *Writer) forget(mine bool, digest []byte, id string) {
	if mine {
		w.dedupMu.Lock()
		w.dedup.remove(string(digest), id)
		w.dedupMu.Unlock()
	}
}

// prepare compresses a small record into out; a large one is left to be
// streamed by appendLocked.
func (w *Writer) prepare(s *scratch, out *bytes.Buffer, header []byte, b Block, size int64) record {
	r := record{header: header, block: b, size: size}
	if size > inlineLimit {
		return r
	}
	out.Reset()
	gz := w.gzPool.Get().(*gzip.Writer)
	gz.Reset(out)
	gz.Write(header)
	if buf, ok := b.(*Buffer); ok && buf.Bytes() != nil {
		gz.Write(buf.Bytes()[:size])
	} else if _, err := io.CopyBuffer(gz, io.NewSectionReader(b, 0, size), s.copyBuf); err != nil {
		// Left to appendLocked, which reads it again and reports.
		w.gzPool.Put(gz)
		return r
	}
	gz.Write([]byte(recordEnd))
	gz.Close()
	w.gzPool.Put(gz)
	r.member = out
	return r
}

// appendLocked writes the records of one exchange to the current file
// (beginning one if there is none), and closes the file once it has passed
// MaxSize. It returns the file's name.
func (w *Writer) appendLocked(s *scratch, recs []record) (string, error) {
	if w.closed {
		return "", ErrClosed
	}
	if w.file != nil && w.broken != nil {
		w.closeFileLocked()
	}
	if w.file == nil {
		if err := w.openLocked(w.opts.Now()); err != nil {
			return "", err
		}
	}
	start := w.size
	for i := range recs {
		r := &recs[i]
		r.offset = w.size
		if r.member != nil {
			n, err := w.bw.Write(r.member.Bytes())
			w.size += int64(n)
			if err != nil {
				return w.name, w.undoLocked(start, err)
			}
		} else {
			n, err := w.stream(s, r)
			w.size += n
			if err != nil {
				return w.name, w.undoLocked(start, err)
			}
		}
		r.written = w.size - r.offset
	}
	if err := w.bw.Flush(); err != nil {
		return w.name, w.undoLocked(start, err)
	}
	name := w.name
	if w.opts.MaxSize > 0 && w.size >= w.opts.MaxSize {
		if err := w.closeFileLocked(); err != nil {
			return name, err
		}
	}
	return name, nil
}

// stream compresses a large record into the file.
func (w *Writer) stream(s *scratch, r *record) (int64, error) {
	cw := countWriter{w: w.bw}
	gz := w.gzPool.Get().(*gzip.Writer)
	defer w.gzPool.Put(gz)
	gz.Reset(&cw)
	if _, err := gz.Write(r.header); err != nil {
		return cw.n, err
	}
	n, err := io.CopyBuffer(gz, io.NewSectionReader(r.block, 0, r.size), s.copyBuf)
	if err == nil && n != r.size {
		err = fmt.Errorf("block shrank from %d to %d bytes while being archived", r.size, n)
	}
	if err != nil {
		return cw.n, fmt.Errorf("reading the block: %w", err)
	}
	if _, err := gz.Write([]byte(recordEnd)); err != nil {
		return cw.n, err
	}
	err = gz.Close()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// undoLocked cuts the file back to start, where the failed exchange began.
// If that fails too, the file is closed at the next exchange.
func (w *Writer) undoLocked(start int64, cause error) error {
	w.bw.Reset(w.file) // drop what is buffered
	if err := w.file.Truncate(start); err != nil {
		w.broken = err
		return errors.Join(cause, fmt.Errorf("cutting the file back to %d bytes: %w", start, err))
	}
	if _, err := w.file.Seek(start, io.SeekStart); err != nil {
		w.broken = err
		return errors.Join(cause, err)
	}
	w.size = start
	return cause
}

func (w *Writer) closeFileLocked() error {
	if w.file == nil {
		return nil
	}
	f, name := w.file, w.name
	w.file = nil
	err := w.bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &Error{Op: "close", File: name, Err: err}
	}
	return nil
}

// Close finishes the current file and writes the CDXJ index. Exchanges
// written after Close fail with ErrClosed; a second Close does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.closeFileLocked()
	if w.cdx != nil {
		if ierr := w.cdx.finish(); ierr != nil {
			err = errors.Join(err, ierr)
		}
	}
	return err
}
