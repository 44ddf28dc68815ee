package scheduler_test

import (
	"net"
	"syscall"
)

// lingerReset sets SO_LINGER to zero so that closing c sends a RST. It
// runs inside tasks, so it returns an error rather than calling t.Fatal.
func lingerReset(c net.Conn) error {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	}); err != nil {
		return err
	}
	return serr
}
