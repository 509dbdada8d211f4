package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/storage"
)

// The read API: GET /v1/users/:id/profile, /v1/users/:id/history and /v1/events/:workflow_id, behind the
// bearer token API_TOKEN. Profiles and histories come from MinIO; events from Temporal.

// maxHistoryEntries caps one history answer.
const maxHistoryEntries = 1000

var userIDRe = regexp.MustCompile(`^[0-9]{1,20}$`)

// requireAPIToken checks "Authorization: Bearer <API_TOKEN>" in constant time.
func (s *Server) requireAPIToken(c *gin.Context) {
	if !s.apiToken.set {
		abortJSON(c, http.StatusServiceUnavailable, "read API disabled: API_TOKEN is not set")
		return
	}
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || !s.apiToken.matches(token) {
		c.Header("WWW-Authenticate", `Bearer realm="socialhook"`)
		abortJSON(c, http.StatusUnauthorized, "unauthorized")
		return
	}
	c.Next()
}

func (s *Server) userID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if !userIDRe.MatchString(id) {
		abortJSON(c, http.StatusBadRequest, "user id must be a decimal id_str")
		return "", false
	}
	return id, true
}

// getProfile answers the user's current snapshot.
func (s *Server) getProfile(c *gin.Context) {
	id, ok := s.userID(c)
	if !ok {
		return
	}
	data, err := s.store.Get(c.Request.Context(), storage.ProfileKey(id))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		abortJSON(c, http.StatusNotFound, "no profile stored for this user")
	case err != nil:
		s.storageFailed(c, err)
	default:
		c.Data(http.StatusOK, "application/json; charset=utf-8", data)
	}
}

// getHistory answers the user's change history, oldest first.
func (s *Server) getHistory(c *gin.Context) {
	id, ok := s.userID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	keys, err := s.store.List(ctx, storage.HistoryPrefix(id))
	if err != nil {
		s.storageFailed(c, err)
		return
	}
	truncated := len(keys) > maxHistoryEntries
	if truncated {
		keys = keys[len(keys)-maxHistoryEntries:]
	}
	entries := make([]json.RawMessage, 0, len(keys))
	for _, key := range keys {
		data, err := s.store.Get(ctx, key)
		if errors.Is(err, storage.ErrNotFound) {
			continue // corrected away between list and read
		}
		if err != nil {
			s.storageFailed(c, err)
			return
		}
		entries = append(entries, data)
	}
	if len(entries) == 0 {
		if _, err := s.store.Get(ctx, storage.ProfileKey(id)); errors.Is(err, storage.ErrNotFound) {
			abortJSON(c, http.StatusNotFound, "no profile stored for this user")
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"user_id": id, "entries": entries, "truncated": truncated})
}

// getEvent answers a run's status, and its result or failure once closed.
func (s *Server) getEvent(c *gin.Context) {
	wfID := c.Param("workflow_id")
	if wfID == "" || len(wfID) > 512 {
		abortJSON(c, http.StatusBadRequest, "invalid workflow id")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, wfID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		abortJSON(c, http.StatusNotFound, "no run with this workflow id")
		return
	}
	if err != nil {
		s.logger.Error("describe workflow failed", zap.String("workflow_id", wfID), zap.Error(err))
		abortJSON(c, http.StatusServiceUnavailable, "Temporal unavailable; retry later")
		return
	}
	info := desc.GetWorkflowExecutionInfo()
	out := gin.H{
		"workflow_id": wfID,
		"run_id":      info.GetExecution().GetRunId(),
		"type":        info.GetType().GetName(),
		"status":      statusName(info.GetStatus()),
		"start_time":  info.GetStartTime().AsTime(),
	}
	if info.GetCloseTime() != nil {
		out["close_time"] = info.GetCloseTime().AsTime()
	}
	if info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		var result json.RawMessage
		if err := s.temporal.GetWorkflow(ctx, wfID, info.GetExecution().GetRunId()).Get(ctx, &result); err != nil {
			out["failure"] = err.Error()
		} else if len(result) > 0 {
			out["result"] = result
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) storageFailed(c *gin.Context, err error) {
	s.logger.Error("storage read failed", zap.Error(err))
	abortJSON(c, http.StatusServiceUnavailable, "storage unavailable; retry later")
}

// statusName turns WORKFLOW_EXECUTION_STATUS_COMPLETED into "completed".
func statusName(st enums.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(st.String(), "WorkflowExecutionStatus"))
}
