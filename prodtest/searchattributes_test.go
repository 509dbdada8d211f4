//go:build prod

package prodtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/prodstack"
)

// workerOnFreshNamespace registers a namespace named prefix-<unique> with retention and makes (does not start)
// a worker of its own on it, its task queue named after it, with env on top; the worker stops when the test
// ends.
func workerOnFreshNamespace(t *testing.T, prefix string, retention time.Duration, env map[string]string) (string, *prodstack.Pipeline) {
	t.Helper()
	ns := prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	require.NoError(t, tier.Temporal.EnsureNamespaceRetention(t.Context(), ns, retention))
	own := map[string]string{"TEMPORAL_NAMESPACE": ns, "TASK_QUEUE": ns}
	for k, v := range env {
		own[k] = v
	}
	w, err := tier.NewWorker("worker-"+ns, own)
	require.NoError(t, err)
	t.Cleanup(func() {
		if w.Running() {
			_ = w.Stop()
		}
	})
	return ns, w
}

// A worker on a namespace that has none of the pipeline's search attributes registers them and reports ready
// only once a start that sets them is accepted: on a real server they are unusable for about 2 s after they
// are added, so a start made the moment the worker is ready fails unless the worker waited.
func TestSearchAttributesUsableWhenWorkerReady(t *testing.T) {
	ns, w := workerOnFreshNamespace(t, "sa-ready", 168*time.Hour, map[string]string{"POLL_INTERVAL": "0"})
	require.NoError(t, w.Start(t.Context()))

	c, err := tier.Temporal.Dial(t.Context(), ns)
	require.NoError(t, err)
	defer c.Close()
	var attrs []temporal.SearchAttributeUpdate
	for _, k := range contract.SearchAttributeKeys() {
		attrs = append(attrs, k.(temporal.SearchAttributeKeyKeyword).ValueSet("ready-check"))
	}
	run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: "sa-ready-check", TaskQueue: ns + "-nobody", TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	}, "SearchAttributeReadyCheck")
	require.NoError(t, err, "a start right after the worker is ready sets every search attribute")
	require.NoError(t, c.TerminateWorkflow(context.WithoutCancel(t.Context()), run.GetID(), run.GetRunID(), "test done"))
}

// With REGISTER_SEARCH_ATTRIBUTES=false, a worker on a namespace without the attributes does not add them: it
// stops, naming them and the operator command.
func TestSearchAttributesNotRegisteredWhenOff(t *testing.T) {
	ns, w := workerOnFreshNamespace(t, "sa-off", 168*time.Hour,
		map[string]string{"POLL_INTERVAL": "0", "REGISTER_SEARCH_ATTRIBUTES": "false"})
	require.Error(t, w.Start(t.Context()), "the worker must not become ready")
	log, err := os.ReadFile(filepath.Join(tier.Dir, "logs", w.Name+".log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "temporal operator search-attribute create --namespace "+ns)
	resp, err := tier.Client.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	require.NoError(t, err)
	for _, k := range contract.SearchAttributeKeys() {
		require.NotContains(t, resp.GetCustomAttributes(), k.GetName(), "nothing registered")
	}
}

// The poller schedule a worker creates catches up the namespace's retention after an outage (the dedupe
// window), whatever that retention is: here 72h, not the documented 7 days.
func TestPollerScheduleCatchesUpRetention(t *testing.T) {
	ns, w := workerOnFreshNamespace(t, "catchup", 72*time.Hour, map[string]string{"POLL_INTERVAL": "1h"})
	require.NoError(t, w.Start(t.Context()))
	c, err := tier.Temporal.Dial(t.Context(), ns)
	require.NoError(t, err)
	defer c.Close()
	desc, err := c.ScheduleClient().GetHandle(t.Context(), contract.PollerScheduleID).Describe(t.Context())
	require.NoError(t, err)
	require.Equal(t, 72*time.Hour, desc.Schedule.Policy.CatchupWindow)
}
