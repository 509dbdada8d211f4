// Package connect owns how the pipeline's processes reach their dependencies: the Temporal client (logging
// through the root zap logger, over TLS or mTLS and with an API key when configured) and the S3 store, both
// from the one Config.
package connect

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/logging"
	"github.com/socialhook/pipeline/internal/metrics"
	"github.com/socialhook/pipeline/internal/storage"
)

// Temporal dials the Temporal frontend in cfg with logger as the SDK's logger.
func Temporal(ctx context.Context, cfg config.Config, logger *zap.Logger) (client.Client, error) {
	return TemporalWithMetrics(ctx, cfg, logger, nil)
}

// TemporalWithMetrics is Temporal with the SDK's metrics going to handler (see package metrics); nil drops
// them.
func TemporalWithMetrics(ctx context.Context, cfg config.Config, logger *zap.Logger, handler client.MetricsHandler) (client.Client, error) {
	opts, err := TemporalOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts.Logger = logging.Temporal(logger)
	opts.MetricsHandler = handler
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// TemporalOptions returns the client options of cfg, without logger and metrics: address, namespace, the TLS
// configuration (config.Config.TemporalTLSConfig; nil dials in plaintext) and, with TEMPORAL_API_KEY, the key
// as bearer credentials. The SDK itself adds the temporal-namespace header, from each request's namespace,
// that Temporal Cloud routes API-key calls on.
func TemporalOptions(cfg config.Config) (client.Options, error) {
	tlsConf, err := cfg.TemporalTLSConfig()
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal tls: %w", err)
	}
	opts := client.Options{
		HostPort:          cfg.TemporalAddress,
		Namespace:         cfg.TemporalNamespace,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsConf},
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	return opts, nil
}

// Store returns the object store described by cfg. It does not contact the server.
func Store(cfg config.Config) (*storage.Store, error) {
	return storage.New(storage.Options{
		Endpoint:     cfg.S3Endpoint,
		AccessKey:    cfg.S3AccessKey,
		SecretKey:    cfg.S3SecretKey,
		Region:       cfg.S3Region,
		BucketLookup: BucketLookup(cfg.S3BucketLookup),
		Bucket:       cfg.S3Bucket,
		UseSSL:       cfg.S3UseSSL,
	})
}

// BucketLookup maps S3_BUCKET_LOOKUP (config.S3BucketLookups) to minio-go's lookup: path, virtual-host, and
// anything else (auto) lets minio-go choose.
func BucketLookup(name string) minio.BucketLookupType {
	switch name {
	case "path":
		return minio.BucketLookupPath
	case "virtual-host":
		return minio.BucketLookupDNS
	default:
		return minio.BucketLookupAuto
	}
}

// Process is what each binary dials at start: its metrics registry (the Temporal SDK's metrics bridged in), its
// Temporal client and its object store.
type Process struct {
	Metrics  *metrics.Registry
	Temporal client.Client
	Store    *storage.Store
}

// Dial builds the process's registry, connects to Temporal with its metrics, and prepares the store (not
// contacted). Close releases them.
func Dial(ctx context.Context, cfg config.Config, logger *zap.Logger) (*Process, error) {
	reg := metrics.New(logger)
	c, err := TemporalWithMetrics(ctx, cfg, logger, reg.SDK())
	if err != nil {
		_ = reg.Close()
		return nil, err
	}
	store, err := Store(cfg)
	if err != nil {
		c.Close()
		_ = reg.Close()
		return nil, err
	}
	return &Process{Metrics: reg, Temporal: c, Store: store}, nil
}

// Close closes the Temporal client, then the registry.
func (p *Process) Close() {
	p.Temporal.Close()
	_ = p.Metrics.Close()
}
