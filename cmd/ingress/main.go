// Command ingress runs the pipeline's HTTP ingress on INGRESS_ADDR, and with INGRESS_WORKER the eager worker
// that runs its workflow tasks and local storage steps (composed here, so the ingress package needs no worker
// code). Configuration comes from the environment (see README.md).
package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/process"
	"github.com/socialhook/pipeline/worker"
)

func main() {
	process.Main("ingress", func(ctx context.Context, cfg config.Config, logger *zap.Logger) error {
		return ingress.Run(ctx, cfg, logger, worker.Eager(cfg))
	})
}
