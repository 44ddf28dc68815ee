package fetcher

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/greenfetch/greenfetch/scheduler"
)

// copyBufferSize is the buffer that moves body bytes to their sink; it is
// taken from a pool only while the body is read.
const copyBufferSize = 16 << 10

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

var gzipPool sync.Pool // of *gzip.Reader

// drain reads what is left of an unwanted body (a redirect's, a retried
// answer's) so the connection can serve again; a long or broken one closes
// the connection instead.
func (st *fetchState) drain(resp *http.Response, cn conn) {
	st.bodyDeadline(cn)
	n, err := io.CopyN(io.Discard, resp.Body, maxDrain+1)
	st.done(cn, err == io.EOF && n <= maxDrain)
}

// readBody reads the final response's body into the sinks of the config,
// then releases the connection and the host.
func (st *fetchState) readBody(u *url.URL, h *hop) *Error {
	c := st.c
	resp, cn := h.resp, h.cn
	defer c.hosts.release(h.hostKey, h.hs)
	st.bodyDeadline(cn)
	s := sink{max: c.cfg.MaxBody, obs: c.cfg.Observer}
	if resp.Request.Method != "HEAD" {
		if s.hook = st.bodyHookFor(u, st.res.ContentType); s.hook != nil {
			defer s.hook.close()
		}
	}
	if c.cfg.SHA256 {
		s.h = sha256.New()
	}
	if c.cfg.SaveDir != "" && resp.Request.Method != "HEAD" {
		f, name, err := createSaveFile(c.cfg.SaveDir, u)
		if err != nil {
			st.done(cn, false)
			return &Error{Kind: KindIO, Phase: PhaseBody, URL: st.curURL, Err: err}
		}
		s.f = f
		st.res.SavedAs = name
	}
	clean, err := st.copyBody(&s, resp)
	st.res.Bytes = s.n
	if ferr := s.close(err != nil); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		if s.f != nil {
			st.res.SavedAs = ""
		}
		st.done(cn, false)
		return st.classify(PhaseBody, cn.cause(err))
	}
	if s.h != nil {
		st.res.SHA256 = hex.EncodeToString(s.h.Sum(nil))
	}
	keep := 0
	if st.c.idleUnwanted() {
		keep = 1 // a running fetch may yet redirect here
	}
	st.release(cn, clean, keep)
	return nil
}

// copyBody moves the decoded body into s. clean reports whether the wire
// body was read to its very end (the connection may be reused).
func (st *fetchState) copyBody(s *sink, resp *http.Response) (clean bool, err error) {
	body := &bodyReader{r: resp.Body}
	var rd io.Reader = body
	var gz *gzip.Reader
	enc := strings.ToLower(strings.TrimSpace(headerValue(resp.Header, "Content-Encoding")))
	// A decoder's error that is not the body's own is the encoding's fault.
	decodeErr := func(err error) error {
		if err == nil || body.err == err {
			return err
		}
		return &decodeError{enc: enc, err: err}
	}
	if st.c.cfg.Compressed {
		switch enc {
		case "gzip", "x-gzip":
			if v := gzipPool.Get(); v != nil {
				gz = v.(*gzip.Reader)
				err = gz.Reset(body)
			} else {
				gz, err = gzip.NewReader(body)
			}
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return false, decodeErr(err)
			}
			defer gzipPool.Put(gz)
			rd = gz
		case "deflate":
			// RFC 9110 8.4.1.2 says zlib; some servers send raw deflate.
			br := bufio.NewReaderSize(body, 512)
			hdr, _ := br.Peek(2)
			if len(hdr) == 2 && hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
				zr, zerr := zlib.NewReader(br)
				if zerr != nil {
					return false, decodeErr(zerr)
				}
				defer zr.Close()
				rd = zr
			} else {
				fr := flate.NewReader(br)
				defer fr.Close()
				rd = fr
			}
		}
	}
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := rd.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				return false, werr
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if rd != io.Reader(body) {
				rerr = decodeErr(rerr)
			}
			return false, rerr
		}
	}
	if rd == io.Reader(body) {
		return true, nil
	}
	// The decoder ended: the wire body must end there too.
	n, rerr := body.Read(buf[:1])
	if n > 0 {
		return false, errTrailingGarbage
	}
	return rerr == io.EOF, nil
}

// bodyReader remembers the last error of the wire body, so that a
// decoder's own errors can be told from the connection's.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// decodeError is a body that its Content-Encoding does not decode.
type decodeError struct {
	enc string
	err error
}

func (e *decodeError) Error() string { return "bad " + e.enc + " body: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// sink takes the decoded body: it counts it, caps it, hashes it, saves it,
// and tells the observer.
type sink struct {
	n    int64
	max  int64 // 0: no cap
	h    hash.Hash
	f    *saveFile
	obs  Observer
	hook *bodyHook // RunConfig.OnBody's writer, or nil
}

func (s *sink) Write(p []byte) (int, error) {
	var err error
	if s.max > 0 && s.n+int64(len(p)) > s.max {
		p = p[:s.max-s.n]
		err = tooLargeError(s.max)
	}
	s.n += int64(len(p))
	if s.h != nil {
		s.h.Write(p)
	}
	if s.f != nil {
		if _, ferr := s.f.Write(p); ferr != nil && err == nil {
			err = ferr
		}
	}
	if s.hook != nil {
		s.hook.Write(p)
	}
	if s.obs != nil && len(p) > 0 {
		s.obs.OnBytes(int64(len(p)))
	}
	return len(p), err
}

// close ends the saved file, removing it when the body failed.
func (s *sink) close(failed bool) error {
	if s.f == nil {
		return nil
	}
	return s.f.finish(failed)
}

// errSaveDir wraps failures to save a body.
var errSaveDir = errors.New("saving the body")

// blockingWriter runs file writes through scheduler.Blocking so that a
// task never blocks its hub's thread on the disk.
type blockingWriter struct {
	f interface{ Write([]byte) (int, error) }
}

func (w blockingWriter) Write(p []byte) (int, error) {
	return scheduler.Blocking(func() (int, error) { return w.f.Write(p) })
}

// tooLargeError is ErrBodyTooLarge with the limit that was passed.
type tooLargeError int64

func (e tooLargeError) Error() string {
	return fmt.Sprintf("%s of %d bytes", ErrBodyTooLarge, int64(e))
}

func (e tooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }
