//go:build linux

package testserver

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group and kills it when the
// thread that started it exits (see startProcess).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
