//go:build integration

// Package e2e holds the end-to-end tests and benchmarks: webhooks go through the real ingress handler over HTTP,
// runs execute on a real Temporal dev server with the real worker, objects land in a real MinIO server. Only
// the SocialData API is faked (internal/dev/fakesocialdata). Run with `make test` (or go test -tags integration).
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/socialhook/pipeline/internal/dev/testenv"
)

// stack is shared by the package's tests: starting Temporal and MinIO takes seconds, and every test uses its
// own job ids, so tests cannot see each other's runs.
var stack *testenv.Stack

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := testenv.Start(ctx, testenv.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start stack:", err)
		return 1
	}
	defer s.Close()
	stack = s
	return m.Run()
}
