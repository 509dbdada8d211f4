package ingress

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/internal/socialdata"
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
		s.start(c, startRequest{
			id:       workflows.JobWorkflowID(job.JobID),
			workflow: workflows.JobWorkflowName,
			summary:  fmt.Sprintf("SocialData job %d finished: %s", job.JobID, job.Status),
			attrs: []temporal.SearchAttributeUpdate{
				workflows.EventTypeKey.ValueSet(hook.Event),
				workflows.SourceKey.ValueSet(workflows.SourceSocialData),
				workflows.JobIDKey.ValueSet(strconv.FormatInt(job.JobID, 10)),
			},
			input: workflows.JobInput{
				JobID:        job.JobID,
				Status:       job.Status,
				DatafileURL:  job.DatafileURL,
				ErrorMessage: job.Message,
				Raw:          raw,
			},
		})
	case socialdata.EventNewTweet, socialdata.EventNewFollowing, socialdata.EventProfileUpdate:
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			abortJSON(c, http.StatusBadRequest, "invalid "+hook.Event+": "+err.Error())
			return
		}
		s.start(c, monitorStart(ev, raw))
	default:
		s.startArchive(c, raw)
	}
}

// monitorStart derives a monitor event's workflow ID, search attributes and summary.
func monitorStart(ev socialdata.MonitorEvent, raw *workflows.RawEvent) startRequest {
	var id, summary string
	switch ev.Event {
	case socialdata.EventNewTweet:
		id = workflows.TweetWorkflowID(ev.Meta.MonitorID, ev.TweetID)
		summary = fmt.Sprintf("New tweet %s by user %s", ev.TweetID, ev.UserID)
	case socialdata.EventNewFollowing:
		id = workflows.FollowingWorkflowID(ev.Meta.MonitorID, ev.UserID)
		summary = fmt.Sprintf("User %s now follows user %s", ev.Meta.MonitoredIDStr, ev.UserID)
	default:
		id = workflows.ProfileUpdateWorkflowID(ev.UserID, workflows.ProfileHash(ev.Data))
		summary = fmt.Sprintf("Profile update of user %s (%d fields reported)", ev.UserID, len(ev.Changes))
	}
	return startRequest{
		id:       id,
		workflow: workflows.MonitorEventWorkflowName,
		summary:  summary,
		attrs: []temporal.SearchAttributeUpdate{
			workflows.EventTypeKey.ValueSet(ev.Event),
			workflows.SourceKey.ValueSet(workflows.SourceSocialData),
			workflows.MonitorIDKey.ValueSet(ev.Meta.MonitorID),
			workflows.UserIDKey.ValueSet(ev.UserID),
		},
		input: workflows.MonitorEventInput{
			EventType: ev.Event, MonitorID: ev.Meta.MonitorID, UserID: ev.UserID, TweetID: ev.TweetID, Raw: *raw,
		},
	}
}

// startArchive starts ArchiveEventWorkflow for an event type the pipeline does not process yet. Its ID comes
// from the body's digest, so a re-delivered body is archived once.
func (s *Server) startArchive(c *gin.Context, raw *workflows.RawEvent) {
	sum := sha256.Sum256(raw.Body)
	s.start(c, archiveStart(workflows.ArchiveEventWorkflowID(raw.Source, hex.EncodeToString(sum[:])), raw))
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

// startRequest is one workflow start.
type startRequest struct {
	id       string
	workflow string
	summary  string
	attrs    []temporal.SearchAttributeUpdate
	input    any
}
