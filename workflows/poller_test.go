package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/workflows"
)

func registerPollerActivities(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(context.Context, int) (workflows.MonitorList, error) { return workflows.MonitorList{}, nil },
		activity.RegisterOptions{Name: workflows.ListMonitorsActivityName})
	env.RegisterActivityWithOptions(func(context.Context, workflows.PollMonitorInput) (workflows.PollMonitorResult, error) {
		return workflows.PollMonitorResult{}, nil
	}, activity.RegisterOptions{Name: workflows.PollMonitorActivityName})
}

func monitors(n int) []workflows.MonitorRef {
	var out []workflows.MonitorRef
	for i := range n {
		out = append(out, workflows.MonitorRef{ID: fmt.Sprintf("m%d", i), Type: "user_tweets", UserID: fmt.Sprintf("%d", 100+i)})
	}
	return out
}

// A scheduled run takes its window from TemporalScheduledStartTime, polls every monitor (never more than
// Concurrency at once), and sums the outcomes.
func TestPollerWorkflowWindowAndConcurrency(t *testing.T) {
	env := newEnv(t)
	registerPollerActivities(env)
	nominal := time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)
	require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime").ValueSet(nominal))))
	env.OnActivity(workflows.ListMonitorsActivityName, mock.Anything, 1).Return(workflows.MonitorList{Monitors: monitors(7), LastPage: 1}, nil).Once()
	var mu sync.Mutex
	inFlight, peak := 0, 0
	var windows []workflows.PollMonitorInput
	env.OnActivity(workflows.PollMonitorActivityName, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.PollMonitorInput) (workflows.PollMonitorResult, error) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			windows = append(windows, in)
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			return workflows.PollMonitorResult{Started: 2, Duplicates: 1}, nil
		}).Times(7)
	env.ExecuteWorkflow(workflows.PollerWorkflowName, workflows.PollerInput{Interval: time.Hour, Overlap: time.Minute, Concurrency: 3})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var stats workflows.PollStats
	require.NoError(t, env.GetWorkflowResult(&stats))
	require.Equal(t, workflows.PollStats{From: nominal.Add(-61 * time.Minute), To: nominal, Monitors: 7, Started: 14, Duplicates: 7}, stats)
	require.LessOrEqual(t, peak, 3)
	for _, w := range windows {
		require.Equal(t, nominal, w.To)
		require.Equal(t, nominal.Add(-61*time.Minute), w.From)
	}
}

// Monitors are read a page per run: the next page continues as new with the same window.
func TestPollerWorkflowContinuesPerPage(t *testing.T) {
	env := newEnv(t)
	registerPollerActivities(env)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	env.OnActivity(workflows.ListMonitorsActivityName, mock.Anything, 1).Return(workflows.MonitorList{Monitors: monitors(2), LastPage: 3}, nil).Once()
	env.OnActivity(workflows.PollMonitorActivityName, mock.Anything, mock.Anything).Return(workflows.PollMonitorResult{Started: 1}, nil).Times(1)
	env.ExecuteWorkflow(workflows.PollerWorkflowName, workflows.PollerInput{From: from, To: to, MonitorIDs: []string{"m1"}})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "got %v", env.GetWorkflowError())
	require.Equal(t, workflows.PollerWorkflowName, can.WorkflowType.Name)
	env.AssertExpectations(t)
}

// A 402 stops the poll with a non-retryable, typed reason; another monitor's failure is only counted.
func TestPollerWorkflowFailures(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantType string
		wantFail int
	}{
		{"balance exhausted stops the poll", temporal.NewNonRetryableApplicationError("SocialData balance exhausted (402)", workflows.ErrTypeBalanceExhausted, nil), workflows.ErrTypeBalanceExhausted, 0},
		{"a monitor that fails is counted", temporal.NewNonRetryableApplicationError("GET user: 404", workflows.ErrTypeAPI, nil), "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			registerPollerActivities(env)
			env.OnActivity(workflows.ListMonitorsActivityName, mock.Anything, 1).Return(workflows.MonitorList{Monitors: monitors(2), LastPage: 1}, nil)
			env.OnActivity(workflows.PollMonitorActivityName, mock.Anything, mock.MatchedBy(func(in workflows.PollMonitorInput) bool { return in.Monitor.ID == "m0" })).
				Return(workflows.PollMonitorResult{}, tt.err)
			env.OnActivity(workflows.PollMonitorActivityName, mock.Anything, mock.MatchedBy(func(in workflows.PollMonitorInput) bool { return in.Monitor.ID == "m1" })).
				Return(workflows.PollMonitorResult{Started: 1}, nil)
			env.ExecuteWorkflow(workflows.PollerWorkflowName, workflows.PollerInput{Interval: time.Hour, Concurrency: 1})
			require.True(t, env.IsWorkflowCompleted())
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(env.GetWorkflowError(), &appErr))
				require.Equal(t, tt.wantType, appErr.Type())
				require.True(t, appErr.NonRetryable())
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var stats workflows.PollStats
			require.NoError(t, env.GetWorkflowResult(&stats))
			require.Equal(t, tt.wantFail, stats.Failed)
			require.Equal(t, 1, stats.Started)
		})
	}
}

func TestPollerWorkflowNeedsAWindow(t *testing.T) {
	env := newEnv(t)
	registerPollerActivities(env)
	env.ExecuteWorkflow(workflows.PollerWorkflowName, workflows.PollerInput{})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	require.Equal(t, workflows.ErrTypeInvalidInput, appErr.Type())
}
