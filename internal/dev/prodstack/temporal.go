package prodstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"text/template"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/socialhook/pipeline/internal/dev/devstack"
)

// TemporalOptions configures the tier's Temporal server: the real temporal-server binary (all four services in
// one process) on PostgreSQL, with SQL visibility and a frontend that serves mTLS.
type TemporalOptions struct {
	// Version is the server's module version (TEMPORAL_SERVER_VERSION): the schema comes from that module.
	Version string
	// Dir holds the generated config and the server's files.
	Dir      string
	Postgres *Postgres
	PKI      *PKI
	// Shards is numHistoryShards, fixed when the cluster's database is created.
	Shards int
	// DynamicConfig is the dynamic config file (absolute).
	DynamicConfig string
	Namespace     string
	Retention     time.Duration
	Output        io.Writer
	Logger        log.Logger
}

// TemporalServer is a running temporal-server that can be killed and started again on the same ports and
// database.
type TemporalServer struct {
	opts  TemporalOptions
	bin   string
	ports serverPorts
	proc  *devstack.Process
	// HostPort is the frontend's gRPC address (mTLS).
	HostPort string
}

type serverPorts struct {
	Frontend, FrontendHTTP, FrontendMembership int
	History, HistoryMembership                 int
	Matching, MatchingMembership               int
	Worker, WorkerMembership                   int
}

// SetupSchema creates the two databases and loads the server version's PostgreSQL schema into them with the
// real temporal-sql-tool, as an operator does before a cluster's first start.
func SetupSchema(ctx context.Context, opts TemporalOptions) error {
	tool, err := devstack.ToolPath("temporal-sql-tool")
	if err != nil {
		return err
	}
	root, err := moduleDir(ctx, "go.temporal.io/server@v"+opts.Version)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(opts.Postgres.Addr)
	if err != nil {
		return err
	}
	for db, dir := range map[string]string{"temporal": "temporal", "temporal_visibility": "visibility"} {
		base := []string{"--plugin", "postgres12", "--ep", "127.0.0.1", "-p", port,
			"-u", opts.Postgres.opts.User, "--pw", opts.Postgres.opts.Password, "--db", db}
		for _, step := range [][]string{
			{"create"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "-d", filepath.Join(root, "schema", "postgresql", "v12", dir, "versioned")},
		} {
			cmd := exec.CommandContext(ctx, tool, append(base, step...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %w\n%s", step[0], db, err, out.Bytes())
			}
		}
	}
	return nil
}

// moduleDir is the directory of module@version in the module cache, downloading it through the proxy if
// needed (scripts/install-tools.sh prod has, when it built the server).
func moduleDir(ctx context.Context, modVersion string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s %v", modVersion, m.Error, err)
	}
	return m.Dir, nil
}

// StartTemporal writes the server's config, starts it and waits until the frontend answers over mTLS and the
// namespace exists with its retention.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*TemporalServer, error) {
	bin, err := devstack.ToolPath("temporal-server")
	if err != nil {
		return nil, err
	}
	t := &TemporalServer{opts: opts, bin: bin}
	for _, p := range []*int{
		&t.ports.Frontend, &t.ports.FrontendHTTP, &t.ports.FrontendMembership, &t.ports.History,
		&t.ports.HistoryMembership, &t.ports.Matching, &t.ports.MatchingMembership, &t.ports.Worker,
		&t.ports.WorkerMembership,
	} {
		if *p, err = freeServerPort(); err != nil {
			return nil, err
		}
	}
	t.HostPort = "127.0.0.1:" + strconv.Itoa(t.ports.Frontend)
	if err := t.writeConfig(); err != nil {
		return nil, err
	}
	if err := t.Start(ctx); err != nil {
		return nil, err
	}
	if err := t.EnsureNamespace(ctx, opts.Namespace); err != nil {
		_ = t.Stop()
		return nil, err
	}
	return t, nil
}

