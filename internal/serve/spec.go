package serve

import (
	"errors"
	"fmt"
	"golang.org/x/net/http/httpguts"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultSize is the body size of a path without a size option.
const DefaultSize = 1024

// Bounds a path may ask for, whatever the server's Options say. The Options
// caps (MaxSize, MaxDelay) are checked by the handler on top of these.
const (
	// maxSizeValue keeps size arithmetic far from int64 overflow.
	maxSizeValue = 1 << 50 // 1 PiB
	// maxRedirects bounds a redirect/N chain.
	maxRedirects = 1000
	// maxPieces bounds pieces/N: each piece costs a timer wait and a flush.
	maxPieces = 100000
	// defaultMaxPieces is the number of drip pieces when pieces/N is absent
	// (fewer when the body has fewer bytes).
	defaultMaxPieces = 100
	// maxHeaders bounds the header/H options of one path.
	maxHeaders = 16
	// maxSegment bounds one path segment (after unescaping).
	maxSegment = 4096
)

// Spec is the response a path asks for. ParsePath turns a path into a
// Spec and Spec.Path turns it back; the zero Spec asks for an empty 200.
type Spec struct {
	// Delay is the wait before the response head (delay/D).
	Delay time.Duration
	// Size is the body length in bytes before compression (size/N).
	// A path without size/ asks for DefaultSize bytes.
	Size int64
	// Status is the final status code (status/N). Zero means 200.
	Status int
	// Type is the Content-Type (type/T). Empty means
	// "text/plain; charset=utf-8".
	Type string
	// Chunked forces chunked transfer encoding (chunked).
	Chunked bool
	// EOF ends the body by closing the connection: no Content-Length,
	// no chunking (eof). Chunked and EOF exclude each other.
	EOF bool
	// Gzip compresses the body when the client accepts gzip (gzip).
	Gzip bool
	// Close asks the server to close the connection after the response
	// (close).
	Close bool
	// Drip spreads the body over this duration after the head (drip/D).
	Drip time.Duration
	// Pieces is the number of drip pieces (pieces/N). Zero means
	// min(Size, 100).
	Pieces int
	// Redirect is the number of redirects left in a chain (redirect/N).
	Redirect int
	// RedirectTo is the target of a single redirect (redirect-to/U).
	// Redirect and RedirectTo exclude each other.
	RedirectTo string
	// RedirectCode is the status of redirects (redirect-code/C): 301, 302,
	// 303, 307 or 308. Zero means 302.
	RedirectCode int
	// Headers are extra response headers, each "Name: value" (header/H).
	Headers []string
}

// parsed is a Spec plus where its redirect count sits in the raw path, so
// that the next hop of a chain rewrites only that segment.
type parsed struct {
	Spec
	redirectAt, redirectEnd int // byte range of redirect/N's N in the raw path; 0, 0 if absent
}

// errPath is the error of every path the grammar rejects.
var errPath = errors.New("bad path")

// pathError says what is wrong with which segment of a path.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string { return fmt.Sprintf("bad path %q: %s", e.path, e.msg) }
func (e *pathError) Unwrap() error { return errPath }

// ParsePath parses an escaped request path (as url.URL.EscapedPath gives
// it) into a Spec. Options are segments in any order, each at most once
// (header may repeat); empty segments are skipped; values are unescaped
// with url.PathUnescape. A path with no option asks for DefaultSize bytes
// with status 200. The error says which segment is wrong and why.
func ParsePath(path string) (Spec, error) {
	p, err := parsePath(path)
	return p.Spec, err
}

func parsePath(path string) (parsed, error) {
	var p parsed
	p.Size = DefaultSize
	bad := func(format string, args ...any) (parsed, error) {
		return parsed{}, &pathError{path: path, msg: fmt.Sprintf(format, args...)}
	}
	var seen uint32 // bit i: options[i] given
	i := 0
	// next returns the next non-empty segment, unescaped, and its byte range.
	next := func() (seg string, start, end int, ok bool, err error) {
		for i < len(path) {
			j := strings.IndexByte(path[i:], '/')
			if j < 0 {
				j = len(path) - i
			}
			start, end = i, i+j
			i = end + 1
			if start == end {
				continue
			}
			raw := path[start:end]
			if len(raw) > 3*maxSegment {
				return "", 0, 0, false, fmt.Errorf("segment longer than %d bytes", maxSegment)
			}
			s := raw
			if strings.IndexByte(raw, '%') >= 0 {
				var uerr error
				if s, uerr = url.PathUnescape(raw); uerr != nil {
					return "", 0, 0, false, fmt.Errorf("segment %q: bad escape", raw)
				}
			}
			if len(s) > maxSegment {
				return "", 0, 0, false, fmt.Errorf("segment longer than %d bytes", maxSegment)
			}
			return s, start, end, true, nil
		}
		return "", 0, 0, false, nil
	}
	for {
		key, _, _, ok, err := next()
		if err != nil {
			return bad("%v", err)
		}
		if !ok {
			break
		}
		opt := lookupOption(key)
		if opt < 0 {
			return bad("unknown option %q (GET / lists the options)", key)
		}
		if seen&(1<<opt) != 0 && key != "header" {
			return bad("option %s given twice", key)
		}
		seen |= 1 << opt
		if !options[opt].value {
			switch key {
			case "chunked":
				p.Chunked = true
			case "eof":
				p.EOF = true
			case "gzip":
				p.Gzip = true
			case "close":
				p.Close = true
			}
			continue
		}
		v, vs, ve, ok, err := next()
		if err != nil {
			return bad("%v", err)
		}
		if !ok {
			return bad("option %s needs a value, as in %s", key, optionExample[key])
		}
		switch key {
		case "delay", "drip":
			d, err := parseDuration(v)
			if err != nil {
				return bad("%s %q: %v", key, v, err)
			}
			if key == "delay" {
				p.Delay = d
			} else {
				p.Drip = d
			}
		case "size":
			n, err := ParseSize(v)
			if err != nil {
				return bad("size %q: %v", v, err)
			}
			p.Size = n
		case "status":
			n, err := parseInt(v, 200, 599)
			if err != nil {
				return bad("status %q: %v", v, err)
			}
			p.Status = n
		case "pieces":
			n, err := parseInt(v, 1, maxPieces)
			if err != nil {
				return bad("pieces %q: %v", v, err)
			}
			p.Pieces = n
		case "redirect":
			n, err := parseInt(v, 0, maxRedirects)
			if err != nil {
				return bad("redirect %q: %v", v, err)
			}
			p.Redirect = n
			p.redirectAt, p.redirectEnd = vs, ve
		case "redirect-code":
			n, err := strconv.Atoi(v)
			if err != nil || !isRedirectCode(n) {
				return bad("redirect-code %q: want 301, 302, 303, 307 or 308", v)
			}
			p.RedirectCode = n
		case "redirect-to":
			if hasCTL(v) {
				return bad("redirect-to %q: control characters are not allowed", v)
			}
			p.RedirectTo = v
		case "type":
			if hasCTL(v) {
				return bad("type %q: control characters are not allowed", v)
			}
			p.Type = v
		case "header":
			if len(p.Headers) == maxHeaders {
				return bad("more than %d header options", maxHeaders)
			}
			if err := checkHeader(v); err != nil {
				return bad("header %q: %v", v, err)
			}
			p.Headers = append(p.Headers, v)
		}
	}
	if p.Chunked && p.EOF {
		return bad("chunked and eof exclude each other")
	}
	if seen&(1<<lookupOption("redirect")) != 0 && seen&(1<<lookupOption("redirect-to")) != 0 {
		return bad("redirect and redirect-to exclude each other")
	}
	return p, nil
}

// options are the option names of a path and whether a value segment
// follows each.
var options = [...]struct {
	name  string
	value bool
}{
	{"delay", true}, {"size", true}, {"status", true}, {"type", true},
	{"chunked", false}, {"eof", false}, {"gzip", false}, {"close", false},
	{"drip", true}, {"pieces", true},
	{"redirect", true}, {"redirect-to", true}, {"redirect-code", true},
	{"header", true},
}

// lookupOption returns the index of name in options, or -1.
func lookupOption(name string) int {
	for i, o := range options {
		if o.name == name {
			return i
		}
	}
	return -1
}

var optionExample = map[string]string{
	"delay": "delay/500ms", "size": "size/16KiB", "status": "status/404",
	"type": "type/text%2Fhtml", "drip": "drip/2s", "pieces": "pieces/10",
	"redirect": "redirect/3", "redirect-to": "redirect-to/%2Fsize%2F5",
	"redirect-code": "redirect-code/301", "header": "header/Retry-After:2",
}

func isRedirectCode(n int) bool {
	switch n {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// framingHeaders are set by the server from chunked, eof and size; a
// header option may not fight them.
var framingHeaders = []string{"content-length", "transfer-encoding"}

// checkHeader checks a "Name: value" header option.
func checkHeader(h string) error {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return errors.New(`want "Name: value"`)
	}
	if name == "" {
		return errors.New("empty header name")
	}
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("header name %q has a character not allowed in a token (RFC 9110 5.1)", name)
	}
	for _, f := range framingHeaders {
		if strings.EqualFold(name, f) {
			return fmt.Errorf("%s is set by the server (use size, chunked or eof)", name)
		}
	}
	if hasCTL(value) {
		return errors.New("control characters are not allowed")
	}
	return nil
}

// parseInt parses a plain decimal integer in [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// parseDuration parses a Go duration (250ms, 1.5s) or plain milliseconds
// (250). Negative durations are rejected.
func parseDuration(s string) (time.Duration, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		if len(s) > 12 {
			return 0, errors.New("too long")
		}
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a Go duration (250ms, 1.5s) or milliseconds (250)")
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}

// sizeUnits are the units ParseSize accepts, matched case-insensitively.
var sizeUnits = []struct {
	name string
	mult int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// ParseSize parses a byte count: plain digits, or digits and a unit, as in
// 512, 512B, 16KiB, 10MB, 1GiB. KB, MB, GB, TB are powers of 1000; KiB,
// MiB, GiB, TiB powers of 1024; units are case-insensitive. Sizes above
// 1 PiB are rejected.
func ParseSize(s string) (int64, error) {
	digits := s
	var mult int64 = 1
	lower := strings.ToLower(s)
	for _, u := range sizeUnits {
		if strings.HasSuffix(lower, u.name) {
			digits, mult = s[:len(s)-len(u.name)], u.mult
			break
		}
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, errors.New("want a byte count such as 512, 16KiB, 10MB or 1GiB")
	}
	if len(digits) > 16 {
		return 0, errors.New("larger than 1PiB")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errors.New("want a byte count such as 512, 16KiB, 10MB or 1GiB")
	}
	if n > maxSizeValue/mult {
		return 0, errors.New("larger than 1PiB")
	}
	return n * mult, nil
}

// FormatSize formats n the way ParseSize reads it back, with the largest
// binary unit that divides it exactly: 5, 16KiB, 1GiB.
func FormatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<40) == 0:
		return strconv.FormatInt(n>>40, 10) + "TiB"
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration formats d as ParsePath reads it back: Go's form, escaped
// (1µs has a non-ASCII µ).
func formatDuration(d time.Duration) string {
	return url.PathEscape(d.String())
}

// Path returns the escaped path that asks for sp; ParsePath(sp.Path())
// gives sp back. Options come in a fixed order and size is always present.
func (sp Spec) Path() string {
	var b strings.Builder
	b.Grow(64)
	if sp.Delay > 0 {
		b.WriteString("/delay/" + formatDuration(sp.Delay))
	}
	b.WriteString("/size/" + FormatSize(sp.Size))
	if sp.Status != 0 {
		b.WriteString("/status/" + strconv.Itoa(sp.Status))
	}
	if sp.Chunked {
		b.WriteString("/chunked")
	}
	if sp.EOF {
		b.WriteString("/eof")
	}
	if sp.Gzip {
		b.WriteString("/gzip")
	}
	if sp.Close {
		b.WriteString("/close")
	}
	if sp.Drip > 0 {
		b.WriteString("/drip/" + formatDuration(sp.Drip))
	}
	if sp.Pieces != 0 {
		b.WriteString("/pieces/" + strconv.Itoa(sp.Pieces))
	}
	if sp.Redirect > 0 {
		b.WriteString("/redirect/" + strconv.Itoa(sp.Redirect))
	}
	if sp.RedirectTo != "" {
		b.WriteString("/redirect-to/" + url.PathEscape(sp.RedirectTo))
	}
	if sp.RedirectCode != 0 {
		b.WriteString("/redirect-code/" + strconv.Itoa(sp.RedirectCode))
	}
	if sp.Type != "" {
		b.WriteString("/type/" + url.PathEscape(sp.Type))
	}
	for _, h := range sp.Headers {
		b.WriteString("/header/" + url.PathEscape(h))
	}
	return b.String()
}

// URL returns base (such as Server.URL()) joined with sp.Path(). A
// trailing slash of base is dropped.
func (sp Spec) URL(base string) string {
	return strings.TrimSuffix(base, "/") + sp.Path()
}

// URLFor returns the URL of a response from base (such as Server.URL())
// that waits delay and then sends size bytes, for example
// URLFor("http://127.0.0.1:8080", 500*time.Millisecond, 16<<10) is
// "http://127.0.0.1:8080/delay/500ms/size/16KiB".
func URLFor(base string, delay time.Duration, size int64) string {
	return Spec{Delay: delay, Size: size}.URL(base)
}
