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

	"github.com/socialhook/pipeline/contract"
)

func registerProfileActivities(env interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}) {
	env.RegisterActivityWithOptions(func(context.Context, string) (*contract.ProfileSnapshot, error) { return nil, nil },
		activity.RegisterOptions{Name: contract.LoadProfileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, contract.WriteProfileInput) error { return nil },
		activity.RegisterOptions{Name: contract.WriteProfileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, contract.StoreMonitorEventInput) (contract.StoredMonitorEvent, error) {
		return contract.StoredMonitorEvent{}, nil
	}, activity.RegisterOptions{Name: contract.StoreMonitorEventActivityName})
	env.RegisterActivityWithOptions(func(context.Context, []contract.Observation) error { return nil },
		activity.RegisterOptions{Name: contract.ObserveProfilesActivityName})
}

func observation(i int, name string) contract.Observation {
	return contract.ObservationFor(fmt.Sprintf("wf-%d", i), "test", "7",
		json.RawMessage(fmt.Sprintf(`{"id_str":"7","name":%q}`, name)), time.Unix(int64(1000+i), 0), nil)
}

// Observations signalled out of order are written as one exact history; the stored snapshot seeds a new entity.
func TestProfileEntityWorkflow(t *testing.T) {
	env := newEnv(t)
	registerProfileActivities(env)
	stored := &contract.ProfileSnapshot{UserID: "7", ObservedAt: time.Unix(1000, 0).UTC(), ObservationID: "stored",
		User: json.RawMessage(`{"id_str":"7","name":"S"}`)}
	env.OnActivity(a.LoadProfile, mock.Anything, "7").Return(stored, nil).Once()
	var writes []contract.WriteProfileInput
	env.OnActivity(a.WriteProfile, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.WriteProfileInput) error { writes = append(writes, in); return nil })

	// Arrival order 3, 1, 2 (observed-at order 1, 2, 3), then a repeat of 2 and one older than the snapshot.
	for i, o := range []contract.Observation{observation(3, "C"), observation(1, "A"), observation(2, "B"), observation(2, "B"), observation(0, "old")} {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.ObserveSignal, o) }, time.Duration(i+1)*time.Second)
	}
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(contract.ProfileStatusQuery)
		require.NoError(t, err)
		var st contract.ProfileStatus
		require.NoError(t, v.Get(&st))
		require.Equal(t, 3, st.Applied)
		require.Equal(t, 2, st.Ignored)
		env.CancelWorkflow()
	}, 10*time.Second)
	env.ExecuteWorkflow(contract.ProfileEntityWorkflowName, contract.ProfileEntityInput{UserID: "7", TrackedFields: testTracked, Revision: contract.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError(), "cancelled")

	// Replay the writes onto a key space and compare with the expected history S→A→B→C.
	history := map[string]map[string]contract.Change{}
	for _, w := range writes {
		for _, e := range w.Upserts {
			history[e.ObservationID] = e.Changes
		}
		for _, e := range w.Deletes {
			delete(history, e.ObservationID)
		}
	}
	ch := func(o, n string) map[string]contract.Change {
		return map[string]contract.Change{"name": {Old: json.RawMessage(`"` + o + `"`), New: json.RawMessage(`"` + n + `"`)}}
	}
	require.Equal(t, map[string]map[string]contract.Change{
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
	env.OnActivity(a.LoadProfile, mock.Anything, "7").Return(nil, nil).Once()
	env.OnActivity(a.WriteProfile, mock.Anything, mock.Anything).Return(nil)
	const n = 500
	env.RegisterDelayedCallback(func() {
		for i := range n + 3 {
			env.SignalWorkflow(contract.ObserveSignal, observation(i+1, fmt.Sprintf("n%d", i/10)))
		}
	}, time.Second)
	env.ExecuteWorkflow(contract.ProfileEntityWorkflowName, contract.ProfileEntityInput{UserID: "7", TrackedFields: testTracked, Revision: contract.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	require.Equal(t, contract.ProfileEntityWorkflowName, can.WorkflowType.Name)
}

func TestMonitorEventWorkflow(t *testing.T) {
	env := newEnv(t)
	registerProfileActivities(env)
	in := contract.MonitorEventInput{EventType: "new_tweet", MonitorID: "m", UserID: "7", TweetID: "9",
		Raw:      contract.RawEvent{Source: "socialdata", EventType: "new_tweet", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)},
		Revision: contract.CurrentRevision}
	obs := []contract.Observation{observation(1, "A")}
	env.OnActivity(a.ArchiveRaw, mock.Anything, mock.Anything).Return("raw/k.json", nil).Once()
	env.OnActivity(a.StoreMonitorEvent, mock.Anything, contract.StoreMonitorEventInput{
		WorkflowID: "default-test-workflow-id", Event: in.Raw,
	}).Return(contract.StoredMonitorEvent{TweetKeys: []string{"tweets/9.json"}, Observations: obs}, nil).Once()
	env.OnActivity(a.ObserveProfiles, mock.Anything, obs).Return(nil).Once()
	env.ExecuteWorkflow(contract.MonitorEventWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contract.MonitorEventResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, contract.MonitorEventResult{RawKey: "raw/k.json", TweetKeys: []string{"tweets/9.json"}, ObservedUsers: []string{"7"}}, res)
	env.AssertExpectations(t)
}
