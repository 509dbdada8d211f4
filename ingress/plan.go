package ingress

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// Routes a verified body can come in by; they name spool records.
const (
	routeSocialData = "socialdata"
	routeX          = "x"
)

// statusSpooled answers an event stored in the spool while Temporal was unavailable.
const statusSpooled = "spooled"

// badInput is a plan error that is the sender's: answered 400 with its message.
type badInput struct{ msg string }

func (e *badInput) Error() string { return e.msg }

// plan parses a verified body that came in by route into its events, and those into the starts they need
// (the Starter's rules). Handlers refuse bad input with a 400; the spool drainer rebuilds the same plan from the
// same body later.
func (s *Server) plan(route string, body []byte, receivedAt time.Time) (starts.Plan, error) {
	if route == routeX {
		d, err := xwebhook.Parse(body)
		if err != nil {
			return starts.Plan{}, &badInput{"invalid X delivery: " + err.Error()}
		}
		return s.starter.PlanXDelivery(d, body, receivedAt), nil
	}
	hook, err := socialdata.ParseWebhook(body)
	if err != nil {
		return starts.Plan{}, &badInput{"invalid webhook: " + err.Error()}
	}
	raw := contract.RawEvent{Source: contract.SourceSocialData, EventType: hook.Event, ReceivedAt: receivedAt, Body: body}
	switch hook.Event {
	case contract.EventJobFinished:
		job, err := socialdata.ParseJobFinished(hook.Data)
		if err != nil {
			return starts.Plan{}, &badInput{"invalid job_finished: " + err.Error()}
		}
		return s.starter.PlanJobFinished(job, raw), nil
	case contract.EventNewTweet, contract.EventNewFollowing, contract.EventProfileUpdate:
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			return starts.Plan{}, &badInput{"invalid " + hook.Event + ": " + err.Error()}
		}
		return s.starter.PlanMonitorEvent(ev, raw), nil
	default:
		// An event type the pipeline does not process yet: archived, never dropped.
		return s.starter.PlanUnknown(raw), nil
	}
}

// execute runs p through the Starter and returns one outcome each. The starts run on a context detached from
// the caller's: once a body is read, a client that hangs up (or a drainer told to stop) must not abort a start
// that may already be half done; the Starter bounds each call by StartTimeout.
func (s *Server) execute(ctx context.Context, p starts.Plan) ([]starts.Outcome, error) {
	return s.starter.Run(context.WithoutCancel(ctx), p)
}

// accept runs the common tail of the webhook handlers: read was verified, so plan (400 on bad input), execute,
// and when Temporal cannot take the starts, spool the body durably and answer 200 "spooled"; only if the
// spool cannot take it either, 503 — never a 200 for something not stored.
func (s *Server) accept(c *gin.Context, route string, body []byte) {
	receivedAt := s.now().UTC()
	p, err := s.plan(route, body, receivedAt)
	var bad *badInput
	if errors.As(err, &bad) {
		s.metrics.outcome("rejected", 1)
		abortJSON(c, http.StatusBadRequest, bad.msg)
		return
	}
	if err != nil {
		abortJSON(c, http.StatusInternalServerError, "internal error")
		return
	}
	ids := p.WorkflowIDs()
	c.Set(ctxWorkflowID, ids[0])
	var outcomes []starts.Outcome
	if !s.degraded.Load() {
		began := time.Now()
		outcomes, err = s.execute(c.Request.Context(), p)
		s.pace.observeLive(time.Since(began))
	}
	if s.degraded.Load() || err != nil {
		// A run refusing the delivery is not Temporal being unavailable: spool the body (the drainer sets it
		// aside for an operator) without sending the next webhooks to the spool too.
		var rejected *starts.RejectedError
		if !s.spoolBody(route, body, receivedAt, !errors.As(err, &rejected)) {
			abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
			return
		}
		outcomes = make([]starts.Outcome, len(ids))
		for i, id := range ids {
			outcomes[i] = starts.Outcome{WorkflowID: id, Status: statusSpooled}
		}
	}
	s.answer(c, route, outcomes)
}

