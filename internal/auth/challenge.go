package auth

import (
	"fmt"
	"strings"
)

// Limits of ParseChallenges, against hostile headers.
const (
	maxChallenges = 32 // in all the fields of one response
	maxParams     = 32 // in one challenge
)

// Challenge is one challenge of a WWW-Authenticate (or
// Proxy-Authenticate) header (RFC 9110 §11.6.1): a scheme and either
// parameters or a token68.
type Challenge struct {
	Scheme  string            // as sent: compare with Is
	Params  map[string]string // names lowercased, values unquoted; nil with a token68
	Token68 string
}

// Is reports whether the challenge's scheme is scheme, ignoring case.
func (c Challenge) Is(scheme string) bool { return strings.EqualFold(c.Scheme, scheme) }

// SyntaxError is a header field that does not parse as challenges.
type SyntaxError struct {
	Field string // the field, as received
	Pos   int    // the byte of Field where parsing stopped
	Msg   string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed WWW-Authenticate %q at byte %d: %s", e.Field, e.Pos, e.Msg)
}

// ParseChallenges parses the values of the WWW-Authenticate fields of a
// response, each a comma-separated list of challenges, as RFC 9110
// §11.6.1 writes them:
//
//	challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param = token BWS "=" BWS ( token / quoted-string )
//
// Scheme and parameter names are case-insensitive; quoted-strings have
// their backslash escapes undone. A field that does not parse stops at
// the fault: the challenges before it (and those of the other fields) are
// returned with a *SyntaxError for the first bad field, so that one odd
// challenge of another scheme does not hide a good Digest one. A
// parameter named twice in one challenge makes that challenge an error.
// At most 32 challenges, of at most 32 parameters each, are read.
func ParseChallenges(fields ...string) ([]Challenge, error) {
	var out []Challenge
	var first error
	for _, f := range fields {
		p := challengeParser{s: f}
		cs, err := p.parse(maxChallenges - len(out))
		out = append(out, cs...)
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

type challengeParser struct {
	s   string
	pos int
}

func (p *challengeParser) errorf(format string, args ...any) error {
	return &SyntaxError{Field: p.s, Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func (p *challengeParser) skipWS() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// skipCommas passes list separators and the empty elements RFC 9110 §5.6.1
// tells recipients to accept.
func (p *challengeParser) skipCommas() {
	for p.pos < len(p.s) && (p.s[p.pos] == ',' || p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *challengeParser) token() string {
	start := p.pos
	for p.pos < len(p.s) && isTchar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// atListEnd reports whether only white space stands before the next comma
// or the end.
func (p *challengeParser) atListEnd() bool {
	i := p.pos
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	return i == len(p.s) || p.s[i] == ','
}

func (p *challengeParser) parse(room int) ([]Challenge, error) {
	var out []Challenge
	p.skipCommas()
	for p.pos < len(p.s) {
		if len(out) >= room {
			return out, nil
		}
		scheme := p.token()
		if scheme == "" {
			return out, p.errorf("want an auth-scheme, got %q", p.s[p.pos])
		}
		c := Challenge{Scheme: scheme}
		if p.atListEnd() {
			out = append(out, c)
			p.skipCommas()
			continue
		}
		if p.s[p.pos] != ' ' && p.s[p.pos] != '\t' {
			return out, p.errorf("want a space after the auth-scheme %q", scheme)
		}
		p.skipWS()
		// token68: its characters, then any '=', then the list's end.
		start := p.pos
		for p.pos < len(p.s) && isToken68(p.s[p.pos]) {
			p.pos++
		}
		if p.pos > start {
			for p.pos < len(p.s) && p.s[p.pos] == '=' {
				p.pos++
			}
			if p.atListEnd() {
				c.Token68 = p.s[start:p.pos]
				out = append(out, c)
				p.skipCommas()
				continue
			}
		}
		p.pos = start
		c.Params = map[string]string{}
		for {
			name := strings.ToLower(p.token())
			if name == "" {
				return out, p.errorf("want a parameter name")
			}
			p.skipWS()
			if p.pos >= len(p.s) || p.s[p.pos] != '=' {
				return out, p.errorf("want '=' after the parameter %q", name)
			}
			p.pos++
			p.skipWS()
			var val string
			if p.pos < len(p.s) && p.s[p.pos] == '"' {
				v, err := p.quoted()
				if err != nil {
					return out, err
				}
				val = v
			} else if val = p.token(); val == "" {
				return out, p.errorf("want a token or a quoted-string as the value of %q", name)
			}
			if _, dup := c.Params[name]; dup {
				return out, p.errorf("parameter %q given twice", name)
			}
			if len(c.Params) >= maxParams {
				return out, p.errorf("more than %d parameters", maxParams)
			}
			c.Params[name] = val
			p.skipWS()
			if p.pos >= len(p.s) {
				break
			}
			if p.s[p.pos] != ',' {
				return out, p.errorf("want ',' after the parameter %q", name)
			}
			// After the comma: another parameter (token BWS '='), or
			// the next challenge (a scheme, then a space or the end).
			p.skipCommas()
			save := p.pos
			p.token()
			p.skipWS()
			isParam := p.pos < len(p.s) && p.s[p.pos] == '=' && p.pos > save
			p.pos = save
			if !isParam {
				break
			}
		}
		out = append(out, c)
		p.skipCommas()
	}
	return out, nil
}

// quoted reads a quoted-string at p.pos and returns its content.
func (p *challengeParser) quoted() (string, error) {
	p.pos++ // the opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			p.pos++
			if p.pos >= len(p.s) {
				return "", p.errorf("a quoted-string ends in a backslash")
			}
			c = p.s[p.pos]
			if c != '\t' && (c < 0x20 || c == 0x7f) {
				return "", p.errorf("a control character in a quoted-string")
			}
		case c != '\t' && (c < 0x20 || c == 0x7f):
			return "", p.errorf("a control character in a quoted-string")
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errorf("a quoted-string is not closed")
}
