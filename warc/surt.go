package warc

import (
	"net/url"
	"sort"
	"strings"
)

// SURT returns the urlkey of a URL in a CDXJ index (Sort-friendly URI
// Reordering Transform), as warcio.js and pywb compute it: for http and
// https URLs, a leading "www." (or "www2." and the like) dropped, all of it
// lower-cased, the host's labels reversed and joined by commas, a port
// other than the scheme's default, ")", the path, and the query's
// parameters sorted; the scheme and fragment are left out.
// "https://www.Example.com:8443/a/b?z=1&a=2#top" becomes
// "com,example:8443)/a/b?a=2&z=1". Other URLs, and those that do not
// parse, are returned unchanged.
func SURT(rawURL string) string {
	if !strings.HasPrefix(rawURL, "http:") && !strings.HasPrefix(rawURL, "https:") {
		return rawURL
	}
	s := stripWWW(rawURL)
	s = strings.ToLower(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return rawURL
	}
	host, port := u.Hostname(), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	var b strings.Builder
	b.Grow(len(s))
	if strings.Contains(host, ":") { // IPv6: the URL standard keeps the brackets
		b.WriteString("[" + host + "]")
	} else {
		labels := strings.Split(host, ".")
		for i := len(labels) - 1; i >= 0; i-- {
			b.WriteString(labels[i])
			if i > 0 {
				b.WriteByte(',')
			}
		}
	}
	if port != "" {
		b.WriteString(":" + port)
	}
	b.WriteByte(')')
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	b.WriteString(removeDotSegments(p))
	if u.RawQuery != "" {
		args := strings.Split(u.RawQuery, "&")
		sort.Strings(args)
		b.WriteByte('?')
		b.WriteString(strings.Join(args, "&"))
	}
	return b.String()
}

// stripWWW drops "www." or "www" and digits and "." right after the
// scheme's "//", as warcio.js's /^(https?:\/\/)www\d*\./ does.
func stripWWW(s string) string {
	i := strings.Index(s, "//")
	if i < 0 || !strings.HasPrefix(s[i+2:], "www") {
		return s
	}
	j := i + 2 + 3
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j < len(s) && s[j] == '.' {
		return s[:i+2] + s[j+1:]
	}
	return s
}

// removeDotSegments resolves "." and ".." segments of an absolute path
// (RFC 3986 section 5.2.4), as the URL standard does when parsing.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(seg) {
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}
