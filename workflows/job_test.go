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

	"github.com/socialhook/pipeline/workflows"
)

// newEnv returns a test environment with the workflows and placeholder activities registered under the contract names so OnActivity can mock them by name; the
// real implementations live in package activities and are tested against MinIO end to end.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(func(context.Context, workflows.ArchiveRawInput) (string, error) { return "", nil },
		activity.RegisterOptions{Name: workflows.ArchiveRawActivityName})
	env.RegisterActivityWithOptions(func(context.Context, workflows.FetchDatafileInput) (workflows.Datafile, error) {
		return workflows.Datafile{}, nil
	}, activity.RegisterOptions{Name: workflows.FetchDatafileActivityName})
	env.RegisterActivityWithOptions(func(context.Context, int64) (workflows.JobStatus, error) { return workflows.JobStatus{}, nil },
		activity.RegisterOptions{Name: workflows.RefreshJobActivityName})
	env.RegisterActivityWithOptions(func(context.Context, workflows.JobManifest) (string, error) { return "", nil },
		activity.RegisterOptions{Name: workflows.WriteJobManifestActivityName})
	workflows.Register(env)
	return env
}

var raw = &workflows.RawEvent{Source: "socialdata", EventType: "job_finished", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)}

func datafile(url string) workflows.Datafile {
	return workflows.Datafile{Key: "datafiles/7/d.json", Size: 10, SHA256: "abc", ContentType: "application/json", SourceURL: url}
}

