//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// raiseFileLimit lifts the soft limit of open files (RLIMIT_NOFILE) to
// the hard one, as the command does at start, so that thousands of
// sockets fit where the system allows them; it returns the soft limit in
// force, and false if it cannot be read.
func raiseFileLimit() (uint64, bool) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &want) == nil {
			lim = want
		}
	}
	return uint64(lim.Cur), true
}

// openFiles counts the files the process has open, or returns -1 when it
// cannot tell.
func openFiles() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if entries, err := os.ReadDir(dir); err == nil {
			return len(entries) - 1 // the directory's own, open while it was read
		}
	}
	return -1
}
