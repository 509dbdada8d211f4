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
