package ingress

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialhook/pipeline/internal/starts"
)

// start starts a plan that is not spooled (job registrations: the caller retries) and answers 200
// accepted/duplicate, or 503.
func (s *Server) start(c *gin.Context, p starts.Plan) {
	id := p.WorkflowIDs()[0]
	c.Set(ctxWorkflowID, id)
	outcomes, err := s.execute(c.Request.Context(), p)
	if err != nil {
		abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
		return
	}
	c.JSON(http.StatusOK, Answer{Status: outcomes[0].Status, WorkflowID: id})
}
