package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/socialhook/pipeline/contract"
)

func registerAwaitJob(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(context.Context, int64) (contract.JobStatus, error) { return contract.JobStatus{}, nil },
		activity.RegisterOptions{Name: contract.AwaitJobActivityName})
}

// A registered job whose webhook never comes is finished by the poll (the retry policy is the loop).
func TestRegisteredJobFinishedByPoll(t *testing.T) {
	env := newEnv(t)
	registerAwaitJob(env)
	attempts := 0
	env.OnActivity(a.AwaitJob, mock.Anything, int64(9)).Return(
		func(context.Context, int64) (contract.JobStatus, error) {
			attempts++
			if attempts < 3 {
				return contract.JobStatus{}, temporal.NewApplicationError("job 9 is still processing", contract.ErrTypeJobNotFinished)
			}
			return contract.JobStatus{JobID: 9, Status: "success", DatafileURL: "u"}, nil
		})
	env.OnActivity(a.FetchDatafile, mock.Anything, contract.FetchDatafileInput{JobID: 9, URL: "u"}).Return(datafile("u"), nil).Once()
	env.OnActivity(a.WriteJobManifest, mock.Anything, mock.Anything).Return("datafiles/9/manifest.json", nil).Once()
	env.ExecuteWorkflow(contract.JobWorkflowName, contract.JobInput{JobID: 9, PollInterval: time.Second, Revision: contract.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 3, attempts)
	var res contract.JobResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "success", res.Status)
	require.Empty(t, res.RawKey, "no webhook, nothing archived")
}

// A webhook (JobFinishedUpdate) reaching a registered job is accepted and used; a second one is a duplicate.
func TestRegisteredJobTakesTheWebhook(t *testing.T) {
	env := newEnv(t)
	registerAwaitJob(env)
	env.OnActivity(a.AwaitJob, mock.Anything, int64(9)).Return(contract.JobStatus{},
		temporal.NewApplicationError("job 9 is still processing", contract.ErrTypeJobNotFinished))
	env.OnActivity(a.ArchiveRaw, mock.Anything, mock.Anything).Return("raw/k.json", nil).Once()
	env.OnActivity(a.FetchDatafile, mock.Anything, contract.FetchDatafileInput{JobID: 9, URL: "hook"}).Return(datafile("hook"), nil).Once()
	env.OnActivity(a.WriteJobManifest, mock.Anything, mock.Anything).Return("datafiles/9/manifest.json", nil).Once()
	webhook := contract.JobInput{JobID: 9, Status: "success", DatafileURL: "hook", Raw: raw}
	var answers []any
	update := func(in contract.JobInput) {
		env.UpdateWorkflow(contract.JobFinishedUpdate, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { answers = append(answers, err) },
			OnComplete: func(v any, err error) { answers = append(answers, v) },
		}, in)
	}
	env.RegisterDelayedCallback(func() { update(contract.JobInput{JobID: 8, Status: "success", DatafileURL: "x"}) }, 5*time.Second)
	env.RegisterDelayedCallback(func() { update(webhook); update(webhook) }, 10*time.Second)
	env.ExecuteWorkflow(contract.JobWorkflowName, contract.JobInput{JobID: 9, PollInterval: time.Second, Revision: contract.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, answers, 3)
	require.Error(t, answers[0].(error), "an update for another job is rejected by the validator")
	require.Equal(t, "accepted", answers[1])
	require.Equal(t, "duplicate", answers[2])
	var res contract.JobResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "raw/k.json", res.RawKey)
	require.Equal(t, datafile("hook").Key, res.DatafileKey, "the webhook's datafile")
}

