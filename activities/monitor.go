package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/jsonobject"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

// StoreMonitorEvent normalizes a monitor event: every tweet in it (the tweet, its quoted and retweeted tweets)
// is written to tweets/<id>.json, a new_following's edge to follows/<follower>/<followed>.json. It returns one
// observation per user object in the event, for the profile entities. Every write has a deterministic key, so a
// retry rewrites the same objects.
func (a *Activities) StoreMonitorEvent(ctx context.Context, in contract.StoreMonitorEventInput) (contract.StoredMonitorEvent, error) {
	hook, err := socialdata.ParseWebhook(in.Event.Body)
	if err != nil {
		return contract.StoredMonitorEvent{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidInput, nil)
	}
	ev, err := socialdata.ParseMonitorEvent(hook)
	if err != nil {
		return contract.StoredMonitorEvent{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidInput, nil)
	}
	observe := func(user jsonobject.Object, reported map[string]contract.Change) contract.Observation {
		return contract.ObservationFor(in.WorkflowID, ev.Event, user.ID(), user.JSON(), in.Event.ReceivedAt, reported)
	}
	var out contract.StoredMonitorEvent
	switch ev.Event {
	case contract.EventNewTweet:
		for _, t := range socialdata.EmbeddedTweets(ev.Data) {
			key := storage.TweetKey(t.ID())
			if err := a.store.PutBytes(ctx, key, t.JSON(), "application/json"); err != nil {
				return out, err
			}
			out.TweetKeys = append(out.TweetKeys, key)
		}
		for _, u := range socialdata.TweetUsers(ev.Data) {
			out.Observations = append(out.Observations, observe(u, nil))
		}
	case contract.EventNewFollowing:
		follower := ev.Meta.MonitoredIDStr
		if follower == "" {
			follower = "unknown"
		}
		out.FollowKey = storage.FollowKey(follower, ev.UserID)
		edge := map[string]any{
			"monitor_id": ev.Meta.MonitorID, "follower_id": ev.Meta.MonitoredIDStr, "followed_id": ev.UserID,
			"observed_at": in.Event.ReceivedAt.UTC(), "workflow_id": in.WorkflowID,
		}
		if err := a.store.PutJSON(ctx, out.FollowKey, edge); err != nil {
			return out, err
		}
		out.Observations = append(out.Observations, observe(ev.Data, nil))
	case contract.EventProfileUpdate:
		out.Observations = append(out.Observations, observe(ev.Data, ev.Changes))
	}
	return out, nil
}

// ObserveProfiles hands each observation to its user's profile entity with signal-with-start: the entity is
// started if it is not running. A retry may signal twice; the entity ignores an observation ID it has seen.
func (a *Activities) ObserveProfiles(ctx context.Context, observations []contract.Observation) error {
	for _, o := range observations {
		if err := ObserveProfile(ctx, a.deps.Temporal, a.deps.TaskQueue, a.deps.TrackedFields, o); err != nil {
			return err
		}
	}
	return nil
}

// ObserveProfile signal-with-starts user o.UserID's profile entity with o.
func ObserveProfile(ctx context.Context, c client.Client, taskQueue string, tracked []string, o contract.Observation) error {
	id := contract.ProfileEntityWorkflowID(o.UserID)
	_, err := c.SignalWithStartWorkflow(ctx, id, contract.ObserveSignal, o, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(contract.UserIDKey.ValueSet(o.UserID)),
		StaticSummary:         "Profile of user " + o.UserID,
	}, contract.ProfileEntityWorkflowName, contract.ProfileEntityInput{UserID: o.UserID, TrackedFields: tracked, Revision: contract.CurrentRevision})
	if err != nil {
		return fmt.Errorf("signal profile entity %s: %w", id, err)
	}
	return nil
}

// WriteProfile stores a profile entity's effects: the snapshot, then history entries written or deleted.
// Keys derive from the observation, so a retry is idempotent.
func (a *Activities) WriteProfile(ctx context.Context, in contract.WriteProfileInput) error {
	if in.UserID == "" {
		return temporal.NewNonRetryableApplicationError("write profile needs a user id", contract.ErrTypeInvalidInput, nil)
	}
	for _, e := range in.Upserts {
		if err := a.store.PutJSON(ctx, storage.HistoryKey(in.UserID, e.ObservedAt, e.ObservationID), e); err != nil {
			return err
		}
	}
	for _, e := range in.Deletes {
		if err := a.store.Delete(ctx, storage.HistoryKey(in.UserID, e.ObservedAt, e.ObservationID)); err != nil {
			return err
		}
	}
	if in.Snapshot != nil {
		if err := a.store.PutJSON(ctx, storage.ProfileKey(in.UserID), in.Snapshot); err != nil {
			return err
		}
	}
	activity.GetLogger(ctx).Debug("profile written", "UserId", in.UserID, "upserts", len(in.Upserts),
		"deletes", len(in.Deletes), "snapshot", in.Snapshot != nil)
	return nil
}

// LoadProfile returns the stored snapshot of userID, or nil when there is none.
func (a *Activities) LoadProfile(ctx context.Context, userID string) (*contract.ProfileSnapshot, error) {
	var snap contract.ProfileSnapshot
	err := a.store.GetJSON(ctx, storage.ProfileKey(userID), &snap)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &snap, nil
}
