package fetcher

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as the "result" object of the output contract (what
// MarshalJSON encodes, field for field) without HTML escaping: a URL keeps
// its & < and >. It is the command's hot path for --json lines and crawl
// records, so it builds the object by hand instead of through reflection;
// TestAppendJSONMatchesEncoder and FuzzAppendJSON hold it to
// encoding/json's output.
func (r *Result) AppendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, r.Type)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, r.OK())
	b = append(b, `,"url":`...)
	b = appendJSONString(b, r.URL)
	b = append(b, `,"final_url":`...)
	b = appendJSONString(b, r.FinalURL)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, r.Mode.String())
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	b = append(b, `,"wire_bytes":`...)
	b = strconv.AppendInt(b, r.WireBytes, 10)
	b = append(b, `,"content_type":`...)
	b = appendJSONString(b, r.ContentType)
	b = append(b, `,"redirects":`...)
	b = strconv.AppendInt(b, int64(r.Redirects), 10)
	b = append(b, `,"retries":`...)
	b = strconv.AppendInt(b, int64(r.Retries), 10)
	b = append(b, `,"remote_addr":`...)
	b = appendJSONString(b, r.RemoteAddr)
	b = append(b, `,"timings_ms":`...)
	b = r.Timings.appendJSON(b)
	if r.Proto != "" {
		b = append(b, `,"proto":`...)
		b = appendJSONString(b, r.Proto)
	}
	b = append(b, `,"error":`...)
	if r.Error == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *r.Error)
	}
	b = append(b, `,"error_kind":`...)
	if r.ErrorKind == KindNone {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, r.ErrorKind.String())
	}
	b = appendJSONField(b, "sha256", r.SHA256)
	b = appendJSONField(b, "saved_as", r.SavedAs)
	b = appendJSONField(b, "label", r.Label)
	if len(r.Headers) > 0 {
		b = append(b, `,"headers":`...)
		b = appendJSONHeader(b, r.Headers)
	}
	b = appendJSONField(b, "proxy", r.Proxy)
	if c := r.CrawlInfo; c != nil {
		b = append(b, `,"depth":`...)
		b = strconv.AppendInt(b, int64(c.Depth), 10)
		b = appendJSONField(b, "parent", c.Parent)
		b = append(b, `,"links":`...)
		b = strconv.AppendInt(b, int64(c.Links), 10)
	}
	return append(b, '}')
}

// appendJSONField appends ,"name":"s" unless s is empty (omitempty).
func appendJSONField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, s)
}

// appendJSONHeader appends h as encoding/json does a map of string
// slices: keys sorted, a nil slice as null.
func appendJSONHeader(b []byte, h http.Header) []byte {
	keys := slices.Sorted(maps.Keys(h))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string the way encoding/json does
// with HTML escaping off: quotes, backslashes and control characters
// escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 as \u escapes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
