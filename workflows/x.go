package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// XEventWorkflow processes one X event exactly once (its ID is contract.XWorkflowID of the event's own identity). It
// archives the event, stores what it carries (tweets, delete tombstones), hands every user in it to the
// profile entities, then — for AAA events, which X delivers once per subscribed user — waits DeliveryWindow
// for the same event delivered for other users (contract.DeliveredSignal) and records all recipients.
func XEventWorkflow(ctx workflow.Context, in contract.XEventInput) (contract.XEventResult, error) {
	if in.Kind == "" || len(in.Raw.Body) == 0 || in.Raw.Source == "" {
		return contract.XEventResult{}, temporal.NewNonRetryableApplicationError("X event needs a kind and a raw body", contract.ErrTypeInvalidInput, nil)
	}
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	delivered := workflow.GetSignalChannel(ctx, contract.DeliveredSignal)
	var res contract.XEventResult
	var stored contract.StoredXEvent
	if err := archiveThenStore(ctx, in.Revision, in.Raw, &res.RawKey,
		a.StoreXEvent, contract.StoreXEventInput{WorkflowID: wfID, Event: in.Raw}, &stored); err != nil {
		return res, err
	}
	res.Keys = stored.Keys
	var err error
	if res.ObservedUsers, err = observeAll(ctx, in.Revision, stored.Observations); err != nil {
		return res, err
	}
	if in.ForUserID == "" {
		return res, nil
	}

	recipients := []string{in.ForUserID}
	add := func(id string) {
		if id != "" && !slices.Contains(recipients, id) {
			recipients = append(recipients, id)
		}
	}
	if in.DeliveryWindow > 0 {
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, in.DeliveryWindow)
		for done := false; !done; {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(delivered, func(c workflow.ReceiveChannel, _ bool) {
				var id string
				c.Receive(ctx, &id)
				add(id)
			})
			sel.AddFuture(timer, func(workflow.Future) { done = true })
			sel.Select(ctx)
		}
		cancelTimer()
	}
	for {
		var id string
		if !delivered.ReceiveAsync(&id) {
			break
		}
		add(id)
	}
	slices.Sort(recipients)
	res.Recipients = recipients
	record := contract.XDeliveries{WorkflowID: wfID, EventType: in.EventType, ForUserIDs: recipients, RecordedAt: workflow.Now(ctx).UTC()}
	if err := storageStep(ctx, in.Revision, a.WriteXDeliveries, record, &res.DeliveriesKey); err != nil {
		return res, fmt.Errorf("record deliveries: %w", err)
	}
	return res, nil
}
