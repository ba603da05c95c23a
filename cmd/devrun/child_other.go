//go:build !linux

package main

import (
	"os/exec"
	"syscall"
)

// startChild starts cmd in a process group of its own; only Linux can tie
// its life to devrun's, elsewhere devrun stops it on the signals it gets.
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}
