//go:build unix

package dnsresolver

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has
// used: the resolver's cost without the server's, which runs in a
// process of its own.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
