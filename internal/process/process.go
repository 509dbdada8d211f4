// Package process owns the life of the pipeline's binaries: read the config once, build the one root logger,
// turn SIGINT/SIGTERM into context cancellation, run, and exit in one place.
package process

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/logging"
)

// Main runs fn as the process named name and exits: 0 when fn returns nil after a stop signal or on its own,
// 1 with the error on stderr otherwise.
func Main(name string, fn func(ctx context.Context, cfg config.Config, logger *zap.Logger) error) {
	if err := run(name, fn); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(name string, fn func(ctx context.Context, cfg config.Config, logger *zap.Logger) error) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	logger, err := logging.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return fn(ctx, cfg, logger.Named(name))
}
