package netrc

import (
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// authFor is the Authorization header a client sends with --netrc-file f
// for a URL naming host and, when login is not "", that user: the rule the
// fetcher follows (and curl): with a user in the URL, that user and the
// password the file has for it, or an empty one; without, the entry's
// login and password, or nothing.
func authFor(f *File, host, login string) string {
	c, ok := f.Lookup(host, login)
	switch {
	case ok:
		return basic(c.Login, c.Password)
	case login != "":
		return basic(login, "")
	}
	return ""
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestCurlAgrees runs the real curl with each file of lookupCases against
// nginx on loopback, which echoes the Authorization header curl sent, and
// checks it is the one authFor makes from Lookup. Hosts are reached
// through --connect-to, so no name is looked up.
func TestCurlAgrees(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		// curl comes with the machine image; CI must not pass by skipping.
		if ci := os.Getenv("CI"); ci != "" && ci != "0" && ci != "false" {
			t.Fatal("curl not found on PATH; CI is set, so this is a failure, not a skip")
		}
		t.Skip("curl not found on PATH")
	}
	n := testserver.StartNginx(t, testserver.NginxOptions{
		ExtraServerConfig: `location = /auth { return 200 "$http_authorization"; }`,
	})
	dir := t.TempDir()
	for i, tt := range lookupCases {
		if tt.notCurl != "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(dir, "netrc"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
			if err := os.WriteFile(name, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Parse(name, []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want := authFor(f, tt.host, tt.login)
			user := ""
			if tt.login != "" {
				user = tt.login + "@"
			}
			out, err := exec.Command(curl, "-sS", "--max-time", "10", "--netrc-file", name,
				"--connect-to", tt.host+":80:"+n.Addr, "http://"+user+tt.host+"/auth").CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v: %s", err, out)
			}
			if got := string(out); got != want {
				t.Fatalf("curl sent Authorization %q; Lookup(%q, %q) makes %q", got, tt.host, tt.login, want)
			}
		})
	}

	// Files that Parse refuses, curl refuses too. (A token over 4096
	// bytes, which later curl refuses, curl 7.88 still reads.)
	for _, tt := range []struct{ name, file string }{
		{"unclosed quote", "machine example.com login u password \"abc\n"},
		{"unclosed quote at the end", "machine example.com login u password \"abc\\"},
	} {
		t.Run("refused "+tt.name, func(t *testing.T) {
			name := filepath.Join(dir, "bad.netrc")
			if err := os.WriteFile(name, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(name, []byte(tt.file)); err == nil {
				t.Fatal("Parse accepted it")
			}
			out, err := exec.Command(curl, "-sS", "--max-time", "10", "--netrc-file", name,
				"--connect-to", "example.com:80:"+n.Addr, "http://example.com/auth").CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("curl accepted it: %v: %q", err, out)
			}
		})
	}
}
