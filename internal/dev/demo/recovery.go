package demo

import (
	"context"
	"errors"
	"io"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
)

// recoveryCheckEvery is how often AwaitRecovery looks the missing runs up.
const recoveryCheckEvery = 2 * time.Second

// Describer looks a run up by workflow ID; a Temporal client.Client is one.
type Describer interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

// AwaitRecovery waits until a run exists for every lost webhook of dropped, printing each to out (nil: nowhere)
// as it appears with the source that started it, and returns how many were recovered (with ctx's error if ctx
// ended first). The ingress never saw those webhooks, so only a poll can have started their runs.
func AwaitRecovery(ctx context.Context, temporal Describer, dropped []Dropped, out io.Writer, logger *zap.Logger) (int, error) {
	if len(dropped) == 0 {
		return 0, nil
	}
	start := time.Now()
	fprintf(out, "Recovery of the lost webhooks (time after the stream ended):\n")
	pending := append([]Dropped(nil), dropped...)
	ticker := time.NewTicker(recoveryCheckEvery)
	defer ticker.Stop()
	for {
		var still []Dropped
		for _, d := range pending {
			source, found, err := runSource(ctx, temporal, d.WorkflowID)
			if err != nil {
				logger.Debug("run lookup failed", zap.String("workflow_id", d.WorkflowID), zap.Error(err))
			}
			if !found {
				still = append(still, d)
				continue
			}
			logger.Info("lost webhook recovered", zap.String("workflow_id", d.WorkflowID), zap.String("source", source),
				zap.String("event_type", d.EventType), zap.Duration("after", time.Since(start)))
			fprintf(out, "  +%-5s recovered (Source=%q): %-15s %s\n", clock(time.Since(start)), source, d.EventType, d.WorkflowID)
		}
		pending = still
		if len(pending) == 0 {
			fprintf(out, "All %d lost webhooks were recovered by the poller, %s after the stream ended.\n\n",
				len(dropped), time.Since(start).Round(time.Second))
			return len(dropped), nil
		}
		select {
		case <-ctx.Done():
			return len(dropped) - len(pending), ctx.Err()
		case <-ticker.C:
		}
	}
}

// runSource returns whether a run of workflowID exists and its Source search attribute.
func runSource(ctx context.Context, temporal Describer, workflowID string) (string, bool, error) {
	desc, err := temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	var source string
	payload := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[contract.SourceKey.GetName()]
	if payload != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(payload, &source)
	}
	return source, true, nil
}
