// Package testenv owns the integration-test harness: a real Temporal dev server (in memory) and a real MinIO
// server started from the pinned binaries, the real worker and the real ingress handler over them, and the
// fake SocialData API. Nothing of Temporal or MinIO is faked. Tests build with -tags integration.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/promise"
	"github.com/socialhook/pipeline/internal/logging"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/worker"
)

// WebhookToken is the harness's SOCIALDATA_WEBHOOK_TOKEN.
const WebhookToken = "test-webhook-token-0123456789"

// APIToken is the harness's API_TOKEN for the read API.
const APIToken = "test-read-api-token-0123456789"

// XSecrets are the harness's X_CONSUMER_SECRET entries: two apps on one URL.
var XSecrets = []string{"main=x-consumer-secret-main", "other=x-consumer-secret-other"}

// APIKey is the harness's SOCIALDATA_API_KEY, required by the fake API.
const APIKey = "test-api-key"

// Stack is a running pipeline over real servers.
type Stack struct {
	Config   config.Config
	Client   client.Client
	Store    *storage.Store
	Logger   *zap.Logger
	Temporal *devstack.Temporal
	MinIO    *devstack.MinIO
	// Fake is the SocialData API, whose host is in DATAFILE_ALLOWED_HOSTS.
	Fake    *fakesocialdata.Server
	FakeURL string
	// Ingress serves the real ingress handler; WebhookURL is its SocialData webhook URL with the right token.
	Ingress       *httptest.Server
	IngressServer *ingress.Server
	WebhookURL    string
	// Spool is the ingress's fallback spool (drained every 100 ms).
	Spool *spool.Spool

	worker sdkworker.Worker
	eager  sdkworker.Worker
	// workerClient is the worker's own client: as in production, the worker and the ingress (with its eager
	// worker, on Client) are separate clients.
	workerClient client.Client
	fakeSrv      *httptest.Server
	dataDir      string
	stopDrain    context.CancelFunc
	drained      chan struct{}

	temporalOpts devstack.TemporalOptions
	minioOpts    devstack.MinIOOptions
}

// Options tune the stack.
type Options struct {
	// Env overrides configuration variables.
	Env map[string]string
	// NoWorker skips the in-process worker (a test runs its own, e.g. as a separate process).
	NoWorker bool
	// PersistentTemporal keeps Temporal's state in a SQLite file so RestartTemporal brings it back.
	PersistentTemporal bool
}

