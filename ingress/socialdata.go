package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
)

// socialDataWebhook handles POST /webhooks/socialdata/:token. SocialData signs nothing, so the token in the
// URL is the secret. SocialData never retries, so every body that passes the token check and parses is
// either started as a workflow or refused with a 4xx that says why; an event type the pipeline does not
// process yet is archived, never dropped.
func (s *Server) socialDataWebhook(c *gin.Context) {
	if !s.token.matches(c.Param("token")) {
		abortJSON(c, http.StatusUnauthorized, "unauthorized")
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	s.accept(c, routeSocialData, body)
}

// readBody reads the whole body through the size limit. On failure it has already answered.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			abortJSON(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", tooLarge.Limit))
			return nil, false
		}
		abortJSON(c, http.StatusBadRequest, "could not read body")
		return nil, false
	}
	if len(body) == 0 {
		abortJSON(c, http.StatusBadRequest, "empty body")
		return nil, false
	}
	return body, true
}

// deliverJobWebhook hands a job_finished webhook to the open run of the job (JobFinishedUpdate) and returns
// what the run says: "accepted" if it was a registered job still waiting, "duplicate" if it has the job
// already. An error means the update did not reach the run or the run refused it (startEvent decides).
func (s *Server) deliverJobWebhook(parent context.Context, req starts.Request) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
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
		s.logger.Info("job webhook not handed to the run", zap.String("workflow_id", req.ID), zap.Error(err))
		return "", err
	}
	return outcome, nil
}

// registerJob handles POST /v1/jobs {"job_id": N}: start the job's workflow before its webhook, to wait for it
// and poll GET /jobs/{id} meanwhile. The same workflow ID as the webhook's, so it is one run either way.
func (s *Server) registerJob(c *gin.Context) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	job, err := socialdata.ParseJob(body)
	if err != nil {
		abortJSON(c, http.StatusBadRequest, "invalid job registration: "+err.Error())
		return
	}
	s.start(c, starts.RegisteredJob(job.JobID, s.opts.JobPollInterval, s.opts.JobWaitTimeout))
}
