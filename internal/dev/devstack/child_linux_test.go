package devstack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
)

// helperEnv makes the test binary play a helper process instead of running the tests (see TestMain), and
// helperDirEnv gives the launcher helper its data directory.
const (
	helperEnv    = "DEVSTACK_TEST_HELPER"
	helperDirEnv = "DEVSTACK_TEST_DIR"
)

// TestMain runs the tests, or with helperEnv set plays a helper process: "block" waits until its stdin
// closes; "launcher" is runLauncher.
func TestMain(m *testing.M) {
	os.Exit(helperMain(m))
}

func helperMain(m *testing.M) int {
	var err error
	switch mode := os.Getenv(helperEnv); mode {
	case "":
		return m.Run()
	case "block":
		_, err = io.Copy(io.Discard, os.Stdin)
	case "launcher":
		err = runLauncher(os.Getenv(helperDirEnv))
	default:
		err = fmt.Errorf("unknown %s=%q", helperEnv, mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper: %v\n", err)
		return 1
	}
	return 0
}

// runLauncher plays cmd/devstack: it starts Temporal and MinIO through this package as the launcher does,
// prints "name pid address" for each once they are ready, and runs until its stdin closes (or it is killed).
func runLauncher(dir string) error {
	ctx := context.Background()
	out, err := os.Create(filepath.Join(dir, "servers.log"))
	if err != nil {
		return err
	}
	defer out.Close()
	temporal, err := StartTemporal(ctx, TemporalOptions{
		Output: out, Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return err
	}
	defer func() { _ = temporal.Stop() }()
	minio, err := StartMinIO(ctx, MinIOOptions{
		DataDir: filepath.Join(dir, "minio"), User: "testadmin", Password: "testadmin-secret", Output: out,
	})
	if err != nil {
		return err
	}
	defer func() { _ = minio.Stop() }()
	fmt.Printf("temporal %d %s\n", temporal.proc.cmd.Process.Pid, temporal.HostPort)
	fmt.Printf("minio %d %s\n", minio.proc.cmd.Process.Pid, minio.Endpoint)
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// helperCommand returns a command running the test binary as the helper mode, and the write end of its stdin:
// closing it (or the test process ending) ends the helper.
func helperCommand(t *testing.T, mode string, env ...string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	t.Cleanup(func() { _ = stdin.Close() })
	return cmd, stdin
}

// TestChildOutlivesStartersThread starts a child from a goroutine locked to its OS thread, which then returns
// without unlocking, so the Go runtime ends that thread. Forked on that thread, the child would get its
// Pdeathsig (SIGKILL) then (golang/go#27505); StartProcess forks on a thread of its own, so the child must still
// be alive afterwards, and die of the SIGTERM the test sends it.
func TestChildOutlivesStartersThread(t *testing.T) {
	cmd, _ := helperCommand(t, "block")
	type started struct {
		c   *Process
		tid int
		err error
	}
	res := make(chan started)
	var r started
	for {
		go func() {
			runtime.LockOSThread()
			tid := syscall.Gettid()
			if tid == syscall.Getpid() {
				// The runtime never ends the main thread (it parks it instead): try again on another one.
				runtime.UnlockOSThread()
				res <- started{tid: tid}
				return
			}
			c, err := StartProcess(cmd)
			res <- started{c: c, tid: tid, err: err}
		}()
		if r = <-res; r.tid != syscall.Getpid() {
			break
		}
	}
	require.NoError(t, r.err)
	t.Cleanup(func() { _ = r.c.Stop(syscall.SIGKILL, time.Second) })

	// Polled: the runtime ends the thread after the goroutine has returned, in its own time. The kernel sends a
	// Pdeathsig before the thread leaves /proc, so from then on a pending SIGKILL would win over the SIGTERM.
	task := "/proc/self/task/" + strconv.Itoa(r.tid)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		_, err := os.Stat(task)
		assert.ErrorIs(c, err, fs.ErrNotExist, "thread %d still running", r.tid)
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, r.c.Stop(syscall.SIGTERM, 10*time.Second))
	var exitErr *exec.ExitError
	require.ErrorAs(t, r.c.err, &exitErr)
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.Equal(t, syscall.SIGTERM.String(), status.Signal().String(),
		"the child died before the test's SIGTERM: its Pdeathsig fired when the thread that started it ended")
}

// server is a child of the launcher helper.
type server struct {
	name string
	pid  int
	addr string
}

// readServers reads the launcher helper's "name pid address" lines.
func readServers(t *testing.T, r io.Reader, n int) []server {
	t.Helper()
	scanner := bufio.NewScanner(r)
	var servers []server
	for len(servers) < n && scanner.Scan() {
		f := strings.Fields(scanner.Text())
		require.Len(t, f, 3, "launcher helper printed %q", scanner.Text())
		pid, err := strconv.Atoi(f[1])
		require.NoError(t, err)
		servers = append(servers, server{name: f[0], pid: pid, addr: f[2]})
	}
	require.NoError(t, scanner.Err())
	require.Len(t, servers, n, "the launcher helper ended before its servers were ready (its stderr is above)")
	return servers
}

// gone reports whether process pid has exited: no longer in /proc, or a zombie its new parent has not reaped.
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	state := strings.TrimSpace(rest)
	return state == "" || state[0] == 'Z' || state[0] == 'X'
}
