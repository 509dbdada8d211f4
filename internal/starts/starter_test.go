package starts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/starts/startstest"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// These tests run a Starter over the SDK's mocks.Client: what it asks of Temporal for each kind of event, and
// what it makes of Temporal answering accepted, already started, closed, refused, or nothing at all.

const (
	testQueue   = "starter-test-queue"
	testXWindow = 90 * time.Second

	// jobID is the workflow of testdata/samples/socialdata_job_finished_success.json (job 42).
	jobID = "socialdata-job-42"
	// favoriteID is the workflow of testdata/x/aaa_favorite.json (for_user_id 3001).
	favoriteID = "x-favorite-a7ba59eab0bfcba386f7acedac279542"
)

func newStarter(t *testing.T) (*starts.Starter, *startstest.Temporal) {
	t.Helper()
	tc := startstest.New(t)
	return &starts.Starter{
		Temporal: tc, TaskQueue: testQueue, StartTimeout: 5 * time.Second, XDeliveryWindow: testXWindow,
		Logger: zap.NewNop(),
	}, tc
}

// jobPlan plans the job_finished sample as the ingress does.
func jobPlan(t *testing.T, s *starts.Starter, body []byte) starts.Plan {
	t.Helper()
	hook, err := socialdata.ParseWebhook(body)
	require.NoError(t, err)
	job, err := socialdata.ParseJobFinished(hook.Data)
	require.NoError(t, err)
	return s.PlanJobFinished(job, contract.RawEvent{
		Source: contract.SourceSocialData, EventType: hook.Event, ReceivedAt: time.Now(), Body: body,
	})
}

// restartedAfter is a job webhook whose start found a run that then closed with status before the hand-off
// reached it: nothing processed the job, so it is started again.
func restartedAfter(status enums.WorkflowExecutionStatus) func(tc *startstest.Temporal) {
	return func(tc *startstest.Temporal) {
		tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
		tc.ExpectUpdate(jobID, startstest.ErrRunClosed, "", nil)
		tc.ExpectDescribe(jobID, status)
		tc.ExpectStart(jobID, nil)
	}
}

// signalMissed is an X event whose start found a run that closed with status before the signal reached it:
// started again unless the run completed.
func signalMissed(status enums.WorkflowExecutionStatus) func(tc *startstest.Temporal) {
	return func(tc *startstest.Temporal) {
		tc.ExpectStart(favoriteID, startstest.ErrAlreadyStarted)
		tc.ExpectSignal(favoriteID, "3001", startstest.ErrRunClosed)
		tc.ExpectDescribe(favoriteID, status)
		if status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			tc.ExpectStart(favoriteID, nil)
		}
	}
}

// runCase is one case of TestRun: a job webhook (or, with x, an X event) and what Temporal answers it.
type runCase struct {
	name         string
	x            bool
	expect       func(tc *startstest.Temporal)
	wantStatus   string
	wantRejected bool
	wantStarts   int
}

