package devstack

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel send cmd's process SIGKILL when its parent thread dies (see StartProcess).
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
