//go:build !linux

package bench

import "syscall"

// killWithParent is Linux-only; elsewhere stop (deferred, and on
// interrupt) is what ends the child.
func killWithParent(*syscall.SysProcAttr) {}
