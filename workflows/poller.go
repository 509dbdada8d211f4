package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// scheduledStartTime is the search attribute Temporal sets on a schedule's runs: the action's nominal time.
var scheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// pollOptions cover one monitor's poll: paging through the API with heartbeats; 429/5xx back off and retry,
// 402 stops the whole poll.
var pollOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        5 * time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        5 * time.Minute,
		MaximumAttempts:        8,
		NonRetryableErrorTypes: []string{contract.ErrTypeInvalidInput, contract.ErrTypeBalanceExhausted, contract.ErrTypeAPI},
	},
}

// PollerWorkflow recovers what the webhooks missed over one window: it lists the account's monitors and, for
// each (at most Concurrency at once), reads the API back to the window's start and starts the same workflow
// IDs the webhooks would have (see activities.PollMonitor): delivered events dedupe, missed ones run. The
// window is [nominal time − Interval − Overlap, nominal time]. One page of monitors per run, continuing as new
// for the next page, keeps histories small. A 402 (balance exhausted) fails the run with that reason.
func PollerWorkflow(ctx workflow.Context, in contract.PollerInput) (contract.PollStats, error) {
	if in.Interval <= 0 && (in.From.IsZero() || in.To.IsZero()) {
		return in.Stats, temporal.NewNonRetryableApplicationError("poller needs an interval or an explicit from/to window", contract.ErrTypeInvalidInput, nil)
	}
	if in.Page == 0 {
		in.Page = 1
		if in.From.IsZero() || in.To.IsZero() {
			end := workflow.Now(ctx)
			if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartTime); ok {
				end = t
			}
			in.To, in.From = end.UTC(), end.Add(-in.Interval-in.Overlap).UTC()
		}
		in.Stats.From, in.Stats.To = in.From, in.To
	}
	if in.Concurrency <= 0 {
		in.Concurrency = 4
	}
	logger := workflow.GetLogger(ctx)
	var list contract.MonitorList
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, pollOptions), a.ListMonitors, in.Page).Get(ctx, &list); err != nil {
		if stop := balanceStop(err); stop != nil {
			return in.Stats, stop
		}
		return in.Stats, fmt.Errorf("list monitors page %d: %w", in.Page, err)
	}
	var todo []contract.MonitorRef
	for _, m := range list.Monitors {
		if (len(in.MonitorIDs) > 0 && !slices.Contains(in.MonitorIDs, m.ID)) ||
			(len(in.UserIDs) > 0 && !slices.Contains(in.UserIDs, m.UserID)) {
			continue
		}
		todo = append(todo, m)
	}
	if err := pollMonitors(ctx, in, todo, &in.Stats); err != nil {
		return in.Stats, err
	}
	logger.Info("poll page done", "page", in.Page, "lastPage", list.LastPage, "started", in.Stats.Started)
	// Shown in the Temporal UI on the run's page: what this poll covered and recovered so far.
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Window %s to %s, page %d of %d: %d monitors polled, %d missed events started, %d already processed, %d skipped, %d failed",
		in.Stats.From.Format(time.RFC3339), in.Stats.To.Format(time.RFC3339), in.Page, list.LastPage,
		in.Stats.Monitors, in.Stats.Started, in.Stats.Duplicates, in.Stats.Skipped, in.Stats.Failed))
	if in.Page < list.LastPage {
		in.Page++
		return in.Stats, workflow.NewContinueAsNewError(ctx, contract.PollerWorkflowName, in)
	}
	return in.Stats, nil
}

// pollMonitors polls ms with at most in.Concurrency activities in flight, adding up stats. A monitor that
// fails is counted and skipped; a 402 stops everything.
func pollMonitors(ctx workflow.Context, in contract.PollerInput, ms []contract.MonitorRef, stats *contract.PollStats) error {
	actCtx := workflow.WithActivityOptions(ctx, pollOptions)
	var stop error
	inFlight := 0
	sel := workflow.NewSelector(ctx)
	for i := 0; i < len(ms) || inFlight > 0; {
		if stop == nil && i < len(ms) && inFlight < in.Concurrency {
			m := ms[i]
			i++
			inFlight++
			f := workflow.ExecuteActivity(actCtx, a.PollMonitor, contract.PollMonitorInput{Monitor: m, From: in.From, To: in.To})
			sel.AddFuture(f, func(f workflow.Future) {
				inFlight--
				var r contract.PollMonitorResult
				err := f.Get(ctx, &r)
				switch {
				case err == nil:
					stats.Monitors++
					stats.Started += r.Started
					stats.Duplicates += r.Duplicates
					if r.Skipped {
						stats.Skipped++
					}
				case balanceStop(err) != nil:
					stop = balanceStop(err)
				default:
					stats.Failed++
					workflow.GetLogger(ctx).Warn("monitor poll failed", "MonitorId", m.ID, "error", err)
				}
			})
			continue
		}
		if stop != nil && i < len(ms) {
			i = len(ms) // start nothing more; wait for what is in flight
			continue
		}
		sel.Select(ctx)
	}
	return stop
}

// balanceStop returns the error that stops a poll when err is SocialData's 402, or nil.
func balanceStop(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeBalanceExhausted {
		return temporal.NewNonRetryableApplicationError("poll stopped: "+appErr.Message(), contract.ErrTypeBalanceExhausted, nil)
	}
	return nil
}
