// Package starts owns how an event becomes a workflow start: the workflow ID, type, search attributes, summary
// and input for each kind of event, and the dedupe rules of the start itself (RejectDuplicate: an ID seen
// within the namespace's retention is a duplicate). The ingress and the poller both start through it, so a
// webhook and a poll that find the same event converge on the same run.
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

	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/workflows"
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

// Start starts req on taskQueue and returns Accepted, or Duplicate when a run with that ID exists or existed
// within retention.
//
// Starts ask to be eager: when a worker for taskQueue runs on c with a free slot (the ingress's own worker,
// INGRESS_WORKER; the worker process for the poller's starts), the server returns the first workflow task with
// the start and that worker runs it at once. Otherwise — or when the server has eager start disabled — it is
// an ordinary start.
func Start(ctx context.Context, c client.Client, taskQueue string, req Request) (string, error) {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       req.ID,
		TaskQueue:                                taskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
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

// Job is the start of JobWorkflow for a job_finished webhook (raw set) or a registration (raw nil, no status;
// pollInterval is its first wait between polls).
func Job(job socialdata.Job, raw *workflows.RawEvent, pollInterval time.Duration) Request {
	summary := fmt.Sprintf("SocialData job %d registered, waiting for it to finish", job.JobID)
	if job.Status != "" {
		summary = fmt.Sprintf("SocialData job %d finished: %s", job.JobID, job.Status)
	}
	return Request{
		ID:       workflows.JobWorkflowID(job.JobID),
		Workflow: workflows.JobWorkflowName,
		Summary:  summary,
		Attrs: []temporal.SearchAttributeUpdate{
			workflows.EventTypeKey.ValueSet(workflows.EventJobFinished),
			workflows.SourceKey.ValueSet(workflows.SourceSocialData),
			workflows.JobIDKey.ValueSet(strconv.FormatInt(job.JobID, 10)),
		},
		Input: workflows.JobInput{
			JobID: job.JobID, Status: job.Status, DatafileURL: job.DatafileURL, ErrorMessage: job.Message, Raw: raw,
			PollInterval: pollInterval, Revision: workflows.CurrentRevision,
		},
	}
}

// MonitorEvent is the start of MonitorEventWorkflow for a monitor event, from a webhook or a poll.
func MonitorEvent(ev socialdata.MonitorEvent, raw workflows.RawEvent) Request {
	var id, summary string
	switch ev.Event {
	case socialdata.EventNewTweet:
		id = workflows.TweetWorkflowID(ev.Meta.MonitorID, ev.TweetID)
		summary = fmt.Sprintf("New tweet %s by user %s", ev.TweetID, ev.UserID)
	case socialdata.EventNewFollowing:
		id = workflows.FollowingWorkflowID(ev.Meta.MonitorID, ev.UserID)
		summary = fmt.Sprintf("User %s now follows user %s", ev.Meta.MonitoredIDStr, ev.UserID)
	default:
		id = workflows.ProfileUpdateWorkflowID(ev.UserID, workflows.ProfileHash(ev.Data))
		summary = fmt.Sprintf("Profile update of user %s (%d fields reported)", ev.UserID, len(ev.Changes))
	}
	if raw.Source != workflows.SourceSocialData {
		summary += " [" + raw.Source + "]"
	}
	return Request{
		ID:       id,
		Workflow: workflows.MonitorEventWorkflowName,
		Summary:  summary,
		Attrs: []temporal.SearchAttributeUpdate{
			workflows.EventTypeKey.ValueSet(ev.Event),
			workflows.SourceKey.ValueSet(raw.Source),
			workflows.MonitorIDKey.ValueSet(ev.Meta.MonitorID),
			workflows.UserIDKey.ValueSet(ev.UserID),
		},
		Input: workflows.MonitorEventInput{
			EventType: ev.Event, MonitorID: ev.Meta.MonitorID, UserID: ev.UserID, TweetID: ev.TweetID, Raw: raw,
			Revision: workflows.CurrentRevision,
		},
	}
}

// Archive is the start of ArchiveEventWorkflow for raw under id.
func Archive(id string, raw workflows.RawEvent) Request {
	return Request{
		ID:       id,
		Workflow: workflows.ArchiveEventWorkflowName,
		Summary:  fmt.Sprintf("%s %s archived", raw.Source, raw.EventType),
		Attrs: []temporal.SearchAttributeUpdate{
			workflows.EventTypeKey.ValueSet(raw.EventType),
			workflows.SourceKey.ValueSet(raw.Source),
		},
		Input: raw,
	}
}
