//go:build (linux || darwin || dragonfly || freebsd || netbsd || openbsd) && !amd64 && !arm64

package scheduler

import (
	"runtime"
	"strconv"
)

// getg returns an identity of the calling goroutine, unique among the
// goroutines alive at the moment of the call. On architectures without the
// assembly fast path it parses the goroutine ID out of runtime.Stack, which
// is slow (about a microsecond) but correct.
func getg() uintptr {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	// "goroutine 123 [running]:"
	const prefix = len("goroutine ")
	if len(b) <= prefix {
		return 0
	}
	b = b[prefix:]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
	return uintptr(id)
}
