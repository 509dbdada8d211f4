package starts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// Plan is what one event, or one delivery of several, needs started: a start each, and the follow-up a
// duplicate of it gets. The Plan* methods build it from a parsed event; Run runs it. A plan is rebuilt the same
// from the same body: the spool drainer replays a spooled body through the same plan as the live webhook.
type Plan struct {
	reqs []Request
	// forUsers[i], when set, is told to reqs[i]'s run if it is a duplicate (X: one more recipient).
	forUsers []string
	// job marks a job_finished plan: a duplicate is handed to the running job (registered before its webhook).
	job bool
}

// WorkflowIDs returns the workflow ID of each start of p, in order (Run's outcomes come in the same order).
func (p Plan) WorkflowIDs() []string {
	ids := make([]string, len(p.reqs))
	for i, r := range p.reqs {
		ids[i] = r.ID
	}
	return ids
}

// PlanJobFinished plans a job_finished webhook (raw is the webhook as received): its JobWorkflow run, or, when
// the job was registered before its webhook, the webhook handed to that run.
func (s *Starter) PlanJobFinished(job socialdata.Job, raw contract.RawEvent) Plan {
	return Plan{reqs: []Request{Job(job, &raw)}, job: true}
}

// PlanJobRegistration plans the start of a job registered before its webhook, with the Starter's
// JobPollInterval and JobWaitTimeout. A duplicate is only that: the job is registered, or has its webhook.
func (s *Starter) PlanJobRegistration(jobID int64) Plan {
	return Plan{reqs: []Request{RegisteredJob(jobID, s.JobPollInterval, s.JobWaitTimeout)}}
}

// PlanMonitorEvent plans a monitor event, from a webhook or a poll.
func (s *Starter) PlanMonitorEvent(ev socialdata.MonitorEvent, raw contract.RawEvent) Plan {
	return Plan{reqs: []Request{MonitorEvent(ev, raw)}}
}

// PlanUnknown plans an event the pipeline does not process yet: archived once per body, never dropped.
func (s *Starter) PlanUnknown(raw contract.RawEvent) Plan {
	return Plan{reqs: []Request{Archive(contract.ArchiveEventWorkflowID(raw.Source, digest(raw.Body)), raw)}}
}

// PlanXDelivery plans an X delivery (body as received): one run per event, told the recipient when it is a
// duplicate; typing/read indicators archived together; unknown keys (or no event at all) make the whole
// delivery archived.
func (s *Starter) PlanXDelivery(d xwebhook.Delivery, body []byte, receivedAt time.Time) Plan {
	var p Plan
	for _, ev := range d.Events {
		p.reqs = append(p.reqs, s.xEventStart(ev, receivedAt))
		p.forUsers = append(p.forUsers, ev.ForUserID)
	}
	if len(d.Ephemeral) > 0 {
		p.reqs = append(p.reqs, Archive(contract.XEphemeralWorkflowID(digest(body)),
			contract.RawEvent{Source: contract.SourceX, EventType: "indicators", ReceivedAt: receivedAt, Body: body}))
	}
	if len(d.Unknown) > 0 || len(p.reqs) == 0 {
		p.reqs = append(p.reqs, Archive(contract.ArchiveEventWorkflowID(contract.SourceX, digest(body)),
			contract.RawEvent{Source: contract.SourceX, EventType: "unknown", ReceivedAt: receivedAt, Body: body}))
	}
	return p
}

// xEventStart derives an X event's workflow start.
func (s *Starter) xEventStart(ev xwebhook.Event, now time.Time) Request {
	// AAA delivers an event once per subscribed user: the run waits the delivery window to record them all.
	// An XAA event_uuid is one delivery: nothing to wait for.
	eventType, window := ev.Kind, s.XDeliveryWindow
	if ev.API == xwebhook.APIActivity {
		eventType, window = ev.EventType, 0
	}
	attrs := []temporal.SearchAttributeUpdate{
		contract.EventTypeKey.ValueSet(eventType),
		contract.SourceKey.ValueSet(contract.SourceX),
	}
	if ev.ForUserID != "" {
		attrs = append(attrs, contract.UserIDKey.ValueSet(ev.ForUserID))
	}
	return Request{
		ID:       contract.XWorkflowID(ev.Kind, ev.Identity...),
		Workflow: contract.XEventWorkflowName,
		Summary:  fmt.Sprintf("X %s %s (%s) for user %s", ev.API, eventType, ev.Identity[0], ev.ForUserID),
		Attrs:    attrs,
		Input: contract.XEventInput{
			API: ev.API, Kind: ev.Kind, EventType: eventType, ForUserID: ev.ForUserID,
			DeliveryWindow: window,
			Raw:            contract.RawEvent{Source: contract.SourceX, EventType: eventType, ReceivedAt: now, Body: ev.Body},
			Revision:       contract.CurrentRevision,
		},
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
