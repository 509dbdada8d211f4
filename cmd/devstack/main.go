// Command devstack runs the whole pipeline on one machine without Docker (`make run`): the Temporal dev server
// with its Web UI (state in a SQLite file), MinIO with the bucket created, the worker and the ingress. It waits
// until each part is ready, prints where to look, and on SIGINT/SIGTERM stops the ingress, then the worker,
// then MinIO and Temporal. Data under DATA_DIR survives restarts. It refuses to start, before touching DATA_DIR,
// when a port it needs is taken (another devstack still running, say), and on Linux its Temporal and MinIO die
// with it even when it is killed outright.
//
// Configuration is the pipeline's (README.md) plus DATA_DIR (default .data), TEMPORAL_UI_PORT (default 8233),
// MINIO_CONSOLE_ADDR (default 127.0.0.1:9001) and NAMESPACE_RETENTION (default 168h: the dedupe window, applied
// to the namespace at every start).
//
// With -demo (`make demo`) it also serves the in-repo fake SocialData API where SOCIALDATA_API_URL points and,
// once the stack is up, sends -demo-duration of demo traffic (internal/dev/demo), then keeps running until stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/dev/demo"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/httpserve"
	"github.com/socialhook/pipeline/internal/logging"
	"github.com/socialhook/pipeline/internal/process"
	"github.com/socialhook/pipeline/worker"
)

// defaultRetention is the dev namespace's retention, i.e. the dedupe window (compose sets the same), unless
// NAMESPACE_RETENTION says otherwise.
const defaultRetention = 7 * 24 * time.Hour

// demoOptions are the -demo flags.
type demoOptions struct {
	on       bool
	duration time.Duration
	seed     uint64
}

func main() {
	var opts demoOptions
	flag.BoolVar(&opts.on, "demo", false, "also serve the fake SocialData API at SOCIALDATA_API_URL and send demo traffic (make demo)")
	flag.DurationVar(&opts.duration, "demo-duration", demo.DefaultDuration, "how long the demo traffic lasts")
	flag.Uint64Var(&opts.seed, "demo-seed", 0, "seed of the demo's choices (0: from the clock)")
	flag.Parse()
	process.Main("devstack", func(ctx context.Context, cfg config.Config, logger *zap.Logger) error {
		return run(ctx, cfg, logger, opts)
	})
}

