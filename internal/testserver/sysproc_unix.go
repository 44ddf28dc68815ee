//go:build unix && !linux

package testserver

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in a session (and so a process group) of its
// own, as a server that daemonizes puts itself. Without a parent-death
// signal on this system, a child outlives a killed test process.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
