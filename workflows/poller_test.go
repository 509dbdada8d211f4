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
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

func registerPollerActivities(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(context.Context, int) (contract.MonitorList, error) { return contract.MonitorList{}, nil },
		activity.RegisterOptions{Name: contract.ListMonitorsActivityName})
	env.RegisterActivityWithOptions(func(context.Context, contract.PollMonitorInput) (contract.PollMonitorResult, error) {
		return contract.PollMonitorResult{}, nil
	}, activity.RegisterOptions{Name: contract.PollMonitorActivityName})
}

func monitors(n int) []contract.MonitorRef {
	var out []contract.MonitorRef
	for i := range n {
		out = append(out, contract.MonitorRef{ID: fmt.Sprintf("m%d", i), Type: "user_tweets", UserID: fmt.Sprintf("%d", 100+i)})
	}
	return out
}

// overlapGate makes mocked polls overlap and measures how many the workflow has in flight. The test
// environment runs each activity on its own goroutine, but a mock that returns at once never overlaps the
// next, so a missing concurrency limit would go unseen. Each mock waits in enter until size mocks are running,
// or until every one of total has been called (the last batch). In flight counts from the workflow starting
// a poll (scheduled, called by pollScheduleCounter in the workflow's own goroutine) until its result is
// handed back (completed, the environment's activity-completed listener, which runs before the workflow can
// start another): both happen on the environment's loop, so the count does not depend on goroutine timing.
// (Counting inside the mocks would: testify matches calls one at a time, so even polls started together
// reach their mocks spaced out, and an unlimited poller was seen to pass about one run in three.)
type overlapGate struct {
	mu              sync.Mutex
	size, total     int
	inFlight, peak  int           // polls the workflow started and has no result for yet; the most at once
	called, running int           // mocks called; mocks not yet returned
	gaveUp          bool          // a mock's wait timed out: the rest no longer wait
	batch           chan struct{} // closed when the mocks waiting on it may return
}

func newOverlapGate(size, total int) *overlapGate {
	return &overlapGate{size: size, total: total, batch: make(chan struct{})}
}

// gateWait bounds a mock's wait, so an implementation that never has size polls running fails the test
// instead of hanging; after one timeout no mock waits, which keeps the run inside the test environment's
// 3-second default timeout.
const gateWait = 2 * time.Second

func (g *overlapGate) scheduled() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight++
	g.peak = max(g.peak, g.inFlight)
}

func (g *overlapGate) completed() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
}

// enter blocks until the mock's batch is released; it returns false if that took longer than gateWait. The
// mock must call exit when it returns, whatever enter returned.
func (g *overlapGate) enter() bool {
	g.mu.Lock()
	g.called++
	g.running++
	batch := g.batch
	if g.running >= g.size || g.called >= g.total || g.gaveUp {
		close(batch)
		g.batch = make(chan struct{})
	}
	g.mu.Unlock()
	select {
	case <-batch:
		return true
	case <-time.After(gateWait):
		g.mu.Lock()
		defer g.mu.Unlock()
		g.gaveUp = true
		close(g.batch)
		g.batch = make(chan struct{})
		return false
	}
}

func (g *overlapGate) exit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
}

func (g *overlapGate) maxInFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

// pollScheduleCounter tells gate of every PollMonitor activity a workflow starts, as it starts it.
type pollScheduleCounter struct {
	interceptor.WorkerInterceptorBase
	gate *overlapGate
}

func (c *pollScheduleCounter) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &pollScheduleInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, gate: c.gate}
}

type pollScheduleInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	gate *overlapGate
}

func (i *pollScheduleInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&pollScheduleOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, gate: i.gate})
}

type pollScheduleOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	gate *overlapGate
}

