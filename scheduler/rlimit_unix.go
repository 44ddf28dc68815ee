//go:build unix

package scheduler

import "golang.org/x/sys/unix"

// raiseFileLimit lifts RLIMIT_NOFILE's soft limit to the hard one, so that
// a hub can hold thousands of sockets.
func raiseFileLimit() {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
}
