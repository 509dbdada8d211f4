// Package connect owns how the pipeline's processes reach their dependencies: the Temporal client (logging
// through the root zap logger) and the MinIO store, both from the one Config.
package connect

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/logging"
	"github.com/socialhook/pipeline/internal/storage"
)

// Temporal dials the Temporal frontend in cfg with logger as the SDK's logger.
func Temporal(ctx context.Context, cfg config.Config, logger *zap.Logger) (client.Client, error) {
	return TemporalWithMetrics(ctx, cfg, logger, nil)
}

// TemporalWithMetrics is Temporal with the SDK's metrics going to handler (see package metrics); nil drops
// them.
func TemporalWithMetrics(ctx context.Context, cfg config.Config, logger *zap.Logger, handler client.MetricsHandler) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         logging.Temporal(logger),
		MetricsHandler: handler,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// Store returns the object store described by cfg. It does not contact the server.
func Store(cfg config.Config) (*storage.Store, error) {
	return storage.New(storage.Options{
		Endpoint:  cfg.S3Endpoint,
		AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey,
		Bucket:    cfg.S3Bucket,
		UseSSL:    cfg.S3UseSSL,
	})
}
