package cookies

import (
	"fmt"
	"strings"
)

// Pair is one name=value of a Cookie field.
type Pair struct {
	Name, Value string
}

// StringError is a -b/--cookie string that does not parse.
type StringError struct {
	Text string // the whole string, as given
	Part string // the part at fault
	Msg  string
}

func (e *StringError) Error() string {
	return fmt.Sprintf("cookie string %q: %q %s", e.Text, e.Part, e.Msg)
}

// IsString reports whether a -b/--cookie argument is a cookie string
// rather than a file name: curl's rule, it holds an '='.
func IsString(arg string) bool { return strings.IndexByte(arg, '=') >= 0 }

// ParseString parses a -b/--cookie string, "name=value; name2=value2" as a
// Cookie field holds it (RFC 6265 §4.2.1): parts separated by ';' and
// optional white space, each a token name, '=', and a value of
// cookie-octets, optionally in double quotes, or empty. Empty parts (a
// trailing ';') are skipped. The error names the part that does not
// parse.
func ParseString(s string) ([]Pair, error) {
	var out []Pair
	for _, part := range strings.Split(s, ";") {
		p := strings.TrimSpace(part)
		if p == "" {
			continue
		}
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			return nil, &StringError{Text: s, Part: p, Msg: "is not name=value"}
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		if name == "" {
			return nil, &StringError{Text: s, Part: p, Msg: "has no name before '='"}
		}
		for i := 0; i < len(name); i++ {
			if !isTokenChar(name[i]) {
				return nil, &StringError{Text: s, Part: p, Msg: fmt.Sprintf("has %q in its name, which a cookie name cannot hold", name[i])}
			}
		}
		v := value
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		for i := 0; i < len(v); i++ {
			if !isCookieOctet(v[i]) {
				return nil, &StringError{Text: s, Part: p, Msg: fmt.Sprintf("has %q in its value, which a cookie value cannot hold", v[i])}
			}
		}
		out = append(out, Pair{Name: name, Value: value})
	}
	if len(out) == 0 {
		return nil, &StringError{Text: s, Part: s, Msg: "holds no name=value"}
	}
	return out, nil
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isCookieOctet is RFC 6265's cookie-octet.
func isCookieOctet(c byte) bool {
	return c == 0x21 || (0x23 <= c && c <= 0x2b) || (0x2d <= c && c <= 0x3a) || (0x3c <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e)
}
