// Package httpserve owns how the pipeline's processes serve HTTP: server timeouts against slow clients and a
// graceful shutdown when the process is told to stop.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// ShutdownGrace bounds how long in-flight requests may take to finish after a stop signal.
const ShutdownGrace = 20 * time.Second

// NewServer wraps h with timeouts that bound slow clients (slowloris) without cutting off a request that
// waits on Temporal for up to START_TIMEOUT.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves h on addr until ctx is done, then shuts down gracefully: the listener closes and in-flight
// requests get ShutdownGrace to finish. name labels the log lines.
func Serve(ctx context.Context, name, addr string, h http.Handler, logger *zap.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := NewServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("http server listening", zap.String("server", name), zap.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", name, err)
	case <-ctx.Done():
	}
	logger.Info("http server shutting down", zap.String("server", name), zap.Duration("grace", ShutdownGrace))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown %s: %w", name, err)
	}
	return nil
}