// answer writes {"status", "workflow_id"} (and "workflows" for X deliveries).
func (s *Server) answer(c *gin.Context, route string, outcomes []starts.Outcome) {
	overall := starts.Duplicate
	for _, o := range outcomes {
		if o.Status != starts.Duplicate {
			overall = o.Status
		}
	}
	for _, o := range outcomes {
		s.metrics.outcome(o.Status, 1)
	}
	out := Answer{Status: overall, WorkflowID: outcomes[0].WorkflowID}
	if route == routeX {
		out.Workflows = outcomes
	}
	c.JSON(http.StatusOK, out)
}

// spoolBody stores a verified body for the drainer and, with degrade, marks the ingress degraded (Temporal
// unavailable: the next webhooks go to the spool at once instead of waiting StartTimeout each). It reports
// success.
func (s *Server) spoolBody(route string, body []byte, receivedAt time.Time, degrade bool) bool {
	if s.opts.Spool == nil {
		return false
	}
	if err := s.opts.Spool.Put(spool.Record{Source: route, Body: body, ReceivedAt: receivedAt}); err != nil {
		s.logger.Error("spool write failed", zap.String("route", route), zap.Error(err))
		return false
	}
	if degrade && !s.degraded.Swap(true) {
		s.logger.Warn("temporal unavailable: spooling webhooks")
	}
	return true
}

// Drain starts the spooled events' workflows while Temporal answers, every interval until ctx is done. It
// clears the degraded mark as soon as Temporal is healthy again, before the backlog drains: live webhooks go
// to Temporal directly from then on instead of queueing behind the backlog in the spool.
//
// The backlog of an outage is replayed at a bounded, adaptive pace (drainPace: at most Options.DrainRate
// starts per second, halved whenever a replayed or a live start is slow; Options.DrainConcurrency at once),
// never as fast as Temporal takes it: live webhooks that arrive meanwhile share the same Temporal and the
// same eager worker, and must keep being answered within StartTimeout instead of being spooled behind the
// backlog.
func (s *Server) Drain(ctx context.Context, interval time.Duration) {
	if s.opts.Spool == nil {
		return
	}
	pace := s.pace
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if !s.temporalHealthy(ctx) {
			s.degraded.Store(true)
			continue
		}
		s.undegrade()
		batch := max(64, 4*s.opts.DrainConcurrency)
		for s.opts.Spool.Len() > 0 && ctx.Err() == nil {
			n, err := s.opts.Spool.Drain(batch, s.opts.DrainConcurrency, func(r spool.Record) error { return s.replay(ctx, pace, r) })
			if err != nil {
				s.logger.Error("spool drain failed", zap.Error(err))
				break
			}
			if n == 0 {
				break
			}
			s.logger.Info("spooled webhooks started", zap.Int("count", n), zap.Int("left", s.opts.Spool.Len()),
				zap.Float64("pace_per_second", pace.rate()))
		}
	}
}

// replay starts a spooled record's workflows; spool.ErrStop keeps it for the next round, a record whose run
// refuses it is set aside.
func (s *Server) replay(ctx context.Context, pace *drainPace, r spool.Record) error {
	p, err := s.plan(r.Source, r.Body, r.ReceivedAt)
	if err != nil {
		s.logger.Error("spooled webhook no longer plannable: set aside", zap.Uint64("seq", r.Seq), zap.Error(err))
		return err
	}
	if err := pace.wait(ctx, len(p.WorkflowIDs())); err != nil {
		return spool.ErrStop // ctx done: the record stays for the next drain
	}
	began := time.Now()
	_, err = s.execute(ctx, p)
	pace.observe(time.Since(began))
	var rejected *starts.RejectedError
	switch {
	case errors.As(err, &rejected):
		s.logger.Error("spooled webhook refused by its run: set aside", zap.Uint64("seq", r.Seq), zap.Error(err))
		return err
	case err != nil:
		return spool.ErrStop
	}
	// Temporal took this start: a live webhook that failed meanwhile (a blip, a reconnect) must not send the
	// ones after it into the spool for the rest of the drain.
	s.undegrade()
	return nil
}

// undegrade clears the degraded mark: Temporal answers, so live webhooks start directly again, whatever the
// spool still holds.
func (s *Server) undegrade() {
	if s.degraded.Swap(false) {
		s.logger.Info("temporal available again: live webhooks start directly", zap.Int("spooled", s.opts.Spool.Len()))
	}
}

func (s *Server) temporalHealthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}
