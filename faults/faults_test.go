//go:build integration

// Package faults holds the fault scenarios: a real stack (Temporal with a SQLite file so it can be restarted,
// MinIO, the worker, the ingress) is put under steady load while a part of it fails, and every event that was
// answered 200 must be processed exactly once. Each scenario runs on a stack of its own, so none starts while
// the one before it is still draining. Each prints its figures (sent, accepted, spooled, lost, duplicated);
// RELIABILITY.md collects them. Run one with `make fault-<name>`, all with `make faults`.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/socialhook/pipeline/internal/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/testenv"
	"github.com/socialhook/pipeline/workflows"
)

// startStack starts the scenario's own stack (a few seconds) and closes it when the test ends.
func startStack(t *testing.T) *testenv.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := testenv.Start(ctx, testenv.Options{PersistentTemporal: true, Env: map[string]string{"START_TIMEOUT": "2s"}})
	require.NoError(t, err, "start stack")
	t.Cleanup(s.Close)
	return s
}

// jobIDs returns the job ids 1..n: every scenario has a fresh Temporal and MinIO, so they are unused.
func jobIDs(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

// replies are the answers a scenario's requests got, per event: "accepted", "duplicate" or "spooled" for a 200,
// "" for a request that failed or was not answered 200.
type replies map[int64][]string

// replyStatus is the status of one webhook's answer ("" unless it was a 200 with a status).
func replyStatus(code int, body []byte, err error) string {
	if err != nil || code != http.StatusOK {
		return ""
	}
	var r struct{ Status string }
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return r.Status
}

// load posts one job_finished webhook (status error: archive and manifest, no datafile) per entry of ids (an id
// may repeat) to url, concurrency at a time, calling during(i) before the i-th, and returns every answer.
func load(t *testing.T, url string, ids []int64, concurrency int, during func(i int)) replies {
	t.Helper()
	var mu sync.Mutex
	got := replies{}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		if during != nil {
			during(i)
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body, _ := json.Marshal(map[string]any{"event": "job_finished", "data": map[string]any{"job_id": id, "status": "error", "message": "m"}})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			status := replyStatus(fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, url, body))
			mu.Lock()
			got[id] = append(got[id], status)
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// figures are a scenario's counts: Sent and the answers per request, Lost and Duplicated per event.
type figures struct {
	Sent, Accepted, Spooled, Duplicate, Refused, Lost, Duplicated int
}

// verify waits until every event answered 200 at least once has its manifest (the run's last write), the spool
// is empty and every event's run is closed, then counts lost events (answered 200, no manifest) and duplicated
// ones (more than one run, see duplicatedRuns), and prints the figures. The caller asserts on them, so the
// figures are printed even when the promise was broken.
func verify(t *testing.T, s *testenv.Stack, name string, got replies) figures {
	t.Helper()
	var f figures
	var answered []int64
	for id, statuses := range got {
		ok := false
		for _, st := range statuses {
			f.Sent++
			switch st {
			case "accepted":
				f.Accepted++
			case "spooled":
				f.Spooled++
			case "duplicate":
				f.Duplicate++
			default:
				f.Refused++
				continue
			}
			ok = true
		}
		if ok {
			answered = append(answered, id)
		}
	}
	slices.Sort(answered)
	// Polled: spooled events start when the drainer reaches them (at its bounded pace), and runs finish
	// asynchronously, after retries when a server was down. Not fatal, so that the lost count below is real.
	assert.EventuallyWithT(t, func(c *assert.CollectT) {
		missing, err := missingManifests(t.Context(), s, answered)
		if !assert.NoError(c, err) {
			return
		}
		assert.Empty(c, missing, "events answered 200 without a manifest yet")
		assert.Zero(c, s.Spool.Len(), "spooled events not started yet")
	}, 3*time.Minute, 250*time.Millisecond)
	missing, err := missingManifests(t.Context(), s, answered)
	require.NoError(t, err)
	f.Lost = len(missing)
	var processed []string
	for _, id := range answered {
		if !slices.Contains(missing, id) {
			processed = append(processed, workflows.JobWorkflowID(id))
		}
	}
	f.Duplicated = duplicatedRuns(t, s, processed)
	t.Logf("%s: sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d (lost: %v)", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated, missing)
	fmt.Printf("FIGURES %s sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d\n", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated)
	return f
}

// missingManifests returns the jobs of ids whose manifest is not in the bucket.
func missingManifests(ctx context.Context, s *testenv.Stack, ids []int64) ([]int64, error) {
	keys, err := s.Store.List(ctx, "datafiles/") // every job's objects: storage.DatafilePrefix
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range ids {
		if _, found := slices.BinarySearch(keys, storage.ManifestKey(id)); !found {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// duplicatedRuns returns how many of workflowIDs have more than one run, once each one's runs are all closed and
// indexed, and asserts that every current run completed.
//
// Visibility is eventually consistent, so a count there proves nothing until it has caught up with the run that
// matters. A second run of an ID always starts after the first, so it is the ID's current run, which
// DescribeWorkflowExecution reads from persistence (strongly consistent). So: poll until, for every ID, the
// current run is closed and visibility lists that very run as closed; visibility then holds the ID's latest run
// and every earlier one, and any ID listed with more than one run is duplicated. The current runs are read again
// after the count, so a run started meanwhile would show as one more run too.
func duplicatedRuns(t *testing.T, s *testenv.Stack, workflowIDs []string) int {
	t.Helper()
	ctx := t.Context()
	// Polled: the runs close and are indexed asynchronously. Not fatal, so that the figures are printed.
	assert.EventuallyWithT(t, func(c *assert.CollectT) {
		current, err := currentRuns(ctx, s, workflowIDs)
		if !assert.NoError(c, err) {
			return
		}
		listed, err := s.Runs(ctx, "")
		if !assert.NoError(c, err) {
			return
		}
		for _, id := range workflowIDs {
			run := current[id]
			assert.NotEqual(c, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, run.GetStatus(), "%s: current run still open", id)
			assert.True(c, listedClosed(listed[id], run.GetExecution().GetRunId()),
				"%s: visibility does not list its current run %s as closed yet", id, run.GetExecution().GetRunId())
		}
	}, 60*time.Second, 250*time.Millisecond)
	listed, err := s.Runs(ctx, "")
	require.NoError(t, err)
	current, err := currentRuns(ctx, s, workflowIDs)
	require.NoError(t, err)
	duplicated := 0
	for _, id := range workflowIDs {
		run := current[id]
		assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, run.GetStatus(), "%s: current run", id)
		runs := listed[id]
		if len(runs) != 1 || runs[0].GetExecution().GetRunId() != run.GetExecution().GetRunId() {
			duplicated++
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.GetExecution().GetRunId()+" "+r.GetStatus().String())
			}
			t.Logf("%s: current run %s, visibility lists %d runs: %v", id, run.GetExecution().GetRunId(), len(runs), ids)
		}
	}
	return duplicated
}

// currentRuns describes the current (latest) run of each of workflowIDs.
func currentRuns(ctx context.Context, s *testenv.Stack, workflowIDs []string) (map[string]*workflowpb.WorkflowExecutionInfo, error) {
	runs := map[string]*workflowpb.WorkflowExecutionInfo{}
	for _, id := range workflowIDs {
		desc, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", id, err)
		}
		runs[id] = desc.GetWorkflowExecutionInfo()
	}
	return runs, nil
}

// listedClosed reports whether runs holds runID, closed.
func listedClosed(runs []*workflowpb.WorkflowExecutionInfo, runID string) bool {
	return slices.ContainsFunc(runs, func(r *workflowpb.WorkflowExecutionInfo) bool {
		return r.GetExecution().GetRunId() == runID && r.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

// Temporal killed (SIGKILL) and restarted during a steady load: the ingress spools while it is down, and every
// event answered 200 is processed exactly once.
func TestTemporalRestartDuringLoad(t *testing.T) {
	s := startStack(t)
	ids := jobIDs(300)
	var stopped, restarted atomic.Bool
	got := load(t, s.WebhookURL, ids, 8, func(i int) {
		switch i {
		case 60:
			require.NoError(t, s.KillTemporal())
			stopped.Store(true)
		case 200:
			// While it spools, the ingress says so: /readyz "degraded" and the degraded gauge at 1.
			resp, err := testenv.HTTPClient.Get(s.Ingress.URL + "/readyz")
			require.NoError(t, err)
			var ready struct{ Status string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&ready))
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "degraded", ready.Status)
			resp, err = testenv.HTTPClient.Get(s.Ingress.URL + "/metrics")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Contains(t, string(body), "socialhook_ingress_degraded 1")
		case 240:
			require.NoError(t, s.StartTemporalAgain(context.Background()))
			restarted.Store(true)
		}
	})
	require.True(t, stopped.Load() && restarted.Load())
	f := verify(t, s, "temporal-restart", got)
	require.Zero(t, f.Lost, "lost events")
	require.Zero(t, f.Duplicated, "duplicated events")
	require.Zero(t, f.Refused, "every request was answered 200 (spooled while Temporal was down)")
	require.Positive(t, f.Spooled, "the scenario must have spooled to mean anything")
	require.Zero(t, s.Spool.Len(), "the spool drained")
	require.Zero(t, s.Spool.Dead(), "no spooled event set aside")
}

// Ten copies of each webhook at once: every copy is answered 200 (accepted, duplicate, or spooled when a start
// is slow: the drainer starts it later), and each event has one run and one manifest.
func TestDuplicateStorm(t *testing.T) {
	s := startStack(t)
	ids := jobIDs(30)
	var storm []int64
	for range 10 {
		storm = append(storm, ids...)
	}
	got := load(t, s.WebhookURL, storm, 16, nil)
	for _, id := range ids {
		require.Len(t, got[id], 10, "job %d: one answer per copy", id)
		for _, st := range got[id] {
			require.Contains(t, []string{"accepted", "duplicate", "spooled"}, st, "job %d: every copy answered 200", id)
		}
	}
	f := verify(t, s, "duplicate-storm", got)
	require.Zero(t, f.Refused)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
}

// MinIO stopped for 30 s while job webhooks with datafiles arrive: activities retry with backoff and every job
// completes with its correct object once MinIO is back.
func TestMinIOOutage(t *testing.T) {
	outage := 30 * time.Second
	if v := os.Getenv("FAULT_MINIO_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		outage = d
	}
	s := startStack(t)
	ids := jobIDs(20)
	require.NoError(t, s.StopMinIO())
	got := replies{}
	for _, id := range ids {
		df := fakesocialdata.Datafile{Name: fmt.Sprintf("%d.bin", id), Size: 256 << 10, Seed: uint64(id)}
		job := fakesocialdata.Job{ID: id, Status: "success", Datafile: &df}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, resp, err := fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, s.WebhookURL, s.Fake.JobFinishedWebhook(job))
		cancel()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "%s", resp)
		got[id] = []string{replyStatus(code, resp, err)}
	}
	<-time.After(outage) // the outage itself: MinIO stays down this long while the runs retry
	require.NoError(t, s.StartMinIOAgain(context.Background()))
	f := verify(t, s, "minio-outage", got)
	require.Zero(t, f.Refused)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	for _, id := range ids {
		var res workflows.JobResult
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		require.NoError(t, s.Client.GetWorkflow(ctx, workflows.JobWorkflowID(id), "").Get(ctx, &res))
		cancel()
		require.Equal(t, fakesocialdata.SHA256(uint64(id), 256<<10), res.SHA256)
	}
}
