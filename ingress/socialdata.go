package ingress

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialhook/pipeline/internal/socialdata"
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
	s.start(c, s.starter.PlanJobRegistration(job.JobID))
}
