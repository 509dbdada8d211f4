package devstack

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
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
	server   *testsuite.DevServer
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
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  bin,
		ClientOptions: &client.Options{HostPort: opts.HostPort, Namespace: opts.Namespace, Logger: opts.Logger},
		DBFilename:    opts.DBFile,
		EnableUI:      opts.UIPort != "",
		UIPort:        opts.UIPort,
		LogLevel:      "warn",
		LogFormat:     "json",
		Stdout:        opts.Output,
		Stderr:        opts.Output,
	})
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	t := &Temporal{server: server, HostPort: opts.HostPort}
	if opts.Retention > 0 {
		if err := setRetention(ctx, opts.HostPort, opts.Namespace, opts.Retention, opts.Logger); err != nil {
			_ = t.Stop()
			return nil, err
		}
	}
	if opts.UIPort != "" {
		host, _, _ := net.SplitHostPort(opts.HostPort)
		t.UIURL = "http://" + net.JoinHostPort(host, opts.UIPort)
		if err := WaitHTTP(ctx, t.UIURL+"/", 60*time.Second); err != nil {
			_ = t.Stop()
			return nil, fmt.Errorf("temporal web ui: %w", err)
		}
	}
	return t, nil
}

// Client returns a client connected to the server's namespace.
func (t *Temporal) Client() client.Client { return t.server.Client() }

// Stop interrupts the server and waits for it to exit.
func (t *Temporal) Stop() error {
	t.server.Client().Close()
	if err := t.server.Stop(); err != nil {
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
