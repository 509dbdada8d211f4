//go:build integration

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialhook/pipeline/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

// The shared sample, pointed at a datafile on the fake API (whose host is allowed), becomes one completed run
// whose object is byte-identical to the source.
func TestJobWebhookStoresDatafile(t *testing.T) {
	jobID := newJobID()
	df := fakesocialdata.Datafile{Name: "42.json", Size: 3<<20 + 17, Seed: uint64(jobID)}
	body := withJob(t, sample(t, "socialdata_job_finished_success.json"), jobID, stack.Fake.DatafileURL(df))

	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "accepted", reply.Status)
	require.Equal(t, contract.JobWorkflowID(jobID), reply.WorkflowID)

	var res contract.JobResult
	require.NoError(t, result(t, reply.WorkflowID, &res))
	wantSHA := fakesocialdata.SHA256(df.Seed, df.Size)
	require.Equal(t, contract.JobResult{
		JobID:       jobID,
		Status:      contract.JobStatusSuccess,
		RawKey:      storage.RawKey("socialdata", time.Now(), reply.WorkflowID),
		ManifestKey: storage.ManifestKey(jobID),
		DatafileKey: storage.DatafileKey(jobID, "42.json"),
		Size:        df.Size,
		SHA256:      wantSHA,
	}, res)
	require.Equal(t, wantSHA, objectSHA256(t, res.DatafileKey), "stored datafile must be byte-identical")
	requireBytes(t, body, res.RawKey)

	var manifest contract.JobManifest
	getJSON(t, res.ManifestKey, &manifest)
	require.Equal(t, contract.JobStatusSuccess, manifest.Status)
	require.NotNil(t, manifest.Datafile)
	require.Equal(t, wantSHA, manifest.Datafile.SHA256)
	require.Equal(t, df.Size, manifest.Datafile.Size)
	require.Equal(t, "application/octet-stream", manifest.Datafile.ContentType)
	require.Equal(t, stack.FakeURL+"/datafiles/42.json", manifest.Datafile.SourceURL, "query secrets are stripped")
	require.False(t, manifest.Datafile.FetchedAt.IsZero())

	// The run is findable by its search attributes, as in the UI or `temporal workflow list --query`.
	query := fmt.Sprintf(`EventType = "job_finished" AND JobId = "%d" AND Source = "socialdata"`, jobID)
	// Visibility is eventually consistent: wait for the indexing to catch up.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, query, 1) },
		10*time.Second, 100*time.Millisecond, "query %s", query)
}

// Ten concurrent deliveries of one webhook: all answered 200, one accepted, one run, one datafile.
func TestConcurrentDuplicatesStartOneWorkflow(t *testing.T) {
	jobID := newJobID()
	df := fakesocialdata.Datafile{Name: "dup.json", Size: 64 << 10, Seed: uint64(jobID)}
	body := withJob(t, sample(t, "socialdata_job_finished_success.json"), jobID, stack.Fake.DatafileURL(df))

	const n = 10
	replies := make([]ingress.Answer, n)
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i], replies[i], errs[i] = tryPost(stack.WebhookURL, body) })
	}
	wg.Wait()
	accepted := 0
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusOK, codes[i])
		require.Equal(t, contract.JobWorkflowID(jobID), replies[i].WorkflowID)
		require.Contains(t, []string{"accepted", "duplicate"}, replies[i].Status)
		if replies[i].Status == "accepted" {
			accepted++
		}
	}
	require.Equal(t, 1, accepted)

	var res contract.JobResult
	require.NoError(t, result(t, contract.JobWorkflowID(jobID), &res))
	// Visibility is eventually consistent: wait for the closed run to be indexed, then require exactly one.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assertIndexed(c, contract.JobWorkflowID(jobID)) },
		10*time.Second, 100*time.Millisecond)
	require.EqualValues(t, 1, countRuns(t, contract.JobWorkflowID(jobID)))
	keys, err := stack.Store.List(context.Background(), storage.DatafilePrefix(jobID))
	require.NoError(t, err)
	require.Equal(t, []string{storage.DatafileKey(jobID, "dup.json"), storage.ManifestKey(jobID)}, keys)
	require.Equal(t, 1, stack.Fake.Requests("/datafiles/dup.json"), "the datafile is downloaded once")

	// A delivery after the run completed is still a duplicate (AllowDuplicateFailedOnly within retention).
	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
}

// A datafile server that fails twice then succeeds: the activity's retry policy carries the run to completion.
func TestDatafileTransientFailuresRetried(t *testing.T) {
	jobID := newJobID()
	df := fakesocialdata.Datafile{Name: "flaky-" + strconv.FormatInt(jobID, 10) + ".json", Size: 100 << 10, Seed: 7, FailTimes: 2}
	body := withJob(t, sample(t, "socialdata_job_finished_success.json"), jobID, stack.Fake.DatafileURL(df))

	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	var res contract.JobResult
	require.NoError(t, result(t, reply.WorkflowID, &res))
	require.Equal(t, contract.JobStatusSuccess, res.Status)
	require.Equal(t, fakesocialdata.SHA256(df.Seed, df.Size), objectSHA256(t, res.DatafileKey))
	require.Equal(t, 3, stack.Fake.Requests("/datafiles/"+df.Name), "two failures, then one success")
}

