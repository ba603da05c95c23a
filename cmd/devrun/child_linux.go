package main

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startChild starts cmd in a process group of its own (devrun forwards
// Ctrl-C itself) that Linux sends SIGTERM when devrun dies, however it
// dies: a closed terminal, kill -9. The parent-death signal belongs to the
// thread that started the child, so the start holds its thread.
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Start()
}
