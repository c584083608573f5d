package main

import "syscall"

// childProcAttr makes the kernel kill the bot when the driver dies, so that
// an interrupted run leaves no bot behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
