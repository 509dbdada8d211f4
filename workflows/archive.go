package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// ArchiveEventWorkflow stores a webhook body the pipeline does not process yet (an event type it does not
// know), so that nothing the ingress answered 200 to is ever dropped. It returns the object key.
func ArchiveEventWorkflow(ctx workflow.Context, event contract.RawEvent) (string, error) {
	if event.Source == "" || len(event.Body) == 0 {
		return "", temporal.NewNonRetryableApplicationError("archive needs a source and a body", contract.ErrTypeInvalidInput, nil)
	}
	var key string
	in := contract.ArchiveRawInput{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Event: event}
	// A regular activity, always: unknown events are rare, and the input (the raw event) carries no revision.
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storageOptions), a.ArchiveRaw, in).Get(ctx, &key); err != nil {
		return "", fmt.Errorf("archive raw event: %w", err)
	}
	workflow.GetLogger(ctx).Info("unhandled event archived", "EventType", event.EventType, "key", key)
	return key, nil
}
