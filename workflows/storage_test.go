package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
)

// TestStorageStepLocalFirst checks a storage step's paths through the manifest write of a failed job (its only
// step): at the current revision it runs as a local activity while storage answers and moves to a regular
// activity (which retries without limit) when the bounded local attempts fail; invalid input fails at once; a
// run of revision 0 uses regular activities only, as it did when it was started.
func TestStorageStepLocalFirst(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:9000: connection refused")
	tests := []struct {
		name string
		// fail is how many attempts fail with a retryable storage error before the store answers.
		fail        int
		invalid     bool
		revision    int
		wantLocal   int
		wantRegular int
		wantErrType string
	}{
		{name: "storage up: one local attempt, no activity task", revision: 1, wantLocal: 1},
		{name: "one failure: retried locally", revision: 1, fail: 1, wantLocal: 2},
		{name: "storage down: three local attempts, then a regular activity that waits it out", revision: 1, fail: 5, wantLocal: 3, wantRegular: 3},
		{name: "invalid input: not retried, not moved", revision: 1, invalid: true, wantLocal: 1, wantErrType: contract.ErrTypeInvalidInput},
		{name: "revision 0: regular activities only", revision: 0, fail: 2, wantRegular: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			var local, regular int
			env.RegisterActivityWithOptions(func(ctx context.Context, _ contract.JobManifest) (string, error) {
				if activity.GetInfo(ctx).IsLocalActivity {
					local++
				} else {
					regular++
				}
				switch {
				case tt.invalid:
					return "", temporal.NewNonRetryableApplicationError("bad body", contract.ErrTypeInvalidInput, nil)
				case local+regular <= tt.fail:
					return "", down
				}
				return "datafiles/7/manifest.json", nil
			}, activity.RegisterOptions{Name: contract.WriteJobManifestActivityName})
			env.ExecuteWorkflow(contract.JobWorkflowName, contract.JobInput{JobID: 7, Status: "error", Revision: tt.revision})
			require.True(t, env.IsWorkflowCompleted())
			require.Equal(t, tt.wantLocal, local, "local attempts")
			require.Equal(t, tt.wantRegular, regular, "regular attempts")
			if tt.wantErrType != "" {
				require.True(t, hasErrType(env.GetWorkflowError(), tt.wantErrType), "want %s in %v", tt.wantErrType, env.GetWorkflowError())
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var res contract.JobResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, "datafiles/7/manifest.json", res.ManifestKey)
		})
	}
}

// hasErrType reports whether an application error of type typ is anywhere in err's chain (a workflow's
// fmt.Errorf wrapping arrives as an application error of its own).
func hasErrType(err error, typ string) bool {
	for err != nil {
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) {
			return false
		}
		if appErr.Type() == typ {
			return true
		}
		err = appErr.Unwrap()
	}
	return false
}