// Run starts a job webhook or an X event, runs the follow-up of a duplicate, restarts a run that closed
// without processing its event, and tells a run's refusal from the rest.
func TestRun(t *testing.T) {
	jobBody := startstest.Testdata(t, "samples/socialdata_job_finished_success.json")
	jobInput := contract.JobInput{
		JobID: 42, Status: contract.JobStatusSuccess,
		DatafileURL: "https://s3.amazonaws.com/socialdata-example/jobs/42.json",
		Raw:         &contract.RawEvent{Source: contract.SourceSocialData, EventType: contract.EventJobFinished, Body: jobBody},
		Revision:    contract.CurrentRevision,
	}
	xBody := startstest.Testdata(t, "x/aaa_favorite.json")
	delivery, err := xwebhook.Parse(xBody)
	require.NoError(t, err)
	require.Len(t, delivery.Events, 1)
	xInput := contract.XEventInput{
		API: xwebhook.APIAccountActivity, Kind: xwebhook.KindFavorite, EventType: xwebhook.KindFavorite, ForUserID: "3001",
		DeliveryWindow: testXWindow,
		Raw:            contract.RawEvent{Source: contract.SourceX, EventType: xwebhook.KindFavorite, Body: delivery.Events[0].Body},
		Revision:       contract.CurrentRevision,
	}
	tests := []runCase{
		{
			name:       "job started",
			expect:     func(tc *startstest.Temporal) { tc.ExpectStart(jobID, nil) },
			wantStatus: starts.Accepted, wantStarts: 1,
		},
		{
			name: "job handed to the registered run waiting for it",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, nil, starts.Accepted, nil)
			},
			wantStatus: starts.Accepted, wantStarts: 1,
		},
		{
			name: "job handed to a run that has it already",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, nil, starts.Duplicate, nil)
			},
			wantStatus: starts.Duplicate, wantStarts: 1,
		},
		{
			name: "job run completed before the hand-off",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, startstest.ErrRunClosed, "", nil)
				tc.ExpectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)
			},
			wantStatus: starts.Duplicate, wantStarts: 1,
		},
		{
			// The run's validator refused the webhook: not a duplicate (nothing says the run processed it) and
			// no retry changes the answer.
			name: "job hand-off refused by the open run",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, nil, "", startstest.ErrValidator)
				tc.ExpectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
			},
			wantRejected: true, wantStarts: 1,
		},
		{
			name: "job hand-off refused by the open run before a handle",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, startstest.ErrValidator, "", nil)
				tc.ExpectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
			},
			wantRejected: true, wantStarts: 1,
		},
		{
			name: "X event started", x: true,
			expect:     func(tc *startstest.Temporal) { tc.ExpectStart(favoriteID, nil) },
			wantStatus: starts.Accepted, wantStarts: 1,
		},
		{
			name: "X duplicate tells the open run its recipient", x: true,
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(favoriteID, startstest.ErrAlreadyStarted)
				tc.ExpectSignal(favoriteID, "3001", nil)
			},
			wantStatus: starts.Duplicate, wantStarts: 1,
		},
		{
			name: "X duplicate of a run that completed before the signal", x: true,
			expect:     signalMissed(enums.WORKFLOW_EXECUTION_STATUS_COMPLETED),
			wantStatus: starts.Duplicate, wantStarts: 1,
		},
		{
			name: "X duplicate of a run that failed before the signal", x: true,
			expect:     signalMissed(enums.WORKFLOW_EXECUTION_STATUS_FAILED),
			wantStatus: starts.Accepted, wantStarts: 2,
		},
	}
	// A run that closed without completing before the hand-off processed nothing: the job is started again.
	for _, st := range []enums.WorkflowExecutionStatus{
		enums.WORKFLOW_EXECUTION_STATUS_FAILED, enums.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enums.WORKFLOW_EXECUTION_STATUS_CANCELED,
	} {
		tests = append(tests, runCase{name: "job run " + st.String() + " before the hand-off", expect: restartedAfter(st), wantStatus: starts.Accepted, wantStarts: 2})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tc := newStarter(t)
			tt.expect(tc)
			plan, id, workflow, input := jobPlan(t, s, jobBody), jobID, contract.JobWorkflowName, any(jobInput)
			if tt.x {
				plan, id, workflow, input = s.PlanXDelivery(delivery, xBody, time.Now()), favoriteID, contract.XEventWorkflowName, xInput
			}

			outcomes, err := s.Run(context.Background(), plan)

			var rejected *starts.RejectedError
			require.Equal(t, tt.wantRejected, errors.As(err, &rejected), "error: %v", err)
			if !tt.wantRejected {
				require.NoError(t, err)
				require.Equal(t, []starts.Outcome{{WorkflowID: id, Status: tt.wantStatus}}, outcomes)
			}
			tc.RequireExpectations()
			tc.RequireStarts(tt.wantStarts, testQueue, workflow, input)
			for _, u := range tc.Updates() {
				require.Equal(t, contract.JobFinishedUpdate, u.UpdateName)
				require.Equal(t, client.WorkflowUpdateStageCompleted, u.WaitForStage)
				require.Empty(t, u.RunID, "the update goes to the latest run")
				require.Equal(t, []any{tc.Starts()[0].Input}, u.Args, "the run gets the webhook it was not started with")
			}
		})
	}
}