func run(ctx context.Context, cfg config.Config, logger *zap.Logger, opts demoOptions) error {
	var fakeAddr string
	if opts.on {
		var err error
		if fakeAddr, err = demo.FakeListenAddr(cfg); err != nil {
			return fmt.Errorf("-demo: %w", err)
		}
	}
	// The local MinIO's root account is S3_ACCESS_KEY / S3_SECRET_KEY, and the worker it starts needs what a
	// worker needs: both checked before any server starts.
	if cfg.S3AccessKey == "" {
		return errors.New("S3_ACCESS_KEY and S3_SECRET_KEY must be set: they are the local MinIO's root account")
	}
	if err := cfg.RequireWorker(); err != nil {
		return err
	}
	dataDir := devstack.EnvOr("DATA_DIR", ".data")
	retention := defaultRetention
	if v := os.Getenv("NAMESPACE_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 24*time.Hour {
			return fmt.Errorf("NAMESPACE_RETENTION=%q: want a duration of at least 24h (e.g. 336h)", v)
		}
		retention = d
	}
	uiPort := devstack.EnvOr("TEMPORAL_UI_PORT", "8233")
	consoleAddr := devstack.EnvOr("MINIO_CONSOLE_ADDR", "127.0.0.1:9001")
	// Before the data directory is touched: a second launcher must not share it with servers still running.
	if err := devstack.CheckPorts(ports(cfg, uiPort, consoleAddr, fakeAddr)); err != nil {
		return err
	}
	logDir := filepath.Join(dataDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", logDir, err)
	}
	temporalLog, err := openLog(logDir, "temporal.log")
	if err != nil {
		return err
	}
	defer temporalLog.Close()
	minioLog, err := openLog(logDir, "minio.log")
	if err != nil {
		return err
	}
	defer minioLog.Close()

	logger.Info("starting temporal dev server", zap.String("address", cfg.TemporalAddress))
	temporal, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		HostPort:  cfg.TemporalAddress,
		UIPort:    uiPort,
		DBFile:    filepath.Join(dataDir, "temporal.db"),
		Namespace: cfg.TemporalNamespace,
		Retention: retention,
		Output:    temporalLog,
		Logger:    logging.Temporal(logger.Named("temporal")),
	})
	if err != nil {
		return err
	}
	defer stopLogged(logger, "temporal", temporal.Stop)

	logger.Info("starting minio", zap.String("address", cfg.S3Endpoint))
	minio, err := devstack.StartMinIO(ctx, devstack.MinIOOptions{
		Addr:        cfg.S3Endpoint,
		ConsoleAddr: consoleAddr,
		DataDir:     filepath.Join(dataDir, "minio"),
		User:        cfg.S3AccessKey,
		Password:    cfg.S3SecretKey,
		Output:      minioLog,
	})
	if err != nil {
		return err
	}
	defer stopLogged(logger, "minio", minio.Stop)
	store, err := connect.Store(cfg)
	if err != nil {
		return err
	}
	if err := devstack.EnsureBucket(ctx, store); err != nil {
		return err
	}

	var g errgroup.Group
	fakeCtx, stopFake := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFake()
	var fake *fakesocialdata.Server
	if opts.on {
		// Before the worker: its polls and datafile fetches go to the fake.
		fake = fakesocialdata.New(cfg.SocialDataAPIKey)
		fake.SetBaseURL(cfg.SocialDataAPIURL)
		fakeDone := make(chan error, 1)
		g.Go(func() error {
			err := httpserve.Serve(fakeCtx, "fakesocialdata", fakeAddr, fake, logger.Named("fakesocialdata"))
			fakeDone <- err
			return err
		})
		if err := waitReady(ctx, fakeDone, strings.TrimRight(cfg.SocialDataAPIURL, "/")+"/datafiles/ready?size=0"); err != nil {
			return fmt.Errorf("fake SocialData API: %w", err)
		}
	}

	// The worker first: it registers the search attributes the ingress sets on every start.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	ingressCtx, stopIngress := context.WithCancel(context.WithoutCancel(ctx))
	defer stopIngress()
	workerDone := make(chan error, 1)
	ingressDone := make(chan error, 1)
	g.Go(func() error { err := worker.Run(workerCtx, cfg, logger.Named("worker")); workerDone <- err; return err })
	if err := waitReady(ctx, workerDone, "http://"+cfg.WorkerHealthAddr+"/healthz"); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	g.Go(func() error {
		err := ingress.Run(ingressCtx, cfg, logger.Named("ingress"), worker.Eager(cfg))
		ingressDone <- err
		return err
	})
	ingressURL := "http://" + loopback(cfg.IngressAddr)
	if err := waitReady(ctx, ingressDone, ingressURL+"/readyz"); err != nil {
		return fmt.Errorf("ingress: %w", err)
	}

	fmt.Printf(`
Pipeline is up. Ctrl-C stops everything; data stays in %s.
  Temporal Web UI   %s/namespaces/%s/workflows
  Temporal frontend %s (temporal workflow list --address %s)
  MinIO console     %s  (user %s, bucket %s)
  MinIO S3 API      http://%s
  Ingress           %s  (POST /webhooks/socialdata/<SOCIALDATA_WEBHOOK_TOKEN>, GET /readyz)
  Logs              %s

`, dataDir, temporal.UIURL, cfg.TemporalNamespace, cfg.TemporalAddress, cfg.TemporalAddress,
		minio.ConsoleURL, cfg.S3AccessKey, cfg.S3Bucket, cfg.S3Endpoint, ingressURL, logDir)

	demoCtx, stopDemo := context.WithCancel(ctx)
	defer stopDemo()
	if opts.on {
		fmt.Printf("  Fake SocialData   %s  (demo: monitors, jobs, datafiles)\n", cfg.SocialDataAPIURL)
		links := demo.Links{
			WorkflowsURL:    temporal.UIURL + "/namespaces/" + cfg.TemporalNamespace + "/workflows",
			MinIOConsoleURL: minio.ConsoleURL, Bucket: cfg.S3Bucket,
		}
		g.Go(func() error { runDemo(demoCtx, cfg, opts, fake, ingressURL, links, logger.Named("demo")); return nil })
	}

	select {
	case <-ctx.Done():
		logger.Info("stopping")
	case err := <-workerDone:
		logger.Error("worker exited", zap.Error(err))
	case err := <-ingressDone:
		logger.Error("ingress exited", zap.Error(err))
	}
	stopDemo()
	stopIngress()
	stopWorker()
	stopFake()
	return g.Wait()
}

