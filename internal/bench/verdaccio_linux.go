package bench

import "syscall"

// killWithParent asks Linux to kill the child when this process dies, so
// that a benchmark killed outright leaves no Verdaccio behind.
func killWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
