package ingress

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
)

// Start outcomes, returned as {"status": ...}.
const (
	statusAccepted  = "accepted"
	statusDuplicate = "duplicate"
)

// start starts req's workflow and answers: 200 accepted once Temporal has the start, 200 duplicate when a run
// with that ID exists or existed within the namespace's retention (the dedupe window), 503 otherwise.
func (s *Server) start(c *gin.Context, req startRequest) {
	c.Set(ctxWorkflowID, req.id)
	status, err := s.startOne(c.Request.Context(), req)
	if err != nil {
		abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": status, "workflow_id": req.id})
}

// startOne starts req's workflow with RejectDuplicate and returns statusAccepted or statusDuplicate. The start
// runs on a context detached from the client's connection: once the body is read, a client that hangs up
// must not abort a start that may already be half done.
func (s *Server) startOne(parent context.Context, req startRequest) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       req.id,
		TaskQueue:                                s.opts.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(req.attrs...),
		StaticSummary:                            req.summary,
	}, req.workflow, req.input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		return statusAccepted, nil
	case errors.As(err, &started):
		return statusDuplicate, nil
	default:
		s.logger.Error("start workflow failed", zap.String("workflow_id", req.id),
			zap.String("workflow", req.workflow), zap.Error(err))
		return "", err
	}
}
