package ingress

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// maxParallelStarts bounds the starts one multi-event X delivery runs at once.
const maxParallelStarts = 8

// xSecrets returns the secrets a request may be verified with: the named app's (/webhooks/x/:app) or all.
func (s *Server) xSecrets(c *gin.Context) ([]xwebhook.Secret, bool) {
	if len(s.opts.XSecrets) == 0 {
		abortJSON(c, http.StatusServiceUnavailable, "X webhooks disabled: X_CONSUMER_SECRET is not set")
		return nil, false
	}
	app := c.Param("app")
	if app == "" {
		return s.opts.XSecrets, true
	}
	for _, sec := range s.opts.XSecrets {
		if sec.Name == app {
			return []xwebhook.Secret{sec}, true
		}
	}
	abortJSON(c, http.StatusNotFound, "no X app with this name")
	return nil, false
}

// xCRC answers X's challenge: GET /webhooks/x?crc_token=T (the first secret) or /webhooks/x/:app?crc_token=T.
func (s *Server) xCRC(c *gin.Context) {
	secrets, ok := s.xSecrets(c)
	if !ok {
		return
	}
	token := c.Query("crc_token")
	if token == "" {
		abortJSON(c, http.StatusBadRequest, "missing crc_token")
		return
	}
	c.JSON(http.StatusOK, gin.H{"response_token": xwebhook.CRCResponse(secrets[0], token)})
}

// xWebhook handles POST /webhooks/x[/:app]: the signature is checked on the raw body before anything is
// parsed; a forged or unsigned request gets 401 and nothing is started or stored. Every event of a delivery
// gets its own workflow, keyed by the event's identity; typing/read indicators are archived together; keys
// the pipeline does not know make the whole delivery archived. 200 only when every start was accepted.
func (s *Server) xWebhook(c *gin.Context) {
	secrets, ok := s.xSecrets(c)
	if !ok {
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if _, ok := xwebhook.Verify(secrets, body, c.GetHeader(xwebhook.SignatureHeader)); !ok {
		abortJSON(c, http.StatusUnauthorized, "unauthorized")
		return
	}
	s.accept(c, routeX, body)
}

// xEventStart derives an X event's workflow start.
func (s *Server) xEventStart(ev xwebhook.Event, now time.Time) starts.Request {
	// AAA delivers an event once per subscribed user: the run waits the delivery window to record them all.
	// An XAA event_uuid is one delivery: nothing to wait for.
	eventType, window := ev.Kind, s.opts.XDeliveryWindow
	if ev.API == xwebhook.APIActivity {
		eventType, window = ev.EventType, 0
	}
	attrs := []temporal.SearchAttributeUpdate{
		contract.EventTypeKey.ValueSet(eventType),
		contract.SourceKey.ValueSet(contract.SourceX),
	}
	if ev.ForUserID != "" {
		attrs = append(attrs, contract.UserIDKey.ValueSet(ev.ForUserID))
	}
	return starts.Request{
		ID:       contract.XWorkflowID(ev.Kind, ev.Identity...),
		Workflow: contract.XEventWorkflowName,
		Summary:  fmt.Sprintf("X %s %s (%s) for user %s", ev.API, eventType, ev.Identity[0], ev.ForUserID),
		Attrs:    attrs,
		Input: contract.XEventInput{
			API: ev.API, Kind: ev.Kind, EventType: eventType, ForUserID: ev.ForUserID,
			DeliveryWindow: window,
			Raw:            contract.RawEvent{Source: contract.SourceX, EventType: eventType, ReceivedAt: now, Body: ev.Body},
			Revision:       contract.CurrentRevision,
		},
	}
}

// signalDelivered tells the open run of an event about one more recipient. An error means the signal did not
// reach it: the run closed (past its delivery window, or without processing), or Temporal is unavailable.
func (s *Server) signalDelivered(parent context.Context, workflowID, forUserID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	if err := s.temporal.SignalWorkflow(ctx, workflowID, "", contract.DeliveredSignal, forUserID); err != nil {
		s.logger.Info("duplicate delivery not signalled to the run", zap.String("workflow_id", workflowID), zap.Error(err))
		return err
	}
	return nil
}
