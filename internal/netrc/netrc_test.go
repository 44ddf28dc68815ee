package netrc

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// curl1304 is the file of curl's unit test 1304 (tests/data/test1304).
const curl1304 = "machine example.com login admin password passwd\nmachine curl.example.com login none password none\n"

// lookupCase is one question to a file and its answer: wantOK false
// means no credentials.
type lookupCase struct {
	name      string
	file      string
	host      string
	login     string
	wantOK    bool
	wantLogin string
	wantPass  string
	notCurl   string // why curl 7.88 answers otherwise (not run against it)
}

var lookupCases = []lookupCase{
	// curl's unit test 1304, case by case.
	{name: "1304 host not in the file", file: curl1304, host: "test.example.com"},
	{name: "1304 login not in the file", file: curl1304, host: "example.com", login: "me"},
	{name: "1304 login and host not in the file", file: curl1304, host: "test.example.com", login: "me"},
	{name: "1304 login a prefix of one", file: curl1304, host: "example.com", login: "admi"},
	{name: "1304 login longer than one", file: curl1304, host: "example.com", login: "adminn"},
	{name: "1304 first host", file: curl1304, host: "example.com", wantOK: true, wantLogin: "admin", wantPass: "passwd"},
	{name: "1304 first host with its login", file: curl1304, host: "example.com", login: "admin", wantOK: true, wantLogin: "admin", wantPass: "passwd"},
	{name: "1304 second host", file: curl1304, host: "curl.example.com", wantOK: true, wantLogin: "none", wantPass: "none"},
	{name: "1304 second host with its login", file: curl1304, host: "curl.example.com", login: "none", wantOK: true, wantLogin: "none", wantPass: "none"},

	// The format as curl's netrc docs describe it.
	{name: "docs example", file: "machine example.com\nlogin daniel\npassword qwerty\n", host: "example.com", wantOK: true, wantLogin: "daniel", wantPass: "qwerty"},
	{name: "docs default for the rest", file: "machine other.example login a password b\ndefault login anonymous password user@domain\n", host: "example.com", wantOK: true, wantLogin: "anonymous", wantPass: "user@domain"},
	{name: "machine before default", file: "machine example.com login u password p\ndefault login anonymous password guest\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "default first shadows a machine", file: "default login d password dp\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "d", wantPass: "dp"},
	{name: "one token a line", file: "machine\nexample.com\nlogin\nu\npassword\np\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "tabs and blank lines", file: "\n\tmachine\texample.com\t\n\n\tlogin u\n\n\tpassword p", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "CRLF lines", file: "machine example.com\r\nlogin u\r\npassword p\r\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "keywords and host in any case", file: "MACHINE Example.COM Login u PassWord p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "login compared case-sensitively", file: "machine example.com login admin password p\n", host: "example.com", login: "Admin",
		notCurl: "curl 7.88 compares logins ignoring case; later curl (Curl_timestrcmp) does not"},
	{name: "password before login", file: "machine example.com password p login u\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "no password: an empty one", file: "machine example.com login u\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: ""},
	{name: "second entry of a host picked by login", file: "machine example.com login a password 1\nmachine example.com login b password 2\n", host: "example.com", login: "b", wantOK: true, wantLogin: "b", wantPass: "2"},
	{name: "first entry of a host without a login", file: "machine example.com login a password 1\nmachine example.com login b password 2\n", host: "example.com", wantOK: true, wantLogin: "a", wantPass: "1"},
	{name: "account ignored", file: "machine example.com login u account acct password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "unknown tokens ignored", file: "machine example.com port 21 login u protocol ftp password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "address as machine", file: "machine 127.0.0.1 login u password p\n", host: "127.0.0.1", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "no suffix matching", file: "machine example.com login u password p\n", host: "www.example.com"},

	// macdef.
	{name: "macdef body skipped", file: "macdef init\ncd /pub\nmachine example.com login evil password evil\n\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "macdef ended by a line of blanks", file: "macdef init\nbinary\n  \t\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p",
		notCurl: "curl 7.88 ends a macro only at an empty line; later curl at a line of blanks too"},
	{name: "macdef to the end", file: "machine example.com login u password p\nmacdef init\nmachine example.com login evil password evil\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "macdef after a machine, before the one asked", file: "machine other.example login a password b\nmacdef x\nmachine example.com login evil password evil\n\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},

	// Comments, as curl reads them: whole lines only.
	{name: "comment line", file: "# machine example.com login c password c\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "indented comment line", file: "machine example.com\n   # login c\n\tlogin u\n password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "hash inside a password", file: "machine example.com login u password p#q\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p#q"},
	{name: "hash words after an entry ignored", file: "machine example.com login u password p # the build account\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "comment inside macdef", file: "macdef x\n# note\nls\n\nmachine example.com login u password p\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},

	// Quoted tokens (curl 7.84+).
	{name: "quoted login with a space", file: `machine example.com login "a user" password p` + "\n", host: "example.com", wantOK: true, wantLogin: "a user", wantPass: "p"},
	{name: "quoted escapes", file: `machine example.com login u password "q\"u\\o\tt\e"` + "\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "q\"u\\o\tte"},
	{name: "quoted machine", file: `machine "example.com" login u password p` + "\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "quoted keyword", file: `"machine" example.com "login" u "password" p` + "\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: "p"},
	{name: "quote inside an unquoted token", file: `machine example.com login u password a"b` + "\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: `a"b`},

	// Where this package parts from curl 7.88 on purpose.
	{name: "entry without login, not last", file: "machine example.com password tok\nmachine other.example login a password b\n", host: "example.com", wantOK: true, wantLogin: "", wantPass: "tok",
		notCurl: "curl drops the password at the next machine"},
	{name: "entry without login, last", file: "machine other.example login a password b\nmachine example.com password tok\n", host: "example.com", wantOK: true, wantLogin: "", wantPass: "tok"},
	{name: "entry without login for a given login", file: "machine example.com password tok\n", host: "example.com", login: "me", wantOK: true, wantLogin: "me", wantPass: "tok"},
	{name: "quoted empty password", file: `machine example.com login u password ""` + "\n", host: "example.com", wantOK: true, wantLogin: "u", wantPass: ""},
}

func TestLookup(t *testing.T) {
	for _, tt := range lookupCases {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("test.netrc", []byte(tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			c, ok := f.Lookup(tt.host, tt.login)
			if ok != tt.wantOK || c.Login != tt.wantLogin || c.Password != tt.wantPass {
				t.Fatalf("got Lookup(%q, %q) = %q, %q, %v; want %q, %q, %v", tt.host, tt.login, c.Login, c.Password, ok, tt.wantLogin, tt.wantPass, tt.wantOK)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", MaxTokenSize+1)
	tests := []struct {
		name    string
		file    string
		wantMsg string
	}{
		{"unclosed quote", "machine example.com\nlogin u\npassword \"abc\n", "netrc f.netrc:3: a quoted string is not closed"},
		{"backslash at the end", "machine example.com login u password \"abc\\", "netrc f.netrc:1: a quoted string is not closed"},
		{"text after a quote", "machine example.com\n\nlogin \"u\"x password p\n", "netrc f.netrc:3: text right after a closing quote (put white space between tokens)"},
		{"long token", "machine example.com\nlogin u password " + long + "\n", "netrc f.netrc:2: a token longer than 4096 bytes"},
		{"long quoted token", "# c\nmachine example.com login u password \"" + long + "\"\n", "netrc f.netrc:2: a token longer than 4096 bytes"},
		{"too large", strings.Repeat("machine x login y password z\n", MaxFileSize/29+1), "netrc f.netrc: larger than 131072 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.netrc", []byte(tt.file))
			var ne *Error
			if !errors.As(err, &ne) {
				t.Fatalf("got Parse = %v, %v; want an *Error", f, err)
			}
			if err.Error() != tt.wantMsg {
				t.Fatalf("got error %q; want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "netrc")
	if err := os.WriteFile(good, []byte("machine h login u password p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := f.Lookup("h", ""); !ok || c.Password != "p" || c.Line != 1 {
		t.Fatalf("got %+v, %v from %s", c, ok, good)
	}

	missing := filepath.Join(dir, "none")
	_, err = ReadFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "netrc "+missing+": cannot open: no such file or directory" {
		t.Fatalf("got error %q for a missing file; want one naming it that is fs.ErrNotExist", err)
	}
	_, err = ReadFile(dir)
	if err == nil || !strings.HasPrefix(err.Error(), "netrc "+dir+": cannot read: ") {
		t.Fatalf("got error %v reading a directory; want one naming it", err)
	}
}

func TestDefaultFile(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	got, err := DefaultFile()
	if err != nil || got != "/home/someone/.netrc" {
		t.Fatalf("got DefaultFile() = %q, %v; want /home/someone/.netrc", got, err)
	}
}

// FuzzParse checks that Parse never panics, that every error is an *Error
// with a line inside the file, and that what it parses survives a round
// trip: the entries written back, every token quoted, parse to the same
// entries.
func FuzzParse(f *testing.F) {
	for _, tt := range lookupCases {
		f.Add(tt.file)
	}
	f.Add("machine")
	f.Add("machine x login")
	f.Add("\"")
	f.Add("macdef")
	f.Add("login u password p")
	f.Add("machine \"a\\\nb\" login \"\\\\\" password \"\\\"\"")
	f.Fuzz(func(t *testing.T, data string) {
		file, err := Parse("fuzz.netrc", []byte(data))
		if err != nil {
			var ne *Error
			if !errors.As(err, &ne) {
				t.Fatalf("got %T, not *Error: %v", err, err)
			}
			if ne.Line < 0 || ne.Line > strings.Count(data, "\n")+1 {
				t.Fatalf("error at line %d of a file of %d lines: %v", ne.Line, strings.Count(data, "\n")+1, err)
			}
			return
		}
		var b strings.Builder
		for _, e := range file.Entries {
			if e.Default {
				b.WriteString("default")
			} else {
				b.WriteString("machine " + quote(e.Machine))
			}
			if e.HasLogin {
				b.WriteString(" login " + quote(e.Login))
			}
			if e.HasPassword {
				b.WriteString(" password " + quote(e.Password))
			}
			b.WriteString("\n")
		}
		again, err := Parse("again.netrc", []byte(b.String()))
		if err != nil {
			t.Fatalf("the entries written back do not parse: %v\n%s", err, b.String())
		}
		if len(again.Entries) != len(file.Entries) {
			t.Fatalf("got %d entries back; want %d", len(again.Entries), len(file.Entries))
		}
		for i, e := range again.Entries {
			w := file.Entries[i]
			if e.Default != w.Default || e.Machine != w.Machine || e.Login != w.Login || e.Password != w.Password || e.HasLogin != w.HasLogin || e.HasPassword != w.HasPassword {
				t.Fatalf("entry %d: got %+v back; want %+v", i, e, w)
			}
		}
	})
}

// quote writes s as a quoted token.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
