package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
)

// datafilePhase streams a datafile from the fake API through a JobWorkflow run by the real worker binary in
// its own process, next to a raw MinIO PUT of the same bytes, and reads the worker's peak RSS (VmHWM).
//
// The copies run in ABBA order (raw, pipeline, pipeline, raw) with a sync(2) before each, and each side's
// figure is its total over two copies: MinIO's writes of one copy are still being flushed while the next one
// runs, so whichever went second used to pay for the first (ratios of 0.68 to 0.99 from run to run).
func datafilePhase(ctx context.Context, stack *testenv.Stack, c config, report func(string)) error {
	size := c.datafileSize
	seed := uint64(time.Now().UnixNano())
	rawPut := func(n int) (float64, error) {
		syscall.Sync()
		start := time.Now()
		if _, err := stack.Store.PutStream(ctx, fmt.Sprintf("bench/raw-put-%d", n), fakesocialdata.Content(seed, size), size, "application/octet-stream"); err != nil {
			return 0, err
		}
		return time.Since(start).Seconds(), nil
	}

	root, err := devstack.ModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-worker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", bin, "./cmd/worker")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build worker: %w", err)
	}
	const queue = "bench-datafile"
	w := exec.Command(bin)
	w.Env = append(append(os.Environ(), stack.Env()...), "TASK_QUEUE="+queue, "POLL_INTERVAL=0", "DATAFILE_ALLOW_PRIVATE=true")
	w.Stderr = os.Stderr
	if err := w.Start(); err != nil {
		return err
	}
	defer func() { _ = w.Process.Kill(); _, _ = w.Process.Wait() }()

	baseID := time.Now().UnixNano() % 1_000_000_000
	df := fakesocialdata.Datafile{Name: "bench.bin", Size: size, Seed: seed}
	fetch := func(n int) (float64, error) {
		syscall.Sync()
		jobID := baseID + int64(n)
		start := time.Now()
		run, err := stack.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: contract.JobWorkflowID(jobID), TaskQueue: queue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, contract.JobWorkflowName, contract.JobInput{JobID: jobID, Status: "success", DatafileURL: stack.Fake.DatafileURL(df),
			Revision: contract.CurrentRevision})
		if err != nil {
			return 0, err
		}
		var res contract.JobResult
		if err := run.Get(ctx, &res); err != nil {
			return 0, err
		}
		secs := time.Since(start).Seconds()
		if res.SHA256 != fakesocialdata.SHA256(seed, size) {
			return 0, fmt.Errorf("stored datafile digest %s differs from the source", res.SHA256)
		}
		return secs, nil
	}
	var rawSecs, pipeSecs float64
	var peak, peakBoth int64
	for i, step := range []func(int) (float64, error){rawPut, fetch, fetch, rawPut} {
		secs, err := step(i)
		if err != nil {
			return err
		}
		if i == 0 || i == 3 {
			rawSecs += secs
		} else {
			pipeSecs += secs
		}
		// The target is the peak for one 1 GiB datafile: read it after the worker's first copy; the peak after
		// both copies is printed too.
		if i == 1 || i == 2 {
			if peakBoth, err = peakRSS(w.Process.Pid); err != nil {
				return err
			}
			if i == 1 {
				peak = peakBoth
			}
		}
	}
	mib := 2 * float64(size) / (1 << 20)
	report(fmt.Sprintf("%-44s %6.0f MiB: raw MinIO PUT %.1f MiB/s, FetchDatafile via worker %.1f MiB/s", "datafile streaming (2 copies each, ABBA)", mib/2, mib/rawSecs, mib/pipeSecs))
	report(fmt.Sprintf("RATIO datafile / raw PUT = %.2f (target >= 0.80); worker peak RSS %.1f MiB for one 1 GiB copy (target < 64 MiB), %.1f MiB after two",
		rawSecs/pipeSecs, float64(peak)/(1<<20), float64(peakBoth)/(1<<20)))
	return nil
}

// peakRSS returns a process's peak resident set size in bytes (VmHWM in /proc/<pid>/status).
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("VmHWM not found for pid %d", pid)
}
