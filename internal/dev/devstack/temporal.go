package devstack

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// TemporalOptions configures the Temporal dev server.
type TemporalOptions struct {
	// HostPort is the frontend's loopback address; empty picks a free port.
	HostPort string
	// UIPort serves the Web UI when non-empty.
	UIPort string
	// DBFile persists state in this SQLite file; empty keeps everything in memory.
	DBFile string
	// Namespace is registered at start ("default" when empty).
	Namespace string
	// Retention of Namespace: how long closed runs are kept, which is the pipeline's dedupe window.
	Retention time.Duration
	// Output receives the server's own logs.
	Output io.Writer
	// Logger is used by the client the server hands out.
	Logger log.Logger
}

// Temporal is a running dev server.
type Temporal struct {
	proc     *Process
	client   client.Client
	HostPort string
	UIURL    string
}

// StartTemporal starts the dev server from the pinned CLI and waits until its frontend (and UI, if enabled)
// answer and the namespace has its retention.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	bin, err := ToolPath("temporal")
	if err != nil {
		return nil, err
	}
	if opts.HostPort == "" {
		if opts.HostPort, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	args, err := devServerArgs(opts)
	if err != nil {
		return nil, err
	}
	// Started here rather than by the SDK's testsuite.StartDevServer, which gives no hold on the process: it
	// must die with the launcher (StartProcess). It stays in the launcher's process group, as it was.
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
	proc, err := StartProcess(cmd)
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	t := &Temporal{proc: proc, HostPort: opts.HostPort}
	readyCtx, release := proc.WhileRunning(ctx)
	defer release()
	t.client, err = dialTemporal(readyCtx, client.Options{HostPort: opts.HostPort, Namespace: opts.Namespace, Logger: opts.Logger})
	if err != nil {
		_ = proc.Stop(syscall.SIGINT, stopGrace)
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	if opts.Retention > 0 {
		if err := setRetention(ctx, opts.HostPort, opts.Namespace, opts.Retention, opts.Logger); err != nil {
			_ = t.Stop()
			return nil, err
		}
	}
	if opts.UIPort != "" {
		host, _, _ := net.SplitHostPort(opts.HostPort)
		t.UIURL = "http://" + net.JoinHostPort(host, opts.UIPort)
		if err := WaitHTTP(readyCtx, t.UIURL+"/", 60*time.Second); err != nil {
			_ = t.Stop()
			return nil, fmt.Errorf("temporal web ui: %w", err)
		}
	}
	return t, nil
}

// stopGrace is how long Stop waits for a server to exit after asking it to, before killing it.
const stopGrace = 10 * time.Second

// devServerArgs are the CLI's arguments for opts (those testsuite.StartDevServer passed).
func devServerArgs(opts TemporalOptions) ([]string, error) {
	host, port, err := net.SplitHostPort(opts.HostPort)
	if err != nil {
		return nil, fmt.Errorf("temporal address %q: %w", opts.HostPort, err)
	}
	args := []string{
		"server", "start-dev",
		"--ip", host, "--port", port,
		"--namespace", opts.Namespace,
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
		"--log-level", "warn",
		"--log-format", "json",
	}
	if opts.UIPort == "" {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", opts.UIPort)
	}
	if opts.DBFile != "" {
		args = append(args, "--db-filename", opts.DBFile)
	}
	return args, nil
}

// dialTemporal connects a client, retrying every 100 ms for up to 60 s while the server starts.
func dialTemporal(ctx context.Context, opts client.Options) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("frontend at %s not ready: %w (last: %w)", opts.HostPort, context.Cause(ctx), err)
		case <-ticker.C:
		}
	}
}

// Client returns a client connected to the server's namespace.
func (t *Temporal) Client() client.Client { return t.client }

// Stop interrupts the server and waits for it to exit, up to 10 s, then kills it.
func (t *Temporal) Stop() error {
	t.client.Close()
	if err := t.proc.Stop(syscall.SIGINT, stopGrace); err != nil {
		return fmt.Errorf("stop temporal dev server: %w", err)
	}
	return nil
}

func setRetention(ctx context.Context, hostPort, namespace string, retention time.Duration, logger log.Logger) error {
	nc, err := client.NewNamespaceClient(client.Options{HostPort: hostPort, Logger: logger})
	if err != nil {
		return fmt.Errorf("namespace client: %w", err)
	}
	defer nc.Close()
	return UpdateRetention(ctx, nc, namespace, retention)
}
