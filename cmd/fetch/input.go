package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// maxLineLength bounds an input line, newline included. A longer line is
// an invalid_url result, not the end of the run; a URL that long is not
// sent anywhere (browsers and servers give up far earlier, at 8–16 KiB of
// request line).
const maxLineLength = 64 << 10

// maxShownURL bounds how much of a bad line a result repeats.
const maxShownURL = 256

// source is where the URLs of a run come from: the arguments first, then
// a file or a stream (standard input, a FIFO, a process substitution).
// Each pass (open) reads the input again. A regular file is simply read
// again; a stream can be read once only, so when a run needs more than one
// pass (--compare, --repeat) it is spooled to a temporary file first, and
// nothing ever reads a stream just to count its lines.
type source struct {
	args   []string
	name   string    // what the list is called in messages: "standard input", a path
	path   string    // a regular file to read after args on every pass; "" for none
	stream io.Reader // a one-pass input read after args when path is ""; nil for none
	// countable is true when reading on to the end of the input never
	// waits for a writer (arguments, regular files, the spool): after an
	// interrupt, the lines left are counted as not started.
	countable bool
	closer    io.Closer // the stream, when we opened it
	spool     string    // temporary copy of the stream, removed by close

	openFile *os.File    // the open file of the current pass
	shard    *shardValue // --shard: lines of other shards are skipped (frontier.go)
}

// newSource decides where the URLs of o come from. It opens a named
// stream (a FIFO, /dev/stdin) at once, since it can be read only once, and
// checks that a named regular file is readable. Its errors are input
// errors (exit 2).
func newSource(o *Options) (*source, error) {
	s := &source{args: o.URLs, countable: true}
	if o.crawl != nil && o.crawl.store.shard.n > 1 {
		s.shard = &o.crawl.store.shard
	}
	stdin := func() error {
		if o.IO.In == nil {
			return errNoInput
		}
		s.name, s.stream = "standard input", o.IO.In
		s.countable = isRegular(o.IO.In)
		return nil
	}
	switch o.InputFile {
	case "":
		if len(o.URLs) == 0 {
			if o.IO.InTTY {
				return nil, errNoInput
			}
			if err := stdin(); err != nil {
				return nil, err
			}
		}
	case "-":
		if err := stdin(); err != nil {
			return nil, err
		}
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
		s.name = o.InputFile
		if st.Mode().IsRegular() {
			f.Close()
			s.path = o.InputFile
			break
		}
		// A FIFO, a pipe behind /dev/stdin or /dev/fd/N, a terminal:
		// one pass only.
		s.stream, s.closer, s.countable = f, f, false
	}
	return s, nil
}

// isRegular reports whether r is an open regular file.
func isRegular(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// errNoInput is the usage error of a run with no list at all.
var errNoInput = errors.New("no URLs: give them as arguments, with --input FILE, or on standard input")

// emptyError is the usage error of a list with no URL in it.
type emptyError struct{ where string }

func (e *emptyError) Error() string { return "no URLs in " + e.where }

// noteEmptyShard says that this shard of the list has no URL: a run of
// zero URLs, not an error (another shard of a CI matrix has them).
func noteEmptyShard(o *Options, where string) {
	o.note("shard %s of %s has no URLs", o.crawl.store.shard.String(), where)
}

// describe names the whole list in messages: "the arguments",
// "urls.txt", "the arguments and standard input".
func (s *source) describe() string {
	switch {
	case s.name == "":
		return "the arguments"
	case len(s.args) > 0:
		return "the arguments and " + s.name
	}
	return s.name
}

// replayable makes every pass read the same URLs: a stream is copied to a
// temporary file, read by every pass. Memory stays flat. The copy ends
// early when ctx does (nothing has been fetched then).
func (s *source) replayable(ctx context.Context) error {
	if s.stream == nil {
		return nil
	}
	f, err := os.CreateTemp("", "fetch-input-*")
	if err != nil {
		return fmt.Errorf("spooling %s: %w", s.name, err)
	}
	s.spool = f.Name()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(f, s.stream)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err() // the copy may be blocked in a read: leave it
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("reading %s: %w", s.name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spooling %s: %w", s.name, err)
	}
	if s.closer != nil {
		s.closer.Close()
		s.closer = nil
	}
	s.stream, s.path, s.countable = nil, s.spool, true
	return nil
}

// close ends the current pass, closes a stream we opened and removes the
// spool.
func (s *source) close() {
	s.endPass()
	if s.closer != nil {
		s.closer.Close()
		s.closer = nil
	}
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
	case s.path != "":
		f, err := os.Open(s.path)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		s.openFile = f
		lr.br = bufio.NewReaderSize(f, maxLineLength)
	case s.stream != nil:
		lr.br = bufio.NewReaderSize(s.stream, maxLineLength)
	}
	return lr, nil
}

