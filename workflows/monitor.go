package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// MonitorEventWorkflow processes one SocialData monitor event, exactly once per event (its ID is
// contract.TweetWorkflowID, contract.FollowingWorkflowID or contract.ProfileUpdateWorkflowID). It archives the webhook, stores what the
// event carries (tweets at tweets/<id>.json, the follow edge), and hands every user object in it to that
// user's ProfileEntityWorkflow as an observation, where profile diffs are computed in order.
func MonitorEventWorkflow(ctx workflow.Context, in contract.MonitorEventInput) (contract.MonitorEventResult, error) {
	if err := validateMonitorEvent(in); err != nil {
		return contract.MonitorEventResult{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidInput, nil)
	}
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	var res contract.MonitorEventResult
	var stored contract.StoredMonitorEvent
	if err := archiveThenStore(ctx, in.Revision, in.Raw, &res.RawKey,
		a.StoreMonitorEvent, contract.StoreMonitorEventInput{WorkflowID: wfID, Event: in.Raw}, &stored); err != nil {
		return res, err
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

func validateMonitorEvent(in contract.MonitorEventInput) error {
	switch in.EventType {
	case contract.EventNewTweet, contract.EventNewFollowing, contract.EventProfileUpdate:
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
func observeAll(ctx workflow.Context, revision int, observations []contract.Observation) ([]string, error) {
	if len(observations) == 0 {
		return nil, nil
	}
	if err := storageStep(ctx, revision, a.ObserveProfiles, observations, nil); err != nil {
		return nil, fmt.Errorf("hand observations to profile entities: %w", err)
	}
	users := make([]string, 0, len(observations))
	for _, o := range observations {
		users = append(users, o.UserID)
	}
	return users, nil
}
