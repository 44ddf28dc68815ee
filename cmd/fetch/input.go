package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/greenfetch/greenfetch/fetcher"
)

// maxLineLength bounds an input line, newline included. A longer line is
// an invalid_url result, not the end of the run; a URL that long is not
// sent anywhere (browsers and servers give up far earlier, at 8–16 KiB of
// request line).
const maxLineLength = 64 << 10

// maxShownURL bounds how much of a bad line a result repeats.
const maxShownURL = 256

// source is where the URLs of a run come from: the arguments first, then
// a file or standard input. Each pass (open) streams the input again;
// standard input is spooled to a temporary file first when the run needs
// more than one pass (--compare, --repeat).
type source struct {
	args  []string
	file  string    // path of a file to read after args; "" for none
	stdin io.Reader // read after args when file is ""; nil for none
	spool string    // temporary copy of stdin, removed by close

	openFile *os.File    // the open file of the current pass
	shard    *shardValue // --shard: lines of other shards are skipped (frontier.go)
}

// errNoURLs is the usage error of a run with nothing to fetch.
var errNoURLs = errors.New("no URLs: give them as arguments, with --input FILE, or on standard input")

// newSource decides where the URLs of o come from and opens nothing yet
// except to check that --input names a readable file. Its errors are input
// errors (exit 2).
func newSource(o *Options) (*source, error) {
	s := &source{args: o.URLs}
	if o.crawl != nil && o.crawl.store.shard.n > 1 {
		s.shard = &o.crawl.store.shard
	}
	switch o.InputFile {
	case "":
		if len(o.URLs) == 0 {
			if o.IO.InTTY || o.IO.In == nil {
				return nil, errNoURLs
			}
			s.stdin = o.IO.In
		}
	case "-":
		if o.IO.In == nil {
			return nil, errNoURLs
		}
		s.stdin = o.IO.In
	default:
		st, err := os.Stat(o.InputFile)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("--input: %s is a directory", o.InputFile)
		}
		f, err := os.Open(o.InputFile)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		f.Close()
		s.file = o.InputFile
	}
	return s, nil
}

// replayable makes every pass read the same URLs: standard input is copied
// to a temporary file, read by later passes. Memory stays flat.
func (s *source) replayable() error {
	if s.stdin == nil {
		return nil
	}
	f, err := os.CreateTemp("", "fetch-input-*")
	if err != nil {
		return fmt.Errorf("spooling standard input: %w", err)
	}
	s.spool = f.Name()
	if _, err := io.Copy(f, s.stdin); err != nil {
		f.Close()
		return fmt.Errorf("reading standard input: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spooling standard input: %w", err)
	}
	s.stdin, s.file = nil, s.spool
	return nil
}

// close ends the current pass and removes the spool.
func (s *source) close() {
	s.endPass()
	if s.spool != "" {
		os.Remove(s.spool)
		s.spool = ""
	}
}

func (s *source) endPass() {
	if s.openFile != nil {
		s.openFile.Close()
		s.openFile = nil
	}
}

// open starts a pass over the URLs.
func (s *source) open() (*lineReader, error) {
	s.endPass()
	lr := &lineReader{args: s.args, shard: s.shard}
	switch {
	case s.file != "":
		f, err := os.Open(s.file)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		s.openFile = f
		lr.br = bufio.NewReaderSize(f, maxLineLength)
	case s.stdin != nil:
		lr.br = bufio.NewReaderSize(s.stdin, maxLineLength)
	}
	return lr, nil
}

// count returns the number of URL lines of a pass, or -1 when it is
// unknown without consuming the input (standard input).
func (s *source) count() int64 {
	n := int64(0)
	for _, a := range s.args {
		if isURLLine(a) && (s.shard == nil || s.shard.in(strings.TrimSpace(a))) {
			n++
		}
	}
	if s.stdin != nil {
		return -1
	}
	if s.file == "" {
		return n
	}
	f, err := os.Open(s.file)
	if err != nil {
		return -1
	}
	defer f.Close()
	lr := &lineReader{br: bufio.NewReaderSize(f, maxLineLength), shard: s.shard}
	for {
		_, _, err := lr.next()
		if err != nil {
			if err != io.EOF {
				return -1
			}
			return n
		}
		n++
	}
}

// lineReader streams URL lines: the arguments, then br. It holds at most
// one line of maxLineLength.
type lineReader struct {
	args  []string
	br    *bufio.Reader
	line  int64       // lines of br read so far, for messages
	shard *shardValue // if set, lines of other shards are skipped
}

func isURLLine(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s[0] != '#'
}

// next returns the next URL line, trimmed, skipping blank lines and #
// comments. A line longer than maxLineLength comes back as its first
// maxShownURL bytes with tooLong set, and the rest of it is skipped. At
// the end it returns io.EOF; a read error is returned as is.
func (r *lineReader) next() (text string, tooLong bool, err error) {
	for {
		text, tooLong, err = r.nextLine()
		if err != nil || r.shard == nil || r.shard.in(text) {
			return text, tooLong, err
		}
	}
}

func (r *lineReader) nextLine() (text string, tooLong bool, err error) {
	for len(r.args) > 0 {
		a := r.args[0]
		r.args = r.args[1:]
		if isURLLine(a) {
			return strings.TrimSpace(a), false, nil
		}
	}
	if r.br == nil {
		return "", false, io.EOF
	}
	for {
		b, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			head := string(b[:min(len(b), maxShownURL)])
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return "", false, err
			}
			r.line++
			return strings.TrimSpace(head), true, nil
		}
		if err != nil && (err != io.EOF || len(b) == 0) {
			return "", false, err
		}
		r.line++
		if r.line == 1 {
			b = trimBOM(b)
		}
		if s := strings.TrimSpace(string(b)); s != "" && s[0] != '#' {
			return s, false, nil
		}
	}
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// normalizeURL reads an input line as the URL to fetch, by fetcher's one
// rule (fetcher.ParseURL): the job carries the line, the engine parses it
// again the same way. A line that is no http or https URL comes back with
// the error of its result.
func normalizeURL(s string) (*url.URL, *fetcher.Error) {
	return fetcher.ParseURL(s)
}
