package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		wantKind ErrorKind
	}{
		{"http://example.org/", "http://example.org/", KindNone},
		{"https://example.org/a?b=c&d", "https://example.org/a?b=c&d", KindNone},
		{"HTTPS://Example.org", "https://Example.org", KindNone},
		{"  example.org/x\t", "http://example.org/x", KindNone},
		{"example.org", "http://example.org", KindNone},
		{"example.org:8080/x", "http://example.org:8080/x", KindNone},
		{"localhost:8080", "http://localhost:8080", KindNone},
		{"127.0.0.1/x", "http://127.0.0.1/x", KindNone},
		{"[::1]:80/", "http://[::1]:80/", KindNone},
		{"ftp://example.org/f", "ftp://example.org/f", KindUnsupportedScheme},
		{"mailto:a@b.c", "mailto:a@b.c", KindUnsupportedScheme},
		{"user:12@example.org/", "http://user:12@example.org/", KindNone},
		{"javascript:alert(1)", "javascript:alert(1)", KindUnsupportedScheme},
		{"http://", "http://", KindInvalidURL},
		{"http:///path", "http:///path", KindInvalidURL},
		{"http://exa mple.org/", "http://exa mple.org/", KindInvalidURL},
		{"http://example.org/a b", "http://example.org/a b", KindInvalidURL},
		{"http://u:pw@exa mple.org/", "http://u:***@exa mple.org/", KindInvalidURL},
		{"https://[::1/", "https://[::1/", KindInvalidURL},
		{"http://example.org:99999999999/", "http://example.org:99999999999/", KindInvalidURL},
		{"://x", "://x", KindInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := normalizeURL(tt.in)
			kind, got, msg := KindNone, "", ""
			if err != nil {
				kind, got, msg = err.Kind, err.URL, err.Err.Error()
			} else {
				got = u.String()
			}
			if got != tt.want || kind != tt.wantKind {
				t.Errorf("normalizeURL(%q) = %q, %v (%s); want %q, %v", tt.in, got, kind, msg, tt.want, tt.wantKind)
			}
			if kind != KindNone && msg == "" {
				t.Errorf("normalizeURL(%q): no message for %v", tt.in, kind)
			}
		})
	}
}

// readAll drains a lineReader.
func readAll(t *testing.T, lr *lineReader) (lines []string, long []bool, err error) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		s, tooLong, err := lr.next()
		if err != nil {
			return lines, long, err
		}
		lines = append(lines, s)
		long = append(long, tooLong)
	}
	t.Fatal("lineReader does not end")
	return
}

func TestLineReader(t *testing.T) {
	longLine := "http://h/" + strings.Repeat("x", maxLineLength*2)
	tests := []struct {
		name     string
		args     []string
		input    string
		want     []string
		wantLong []bool
	}{
		{"empty", nil, "", nil, nil},
		{"args only", []string{"a", " ", "#c", " b "}, "", []string{"a", "b"}, []bool{false, false}},
		{"args then input", []string{"a"}, "b\n", []string{"a", "b"}, []bool{false, false}},
		{"comments and blanks", nil, "# x\n\n   \n\t#y\nu1\n", []string{"u1"}, []bool{false}},
		{"CRLF and spaces", nil, " u1 \r\nu2\r\n", []string{"u1", "u2"}, []bool{false, false}},
		{"no final newline", nil, "u1\nu2", []string{"u1", "u2"}, []bool{false, false}},
		{"BOM", nil, "\uFEFFu1\nu2\n", []string{"u1", "u2"}, []bool{false, false}},
		{"long line in the middle", nil, "u1\n" + longLine + "\nu2\n", []string{"u1", longLine[:maxShownURL], "u2"}, []bool{false, true, false}},
		{"long line at the end", nil, "u1\n" + longLine, []string{"u1", longLine[:maxShownURL]}, []bool{false, true}},
		{"line of exactly the limit", nil, strings.Repeat("y", maxLineLength-1) + "\nu2\n", []string{strings.Repeat("y", maxLineLength-1), "u2"}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, reader := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.input)},
				{"one byte at a time", iotest.OneByteReader(strings.NewReader(tt.input))},
			} {
				lr := &lineReader{args: tt.args, br: bufio.NewReaderSize(reader.r, maxLineLength)}
				got, long, err := readAll(t, lr)
				if err != io.EOF {
					t.Fatalf("%s: got error %v; want io.EOF", reader.name, err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("%s: got %q; want %q", reader.name, got, tt.want)
				}
				for i := range long {
					if i < len(tt.wantLong) && long[i] != tt.wantLong[i] {
						t.Errorf("%s: line %d tooLong = %v; want %v", reader.name, i, long[i], tt.wantLong[i])
					}
				}
			}
		})
	}
}

func TestLineReaderError(t *testing.T) {
	boom := errors.New("boom")
	lr := &lineReader{br: bufio.NewReaderSize(io.MultiReader(strings.NewReader("u1\n"), iotest.ErrReader(boom)), maxLineLength)}
	got, _, err := readAll(t, lr)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("got %q, %v; want [u1] and the read error", got, err)
	}
}

// TestInputReadError: a read error on the list is an input error, exit 2,
// after what was read.
func TestInputReadError(t *testing.T) {
	ios, _, out, errOut := Test()
	ios.In = io.MultiReader(strings.NewReader(okA+"\n"), iotest.ErrReader(errors.New("device on fire")))
	clock := newFakeClock()
	eng := &fakeEngine{clock: clock}
	code := newCmdFetch(t.Context(), ios, nil, func(ctx context.Context, o *Options) exitCode {
		o.Now, o.Run = clock.Now, eng.run
		return fetchRun(ctx, o)
	})
	if code != exitUsage {
		t.Errorf("got exit %d; want %d", code, exitUsage)
	}
	if want := "fetch: reading URLs: device on fire\n"; errOut.String() != want {
		t.Errorf("got stderr %q; want %q", errOut, want)
	}
	if !strings.Contains(out.String(), "48708 bytes received") {
		t.Errorf("got stdout %q; want the result read before the error", out)
	}
}
