package ingress

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/httpserve"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// EagerWorker starts the worker the ingress process hosts on its own client (INGRESS_WORKER: workflow tasks
// and local activities, so every start is eager) and returns how to stop it. The package does not build it:
// the process composes it (cmd/ingress with worker.StartEager), so the HTTP edge depends on no worker code.
type EagerWorker func(c client.Client, store *storage.Store) (stop func(), err error)

// Run serves the ingress on cfg.IngressAddr until ctx is done, then shuts down gracefully: the listener
// closes, in-flight requests (and the workflow starts they wait on) finish, then Run returns. With eager
// (nil: none), the process also runs that worker on the ingress's client, stopped last.
func Run(ctx context.Context, cfg config.Config, logger *zap.Logger, eager EagerWorker) error {
	if err := cfg.RequireIngress(); err != nil {
		return err
	}
	opts, err := OptionsFrom(cfg)
	if err != nil {
		return err
	}
	proc, err := connect.Dial(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer proc.Close()
	tc, store := proc.Temporal, proc.Store
	opts.Metrics = proc.Metrics
	if cfg.SpoolPath != "" {
		sp, err := spool.Open(cfg.SpoolPath)
		if err != nil {
			return err
		}
		defer sp.Close()
		opts.Spool = sp
		logger.Info("spool open", zap.String("path", cfg.SpoolPath), zap.Int("waiting", sp.Len()))
	}
	if eager != nil {
		stop, err := eager(tc, store)
		if err != nil {
			return err
		}
		// Deferred first, so it stops last: after the listener closed and the spool drainer stopped, in-flight
		// workflow tasks (and their local activities) finish before the process exits.
		defer stop()
		logger.Info("ingress worker started", zap.String("task_queue", cfg.TaskQueue))
	}
	srv := New(opts, tc, store, logger)
	drainCtx, stopDrain := context.WithCancel(context.WithoutCancel(ctx))
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		srv.Drain(drainCtx, cfg.SpoolDrainInterval)
	}()
	defer func() { stopDrain(); <-drained }()
	return httpserve.Serve(ctx, "ingress", cfg.IngressAddr, srv.Handler(), logger)
}

// OptionsFrom returns the handler options in cfg.
func OptionsFrom(cfg config.Config) (Options, error) {
	secrets, err := xwebhook.ParseSecrets(cfg.XConsumerSecrets)
	if err != nil {
		return Options{}, fmt.Errorf("X_CONSUMER_SECRET: %w", err)
	}
	return Options{
		XSecrets:         secrets,
		XDeliveryWindow:  cfg.XDeliveryWindow,
		JobPollInterval:  cfg.JobPollInterval,
		JobWaitTimeout:   cfg.JobWaitTimeout,
		DrainRate:        cfg.SpoolDrainRate,
		DrainConcurrency: cfg.SpoolDrainConcurrency,
		TaskQueue:        cfg.TaskQueue,
		WebhookToken:     cfg.SocialDataWebhookToken,
		APIToken:         cfg.APIToken,
		MaxBodyBytes:     cfg.MaxBodyBytes,
		StartTimeout:     cfg.StartTimeout,
	}, nil
}
