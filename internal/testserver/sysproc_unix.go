//go:build unix && !linux

package testserver

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group. Without a
// parent-death signal on this system, a child outlives a killed test process.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
