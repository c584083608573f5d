//go:build !linux

package main

import "syscall"

// childProcAttr returns nil: only Linux can tie the bot's life to the
// driver's.
func childProcAttr() *syscall.SysProcAttr {
	return nil
}
