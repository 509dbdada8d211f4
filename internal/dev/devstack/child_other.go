//go:build !linux

package devstack

import "os/exec"

// dieWithParent does nothing: only Linux has Pdeathsig, so elsewhere a killed launcher leaves its children
// running.
func dieWithParent(*exec.Cmd) {}