func (o *pollScheduleOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if activityType == contract.PollMonitorActivityName {
		o.gate.scheduled()
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

// A scheduled run takes its window from TemporalScheduledStartTime, polls every monitor (Concurrency at once
// while enough are left, never more), and sums the outcomes.
func TestPollerWorkflowWindowAndConcurrency(t *testing.T) {
	env := newEnv(t)
	registerPollerActivities(env)
	nominal := time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)
	require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime").ValueSet(nominal))))
	env.OnActivity(a.ListMonitors, mock.Anything, 1).Return(contract.MonitorList{Monitors: monitors(7), LastPage: 1}, nil).Once()
	gate := newOverlapGate(3, 7)
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&pollScheduleCounter{gate: gate}}})
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name == contract.PollMonitorActivityName {
			gate.completed()
		}
	})
	var mu sync.Mutex
	var windows []contract.PollMonitorInput
	env.OnActivity(a.PollMonitor, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.PollMonitorInput) (contract.PollMonitorResult, error) {
			defer gate.exit()
			mu.Lock()
			windows = append(windows, in)
			mu.Unlock()
			if !gate.enter() {
				// This runs on the activity's goroutine: report and fail the poll, never t.FailNow here.
				t.Errorf("poll of monitor %s waited %s for 3 polls running", in.Monitor.ID, gateWait)
				return contract.PollMonitorResult{}, temporal.NewNonRetryableApplicationError("overlap gate timed out", "GateTimeout", nil)
			}
			return contract.PollMonitorResult{Started: 2, Duplicates: 1}, nil
		}).Times(7)
	env.ExecuteWorkflow(contract.PollerWorkflowName, contract.PollerInput{Interval: time.Hour, Overlap: time.Minute, Concurrency: 3})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var stats contract.PollStats
	require.NoError(t, env.GetWorkflowResult(&stats))
	require.Equal(t, contract.PollStats{From: nominal.Add(-61 * time.Minute), To: nominal, Monitors: 7, Started: 14, Duplicates: 7}, stats)
	require.Equal(t, 3, gate.maxInFlight(), "most polls in flight at once")
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
	env.OnActivity(a.ListMonitors, mock.Anything, 1).Return(contract.MonitorList{Monitors: monitors(2), LastPage: 3}, nil).Once()
	env.OnActivity(a.PollMonitor, mock.Anything, mock.Anything).Return(contract.PollMonitorResult{Started: 1}, nil).Times(1)
	env.ExecuteWorkflow(contract.PollerWorkflowName, contract.PollerInput{From: from, To: to, MonitorIDs: []string{"m1"}})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "got %v", env.GetWorkflowError())
	require.Equal(t, contract.PollerWorkflowName, can.WorkflowType.Name)
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
		{"balance exhausted stops the poll", temporal.NewNonRetryableApplicationError("SocialData balance exhausted (402)", contract.ErrTypeBalanceExhausted, nil), contract.ErrTypeBalanceExhausted, 0},
		{"a monitor that fails is counted", temporal.NewNonRetryableApplicationError("GET user: 404", contract.ErrTypeAPI, nil), "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			registerPollerActivities(env)
			env.OnActivity(a.ListMonitors, mock.Anything, 1).Return(contract.MonitorList{Monitors: monitors(2), LastPage: 1}, nil)
			env.OnActivity(a.PollMonitor, mock.Anything, mock.MatchedBy(func(in contract.PollMonitorInput) bool { return in.Monitor.ID == "m0" })).
				Return(contract.PollMonitorResult{}, tt.err)
			env.OnActivity(a.PollMonitor, mock.Anything, mock.MatchedBy(func(in contract.PollMonitorInput) bool { return in.Monitor.ID == "m1" })).
				Return(contract.PollMonitorResult{Started: 1}, nil)
			env.ExecuteWorkflow(contract.PollerWorkflowName, contract.PollerInput{Interval: time.Hour, Concurrency: 1})
			require.True(t, env.IsWorkflowCompleted())
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(env.GetWorkflowError(), &appErr))
				require.Equal(t, tt.wantType, appErr.Type())
				require.True(t, appErr.NonRetryable())
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var stats contract.PollStats
			require.NoError(t, env.GetWorkflowResult(&stats))
			require.Equal(t, tt.wantFail, stats.Failed)
			require.Equal(t, 1, stats.Started)
		})
	}
}

func TestPollerWorkflowNeedsAWindow(t *testing.T) {
	env := newEnv(t)
	registerPollerActivities(env)
	env.ExecuteWorkflow(contract.PollerWorkflowName, contract.PollerInput{})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	require.Equal(t, contract.ErrTypeInvalidInput, appErr.Type())
}
