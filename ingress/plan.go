package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

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

// startPlan is what one accepted body needs started. Handlers build it (refusing bad input with a 4xx), then
// execute it; the spool drainer rebuilds the same plan from the same body later.
type startPlan struct {
	reqs []starts.Request
	// forUsers[i], when set, is told to reqs[i]'s run if it is a duplicate (X: one more recipient).
	forUsers []string
	// job marks a job_finished plan: a duplicate is handed to the running job (registered before its webhook).
	job bool
}

// badInput is a plan error that is the sender's: answered 400 with its message.
type badInput struct{ msg string }

func (e *badInput) Error() string { return e.msg }

// plan parses a verified body that came in by route into the starts it needs.
func (s *Server) plan(route string, body []byte, receivedAt time.Time) (startPlan, error) {
	if route == routeX {
		return s.planX(body, receivedAt)
	}
	hook, err := socialdata.ParseWebhook(body)
	if err != nil {
		return startPlan{}, &badInput{"invalid webhook: " + err.Error()}
	}
	raw := contract.RawEvent{Source: contract.SourceSocialData, EventType: hook.Event, ReceivedAt: receivedAt, Body: body}
	switch hook.Event {
	case socialdata.EventJobFinished:
		job, err := socialdata.ParseJobFinished(hook.Data)
		if err != nil {
			return startPlan{}, &badInput{"invalid job_finished: " + err.Error()}
		}
		return startPlan{reqs: []starts.Request{starts.Job(job, &raw)}, job: true}, nil
	case socialdata.EventNewTweet, socialdata.EventNewFollowing, socialdata.EventProfileUpdate:
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			return startPlan{}, &badInput{"invalid " + hook.Event + ": " + err.Error()}
		}
		return startPlan{reqs: []starts.Request{starts.MonitorEvent(ev, raw)}}, nil
	default:
		// An event type the pipeline does not process yet: archived (once per body), never dropped.
		return startPlan{reqs: []starts.Request{starts.Archive(contract.ArchiveEventWorkflowID(raw.Source, digest(body)), raw)}}, nil
	}
}

// planX plans an X delivery: one run per event, typing/read indicators archived together, unknown keys make
// the whole delivery archived.
func (s *Server) planX(body []byte, receivedAt time.Time) (startPlan, error) {
	d, err := xwebhook.Parse(body)
	if err != nil {
		return startPlan{}, &badInput{"invalid X delivery: " + err.Error()}
	}
	var p startPlan
	for _, ev := range d.Events {
		p.reqs = append(p.reqs, s.xEventStart(ev, receivedAt))
		p.forUsers = append(p.forUsers, ev.ForUserID)
	}
	if len(d.Ephemeral) > 0 {
		p.reqs = append(p.reqs, starts.Archive(contract.XEphemeralWorkflowID(digest(body)),
			contract.RawEvent{Source: contract.SourceX, EventType: "indicators", ReceivedAt: receivedAt, Body: body}))
	}
	if len(d.Unknown) > 0 || len(p.reqs) == 0 {
		p.reqs = append(p.reqs, starts.Archive(contract.ArchiveEventWorkflowID(contract.SourceX, digest(body)),
			contract.RawEvent{Source: contract.SourceX, EventType: "unknown", ReceivedAt: receivedAt, Body: body}))
	}
	return p, nil
}

type startOutcome struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
}

// execute starts every request of p (bounded parallelism) and returns one outcome each.
func (s *Server) execute(ctx context.Context, p startPlan) ([]startOutcome, error) {
	outcomes := make([]startOutcome, len(p.reqs))
	var g errgroup.Group
	g.SetLimit(maxParallelStarts)
	for i, req := range p.reqs {
		g.Go(func() error {
			status, err := s.startEvent(ctx, p, i)
			if err != nil {
				return err
			}
			outcomes[i] = startOutcome{WorkflowID: req.ID, Status: status}
			return nil
		})
	}
	return outcomes, g.Wait()
}

// maxStartRounds bounds the start/follow-up rounds of one event. A second round happens only when the run a
// start was a duplicate of closed before its follow-up reached it.
const maxStartRounds = 3

// errRejected marks a follow-up the run refused: no retry can change that, so a spooled body with it is set
// aside for an operator instead of blocking the drain.
type errRejected struct{ err error }

