//go:build solaris

package scheduler

import (
	"errors"
	"os"
)

// setReusePort fails: x/sys/unix has no SO_REUSEPORT for solaris and
// illumos (where no hub runs anyway: see poll_stub.go).
func setReusePort(int) error {
	return os.NewSyscallError("setsockopt", errors.ErrUnsupported)
}