// Start starts everything and returns when all of it is ready. Close stops it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Logger, err = logging.New(devstack.EnvOr("TEST_LOG_LEVEL", "warn"), "console"); err != nil {
		return nil, err
	}
	if s.dataDir, err = os.MkdirTemp("", "pipeline-it-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	logFile, err := os.Create(filepath.Join(s.dataDir, "servers.log"))
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s.temporalOpts = devstack.TemporalOptions{Output: logFile, Logger: logging.Temporal(s.Logger)}
	if opts.PersistentTemporal {
		// A SQLite file and a fixed port, so RestartTemporal brings the same server back.
		s.temporalOpts.DBFile = filepath.Join(s.dataDir, "temporal.db")
		if s.temporalOpts.HostPort, err = devstack.FreeAddr(); err != nil {
			return nil, err
		}
	}
	if s.Temporal, err = devstack.StartTemporal(ctx, s.temporalOpts); err != nil {
		return nil, err
	}
	s.temporalOpts.HostPort = s.Temporal.HostPort
	s.minioOpts = devstack.MinIOOptions{
		DataDir: filepath.Join(s.dataDir, "minio"), User: "testadmin", Password: "testadmin-secret", Output: logFile,
	}
	if s.MinIO, err = devstack.StartMinIO(ctx, s.minioOpts); err != nil {
		return nil, err
	}
	s.minioOpts.Addr, s.minioOpts.ConsoleAddr = s.MinIO.Endpoint, strings.TrimPrefix(s.MinIO.ConsoleURL, "http://")

	s.Fake = fakesocialdata.New(APIKey)
	s.fakeSrv = httptest.NewServer(s.Fake)
	s.FakeURL = s.fakeSrv.URL
	s.Fake.SetBaseURL(s.FakeURL)
	fakeHost := strings.TrimPrefix(s.FakeURL, "http://")

	env := map[string]string{
		"TEMPORAL_ADDRESS":         s.Temporal.HostPort,
		"S3_ENDPOINT":              s.MinIO.Endpoint,
		"S3_ACCESS_KEY":            "testadmin",
		"S3_SECRET_KEY":            "testadmin-secret",
		"S3_BUCKET":                "pipeline-test",
		"SOCIALDATA_API_URL":       s.FakeURL,
		"SOCIALDATA_API_KEY":       APIKey,
		"SOCIALDATA_WEBHOOK_TOKEN": WebhookToken,
		"API_TOKEN":                APIToken,
		"X_CONSUMER_SECRET":        strings.Join(XSecrets, ","),
		"X_DELIVERY_WINDOW":        "2s",
		"POLL_INTERVAL":            "1h",
		"DATAFILE_ALLOW_PRIVATE":   "true",
		"JOB_POLL_INTERVAL":        "1s",
		"DATAFILE_ALLOWED_HOSTS":   fakeHost,
		"WORKER_HEALTH_ADDR":       "",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	if s.Config, err = config.Parse(env); err != nil {
		return nil, err
	}
	// A client of our own (not the dev server's), so it outlives a RestartTemporal: gRPC reconnects.
	if s.Client, err = connect.Temporal(ctx, s.Config, s.Logger); err != nil {
		return nil, err
	}
	if s.Store, err = connect.Store(s.Config); err != nil {
		return nil, err
	}
	if err = devstack.EnsureBucket(ctx, s.Store); err != nil {
		return nil, err
	}
	if err = worker.EnsureSearchAttributes(ctx, s.Client, s.Config.TemporalNamespace); err != nil {
		return nil, err
	}
	if err = worker.EnsurePollerSchedule(ctx, s.Client, s.Config); err != nil {
		return nil, err
	}
	if !opts.NoWorker {
		if s.workerClient, err = connect.Temporal(ctx, s.Config, s.Logger); err != nil {
			return nil, err
		}
		if s.worker, err = worker.New(s.Config, s.workerClient, s.Store); err != nil {
			return nil, err
		}
		if err = s.worker.Start(); err != nil {
			return nil, fmt.Errorf("start worker: %w", err)
		}
		if s.Config.IngressWorker {
			if s.eager, err = worker.StartEager(s.Config, s.Client, s.Store); err != nil {
				return nil, err
			}
		}
	}
	ingressOpts, err := ingress.OptionsFrom(s.Config)
	if err != nil {
		return nil, err
	}
	if s.Spool, err = spool.Open(filepath.Join(s.dataDir, "spool", "ingress.db")); err != nil {
		return nil, err
	}
	ingressOpts.Spool = s.Spool
	s.IngressServer = ingress.New(ingressOpts, s.Client, s.Store, s.Logger)
	drainCtx, stopDrain := context.WithCancel(context.Background())
	s.drained = make(chan struct{})
	go func() {
		defer close(s.drained)
		s.IngressServer.Drain(drainCtx, 100*time.Millisecond)
	}()
	s.stopDrain = stopDrain
	s.Ingress = httptest.NewServer(s.IngressServer.Handler())
	s.WebhookURL = s.Ingress.URL + "/webhooks/socialdata/" + url.PathEscape(WebhookToken)
	return s, nil
}

// Env returns the stack's configuration as environment variables, for processes a test starts itself.
func (s *Stack) Env() []string {
	c := s.Config
	return []string{
		"TEMPORAL_ADDRESS=" + c.TemporalAddress,
		"TEMPORAL_NAMESPACE=" + c.TemporalNamespace,
		"TASK_QUEUE=" + c.TaskQueue,
		"S3_ENDPOINT=" + c.S3Endpoint,
		"S3_ACCESS_KEY=" + c.S3AccessKey,
		"S3_SECRET_KEY=" + c.S3SecretKey,
		"S3_BUCKET=" + c.S3Bucket,
		"SOCIALDATA_API_URL=" + c.SocialDataAPIURL,
		"SOCIALDATA_API_KEY=" + c.SocialDataAPIKey,
		"DATAFILE_ALLOWED_HOSTS=" + strings.Join(c.DatafileAllowedHosts, ","),
		"WORKER_HEALTH_ADDR=",
		"LOG_LEVEL=warn",
	}
}

// StopTemporal stops the Temporal server (SIGINT); StartTemporalAgain brings it back on the same port and, with
// PersistentTemporal, the same state.
func (s *Stack) StopTemporal() error { return s.Temporal.Stop() }

// KillTemporal kills the Temporal server with SIGKILL, as a crash would: no graceful shutdown.
func (s *Stack) KillTemporal() error {
	_, port, err := net.SplitHostPort(s.temporalOpts.HostPort)
	if err != nil {
		return err
	}
	pid, err := findProcess("start-dev", "--port", port)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill temporal (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", s.temporalOpts.HostPort); err != nil {
			return nil // the port is closed: the server is gone
		} else {
			c.Close()
		}
		<-time.After(50 * time.Millisecond)
	}
	return errors.New("temporal still listening 10s after SIGKILL")
}

