package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
)

// defaultCatchupWindow is the catch-up window when the namespace's retention cannot be read: the documented
// dedupe window (7 days).
const defaultCatchupWindow = 7 * 24 * time.Hour

// CatchupWindow is how far back the poller schedule catches up after an outage: the namespace's retention,
// which is the dedupe window (an event older than that would no longer dedupe, and its run is gone). A
// namespace without one, or a client not allowed to describe it, gets defaultCatchupWindow.
func CatchupWindow(ctx context.Context, c client.Client, namespace string) (time.Duration, error) {
	resp, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var denied *serviceerror.PermissionDenied
	if errors.As(err, &denied) {
		return defaultCatchupWindow, nil
	}
	if err != nil {
		return 0, fmt.Errorf("describe namespace %s: %w", namespace, err)
	}
	if d := resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); d > 0 {
		return d, nil
	}
	return defaultCatchupWindow, nil
}

// EnsurePollerSchedule creates the socialdata-poller schedule, or updates its interval and action to cfg's:
// every worker runs it at start, so the schedule always matches the deployed configuration. A paused schedule
// stays paused.
//
// No window may be lost, so overlapping runs are buffered (BufferAll), never skipped, and after an outage the
// schedule catches up the windows of the namespace's retention (CatchupWindow). Backfills choose their own
// policy.
func EnsurePollerSchedule(ctx context.Context, c client.Client, cfg config.Config) error {
	catchupWindow, err := CatchupWindow(ctx, c, cfg.TemporalNamespace)
	if err != nil {
		return err
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: cfg.PollInterval}}}
	action := &client.ScheduleWorkflowAction{
		ID:        contract.PollerWorkflowIDPrefix,
		Workflow:  contract.PollerWorkflowName,
		TaskQueue: cfg.TaskQueue,
		StaticSummary: fmt.Sprintf("Poll of every SocialData monitor for events the webhooks missed (every %s, overlap %s)",
			cfg.PollInterval, cfg.PollOverlap),
		Args: []any{contract.PollerInput{
			Interval: cfg.PollInterval, Overlap: cfg.PollOverlap, Concurrency: cfg.PollConcurrency,
		}},
	}
	sc := c.ScheduleClient()
	_, err = sc.Create(ctx, client.ScheduleOptions{
		ID:            contract.PollerScheduleID,
		Spec:          spec,
		Action:        action,
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
		CatchupWindow: catchupWindow,
		Note:          "Recovers SocialData events the webhooks missed (see README: Missed webhooks and backfills).",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", contract.PollerScheduleID, err)
	}
	err = sc.GetHandle(ctx, contract.PollerScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap, s.Policy.CatchupWindow = enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL, catchupWindow
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", contract.PollerScheduleID, err)
	}
	return nil
}
