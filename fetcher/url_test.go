package fetcher

import (
	"context"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in       string
		want     string // the URL, or the Error's URL
		wantKind ErrorKind
		wantMsg  string
	}{
		{"example.com", "http://example.com", KindNone, ""},
		{"  example.com/x \t\r\n", "http://example.com/x", KindNone, ""},
		{"example.com:8080/a?b=c#frag", "http://example.com:8080/a?b=c#frag", KindNone, ""},
		{"HTTPS://Example.com/", "https://Example.com/", KindNone, ""},
		{"http://[::1]:80/", "http://[::1]:80/", KindNone, ""},
		{"http://bücher.example/", "http://b%C3%BCcher.example/", KindNone, ""},
		{"localhost:8080", "http://localhost:8080", KindNone, ""},
		{"user:12@example.com", "http://user:12@example.com", KindNone, ""},
		{"ftp://example.com/", "ftp://example.com/", KindUnsupportedScheme, `scheme "ftp" not supported`},
		{"mailto:a@b", "mailto:a@b", KindUnsupportedScheme, `scheme "mailto"`},
		{"http://", "http://", KindInvalidURL, "no host"},
		{"http://host:0/", "http://host:0/", KindInvalidURL, "port"},
		{"http://host:http/", "http://host:http/", KindInvalidURL, "port"},
		{"http://ho st/", "http://ho st/", KindInvalidURL, "white space"},
		{"http://host/a b", "http://host/a b", KindInvalidURL, "white space"},
		{"http://host/a\x00b", "http://host/a\x00b", KindInvalidURL, "control byte 0x00"},
		{"http://u:pw@ho st/", "http://u:***@ho st/", KindInvalidURL, "white space"},
		{"https://[::1/", "https://[::1/", KindInvalidURL, "missing ']'"},
		{"", "http://", KindInvalidURL, "no host"},
		{"http://h/" + strings.Repeat("a", 400) + " b", "http://h/" + strings.Repeat("a", maxShownInput-len("http://h/")) + "…", KindInvalidURL, "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURL(tt.in)
			kind, got := KindNone, ""
			if err != nil {
				kind, got = err.Kind, err.URL
				if !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), got+": "+kind.String()+": ") {
					t.Errorf("ParseURL(%q): got error %q; want \"URL: kind: message\" saying %q", tt.in, err, tt.wantMsg)
				}
			} else {
				got = u.String()
			}
			if kind != tt.wantKind || got != tt.want {
				t.Errorf("ParseURL(%q) = %q, kind %v; want %q, kind %v", tt.in, got, kind, tt.want, tt.wantKind)
			}
		})
	}
}

func TestMaskURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.com/", "http://example.com/"},
		{"http://user:secret@example.com/", "http://user:***@example.com/"},
		{"https://user:p%40ss@example.com:8443/a@b", "https://user:***@example.com:8443/a@b"},
		{"http://user@example.com/", "http://user@example.com/"},
		{"http://user:@example.com/", "http://user:***@example.com/"},
		{"http://user:***@example.com/", "http://user:***@example.com/"},
		{"user:12@example.com/x", "user:***@example.com/x"},
		{"mailto:someone@example.com", "mailto:someone@example.com"},
		{"http://a:b@h1/ -> http://c:d@h2/: connect: refused", "http://a:***@h1/ -> http://c:***@h2/: connect: refused"},
		{`bad redirect Location "http://x:y@h/"`, `bad redirect Location "http://x:***@h/"`},
		{"no url here: a@b", "no url here: a@b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskURL(tt.in); got != tt.want {
			t.Errorf("MaskURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestSaveNameHasNoPassword: saved files are named after host, port and
// path, never the credentials.
func TestSaveNameHasNoPassword(t *testing.T) {
	u, err := ParseURL("http://user:secret@example.com/a/b")
	if err != nil {
		t.Fatal(err)
	}
	if name := saveName(u); strings.Contains(name, "secret") || strings.Contains(name, "user") {
		t.Errorf("saveName = %q; want no credentials in it", name)
	}
}

// TestParseJob: ParseJob refuses what ParseURL refuses, with the same
// error, and a job it read fetches as the raw job does — also when its URL
// was changed afterwards (the fetch reads the new one).
func TestParseJob(t *testing.T) {
	for _, bad := range []string{"", "ftp://x/", "http://exa mple/", "http://x:99999/"} {
		_, want := ParseURL(bad)
		_, got := ParseJob(Job{URL: bad})
		if want == nil || got == nil || got.Error() != want.Error() || got.Kind != want.Kind {
			t.Errorf("ParseJob(%q) = %v; ParseURL gives %v", bad, got, want)
		}
	}
	s := startServe(t)
	c, err := NewClient(Config{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	job, perr := ParseJob(Job{URL: s.URL() + "/size/7", Index: 3, Label: "x"})
	if perr != nil {
		t.Fatal(perr)
	}
	if r := c.fetch(context.Background(), job, ModeThreads, 0); !r.OK() || r.Bytes != 7 || r.Index != 3 || r.Label != "x" || r.URL != s.URL()+"/size/7" {
		t.Errorf("parsed job: got %+v; want 7 bytes from %s/size/7, index 3, label x", r, s.URL())
	}
	job.URL = s.URL() + "/size/9"
	if r := c.fetch(context.Background(), job, ModeThreads, 0); !r.OK() || r.Bytes != 9 || r.URL != job.URL {
		t.Errorf("job changed after ParseJob: got %d bytes from %s; want 9 from %s", r.Bytes, r.URL, job.URL)
	}
}
