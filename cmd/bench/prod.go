package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/prodstack"
)

// prodRun runs the start and e2e phases on the production topology (internal/dev/prodstack: temporal-server 1.29.1
// on PostgreSQL with SQL visibility and an mTLS frontend, MinIO erasure-coded on four drives, the real ingress
// and worker binaries as processes), on a fresh tier for each of c.replicas, with the dev phases' definitions
// and code (acceptRounds, e2eRounds). It returns what it measured, one figures per tier, also on error.
func prodRun(ctx context.Context, c config, report func(string)) ([]figures, error) {
	for p := range c.phases {
		if p != "start" && p != "e2e" {
			fmt.Printf("prod topology: phase %s runs on the dev server only\n", p)
		}
	}
	bins, err := os.MkdirTemp("", "bench-prod-bin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bins)
	// One build for every tier (each tier would otherwise build its own).
	if _, _, err := prodstack.BuildBinaries(ctx, bins); err != nil {
		return nil, err
	}
	var out []figures
	for _, n := range c.replicas {
		f, err := prodTier(ctx, c, n, bins, report)
		if err != nil {
			return out, fmt.Errorf("prod tier, %d ingress + %d worker processes: %w", n, n, err)
		}
		out = append(out, f)
		// The closed tier's files (PostgreSQL, MinIO drives) are deleted: flushed before the next tier starts, so
		// it does not pay for the writeback.
		syscall.Sync()
	}
	return out, nil
}

// prodTier starts a fresh tier of n ingress and n worker processes and measures on it:
//
//   - accept: bare starts from the bench process (over mTLS) against n ingress processes of the same binary
//     and configuration, load spread round-robin, each starting on noWorkerQueue with no eager worker, like
//     the dev phase's in-process ingress; the tier's own ingresses and workers are idle meanwhile;
//   - end to end: the baseline's worker in the bench process (over mTLS) against job and monitor events sent
//     round-robin to the tier's n ingresses (each with its eager worker) and run by its n worker processes;
//     then every run is checked completed, and every job's manifest written (verifyE2E).
//
// Every operation of a phase has returned — every e2e run has completed — before the next phase starts.
func prodTier(ctx context.Context, c config, n int, bins string, report func(string)) (figures, error) {
	f := figures{name: fmt.Sprintf("prod, %d+%d", n, n)}
	label := fmt.Sprintf("[prod %d+%d] ", n, n)
	began := time.Now()
	// START_TIMEOUT at its default (10 s), as the dev phases' ingress has it, not the tier's 3 s (which keeps
	// its fault tests short): a start slower than that under load is spooled, and the event is an error here.
	tier, err := prodstack.Start(ctx, prodstack.Options{Ingresses: n, Workers: n, Bins: bins,
		Env: map[string]string{"START_TIMEOUT": "10s"}})
	if err != nil {
		return f, err
	}
	defer tier.Close()
	fmt.Printf("%stier up in %.1fs: temporal-server %s, PostgreSQL %s, %s history shards, MinIO 4 drives; %d ingress + %d worker processes\n",
		label, time.Since(began).Seconds(), tier.Versions["TEMPORAL_SERVER_VERSION"], tier.Versions["POSTGRES_MAJOR"],
		tier.Versions["TEMPORAL_HISTORY_SHARDS"], len(tier.Ingresses), len(tier.Workers))

	if c.phases["start"] {
		urls, stop, err := startAcceptIngresses(ctx, tier, n)
		if err != nil {
			return f, err
		}
		cpu := takeCPU()
		f.bare, f.accept = acceptRounds(ctx, c, tier.Client, urls)
		used := cpu.cpuSince()
		if err := stop(); err != nil {
			return f, err
		}
		reportAccept(report, label, f.bare, f.accept)
		report(label + used)
	}
	if c.phases["e2e"] {
		urls := make([]string, len(tier.Ingresses))
		for i := range tier.Ingresses {
			urls[i] = tier.WebhookURL(i)
		}
		cpu := takeCPU()
		if err := e2eRounds(ctx, c, tier.Client, urls, &f); err != nil {
			return f, err
		}
		reportE2E(report, label, f)
		report(label + cpu.cpuSince())
		checked, err := verifyE2E(ctx, tier, c.e2e)
		if err != nil {
			return f, err
		}
		report(label + checked)
	}
	return f, nil
}

// startAcceptIngresses starts n more ingress processes of the tier (prodstack.NewIngress) on the tier's configuration except TASK_QUEUE
// (noWorkerQueue) and INGRESS_WORKER (off: no eager worker, which would run the starts), each on its own
// address and spool, and returns their webhook URLs once each answers /readyz. stop stops them gracefully.
func startAcceptIngresses(ctx context.Context, tier *prodstack.Stack, n int) (urls []string, stop func() error, err error) {
	var procs []*prodstack.Pipeline
	stop = func() error {
		var first error
		for _, p := range procs {
			if err := p.Stop(); err != nil && first == nil {
				first = fmt.Errorf("stop accept ingress: %w", err)
			}
		}
		return first
	}
	defer func() {
		if err != nil {
			_ = stop()
		}
	}()
	for i := range n {
		p, err := tier.NewIngress("bench-accept-ingress-"+strconv.Itoa(i+1),
			map[string]string{"TASK_QUEUE": noWorkerQueue, "INGRESS_WORKER": "false"})
		if err != nil {
			return nil, stop, err
		}
		if err := p.Start(ctx); err != nil {
			return nil, stop, err
		}
		procs = append(procs, p)
		urls = append(urls, p.WebhookURL())
	}
	return urls, stop, nil
}

// verifyE2E checks the end-to-end phase on the tier's namespace, which only the bench has used: n completed
// runs of each of the baseline, the job and the monitor-event workflow on the pipeline's task queue, no other
// run of them there, and n job manifests in the bucket. Visibility is eventually consistent: the counts are
// polled for up to a minute.
func verifyE2E(ctx context.Context, tier *prodstack.Stack, n int) (string, error) {
	kinds := []struct{ name, query string }{
		{"no-op", "WorkflowType = 'Noop'"},
		{"job", fmt.Sprintf("WorkflowType = '%s' AND TaskQueue = '%s'", contract.JobWorkflowName, prodstack.TaskQueue)},
		{"monitor", fmt.Sprintf("WorkflowType = '%s'", contract.MonitorEventWorkflowName)},
	}
	var parts []string
	for _, k := range kinds {
		var all, done int64
		deadline := time.Now().Add(time.Minute)
		for {
			var err error
			if all, err = count(ctx, tier, k.query); err != nil {
				return "", err
			}
			if done, err = count(ctx, tier, k.query+" AND ExecutionStatus = 'Completed'"); err != nil {
				return "", err
			}
			if (all == int64(n) && done == int64(n)) || time.Now().After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
		if all != int64(n) || done != int64(n) {
			return "", fmt.Errorf("%d %s events, but %d runs (%d completed)", n, k.name, all, done)
		}
		parts = append(parts, fmt.Sprintf("%d %s runs", done, k.name))
	}
	keys, err := tier.Store.List(ctx, "datafiles/")
	if err != nil {
		return "", err
	}
	manifests := 0
	for _, k := range keys {
		if strings.HasSuffix(k, "/manifest.json") {
			manifests++
		}
	}
	if manifests != n {
		return "", fmt.Errorf("%d job events, but %d manifests", n, manifests)
	}
	return fmt.Sprintf("CHECK %s, all completed, one each; %d job manifests", strings.Join(parts, ", "), manifests), nil
}

func count(ctx context.Context, tier *prodstack.Stack, query string) (int64, error) {
	resp, err := tier.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", query, err)
	}
	return resp.GetCount(), nil
}
