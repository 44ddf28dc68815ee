package serve

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const defaultType = "text/plain; charset=utf-8"

// serveHTTP answers one request. It allocates no more than a few small
// values per request: bodies come from the shared pattern buffer.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.active.Add(1)
	defer s.active.Add(-1)

	switch r.URL.Path {
	case "/":
		writeFixed(w, r, "text/html; charset=utf-8", indexPage)
		return
	case "/robots.txt":
		writeFixed(w, r, defaultType, robotsTxt)
		return
	case "/healthz":
		writeFixed(w, r, defaultType, "ok\n")
		return
	}
	p, err := parsePath(r.URL.EscapedPath())
	if err == nil {
		err = s.checkCaps(r.URL.EscapedPath(), &p.Spec)
	}
	if err != nil {
		w.Header().Set("Content-Type", defaultType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "serve: %v\n", err)
		return
	}
	s.respond(w, r, &p)
}

// checkCaps applies the Options caps to the Spec of path.
func (s *Server) checkCaps(path string, sp *Spec) error {
	var msg string
	switch {
	case sp.Size > s.opts.MaxSize:
		msg = fmt.Sprintf("size %s is over this server's cap of %s", FormatSize(sp.Size), FormatSize(s.opts.MaxSize))
	case sp.Delay > s.opts.MaxDelay:
		msg = fmt.Sprintf("delay %v is over this server's cap of %v", sp.Delay, s.opts.MaxDelay)
	case sp.Drip > s.opts.MaxDelay:
		msg = fmt.Sprintf("drip %v is over this server's cap of %v", sp.Drip, s.opts.MaxDelay)
	default:
		return nil
	}
	return &pathError{path: path, msg: msg}
}

func writeFixed(w http.ResponseWriter, r *http.Request, ctype, body string) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, body) //nolint:errcheck // the client may be gone; nothing to do
	}
}

// respond answers a parsed path: the delay, then a redirect or the body.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, p *parsed) {
	ctx := r.Context()
	h := w.Header()
	if p.Delay > 0 {
		start := time.Now()
		if !sleep(ctx, p.Delay) {
			abort() // the client went away, or Close
		}
		// The wait as the server measured it (monotonic clock), for tests and
		// for people: Server-Timing is the W3C header for it.
		h.Set("Server-Timing", "delay;dur="+strconv.FormatFloat(float64(time.Since(start))/1e6, 'f', 3, 64))
	}
	for _, hv := range p.Headers {
		name, value, _ := strings.Cut(hv, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	if p.Close {
		h.Set("Connection", "close")
	}
	head := r.Method == http.MethodHead

	if p.Redirect > 0 || p.RedirectTo != "" {
		loc := p.RedirectTo
		if loc == "" {
			raw := r.URL.EscapedPath()
			loc = raw[:p.redirectAt] + strconv.Itoa(p.Redirect-1) + raw[p.redirectEnd:]
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
		}
		code := p.RedirectCode
		if code == 0 {
			code = http.StatusFound
		}
		body := "redirecting to " + loc + "\n"
		h.Set("Location", loc)
		h.Set("Content-Type", defaultType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(code)
		if !head {
			io.WriteString(w, body) //nolint:errcheck // the client may be gone
		}
		return
	}

	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	ctype := p.Type
	if ctype == "" {
		ctype = defaultType
	}
	h.Set("Content-Type", ctype)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status) // RFC 9110 15.3.5, 15.4.5: no body
		return
	}
	zip := false
	if p.Gzip {
		h.Add("Vary", "Accept-Encoding")
		zip = acceptsGzip(r.Header.Values("Accept-Encoding"))
	}
	if zip {
		h.Set("Content-Encoding", "gzip")
	}
	switch {
	case p.Chunked:
		// net/http sends the chunked framing itself and no Content-Length.
		h.Set("Transfer-Encoding", "chunked")
	case p.EOF:
		// net/http sends neither framing and closes the connection after
		// the body (RFC 9112 6.3, rule 8).
		h.Set("Transfer-Encoding", "identity")
	case !zip:
		h.Set("Content-Length", strconv.FormatInt(p.Size, 10))
	case p.Drip <= 0:
		h.Set("Content-Length", strconv.FormatInt(gzipLen(p.Size), 10))
	default:
		// gzip and drip: the length depends on the flushes; chunked.
	}
	w.WriteHeader(status)
	if head {
		return
	}
	if !zip {
		writeBody(&plainBody{w: w}, w, r, p) //nolint:errcheck // the client may be gone
		return
	}
	z := newGzipBody(w)
	defer z.release()
	if writeBody(z, w, r, p) == nil {
		z.close() //nolint:errcheck // the client may be gone
	}
}

// bodyWriter writes a body piece by piece: the plain pattern or its gzip
// encoding.
type bodyWriter interface {
	write(n int64) error // the next n bytes of the body
	flush() error        // pass what was written on to the ResponseWriter
}

// writeBody writes the body of p to bw, all at once or, with drip, in
// pieces spread over p.Drip, each flushed to the client. It stops at the
// first write error and aborts the response when the request ends.
func writeBody(bw bodyWriter, w http.ResponseWriter, r *http.Request, p *parsed) error {
	if p.Drip <= 0 || p.Size == 0 {
		return bw.write(p.Size)
	}
	pieces := int64(p.Pieces)
	if pieces == 0 {
		pieces = defaultMaxPieces
	}
	pieces = min(pieces, p.Size)
	ctx := r.Context()
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil { // the head goes out now, the body later
		return err
	}
	start := time.Now()
	var off int64
	for i := int64(1); i <= pieces; i++ {
		// Piece i is due at start + i*Drip/pieces, so waits do not drift.
		due := start.Add(time.Duration(int64(p.Drip) / pieces * i))
		if !sleep(ctx, time.Until(due)) {
			abort() // a clean end would pass a short chunked body as whole
		}
		end := p.Size * i / pieces
		if err := bw.write(end - off); err != nil {
			return err
		}
		off = end
		if err := bw.flush(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// abort ends a response cut short by its request's context: net/http
// closes the connection without writing anything more (and without
// logging), rather than sending an empty 200 or a short chunked body with
// a clean end.
func abort() {
	panic(http.ErrAbortHandler)
}

// acceptsGzip reports whether Accept-Encoding values allow gzip
// (RFC 9110 12.5.3): gzip, x-gzip or * with a q above zero.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(item, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" && name != "*" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				if f, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

var robotsTxt = "User-agent: *\n" +
	"# redirect-to leads off this server\n" +
	"Disallow: /redirect-to/\n"

// indexLinks are the example paths the index page links to.
var indexLinks = []string{
	"/size/16KiB",
	"/delay/500ms/size/1KiB",
	"/status/404/size/100",
	"/redirect/3/size/10",
	"/gzip/size/64KiB",
	"/chunked/size/100KiB",
	"/eof/size/1KiB",
	"/drip/2s/size/10",
	"/type/text%2Fhtml/size/0",
	"/robots.txt",
	"/healthz",
}

var indexPage = func() string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>greenfetch test server</title></head>\n<body>\n<h1>greenfetch test server</h1>\n<ul>\n")
	for _, l := range indexLinks {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", l, html.EscapeString(l))
	}
	b.WriteString("</ul>\n<pre>\n" + html.EscapeString(Usage) + "</pre>\n</body></html>\n")
	return b.String()
}()
