package activities_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/socialhook/pipeline/activities"
	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/socialdata"
)

// AwaitJob is one poll of a registered job: a job the API does not know yet (404) or that still runs is
// "not finished" (retryable: the retry policy is the poll loop), a terminal job is returned, and an answer no
// retry can change (403: another account's job) stops the poll.
func TestAwaitJob(t *testing.T) {
	fake := fakesocialdata.New("key")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL)
	fake.PutJob(fakesocialdata.Job{ID: 2, Status: "error", Message: "Insufficient balance"})
	fake.PutJob(fakesocialdata.Job{ID: 3, Status: "error", Message: "m", PendingPolls: 1 << 30})

	tests := []struct {
		name          string
		apiKey        string
		jobID         int64
		wantErrType   string
		wantRetryable bool
		wantStatus    string
	}{
		{name: "unknown yet (404)", apiKey: "key", jobID: 1, wantErrType: contract.ErrTypeJobNotFinished, wantRetryable: true},
		{name: "still processing", apiKey: "key", jobID: 3, wantErrType: contract.ErrTypeJobNotFinished, wantRetryable: true},
		{name: "finished", apiKey: "key", jobID: 2, wantStatus: "error"},
		{name: "refused by the API (401)", apiKey: "wrong", jobID: 2, wantErrType: contract.ErrTypeAPI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			a := activities.New(activities.Deps{SocialData: socialdata.NewClient(srv.URL, tt.apiKey, nil)})
			env.RegisterActivity(a.AwaitJob)
			val, err := env.ExecuteActivity(a.AwaitJob, tt.jobID)
			if tt.wantErrType != "" {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, tt.wantErrType, appErr.Type())
				require.Equal(t, tt.wantRetryable, !appErr.NonRetryable())
				return
			}
			require.NoError(t, err)
			var st contract.JobStatus
			require.NoError(t, val.Get(&st))
			require.Equal(t, tt.wantStatus, st.Status)
		})
	}
}

// Every activity that reads the SocialData API classifies its failures the same way: a 402 (balance exhausted)
// is ErrTypeBalanceExhausted, another final answer ErrTypeAPI, both non-retryable; a 429 or 5xx is retried.
func TestSocialDataFailuresClassifiedAlike(t *testing.T) {
	type call struct {
		name string
		run  func(env *testsuite.TestActivityEnvironment, a *activities.Activities) error
	}
	calls := []call{
		{"RefreshJob", func(env *testsuite.TestActivityEnvironment, a *activities.Activities) error {
			env.RegisterActivity(a.RefreshJob)
			_, err := env.ExecuteActivity(a.RefreshJob, int64(5))
			return err
		}},
		{"AwaitJob", func(env *testsuite.TestActivityEnvironment, a *activities.Activities) error {
			env.RegisterActivity(a.AwaitJob)
			_, err := env.ExecuteActivity(a.AwaitJob, int64(5))
			return err
		}},
		{"ListMonitors", func(env *testsuite.TestActivityEnvironment, a *activities.Activities) error {
			env.RegisterActivity(a.ListMonitors)
			_, err := env.ExecuteActivity(a.ListMonitors, 1)
			return err
		}},
	}
	answers := []struct {
		name          string
		status        int
		wantType      string
		wantRetryable bool
	}{
		{"balance exhausted (402)", 402, contract.ErrTypeBalanceExhausted, false},
		{"forbidden (403)", 403, contract.ErrTypeAPI, false},
		{"rate limited (429)", 429, "", true},
		{"server error (503)", 503, "", true},
	}
	for _, c := range calls {
		for _, ans := range answers {
			t.Run(c.name+"/"+ans.name, func(t *testing.T) {
				fake := fakesocialdata.New("key")
				srv := httptest.NewServer(fake)
				t.Cleanup(srv.Close)
				fake.SetBaseURL(srv.URL)
				fake.PutJob(fakesocialdata.Job{ID: 5, Status: "error", Message: "m"})
				fake.FailNext(1<<20, ans.status)
				var s testsuite.WorkflowTestSuite
				env := s.NewTestActivityEnvironment()
				a := activities.New(activities.Deps{SocialData: socialdata.NewClient(srv.URL, "key", nil)})
				err := c.run(env, a)
				require.Error(t, err)
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, ans.wantRetryable, !appErr.NonRetryable(), "%v", err)
				if ans.wantType != "" {
					require.Equal(t, ans.wantType, appErr.Type(), "%v", err)
				}
			})
		}
	}
}
