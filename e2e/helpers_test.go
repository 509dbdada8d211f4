//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socialhook/pipeline/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
)

// nextJobID hands every test fresh job ids so tests sharing the stack never collide.
var nextJobID atomic.Int64

func init() { nextJobID.Store(time.Now().Unix() % 1_000_000 * 1000) }

func newJobID() int64 { return nextJobID.Add(1) }

// post sends body to url and decodes the JSON reply.
func post(t *testing.T, url string, body []byte) (int, ingress.Answer) {
	t.Helper()
	status, reply, err := tryPost(url, body)
	require.NoError(t, err)
	return status, reply
}

// tryPost is post for other goroutines than the test's: it returns what went wrong instead of failing.
func tryPost(url string, body []byte) (int, ingress.Answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, respBody, err := fakesocialdata.PostWebhook(ctx, testenv.HTTPClient, url, body)
	if err != nil {
		return 0, ingress.Answer{}, err
	}
	var reply ingress.Answer
	if err := json.Unmarshal(respBody, &reply); err != nil {
		return status, reply, fmt.Errorf("reply %q: %w", respBody, err)
	}
	return status, reply, nil
}

// result waits for workflowID's run and decodes its result into v; it returns the run's error.
func result(t *testing.T, workflowID string, v any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return stack.Client.GetWorkflow(ctx, workflowID, "").Get(ctx, v)
}

// countRuns returns the number of executions (open or closed) with workflowID, from visibility.
func countRuns(t *testing.T, workflowID string) int64 {
	t.Helper()
	return countQuery(t, testenv.RunsQuery(workflowID))
}

// countQuery returns the number of executions matching a visibility query.
func countQuery(t *testing.T, query string) int64 {
	t.Helper()
	n, err := stack.Count(context.Background(), query)
	require.NoError(t, err)
	return n
}

// assertIndexed asserts, in one try of a require.EventuallyWithT poll, that visibility has indexed at least one
// execution (open or closed) with workflowID. A visibility error fails the try, not the test.
func assertIndexed(c *assert.CollectT, workflowID string) {
	n, err := stack.Count(context.Background(), testenv.RunsQuery(workflowID))
	if assert.NoError(c, err, "count runs of %s", workflowID) {
		assert.GreaterOrEqual(c, n, int64(1), "runs of %s indexed", workflowID)
	}
}

// assertCount asserts, in one try of a require.EventuallyWithT poll, that want executions match a visibility
// query. A visibility error fails the try, not the test.
func assertCount(c *assert.CollectT, query string, want int64) {
	n, err := stack.Count(context.Background(), query)
	if assert.NoError(c, err, "count %s", query) {
		assert.Equal(c, want, n, "executions matching %s", query)
	}
}

// status returns workflowID's execution status, or UNSPECIFIED when there is no such workflow.
func status(t *testing.T, workflowID string) enums.WorkflowExecutionStatus {
	t.Helper()
	desc, err := stack.Client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	if err != nil {
		return enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
	}
	return desc.GetWorkflowExecutionInfo().GetStatus()
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile("../testdata/samples/" + name)
	require.NoError(t, err)
	return body
}

// withJob rewrites a job_finished sample to job id and datafile URL.
func withJob(t *testing.T, body []byte, jobID int64, datafileURL string) []byte {
	t.Helper()
	var hook map[string]any
	require.NoError(t, json.Unmarshal(body, &hook))
	data := hook["data"].(map[string]any)
	data["job_id"] = jobID
	if datafileURL != "" {
		data["result"] = map[string]any{"datafile_url": datafileURL}
	}
	out, err := json.Marshal(hook)
	require.NoError(t, err)
	return out
}

func objectSHA256(t *testing.T, key string) string {
	t.Helper()
	data, err := stack.Store.Get(context.Background(), key)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func getJSON(t *testing.T, key string, v any) {
	t.Helper()
	require.NoError(t, stack.Store.GetJSON(context.Background(), key, v))
}

func requireBytes(t *testing.T, want []byte, key string) {
	t.Helper()
	got, err := stack.Store.Get(context.Background(), key)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "object %s differs from what was sent", key)
}

// newServer serves h on a loopback port for the test's duration and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