// ports lists every address the stack listens on; fakeAddr is the demo's fake SocialData API, if any.
func ports(cfg config.Config, uiPort, consoleAddr, fakeAddr string) []devstack.Port {
	temporalHost, _, _ := net.SplitHostPort(cfg.TemporalAddress) // validated by config
	ps := []devstack.Port{
		{Addr: cfg.TemporalAddress, Owner: "Temporal frontend", Setting: "TEMPORAL_ADDRESS"},
		{Addr: net.JoinHostPort(temporalHost, uiPort), Owner: "Temporal Web UI", Setting: "TEMPORAL_UI_PORT"},
		{Addr: cfg.S3Endpoint, Owner: "MinIO S3 API", Setting: "S3_ENDPOINT"},
		{Addr: consoleAddr, Owner: "MinIO console", Setting: "MINIO_CONSOLE_ADDR"},
		{Addr: cfg.IngressAddr, Owner: "ingress", Setting: "INGRESS_ADDR"},
	}
	if cfg.WorkerHealthAddr != "" {
		ps = append(ps, devstack.Port{Addr: cfg.WorkerHealthAddr, Owner: "worker health", Setting: "WORKER_HEALTH_ADDR"})
	}
	if fakeAddr != "" {
		ps = append(ps, devstack.Port{Addr: fakeAddr, Owner: "fake SocialData API", Setting: "SOCIALDATA_API_URL"})
	}
	return ps
}

// runDemo sends the demo traffic, then reports the lost webhooks the poller recovers, until ctx ends. Its
// failures are logged: the stack stays up either way.
func runDemo(ctx context.Context, cfg config.Config, opts demoOptions, fake *fakesocialdata.Server, ingressURL string,
	links demo.Links, logger *zap.Logger) {
	seed := opts.seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano() % 1_000_000)
	}
	xSecret := ""
	if len(cfg.XConsumerSecrets) > 0 {
		xSecret = cfg.XConsumerSecrets[0]
	}
	dcfg := demo.Config{
		IngressURL: ingressURL, WebhookToken: cfg.SocialDataWebhookToken, XSecret: xSecret, Fake: fake, Duration: opts.duration, PollInterval: cfg.PollInterval, DropFraction: demo.DefaultDropFraction,
		Seed: seed, Out: os.Stdout, Links: links,
	}
	sum, err := demo.Run(ctx, dcfg, logger)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("demo stream failed", zap.Error(err))
		}
		return
	}
	if len(sum.Dropped) == 0 {
		return
	}
	temporal, err := connect.Temporal(ctx, cfg, logger)
	if err != nil {
		logger.Warn("demo recovery check skipped", zap.Error(err))
		return
	}
	defer temporal.Close()
	if _, err := demo.AwaitRecovery(ctx, temporal, sum.Dropped, os.Stdout, logger); err != nil && ctx.Err() == nil {
		logger.Warn("demo recovery check stopped", zap.Error(err))
	}
}

// waitReady polls url until it answers 200, or fails when the component exits first.
func waitReady(ctx context.Context, exited <-chan error, url string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case err := <-exited:
			cancel(fmt.Errorf("exited before ready: %w", err))
		case <-ctx.Done():
		}
	}()
	err := devstack.WaitHTTP(ctx, url, 60*time.Second)
	if cause := context.Cause(ctx); cause != nil && err != nil {
		return cause
	}
	return err
}

func openLog(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}

func stopLogged(logger *zap.Logger, name string, stop func() error) {
	if err := stop(); err != nil {
		logger.Warn("stop failed", zap.String("component", name), zap.Error(err))
		return
	}
	logger.Info("stopped", zap.String("component", name))
}

// loopback turns a listen address such as ":8080" into one a browser can open.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}
