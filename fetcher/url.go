package fetcher

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// maxShownInput bounds how much of a refused input line an error repeats.
const maxShownInput = 256

// ParseURL reads an input line as the URL to fetch: the one parser and
// validator of URLs, which the command and the engines share. White space
// around the URL is ignored; inside it, white space or control bytes make
// it invalid. A line without a scheme gets http:// ("example.org:8080/x"
// is a host and port; "mailto:x" has a scheme). The URL must be http or
// https (KindUnsupportedScheme otherwise), name a host, and have a port
// from 1 to 65535 if any (KindInvalidURL otherwise).
//
// The *Error's URL is the line as shown in results (trimmed, http://
// added, password masked, cut after 256 bytes); its message says what is
// wrong.
func ParseURL(line string) (*url.URL, *Error) {
	u, _, err := parseURL(line)
	return u, err
}

// ParseJob reads job.URL as ParseURL does and returns job with what it
// read attached, so that the fetch of job does not read it again (unless
// URL is changed meanwhile); or the error ParseURL gives. A caller that checks its input before handing it
// to Run (as the fetch command does, to report a bad line at once) parses
// each URL once this way instead of twice.
func ParseJob(job Job) (Job, *Error) {
	u, shown, err := parseURL(job.URL)
	if err != nil {
		return job, err
	}
	job.parsed, job.shown, job.from = u, shown, job.URL
	return job, nil
}

// InvalidInput returns the KindInvalidURL error of an input line refused
// before ParseURL could read it (a line too long to read whole, say), with
// reason as its message.
func InvalidInput(line, reason string) *Error {
	return &Error{Kind: KindInvalidURL, URL: shownInput(line), Err: errors.New(reason)}
}

// parseURL is ParseURL that also returns the URL as results show it: the
// trimmed line, with http:// added when it had no scheme.
func parseURL(line string) (*url.URL, string, *Error) {
	s := strings.TrimSpace(line)
	if !strings.Contains(s, "://") && !hasScheme(s) {
		s = "http://" + s
	}
	fail := func(kind ErrorKind, err error) (*url.URL, string, *Error) {
		return nil, s, &Error{Kind: kind, URL: shownInput(s), Err: err}
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b == 0x7f {
			if b == ' ' || b == '\t' {
				return fail(KindInvalidURL, errors.New("white space inside the URL"))
			}
			return fail(KindInvalidURL, fmt.Errorf("control byte %#02x inside the URL", b))
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which the Error names (masked)
		}
		return fail(KindInvalidURL, err)
	}
	if e := checkURL(u, s); e != nil {
		e.URL = shownInput(s)
		return nil, s, e
	}
	return u, s, nil
}

// shownInput is an input line as an error shows it: password masked, cut
// after maxShownInput bytes.
func shownInput(s string) string {
	s = MaskURL(s)
	if len(s) > maxShownInput {
		s = s[:maxShownInput] + "…"
	}
	return s
}

// hasScheme reports whether s starts with "scheme:" followed by something
// other than a port number: "mailto:a@b" has one, "localhost:8080/" not.
func hasScheme(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i+1 >= len(s) || ('0' <= s[i+1] && s[i+1] <= '9') {
		return false
	}
	for j := 0; j < i; j++ {
		b := s[j]
		alpha := 'a' <= b|0x20 && b|0x20 <= 'z'
		if !alpha && (j == 0 || !('0' <= b && b <= '9' || b == '+' || b == '-' || b == '.')) {
			return false
		}
	}
	return true
}

