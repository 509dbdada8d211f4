package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/workflows"
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
	hook, err := socialdata.ParseWebhook(body)
	if err != nil {
		abortJSON(c, http.StatusBadRequest, "invalid webhook: "+err.Error())
		return
	}
	raw := &workflows.RawEvent{
		Source:     workflows.SourceSocialData,
		EventType:  hook.Event,
		ReceivedAt: s.now().UTC(),
		Body:       body,
	}

	switch hook.Event {
	case socialdata.EventJobFinished:
		job, err := socialdata.ParseJobFinished(hook.Data)
		if err != nil {
			abortJSON(c, http.StatusBadRequest, "invalid job_finished: "+err.Error())
			return
		}
		s.startJob(c, job, raw)
	case socialdata.EventNewTweet, socialdata.EventNewFollowing, socialdata.EventProfileUpdate:
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			abortJSON(c, http.StatusBadRequest, "invalid "+hook.Event+": "+err.Error())
			return
		}
		s.start(c, starts.MonitorEvent(ev, *raw))
	default:
		s.startArchive(c, raw)
	}
}

// startArchive starts ArchiveEventWorkflow for an event type the pipeline does not process yet. Its ID comes
// from the body's digest, so a re-delivered body is archived once.
func (s *Server) startArchive(c *gin.Context, raw *workflows.RawEvent) {
	sum := sha256.Sum256(raw.Body)
	s.start(c, starts.Archive(workflows.ArchiveEventWorkflowID(raw.Source, hex.EncodeToString(sum[:])), *raw))
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

// startJob starts the job's workflow. When a run already exists — a registered job waiting for this webhook —
// the webhook is handed to it (an update that answers whether the run was still waiting), so a job is one
// workflow either way.
func (s *Server) startJob(c *gin.Context, job socialdata.Job, raw *workflows.RawEvent) {
	req := starts.Job(job, raw, s.opts.JobPollInterval)
	c.Set(ctxWorkflowID, req.ID)
	status, err := s.startOne(c.Request.Context(), req)
	if err != nil {
		abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
		return
	}
	if status == starts.Duplicate {
		status = s.deliverJobWebhook(c.Request.Context(), req)
	}
	c.JSON(http.StatusOK, gin.H{"status": status, "workflow_id": req.ID})
}

// deliverJobWebhook hands a job_finished webhook to an existing run of the job (JobFinishedUpdate) and returns
// what the run says: "accepted" if it was a registered job still waiting, "duplicate" otherwise. A run that
// has closed cannot take updates: that is a duplicate too.
func (s *Server) deliverJobWebhook(parent context.Context, req starts.Request) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   req.ID,
		UpdateName:   workflows.JobFinishedUpdate,
		Args:         []any{req.Input},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var outcome string
	if err == nil {
		err = h.Get(ctx, &outcome)
	}
	if err != nil {
		s.logger.Info("job webhook is a duplicate of a closed run", zap.String("workflow_id", req.ID), zap.Error(err))
		return starts.Duplicate
	}
	return outcome
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
	s.start(c, starts.Job(socialdata.Job{JobID: job.JobID}, nil, s.opts.JobPollInterval))
}
