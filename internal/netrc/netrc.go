// Package netrc reads .netrc files the way curl (7.84 and later) reads
// them, for --netrc, --netrc-optional and --netrc-file.
//
// The file is a stream of tokens separated by any white space, newlines
// included, so an entry may span lines or share one:
//
//	machine example.com login daniel password qwerty
//	machine api.example.com
//	    login "a user"
//	    password "with \"quotes\" and a\ttab"
//	default login anonymous password guest
//
// The keywords (case-insensitive) are machine NAME, which starts the entry
// of that host; default, which starts an entry that matches every host;
// login NAME; password STRING; account STRING (read and ignored, as curl
// ignores it); and macdef NAME, whose body, from the next line up to the
// first empty line (or one of blanks only), is skipped. Any other token
// is ignored. A token that starts with a double quote is quoted: it ends
// at the next unescaped double quote (spanning lines if it must), and in
// it \n, \r and \t stand for newline, carriage return and tab, and a
// backslash before any other character stands for that character. A line
// whose first non-blank character is # is a comment; a # anywhere else is
// an ordinary character, as curl reads it.
//
// Lookup picks an entry as curl does: the first entry, in file order,
// whose machine is the host (ASCII case-insensitive) or that is default,
// and that has a login (the login asked for, compared case-sensitively,
// when one is given, as curl's -u or a user in the URL gives one). A
// matching entry without a password gives the empty password. So a
// default written before a machine shadows it, as in curl, and the format
// says default comes last.
//
// The tests run the real curl (7.88) on the same files. Where this
// package parts from it, it follows later curl or refuses to guess: logins
// are compared case-sensitively (curl 7.88 ignores case; later curl does
// not); a line of blanks ends a macro as an empty line does (later curl);
// tokens are at most 4096 bytes (later curl); an entry with a password
// but no login gives its password when no entry with a login matches,
// wherever it stands (curl 7.88 only when it is the file's last entry);
// text glued to a closing quote ("a"b) is an error (curl drops a
// character of it); and macdef is recognised inside an entry too (curl
// then reads the macro's body as keywords).
//
// Limits, as curl's: a file of at most 128 KiB and tokens of at most
// 4096 bytes. Errors name the file and the line.
package netrc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Limits of what Parse accepts (curl's MAX_NETRC_FILE and MAX_NETRC_TOKEN).
const (
	MaxFileSize  = 128 << 10
	MaxTokenSize = 4096
)

// Entry is one machine or default entry of a file.
type Entry struct {
	Machine string // "" for default
	Default bool

	Login, Password string
	HasLogin        bool // a login token was given (it may be "")
	HasPassword     bool
	Account         string // read and ignored by Lookup

	Line int // the line of the machine or default keyword
}

// File is a parsed .netrc file.
type File struct {
	Name    string // the file's name, as given to Parse or ReadFile
	Entries []Entry
}

// Credentials are what Lookup found for a host.
type Credentials struct {
	Login    string
	Password string
	Line     int // the line of the entry that gave them
}

// Error is a file that cannot be read or parsed; Line is 0 when the error
// is the whole file's.
type Error struct {
	File string
	Line int
	Msg  string
	Err  error // the I/O error underneath, if any
}

func (e *Error) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Err != nil {
		return fmt.Sprintf("netrc %s: %s: %v", where, e.Msg, e.Err)
	}
	return fmt.Sprintf("netrc %s: %s", where, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// DefaultFile returns the file curl reads for --netrc: $HOME/.netrc, or on
// Windows %USERPROFILE%\_netrc when no .netrc exists there.
func DefaultFile() (string, error) {
	home := os.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("netrc: no home directory to find .netrc in: %w", err)
		}
	}
	name := filepath.Join(home, ".netrc")
	if runtime.GOOS == "windows" {
		if _, err := os.Stat(name); err != nil {
			return filepath.Join(home, "_netrc"), nil
		}
	}
	return name, nil
}

// ReadFile reads and parses the named file. A file that does not exist is
// an *Error wrapping an error that satisfies errors.Is(err,
// fs.ErrNotExist), which --netrc-optional ignores.
func ReadFile(name string) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot open", Err: unwrapPath(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read", Err: unwrapPath(err)}
	}
	return Parse(name, data)
}

// unwrapPath drops the *fs.PathError around err: the message names the
// file already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse parses data, the content of the file called name (used in errors
// only).
func Parse(name string, data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	p := parser{name: name, s: string(data), line: 1, lineStart: true}
	f := &File{Name: name}
	var cur *Entry
	for {
		tok, line, err := p.next()
		if err != nil {
			return nil, err
		}
		if tok == nil {
			break
		}
		kw := keyword(tok.s)
		switch kw {
		case "machine", "default":
			e := Entry{Line: line, Default: kw == "default"}
			if !e.Default {
				host, _, err := p.next()
				if err != nil {
					return nil, err
				}
				if host == nil {
					break // "machine" at the end: curl ignores it
				}
				e.Machine = host.s
			}
			f.Entries = append(f.Entries, e)
			cur = &f.Entries[len(f.Entries)-1]
		case "login", "password", "account":
			v, _, err := p.next()
			if err != nil {
				return nil, err
			}
			if v == nil || cur == nil {
				continue // outside an entry, or at the end: ignored
			}
			switch kw {
			case "login":
				cur.Login, cur.HasLogin = v.s, true
			case "password":
				cur.Password, cur.HasPassword = v.s, true
			default:
				cur.Account = v.s
			}
		case "macdef":
			p.skipMacro()
		}
	}
	return f, nil
}

