package warc

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Bounds of the CDXJ index's external sort (variables for the tests).
var (
	cdxRunBytes = 8 << 20 // lines held in memory before a sorted run goes to a temporary file
	cdxMaxRuns  = 32      // runs (open files) before they are merged into one
)

// cdxEntry is what one CDXJ line says of a response or revisit record.
type cdxEntry struct {
	url            string
	date           []byte // WARC-Date
	resp, req      *head
	revisit        bool
	digest         []byte // WARC-Payload-Digest, "algo:value"
	reqBody        []byte // the first maxQueryBody bytes of the request's payload, for a method other than GET
	length, offset int64
	file           string
}

// cdxFields are the JSON fields of a line, in the order warcio.js writes
// them (its DEFAULT_CDX_FIELDS): offset, length and status as strings.
type cdxFields struct {
	URL      string `json:"url"`
	Mime     string `json:"mime,omitempty"`
	Status   string `json:"status,omitempty"`
	Digest   string `json:"digest,omitempty"`
	Length   string `json:"length"`
	Offset   string `json:"offset"`
	Filename string `json:"filename"`
	Method   string `json:"method,omitempty"`
	Body     string `json:"requestBody,omitempty"`
}

// A request with a method other than GET is indexed as pywb and warcio.js
// do, under its URL with "__wb_method=METHOD&__wb_post_data=BASE64" added
// to its query, the base64 of its body cut to maxQuery characters.
// (warcio.js turns form, JSON and multipart bodies into parameters
// instead; those are indexed here as any other body.)
const (
	maxQuery     = 4096 // warcio.js's DEFAULT_MAX_QUERY_SIZE
	maxQueryBody = (maxQuery - len("__wb_post_data=") + 3) / 4 * 3
)

