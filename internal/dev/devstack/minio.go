package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// MinIOOptions configures the MinIO server.
type MinIOOptions struct {
	// Addr is the S3 API address; empty picks a free loopback port.
	Addr string
	// ConsoleAddr is the web console's address; empty picks a free loopback port.
	ConsoleAddr string
	// DataDir holds the objects; it is created if missing.
	DataDir string
	// User and Password are the root credentials.
	User, Password string
	// Output receives the server's own logs.
	Output io.Writer
}

// MinIO is a running MinIO server.
type MinIO struct {
	proc       *Process
	Endpoint   string
	ConsoleURL string
}

// StartMinIO starts the pinned MinIO server and waits until /minio/health/ready answers 200.
func StartMinIO(ctx context.Context, opts MinIOOptions) (*MinIO, error) {
	bin, err := ToolPath("minio")
	if err != nil {
		return nil, err
	}
	for _, addr := range []*string{&opts.Addr, &opts.ConsoleAddr} {
		if *addr == "" {
			if *addr, err = FreeAddr(); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("minio data dir: %w", err)
	}
	cmd := exec.Command(bin, "server", opts.DataDir, "--address", opts.Addr, "--console-address", opts.ConsoleAddr, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+opts.User,
		"MINIO_ROOT_PASSWORD="+opts.Password,
		"MINIO_BROWSER_REDIRECT=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
	// Own process group: a terminal's Ctrl-C reaches the launcher, which stops MinIO after the worker.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := StartProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	m := &MinIO{proc: proc, Endpoint: opts.Addr, ConsoleURL: "http://" + opts.ConsoleAddr}
	readyCtx, release := proc.WhileRunning(ctx)
	defer release()
	if err := WaitHTTP(readyCtx, "http://"+opts.Addr+"/minio/health/ready", 60*time.Second); err != nil {
		_ = m.Stop()
		if cause := context.Cause(readyCtx); errors.Is(cause, errExited) {
			err = cause
		}
		return nil, fmt.Errorf("minio at %s: %w", opts.Addr, err)
	}
	return m, nil
}

// Stop sends SIGTERM, waits up to 10 s, then kills.
func (m *MinIO) Stop() error {
	if err := m.proc.Stop(syscall.SIGTERM, stopGrace); err != nil {
		return fmt.Errorf("stop minio: %w", err)
	}
	return nil
}

// WaitHTTP polls url until it answers 200, ctx ends, or timeout passes.
func WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last: %w)", ctx.Err(), lastErr)
		case <-ticker.C:
		}
	}
}

// BucketEnsurer creates a bucket if it is missing (storage.Store does).
type BucketEnsurer interface {
	EnsureBucket(ctx context.Context) error
}

// EnsureBucket creates the store's bucket, retrying for up to 30 s: MinIO answers its readiness probe a moment
// before its object layer accepts requests ("Server not initialized yet").
func EnsureBucket(ctx context.Context, store BucketEnsurer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		err := store.EnsureBucket(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create bucket: %w", err)
		case <-ticker.C:
		}
	}
}
