package fetcher

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
)

// plainHead parses the response head waiting in br's buffer when it is of
// the plain kind most servers send — HTTP/1.1, a status of 200 to 599
// that has a body (not 204 or 304), a Content-Length, no
// Transfer-Encoding, Connection, Trailer or Pragma header beyond
// "Connection: keep-alive", CRLF line ends, printable ASCII — and returns
// what http.ReadResponse would return for it, with 5 allocations instead
// of 13 or more (one string holds the whole head; names and values are
// slices of it). Anything else, or a head not wholly buffered, gives
// false and leaves br untouched: the caller reads it with
// http.ReadResponse. FuzzPlainHead holds the two to the same result,
// field by field and byte by byte of the body.
func plainHead(br *bufio.Reader, req *http.Request) (*http.Response, bool) {
	if req.Method != "GET" { // HEAD and CONNECT answers have no body
		return nil, false
	}
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, crlfcrlf)
	if end < 0 {
		return nil, false
	}
	b := buf[:end+2] // every line with its CRLF
	// The status line: "HTTP/1.1 DDD" and an optional " reason".
	const statusAt = len("HTTP/1.1 ")
	if len(b) < statusAt+5 || string(b[:statusAt]) != "HTTP/1.1 " {
		return nil, false
	}
	d0, d1, d2 := b[statusAt], b[statusAt+1], b[statusAt+2]
	if d0 < '2' || d0 > '5' || !isDigit(d1) || !isDigit(d2) {
		return nil, false
	}
	code := int(d0-'0')*100 + int(d1-'0')*10 + int(d2-'0')
	if code == 204 || code == 304 {
		return nil, false
	}
	eol := bytes.IndexByte(b, '\r')
	if b[eol+1] != '\n' || (eol > statusAt+3 && b[statusAt+3] != ' ') || !printable(b[statusAt+3:eol]) {
		return nil, false
	}
	// Count the header lines first, to size the map and the values.
	lines := bytes.Count(b[eol+2:], crlf)
	head := string(b) // the one copy: every string below is a slice of it
	h := make(http.Header, lines)
	vals := make([]string, 0, lines)
	contentLength := int64(-1)
	for at := eol + 2; at < len(b); {
		n := bytes.Index(b[at:], crlf)
		line := b[at : at+n]
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) || !printable(line[colon+1:]) {
			return nil, false
		}
		name := textproto.CanonicalMIMEHeaderKey(head[at : at+colon])
		value := trimOWS(head[at+colon+1 : at+n])
		at += n + 2
		switch name {
		case "Transfer-Encoding", "Trailer", "Pragma":
			return nil, false
		case "Connection":
			if !asciiEqualFold(value, "keep-alive") {
				return nil, false
			}
		case "Content-Length":
			if contentLength >= 0 {
				return nil, false
			}
			if contentLength = parseDigits(value); contentLength < 0 {
				return nil, false
			}
		}
		vals = append(vals, value)
		if old, ok := h[name]; ok {
			h[name] = append(old, value)
		} else {
			h[name] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	if contentLength < 0 {
		return nil, false
	}
	br.Discard(len(head) + 2)
	resp := &http.Response{
		Status:        head[statusAt:eol],
		StatusCode:    code,
		Proto:         head[:statusAt-1],
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		ContentLength: contentLength,
		Request:       req,
		Body:          http.NoBody,
	}
	if contentLength > 0 {
		resp.Body = &lengthBody{r: br, left: contentLength}
	}
	return resp, true
}

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
)

// lengthBody is a body of a known length on a connection's reader: it
// ends with io.EOF at its length (with the last bytes, as net/http's
// does), or with io.ErrUnexpectedEOF when the connection ends first.
type lengthBody struct {
	r    *bufio.Reader
	left int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case b.left == 0:
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// printable reports whether b is visible ASCII, spaces and tabs only.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

// isToken reports whether b is a header name's bytes.
func isToken(b []byte) bool {
	for _, c := range b {
		if !isTokenByte(c) {
			return false
		}
	}
	return true
}

// isTokenByte reports whether c may appear in a header name (RFC 9110
// 5.6.2 tchar).
func isTokenByte(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// trimOWS trims spaces and tabs from both ends of s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseDigits parses 1 to 18 decimal digits, or returns -1.
func parseDigits(s string) int64 {
	if len(s) == 0 || len(s) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// asciiEqualFold reports whether s equals the lower-case ASCII word t,
// ignoring case.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}

// headerValue is h.Get(key) for a key already in canonical form, without
// the canonicalization Get does on every call.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
