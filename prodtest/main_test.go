//go:build prod

// Package prodtest is the production-topology tier (`make test-prod`): the pipeline's end-to-end flows and its
// faults on the real Temporal server over PostgreSQL with an mTLS frontend, MinIO in erasure-coded mode, and
// two ingress and two worker processes of the real binaries (internal/dev/prodstack). The tests share one tier and
// run one after the other; each uses event ids of its own, and a fault puts back what it broke before it ends.
// Every fault prints a FIGURES line; every event answered 200 must be processed exactly once.
package prodtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialhook/pipeline/internal/dev/prodstack"
	"github.com/socialhook/pipeline/internal/dev/promise"
)

var tier *prodstack.Stack

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	began := time.Now()
	var err error
	if tier, err = prodstack.Start(ctx, prodstack.Options{}); err != nil {
		fmt.Fprintf(os.Stderr, "prodtest: start the tier: %v\n", err)
		return 1
	}
	defer tier.Close()
	fmt.Printf("FIGURES tier-start seconds=%.1f ingresses=%d workers=%d shards=%s minio_drives=4 temporal=%s\n",
		time.Since(began).Seconds(), len(tier.Ingresses), len(tier.Workers),
		tier.Versions["TEMPORAL_HISTORY_SHARDS"], tier.Versions["TEMPORAL_SERVER_VERSION"])
	return m.Run()
}

// target is the tier as promise checks it: the spool depth is the sum over the ingresses' gauges.
func target() promise.Target {
	return promise.Target{Client: tier.Client, Store: tier.Store, SpoolDepth: spoolDepth}
}

// spoolDepth sums socialhook_ingress_spool_depth over every ingress (a stopped one is an error: its spool
// cannot be read).
func spoolDepth(ctx context.Context) (int, error) {
	total := 0
	for _, p := range tier.Ingresses {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/metrics", nil)
		if err != nil {
			return 0, err
		}
		resp, err := promise.HTTPClient.Do(req)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", p.Name, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "socialhook_ingress_spool_depth "); ok {
				n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return 0, err
				}
				total += int(n)
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("%s: no socialhook_ingress_spool_depth in /metrics", p.Name)
		}
	}
	return total, nil
}

// webhookURLs are the SocialData webhook URLs of every ingress.
func webhookURLs() []string {
	urls := make([]string, len(tier.Ingresses))
	for i := range tier.Ingresses {
		urls[i] = tier.WebhookURL(i)
	}
	return urls
}

// jobIDs returns n job ids from base on: each test has its own range, so tests on the shared tier never
// collide.
func jobIDs(base int64, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = base + int64(i)
	}
	return ids
}
