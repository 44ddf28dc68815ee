//go:build linux || dragonfly || freebsd

package scheduler

import (
	"os"

	"golang.org/x/sys/unix"
)

// sysSocket opens a nonblocking close-on-exec socket in one call.
func sysSocket(family, sotype int) (int, error) {
	fd, err := unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	return fd, os.NewSyscallError("socket", err)
}

// sysAccept accepts a connection as a nonblocking close-on-exec fd.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
