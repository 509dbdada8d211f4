package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// MonitorEventWorkflow processes one SocialData monitor event, exactly once per event (its ID is
// TweetWorkflowID, FollowingWorkflowID or ProfileUpdateWorkflowID). It archives the webhook, stores what the
// event carries (tweets at tweets/<id>.json, the follow edge), and hands every user object in it to that
// user's ProfileEntityWorkflow as an observation, where profile diffs are computed in order.
func MonitorEventWorkflow(ctx workflow.Context, in MonitorEventInput) (MonitorEventResult, error) {
	if err := in.validate(); err != nil {
		return MonitorEventResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	var res MonitorEventResult
	if err := storageStep(ctx, in.Revision, ArchiveRawActivityName, ArchiveRawInput{WorkflowID: wfID, Event: in.Raw}, &res.RawKey); err != nil {
		return res, fmt.Errorf("archive raw event: %w", err)
	}
	var stored StoredMonitorEvent
	if err := storageStep(ctx, in.Revision, StoreMonitorEventActivityName, StoreMonitorEventInput{WorkflowID: wfID, Event: in.Raw}, &stored); err != nil {
		return res, fmt.Errorf("store monitor event: %w", err)
	}
	res.TweetKeys, res.FollowKey = stored.TweetKeys, stored.FollowKey
	var err error
	if res.ObservedUsers, err = observeAll(ctx, in.Revision, stored.Observations); err != nil {
		return res, err
	}
	workflow.GetLogger(ctx).Info("monitor event processed", "EventType", in.EventType, "MonitorId", in.MonitorID,
		"users", len(res.ObservedUsers))
	return res, nil
}

func (in MonitorEventInput) validate() error {
	switch in.EventType {
	case EventNewTweet, EventNewFollowing, EventProfileUpdate:
	default:
		return fmt.Errorf("event type %q is not a monitor event", in.EventType)
	}
	if in.UserID == "" || len(in.Raw.Body) == 0 || in.Raw.Source == "" {
		return errors.New("monitor event needs a user id and a raw body")
	}
	return nil
}

// observeAll hands observations to their users' profile entities and returns the users observed.
// Signal-with-start is idempotent here: an entity ignores an observation ID it has already applied, so a
// retried activity cannot record a change twice.
func observeAll(ctx workflow.Context, revision int, observations []Observation) ([]string, error) {
	if len(observations) == 0 {
		return nil, nil
	}
	if err := storageStep(ctx, revision, ObserveProfilesActivityName, observations, nil); err != nil {
		return nil, fmt.Errorf("hand observations to profile entities: %w", err)
	}
	users := make([]string, 0, len(observations))
	for _, o := range observations {
		users = append(users, o.UserID)
	}
	return users, nil
}
