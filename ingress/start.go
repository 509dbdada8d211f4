package ingress

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/starts"
)

// start starts one workflow for a request that is not spooled (job registrations: the caller retries) and
// answers 200 accepted/duplicate, or 503.
func (s *Server) start(c *gin.Context, req starts.Request) {
	c.Set(ctxWorkflowID, req.ID)
	status, err := s.startOne(c.Request.Context(), req)
	if err != nil {
		abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": status, "workflow_id": req.ID})
}

// startOne starts req and returns starts.Accepted or starts.Duplicate. The start runs on a context detached
// from the client's connection: once the body is read, a client that hangs up must not abort a start that may
// already be half done.
func (s *Server) startOne(parent context.Context, req starts.Request) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	status, err := starts.Start(ctx, s.temporal, s.opts.TaskQueue, req)
	if err != nil {
		s.logger.Error("start workflow failed", zap.String("workflow_id", req.ID),
			zap.String("workflow", req.Workflow), zap.Error(err))
	}
	return status, err
}
