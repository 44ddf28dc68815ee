//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package scheduler

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The tag rides in Udata, whose type differs between the BSDs (a pointer
// on some, an integer on others); copying its bytes works for both as long
// as it is at least 8 bytes wide, which it is on every 64-bit kqueue system.

func setKqueueTag(ev *unix.Kevent_t, tag uint64) {
	*(*uint64)(unsafe.Pointer(&ev.Udata)) = tag
}

func kqueueTag(ev *unix.Kevent_t) uint64 {
	return *(*uint64)(unsafe.Pointer(&ev.Udata))
}
