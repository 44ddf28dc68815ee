package main

// -o FILE: where the results go when they do not go to standard output.
//
// A run never destroys a file it was not asked to replace, nor one it has
// not replaced yet:
//
//   - -o naming a file the run reads (the list, -d @FILE, --cacert, a
//     bolt: store, a standard input that is read) is a usage error, found
//     by os.SameFile, not by name;
//   - the results are written to FILE.partial, created beside FILE (never
//     over an existing one: that is another run's, or a killed run's
//     results), and renamed over FILE when the run ends: FILE is replaced
//     whole or not at all;
//   - a usage error (nothing written), or a run that ends before it
//     starts (a stored crawl already complete), removes FILE.partial and
//     leaves FILE as it was, byte for byte;
//   - results that could not all be written (a full disk), or a crash
//     (kill -9), leave FILE as it was and the whole lines written so far
//     in FILE.partial;
//   - a FILE that is no regular file (/dev/null, /dev/stdout, a FIFO) is
//     written in place.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// partialSuffix names the file results are written to until the run ends.
const partialSuffix = ".partial"

// outputFile is the -o FILE of one run.
type outputFile struct {
	name    string // FILE as given, for messages
	target  string // the file the partial one replaces (FILE, its symbolic links followed)
	partial string // FILE.partial, written until the run ends; "" when FILE is written in place
	f       *os.File
}

// writesInPlace reports whether -o name is written as it is, not through
// a partial file: a device, a FIFO, a socket, or a name under /dev or
// /proc (such as /dev/stdout, whose file a rename would not reach).
func writesInPlace(name string) bool {
	if strings.HasPrefix(filepath.Clean(name), "/dev/") || strings.HasPrefix(filepath.Clean(name), "/proc/") {
		return true
	}
	st, err := os.Stat(name)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}

// createOutput opens -o name for the results: FILE.partial, created
// beside FILE, or name itself when it is written in place (writesInPlace).
// Its errors are usage errors: nothing was fetched.
func createOutput(name string) (*outputFile, error) {
	of := &outputFile{name: name, target: name}
	if writesInPlace(name) {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, err
		}
		of.f = f
		return of, nil
	}
	st, err := os.Stat(name)
	switch {
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("%s is a directory", name)
	case err == nil:
		// Replace the file the name leads to, not a symbolic link on the way.
		if of.target, err = filepath.EvalSymlinks(name); err != nil {
			return nil, err
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	of.partial = of.target + partialSuffix
	perm := os.FileMode(0o666) // as os.Create, less the umask
	if st != nil {
		perm = st.Mode().Perm() // the results file keeps its permissions
	}
	f, err := os.OpenFile(of.partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s exists: another fetch is writing it, or one that was killed left its results there; move it away or remove it, then run again", of.partial)
	}
	if err != nil {
		return nil, err
	}
	of.f = f
	return of, nil
}

// describe names where the results are being written, for messages.
func (of *outputFile) describe() string {
	if of.partial != "" {
		return of.partial
	}
	return of.name
}

// finish ends the output of a run that ended with code, and returns the
// code the run exits with: the results replace FILE (exit 4 if that
// fails), or, after a run that wrote nothing and ended before its passes
// (a usage error, a stored crawl already complete) or with a usage
// error, FILE.partial goes and FILE stays as it was; after results that
// could not be written (code exitOutput), FILE.partial keeps the whole
// lines written and FILE stays as it was.
func (of *outputFile) finish(code exitCode, ran bool, errOut io.Writer) exitCode {
	if of.partial == "" {
		if err := of.f.Close(); err != nil && code != exitUsage && code != exitOutput {
			fmt.Fprintf(errOut, "fetch: writing results to %s: %s\n", shownText(of.name), shownErr(err))
			return exitOutput
		}
		return code
	}
	if code == exitUsage || !ran {
		if st, err := of.f.Stat(); err == nil && st.Size() == 0 {
			// Nothing was written: the run leaves nothing behind.
			of.f.Close()
			os.Remove(of.partial)
			return code
		}
	}
	kept := func(err error) exitCode {
		if err != nil {
			fmt.Fprintf(errOut, "fetch: writing results to %s: %s\n", shownText(of.partial), shownErr(err))
		}
		fmt.Fprintf(errOut, "fetch: the results written so far are in %s; %s was left as it was\n", shownText(of.partial), shownText(of.name))
		return exitOutput
	}
	if code == exitOutput {
		of.f.Close()
		return kept(nil)
	}
	// On disk before the rename, so that a crash never leaves FILE empty.
	if err := of.f.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		of.f.Close()
		return kept(err)
	}
	if err := of.f.Close(); err != nil {
		return kept(err)
	}
	if err := os.Rename(of.partial, of.target); err != nil {
		return kept(err)
	}
	return code
}

// sameFileAs returns the first of the files a run reads (names, a
// description each) that is the file name, and "" when none is (or name
// does not exist yet).
func sameFileAs(name string, reads []readFile) string {
	out, err := os.Stat(name)
	if err != nil {
		return ""
	}
	for _, r := range reads {
		st := r.st
		if st == nil {
			var err error
			if st, err = os.Stat(r.name); err != nil {
				continue
			}
		}
		if os.SameFile(out, st) {
			return r.what
		}
	}
	return ""
}

// readFile is a file a run reads: by name, or already open (st).
type readFile struct {
	what string      // how the user named it: "the list (-i urls.txt)"
	name string      // its path, when st is nil
	st   os.FileInfo // its FileInfo, for an open file (standard input)
}

// filesRead lists the files the run of o reads, for -o to refuse.
func filesRead(o *Options) []readFile {
	var reads []readFile
	if o.InputFile != "" && o.InputFile != "-" {
		reads = append(reads, readFile{what: "the list (-i " + o.InputFile + ")", name: o.InputFile})
	}
	if o.stdinRead() {
		if f, ok := o.IO.In.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				reads = append(reads, readFile{what: "standard input", st: st})
			}
		}
	}
	if name, ok := strings.CutPrefix(o.Data, "@"); ok && name != "-" {
		reads = append(reads, readFile{what: "the body (-d @" + name + ")", name: name})
	}
	if o.CACert != "" {
		reads = append(reads, readFile{what: "the certificates (--cacert " + o.CACert + ")", name: o.CACert})
	}
	if c := o.crawl; c != nil {
		if path, ok := strings.CutPrefix(c.store.spec, "bolt:"); ok {
			reads = append(reads, readFile{what: "the store (--frontier " + c.store.spec + ")", name: path})
		}
	}
	return reads
}

// stdinRead reports whether the run reads standard input: the list comes
// from it (-i -, or no list given) or -d @- reads the body from it.
func (o *Options) stdinRead() bool {
	return o.listOnStdin() || o.Data == "@-"
}

// listOnStdin reports whether the URL list (or the seeds) is read from
// standard input.
func (o *Options) listOnStdin() bool {
	return o.InputFile == "-" || (o.InputFile == "" && len(o.URLs) == 0)
}
