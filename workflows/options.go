package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// Activity options, one set per kind of side effect. Each retry policy is explicit.

// storageOptions cover small MinIO writes. Storage outages are waited out: attempts are unlimited, the backoff
// is capped at a minute, and the pending activity with its last failure shows in the UI meanwhile.
var storageOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        0,
		NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput},
	},
}

// localStorageOptions bound the local attempt of a storage step (storageStep): a few quick tries within
// seconds, well inside the workflow task timeout, before the step falls back to a regular activity under
// storageOptions.
var localStorageOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: 10 * time.Second,
	StartToCloseTimeout:    4 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        200 * time.Millisecond,
		BackoffCoefficient:     2,
		MaximumInterval:        2 * time.Second,
		MaximumAttempts:        3,
		NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput},
	},
}

// fetchOptions cover a datafile download. The copy heartbeats every few seconds, so a dead worker is noticed
// after HeartbeatTimeout, not after the long StartToCloseTimeout. Attempts are bounded: the URL expires.
var fetchOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Hour,
	HeartbeatTimeout:    30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    8,
		NonRetryableErrorTypes: []string{
			contract.ErrTypeInvalidInput, contract.ErrTypeHostNotAllowed, contract.ErrTypeURLExpired, contract.ErrTypeDatafileClient, contract.ErrTypeTooLarge,
		},
	},
}

// apiOptions cover one SocialData API read. 429 and 5xx are retried with backoff; 402/403/404 are not.
var apiOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        2 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        10,
		NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput, contract.ErrTypeJobAPI},
	},
}

// jobPollOptions make one activity the poll loop of a registered job (samples-go's "retry policy as the poll
// loop"): each attempt reads GET /jobs/{id} once and fails retryably while the job runs. The job is watched
// for up to a week.
func jobPollOptions(first time.Duration) workflow.ActivityOptions {
	first = pollFirstWait(first)
	return workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        first,
			BackoffCoefficient:     1.5,
			MaximumInterval:        max(5*time.Minute, first),
			MaximumAttempts:        0,
			NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput, contract.ErrTypeJobAPI},
		},
	}
}

// pollFirstWait is a registered job's first wait between polls: first, or 10 s when unset.
func pollFirstWait(first time.Duration) time.Duration {
	if first <= 0 {
		return 10 * time.Second
	}
	return first
}
