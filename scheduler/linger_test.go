package scheduler_test

import (
	"net"
	"syscall"
	"testing"
)

// lingerReset sets SO_LINGER to zero so that closing c sends a RST.
func lingerReset(t *testing.T, c net.Conn) {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	})
}
