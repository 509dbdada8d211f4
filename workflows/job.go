package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// awaitFinished returns the finished job: the input itself when the run was started by the webhook, else the
// first of the webhook (delivered as contract.JobFinishedUpdate) and a poll of GET /jobs/{id} that finds the job
// terminal. A contract.JobFinishedUpdate is answered "accepted" while the run waits and "duplicate" afterwards, so the
// ingress can tell a webhook that completed a registered job from a repeat.
//
// From contract.RevisionJobWait on, a registered run waits contract.JobInput.PollInterval before its first poll, keeps waiting
// for the webhook when polling cannot go on (403, 402, no API key), and gives up after contract.JobInput.WaitTimeout:
// it then fails with contract.ErrTypeJobWaitExpired, having processed nothing, so a webhook arriving later starts a new
// run under the same ID (starts use AllowDuplicateFailedOnly) and is processed.
func awaitFinished(ctx workflow.Context, in contract.JobInput) (contract.JobInput, error) {
	var finished *contract.JobInput
	if in.Status != "" {
		finished = &in
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.JobFinishedUpdate,
		func(ctx workflow.Context, w contract.JobInput) (string, error) {
			if finished != nil {
				return "duplicate", nil
			}
			finished = &w
			return "accepted", nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, w contract.JobInput) error {
			if w.JobID != in.JobID || w.Status == "" {
				return fmt.Errorf("update for job %d must carry job %d with a terminal status", w.JobID, in.JobID)
			}
			return validateJob(w)
		}},
	); err != nil {
		return in, fmt.Errorf("register %s: %w", contract.JobFinishedUpdate, err)
	}
	if finished != nil {
		return *finished, nil
	}
	if in.Revision < contract.RevisionJobWait {
		return awaitFinishedRev1(ctx, in, &finished)
	}

	wait := in.WaitTimeout
	if wait <= 0 {
		wait = contract.DefaultJobWaitTimeout
	}
	logger := workflow.GetLogger(ctx)
	logger.Info("job registered: waiting for its webhook, polling meanwhile", "JobId", in.JobID, "WaitTimeout", wait)
	pollCtx, cancelPoll := workflow.WithCancel(ctx)
	defer cancelPoll()
	var polled *contract.JobStatus
	workflow.Go(pollCtx, func(gctx workflow.Context) {
		// The first poll comes after one poll interval: a job registered before it finished is rarely done
		// at once. Then the activity's retry policy is the poll loop, until the deadline.
		if err := workflow.Sleep(gctx, pollFirstWait(in.PollInterval)); err != nil {
			return // canceled: the webhook came first
		}
		opts := jobPollOptions(in.PollInterval)
		opts.ScheduleToCloseTimeout = wait
		var st contract.JobStatus
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(gctx, opts), a.AwaitJob, in.JobID).Get(gctx, &st); err != nil {
			if gctx.Err() == nil && !temporal.IsCanceledError(err) {
				logger.Warn("job poll stopped: waiting for the webhook only", "JobId", in.JobID, "Error", err)
			}
			return
		}
		polled = &st
	})
	if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return finished != nil || polled != nil }); err != nil {
		return in, err
	}
	switch {
	case finished != nil: // the webhook, even when it came in the same task as the deadline
		return *finished, nil
	case polled != nil:
		f := contract.JobInput{JobID: in.JobID, Status: polled.Status, DatafileURL: polled.DatafileURL, ErrorMessage: polled.Message}
		if err := validateJob(f); err != nil {
			return in, temporal.NewNonRetryableApplicationError("polled job: "+err.Error(), contract.ErrTypeAPI, nil)
		}
		return f, nil
	default:
		return in, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("job %d: no webhook and no terminal status within %s; a webhook arriving later starts a new run", in.JobID, wait),
			contract.ErrTypeJobWaitExpired, nil)
	}
}

