package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/socialhook/pipeline/internal/metrics"
)

// TestSDKMetricsReachPrometheus checks the bridge: what the Temporal SDK records through the handler is served
// in the Prometheus text format under its Prometheus name (counters _total, timers _seconds histograms), with
// its tags as labels, next to the Go collectors.
func TestSDKMetricsReachPrometheus(t *testing.T) {
	reg := metrics.New(zaptest.NewLogger(t))
	h := reg.SDK().WithTags(map[string]string{"task_queue": "q", "namespace": "my-ns.v2"})
	h.Counter("temporal_workflow_completed").Inc(3)
	h.Timer("temporal_workflow_task_execution_latency").Record(20 * time.Millisecond)
	h.Gauge("temporal_num_pollers").Update(2)
	require.NoError(t, reg.Close()) // flushes the reporter

	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	for _, want := range []string{
		`temporal_workflow_completed_total{namespace="my-ns.v2",task_queue="q"} 3`,
		`temporal_workflow_task_execution_latency_seconds_bucket{namespace="my-ns.v2",task_queue="q",le="0.025"} 1`,
		`temporal_num_pollers{namespace="my-ns.v2",task_queue="q"} 2`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		require.Contains(t, string(body), want)
	}
	require.NotContains(t, string(body), "tally_internal", "tally's own cardinality metrics are noise here")
}
