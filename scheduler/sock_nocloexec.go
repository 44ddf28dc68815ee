//go:build darwin || netbsd || openbsd || solaris || aix

package scheduler

import (
	"os"

	"syscall"

	"golang.org/x/sys/unix"
)

// sysSocket opens a socket and then makes it nonblocking and close-on-exec:
// these systems have no SOCK_NONBLOCK.
func sysSocket(family, sotype int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, sotype, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("setnonblock", err)
	}
	return fd, nil
}

// sysAccept accepts a connection and makes it nonblocking and close-on-exec.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}
