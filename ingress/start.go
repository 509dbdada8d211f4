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
//
// The start runs on a context detached from the client's connection: once the body is read, a client that
// hangs up must not abort a start that may already be half done.
func (s *Server) start(c *gin.Context, req startRequest) {
	c.Set(ctxWorkflowID, req.id)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), s.opts.StartTimeout)
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
		c.JSON(http.StatusOK, gin.H{"status": statusAccepted, "workflow_id": req.id})
	case errors.As(err, &started):
		c.JSON(http.StatusOK, gin.H{"status": statusDuplicate, "workflow_id": req.id})
	default:
		s.logger.Error("start workflow failed", zap.String("workflow_id", req.id),
			zap.String("workflow", req.workflow), zap.Error(err))
		abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
	}
}