// awaitFinishedRev1 is the wait of runs started before RevisionJobWait: the first poll at once, the run failing
// when the poll fails for good. Kept so those runs replay exactly as they ran.
func awaitFinishedRev1(ctx workflow.Context, in contract.JobInput, finished **contract.JobInput) (contract.JobInput, error) {
	workflow.GetLogger(ctx).Info("job registered: waiting for its webhook, polling meanwhile", "JobId", in.JobID)
	pollCtx, cancelPoll := workflow.WithCancel(ctx)
	defer cancelPoll()
	var polled contract.JobStatus
	var pollErr error
	polledDone := false
	poll := workflow.ExecuteActivity(workflow.WithActivityOptions(pollCtx, jobPollOptions(in.PollInterval)), a.AwaitJob, in.JobID)
	workflow.Go(ctx, func(gctx workflow.Context) {
		pollErr = poll.Get(gctx, &polled)
		polledDone = true
	})
	if err := workflow.Await(ctx, func() bool { return *finished != nil || polledDone }); err != nil {
		return in, err
	}
	if *finished != nil {
		return **finished, nil
	}
	if pollErr != nil {
		return in, fmt.Errorf("watch job %d: %w", in.JobID, pollErr)
	}
	f := contract.JobInput{JobID: in.JobID, Status: polled.Status, DatafileURL: polled.DatafileURL, ErrorMessage: polled.Message}
	if err := validateJob(f); err != nil {
		return in, temporal.NewNonRetryableApplicationError("polled job: "+err.Error(), contract.ErrTypeAPI, nil)
	}
	return f, nil
}

// JobWorkflow processes one finished SocialData job, exactly once per job id (its workflow ID is
// contract.JobWorkflowID). Started by the webhook, it has the job at once; started by a registration (POST /v1/jobs,
// or `temporal workflow start` with only job_id), it waits for the webhook and polls GET /jobs/{id} meanwhile.
// It archives the webhook that announced the job (if any), then:
//   - status "error": records the provider's message in the job manifest and completes;
//   - status "success": streams the datafile into MinIO and records size, sha256 and source in the manifest.
//     An expired (403) datafile URL is replaced once by a fresh one from GET /jobs/{id}.
//
// A datafile that cannot be fetched for a non-retryable reason (host not allowed, 4xx) is recorded in the
// manifest as "fetch_failed" and the run fails with that reason, so it stands out in the Temporal UI.
func JobWorkflow(ctx workflow.Context, in contract.JobInput) (contract.JobResult, error) {
	if err := validateJob(in); err != nil {
		return contract.JobResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidInput, nil)
	}
	finished, err := awaitFinished(ctx, in)
	if err != nil {
		return contract.JobResult{JobID: in.JobID}, err
	}
	finished.Revision = in.Revision // the run's revision is the one it was started with
	in = finished
	logger := workflow.GetLogger(ctx)
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	result := contract.JobResult{JobID: in.JobID, Status: in.Status, ErrorMessage: in.ErrorMessage}

	if in.Raw != nil {
		if err := storageStep(ctx, in.Revision, a.ArchiveRaw, contract.ArchiveRawInput{WorkflowID: wfID, Event: *in.Raw}, &result.RawKey); err != nil {
			return result, fmt.Errorf("archive raw webhook: %w", err)
		}
	}

	manifest := contract.JobManifest{JobID: in.JobID, Status: in.Status, ErrorMessage: in.ErrorMessage, WorkflowID: wfID}
	var fetchErr error
	if in.Status == contract.JobStatusSuccess {
		manifest.Datafile, manifest.Status, manifest.ErrorMessage, fetchErr = fetchWithRefresh(ctx, in.JobID, in.DatafileURL)
		result.Status, result.ErrorMessage = manifest.Status, manifest.ErrorMessage
		if manifest.Datafile != nil {
			result.DatafileKey, result.Size, result.SHA256 = manifest.Datafile.Key, manifest.Datafile.Size, manifest.Datafile.SHA256
		}
	}
	manifest.RecordedAt = workflow.Now(ctx).UTC()
	if err := storageStep(ctx, in.Revision, a.WriteJobManifest, manifest, &result.ManifestKey); err != nil {
		return result, fmt.Errorf("write job manifest: %w", err)
	}
	if fetchErr != nil {
		return result, fetchErr
	}
	logger.Info("job processed", "JobId", in.JobID, "Status", result.Status)
	return result, nil
}

