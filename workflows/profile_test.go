package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/workflows"
)

func registerProfileActivities(env interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}) {
	env.RegisterActivityWithOptions(func(context.Context, string) (*workflows.ProfileSnapshot, error) { return nil, nil },
		activity.RegisterOptions{Name: workflows.LoadProfileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, workflows.WriteProfileInput) error { return nil },
		activity.RegisterOptions{Name: workflows.WriteProfileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, workflows.StoreMonitorEventInput) (workflows.StoredMonitorEvent, error) {
		return workflows.StoredMonitorEvent{}, nil
	}, activity.RegisterOptions{Name: workflows.StoreMonitorEventActivityName})
	env.RegisterActivityWithOptions(func(context.Context, []workflows.Observation) error { return nil },
		activity.RegisterOptions{Name: workflows.ObserveProfilesActivityName})
}

func observation(i int, name string) workflows.Observation {
	return workflows.ObservationFor(fmt.Sprintf("wf-%d", i), "test", "7",
		json.RawMessage(fmt.Sprintf(`{"id_str":"7","name":%q}`, name)), time.Unix(int64(1000+i), 0), nil)
}

// Observations signalled out of order are written as one exact history; the stored snapshot seeds a new entity.
func TestProfileEntityWorkflow(t *testing.T) {
	env := newEnv(t)
	registerProfileActivities(env)
	stored := &workflows.ProfileSnapshot{UserID: "7", ObservedAt: time.Unix(1000, 0).UTC(), ObservationID: "stored",
		User: json.RawMessage(`{"id_str":"7","name":"S"}`)}
	env.OnActivity(workflows.LoadProfileActivityName, mock.Anything, "7").Return(stored, nil).Once()
	var writes []workflows.WriteProfileInput
	env.OnActivity(workflows.WriteProfileActivityName, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.WriteProfileInput) error { writes = append(writes, in); return nil })

	// Arrival order 3, 1, 2 (observed-at order 1, 2, 3), then a repeat of 2 and one older than the snapshot.
	for i, o := range []workflows.Observation{observation(3, "C"), observation(1, "A"), observation(2, "B"), observation(2, "B"), observation(0, "old")} {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.ObserveSignal, o) }, time.Duration(i+1)*time.Second)
	}
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.ProfileStatusQuery)
		require.NoError(t, err)
		var st workflows.ProfileStatus
		require.NoError(t, v.Get(&st))
		require.Equal(t, 3, st.Applied)
		require.Equal(t, 2, st.Ignored)
		env.CancelWorkflow()
	}, 10*time.Second)
	env.ExecuteWorkflow(workflows.ProfileEntityWorkflowName, workflows.ProfileEntityInput{UserID: "7", TrackedFields: workflows.DefaultTrackedFields, Revision: workflows.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError(), "cancelled")

	// Replay the writes onto a key space and compare with the expected history S→A→B→C.
	history := map[string]map[string]workflows.Change{}
	for _, w := range writes {
		for _, e := range w.Upserts {
			history[e.ObservationID] = e.Changes
		}
		for _, e := range w.Deletes {
			delete(history, e.ObservationID)
		}
	}
	ch := func(o, n string) map[string]workflows.Change {
		return map[string]workflows.Change{"name": {Old: json.RawMessage(`"` + o + `"`), New: json.RawMessage(`"` + n + `"`)}}
	}
	require.Equal(t, map[string]map[string]workflows.Change{
		"wf-1/7": ch("S", "A"), "wf-2/7": ch("A", "B"), "wf-3/7": ch("B", "C"),
	}, history)
	require.Equal(t, "wf-3/7", writes[0].Snapshot.ObservationID, "the first (newest) observation sets the snapshot")
	for _, w := range writes[1:] {
		require.Nil(t, w.Snapshot, "older observations never replace the snapshot")
	}
}

// After signalsPerRun observations the entity continues as new, carrying its state.
func TestProfileEntityContinuesAsNew(t *testing.T) {
	env := newEnv(t)
	registerProfileActivities(env)
	env.OnActivity(workflows.LoadProfileActivityName, mock.Anything, "7").Return(nil, nil).Once()
	env.OnActivity(workflows.WriteProfileActivityName, mock.Anything, mock.Anything).Return(nil)
	const n = 500
	env.RegisterDelayedCallback(func() {
		for i := range n + 3 {
			env.SignalWorkflow(workflows.ObserveSignal, observation(i+1, fmt.Sprintf("n%d", i/10)))
		}
	}, time.Second)
	env.ExecuteWorkflow(workflows.ProfileEntityWorkflowName, workflows.ProfileEntityInput{UserID: "7", TrackedFields: workflows.DefaultTrackedFields, Revision: workflows.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	require.Equal(t, workflows.ProfileEntityWorkflowName, can.WorkflowType.Name)
}

func TestMonitorEventWorkflow(t *testing.T) {
	env := newEnv(t)
	registerProfileActivities(env)
	in := workflows.MonitorEventInput{EventType: "new_tweet", MonitorID: "m", UserID: "7", TweetID: "9",
		Raw:      workflows.RawEvent{Source: "socialdata", EventType: "new_tweet", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)},
		Revision: workflows.CurrentRevision}
	obs := []workflows.Observation{observation(1, "A")}
	env.OnActivity(workflows.ArchiveRawActivityName, mock.Anything, mock.Anything).Return("raw/k.json", nil).Once()
	env.OnActivity(workflows.StoreMonitorEventActivityName, mock.Anything, workflows.StoreMonitorEventInput{
		WorkflowID: "default-test-workflow-id", Event: in.Raw,
	}).Return(workflows.StoredMonitorEvent{TweetKeys: []string{"tweets/9.json"}, Observations: obs}, nil).Once()
	env.OnActivity(workflows.ObserveProfilesActivityName, mock.Anything, obs).Return(nil).Once()
	env.ExecuteWorkflow(workflows.MonitorEventWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.MonitorEventResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, workflows.MonitorEventResult{RawKey: "raw/k.json", TweetKeys: []string{"tweets/9.json"}, ObservedUsers: []string{"7"}}, res)
	env.AssertExpectations(t)
}
