// Command prodstack starts the production topology of `make test-prod` and keeps it up until Ctrl-C (`make
// run-prod`): temporal-server on a private PostgreSQL with an mTLS frontend, MinIO erasure-coded on four
// drives, and two ingress and two worker processes. It prints where everything is and the TLS flags the
// temporal CLI and tctl need, so the operator commands of README.md can be tried against a real cluster.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/dev/prodstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	s, err := prodstack.Start(startCtx, prodstack.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "prodstack:", err)
		os.Exit(1)
	}
	defer s.Close()
	env := s.Env()
	fmt.Printf("Temporal frontend (mTLS) %s, PostgreSQL %s, MinIO %s (4 drives in %s)\n",
		s.Temporal.HostPort, s.Postgres.Addr, s.MinIO.Endpoint, s.Dir)
	for i, p := range s.Ingresses {
		fmt.Printf("%s %s  webhook %s\n", p.Name, p.BaseURL, s.WebhookURL(i))
	}
	fmt.Printf("\ntemporal CLI: temporal --address %s --tls-cert-path %s --tls-key-path %s --tls-ca-path %s --tls-server-name %s ...\n",
		env["TEMPORAL_ADDRESS"], env["TEMPORAL_TLS_CERT"], env["TEMPORAL_TLS_KEY"], env["TEMPORAL_TLS_CA"], env["TEMPORAL_TLS_SERVER_NAME"])
	fmt.Printf("tctl: export TEMPORAL_CLI_ADDRESS=%s TEMPORAL_CLI_TLS_CERT=%s TEMPORAL_CLI_TLS_KEY=%s TEMPORAL_CLI_TLS_CA=%s TEMPORAL_CLI_TLS_SERVER_NAME=%s\n",
		env["TEMPORAL_ADDRESS"], env["TEMPORAL_TLS_CERT"], env["TEMPORAL_TLS_KEY"], env["TEMPORAL_TLS_CA"], env["TEMPORAL_TLS_SERVER_NAME"])
	fmt.Println("\nCtrl-C stops everything.")
	<-ctx.Done()
}
