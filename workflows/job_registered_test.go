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

	"github.com/socialhook/pipeline/workflows"
)

func registerAwaitJob(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(context.Context, int64) (workflows.JobStatus, error) { return workflows.JobStatus{}, nil },
		activity.RegisterOptions{Name: workflows.AwaitJobActivityName})
}

// A registered job whose webhook never comes is finished by the poll (the retry policy is the loop).
func TestRegisteredJobFinishedByPoll(t *testing.T) {
	env := newEnv(t)
	registerAwaitJob(env)
	attempts := 0
	env.OnActivity(workflows.AwaitJobActivityName, mock.Anything, int64(9)).Return(
		func(context.Context, int64) (workflows.JobStatus, error) {
			attempts++
			if attempts < 3 {
				return workflows.JobStatus{}, temporal.NewApplicationError("job 9 is still processing", workflows.ErrTypeJobNotFinished)
			}
			return workflows.JobStatus{JobID: 9, Status: "success", DatafileURL: "u"}, nil
		})
	env.OnActivity(workflows.FetchDatafileActivityName, mock.Anything, workflows.FetchDatafileInput{JobID: 9, URL: "u"}).Return(datafile("u"), nil).Once()
	env.OnActivity(workflows.WriteJobManifestActivityName, mock.Anything, mock.Anything).Return("datafiles/9/manifest.json", nil).Once()
	env.ExecuteWorkflow(workflows.JobWorkflowName, workflows.JobInput{JobID: 9, PollInterval: time.Second, Revision: workflows.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 3, attempts)
	var res workflows.JobResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "success", res.Status)
	require.Empty(t, res.RawKey, "no webhook, nothing archived")
}

// A webhook (JobFinishedUpdate) reaching a registered job is accepted and used; a second one is a duplicate.
func TestRegisteredJobTakesTheWebhook(t *testing.T) {
	env := newEnv(t)
	registerAwaitJob(env)
	env.OnActivity(workflows.AwaitJobActivityName, mock.Anything, int64(9)).Return(workflows.JobStatus{},
		temporal.NewApplicationError("job 9 is still processing", workflows.ErrTypeJobNotFinished))
	env.OnActivity(workflows.ArchiveRawActivityName, mock.Anything, mock.Anything).Return("raw/k.json", nil).Once()
	env.OnActivity(workflows.FetchDatafileActivityName, mock.Anything, workflows.FetchDatafileInput{JobID: 9, URL: "hook"}).Return(datafile("hook"), nil).Once()
	env.OnActivity(workflows.WriteJobManifestActivityName, mock.Anything, mock.Anything).Return("datafiles/9/manifest.json", nil).Once()
	webhook := workflows.JobInput{JobID: 9, Status: "success", DatafileURL: "hook", Raw: raw}
	var answers []any
	update := func(in workflows.JobInput) {
		env.UpdateWorkflow(workflows.JobFinishedUpdate, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { answers = append(answers, err) },
			OnComplete: func(v any, err error) { answers = append(answers, v) },
		}, in)
	}
	env.RegisterDelayedCallback(func() { update(workflows.JobInput{JobID: 8, Status: "success", DatafileURL: "x"}) }, 5*time.Second)
	env.RegisterDelayedCallback(func() { update(webhook); update(webhook) }, 10*time.Second)
	env.ExecuteWorkflow(workflows.JobWorkflowName, workflows.JobInput{JobID: 9, PollInterval: time.Second, Revision: workflows.CurrentRevision})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, answers, 3)
	require.Error(t, answers[0].(error), "an update for another job is rejected by the validator")
	require.Equal(t, "accepted", answers[1])
	require.Equal(t, "duplicate", answers[2])
	var res workflows.JobResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "raw/k.json", res.RawKey)
	require.Equal(t, datafile("hook").Key, res.DatafileKey, "the webhook's datafile")
}
