//go:build linux

package crawl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// boltSocketName is the name of the socket a bolt writer serves its
// file's results on: an abstract Unix socket (it vanishes with its
// process, leaving no file) named by the file's device and inode, so
// that every path to the file finds it.
func boltSocketName(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", errors.ErrUnsupported
	}
	return fmt.Sprintf("@greenfetch-bolt-%x-%x", uint64(st.Dev), uint64(st.Ino)), nil
}

// samePeerUser reports whether the process at the other end of c runs
// as this process's user (or as root): an abstract socket is open to
// every user of the machine, the file is not.
func samePeerUser(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return int(cred.Uid) == os.Geteuid() || cred.Uid == 0
}