func TestJobWorkflow(t *testing.T) {
	expired := temporal.NewNonRetryableApplicationError("GET u: 403", workflows.ErrTypeURLExpired, nil)
	notAllowed := temporal.NewNonRetryableApplicationError(`datafile host "evil" is not in DATAFILE_ALLOWED_HOSTS`, workflows.ErrTypeHostNotAllowed, nil)
	tests := []struct {
		name string
		in   workflows.JobInput
		// fetch maps a URL to its activity outcome; refresh is the RefreshJob outcome (nil: not expected).
		fetch        map[string]error
		refresh      *workflows.JobStatus
		refreshErr   error
		wantStatus   string
		wantMessage  string
		wantDatafile bool
		wantErrType  string
	}{
		{
			name:         "success fetches and records the datafile",
			in:           workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "u1", Raw: raw, Revision: workflows.CurrentRevision},
			fetch:        map[string]error{"u1": nil},
			wantStatus:   "success",
			wantDatafile: true,
		},
		{
			name:        "error is recorded without fetching",
			in:          workflows.JobInput{JobID: 7, Status: "error", ErrorMessage: "Insufficient balance", Raw: raw, Revision: workflows.CurrentRevision},
			wantStatus:  "error",
			wantMessage: "Insufficient balance",
		},
		{
			name:         "expired URL is refreshed once",
			in:           workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Raw: raw, Revision: workflows.CurrentRevision},
			fetch:        map[string]error{"old": expired, "new": nil},
			refresh:      &workflows.JobStatus{JobID: 7, Status: "success", DatafileURL: "new"},
			wantStatus:   "success",
			wantDatafile: true,
		},
		{
			name:        "expired URL whose job now reports an error records the error",
			in:          workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Revision: workflows.CurrentRevision},
			fetch:       map[string]error{"old": expired},
			refresh:     &workflows.JobStatus{JobID: 7, Status: "error", Message: "gone"},
			wantStatus:  "error",
			wantMessage: "gone",
		},
		{
			name:        "expired URL whose refresh fails fails the run",
			in:          workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "old", Revision: workflows.CurrentRevision},
			fetch:       map[string]error{"old": expired},
			refreshErr:  temporal.NewNonRetryableApplicationError("GET /jobs/7: 404 Job not found", workflows.ErrTypeJobAPI, nil),
			wantStatus:  workflows.ManifestFetchFailed,
			wantMessage: "403",
			wantErrType: workflows.ErrTypeURLExpired,
		},
		{
			name:        "disallowed host is recorded and fails the run",
			in:          workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "http://evil/x", Raw: raw, Revision: workflows.CurrentRevision},
			fetch:       map[string]error{"http://evil/x": notAllowed},
			wantStatus:  workflows.ManifestFetchFailed,
			wantMessage: "not in DATAFILE_ALLOWED_HOSTS",
			wantErrType: workflows.ErrTypeHostNotAllowed,
		},
		{
			name:        "retries exhausted fail the run as DatafileFetchFailed",
			in:          workflows.JobInput{JobID: 7, Status: "success", DatafileURL: "u1", Revision: workflows.CurrentRevision},
			fetch:       map[string]error{"u1": temporal.NewNonRetryableApplicationError("GET u1: status 503", "wrapError", nil)},
			wantStatus:  workflows.ManifestFetchFailed,
			wantMessage: "503",
			wantErrType: workflows.ErrTypeFetchFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			if tt.in.Raw != nil {
				env.OnActivity(workflows.ArchiveRawActivityName, mock.Anything, workflows.ArchiveRawInput{
					WorkflowID: "default-test-workflow-id", Event: *tt.in.Raw,
				}).Return("raw/key.json", nil).Once()
			}
			for url, err := range tt.fetch {
				in := workflows.FetchDatafileInput{JobID: tt.in.JobID, URL: url}
				if err != nil {
					env.OnActivity(workflows.FetchDatafileActivityName, mock.Anything, in).Return(workflows.Datafile{}, err).Once()
				} else {
					env.OnActivity(workflows.FetchDatafileActivityName, mock.Anything, in).Return(datafile(url), nil).Once()
				}
			}
			if tt.refresh != nil || tt.refreshErr != nil {
				var fresh workflows.JobStatus
				if tt.refresh != nil {
					fresh = *tt.refresh
				}
				env.OnActivity(workflows.RefreshJobActivityName, mock.Anything, tt.in.JobID).Return(fresh, tt.refreshErr).Once()
			}
			var manifest workflows.JobManifest
			env.OnActivity(workflows.WriteJobManifestActivityName, mock.Anything, mock.Anything).Return(
				func(_ context.Context, m workflows.JobManifest) (string, error) {
					manifest = m
					return "datafiles/7/manifest.json", nil
				}).Once()

			env.ExecuteWorkflow(workflows.JobWorkflowName, tt.in)
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
			var res workflows.JobResult
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
		in   workflows.JobInput
	}{
		{"zero job id", workflows.JobInput{Status: "error"}},
		{"non-terminal status", workflows.JobInput{JobID: 1, Status: "pending"}},
		{"success without url", workflows.JobInput{JobID: 1, Status: "success"}},
		{"raw without body", workflows.JobInput{JobID: 1, Status: "error", Raw: &workflows.RawEvent{Source: "socialdata"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(workflows.JobWorkflowName, tt.in)
			require.True(t, env.IsWorkflowCompleted())
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(env.GetWorkflowError(), &appErr))
			require.Equal(t, workflows.ErrTypeInvalidInput, appErr.Type())
			require.True(t, appErr.NonRetryable())
		})
	}
}

func TestArchiveEventWorkflow(t *testing.T) {
	env := newEnv(t)
	event := workflows.RawEvent{Source: "socialdata", EventType: "brand_new", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{"event":"brand_new"}`)}
	env.OnActivity(workflows.ArchiveRawActivityName, mock.Anything,
		workflows.ArchiveRawInput{WorkflowID: "default-test-workflow-id", Event: event}).Return("raw/k.json", nil).Once()
	env.ExecuteWorkflow(workflows.ArchiveEventWorkflowName, event)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var key string
	require.NoError(t, env.GetWorkflowResult(&key))
	require.Equal(t, "raw/k.json", key)
	env.AssertExpectations(t)
}
