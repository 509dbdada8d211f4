package starts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// maxParallelStarts bounds the starts one plan (a multi-event X delivery) runs at once.
const maxParallelStarts = 8

// maxStartRounds bounds the start/follow-up rounds of one event. A second round happens only when the run a
// start was a duplicate of closed before its follow-up reached it.
const maxStartRounds = 3

// Starter starts events' workflows (see the package doc). Its zero value is not usable: Temporal and TaskQueue
// are required.
type Starter struct {
	// Temporal is the client every start, follow-up and look at a run goes through.
	Temporal client.Client
	// TaskQueue is where workflows are started.
	TaskQueue string
	// StartTimeout bounds each call to Temporal (a start, a follow-up, a look at a run); 0: only the caller's
	// context bounds them.
	StartTimeout time.Duration
	// XDeliveryWindow is passed to Account Activity API X event runs (see contract.XEventInput).
	XDeliveryWindow time.Duration
	// JobPollInterval is the first wait between polls of a registered job, JobWaitTimeout how long its run
	// waits for the webhook (see RegisteredJob).
	JobPollInterval time.Duration
	JobWaitTimeout  time.Duration
	// Logger logs starts and follow-ups that did not go through; nil logs nothing (the caller has the error).
	Logger *zap.Logger
}

// Outcome is what became of one start of a plan: Status is Accepted or Duplicate. The ingress answers it as
// is (its "workflows" list), with Status "spooled" for a start it could only spool.
type Outcome struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
}

// RejectedError is a follow-up the open run refused (an update's validator): no retry can change that, so the
// ingress sets a spooled body with it aside for an operator instead of retrying it. Any other error of Run is
// Temporal not answering, worth retrying later.
type RejectedError struct{ err error }

func (e *RejectedError) Error() string { return "run refused the delivery: " + e.err.Error() }

// Unwrap returns the run's answer.
func (e *RejectedError) Unwrap() error { return e.err }

// Run starts every start of p (a bounded number at once) and returns one outcome each, or the first error.
// "Duplicate" is only ever the answer when a run processed the event or will: a run still open takes the
// event's follow-up (a job's webhook is handed to a registered run, an X event's run learns one more
// recipient), a completed run has processed it. When the run closed between the start and its follow-up, its
// close status decides: completed is a duplicate, anything else (failed, terminated, timed out, canceled)
// means nothing was processed, and the event is started again (starts use AllowDuplicateFailedOnly).
//
// Every call to Temporal is bounded by StartTimeout and by ctx: a caller that must not abandon a start half
// way (the ingress, once it has read a body) passes a context without cancel.
func (s *Starter) Run(ctx context.Context, p Plan) ([]Outcome, error) {
	outcomes := make([]Outcome, len(p.reqs))
	var g errgroup.Group
	g.SetLimit(maxParallelStarts)
	for i, req := range p.reqs {
		g.Go(func() error {
			status, err := s.startEvent(ctx, p, i)
			if err != nil {
				return err
			}
			outcomes[i] = Outcome{WorkflowID: req.ID, Status: status}
			return nil
		})
	}
	return outcomes, g.Wait()
}

// startEvent starts p.reqs[i], with its follow-up on a duplicate, and returns Accepted or Duplicate (see Run).
func (s *Starter) startEvent(ctx context.Context, p Plan, i int) (string, error) {
	req := p.reqs[i]
	var followUp func(context.Context) (string, error)
	switch {
	case p.job:
		followUp = func(ctx context.Context) (string, error) { return s.deliverJobWebhook(ctx, req) }
	case i < len(p.forUsers) && p.forUsers[i] != "":
		followUp = func(ctx context.Context) (string, error) {
			return Duplicate, s.signalDelivered(ctx, req.ID, p.forUsers[i])
		}
	}
	for range maxStartRounds {
		status, err := s.startOne(ctx, req)
		if err != nil || status == Accepted || followUp == nil {
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
		case state == runCompleted:
			// Closed between the start and the follow-up, having processed the event (a registered job finished
			// by its poll, an X event past its delivery window).
			s.logger().Info("delivery is a duplicate of a completed run", zap.String("workflow_id", req.ID))
			return Duplicate, nil
		case state == runOpen && isRejection(err):
			return "", &RejectedError{err}
		case state == runClosedUnprocessed:
			s.logger().Info("run closed without processing its event: starting it again", zap.String("workflow_id", req.ID))
		}
	}
	return "", fmt.Errorf("start %s: the run kept closing between start and follow-up", req.ID)
}

// startOne starts req and returns Accepted or Duplicate.
func (s *Starter) startOne(parent context.Context, req Request) (string, error) {
	ctx, cancel := s.bound(parent)
	defer cancel()
	status, err := start(ctx, s.Temporal, s.TaskQueue, req)
	if err != nil {
		s.logger().Error("start workflow failed", zap.String("workflow_id", req.ID),
			zap.String("workflow", req.Workflow), zap.Error(err))
	}
	return status, err
}

func (s *Starter) runState(parent context.Context, workflowID string) (runState, error) {
	ctx, cancel := s.bound(parent)
	defer cancel()
	return processed(ctx, s.Temporal, workflowID)
}

// bound returns ctx bounded by StartTimeout.
func (s *Starter) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.StartTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.StartTimeout)
}

func (s *Starter) logger() *zap.Logger {
	if s.Logger == nil {
		return zap.NewNop()
	}
	return s.Logger
}

// isRejection reports whether err is the run's own answer (an update's validator refusing it), not a failure
// to reach the run.
func isRejection(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr)
}
