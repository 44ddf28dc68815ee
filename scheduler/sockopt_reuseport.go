//go:build unix && !solaris

package scheduler

import (
	"os"

	"golang.org/x/sys/unix"
)

// setReusePort sets SO_REUSEPORT on fd (ListenConfig.ReusePort).
func setReusePort(fd int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
}
