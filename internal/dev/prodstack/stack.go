// Package prodstack owns the production-topology test tier (`make test-prod`): the real Temporal server
// (temporal-server, built at the version docker-compose.yml runs) on a private PostgreSQL cluster with SQL
// visibility and a frontend that serves only mTLS, MinIO in erasure-coded mode over four drives, and the
// pipeline as separate processes of the real cmd/ingress and cmd/worker binaries, several of each, every
// ingress with its own spool. Nothing of Temporal, PostgreSQL or MinIO is faked; the SocialData API is the
// in-repo fake. Versions and cluster settings come from deploy/versions.env, which compose shares.
package prodstack

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/logging"
	"github.com/socialhook/pipeline/internal/storage"
)

// Harness credentials and secrets (the pipeline's variables of the same names).
const (
	WebhookToken = "prod-tier-webhook-token-0123456789"
	APIToken     = "prod-tier-read-api-token-0123456789"
	APIKey       = "prod-tier-api-key"
	XSecrets     = "main=prod-tier-x-secret-main,other=prod-tier-x-secret-other"
	TaskQueue    = "socialdata-pipeline"
	Namespace    = "default"
	Bucket       = "socialdata"
	s3User       = "prodtier"
	s3Password   = "prodtier-secret-0123456789"
	pgUser       = "temporal"
	pgPassword   = "prodtier-pg-0123456789"
)

// Options shape the tier.
type Options struct {
	// Ingresses and Workers are the process counts (default 2 each).
	Ingresses, Workers int
	// Env overrides pipeline variables of every process.
	Env map[string]string
	// Bins holds prebuilt ingress and worker binaries; empty builds them.
	Bins string
}

// Stack is the running tier.
type Stack struct {
	Versions Versions
	Dir      string
	PKI      *PKI
	Postgres *Postgres
	Temporal *TemporalServer
	MinIO    *MinIO
	// Client is the harness's own client (mTLS), Store its view of the bucket.
	Client client.Client
	Store  *storage.Store
	Logger *zap.Logger
	// Fake is the SocialData API; its datafiles' host is allowed.
	Fake      *fakesocialdata.Server
	FakeURL   string
	Ingresses []*Pipeline
	Workers   []*Pipeline

	fakeSrv *httptest.Server
	env     map[string]string
	bins    string
	logDir  string
}

// Versions are deploy/versions.env's settings.
type Versions map[string]string

// ReadVersions parses deploy/versions.env (KEY=value lines, # comments).
func ReadVersions() (Versions, error) {
	root, err := devstack.ModuleRoot()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, "deploy", "versions.env"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v := Versions{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("deploy/versions.env: %q is not KEY=value", line)
		}
		v[k] = val
	}
	return v, sc.Err()
}

func (v Versions) get(key string) (string, error) {
	if s := v[key]; s != "" {
		return s, nil
	}
	return "", fmt.Errorf("deploy/versions.env has no %s", key)
}