// A datafile URL on a host outside DATAFILE_ALLOWED_HOSTS: no request is made, the run fails non-retryably with
// the reason, and the manifest records it.
func TestDisallowedHostMakesNoRequest(t *testing.T) {
	other := fakesocialdata.New("")
	srv := newServer(t, other)
	jobID := newJobID()
	url := srv + "/datafiles/secret.json?size=10&seed=1"
	body := withJob(t, sample(t, "socialdata_job_finished_success.json"), jobID, url)

	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	err := result(t, reply.WorkflowID, nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.Equal(t, contract.ErrTypeHostNotAllowed, appErr.Type())
	require.Contains(t, appErr.Error(), "not in DATAFILE_ALLOWED_HOSTS")
	require.Equal(t, 0, other.Requests("/datafiles/secret.json"), "no request may reach a disallowed host")

	var manifest contract.JobManifest
	getJSON(t, storage.ManifestKey(jobID), &manifest)
	require.Equal(t, contract.ManifestFetchFailed, manifest.Status)
	require.Contains(t, manifest.ErrorMessage, "not in DATAFILE_ALLOWED_HOSTS")
	require.Nil(t, manifest.Datafile)
}

// A job that failed upstream is recorded with the provider's message and the run completes.
func TestJobErrorRecorded(t *testing.T) {
	jobID := newJobID()
	body := withJob(t, sample(t, "socialdata_job_finished_error.json"), jobID, "")
	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	var res contract.JobResult
	require.NoError(t, result(t, reply.WorkflowID, &res))
	require.Equal(t, contract.JobStatusError, res.Status)
	require.Equal(t, "Insufficient balance", res.ErrorMessage)
	var manifest contract.JobManifest
	getJSON(t, storage.ManifestKey(jobID), &manifest)
	require.Equal(t, contract.JobStatusError, manifest.Status)
	require.Equal(t, "Insufficient balance", manifest.ErrorMessage)
}

// An expired pre-signed URL (403) is replaced by a fresh one from GET /jobs/{id}.
func TestExpiredDatafileURLRefreshed(t *testing.T) {
	jobID := newJobID()
	name := "fresh-" + strconv.FormatInt(jobID, 10) + ".json"
	fresh := fakesocialdata.Datafile{Name: name, Size: 2048, Seed: 9}
	stack.Fake.PutJob(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &fresh})
	expired := fresh
	expired.ExpiresAt = time.Now().Add(-time.Minute)
	body := withJob(t, sample(t, "socialdata_job_finished_success.json"), jobID, stack.Fake.DatafileURL(expired))

	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	var res contract.JobResult
	require.NoError(t, result(t, reply.WorkflowID, &res))
	require.Equal(t, fakesocialdata.SHA256(fresh.Seed, fresh.Size), res.SHA256)
	require.Equal(t, 1, stack.Fake.Requests("/jobs/"+strconv.FormatInt(jobID, 10)))
	require.Equal(t, 2, stack.Fake.Requests("/datafiles/"+name), "one 403, one fresh download")
}

// Requests the ingress must refuse start nothing.
func TestRejectedWebhooksStartNothing(t *testing.T) {
	jobID := newJobID()
	valid := withJob(t, sample(t, "socialdata_job_finished_error.json"), jobID, "")
	tests := []struct {
		name      string
		url       string
		body      []byte
		wantCode  int
		wantError string
	}{
		{"wrong token", stack.Ingress.URL + "/webhooks/socialdata/wrong-token-0123456789", valid, http.StatusUnauthorized, "unauthorized"},
		{"empty token", stack.Ingress.URL + "/webhooks/socialdata/%20", valid, http.StatusUnauthorized, "unauthorized"},
		{"malformed JSON", stack.WebhookURL, []byte(`{"event":"job_finished","data":{"job_id":` + strconv.FormatInt(jobID, 10)), http.StatusBadRequest, "invalid webhook"},
		{"missing job_id", stack.WebhookURL, []byte(`{"event":"job_finished","data":{"status":"error"}}`), http.StatusBadRequest, "data.job_id"},
		{"non-terminal status", stack.WebhookURL, []byte(`{"event":"job_finished","data":{"job_id":` + strconv.FormatInt(jobID, 10) + `,"status":"pending"}}`), http.StatusBadRequest, "data.status"},
		{"success without url", stack.WebhookURL, []byte(`{"event":"job_finished","data":{"job_id":` + strconv.FormatInt(jobID, 10) + `,"status":"success"}}`), http.StatusBadRequest, "datafile_url"},
		{"empty body", stack.WebhookURL, nil, http.StatusBadRequest, "empty body"},
		{"oversize body", stack.WebhookURL, []byte(`{"event":"x","pad":"` + strings.Repeat("a", int(stack.Config.MaxBodyBytes)) + `"}`), http.StatusRequestEntityTooLarge, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reply := post(t, tt.url, tt.body)
			require.Equal(t, tt.wantCode, code)
			require.Contains(t, reply.Error, tt.wantError)
			require.Empty(t, reply.WorkflowID)
		})
	}
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, status(t, contract.JobWorkflowID(jobID)),
		"no refused request may start the job's workflow")
}

// An event type the pipeline does not process yet is archived, answered 200, and archived once per body.
func TestUnknownEventArchived(t *testing.T) {
	body := []byte(`{"event":"brand_new_event","data":{"n":` + strconv.FormatInt(newJobID(), 10) + `}}`)
	code, reply := post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "accepted", reply.Status)
	require.True(t, strings.HasPrefix(reply.WorkflowID, "socialdata-unhandled-"))
	var key string
	require.NoError(t, result(t, reply.WorkflowID, &key))
	requireBytes(t, body, key)

	code, reply = post(t, stack.WebhookURL, body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
}

func TestHealthEndpoints(t *testing.T) {
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(stack.Ingress.URL + path)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}