// Lookup returns the credentials for host (a host name or address, no
// port) and, when login is not "", for that login only; ok is false when
// no entry gives any. See the package doc for the rules.
func (f *File) Lookup(host, login string) (c Credentials, ok bool) {
	var noLogin *Entry // the first matching entry with a password and no login
	for i := range f.Entries {
		e := &f.Entries[i]
		if !e.Default && !strings.EqualFold(e.Machine, host) {
			continue
		}
		if !e.HasLogin {
			if noLogin == nil && e.HasPassword {
				noLogin = e
			}
			continue
		}
		if login != "" && e.Login != login {
			continue
		}
		return Credentials{Login: e.Login, Password: e.Password, Line: e.Line}, true
	}
	if noLogin != nil {
		return Credentials{Login: login, Password: noLogin.Password, Line: noLogin.Line}, true
	}
	return Credentials{}, false
}

// keyword returns the keyword s spells in any case, or "". A quoted
// token spells one too, as curl compares tokens after unquoting them.
func keyword(s string) string {
	for _, kw := range [...]string{"machine", "default", "login", "password", "account", "macdef"} {
		if strings.EqualFold(s, kw) {
			return kw
		}
	}
	return ""
}

// token is one token of the file, its quotes and escapes undone.
type token struct {
	s string
}

// parser splits the file into tokens.
type parser struct {
	name      string
	s         string
	pos       int
	line      int
	lineStart bool // pos is at the start of a line (for comments)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func (p *parser) errorf(line int, format string, args ...any) error {
	return &Error{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace passes white space and comment lines.
func (p *parser) skipSpace() {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if p.lineStart {
			// A line whose first non-blank is '#' is a comment.
			i := p.pos
			for i < len(p.s) && isBlank(p.s[i]) {
				i++
			}
			if i < len(p.s) && p.s[i] == '#' {
				nl := strings.IndexByte(p.s[i:], '\n')
				if nl < 0 {
					p.pos = len(p.s)
					return
				}
				p.pos = i + nl + 1
				p.line++
				continue
			}
			p.lineStart = false
		}
		if !isSpace(c) {
			return
		}
		if c == '\n' {
			p.line++
			p.lineStart = true
		}
		p.pos++
	}
}

// next returns the next token and the line it starts on, or nil at the
// end of the file.
func (p *parser) next() (*token, int, error) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, p.line, nil
	}
	line := p.line
	if p.s[p.pos] != '"' {
		start := p.pos
		for p.pos < len(p.s) && !isSpace(p.s[p.pos]) {
			p.pos++
		}
		if p.pos-start > MaxTokenSize {
			return nil, line, p.errorf(line, "a token longer than %d bytes", MaxTokenSize)
		}
		return &token{s: p.s[start:p.pos]}, line, nil
	}
	p.pos++ // the opening quote
	var b strings.Builder
	for {
		if p.pos >= len(p.s) {
			return nil, line, p.errorf(line, "a quoted string is not closed")
		}
		c := p.s[p.pos]
		p.pos++
		switch c {
		case '"':
			if p.pos < len(p.s) && !isSpace(p.s[p.pos]) {
				return nil, p.line, p.errorf(p.line, "text right after a closing quote (put white space between tokens)")
			}
			return &token{s: b.String()}, line, nil
		case '\\':
			if p.pos >= len(p.s) {
				return nil, line, p.errorf(line, "a quoted string is not closed")
			}
			c = p.s[p.pos]
			p.pos++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case '\n':
				p.line++
			}
		case '\n':
			p.line++
		}
		if b.Len() >= MaxTokenSize {
			return nil, line, p.errorf(line, "a token longer than %d bytes", MaxTokenSize)
		}
		b.WriteByte(c)
	}
}

// skipMacro passes a macdef's name and body: everything up to the first
// line that is empty or holds only blanks, or the end of the file.
func (p *parser) skipMacro() {
	// The rest of the macdef line (the macro's name) first.
	nl := strings.IndexByte(p.s[p.pos:], '\n')
	if nl < 0 {
		p.pos = len(p.s)
		return
	}
	p.pos += nl + 1
	p.line++
	for p.pos < len(p.s) {
		end := strings.IndexByte(p.s[p.pos:], '\n')
		var ln string
		if end < 0 {
			ln = p.s[p.pos:]
			end = len(p.s) - p.pos
		} else {
			ln = p.s[p.pos : p.pos+end]
		}
		blank := strings.Trim(ln, " \t\r") == ""
		p.pos += end
		if p.pos < len(p.s) {
			p.pos++ // the newline
			p.line++
		}
		if blank {
			break
		}
	}
	p.lineStart = true
}