func (e *errRejected) Error() string { return "run refused the delivery: " + e.err.Error() }
func (e *errRejected) Unwrap() error { return e.err }

// startEvent starts p.reqs[i] and returns starts.Accepted or starts.Duplicate. "Duplicate" is only ever the
// answer when a run processed the event or will: a run still open takes the delivery's follow-up (a job's
// webhook is handed to a registered run, an X event's run learns one more recipient), a completed run has
// processed it. When the run closed between the start and its follow-up, its close status decides: completed
// is a duplicate, anything else (failed, terminated, timed out, canceled) means nothing was processed, and the
// event is started again (starts use AllowDuplicateFailedOnly).
func (s *Server) startEvent(ctx context.Context, p startPlan, i int) (string, error) {
	req := p.reqs[i]
	var followUp func(context.Context) (string, error)
	switch {
	case p.job:
		followUp = func(ctx context.Context) (string, error) { return s.deliverJobWebhook(ctx, req) }
	case i < len(p.forUsers) && p.forUsers[i] != "":
		followUp = func(ctx context.Context) (string, error) {
			return starts.Duplicate, s.signalDelivered(ctx, req.ID, p.forUsers[i])
		}
	}
	for range maxStartRounds {
		status, err := s.startOne(ctx, req)
		if err != nil || status == starts.Accepted || followUp == nil {
			return status, err
		}
		status, err = followUp(ctx)
		if err == nil {
			return status, nil
		}
		state, derr := s.runState(ctx, req.ID)
		switch {
		case derr != nil:
			return "", fmt.Errorf("follow-up of %s: %w (and describing the run: %w)", req.ID, err, derr)
		case state == starts.RunCompleted:
			// Closed between the start and the follow-up, having processed the event (a registered job finished
			// by its poll, an X event past its delivery window).
			s.logger.Info("delivery is a duplicate of a completed run", zap.String("workflow_id", req.ID))
			return starts.Duplicate, nil
		case state == starts.RunOpen && isRejection(err):
			return "", &errRejected{err}
		case state == starts.RunClosedUnprocessed:
			s.logger.Info("run closed without processing its event: starting it again", zap.String("workflow_id", req.ID))
		}
	}
	return "", fmt.Errorf("start %s: the run kept closing between start and follow-up", req.ID)
}

func (s *Server) runState(parent context.Context, workflowID string) (starts.RunState, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.opts.StartTimeout)
	defer cancel()
	return starts.Processed(ctx, s.temporal, workflowID)
}

// isRejection reports whether err is the run's own answer (an update's validator refusing it), not a failure
// to reach the run.
func isRejection(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr)
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
	c.Set(ctxWorkflowID, p.reqs[0].ID)
	var outcomes []startOutcome
	if !s.degraded.Load() {
		began := time.Now()
		outcomes, err = s.execute(c.Request.Context(), p)
		s.pace.observeLive(time.Since(began))
	}
	if s.degraded.Load() || err != nil {
		// A run refusing the delivery is not Temporal being unavailable: spool the body (the drainer sets it
		// aside for an operator) without sending the next webhooks to the spool too.
		var rejected *errRejected
		if !s.spoolBody(route, body, receivedAt, !errors.As(err, &rejected)) {
			abortJSON(c, http.StatusServiceUnavailable, "could not hand the event to the pipeline; retry later")
			return
		}
		outcomes = make([]startOutcome, len(p.reqs))
		for i, r := range p.reqs {
			outcomes[i] = startOutcome{WorkflowID: r.ID, Status: statusSpooled}
		}
	}
	s.answer(c, route, outcomes)
}

// answer writes {"status", "workflow_id"} (and "workflows" for X deliveries).
func (s *Server) answer(c *gin.Context, route string, outcomes []startOutcome) {
	overall := starts.Duplicate
	for _, o := range outcomes {
		if o.Status != starts.Duplicate {
			overall = o.Status
		}
	}
	for _, o := range outcomes {
		s.metrics.outcome(o.Status, 1)
	}
	out := gin.H{"status": overall, "workflow_id": outcomes[0].WorkflowID}
	if route == routeX {
		out["workflows"] = outcomes
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
	if err := pace.wait(ctx, len(p.reqs)); err != nil {
		return spool.ErrStop // ctx done: the record stays for the next drain
	}
	began := time.Now()
	_, err = s.execute(ctx, p)
	pace.observe(time.Since(began))
	var rejected *errRejected
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

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