// A registered run (RevisionJobWait) polls first after one poll interval, waits through polls that fail for
// good (403, 402, no API key) for its webhook, and without either fails as JobWaitExpired at its deadline —
// failed, not completed, so a later webhook starts a new run instead of being answered duplicate.
func TestRegisteredJobWait(t *testing.T) {
	notFinished := temporal.NewApplicationError("job 9 is not known to the API yet (404)", contract.ErrTypeJobNotFinished)
	forbidden := temporal.NewNonRetryableApplicationError("GET /jobs/9: 403 forbidden", contract.ErrTypeAPI, nil)
	webhook := contract.JobInput{JobID: 9, Status: "error", ErrorMessage: "Insufficient balance", Raw: raw}
	tests := []struct {
		name string
		// poll answers the i-th poll (0-based).
		poll func(i int) (contract.JobStatus, error)
		// webhookAfter delivers the webhook as JobFinishedUpdate this long after the start; 0: never.
		webhookAfter time.Duration
		wantErrType  string
		wantStatus   string
		wantPolls    int
	}{
		{
			name:         "404s until the webhook comes",
			poll:         func(int) (contract.JobStatus, error) { return contract.JobStatus{}, notFinished },
			webhookAfter: 3 * time.Hour,
			wantStatus:   "error",
		},
		{
			name: "404s, then the poll finds it finished",
			poll: func(i int) (contract.JobStatus, error) {
				if i < 5 {
					return contract.JobStatus{}, notFinished
				}
				return contract.JobStatus{JobID: 9, Status: "error", Message: "Insufficient balance"}, nil
			},
			wantStatus: "error",
			wantPolls:  6,
		},
		{
			name:         "a poll that fails for good leaves the run waiting for its webhook",
			poll:         func(int) (contract.JobStatus, error) { return contract.JobStatus{}, forbidden },
			webhookAfter: 5 * time.Hour,
			wantStatus:   "error",
			wantPolls:    1,
		},
		{
			name:        "neither by the deadline: failed, not completed",
			poll:        func(int) (contract.JobStatus, error) { return contract.JobStatus{}, notFinished },
			wantErrType: contract.ErrTypeJobWaitExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			registerAwaitJob(env)
			start := env.Now()
			var polls []time.Time
			env.OnActivity(a.AwaitJob, mock.Anything, int64(9)).Return(
				func(context.Context, int64) (contract.JobStatus, error) {
					polls = append(polls, env.Now())
					return tt.poll(len(polls) - 1)
				})
			if tt.wantStatus != "" {
				env.OnActivity(a.WriteJobManifest, mock.Anything, mock.MatchedBy(func(m contract.JobManifest) bool {
					return m.JobID == 9 && m.Status == tt.wantStatus
				})).Return("datafiles/9/manifest.json", nil).Once()
			}
			if tt.webhookAfter > 0 {
				env.OnActivity(a.ArchiveRaw, mock.Anything, mock.Anything).Return("raw/k.json", nil).Once()
				env.RegisterDelayedCallback(func() {
					env.UpdateWorkflow(contract.JobFinishedUpdate, "", &testsuite.TestUpdateCallback{
						OnReject:   func(err error) { require.NoError(t, err) },
						OnComplete: func(v any, err error) { require.NoError(t, err); require.Equal(t, "accepted", v) },
					}, webhook)
				}, tt.webhookAfter)
			}
			env.ExecuteWorkflow(contract.JobWorkflowName, contract.JobInput{
				JobID: 9, PollInterval: time.Minute, WaitTimeout: 24 * time.Hour, Revision: contract.CurrentRevision,
			})
			require.True(t, env.IsWorkflowCompleted())
			require.NotEmpty(t, polls)
			require.GreaterOrEqual(t, polls[0].Sub(start), time.Minute, "the first poll waits one poll interval")
			if tt.wantPolls > 0 {
				require.Len(t, polls, tt.wantPolls)
			}
			if tt.wantErrType != "" {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, env.GetWorkflowError(), &appErr)
				require.Equal(t, tt.wantErrType, appErr.Type())
				require.GreaterOrEqual(t, env.Now().Sub(start), 24*time.Hour, "failed at the deadline, not before")
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var res contract.JobResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, tt.wantStatus, res.Status)
			if tt.webhookAfter > 0 {
				require.Equal(t, "raw/k.json", res.RawKey, "the webhook's body is archived")
			}
		})
	}
}

// Runs started before RevisionJobWait replay as they ran: the first poll at once, and a poll that fails for
// good fails the run.
func TestRegisteredJobRevisionBeforeJobWait(t *testing.T) {
	env := newEnv(t)
	registerAwaitJob(env)
	start := env.Now()
	var first time.Time
	env.OnActivity(a.AwaitJob, mock.Anything, int64(9)).Return(
		func(context.Context, int64) (contract.JobStatus, error) {
			first = env.Now()
			return contract.JobStatus{}, temporal.NewNonRetryableApplicationError("GET /jobs/9: 404 not found", contract.ErrTypeAPI, nil)
		}).Once()
	env.ExecuteWorkflow(contract.JobWorkflowName, contract.JobInput{JobID: 9, PollInterval: time.Minute, Revision: contract.RevisionLocalStorage})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	require.Equal(t, start, first, "revision 1 polls at once")
}
