// Package worker owns the worker process: it connects to Temporal and MinIO, registers (or checks) the search
// attributes the pipeline sets on its runs and waits until the server accepts them, registers every workflow and
// activity under its contract name, polls the task queue, serves a health endpoint, and stops gracefully.
package worker

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/activities"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/httpserve"
	"github.com/socialhook/pipeline/internal/metrics"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/workflows"
)

// New builds a worker for cfg over an existing client and store: every workflow and activity registered,
// not yet started.
func New(cfg config.Config, c client.Client, store *storage.Store) (sdkworker.Worker, error) {
	return build(cfg, c, store, false)
}

// StartEager builds and starts the worker the ingress hosts on its own client (INGRESS_WORKER): it runs workflow tasks
// and local activities — the storage steps — but polls no activity tasks, so datafile downloads and every
// step that falls back to a regular activity stay on the worker process. Because a worker for the task queue
// runs on the client the ingress starts workflows with, each start is eager: the server hands the first
// workflow task back in the start response and this worker runs it at once, which saves a task dispatch and a
// history write per event (BENCHMARKS.md). A task that cannot be eager (no free slot) goes through the task
// queue to any worker, as usual.
func StartEager(cfg config.Config, c client.Client, store *storage.Store) (sdkworker.Worker, error) {
	w, err := build(cfg, c, store, true)
	if err != nil {
		return nil, err
	}
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start ingress worker: %w", err)
	}
	return w, nil
}

func build(cfg config.Config, c client.Client, store *storage.Store, localActivitiesOnly bool) (sdkworker.Worker, error) {
	allowlist, err := config.NewHostAllowlist(cfg.DatafileAllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("datafile allowlist: %w", err)
	}
	var sd *socialdata.Client
	if cfg.SocialDataAPIKey != "" {
		sd = socialdata.NewClient(cfg.SocialDataAPIURL, cfg.SocialDataAPIKey, nil)
	}
	w := sdkworker.New(c, cfg.TaskQueue, sdkworker.Options{
		// On stop, running activities get this long to finish their attempt before being cancelled (and
		// retried elsewhere); compose's stop_grace_period is longer.
		WorkerStopTimeout:       30 * time.Second,
		LocalActivityWorkerOnly: localActivitiesOnly,
	})
	workflows.Register(w)
	activities.New(activities.Deps{
		Store: store, SocialData: sd, Allowlist: allowlist,
		Temporal: c, TaskQueue: cfg.TaskQueue, TrackedFields: cfg.ProfileTrackedFields,
		DatafileMaxBytes: cfg.DatafileMaxBytes, DatafileAllowPrivate: cfg.DatafileAllowPrivate,
	}).Register(w)
	return w, nil
}

// Run runs the worker until ctx is done, then stops it, letting running activities finish their attempt. It
// polls the task queue and serves /healthz only once the search attributes are usable (PrepareSearchAttributes).
func Run(ctx context.Context, cfg config.Config, logger *zap.Logger) error {
	if err := cfg.RequireWorker(); err != nil {
		return err
	}
	proc, err := connect.Dial(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer proc.Close()
	c, store, reg := proc.Temporal, proc.Store, proc.Metrics
	if err := store.Ping(ctx); err != nil {
		return fmt.Errorf("object store: %w", err)
	}
	if err := PrepareSearchAttributes(ctx, c, cfg); err != nil {
		return err
	}
	if cfg.PollInterval > 0 {
		if err := EnsurePollerSchedule(ctx, c, cfg); err != nil {
			return err
		}
	}
	w, err := New(cfg, c, store)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	logger.Info("worker started", zap.String("task_queue", cfg.TaskQueue), zap.String("namespace", cfg.TemporalNamespace))

	if cfg.WorkerHealthAddr == "" {
		<-ctx.Done()
		return nil
	}
	return httpserve.Serve(ctx, "worker-health", cfg.WorkerHealthAddr, healthHandler(reg), logger)
}

// healthHandler answers GET /healthz while the worker runs, and serves the process's metrics (the Temporal
// SDK's temporal_* metrics and the Go collectors) at GET /metrics.
func healthHandler(reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return mux
}

// Eager is the ingress process's eager worker (ingress.EagerWorker) for cfg, or nil when INGRESS_WORKER is
// off: cmd/ingress and the dev stack compose it with ingress.Run.
func Eager(cfg config.Config) func(c client.Client, store *storage.Store) (func(), error) {
	if !cfg.IngressWorker {
		return nil
	}
	return func(c client.Client, store *storage.Store) (func(), error) {
		w, err := StartEager(cfg, c, store)
		if err != nil {
			return nil, err
		}
		return w.Stop, nil
	}
}
