package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// readStdinBody reads the body of -d @- from standard input into a
// temporary file, which the fetcher then reads as -d @FILE does (with
// curl's rules: carriage returns and newlines dropped), and returns the
// function that removes it. The read ends early when ctx does.
func readStdinBody(ctx context.Context, o *Options) (remove func(), err error) {
	if o.IO.In == nil {
		return nil, errors.New("no standard input")
	}
	f, err := os.CreateTemp("", "fetch-body-*")
	if err != nil {
		return nil, fmt.Errorf("keeping the body: %w", err)
	}
	remove = func() { os.Remove(f.Name()) }
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(f, o.IO.In)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		f.Close()
		remove()
		return nil, ctx.Err() // the copy may be blocked in a read: leave it
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		remove()
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	o.bodyFile = f.Name()
	return remove, nil
}

// bodyData is -d as the fetcher reads it: -d @- becomes the file the body
// was read into, or, before it is read (the flags' checks), a stand-in
// body.
func bodyData(o *Options) string {
	if o.Data != "@-" {
		return o.Data
	}
	if o.bodyFile != "" {
		return "@" + o.bodyFile
	}
	return "-"
}