// Start starts the server process with the config StartTemporal wrote and waits until the frontend serves.
func (t *TemporalServer) Start(ctx context.Context) error {
	cmd := exec.Command(t.bin, "--root", t.opts.Dir, "--config", "config", "--env", "production",
		"--allow-no-auth", "start")
	cmd.Dir = t.opts.Dir
	cmd.Stdout, cmd.Stderr = t.opts.Output, t.opts.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := devstack.StartProcess(cmd)
	if err != nil {
		return fmt.Errorf("start temporal-server: %w", err)
	}
	t.proc = proc
	readyCtx, release := proc.WhileRunning(ctx)
	defer release()
	readyCtx, cancel := context.WithTimeout(readyCtx, 2*time.Minute)
	defer cancel()
	for {
		err := t.health(readyCtx)
		if err == nil {
			return nil
		}
		select {
		case <-readyCtx.Done():
			_ = proc.Stop(syscall.SIGINT, stopGrace)
			return fmt.Errorf("temporal-server at %s not ready: %w (last: %v)", t.HostPort, context.Cause(readyCtx), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// clientOptions reach the frontend over mTLS with the tier's CA and client certificate.
func (t *TemporalServer) clientOptions(namespace string) client.Options {
	return client.Options{
		HostPort: t.HostPort, Namespace: namespace, Logger: t.opts.Logger,
		ConnectionOptions: client.ConnectionOptions{TLS: t.opts.PKI.ClientTLS()},
	}
}

// Dial returns a client of the namespace over mTLS.
func (t *TemporalServer) Dial(ctx context.Context, namespace string) (client.Client, error) {
	return client.DialContext(ctx, t.clientOptions(namespace))
}

func (t *TemporalServer) health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := t.Dial(ctx, "temporal-system")
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// EnsureNamespace registers namespace with the tier's retention (the dedupe window) and waits until the
// frontend serves it: a new namespace reaches the frontend's cache a few seconds after it is registered.
func (t *TemporalServer) EnsureNamespace(ctx context.Context, namespace string) error {
	return t.EnsureNamespaceRetention(ctx, namespace, t.opts.Retention)
}

// EnsureNamespaceRetention is EnsureNamespace with another retention.
func (t *TemporalServer) EnsureNamespaceRetention(ctx context.Context, namespace string, retention time.Duration) error {
	nc, err := client.NewNamespaceClient(t.clientOptions(""))
	if err != nil {
		return fmt.Errorf("namespace client: %w", err)
	}
	defer nc.Close()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(retention),
		Description: "SocialHook pipeline (production-topology test tier)",
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %s: %w", namespace, err)
	}
	c, err := t.Dial(ctx, namespace)
	if err != nil {
		return err
	}
	defer c.Close()
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.CountWorkflow(waitCtx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace})
		if err == nil {
			return nil
		}
		select {
		case <-waitCtx.Done():
			return fmt.Errorf("namespace %s not served: %w", namespace, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Kill sends the server SIGKILL and waits until it has exited: nothing is flushed, as in a crash.
func (t *TemporalServer) Kill() { t.proc.Kill() }

// Stop interrupts the server and waits for it to exit.
func (t *TemporalServer) Stop() error {
	if t.proc == nil {
		return nil
	}
	return t.proc.Stop(syscall.SIGINT, stopGrace)
}

func (t *TemporalServer) writeConfig() error {
	dir := filepath.Join(t.opts.Dir, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := serverConfig.Execute(&b, map[string]any{
		"Ports": t.ports, "Shards": t.opts.Shards, "PKI": t.opts.PKI, "DynamicConfig": t.opts.DynamicConfig,
		"PG": t.opts.Postgres.Addr, "User": t.opts.Postgres.opts.User, "Password": t.opts.Postgres.opts.Password,
	}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "production.yaml"), b.Bytes(), 0o600)
}

// serverConfig is the server's static config: the shape of the server's own config/development-postgres12.yaml
// with SQL visibility, the frontend on mTLS, every port chosen by the harness, and the shard count and
// dynamic config that docker-compose.yml uses too (deploy/versions.env, deploy/temporal/dynamicconfig.yaml).
var serverConfig = template.Must(template.New("config").Parse(`log:
  stdout: true
  level: warn
  format: json

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: {{.Shards}}
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "{{.PG}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "{{.PG}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  pprof:
    port: 0
  tls:
    frontend:
      server:
        certFile: "{{.PKI.ServerCert}}"
        keyFile: "{{.PKI.ServerKey}}"
        requireClientAuth: true
        clientCaFiles:
          - "{{.PKI.CA}}"
    # The server's own clients of the frontend (the worker role: schedules, system workflows, and the
    # frontend's calls to itself) must present a certificate too.
    systemWorker:
      certFile: "{{.PKI.ServerCert}}"
      keyFile: "{{.PKI.ServerKey}}"
      client:
        serverName: "{{.PKI.ServerName}}"
        rootCaFiles:
          - "{{.PKI.CA}}"

services:
  frontend:
    rpc:
      grpcPort: {{.Ports.Frontend}}
      membershipPort: {{.Ports.FrontendMembership}}
      httpPort: {{.Ports.FrontendHTTP}}
      bindOnIP: 127.0.0.1
  matching:
    rpc:
      grpcPort: {{.Ports.Matching}}
      membershipPort: {{.Ports.MatchingMembership}}
      bindOnIP: 127.0.0.1
  history:
    rpc:
      grpcPort: {{.Ports.History}}
      membershipPort: {{.Ports.HistoryMembership}}
      bindOnIP: 127.0.0.1
  worker:
    rpc:
      grpcPort: {{.Ports.Worker}}
      membershipPort: {{.Ports.WorkerMembership}}
      bindOnIP: 127.0.0.1

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{.Ports.Frontend}}"

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: 10s
`))
