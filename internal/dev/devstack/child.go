package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"
)

// errExited is the cause of a child's readiness context when the child exits before it is ready.
var errExited = errors.New("exited before ready")

// Process is a server process a stack started, which dies with the process that started it.
type Process struct {
	cmd *exec.Cmd
	// exited is closed once the process has exited; err is then cmd.Wait's result.
	exited chan struct{}
	err    error
}

// StartProcess starts cmd so that it cannot outlive its launcher, even one killed with SIGKILL: on Linux the
// kernel sends the child SIGKILL (Pdeathsig) when its parent dies. The caller's SysProcAttr (e.g. Setpgid) is
// kept.
//
// The kernel's parent is the OS thread that forked the child, not the process, and the Go runtime ends a
// thread whenever a goroutine locked to it returns (golang/go#27505): forked from an arbitrary thread, the
// child could be killed while the launcher runs on. So cmd is started, and waited for, by a goroutine of its
// own locked to its thread, never unlocked: that thread runs nothing else, and it ends only when the goroutine
// returns after the child has exited.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	dieWithParent(cmd)
	c := &Process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// WhileRunning returns a context that is also cancelled, with cause errExited, when the child exits. Call the
// returned function to release it.
func (c *Process) WhileRunning(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-c.exited:
			cancel(fmt.Errorf("%w: %v", errExited, c.err))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// Stop sends sig and waits up to grace for the child to exit, then kills it. It returns nil once the child has
// exited (whatever its status), and an error if it had to be killed.
func (c *Process) Stop(sig os.Signal, grace time.Duration) error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	if err := c.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.exited:
		return nil
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("killed after %s", grace)
	}
}

// Kill sends the process SIGKILL and waits until it has exited.
func (c *Process) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// Exited is closed once the process has exited; Err then is how.
func (c *Process) Exited() <-chan struct{} { return c.exited }

// Err is the process's exit (cmd.Wait's result), once Exited is closed.
func (c *Process) Err() error { return c.err }

// Pid is the process id.
func (c *Process) Pid() int { return c.cmd.Process.Pid }
