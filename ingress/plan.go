package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/xwebhook"
	"github.com/socialhook/pipeline/workflows"
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
	raw := workflows.RawEvent{Source: workflows.SourceSocialData, EventType: hook.Event, ReceivedAt: receivedAt, Body: body}
	switch hook.Event {
	case socialdata.EventJobFinished:
		job, err := socialdata.ParseJobFinished(hook.Data)
		if err != nil {
			return startPlan{}, &badInput{"invalid job_finished: " + err.Error()}
		}
		return startPlan{reqs: []starts.Request{starts.Job(job, &raw, s.opts.JobPollInterval)}, job: true}, nil
	case socialdata.EventNewTweet, socialdata.EventNewFollowing, socialdata.EventProfileUpdate:
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			return startPlan{}, &badInput{"invalid " + hook.Event + ": " + err.Error()}
		}
		return startPlan{reqs: []starts.Request{starts.MonitorEvent(ev, raw)}}, nil
	default:
		// An event type the pipeline does not process yet: archived (once per body), never dropped.
		return startPlan{reqs: []starts.Request{starts.Archive(workflows.ArchiveEventWorkflowID(raw.Source, digest(body)), raw)}}, nil
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
		p.reqs = append(p.reqs, starts.Archive(workflows.XEphemeralWorkflowID(digest(body)),
			workflows.RawEvent{Source: workflows.SourceX, EventType: "indicators", ReceivedAt: receivedAt, Body: body}))
	}
	if len(d.Unknown) > 0 || len(p.reqs) == 0 {
		p.reqs = append(p.reqs, starts.Archive(workflows.ArchiveEventWorkflowID(workflows.SourceX, digest(body)),
			workflows.RawEvent{Source: workflows.SourceX, EventType: "unknown", ReceivedAt: receivedAt, Body: body}))
	}
	return p, nil
}

type startOutcome struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
}

// execute starts every request of p (bounded parallelism) and returns one outcome each. Duplicates get their
// follow-up: a job's webhook is handed to the waiting run, an X event's run learns one more recipient.
func (s *Server) execute(ctx context.Context, p startPlan) ([]startOutcome, error) {
	outcomes := make([]startOutcome, len(p.reqs))
	var g errgroup.Group
	g.SetLimit(maxParallelStarts)
	for i, req := range p.reqs {
		g.Go(func() error {
			status, err := s.startOne(ctx, req)
			if err != nil {
				return err
			}
			if status == starts.Duplicate {
				switch {
				case p.job:
					status = s.deliverJobWebhook(ctx, req)
				case i < len(p.forUsers) && p.forUsers[i] != "":
					s.signalDelivered(ctx, req.ID, p.forUsers[i])
				}
			}
			outcomes[i] = startOutcome{WorkflowID: req.ID, Status: status}
			return nil
		})
	}
	return outcomes, g.Wait()
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
		outcomes, err = s.execute(c.Request.Context(), p)
	}
	if s.degraded.Load() || err != nil {
		if !s.spoolBody(route, body, receivedAt) {
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

// spoolBody stores a verified body for the drainer and marks the ingress degraded. It reports success.
func (s *Server) spoolBody(route string, body []byte, receivedAt time.Time) bool {
	if s.opts.Spool == nil {
		return false
	}
	if err := s.opts.Spool.Put(spool.Record{Source: route, Body: body, ReceivedAt: receivedAt}); err != nil {
		s.logger.Error("spool write failed", zap.String("route", route), zap.Error(err))
		return false
	}
	if !s.degraded.Swap(true) {
		s.logger.Warn("temporal unavailable: spooling webhooks")
	}
	return true
}

// Drain starts the spooled events' workflows while Temporal answers, every interval until ctx is done. It
// clears the degraded mark once Temporal is healthy and the spool is empty.
func (s *Server) Drain(ctx context.Context, interval time.Duration) {
	if s.opts.Spool == nil {
		return
	}
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
		for s.opts.Spool.Len() > 0 && ctx.Err() == nil {
			n, err := s.opts.Spool.Drain(64, func(r spool.Record) error { return s.replay(ctx, r) })
			if err != nil {
				s.logger.Error("spool drain failed", zap.Error(err))
				break
			}
			if n == 0 {
				break
			}
			s.logger.Info("spooled webhooks started", zap.Int("count", n), zap.Int("left", s.opts.Spool.Len()))
		}
		if s.opts.Spool.Len() == 0 && s.degraded.Swap(false) {
			s.logger.Info("temporal available again: spool empty")
		}
	}
}

// replay starts a spooled record's workflows; spool.ErrStop keeps it for the next round.
func (s *Server) replay(ctx context.Context, r spool.Record) error {
	p, err := s.plan(r.Source, r.Body, r.ReceivedAt)
	if err != nil {
		s.logger.Error("spooled webhook no longer plannable: set aside", zap.Uint64("seq", r.Seq), zap.Error(err))
		return err
	}
	if _, err := s.execute(ctx, p); err != nil {
		return spool.ErrStop
	}
	return nil
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
