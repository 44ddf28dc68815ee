package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSplitLabel(t *testing.T) {
	tests := []struct{ in, url, label string }{
		{"http://a/", "http://a/", ""},
		{"http://a/ id-1", "http://a/", "id-1"},
		{"http://a/\tid 2  ", "http://a/", "id 2"},
		{"http://a/#frag label", "http://a/#frag", "label"},
		{"http://a/ label # comment", "http://a/", "label"},
		{"http://a/ # only a comment", "http://a/", ""},
		{"http://a/ a#b", "http://a/", "a#b"},
	}
	for _, tt := range tests {
		u, label := splitLabel(tt.in)
		if u != tt.url || label != tt.label {
			t.Errorf("splitLabel(%q) = %q, %q; want %q, %q", tt.in, u, label, tt.url, tt.label)
		}
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

// TestAsyncLines: batches hand out every URL line once, in order, with
// its line number, whatever the reads look like.
func TestAsyncLines(t *testing.T) {
	var sb strings.Builder
	var want []string
	for i := 0; i < 3*maxLineBatch+7; i++ {
		if i%5 == 0 {
			sb.WriteString("# comment\n\n")
		}
		u := "http://h.test/" + strconv.Itoa(i)
		sb.WriteString(u + "\n")
		want = append(want, u)
	}
	for _, r := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", strings.NewReader(sb.String())},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(sb.String()))},
		{"half reads", iotest.HalfReader(strings.NewReader(sb.String()))},
	} {
		t.Run(r.name, func(t *testing.T) {
			a := newAsyncLines(&lineReader{args: []string{"arg1", " ", "arg2"}, br: bufio.NewReaderSize(r.r, maxLineLength)})
			defer a.close()
			var got []string
			var lastNo int64
			for {
				l, ok, _ := a.next(nil)
				if !ok {
					t.Fatal("next(nil) gave up")
				}
				if l.err == io.EOF {
					break
				}
				if l.err != nil {
					t.Fatal(l.err)
				}
				if l.lineNo < lastNo {
					t.Fatalf("line %q numbered %d after %d", l.text, l.lineNo, lastNo)
				}
				lastNo = l.lineNo
				got = append(got, l.text)
			}
			if strings.Join(got, " ") != strings.Join(append([]string{"arg1", "arg2"}, want...), " ") {
				t.Errorf("got %d lines, want %d (args first, then the list in order)", len(got), len(want)+2)
			}
			if lastNo != int64(strings.Count(sb.String(), "\n")) {
				t.Errorf("last line number %d; want %d", lastNo, strings.Count(sb.String(), "\n"))
			}
		})
	}
}
