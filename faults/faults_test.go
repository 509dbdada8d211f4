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
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/promise"
	"github.com/socialhook/pipeline/internal/dev/testenv"
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

// load posts one job webhook per entry of ids to url (promise.Load).
func load(url string, ids []int64, concurrency int, during func(i int)) promise.Replies {
	return promise.Load([]string{url}, ids, concurrency, during)
}

// verify checks the promise on the scenario's stack (promise.Verify).
func verify(t *testing.T, s *testenv.Stack, name string, got promise.Replies) promise.Figures {
	t.Helper()
	return promise.Verify(t, s.Target(), name, got)
}

// Temporal killed (SIGKILL) and restarted during a steady load: the ingress spools while it is down, and every
// event answered 200 is processed exactly once.
func TestTemporalRestartDuringLoad(t *testing.T) {
	s := startStack(t)
	ids := jobIDs(300)
	var stopped, restarted atomic.Bool
	got := load(s.WebhookURL, ids, 8, func(i int) {
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
	got := load(s.WebhookURL, storm, 16, nil)
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
	got := promise.Replies{}
	for _, id := range ids {
		df := fakesocialdata.Datafile{Name: fmt.Sprintf("%d.bin", id), Size: 256 << 10, Seed: uint64(id)}
		job := fakesocialdata.Job{ID: id, Status: "success", Datafile: &df}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, resp, err := fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, s.WebhookURL, s.Fake.JobFinishedWebhook(job))
		cancel()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "%s", resp)
		got[id] = []string{promise.ReplyStatus(code, resp, err)}
	}
	<-time.After(outage) // the outage itself: MinIO stays down this long while the runs retry
	require.NoError(t, s.StartMinIOAgain(context.Background()))
	f := verify(t, s, "minio-outage", got)
	require.Zero(t, f.Refused)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	for _, id := range ids {
		var res contract.JobResult
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		require.NoError(t, s.Client.GetWorkflow(ctx, contract.JobWorkflowID(id), "").Get(ctx, &res))
		cancel()
		require.Equal(t, fakesocialdata.SHA256(uint64(id), 256<<10), res.SHA256)
	}
}