// fetchWithRefresh fetches the datafile, replacing an expired URL once with a fresh one from the API. It
// returns the datafile, the status to record and its message, and a non-nil error when the run must fail.
func fetchWithRefresh(ctx workflow.Context, jobID int64, url string) (*contract.Datafile, string, string, error) {
	df, err := fetchDatafile(ctx, jobID, url)
	if err == nil {
		return df, contract.JobStatusSuccess, "", nil
	}
	if errorType(err) == contract.ErrTypeURLExpired {
		workflow.GetLogger(ctx).Info("datafile URL expired, refreshing job", "JobId", jobID)
		var fresh contract.JobStatus
		apiCtx := workflow.WithActivityOptions(ctx, apiOptions)
		if rerr := workflow.ExecuteActivity(apiCtx, a.RefreshJob, jobID).Get(ctx, &fresh); rerr != nil {
			err = fmt.Errorf("%w; refreshing the job failed: %w", err, rerr)
		} else {
			switch {
			case fresh.Status == contract.JobStatusError:
				return nil, contract.JobStatusError, fresh.Message, nil
			case fresh.Status == contract.JobStatusSuccess && fresh.DatafileURL != "":
				if df, err = fetchDatafile(ctx, jobID, fresh.DatafileURL); err == nil {
					return df, contract.JobStatusSuccess, "", nil
				}
			default:
				err = fmt.Errorf("%w; refreshed job has status %q and no datafile URL", err, fresh.Status)
			}
		}
	}
	reason, typ := failureMessage(err), errorType(err)
	switch typ {
	case contract.ErrTypeHostNotAllowed, contract.ErrTypeURLExpired, contract.ErrTypeDatafileClient, contract.ErrTypeInvalidInput, contract.ErrTypeAPI, contract.ErrTypeBalanceExhausted, legacyErrTypeJobAPI, contract.ErrTypeTooLarge:
	default:
		typ = contract.ErrTypeFetchFailed
	}
	return nil, contract.ManifestFetchFailed, reason,
		temporal.NewNonRetryableApplicationError("datafile not fetched: "+reason, typ, nil)
}

func fetchDatafile(ctx workflow.Context, jobID int64, url string) (*contract.Datafile, error) {
	var df contract.Datafile
	fetchCtx := workflow.WithActivityOptions(ctx, fetchOptions)
	if err := workflow.ExecuteActivity(fetchCtx, a.FetchDatafile,
		contract.FetchDatafileInput{JobID: jobID, URL: url}).Get(ctx, &df); err != nil {
		return nil, err
	}
	return &df, nil
}

// errorType returns the application error type inside err, or "".
func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// failureMessage returns the innermost application error's message (the human-readable reason), or err's text.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

func validateJob(in contract.JobInput) error {
	if in.JobID <= 0 {
		return contract.ErrInvalidJobID
	}
	if in.Status == "" && in.Raw == nil {
		return nil // registered: the run waits for the webhook or polls
	}
	if err := contract.CheckJobFinished(in.Status, in.DatafileURL); err != nil {
		return err
	}
	if in.Raw != nil && len(in.Raw.Body) == 0 {
		return errors.New("raw event has no body")
	}
	return nil
}

// legacyErrTypeJobAPI is the error type job refreshes failed with before SocialData failures had one
// classification (contract.ErrTypeAPI); recognised so runs recorded with it replay as they ran.
const legacyErrTypeJobAPI = "SocialDataJobAPIError"