// Start brings the whole tier up and returns when every process is ready. Close stops it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Ingresses == 0 {
		opts.Ingresses = 2
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	s := &Stack{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Versions, err = ReadVersions(); err != nil {
		return nil, err
	}
	if s.Logger, err = logging.New(devstack.EnvOr("TEST_LOG_LEVEL", "warn"), "console"); err != nil {
		return nil, err
	}
	if s.Dir, err = os.MkdirTemp("", "pipeline-prod-"); err != nil {
		return nil, err
	}
	logDir := filepath.Join(s.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	serverLog, err := os.Create(filepath.Join(logDir, "servers.log"))
	if err != nil {
		return nil, err
	}
	if s.PKI, err = NewPKI(filepath.Join(s.Dir, "pki")); err != nil {
		return nil, err
	}
	major, err := s.Versions.get("POSTGRES_MAJOR")
	if err != nil {
		return nil, err
	}
	if s.Postgres, err = StartPostgres(ctx, PostgresOptions{
		Major: major, Dir: filepath.Join(s.Dir, "postgres"), User: pgUser, Password: pgPassword, Output: serverLog,
	}); err != nil {
		return nil, err
	}
	topts, err := s.temporalOptions(serverLog)
	if err != nil {
		return nil, err
	}
	if err := SetupSchema(ctx, topts); err != nil {
		return nil, err
	}
	if s.Temporal, err = StartTemporal(ctx, topts); err != nil {
		return nil, err
	}
	if s.MinIO, err = StartMinIO(ctx, MinIOOptions{
		Dir: filepath.Join(s.Dir, "minio"), Drives: 4, User: s3User, Password: s3Password, Output: serverLog,
	}); err != nil {
		return nil, err
	}
	s.Fake = fakesocialdata.New(APIKey)
	s.fakeSrv = httptest.NewServer(s.Fake)
	s.FakeURL = s.fakeSrv.URL
	s.Fake.SetBaseURL(s.FakeURL)

	s.env = s.baseEnv(opts.Env)
	// The harness's own client and store come from the processes' configuration, through the same code.
	cfg, err := config.Parse(s.env)
	if err != nil {
		return nil, err
	}
	if s.Client, err = connect.Temporal(ctx, cfg, s.Logger); err != nil {
		return nil, err
	}
	if s.Store, err = connect.Store(cfg); err != nil {
		return nil, err
	}
	if err := devstack.EnsureBucket(ctx, s.Store); err != nil {
		return nil, err
	}

	s.bins, s.logDir = opts.Bins, logDir
	if s.bins == "" {
		s.bins = filepath.Join(s.Dir, "bin")
		if _, _, err := BuildBinaries(ctx, s.bins); err != nil {
			return nil, err
		}
	}
	for i := range opts.Workers {
		p, err := s.NewWorker("worker-"+strconv.Itoa(i+1), nil)
		if err != nil {
			return nil, err
		}
		s.Workers = append(s.Workers, p)
	}
	for i := range opts.Ingresses {
		p, err := s.NewIngress("ingress-"+strconv.Itoa(i+1), nil)
		if err != nil {
			return nil, err
		}
		s.Ingresses = append(s.Ingresses, p)
	}
	// Workers first: they register the search attributes every start sets and wait until they are usable.
	for _, p := range append(append([]*Pipeline{}, s.Workers...), s.Ingresses...) {
		if err := p.Start(ctx); err != nil {
			return nil, fmt.Errorf("%w (logs in %s)", err, logDir)
		}
	}
	return s, nil
}

// NewWorker makes (does not start) one more worker process of the tier's binary, with the tier's
// configuration plus env.
func (s *Stack) NewWorker(name string, env map[string]string) (*Pipeline, error) {
	healthAddr, err := devstack.FreeAddr()
	if err != nil {
		return nil, err
	}
	own := map[string]string{"WORKER_HEALTH_ADDR": healthAddr}
	for k, v := range env {
		own[k] = v
	}
	p, err := newPipeline(name, filepath.Join(s.bins, "worker"), s.processEnv(own), s.logDir)
	if err != nil {
		return nil, err
	}
	p.ReadyURL = "http://" + healthAddr + "/healthz"
	return p, nil
}

// NewIngress makes (does not start) one more ingress process of the tier's binary, with the tier's
// configuration plus env, a free address and a spool file of its own (Dir/<name>/spool.db).
func (s *Stack) NewIngress(name string, env map[string]string) (*Pipeline, error) {
	addr, err := devstack.FreeAddr()
	if err != nil {
		return nil, err
	}
	own := map[string]string{"INGRESS_ADDR": addr, "SPOOL_PATH": filepath.Join(s.Dir, name, "spool.db")}
	for k, v := range env {
		own[k] = v
	}
	p, err := newPipeline(name, filepath.Join(s.bins, "ingress"), s.processEnv(own), s.logDir)
	if err != nil {
		return nil, err
	}
	p.BaseURL = "http://" + addr
	p.ReadyURL = p.BaseURL + "/readyz"
	return p, nil
}

func (s *Stack) temporalOptions(out *os.File) (TemporalOptions, error) {
	version, err := s.Versions.get("TEMPORAL_SERVER_VERSION")
	if err != nil {
		return TemporalOptions{}, err
	}
	shardsText, err := s.Versions.get("TEMPORAL_HISTORY_SHARDS")
	if err != nil {
		return TemporalOptions{}, err
	}
	shards, err := strconv.Atoi(shardsText)
	if err != nil {
		return TemporalOptions{}, fmt.Errorf("TEMPORAL_HISTORY_SHARDS: %w", err)
	}
	retentionText, err := s.Versions.get("TEMPORAL_NAMESPACE_RETENTION")
	if err != nil {
		return TemporalOptions{}, err
	}
	retention, err := time.ParseDuration(retentionText)
	if err != nil {
		return TemporalOptions{}, fmt.Errorf("TEMPORAL_NAMESPACE_RETENTION: %w", err)
	}
	root, err := devstack.ModuleRoot()
	if err != nil {
		return TemporalOptions{}, err
	}
	return TemporalOptions{
		Version: version, Dir: filepath.Join(s.Dir, "temporal"), Postgres: s.Postgres, PKI: s.PKI, Shards: shards,
		DynamicConfig: filepath.Join(root, "deploy", "temporal", "dynamicconfig.yaml"),
		Namespace:     Namespace, Retention: retention, Output: out, Logger: logging.Temporal(s.Logger),
	}, nil
}

// baseEnv is every pipeline process's configuration: the cluster over mTLS, the erasure-coded MinIO, the fake
// SocialData API.
func (s *Stack) baseEnv(overrides map[string]string) map[string]string {
	env := map[string]string{
		"TEMPORAL_ADDRESS":         s.Temporal.HostPort,
		"TEMPORAL_NAMESPACE":       Namespace,
		"TEMPORAL_TLS_CERT":        s.PKI.ClientCert,
		"TEMPORAL_TLS_KEY":         s.PKI.ClientKey,
		"TEMPORAL_TLS_CA":          s.PKI.CA,
		"TEMPORAL_TLS_SERVER_NAME": s.PKI.ServerName,
		"TASK_QUEUE":               TaskQueue,
		"S3_ENDPOINT":              s.MinIO.Endpoint,
		"S3_ACCESS_KEY":            s3User,
		"S3_SECRET_KEY":            s3Password,
		"S3_BUCKET":                Bucket,
		"SOCIALDATA_API_URL":       s.FakeURL,
		"SOCIALDATA_API_KEY":       APIKey,
		"SOCIALDATA_WEBHOOK_TOKEN": WebhookToken,
		"API_TOKEN":                APIToken,
		"X_CONSUMER_SECRET":        XSecrets,
		"X_DELIVERY_WINDOW":        "2s",
		"POLL_INTERVAL":            "1h",
		"JOB_POLL_INTERVAL":        "1s",
		"DATAFILE_ALLOW_PRIVATE":   "true",
		"DATAFILE_ALLOWED_HOSTS":   strings.TrimPrefix(s.FakeURL, "http://"),
		"START_TIMEOUT":            "3s",
		"SPOOL_DRAIN_INTERVAL":     "200ms",
		"LOG_LEVEL":                devstack.EnvOr("PIPELINE_LOG_LEVEL", "warn"),
		"LOG_FORMAT":               "json",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// processEnv is the environment of one process: PATH and HOME of the harness, the tier's variables, and
// the process's own.
func (s *Stack) processEnv(own map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range s.env {
		if _, mine := own[k]; !mine {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range own {
		env = append(env, k+"="+v)
	}
	return env
}

// Env is (a copy of) the tier's pipeline configuration, for a client of the tier's own, e.g. the temporal CLI.
func (s *Stack) Env() map[string]string { return maps.Clone(s.env) }

// WebhookURL is ingress i's SocialData webhook URL.
func (s *Stack) WebhookURL(i int) string { return s.Ingresses[i].WebhookURL() }

// Close stops the processes, then the servers, and removes the tier's files unless PRODSTACK_KEEP is set.
func (s *Stack) Close() {
	for _, p := range append(append([]*Pipeline{}, s.Ingresses...), s.Workers...) {
		if p.Running() {
			_ = p.Stop()
		}
	}
	if s.fakeSrv != nil {
		s.fakeSrv.Close()
	}
	if s.Client != nil {
		s.Client.Close()
	}
	if s.MinIO != nil {
		_ = s.MinIO.Stop()
	}
	if s.Temporal != nil {
		_ = s.Temporal.Stop()
	}
	if s.Postgres != nil {
		_ = s.Postgres.Stop()
	}
	if s.Dir != "" {
		if os.Getenv("PRODSTACK_KEEP") != "" {
			fmt.Fprintf(os.Stderr, "prodstack: kept %s\n", s.Dir)
			return
		}
		_ = os.RemoveAll(s.Dir)
	}
}
