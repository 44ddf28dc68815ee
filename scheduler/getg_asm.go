//go:build (linux || darwin || dragonfly || freebsd || netbsd || openbsd) && (amd64 || arm64)

package scheduler

// getg returns an identity of the calling goroutine, unique among the
// goroutines alive at the moment of the call.
func getg() uintptr