// A start Temporal does not answer is an error to retry later, not a refusal; so is a follow-up that did not
// reach the run when the run cannot be looked at either.
func TestRunTransientError(t *testing.T) {
	tests := []struct {
		name   string
		expect func(tc *startstest.Temporal)
	}{
		{
			name:   "start unavailable",
			expect: func(tc *startstest.Temporal) { tc.ExpectStart(jobID, startstest.ErrUnavailable) },
		},
		{
			name: "hand-off and describe unavailable",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, startstest.ErrUnavailable, "", nil)
				tc.On("DescribeWorkflowExecution", mock.Anything, jobID, "").Return(nil, startstest.ErrUnavailable).Once()
			},
		},
	}
	body := startstest.Testdata(t, "samples/socialdata_job_finished_success.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tc := newStarter(t)
			tt.expect(tc)

			_, err := s.Run(context.Background(), jobPlan(t, s, body))

			require.ErrorIs(t, err, startstest.ErrUnavailable)
			var rejected *starts.RejectedError
			require.False(t, errors.As(err, &rejected))
			tc.RequireExpectations()
		})
	}
}

// An X delivery plans a run per event, its typing/read indicators archived together, and the whole delivery
// archived when it has keys the pipeline does not know or no event at all.
func TestPlanXDelivery(t *testing.T) {
	parse := func(t *testing.T, name string) (xwebhook.Delivery, []byte) {
		t.Helper()
		body := startstest.Testdata(t, name)
		d, err := xwebhook.Parse(body)
		require.NoError(t, err)
		return d, body
	}
	sha := func(body []byte) string {
		sum := sha256.Sum256(body)
		return hex.EncodeToString(sum[:])
	}
	tests := []struct {
		name    string
		build   func(t *testing.T) (xwebhook.Delivery, []byte)
		wantIDs func(body []byte) []string
	}{
		{
			name:    "one event",
			build:   func(t *testing.T) (xwebhook.Delivery, []byte) { return parse(t, "x/aaa_favorite.json") },
			wantIDs: func([]byte) []string { return []string{favoriteID} },
		},
		{
			name:    "indicators",
			build:   func(t *testing.T) (xwebhook.Delivery, []byte) { return parse(t, "x/aaa_typing.json") },
			wantIDs: func(body []byte) []string { return []string{contract.XEphemeralWorkflowID(sha(body))} },
		},
		{
			name: "an event and unknown keys",
			build: func(t *testing.T) (xwebhook.Delivery, []byte) {
				d, body := parse(t, "x/aaa_favorite.json")
				d.Unknown = []string{"brand_new_events"}
				return d, body
			},
			wantIDs: func(body []byte) []string {
				return []string{favoriteID, contract.ArchiveEventWorkflowID(contract.SourceX, sha(body))}
			},
		},
		{
			name:  "no event",
			build: func(*testing.T) (xwebhook.Delivery, []byte) { return xwebhook.Delivery{}, []byte(`{}`) },
			wantIDs: func(body []byte) []string {
				return []string{contract.ArchiveEventWorkflowID(contract.SourceX, sha(body))}
			},
		},
	}
	s, _ := newStarter(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, body := tt.build(t)

			ids := s.PlanXDelivery(d, body, time.Now()).WorkflowIDs()

			require.Equal(t, tt.wantIDs(body), ids)
		})
	}
}
