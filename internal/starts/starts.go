// Package starts owns how an event becomes a workflow start, for every kind of event the pipeline takes in
// (SocialData job_finished, job registrations, monitor events and unknown events, X deliveries): the workflow
// ID, type, search attributes, summary and input of each start; the dedupe rules of the start itself
// (AllowDuplicateFailedOnly: an ID whose run is open, or completed within the namespace's retention, is a
// duplicate); the follow-up a duplicate gets (a job's webhook handed to its registered run, an X run told one
// more recipient) and the restart of a run that closed without processing its event; and the outcome of it
// all: accepted, duplicate, refused by its run (RejectedError), or an error worth retrying later.
//
// A Starter does all of it. The ingress (live webhooks and the spool drainer) and the poller both start
// through one, so a webhook and a poll that find the same event converge on the same run. Reading HTTP
// bodies into events, answering them and spooling them are the ingress's.
package starts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
)

// Outcomes of a start.
const (
	Accepted  = "accepted"
	Duplicate = "duplicate"
)

// Request is one workflow start.
type Request struct {
	ID       string
	Workflow string
	Summary  string
	Attrs    []temporal.SearchAttributeUpdate
	Input    any
}

// start starts req on taskQueue and returns Accepted, or Duplicate when a run with that ID is open or
// completed within retention.
//
// The reuse policy is AllowDuplicateFailedOnly: a run that closed without completing — failed, timed out,
// terminated or canceled — did not process its event, so a later delivery of the same event starts a new
// run instead of being answered duplicate. A completed run is the proof that the event was processed; an
// open one will process it (or hand it on: see Starter.Run).
//
// Starts ask to be eager: when a worker for taskQueue runs on c with a free slot (the ingress's own worker,
// INGRESS_WORKER; the worker process for the poller's starts), the server returns the first workflow task with
// the start and that worker runs it at once. Otherwise — or when the server has eager start disabled — it is
// an ordinary start.
func start(ctx context.Context, c client.Client, taskQueue string, req Request) (string, error) {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       req.ID,
		TaskQueue:                                taskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(req.Attrs...),
		StaticSummary:                            req.Summary,
		EnableEagerStart:                         true,
	}, req.Workflow, req.Input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		return Accepted, nil
	case errors.As(err, &started):
		return Duplicate, nil
	default:
		return "", fmt.Errorf("start %s: %w", req.ID, err)
	}
}

// runState is where the latest run of a workflow ID stands.
type runState int

// Run states, as processed reports them.
const (
	// runOpen: the run is still going (or continued as new).
	runOpen runState = iota
	// runCompleted: the run completed, so its event was processed.
	runCompleted
	// runClosedUnprocessed: the run failed, timed out, was terminated or canceled: its event was not processed,
	// and starting the ID again is allowed.
	runClosedUnprocessed
)

// processed reports where the latest run of workflowID stands. A follow-up that could not reach a run it was
// answered duplicate for (the run closed in between) asks it whether that run processed the event.
func processed(ctx context.Context, c client.Client, workflowID string) (runState, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return runOpen, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	switch desc.GetWorkflowExecutionInfo().GetStatus() {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING, enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return runOpen, nil
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return runCompleted, nil
	default:
		return runClosedUnprocessed, nil
	}
}

// Job is the start of JobWorkflow for a job_finished webhook (raw is the webhook as received).
func Job(job socialdata.Job, raw *contract.RawEvent) Request {
	return jobRequest(fmt.Sprintf("SocialData job %d finished: %s", job.JobID, job.Status), contract.JobInput{
		JobID: job.JobID, Status: job.Status, DatafileURL: job.DatafileURL, ErrorMessage: job.Message, Raw: raw,
		Revision: contract.CurrentRevision,
	})
}

// RegisteredJob is the start of JobWorkflow for a job registered before its webhook: the run waits for the
// webhook up to waitTimeout, polling GET /jobs/{id} every pollInterval (then ×1.5) meanwhile.
func RegisteredJob(jobID int64, pollInterval, waitTimeout time.Duration) Request {
	return jobRequest(fmt.Sprintf("SocialData job %d registered, waiting for it to finish", jobID), contract.JobInput{
		JobID: jobID, PollInterval: pollInterval, WaitTimeout: waitTimeout, Revision: contract.CurrentRevision,
	})
}

func jobRequest(summary string, in contract.JobInput) Request {
	return Request{
		ID:       contract.JobWorkflowID(in.JobID),
		Workflow: contract.JobWorkflowName,
		Summary:  summary,
		Attrs: []temporal.SearchAttributeUpdate{
			contract.EventTypeKey.ValueSet(contract.EventJobFinished),
			contract.SourceKey.ValueSet(contract.SourceSocialData),
			contract.JobIDKey.ValueSet(strconv.FormatInt(in.JobID, 10)),
		},
		Input: in,
	}
}

// MonitorEvent is the start of MonitorEventWorkflow for a monitor event, from a webhook or a poll.
func MonitorEvent(ev socialdata.MonitorEvent, raw contract.RawEvent) Request {
	var id, summary string
	switch ev.Event {
	case contract.EventNewTweet:
		id = contract.TweetWorkflowID(ev.Meta.MonitorID, ev.TweetID)
		summary = fmt.Sprintf("New tweet %s by user %s", ev.TweetID, ev.UserID)
	case contract.EventNewFollowing:
		id = contract.FollowingWorkflowID(ev.Meta.MonitorID, ev.UserID)
		summary = fmt.Sprintf("User %s now follows user %s", ev.Meta.MonitoredIDStr, ev.UserID)
	default:
		id = contract.ProfileUpdateWorkflowID(ev.UserID, contract.ProfileHash(ev.Data))
		summary = fmt.Sprintf("Profile update of user %s (%d fields reported)", ev.UserID, len(ev.Changes))
	}
	if raw.Source != contract.SourceSocialData {
		summary += " [" + raw.Source + "]"
	}
	return Request{
		ID:       id,
		Workflow: contract.MonitorEventWorkflowName,
		Summary:  summary,
		Attrs: []temporal.SearchAttributeUpdate{
			contract.EventTypeKey.ValueSet(ev.Event),
			contract.SourceKey.ValueSet(raw.Source),
			contract.MonitorIDKey.ValueSet(ev.Meta.MonitorID),
			contract.UserIDKey.ValueSet(ev.UserID),
		},
		Input: contract.MonitorEventInput{
			EventType: ev.Event, MonitorID: ev.Meta.MonitorID, UserID: ev.UserID, TweetID: ev.TweetID, Raw: raw,
			Revision: contract.CurrentRevision,
		},
	}
}

// Archive is the start of ArchiveEventWorkflow for raw under id.
func Archive(id string, raw contract.RawEvent) Request {
	return Request{
		ID:       id,
		Workflow: contract.ArchiveEventWorkflowName,
		Summary:  fmt.Sprintf("%s %s archived", raw.Source, raw.EventType),
		Attrs: []temporal.SearchAttributeUpdate{
			contract.EventTypeKey.ValueSet(raw.EventType),
			contract.SourceKey.ValueSet(raw.Source),
		},
		Input: raw,
	}
}
