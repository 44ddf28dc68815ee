package fetcher

import (
	"bufio"
	"io"
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// plainHead parses the response head waiting in br's buffer when it is of
// the plain kind most servers send — HTTP/1.1, a status of 200 to 599
// that has a body (not 204 or 304), a Content-Length, no
// Transfer-Encoding, Connection, Trailer or Pragma header beyond
// "Connection: keep-alive", CRLF line ends, printable ASCII, the answer
// to a GET — and returns what http.ReadResponse would return for it, with
// 6 allocations instead of 14 for nginx's head (one string holds the
// whole head; names and values are slices of it; BenchmarkPlainHead).
// Anything else, or a head not wholly buffered, gives false and leaves br
// untouched: the caller reads it with http.ReadResponse. FuzzPlainHead
// holds the two to the same result, field by field and byte by byte of
// the body.
func plainHead(br *bufio.Reader, req *http.Request) (*http.Response, bool) {
	if req.Method != "GET" { // HEAD and CONNECT answers have no body
		return nil, false
	}
	buf, _ := br.Peek(br.Buffered())
	// The status line: "HTTP/1.1 DDD" and an optional " reason".
	const statusAt = len("HTTP/1.1 ")
	if len(buf) < statusAt+5 || string(buf[:statusAt]) != "HTTP/1.1 " {
		return nil, false
	}
	d0, d1, d2 := buf[statusAt], buf[statusAt+1], buf[statusAt+2]
	if d0 < '2' || d0 > '5' || !isDigit(d1) || !isDigit(d2) {
		return nil, false
	}
	code := int(d0-'0')*100 + int(d1-'0')*10 + int(d2-'0')
	if code == 204 || code == 304 {
		return nil, false
	}
	eol := lineEnd(buf, statusAt+3)
	if eol < 0 || eol > statusAt+3 && buf[statusAt+3] != ' ' {
		return nil, false
	}
	// The header lines, checked and counted before anything is made.
	n := 0
	at := eol + 2
	for {
		if at+1 >= len(buf) {
			return nil, false // not wholly buffered
		}
		if buf[at] == '\r' {
			if buf[at+1] != '\n' {
				return nil, false
			}
			break // the empty line: the end of the head
		}
		colon := at
		for colon < len(buf) && httpguts.IsTokenRune(rune(buf[colon])) {
			colon++
		}
		if colon == at || colon == len(buf) || buf[colon] != ':' {
			return nil, false
		}
		end := lineEnd(buf, colon+1)
		if end < 0 {
			return nil, false
		}
		n++
		at = end + 2
	}
	head := string(buf[:at]) // the one copy: every string below is a slice of it
	h := make(http.Header, n)
	vals := make([]string, n)
	contentLength := int64(-1)
	line := head[eol+2:]
	for i := range vals {
		// Checked above: "name:value\r\n", the name a token.
		colon := strings.IndexByte(line, ':')
		end := colon + strings.IndexByte(line[colon:], '\r')
		name := line[:colon]
		if !isCanonicalKey(name) {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		value := textproto.TrimString(line[colon+1 : end]) // spaces and tabs: no CR or LF is left
		line = line[end+2:]
		switch name {
		case "Transfer-Encoding", "Trailer", "Pragma":
			return nil, false
		case "Connection":
			if !strings.EqualFold(value, "keep-alive") {
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
		vals[i] = value
		if old, ok := h[name]; ok {
			h[name] = append(old, value)
		} else {
			h[name] = vals[i : i+1 : i+1]
		}
	}
	if contentLength < 0 {
		return nil, false
	}
	br.Discard(at + 2)
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

// lineEnd returns the index of the CRLF that ends the line of b going on
// at from, when every byte up to it is printable; else -1.
func lineEnd(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				return i
			}
			return -1
		}
		if (c < ' ' && c != '\t') || c > '~' {
			return -1
		}
	}
	return -1
}

// isCanonicalKey reports whether the header name s is in the form
// textproto.CanonicalMIMEHeaderKey gives: upper case first and after each
// hyphen, lower case elsewhere.
func isCanonicalKey(s string) bool {
	upper := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// lengthBody is a body of a known length on a connection's reader, read
// as net/http's body reads one: io.EOF with the last bytes when they come
// without an error, io.ErrUnexpectedEOF when the connection ends first,
// and io.EOF from then on.
type lengthBody struct {
	r      *bufio.Reader
	left   int64
	sawEOF bool
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.sawEOF || b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		b.sawEOF = true
		if b.left > 0 {
			err = io.ErrUnexpectedEOF
		}
	}
	if err == nil && n > 0 && b.left == 0 {
		err = io.EOF
		b.sawEOF = true
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

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

// headerValue is h.Get(key) for a key already in canonical form, without
// the canonicalization Get does on every call.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
