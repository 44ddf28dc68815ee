//go:build (linux || darwin || dragonfly || freebsd || netbsd || openbsd) && !greenfetch_nogetg

#include "textflag.h"

// func getg() uint64
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET
