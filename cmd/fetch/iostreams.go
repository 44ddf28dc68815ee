package main

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the standard streams of a command and what is known about
// them. Commands write results to Out only, and messages and progress to
// ErrOut. Tests use Test.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY   bool // In is a terminal: never read URLs from it unasked
	OutTTY  bool // Out is a terminal
	OutPipe bool // Out is a pipe or a socket: no progress bar in auto (its reader may share the terminal)
	ErrTTY  bool // ErrOut is a terminal: progress bars are allowed

	// TermWidth returns the width of the terminal behind ErrOut in
	// columns. If nil, or when it returns 0 or less, 80 is used.
	TermWidth func() int

	// Getenv reads the environment (CI, NO_COLOR). If nil, no variable is set.
	Getenv func(string) string
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In:      os.Stdin,
		Out:     os.Stdout,
		ErrOut:  os.Stderr,
		InTTY:   term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		OutPipe: isPipe(os.Stdout),
		ErrTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		TermWidth: func() int {
			w, _, err := term.GetSize(int(os.Stderr.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
		Getenv: os.Getenv,
	}
}

// isPipe reports whether f is a pipe (a FIFO) or a socket.
func isPipe(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

// termWidth is the width to fit progress lines to.
func (s *IOStreams) termWidth() int {
	if s.TermWidth != nil {
		if w := s.TermWidth(); w > 0 {
			return w
		}
	}
	return 80
}

// Test returns streams on buffers, none a terminal, with an empty
// environment, and the buffers behind In, Out and ErrOut.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = new(bytes.Buffer), new(bytes.Buffer), new(bytes.Buffer)
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func (s *IOStreams) getenv(key string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(key)
}
