//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/storage"
)

// requireJobStored requires the job's run result to be a success with df's bytes, the datafile and the
// manifest in MinIO, and the webhook body archived as received.
func requireJobStored(t *testing.T, jobID int64, df fakesocialdata.Datafile, webhook []byte) {
	t.Helper()
	var res contract.JobResult
	require.NoError(t, result(t, contract.JobWorkflowID(jobID), &res))
	require.Equal(t, contract.JobStatusSuccess, res.Status)
	wantSHA := fakesocialdata.SHA256(df.Seed, df.Size)
	require.Equal(t, wantSHA, res.SHA256)
	require.Equal(t, wantSHA, objectSHA256(t, storage.DatafileKey(jobID, df.Name)), "the datafile is stored")
	var manifest contract.JobManifest
	getJSON(t, storage.ManifestKey(jobID), &manifest)
	require.Equal(t, contract.JobStatusSuccess, manifest.Status)
	require.NotNil(t, manifest.Datafile)
	require.Equal(t, wantSHA, manifest.Datafile.SHA256)
	require.NotEmpty(t, res.RawKey, "the webhook is archived")
	requireBytes(t, webhook, res.RawKey)
}

// The walk-through of a registered job that the API does not know yet: POST /v1/jobs, GET /jobs/{id} answers
// 404 for a while (unknown yet, API lag), then the job_finished webhook arrives. The run waits through the
// 404s, takes the webhook, and the job is processed once: datafile, manifest and raw archive stored.
func TestRegisteredJobWaitsThrough404s(t *testing.T) {
	jobID := newJobID()
	path := "/jobs/" + strconv.FormatInt(jobID, 10)
	code, reply := registerJob(t, jobID)
	require.Equal(t, http.StatusOK, code, reply.Error)
	require.Equal(t, "accepted", reply.Status)
	wfID := contract.JobWorkflowID(jobID)

	// The fake API does not know the job: every poll is a 404. Polls run on the worker's schedule (first after
	// JOB_POLL_INTERVAL=1s, then x1.5), so wait for a few of them, the run still open.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.GreaterOrEqual(c, stack.Fake.Requests(path), 3, "polls answered 404")
	}, 60*time.Second, 200*time.Millisecond)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, status(t, wfID), "a 404 does not end the registered run")

	df := fakesocialdata.Datafile{Name: "late.json", Size: 64<<10 + 3, Seed: uint64(jobID)}
	webhook := stack.Fake.JobFinishedWebhook(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df})
	code, reply = post(t, stack.WebhookURL, webhook)
	require.Equal(t, http.StatusOK, code, reply.Error)
	require.Equal(t, "accepted", reply.Status, "the webhook is handed to the waiting run, not answered duplicate")
	requireJobStored(t, jobID, df, webhook)
	requireOnce(t, wfID)

	code, reply = post(t, stack.WebhookURL, webhook)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status, "a repeat of a processed webhook")
}

// A registered run that closed without processing its job — past its deadline (JOB_WAIT_TIMEOUT) or
// terminated by an operator — must not swallow the job's webhook: the webhook starts a new run under the same
// ID, which processes it. Only then is a repeat a duplicate.
func TestWebhookAfterRegisteredRunClosed(t *testing.T) {
	// An ingress like the stack's (same Temporal, same MinIO, same worker) whose registered runs wait 3 s.
	opts, err := ingress.OptionsFrom(stack.Config)
	require.NoError(t, err)
	opts.JobWaitTimeout = 3 * time.Second
	shortWait := newServer(t, ingress.New(opts, stack.Client, stack.Store, stack.Logger).Handler())

	tests := []struct {
		name string
		// closeRun ends the registered run without it processing anything, and returns how it ended.
		closeRun   func(t *testing.T, wfID string) error
		wantStatus enums.WorkflowExecutionStatus
	}{
		{
			name: "past its deadline",
			closeRun: func(t *testing.T, wfID string) error {
				var res contract.JobResult
				return result(t, wfID, &res)
			},
			wantStatus: enums.WORKFLOW_EXECUTION_STATUS_FAILED,
		},
		{
			name: "terminated",
			closeRun: func(t *testing.T, wfID string) error {
				require.NoError(t, stack.Client.TerminateWorkflow(context.Background(), wfID, "", "operator stopped the wait"))
				return nil
			},
			wantStatus: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobID := newJobID()
			wfID := contract.JobWorkflowID(jobID)
			code, reply := registerJobAt(t, shortWait, jobID)
			require.Equal(t, http.StatusOK, code, reply.Error)
			require.Equal(t, "accepted", reply.Status)
			runErr := tt.closeRun(t, wfID)
			if tt.wantStatus == enums.WORKFLOW_EXECUTION_STATUS_FAILED {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, runErr, &appErr)
				require.Equal(t, contract.ErrTypeJobWaitExpired, appErr.Type())
			}
			require.Equal(t, tt.wantStatus, status(t, wfID))

			df := fakesocialdata.Datafile{Name: "after.json", Size: 32<<10 + 1, Seed: uint64(jobID)}
			webhook := stack.Fake.JobFinishedWebhook(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df})
			code, reply = post(t, stack.WebhookURL, webhook)
			require.Equal(t, http.StatusOK, code, reply.Error)
			require.Equal(t, "accepted", reply.Status, "a closed, unprocessed run does not make the webhook a duplicate")
			requireJobStored(t, jobID, df, webhook)
			require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status(t, wfID))

			// Two runs of the ID: the registered one that processed nothing, and the webhook's. Visibility is
			// eventually consistent: poll until both are indexed.
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				n, err := stack.Count(context.Background(), `WorkflowId = '`+wfID+`'`)
				assert.NoError(c, err)
				assert.EqualValues(c, 2, n)
			}, 20*time.Second, 100*time.Millisecond)
			code, reply = post(t, stack.WebhookURL, webhook)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, "duplicate", reply.Status, "now a run has processed it")
		})
	}
}

// registerJobAt calls POST /v1/jobs on the ingress at baseURL.
func registerJobAt(t *testing.T, baseURL string, jobID int64) (int, ingress.Answer) {
	t.Helper()
	code, reply, err := tryRegisterJob(baseURL, jobID)
	require.NoError(t, err)
	return code, reply
}

// tryRegisterJob is registerJobAt for other goroutines than the test's: it returns what went wrong.
func tryRegisterJob(baseURL string, jobID int64) (int, ingress.Answer, error) {
	req, err := http.NewRequest(http.MethodPost, baseURL+"/v1/jobs", strings.NewReader(fmt.Sprintf(`{"job_id": %d}`, jobID)))
	if err != nil {
		return 0, ingress.Answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+testenv.APIToken)
	resp, err := testenv.HTTPClient.Do(req)
	if err != nil {
		return 0, ingress.Answer{}, err
	}
	defer resp.Body.Close()
	var r ingress.Answer
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return resp.StatusCode, r, fmt.Errorf("decode reply: %w", err)
	}
	return resp.StatusCode, r, nil
}