// line renders e as "urlkey timestamp {json}\n".
func (e *cdxEntry) line() ([]byte, error) {
	f := cdxFields{
		URL:      e.url,
		Mime:     e.resp.mime,
		Length:   strconv.FormatInt(e.length, 10),
		Offset:   strconv.FormatInt(e.offset, 10),
		Filename: e.file,
	}
	if e.revisit {
		f.Mime = "warc/revisit"
	}
	if e.resp.status != 0 {
		f.Status = strconv.Itoa(e.resp.status)
	}
	if _, v, ok := bytes.Cut(e.digest, []byte(":")); ok {
		f.Digest = string(v)
	}
	urlkey := e.url
	if e.req.method != "" && e.req.method != "GET" {
		f.Method = e.req.method
		q := "__wb_post_data=" + base64.StdEncoding.EncodeToString(e.reqBody)
		if len(q) > maxQuery {
			q = q[:maxQuery]
		}
		f.Body = q
		sep := "?"
		if strings.Contains(e.url, "?") {
			sep = "&"
		}
		urlkey = e.url + sep + "__wb_method=" + e.req.method + "&" + q
	}
	var b bytes.Buffer
	b.WriteString(SURT(urlkey))
	b.WriteByte(' ')
	digits := 0 // the 14 digits of YYYY-MM-DDThh:mm:ss
	for _, c := range e.date {
		if c == '.' || c == 'Z' || digits == 14 {
			break
		}
		if c >= '0' && c <= '9' {
			b.WriteByte(c)
			digits++
		}
	}
	b.WriteByte(' ')
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as JSON.stringify: "<" stays "<"
	if err := enc.Encode(&f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// cdxIndex collects CDXJ lines and writes them sorted (byte order, as
// `LC_ALL=C sort` and pywb's cdx-indexer --sort do) at finish. Memory is
// bounded by cdxRunBytes: beyond it sorted runs go to unlinked temporary
// files in dir and are merged at the end.
type cdxIndex struct {
	dir, name string
	out       *os.File // NAME.open, renamed to NAME by finish
	lines     [][]byte
	bytes     int
	runs      []*os.File
}

func newCDXIndex(dir, name string) (*cdxIndex, error) {
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return nil, &Error{Op: "create", File: name, Err: fs.ErrExist}
	}
	out, err := os.OpenFile(final+".open", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return nil, &Error{Op: "create", File: name + ".open", Err: err}
	}
	return &cdxIndex{dir: dir, name: name, out: out}, nil
}

func (c *cdxIndex) add(e cdxEntry) error {
	l, err := e.line()
	if err != nil {
		return &Error{Op: "index", URL: e.url, File: c.name, Err: err}
	}
	c.lines = append(c.lines, l)
	c.bytes += len(l)
	if c.bytes >= cdxRunBytes {
		if err := c.spill(); err != nil {
			return &Error{Op: "index", URL: e.url, File: c.name, Err: err}
		}
	}
	return nil
}

func (c *cdxIndex) sortLines() {
	sort.Slice(c.lines, func(i, j int) bool { return bytes.Compare(c.lines[i], c.lines[j]) < 0 })
}

// spill writes the lines in memory as a sorted run.
func (c *cdxIndex) spill() error {
	c.sortLines()
	f, err := c.tempFile()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, l := range c.lines {
		bw.Write(l)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	c.runs = append(c.runs, f)
	c.lines, c.bytes = c.lines[:0], 0
	if len(c.runs) >= cdxMaxRuns {
		return c.mergeRuns()
	}
	return nil
}

func (c *cdxIndex) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(c.dir, "."+c.name+".run-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name()) // unlinked: nothing is left behind
	return f, nil
}

// mergeRuns merges every run into one.
func (c *cdxIndex) mergeRuns() error {
	f, err := c.tempFile()
	if err != nil {
		return err
	}
	if err := merge(f, c.runs, nil); err != nil {
		f.Close()
		return err
	}
	for _, r := range c.runs {
		r.Close()
	}
	c.runs = append(c.runs[:0], f)
	return nil
}

// finish writes the index and renames it into place.
func (c *cdxIndex) finish() error {
	c.sortLines()
	err := merge(c.out, c.runs, c.lines)
	if cerr := c.out.Close(); err == nil {
		err = cerr
	}
	for _, r := range c.runs {
		r.Close()
	}
	c.runs, c.lines = nil, nil
	final := filepath.Join(c.dir, c.name)
	if err == nil {
		err = os.Rename(final+".open", final)
	}
	if err != nil {
		return &Error{Op: "index", File: c.name, Err: err}
	}
	return nil
}

// abort removes the reserved index file.
func (c *cdxIndex) abort() {
	c.out.Close()
	os.Remove(c.out.Name())
	for _, r := range c.runs {
		r.Close()
	}
}

// merge writes to out the sorted runs and sorted lines, merged in order.
func merge(out io.Writer, runs []*os.File, lines [][]byte) error {
	bw := bufio.NewWriterSize(out, 64<<10)
	h := &lineHeap{}
	for _, r := range runs {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return err
		}
		src := &lineSource{r: bufio.NewReaderSize(r, 64<<10)}
		if err := src.next(); err != nil {
			return err
		}
		if src.cur != nil {
			h.items = append(h.items, src)
		}
	}
	if len(lines) > 0 {
		src := &lineSource{lines: lines}
		if err := src.next(); err != nil {
			return err
		}
		h.items = append(h.items, src)
	}
	heap.Init(h)
	for h.Len() > 0 {
		src := h.items[0]
		if _, err := bw.Write(src.cur); err != nil {
			return err
		}
		if err := src.next(); err != nil {
			return err
		}
		if src.cur == nil {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return bw.Flush()
}

// lineSource yields the lines of a run file or of a slice, in order.
type lineSource struct {
	r     *bufio.Reader
	lines [][]byte
	cur   []byte // the current line, newline included; nil at the end
	buf   []byte
}

func (s *lineSource) next() error {
	if s.r == nil {
		if len(s.lines) == 0 {
			s.cur = nil
			return nil
		}
		s.cur, s.lines = s.lines[0], s.lines[1:]
		return nil
	}
	l, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.buf = append(s.buf[:0], l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = s.r.ReadSlice('\n')
			s.buf = append(s.buf, l...)
		}
		l = s.buf
	} else {
		s.buf = append(s.buf[:0], l...) // ReadSlice's bytes are overwritten by the next read
		l = s.buf
	}
	if err == io.EOF {
		if len(l) == 0 {
			s.cur = nil
			return nil
		}
		return fmt.Errorf("index run ends inside a line")
	}
	if err != nil {
		return err
	}
	s.cur = l
	return nil
}

type lineHeap struct{ items []*lineSource }

func (h *lineHeap) Len() int           { return len(h.items) }
func (h *lineHeap) Less(i, j int) bool { return bytes.Compare(h.items[i].cur, h.items[j].cur) < 0 }
func (h *lineHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *lineHeap) Push(x any)         { h.items = append(h.items, x.(*lineSource)) }
func (h *lineHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
