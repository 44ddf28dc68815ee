package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
)

// TestLineWriterBatches: to a regular file, result lines are held and
// written together (by flush, the next writeLine, or maxHeld bytes); to a
// pipe or any other writer, each goes out at once. Order is kept.
func TestLineWriterBatches(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		lw := newLineWriter(f)
		if !lw.batch {
			t.Fatal("a regular file is not batched")
		}
		lw.bufferLine([]byte("a\n"))
		lw.bufferLine([]byte("b\n"))
		if got := readFileString(t, f.Name()); got != "" {
			t.Fatalf("held lines written early: %q", got)
		}
		lw.writeLine([]byte("summary\n")) // writes what is held first
		lw.bufferLine([]byte("c\n"))
		lw.flush()
		if got, want := readFileString(t, f.Name()), "a\nb\nsummary\nc\n"; got != want {
			t.Fatalf("got %q; want %q", got, want)
		}
		big := bytes.Repeat([]byte("x"), maxHeld)
		big[len(big)-1] = '\n'
		lw.bufferLine(big) // reaches maxHeld: written at once
		if got := readFileString(t, f.Name()); len(got) != len("a\nb\nsummary\nc\n")+maxHeld {
			t.Fatalf("a full batch was held: %d bytes in the file", len(got))
		}
	})
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		lw := newLineWriter(w)
		if lw.batch {
			t.Fatal("a pipe is batched")
		}
		lw.bufferLine([]byte("a\n"))
		buf := make([]byte, 16)
		n, err := r.Read(buf)
		if err != nil || string(buf[:n]) != "a\n" {
			t.Fatalf("got %q, %v; want the line at once", buf[:n], err)
		}
	})
	t.Run("buffer", func(t *testing.T) {
		var b strings.Builder
		lw := newLineWriter(&b)
		lw.bufferLine([]byte("a\n"))
		if b.String() != "a\n" {
			t.Fatalf("got %q; want the line at once", b.String())
		}
	})
}

func readFileString(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJSONResultKeepsHTMLCharacters: a URL's & < > stay as they are in
// --json lines (jq users grep for them), and the line is the result object
// of the contract.
func TestJSONResultKeepsHTMLCharacters(t *testing.T) {
	f := &formatter{json: true}
	r := &fetcher.Result{URL: "http://h/?a=1&b=<2>", Status: 200}
	line := string(f.result(nil, r))
	if !strings.Contains(line, `"url":"http://h/?a=1&b=<2>"`) || !strings.HasPrefix(line, `{"type":"result","ok":true,`) || !strings.HasSuffix(line, "}\n") {
		t.Fatalf("line %q", line)
	}
}
