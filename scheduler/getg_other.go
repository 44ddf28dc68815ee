//go:build unix && !((linux || darwin || dragonfly || freebsd || netbsd || openbsd) && (amd64 || arm64) && !greenfetch_nogetg)

package scheduler

import (
	"runtime"
	"strconv"
	"sync"
)

// getgFallback is true: getg parses runtime.Stack. It is used on
// architectures without getg assembly, and everywhere when built with the
// tag greenfetch_nogetg, which scripts/test.sh uses so that this path runs
// in CI.
const getgFallback = true

// getg returns an identity of the calling goroutine, unique among the
// goroutines alive at the moment of the call: its goroutine ID, parsed out
// of the header runtime.Stack writes ("goroutine 123 [running]:"). That
// costs about a microsecond, against a nanosecond for the assembly.
//
// It never returns 0: the hub compares identities to tell its tasks from
// strangers (ErrWrongHub), and a 0 would match a loop or task whose
// identity is unset, turning the check off. If the header cannot be
// parsed, getg panics: a runtime that changed its format must be noticed,
// not silently trusted.
func getg() uint64 {
	buf := stackBufs.Get().(*[64]byte)
	b := buf[:runtime.Stack(buf[:], false)]
	id, ok := parseGoroutineID(b)
	if !ok {
		panic("scheduler: cannot identify the calling goroutine: runtime.Stack header " + strconv.Quote(string(b)) + " has no goroutine ID")
	}
	stackBufs.Put(buf)
	return id
}

// stackBufs holds getg's buffers: runtime.Stack makes its buffer escape,
// and a switch between tasks must not allocate (TestHubSwitchAllocs).
var stackBufs = sync.Pool{New: func() any { return new([64]byte) }}

// parseGoroutineID reads N from a stack header "goroutine N [...". It
// reports false unless N is a positive decimal number followed by a space.
func parseGoroutineID(b []byte) (uint64, bool) {
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0, false
	}
	b = b[len(prefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(b) || b[i] != ' ' {
		return 0, false
	}
	id, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil || id == 0 {
		return 0, false
	}
	return id, true
}
