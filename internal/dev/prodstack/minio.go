package prodstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/dev/devstack"
)

// MinIOOptions configures the tier's object store: one MinIO server over several drives, in erasure-coded
// mode (4 drives: 2 data + 2 parity shards per object, so it serves reads with any 2 drives and writes with 3).
type MinIOOptions struct {
	Dir    string
	Drives int
	// User and Password are the root credentials (the pipeline's S3_ACCESS_KEY / S3_SECRET_KEY).
	User, Password string
	Output         io.Writer
}

// MinIO is the running erasure-coded server.
type MinIO struct {
	opts MinIOOptions
	proc *devstack.Process
	// Endpoint is the S3 API's host:port.
	Endpoint string
}

// StartMinIO starts MinIO on opts.Drives drive directories and waits until the cluster is ready for writes
// (/minio/health/cluster answers 200 only with write quorum).
func StartMinIO(ctx context.Context, opts MinIOOptions) (*MinIO, error) {
	bin, err := devstack.ToolPath("minio")
	if err != nil {
		return nil, err
	}
	endpoint, err := devstack.FreeAddr()
	if err != nil {
		return nil, err
	}
	console, err := devstack.FreeAddr()
	if err != nil {
		return nil, err
	}
	for i := 1; i <= opts.Drives; i++ {
		if err := os.MkdirAll(filepath.Join(opts.Dir, "drive"+strconv.Itoa(i)), 0o755); err != nil {
			return nil, err
		}
	}
	// MinIO expands {1...N} itself into N drives of one erasure set.
	drives := filepath.Join(opts.Dir, "drive{1..."+strconv.Itoa(opts.Drives)+"}")
	cmd := exec.Command(bin, "server", drives, "--address", endpoint, "--console-address", console, "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+opts.User, "MINIO_ROOT_PASSWORD="+opts.Password,
		"MINIO_BROWSER_REDIRECT=off", "MINIO_UPDATE=off",
		// The four drives are directories on the machine's root disk, which MinIO refuses in erasure mode
		// ("drive not found") unless told it runs in CI; production drives are disks of their own.
		"MINIO_CI_CD=on")
	cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := devstack.StartProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	m := &MinIO{opts: opts, proc: proc, Endpoint: endpoint}
	readyCtx, release := proc.WhileRunning(ctx)
	defer release()
	if err := devstack.WaitHTTP(readyCtx, "http://"+endpoint+"/minio/health/cluster", 2*time.Minute); err != nil {
		_ = m.Stop()
		return nil, fmt.Errorf("minio at %s: %w", endpoint, err)
	}
	return m, nil
}

// Drive is the directory of drive i (1-based).
func (m *MinIO) Drive(i int) string { return filepath.Join(m.opts.Dir, "drive"+strconv.Itoa(i)) }

// WipeDrive replaces drive i with an empty one while the server runs, as a failed disk swapped for a new one:
// everything on it (objects' shards and MinIO's own metadata) is gone at once. Objects stay readable and
// writable from the other drives' shards, and MinIO heals the new drive in the background. The old contents
// are moved aside in one rename (a removal while MinIO writes would race with it) and then deleted.
func (m *MinIO) WipeDrive(i int) error {
	old := m.Drive(i) + ".wiped"
	if err := os.Rename(m.Drive(i), old); err != nil {
		return fmt.Errorf("wipe drive %d: %w", i, err)
	}
	if err := os.Mkdir(m.Drive(i), 0o755); err != nil {
		return fmt.Errorf("wipe drive %d: %w", i, err)
	}
	return os.RemoveAll(old)
}

// Stop stops the server.
func (m *MinIO) Stop() error { return m.proc.Stop(syscall.SIGTERM, stopGrace) }
