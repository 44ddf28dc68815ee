//go:build (linux || darwin || dragonfly || freebsd || netbsd || openbsd) && (amd64 || arm64) && !greenfetch_nogetg

package scheduler

// getgFallback is false: getg reads the runtime's g pointer in assembly
// (getg_amd64.s, getg_arm64.s).
const getgFallback = false

// getg returns an identity of the calling goroutine, unique among the
// goroutines alive at the moment of the call: the address of its g.
func getg() uint64