// checkURL checks that u can be fetched: http or https, a host, a port
// that is a number, a request target without spaces or controls. raw is
// the URL the error names. It lowercases u's scheme.
func checkURL(u *url.URL, raw string) *Error {
	u.Scheme = strings.ToLower(u.Scheme)
	bad := func(kind ErrorKind, err error) *Error {
		return &Error{Kind: kind, URL: MaskURL(raw), Err: err}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad(KindUnsupportedScheme, fmt.Errorf("scheme %q not supported (http or https)", u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return bad(KindInvalidURL, errNoHost)
	}
	if p := u.Port(); p != "" {
		if n, err := parsePort(p); err != nil || n == 0 {
			return bad(KindInvalidURL, fmt.Errorf("port %q is not a number from 1 to 65535", p))
		}
	}
	for _, b := range []byte(u.RequestURI()) {
		if b <= ' ' || b == 0x7f {
			return bad(KindInvalidURL, fmt.Errorf("request target %q has spaces or control bytes", u.RequestURI()))
		}
	}
	if _, err := asciiHost(u.Hostname()); err != nil {
		return bad(KindInvalidURL, err)
	}
	return nil
}

func parsePort(p string) (int, error) {
	n := 0
	if p == "" || len(p) > 5 {
		return 0, errBadPort
	}
	for _, b := range []byte(p) {
		if b < '0' || b > '9' {
			return 0, errBadPort
		}
		n = n*10 + int(b-'0')
	}
	if n > 65535 {
		return 0, errBadPort
	}
	return n, nil
}

// asciiHost returns host in the form that goes on the wire: IP literals
// as they are, names lowercased and converted to punycode.
func asciiHost(host string) (string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			a, err := idna.Lookup.ToASCII(host)
			if err != nil {
				return "", fmt.Errorf("host %q is not a valid name: %v", host, err)
			}
			return a, nil
		}
	}
	return strings.ToLower(host), nil
}

// hostPort returns the lowercase host (punycode) and the port of u, with
// the scheme's default port when u has none.
func hostPort(u *url.URL) (host, port string) {
	host, _ = asciiHost(u.Hostname())
	port = u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return host, port
}

// hostPortKey returns net.JoinHostPort(host, port) for the host and port
// hostPort gave for u: u.Host itself when it is spelled so (no allocation,
// the common case of a URL with its port), a new string otherwise.
func hostPortKey(u *url.URL, host, port string) string {
	h := u.Host
	if strings.IndexByte(host, ':') < 0 {
		if len(h) == len(host)+1+len(port) && h[:len(host)] == host && h[len(host)] == ':' && h[len(host)+1:] == port {
			return h
		}
	} else if len(h) == len(host)+3+len(port) && h[0] == '[' && h[1:1+len(host)] == host && h[1+len(host):3+len(host)] == "]:" && h[3+len(host):] == port {
		return h
	}
	return net.JoinHostPort(host, port)
}

// hostHeader returns the Host header for u.
func hostHeader(u *url.URL) string {
	h, _ := asciiHost(u.Hostname())
	if strings.IndexByte(h, ':') < 0 && strings.HasPrefix(u.Host, h) {
		// u.Host is already the header when it is spelled as it would
		// be built (no allocation).
		if rest := u.Host[len(h):]; rest == "" && u.Port() == "" || len(rest) > 1 && rest[0] == ':' && rest[1:] == u.Port() {
			return u.Host
		}
	}
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if p := u.Port(); p != "" {
		h += ":" + p
	}
	return h
}

// MaskURL returns s with the password of every URL in it replaced by ***:
// "https://user:secret@host/" becomes "https://user:***@host/". s may be
// a URL, a URL without its scheme as ParseURL reads one ("user:12@host/";
// "user:pw@host" is the scheme "user" there), or any text holding URLs
// (an error message). Every URL and message fetcher produces
// (Result.URL, FinalURL, Error, saved file names) is masked so.
func MaskURL(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s // the common case: nothing to mask, no allocation
	}
	var b strings.Builder
	last := 0 // s[:last] is copied to b
	mask := func(start int) {
		// The authority runs from start to the first '/', '?', '#',
		// white space or quote; its userinfo ends at its last '@'.
		end := start
		for end < len(s) && !strings.ContainsRune("/?#\"'<> \t\r\n", rune(s[end])) {
			end++
		}
		at := strings.LastIndexByte(s[start:end], '@')
		if at < 0 {
			return
		}
		colon := strings.IndexByte(s[start:start+at], ':')
		if colon < 0 || s[start+colon+1:start+at] == "***" {
			return
		}
		b.WriteString(s[last : start+colon+1])
		b.WriteString("***")
		last = start + at
	}
	if !strings.Contains(s, "://") && !hasScheme(s) {
		mask(0) // a URL without its scheme, as ParseURL reads one
	}
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		mask(i + j + 3)
		i += j + 3
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
