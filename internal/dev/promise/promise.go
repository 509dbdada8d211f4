// Package promise owns the check of the pipeline's promise under faults, for the fault scenarios (faults/) and
// the production-topology tier (prodtest/): every webhook answered 200 is processed exactly once. It sends
// job webhooks while something fails, keeps every answer, and then counts, on the real Temporal and MinIO,
// the events answered 200 that have no manifest (lost) and those with more than one run (duplicated).
package promise

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

// Target is the pipeline under test: its Temporal namespace, its bucket, and how many webhooks its ingresses
// still hold in their spools.
type Target struct {
	Client client.Client
	Store  *storage.Store
	// SpoolDepth is the number of webhooks spooled and not started yet, over every ingress.
	SpoolDepth func(ctx context.Context) (int, error)
}

// Replies are the answers the requests of a scenario got, per event: "accepted", "duplicate" or "spooled" for
// a 200, "" for a request that failed or was not answered 200.
type Replies map[int64][]string

// ReplyStatus is the status of one webhook's answer ("" unless it was a 200 with a status).
func ReplyStatus(code int, body []byte, err error) string {
	if err != nil || code != http.StatusOK {
		return ""
	}
	var r struct{ Status string }
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return r.Status
}

// HTTPClient sends the load.
var HTTPClient = &http.Client{Timeout: 30 * time.Second}

// JobWebhook is the job_finished webhook of id with status error: its run archives it and writes the manifest,
// no datafile.
func JobWebhook(id int64) []byte {
	body, _ := json.Marshal(map[string]any{"event": "job_finished", "data": map[string]any{"job_id": id, "status": "error", "message": "m"}})
	return body
}

// Load posts JobWebhook(id) for every entry of ids (an id may repeat), concurrency at a time, calling
// during(i) before the i-th, and returns every answer. Request i goes to urls[i%len(urls)]; if no answer comes
// back at all (the ingress is down), it goes to the next URL, as a load balancer does with a dead backend. An
// answer that is not 200 is not retried: it counts as refused.
func Load(urls []string, ids []int64, concurrency int, during func(i int)) Replies {
	var mu sync.Mutex
	got := Replies{}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		if during != nil {
			during(i)
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status := ""
			for try := range urls {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				code, body, err := fakesocialdata.PostWebhook(ctx, HTTPClient, urls[(i+try)%len(urls)], JobWebhook(id))
				cancel()
				status = ReplyStatus(code, body, err)
				if err == nil {
					break
				}
			}
			mu.Lock()
			got[id] = append(got[id], status)
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// Figures are a scenario's counts: Sent and the answers per request, Lost and Duplicated per event.
type Figures struct {
	Sent, Accepted, Spooled, Duplicate, Refused, Lost, Duplicated int
}

// Verify waits until every event answered 200 at least once has its manifest (the run's last write), the spools
// are empty and every event's run is closed, then counts lost events (answered 200, no manifest) and duplicated
// ones (more than one run, see DuplicatedRuns), and prints the figures as a FIGURES line. The caller asserts on
// them, so the figures are printed even when the promise was broken.
func Verify(t *testing.T, target Target, name string, got Replies) Figures {
	t.Helper()
	var f Figures
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
		missing, err := missingManifests(t.Context(), target.Store, answered)
		if !assert.NoError(c, err) {
			return
		}
		assert.Empty(c, missing, "events answered 200 without a manifest yet")
		depth, err := target.SpoolDepth(t.Context())
		if assert.NoError(c, err) {
			assert.Zero(c, depth, "spooled events not started yet")
		}
	}, 3*time.Minute, 250*time.Millisecond)
	missing, err := missingManifests(t.Context(), target.Store, answered)
	require.NoError(t, err)
	f.Lost = len(missing)
	var processed []string
	for _, id := range answered {
		if !slices.Contains(missing, id) {
			processed = append(processed, contract.JobWorkflowID(id))
		}
	}
	f.Duplicated = DuplicatedRuns(t, target.Client, processed)
	t.Logf("%s: sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d (lost: %v)", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated, missing)
	fmt.Printf("FIGURES %s sent=%d accepted=%d spooled=%d duplicate=%d refused=%d lost=%d duplicated=%d\n", name,
		f.Sent, f.Accepted, f.Spooled, f.Duplicate, f.Refused, f.Lost, f.Duplicated)
	return f
}

// missingManifests returns the jobs of ids whose manifest is not in the bucket.
func missingManifests(ctx context.Context, store *storage.Store, ids []int64) ([]int64, error) {
	keys, err := store.List(ctx, "datafiles/") // every job's objects: storage.DatafilePrefix
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

// DuplicatedRuns returns how many of workflowIDs have more than one run, once each one's runs are all closed and
// indexed, and asserts that every current run completed.
//
// Visibility is eventually consistent, so a count there proves nothing until it has caught up with the run that
// matters. A second run of an ID always starts after the first, so it is the ID's current run, which
// DescribeWorkflowExecution reads from persistence (strongly consistent). So: poll until, for every ID, the
// current run is closed and visibility lists that very run as closed; visibility then holds the ID's latest run
// and every earlier one, and any ID listed with more than one run is duplicated. The current runs are read again
// after the count, so a run started meanwhile would show as one more run too.
func DuplicatedRuns(t *testing.T, c client.Client, workflowIDs []string) int {
	t.Helper()
	ctx := t.Context()
	// Polled: the runs close and are indexed asynchronously. Not fatal, so that the figures are printed.
	assert.EventuallyWithT(t, func(ct *assert.CollectT) {
		current, err := currentRuns(ctx, c, workflowIDs)
		if !assert.NoError(ct, err) {
			return
		}
		listed, err := Runs(ctx, c, "")
		if !assert.NoError(ct, err) {
			return
		}
		for _, id := range workflowIDs {
			run := current[id]
			assert.NotEqual(ct, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, run.GetStatus(), "%s: current run still open", id)
			assert.True(ct, listedClosed(listed[id], run.GetExecution().GetRunId()),
				"%s: visibility does not list its current run %s as closed yet", id, run.GetExecution().GetRunId())
		}
	}, 60*time.Second, 250*time.Millisecond)
	listed, err := Runs(ctx, c, "")
	require.NoError(t, err)
	current, err := currentRuns(ctx, c, workflowIDs)
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
func currentRuns(ctx context.Context, c client.Client, workflowIDs []string) (map[string]*workflowpb.WorkflowExecutionInfo, error) {
	runs := map[string]*workflowpb.WorkflowExecutionInfo{}
	for _, id := range workflowIDs {
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
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

// Runs returns the runs, open or closed, that match a visibility query (every run when query is empty), by
// workflow ID. Visibility is eventually consistent: a run started a moment ago may be missing yet.
func Runs(ctx context.Context, c client.Client, query string) (map[string][]*workflowpb.WorkflowExecutionInfo, error) {
	runs := map[string][]*workflowpb.WorkflowExecutionInfo{}
	req := &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000}
	for {
		resp, err := c.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			id := info.GetExecution().GetWorkflowId()
			runs[id] = append(runs[id], info)
		}
		if req.NextPageToken = resp.GetNextPageToken(); len(req.NextPageToken) == 0 {
			return runs, nil
		}
	}
}
