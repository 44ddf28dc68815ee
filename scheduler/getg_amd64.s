//go:build (linux || darwin || dragonfly || freebsd || netbsd || openbsd) && !greenfetch_nogetg

#include "textflag.h"

// func getg() uint64
//
// getg returns the address of the calling goroutine's g. It identifies the
// goroutine for as long as it lives, which is all the hub needs to tell its
// own tasks from strangers.
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET
