//go:build linux

package testserver

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in a session (and so a process group) of its
// own, as a server that daemonizes puts itself, and kills it when the
// thread that started it exits (see startProcess). Where the kernel
// groups CPU time by session (autogroup, on by default), a server in the
// test's session would compete with the client under test as if they
// were one program, which no deployed server does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