// count returns the number of URL lines of a pass, or -1 when it is
// unknown without consuming the input (a stream).
func (s *source) count() int64 {
	n := int64(0)
	for _, a := range s.args {
		if isURLLine(a) && (s.shard == nil || s.shard.in(strings.TrimSpace(a))) {
			n++
		}
	}
	if s.stream != nil {
		return -1
	}
	if s.path == "" {
		return n
	}
	f, err := os.Open(s.path)
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
	arg   bool        // the last line returned was an argument
	// otherShards counts the URL lines skipped as another shard's: a
	// list whose shard is empty is not an empty list.
	otherShards int64
}

// emptyShard reports whether the lines read so far were all another
// shard's: the list had URLs, none of this shard.
func (r *lineReader) emptyShard() bool { return r.otherShards > 0 }

// where names the last line returned, for messages: "line N" of the
// input, or "argument".
func (r *lineReader) where() string {
	if r.arg {
		return "argument"
	}
	return "line " + strconv.FormatInt(r.line, 10)
}

// lineBuffered reports whether next can return a URL line without
// reading from the underlying reader: an argument is left, or a whole URL
// line (blank lines and comments before it included) is in the buffer.
func (r *lineReader) lineBuffered() bool {
	if len(r.args) > 0 {
		return true
	}
	if r.br == nil {
		return false
	}
	b, _ := r.br.Peek(r.br.Buffered())
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		if line := bytes.TrimSpace(b[:i]); len(line) > 0 && line[0] != '#' {
			return true
		}
		b = b[i+1:]
	}
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
		r.otherShards++
	}
}

func (r *lineReader) nextLine() (text string, tooLong bool, err error) {
	for len(r.args) > 0 {
		a := r.args[0]
		r.args = r.args[1:]
		if isURLLine(a) {
			r.arg = true
			return strings.TrimSpace(a), false, nil
		}
	}
	r.arg = false
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

// splitLabel splits a line of a list into its URL and the label after
// it: `URL<white space>label…`. A '#' after white space starts a comment,
// which is dropped; a '#' inside the URL (a fragment) is kept.
func splitLabel(line string) (u, label string) {
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	u, rest := line[:i], line[i:]
	for j := 0; j < len(rest); j++ {
		if rest[j] == '#' && (rest[j-1] == ' ' || rest[j-1] == '\t') {
			rest = rest[:j]
			break
		}
	}
	return u, strings.TrimSpace(rest)
}

// lineResult is one line of input as the reader hands it to the feeder.
type lineResult struct {
	text    string
	tooLong bool
	lineNo  int64 // its line number in the file or stream (0 for an argument)
	err     error
}

// maxLineBatch bounds the lines the reader hands over at once.
const maxLineBatch = 256

// asyncLines reads lines on a goroutine of its own, one batch per
// request, so that the feeder can give up waiting for a stream that
// stalls (a pipe whose writer is silent) when the run is interrupted. A
// batch is the line asked for and the further lines already buffered
// (read without waiting): lines are only read when asked for, so at any
// moment the feeder knows exactly which lines were read, and those of a
// batch not yet begun are counted as not started.
type asyncLines struct {
	lr    *lineReader
	req   chan struct{}
	resp  chan []lineResult
	stop  chan struct{}
	queue []lineResult // the rest of the last batch; feeder side
}

func newAsyncLines(lr *lineReader) *asyncLines {
	a := &asyncLines{lr: lr, req: make(chan struct{}), resp: make(chan []lineResult, 1), stop: make(chan struct{})}
	go a.loop()
	return a
}

func (a *asyncLines) loop() {
	for {
		select {
		case <-a.req:
		case <-a.stop:
			return
		}
		batch := make([]lineResult, 0, 16)
		for {
			text, tooLong, err := a.lr.next()
			batch = append(batch, lineResult{text, tooLong, a.lr.line, err})
			if err != nil || len(batch) == maxLineBatch || !a.lr.lineBuffered() {
				break
			}
		}
		a.resp <- batch
		if batch[len(batch)-1].err != nil {
			return
		}
	}
}

// next returns the next line: the next of the last batch, or the first of
// a new one, waiting for it or for done. When done ends the wait, ok is
// false, and pending tells whether a batch was asked for (wait returns
// it) or not.
func (a *asyncLines) next(done <-chan struct{}) (l lineResult, ok, pending bool) {
	if len(a.queue) > 0 {
		l, a.queue = a.queue[0], a.queue[1:]
		return l, true, false
	}
	select {
	case a.req <- struct{}{}:
	case <-done:
		return lineResult{}, false, false
	}
	select {
	case batch := <-a.resp:
		l, a.queue = batch[0], batch[1:]
		return l, true, false
	case <-done:
		return lineResult{}, false, true
	}
}

// wait returns the first line of a batch asked for by an abandoned next,
// waiting for it (only for inputs whose reads never stall).
func (a *asyncLines) wait() lineResult {
	batch := <-a.resp
	l := batch[0]
	a.queue = batch[1:]
	return l
}

// queued counts the URL lines read and not yet handed out.
func (a *asyncLines) queued() int64 {
	n := int64(0)
	for _, l := range a.queue {
		if l.err == nil {
			n++
		}
	}
	return n
}

// close stops the reader goroutine once it is not reading.
func (a *asyncLines) close() { close(a.stop) }
