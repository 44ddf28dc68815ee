package crawl

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Normalize returns the canonical spelling of an absolute http or https
// URL, the one the visited set hashes: scheme and host in lower case, the
// default port (80, 443) and an empty port dropped, dot segments removed,
// an empty path made "/", percent-encoding normalized (escapes of
// unreserved characters decoded, other escapes in upper case, bytes that
// must be escaped escaped) and the fragment dropped. The query is kept as
// it is apart from its percent-encoding: its order may matter to the server.
func Normalize(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errors.New("not an http or https URL: " + u.Redacted())
	}
	host := strings.ToLower(u.Host)
	if host == "" {
		return "", errors.New("no host in URL: " + u.Redacted())
	}
	if h, port, err := net.SplitHostPort(host); err == nil {
		if port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	} else {
		host = strings.TrimSuffix(host, ":")
	}
	if host == "" || strings.HasPrefix(host, ":") {
		return "", errors.New("no host in URL: " + u.Redacted())
	}
	var b strings.Builder
	b.Grow(len(u.Scheme) + len(host) + len(u.RawPath) + len(u.Path) + len(u.RawQuery) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(host)
	// Percent-encoding first, then dot segments (RFC 3986 6.2.2): "%2e"
	// is a dot segment once decoded (FuzzNormalize found "/%2e").
	p := removeDotSegments(normalizeEscapes(u.EscapedPath(), false))
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	b.WriteString(p)
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(normalizeEscapes(u.RawQuery, true))
	}
	return b.String(), nil
}

// removeDotSegments is RFC 3986 5.2.4 on an escaped path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// keepLiteral reports whether c may stay unescaped in a path (or a query).
func keepLiteral(c byte, query bool) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/':
		return true
	case '?':
		return query
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperHex = "0123456789ABCDEF"

// normalizeEscapes decodes escapes of unreserved characters, upper-cases
// the others, escapes bytes that may not appear literally, and escapes a
// '%' that starts no valid escape.
func normalizeEscapes(s string, query bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || !keepLiteral(c, query) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 < len(s) {
				hi, ok1 := unhex(s[i+1])
				lo, ok2 := unhex(s[i+2])
				if ok1 && ok2 {
					v := hi<<4 | lo
					if isUnreserved(v) {
						b.WriteByte(v)
					} else {
						b.WriteByte('%')
						b.WriteByte(upperHex[v>>4])
						b.WriteByte(upperHex[v&15])
					}
					i += 2
					continue
				}
			}
			b.WriteString("%25")
			continue
		}
		if keepLiteral(c, query) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// Hash returns the 64-bit key of a normalized URL in the visited set:
// FNV-1a with a final avalanche, stable across processes and machines (a
// shared frontier hashes the same way). It is never 0.
func Hash(normalized string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(normalized); i++ {
		h ^= uint64(normalized[i])
		h *= 1099511628211
	}
	// splitmix64's finalizer spreads FNV's weak low bits over the word.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	if h == 0 {
		h = 1
	}
	return h
}
