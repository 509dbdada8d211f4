//go:build integration

package devstack

import (
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChildrenDieWithLauncher SIGKILLs a launcher (the test binary as a helper process that starts Temporal and
// MinIO as cmd/devstack does), which leaves it no chance to stop them, and requires that both die with it and
// free their ports: otherwise the next `make run` finds them holding the ports and the data directory.
func TestChildrenDieWithLauncher(t *testing.T) {
	launcher, _ := helperCommand(t, "launcher", helperDirEnv+"="+t.TempDir())
	stdout, err := launcher.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, launcher.Start())
	t.Cleanup(func() {
		_ = launcher.Process.Kill()
		_ = launcher.Wait()
	})
	servers := readServers(t, stdout, 2)
	for _, s := range servers {
		// Survivors of a failed run must not outlive the test.
		t.Cleanup(func() {
			if !gone(s.pid) {
				_ = syscall.Kill(s.pid, syscall.SIGKILL)
			}
		})
	}

	require.NoError(t, launcher.Process.Kill())
	var exitErr *exec.ExitError
	require.ErrorAs(t, launcher.Wait(), &exitErr)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			// Polled: the kernel signals the servers as the launcher's threads exit, and each then dies and
			// releases its sockets in its own time; they are not this process's children, so there is nothing
			// to wait on.
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				assert.True(c, gone(s.pid), "%s (pid %d) still running", s.name, s.pid)
				ln, err := net.Listen("tcp", s.addr)
				if assert.NoError(c, err, "%s's port %s still taken", s.name, s.addr) {
					_ = ln.Close()
				}
			}, 15*time.Second, 50*time.Millisecond)
		})
	}
}
