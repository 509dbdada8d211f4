package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/workflows"
)

// newEnv returns a test environment with the workflows and placeholder activities registered under the contract names so OnActivity can mock them by name; the
// real implementations live in package activities and are tested against MinIO end to end.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(func(context.Context, contract.ArchiveRawInput) (string, error) { return "", nil },
		activity.RegisterOptions{Name: contract.ArchiveRawActivityName})
	env.RegisterActivityWithOptions(func(context.Context, contract.FetchDatafileInput) (contract.Datafile, error) {
		return contract.Datafile{}, nil
	}, activity.RegisterOptions{Name: contract.FetchDatafileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, int64) (contract.JobStatus, error) { return contract.JobStatus{}, nil },
		activity.RegisterOptions{Name: contract.RefreshJobActivityName})
	env.RegisterActivityWithOptions(func(context.Context, contract.JobManifest) (string, error) { return "", nil },
		activity.RegisterOptions{Name: contract.WriteJobManifestActivityName})
	workflows.Register(env)
	return env
}

var raw = &contract.RawEvent{Source: "socialdata", EventType: "job_finished", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)}

func datafile(url string) contract.Datafile {
	return contract.Datafile{Key: "datafiles/7/d.json", Size: 10, SHA256: "abc", ContentType: "application/json", SourceURL: url}
}

func TestJobWorkflow(t *testing.T) {
	expired := temporal.NewNonRetryableApplicationError("GET u: 403", contract.ErrTypeURLExpired, nil)
	notAllowed := temporal.NewNonRetryableApplicationError(`datafile host "evil" is not in DATAFILE_ALLOWED_HOSTS`, contract.ErrTypeHostNotAllowed, nil)
	tests := []struct {
		name string
		in   contract.JobInput
		// fetch maps a URL to its activity outcome; refresh is the RefreshJob outcome (nil: not expected).
		fetch        map[string]error
		refresh      *contract.JobStatus
		refreshErr   error
		wantStatus   string
		wantMessage  string
		wantDatafile bool
		wantErrType  string
	}{
		{
			name:         "success fetches and records the datafile",
			in:           contract.JobInput{JobID: 7, Status: "success", DatafileURL: "u1", Raw: raw, Revision: contract.CurrentRevision},
			fetch:        map[string]error{"u1": nil},
			wantStatus:   "success",
			wantDatafile: true,
		},
		{
			name:        "error is recorded without fetching",
			in:          contract.JobInput{JobID: 7, Status: "error", ErrorMessage: "Insufficient balance", Raw: raw, Revision: contract.CurrentRevision},
			wantStatus:  "error",
			wantMessage: "Insufficient balance",
		},
		{
			name:         "expired URL is refreshed once",
			in:           contract.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Raw: raw, Revision: contract.CurrentRevision},
			fetch:        map[string]error{"old": expired, "new": nil},
			refresh:      &contract.JobStatus{JobID: 7, Status: "success", DatafileURL: "new"},
			wantStatus:   "success",
			wantDatafile: true,
		},
		{
			name:        "expired URL whose job now reports an error records the error",
			in:          contract.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Revision: contract.CurrentRevision},
			fetch:       map[string]error{"old": expired},
			refresh:     &contract.JobStatus{JobID: 7, Status: "error", Message: "gone"},
			wantStatus:  "error",
			wantMessage: "gone",
		},
		{
			name:        "expired URL whose refresh fails fails the run",
			in:          contract.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Revision: contract.CurrentRevision},
			fetch:       map[string]error{"old": expired},
			refreshErr:  temporal.NewNonRetryableApplicationError("GET /jobs/7: 404 Job not found", contract.ErrTypeAPI, nil),
			wantStatus:  contract.ManifestFetchFailed,
			wantMessage: "403",
			wantErrType: contract.ErrTypeURLExpired,
		},
		{
			name:        "disallowed host is recorded and fails the run",
			in:          contract.JobInput{JobID: 7, Status: "success", DatafileURL: "http://evil/x", Raw: raw, Revision: contract.CurrentRevision},
			fetch:       map[string]error{"http://evil/x": notAllowed},
			wantStatus:  contract.ManifestFetchFailed,
			wantMessage: "not in DATAFILE_ALLOWED_HOSTS",
			wantErrType: contract.ErrTypeHostNotAllowed,
		},
		{
			name:        "retries exhausted fail the run as DatafileFetchFailed",
			in:          contract.JobInput{JobID: 7, Status: "success", DatafileURL: "u1", Revision: contract.CurrentRevision},
			fetch:       map[string]error{"u1": temporal.NewNonRetryableApplicationError("GET u1: status 503", "wrapError", nil)},
			wantStatus:  contract.ManifestFetchFailed,
			wantMessage: "503",
			wantErrType: contract.ErrTypeFetchFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			if tt.in.Raw != nil {
				env.OnActivity(a.ArchiveRaw, mock.Anything, contract.ArchiveRawInput{
					WorkflowID: "default-test-workflow-id", Event: *tt.in.Raw,
				}).Return("raw/key.json", nil).Once()
			}
			for url, err := range tt.fetch {
				in := contract.FetchDatafileInput{JobID: tt.in.JobID, URL: url}
				if err != nil {
					env.OnActivity(a.FetchDatafile, mock.Anything, in).Return(contract.Datafile{}, err).Once()
				} else {
					env.OnActivity(a.FetchDatafile, mock.Anything, in).Return(datafile(url), nil).Once()
				}
			}
			if tt.refresh != nil || tt.refreshErr != nil {
				var fresh contract.JobStatus
				if tt.refresh != nil {
					fresh = *tt.refresh
				}
				env.OnActivity(a.RefreshJob, mock.Anything, tt.in.JobID).Return(fresh, tt.refreshErr).Once()
			}
			var manifest contract.JobManifest
			env.OnActivity(a.WriteJobManifest, mock.Anything, mock.Anything).Return(
				func(_ context.Context, m contract.JobManifest) (string, error) {
					manifest = m
					return "datafiles/7/manifest.json", nil
				}).Once()

			env.ExecuteWorkflow(contract.JobWorkflowName, tt.in)
			require.True(t, env.IsWorkflowCompleted())
			env.AssertExpectations(t)

			require.Equal(t, tt.in.JobID, manifest.JobID)
			require.Equal(t, tt.wantStatus, manifest.Status)
			require.Contains(t, manifest.ErrorMessage, tt.wantMessage)
			require.Equal(t, "default-test-workflow-id", manifest.WorkflowID)
			require.Equal(t, tt.wantDatafile, manifest.Datafile != nil)

			err := env.GetWorkflowError()
			if tt.wantErrType != "" {
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(err, &appErr), "want application error, got %v", err)
				require.Equal(t, tt.wantErrType, appErr.Type())
				require.True(t, appErr.NonRetryable())
				return
			}
			require.NoError(t, err)
			var res contract.JobResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, tt.wantStatus, res.Status)
			require.Equal(t, "datafiles/7/manifest.json", res.ManifestKey)
			if tt.in.Raw != nil {
				require.Equal(t, "raw/key.json", res.RawKey)
			}
			if tt.wantDatafile {
				require.Equal(t, "datafiles/7/d.json", res.DatafileKey)
				require.Equal(t, "abc", res.SHA256)
			}
		})
	}
}

func TestJobWorkflowRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name string
		in   contract.JobInput
	}{
		{"zero job id", contract.JobInput{Status: "error"}},
		{"non-terminal status", contract.JobInput{JobID: 1, Status: "pending"}},
		{"success without url", contract.JobInput{JobID: 1, Status: "success"}},
		{"raw without body", contract.JobInput{JobID: 1, Status: "error", Raw: &contract.RawEvent{Source: "socialdata"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(contract.JobWorkflowName, tt.in)
			require.True(t, env.IsWorkflowCompleted())
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(env.GetWorkflowError(), &appErr))
			require.Equal(t, contract.ErrTypeInvalidInput, appErr.Type())
			require.True(t, appErr.NonRetryable())
		})
	}
}

func TestArchiveEventWorkflow(t *testing.T) {
	env := newEnv(t)
	event := contract.RawEvent{Source: "socialdata", EventType: "brand_new", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{"event":"brand_new"}`)}
	env.OnActivity(a.ArchiveRaw, mock.Anything,
		contract.ArchiveRawInput{WorkflowID: "default-test-workflow-id", Event: event}).Return("raw/k.json", nil).Once()
	env.ExecuteWorkflow(contract.ArchiveEventWorkflowName, event)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var key string
	require.NoError(t, env.GetWorkflowResult(&key))
	require.Equal(t, "raw/k.json", key)
	env.AssertExpectations(t)
}
