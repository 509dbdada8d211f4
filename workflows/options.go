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
	RetryPolicy:         backoff(time.Second, time.Minute, 0, contract.ErrTypeInvalidInput),
}

// localStorageOptions bound the local attempt of a storage step (storageStep): a few quick tries within
// seconds, well inside the workflow task timeout, before the step falls back to a regular activity under
// storageOptions.
var localStorageOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: 10 * time.Second,
	StartToCloseTimeout:    4 * time.Second,
	RetryPolicy:            backoff(200*time.Millisecond, 2*time.Second, 3, contract.ErrTypeInvalidInput),
}

// fetchOptions cover a datafile download. The copy heartbeats every few seconds, so a dead worker is noticed
// after HeartbeatTimeout, not after the long StartToCloseTimeout. Attempts are bounded: the URL expires.
var fetchOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Hour,
	HeartbeatTimeout:    30 * time.Second,
	RetryPolicy:         backoff(time.Second, time.Minute, 8, contract.ErrTypeInvalidInput, contract.ErrTypeHostNotAllowed, contract.ErrTypeURLExpired, contract.ErrTypeDatafileClient, contract.ErrTypeTooLarge),
}

// apiOptions cover one SocialData API read. 429 and 5xx are retried with backoff; 402/403/404 are not.
var apiOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy:         backoff(2*time.Second, time.Minute, 10, contract.ErrTypeInvalidInput, contract.ErrTypeAPI, contract.ErrTypeBalanceExhausted),
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
			NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput, contract.ErrTypeAPI, contract.ErrTypeBalanceExhausted},
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

// backoff is a retry policy that doubles the wait from initial up to maxWait, for at most attempts tries (0: no
// limit), and never retries the error types in nonRetryable.
func backoff(initial, maxWait time.Duration, attempts int32, nonRetryable ...string) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        initial,
		BackoffCoefficient:     2,
		MaximumInterval:        maxWait,
		MaximumAttempts:        attempts,
		NonRetryableErrorTypes: nonRetryable,
	}
}
