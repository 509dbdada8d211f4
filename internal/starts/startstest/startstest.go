// Package startstest fakes the Temporal a starts.Starter talks to, for the unit tests of the Starter and of
// its callers: an SDK mocks.Client told which starts, job hand-offs, signals and looks at runs to expect, that
// records what it was asked and checks that every call carries a deadline.
package startstest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
)

// Answers of Temporal, for Expect* calls.
var (
	ErrAlreadyStarted = serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run-1")
	ErrRunClosed      = serviceerror.NewNotFound("workflow execution already completed")
	ErrUnavailable    = serviceerror.NewUnavailable("connection refused")
	ErrValidator      = temporal.NewApplicationError("job already has its webhook", "JobWebhookRejected")
)

// StartCall is one ExecuteWorkflow the fake was asked.
type StartCall struct {
	Options  client.StartWorkflowOptions
	Workflow any
	Input    any
}

// Temporal is the fake client. Its embedded mocks.Client is what the code under test gets.
type Temporal struct {
	*mocks.Client
	t *testing.T

	mu      sync.Mutex // starts and updates are recorded from the Starter's start goroutines
	starts  []StartCall
	updates []client.UpdateWorkflowOptions
	handles []*mocks.WorkflowUpdateHandle
}

// New returns a fake on which an unexpected call fails t (instead of panicking in a start goroutine, which
// would end the whole test binary).
func New(t *testing.T) *Temporal {
	f := &Temporal{Client: &mocks.Client{}, t: t}
	f.Test(t)
	return f
}

// hasDeadline matches the context of a call to Temporal: every one must be bounded (StartTimeout).
var hasDeadline = mock.MatchedBy(func(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
})

// ExpectStart expects one start of workflow id, answered with err (nil: started).
func (f *Temporal) ExpectStart(id string, err error) {
	var run client.WorkflowRun
	if err == nil {
		run = &mocks.WorkflowRun{}
	}
	f.On("ExecuteWorkflow", hasDeadline,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == id }),
		mock.Anything, mock.Anything,
	).Run(func(args mock.Arguments) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.starts = append(f.starts, StartCall{Options: args.Get(1).(client.StartWorkflowOptions), Workflow: args.Get(2), Input: args.Get(3)})
	}).Return(run, err).Once()
}

// ExpectUpdate expects the job webhook to be handed to the open run of id: the update is sent (callErr nil),
// then the run answers outcome, or getErr.
func (f *Temporal) ExpectUpdate(id string, callErr error, outcome string, getErr error) {
	var handle client.WorkflowUpdateHandle
	if callErr == nil {
		uh := &mocks.WorkflowUpdateHandle{}
		uh.Test(f.t)
		uh.On("Get", hasDeadline, mock.Anything).Return(func(_ context.Context, ptr any) error {
			if getErr != nil {
				return getErr
			}
			p, ok := ptr.(*string)
			if !ok {
				return errors.New("the update's outcome must be read into a *string")
			}
			*p = outcome
			return nil
		}).Once()
		f.handles = append(f.handles, uh)
		handle = uh
	}
	f.On("UpdateWorkflow", hasDeadline,
		mock.MatchedBy(func(o client.UpdateWorkflowOptions) bool { return o.WorkflowID == id }),
	).Run(func(args mock.Arguments) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.updates = append(f.updates, args.Get(1).(client.UpdateWorkflowOptions))
	}).Return(handle, callErr).Once()
}

// ExpectSignal expects the open run of id to be told about recipient forUserID, answered with err.
func (f *Temporal) ExpectSignal(id, forUserID string, err error) {
	f.On("SignalWorkflow", hasDeadline, id, "", contract.DeliveredSignal, forUserID).Return(err).Once()
}

// ExpectDescribe expects one look at the latest run of id, which has status.
func (f *Temporal) ExpectDescribe(id string, status enums.WorkflowExecutionStatus) {
	f.On("DescribeWorkflowExecution", hasDeadline, id, "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: status},
	}, nil).Once()
}

// RequireExpectations checks that every expected call was made.
func (f *Temporal) RequireExpectations() {
	f.t.Helper()
	f.AssertExpectations(f.t)
	for _, uh := range f.handles {
		uh.AssertExpectations(f.t)
	}
}

// Starts returns the starts made so far.
func (f *Temporal) Starts() []StartCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]StartCall(nil), f.starts...)
}

// Updates returns the job hand-offs sent so far.
func (f *Temporal) Updates() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.UpdateWorkflowOptions(nil), f.updates...)
}

// RequireStarts checks every start made: n of them, each of workflow with input on queue, with the dedupe
// rules of internal/starts (a failed run may be started again, an open or completed one is a duplicate,
// reported as an error). Receive times are checked to be now, and raw bodies compared apart, as text.
func (f *Temporal) RequireStarts(n int, queue, workflow string, input any) {
	f.t.Helper()
	starts := f.Starts()
	require.Len(f.t, starts, n)
	for _, s := range starts {
		require.Equal(f.t, queue, s.Options.TaskQueue)
		require.Equal(f.t, enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, s.Options.WorkflowIDReusePolicy)
		require.Equal(f.t, enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL, s.Options.WorkflowIDConflictPolicy)
		require.True(f.t, s.Options.WorkflowExecutionErrorWhenAlreadyStarted)
		require.Equal(f.t, workflow, s.Workflow)
		got, gotBody := normalized(f.t, s.Input, true)
		want, wantBody := normalized(f.t, input, false)
		require.Equal(f.t, want, got)
		require.Equal(f.t, wantBody, gotBody, "the raw body")
	}
}

// normalized returns a start input without its raw body (returned apart, as text, so a mismatch prints
// readably) and, when received, without its receive time, which it checks is now.
func normalized(t *testing.T, input any, received bool) (any, string) {
	t.Helper()
	strip := func(raw *contract.RawEvent) string {
		if received {
			require.WithinDuration(t, time.Now(), raw.ReceivedAt, time.Minute)
			raw.ReceivedAt = time.Time{}
		}
		body := string(raw.Body)
		raw.Body = nil
		return body
	}
	switch in := input.(type) {
	case contract.JobInput:
		if in.Raw == nil {
			return in, ""
		}
		raw := *in.Raw
		body := strip(&raw)
		in.Raw = &raw
		return in, body
	case contract.XEventInput:
		body := strip(&in.Raw)
		return in, body
	}
	return input, ""
}

// Testdata returns the file name of the repository's testdata/ folder.
func Testdata(t *testing.T, name string) []byte {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	require.True(t, ok, "where startstest is")
	body, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "testdata", name))
	require.NoError(t, err)
	return body
}
