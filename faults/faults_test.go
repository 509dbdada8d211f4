//go:build integration

// Package faults holds the fault scenarios: a real stack (Temporal with a SQLite file so it can be restarted,
// MinIO, the worker, the ingress) is put under steady load while a part of it fails, and every event that was
// answered 200 must be processed exactly once. Each scenario prints its figures (sent, accepted, spooled,
// lost, duplicated); RELIABILITY.md collects them. Run one with `make fault-<name>`, all with `make faults`.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/testenv"
	"github.com/socialhook/pipeline/workflows"
)

var stack *testenv.Stack

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		s, err := testenv.Start(ctx, testenv.Options{PersistentTemporal: true, Env: map[string]string{"START_TIMEOUT": "2s"}})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "faults: start stack:", err)
			return 1
		}
		defer s.Close()
		stack = s
		return m.Run()
	}())
}

var nextJob atomic.Int64

func init() { nextJob.Store(time.Now().Unix() % 1_000_000 * 10_000) }

// load posts one job_finished webhook (status error: archive and manifest, no datafile) per id to url,
// concurrency at a time, calling during(i) before the i-th, and returns the reply status per id ("" when the
// request failed or was not answered 200).
func load(t *testing.T, url string, ids []int64, concurrency int, during func(i int)) map[int64]string {
	t.Helper()
	var mu sync.Mutex
	replies := map[int64]string{}
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
			code, resp, err := fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, url, body)
			status := ""
			if err == nil && code == http.StatusOK {
				var r struct{ Status string }
				_ = json.Unmarshal(resp, &r)
				status = r.Status
			}
			mu.Lock()
			replies[id] = status
			mu.Unlock()
		})
	}
	wg.Wait()
	return replies
}

func newIDs(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = nextJob.Add(1)
	}
	return ids
}

// figures are a scenario's counts.
type figures struct {
	Sent, Accepted, Spooled, Duplicate, Refused, Lost, Duplicated int
}

// verify waits for every accepted job to be processed and counts lost (accepted, no run or no manifest) and
// duplicated (more than one run) events.
func verify(t *testing.T, name string, sent int, replies map[int64]string) figures {
	t.Helper()
	f := figures{Sent: sent}
	ctx := context.Background()
	for id, st := range replies {
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
		wfID := workflows.JobWorkflowID(id)
		// Spooled events start when the drainer reaches them, and runs finish asynchronously: wait for each
		// manifest (the run's last write), then count runs in visibility (eventually consistent).
		ok := waitFor(60*time.Second, func() bool {
			_, err := stack.Store.Get(ctx, storage.ManifestKey(id))
			return err == nil
		})
		if !ok {
			f.Lost++
			continue
		}
		var runs int64
		waitFor(20*time.Second, func() bool { runs = countRuns(t, wfID); return runs >= 1 })
		if runs > 1 {
			f.Duplicated++
		}
	}
	t.Logf("%s: sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated)
	fmt.Printf("FIGURES %s sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d\n", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated)
	return f
}

// waitFor polls cond every 100 ms until it holds or timeout passes (the work it waits for is asynchronous:
// workflow runs and visibility indexing).
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-time.After(100 * time.Millisecond)
	}
}

func countRuns(t *testing.T, workflowID string) int64 {
	t.Helper()
	n, err := stack.Count(context.Background(), testenv.RunsQuery(workflowID))
	if err != nil {
		return 0
	}
	return n
}

// Temporal killed (SIGKILL) and restarted during a steady load: the ingress spools while it is down, and every
// event answered 200 is processed exactly once.
func TestTemporalRestartDuringLoad(t *testing.T) {
	ids := newIDs(300)
	var stopped, restarted atomic.Bool
	replies := load(t, stack.WebhookURL, ids, 8, func(i int) {
		switch i {
		case 60:
			require.NoError(t, stack.KillTemporal())
			stopped.Store(true)
		case 200:
			// While it spools, the ingress says so: /readyz "degraded" and the degraded gauge at 1.
			resp, err := testenv.HTTPClient.Get(stack.Ingress.URL + "/readyz")
			require.NoError(t, err)
			var ready struct{ Status string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&ready))
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "degraded", ready.Status)
			resp, err = testenv.HTTPClient.Get(stack.Ingress.URL + "/metrics")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Contains(t, string(body), "socialhook_ingress_degraded 1")
		case 240:
			require.NoError(t, stack.StartTemporalAgain(context.Background()))
			restarted.Store(true)
		}
	})
	require.True(t, stopped.Load() && restarted.Load())
	f := verify(t, "temporal-restart", len(ids), replies)
	require.Zero(t, f.Lost, "lost events")
	require.Zero(t, f.Duplicated, "duplicated events")
	require.Zero(t, f.Refused, "every request was answered 200 (spooled while Temporal was down)")
	require.Positive(t, f.Spooled, "the scenario must have spooled to mean anything")
	require.Zero(t, stack.Spool.Len(), "the spool drained")
}

// Ten copies of each webhook at once: one run and one manifest per event.
func TestDuplicateStorm(t *testing.T) {
	ids := newIDs(30)
	var storm []int64
	for range 10 {
		storm = append(storm, ids...)
	}
	var mu sync.Mutex
	statuses := map[int64][]string{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, id := range storm {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := load(t, stack.WebhookURL, []int64{id}, 1, nil)
			mu.Lock()
			statuses[id] = append(statuses[id], r[id])
			mu.Unlock()
		})
	}
	wg.Wait()
	replies := map[int64]string{}
	for id, sts := range statuses {
		accepted := 0
		for _, s := range sts {
			require.Contains(t, []string{"accepted", "duplicate"}, s)
			if s == "accepted" {
				accepted++
			}
		}
		require.Equal(t, 1, accepted, "job %d accepted once", id)
		replies[id] = "accepted"
	}
	f := verify(t, "duplicate-storm", len(storm), replies)
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
	ids := newIDs(20)
	require.NoError(t, stack.StopMinIO())
	replies := map[int64]string{}
	for _, id := range ids {
		df := fakesocialdata.Datafile{Name: fmt.Sprintf("%d.bin", id), Size: 256 << 10, Seed: uint64(id)}
		job := fakesocialdata.Job{ID: id, Status: "success", Datafile: &df}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, resp, err := fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, stack.WebhookURL, stack.Fake.JobFinishedWebhook(job))
		cancel()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "%s", resp)
		replies[id] = "accepted"
	}
	<-time.After(outage) // the outage itself: MinIO stays down this long while the runs retry
	require.NoError(t, stack.StartMinIOAgain(context.Background()))
	f := verify(t, "minio-outage", len(ids), replies)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	for _, id := range ids {
		var res workflows.JobResult
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		require.NoError(t, stack.Client.GetWorkflow(ctx, workflows.JobWorkflowID(id), "").Get(ctx, &res))
		cancel()
		require.Equal(t, fakesocialdata.SHA256(uint64(id), 256<<10), res.SHA256)
	}
}