// findProcess returns the pid of the process whose command line holds sub and then flag, value side by side
// (the Temporal dev server is started by the SDK's testsuite, which does not expose its process).
func findProcess(sub, flag, value string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(string(raw), "\x00")
		i := slices.Index(argv, flag)
		if slices.Contains(argv, sub) && i >= 0 && i+1 < len(argv) && argv[i+1] == value {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process with %s %s %s", sub, flag, value)
}

// StartTemporalAgain restarts the server StopTemporal stopped.
func (s *Stack) StartTemporalAgain(ctx context.Context) (err error) {
	s.Temporal, err = devstack.StartTemporal(ctx, s.temporalOpts)
	return err
}

// StopMinIO stops MinIO; StartMinIOAgain brings it back on the same address and data.
func (s *Stack) StopMinIO() error { return s.MinIO.Stop() }

// StartMinIOAgain restarts the server StopMinIO stopped.
func (s *Stack) StartMinIOAgain(ctx context.Context) (err error) {
	s.MinIO, err = devstack.StartMinIO(ctx, s.minioOpts)
	return err
}

// Close stops everything Start started, in reverse order.
func (s *Stack) Close() {
	if s.Ingress != nil {
		s.Ingress.Close()
	}
	if s.stopDrain != nil {
		s.stopDrain()
		<-s.drained
	}
	if s.Spool != nil {
		_ = s.Spool.Close()
	}
	if s.eager != nil {
		s.eager.Stop()
	}
	if s.worker != nil {
		s.worker.Stop()
	}
	if s.workerClient != nil {
		s.workerClient.Close()
	}
	if s.fakeSrv != nil {
		s.fakeSrv.Close()
	}
	if s.MinIO != nil {
		_ = s.MinIO.Stop()
	}
	if s.Client != nil {
		s.Client.Close()
	}
	if s.Temporal != nil {
		_ = s.Temporal.Stop()
	}
	if s.dataDir != "" {
		_ = os.RemoveAll(s.dataDir)
	}
}

// HTTPClient is a client for talking to the stack's servers.
var HTTPClient = &http.Client{Timeout: 30 * time.Second}

// Count returns how many runs, open or closed, match a visibility query. Visibility is eventually consistent:
// callers poll it.
func (s *Stack) Count(ctx context.Context, query string) (int64, error) {
	resp, err := s.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", query, err)
	}
	return resp.GetCount(), nil
}

// RunsQuery is the visibility query for every run of workflowID.
func RunsQuery(workflowID string) string { return "WorkflowId = '" + workflowID + "'" }

// Runs returns the runs, open or closed, that match a visibility query (every run when query is empty), by
// workflow ID (promise.Runs).
func (s *Stack) Runs(ctx context.Context, query string) (map[string][]*workflowpb.WorkflowExecutionInfo, error) {
	return promise.Runs(ctx, s.Client, query)
}

// Target is the stack as promise checks it: its client, its bucket, and the ingress's spool.
func (s *Stack) Target() promise.Target {
	return promise.Target{Client: s.Client, Store: s.Store,
		SpoolDepth: func(context.Context) (int, error) { return s.Spool.Len(), nil }}
}
