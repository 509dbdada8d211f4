package starts

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
)

// The follow-ups a duplicate gets (see Run).

// deliverJobWebhook hands a job_finished webhook to the open run of the job (JobFinishedUpdate) and returns
// what the run says: Accepted if it was a registered job still waiting, Duplicate if it has the job already.
// An error means the update did not reach the run or the run refused it (startEvent decides).
func (s *Starter) deliverJobWebhook(parent context.Context, req Request) (string, error) {
	ctx, cancel := s.bound(parent)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   req.ID,
		UpdateName:   contract.JobFinishedUpdate,
		Args:         []any{req.Input},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var outcome string
	if err == nil {
		err = h.Get(ctx, &outcome)
	}
	if err != nil {
		s.logger().Info("job webhook not handed to the run", zap.String("workflow_id", req.ID), zap.Error(err))
		return "", err
	}
	return outcome, nil
}

// signalDelivered tells the open run of an event about one more recipient. An error means the signal did not
// reach it: the run closed (past its delivery window, or without processing), or Temporal is unavailable.
func (s *Starter) signalDelivered(parent context.Context, workflowID, forUserID string) error {
	ctx, cancel := s.bound(parent)
	defer cancel()
	if err := s.Temporal.SignalWorkflow(ctx, workflowID, "", contract.DeliveredSignal, forUserID); err != nil {
		s.logger().Info("duplicate delivery not signalled to the run", zap.String("workflow_id", workflowID), zap.Error(err))
		return err
	}
	return nil
}
