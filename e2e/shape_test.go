//go:build integration

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/socialhook/pipeline/contract"
)

// TestEventRunIsOneWorkflowTask pins the shape that makes the pipeline fast (BENCHMARKS.md): an event started
// through the ingress runs at the current revision, so its storage steps are local activities (markers) and
// the whole run is one workflow task — no activity tasks. A start that lost its revision, or a step moved back
// to a regular activity, shows up here as ActivityTaskScheduled events.
func TestEventRunIsOneWorkflowTask(t *testing.T) {
	jobID := newJobID()
	tweetID := fmt.Sprint(newJobID())
	tests := []struct {
		name       string
		body       []byte
		workflowID string
		markers    int
	}{
		{
			name:       "job_finished with status error: archive and manifest",
			body:       []byte(fmt.Sprintf(`{"event":"job_finished","data":{"job_id":%d,"status":"error","message":"m"}}`, jobID)),
			workflowID: contract.JobWorkflowID(jobID),
			markers:    2,
		},
		{
			name: "new_tweet: archive, store, hand-off to the profile entity",
			body: []byte(fmt.Sprintf(`{"event":"new_tweet","data":{"id_str":%q,"full_text":"t","created_at":"Wed Nov 18 10:00:00 +0000 2026",`+
				`"user":{"id_str":"777001","screen_name":"shape","name":"Shape"}},`+
				`"meta":{"monitor_id":"shapemon","monitor_type":"user_tweets","monitored_id_str":"777001"}}`, tweetID)),
			workflowID: contract.TweetWorkflowID("shapemon", tweetID),
			markers:    3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, reply := post(t, stack.WebhookURL, tt.body)
			require.Equal(t, 200, status)
			require.Equal(t, "accepted", reply.Status)
			require.NoError(t, result(t, tt.workflowID, nil))

			want := []enums.EventType{
				enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
				enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
				enums.EVENT_TYPE_WORKFLOW_TASK_STARTED,
				enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
			}
			for range tt.markers {
				want = append(want, enums.EVENT_TYPE_MARKER_RECORDED)
			}
			want = append(want, enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
			require.Equal(t, want, historyTypes(t, tt.workflowID))
		})
	}
}

// historyTypes returns the event types of workflowID's history.
func historyTypes(t *testing.T, workflowID string) []enums.EventType {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var types []enums.EventType
	it := stack.Client.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		types = append(types, e.GetEventType())
	}
	return types
}
