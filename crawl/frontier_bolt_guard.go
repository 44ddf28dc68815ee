package crawl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// A bbolt file that is damaged (truncated, bytes changed on disk) makes
// bbolt panic, or fault on its memory map (SIGBUS, SIGSEGV), when a page
// it reads is not what it expects: bbolt checks no checksum but its meta
// pages'. Every call of bbolt goes through guard, which turns the panic
// (and, with debug.SetPanicOnFault, the fault) into an error naming the
// file, as other bbolt users do; a transaction that panics is rolled
// back by bbolt's own deferred rollback.

// ErrStoreDamaged marks a store file that cannot be read as a whole (a
// bbolt file truncated or changed on disk). It wraps ErrStoreSetup:
// fetch exits 2.
var ErrStoreDamaged = fmt.Errorf("%w: damaged", ErrStoreSetup)

// damagedError is the error of a damaged bolt file.
type damagedError struct {
	path string
	what string // bbolt's panic, or the fault
	// Of ReadResults: the records read through bbolt, then those
	// salvaged by a scan of the file.
	read, salvaged int
	results        bool
}

func (e *damagedError) Error() string {
	s := fmt.Sprintf("bolt %s is damaged (%s): truncated or changed on disk since a crawl wrote it", e.path, e.what)
	if e.results {
		s += fmt.Sprintf("; %d results read, %d more salvaged by a scan of the file (of every crawl it holds)", e.read, e.salvaged)
	}
	return s
}

func (e *damagedError) Unwrap() error { return ErrStoreDamaged }

// guard runs fn, a call of bbolt on the file at path, and returns its
// error, or a damagedError if it panicked or faulted.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &damagedError{path: path, what: fmt.Sprint(r)}
		}
	}()
	return fn()
}

// maxSalvageLine bounds a line the salvage scan holds: a record longer
// than this (a result is a few hundred bytes) is not salvaged.
const maxSalvageLine = 1 << 20

// salvageRecords scans the bytes of the file at path for result records
// (NDJSON objects, each ending with '\n', as Config.Record makes them and
// bbolt keeps each value: contiguous, after its key) and calls fn with
// each one not in seen (hashes of records given already), whatever
// bbolt's pages around them say. Copies left in freed pages are the same
// bytes, so each record comes once; records of every crawl in the file
// come alike. It returns how many it gave.
func salvageRecords(path string, seen *VisitedSet, fn func([]byte) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var line []byte
	n := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) <= maxSalvageLine {
			line = append(line, chunk...)
		} else {
			line = line[:0] // too long: no record of ours; skip to its end
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			chunk = nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if rec := lastRecord(line); rec != nil {
				h := recordHash(rec)
				if !seen.Has(h) {
					seen.Add(h)
					if ferr := fn(append([]byte(nil), rec...)); ferr != nil {
						return n, ferr
					}
					n++
				}
			}
		}
		line = line[:0]
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// lastRecord returns the JSON object that ends line (with its '\n'), from
// the first `{"` at which the rest is one valid object; nil if none.
func lastRecord(line []byte) []byte {
	for i, tries := 0, 0; i < len(line) && tries < 16; tries++ {
		j := bytes.Index(line[i:], []byte(`{"`))
		if j < 0 {
			return nil
		}
		rec := line[i+j:]
		if json.Valid(rec[:len(rec)-1]) {
			return rec
		}
		i += j + 1
	}
	return nil
}

// recordHash is the key of a record in the set of records given.
func recordHash(rec []byte) uint64 {
	h := fnv.New64a()
	h.Write(rec)
	return h.Sum64()
}
