//go:build !unix

package main

// raiseFileLimit: no RLIMIT_NOFILE here; the limit is unknown.
func raiseFileLimit() (uint64, bool) { return 0, false }

// openFiles: unknown here.
func openFiles() int { return -1 }
