package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/jsonobject"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/storage"
)

// maxPollPages bounds how far one poll pages back through one list.
const maxPollPages = 200

// ListMonitors returns one page (1-based) of the account's monitors.
func (a *Activities) ListMonitors(ctx context.Context, page int) (contract.MonitorList, error) {
	sd, err := a.api()
	if err != nil {
		return contract.MonitorList{}, err
	}
	p, err := sd.ListMonitors(ctx, page)
	if err != nil {
		return contract.MonitorList{}, apiError("GET /monitors", err)
	}
	out := contract.MonitorList{LastPage: p.LastPage}
	for _, m := range p.Monitors {
		out.Monitors = append(out.Monitors, contract.MonitorRef{ID: m.ID, Type: m.MonitorType, UserID: m.UserID()})
	}
	return out, nil
}

// PollMonitor recovers one monitor's events in [From, To] by starting the workflow IDs the webhooks would have
// started (through the same parser and start rules as the ingress, on a synthetic webhook body): delivered
// events are duplicates, missed ones run.
//   - user_tweets: the user's tweets and replies, newest first, back to From; tweets after To are left to
//     later windows.
//   - user_following: the following list against the set the last poll stored; additions are new follows.
//     The first poll of a monitor only stores the set (the list has no dates to tell old from new).
//   - user_profile: the current profile, as an observation for the profile entity and as the profile_update
//     run its hash names (the same ID a webhook for that profile has).
//
// Other monitor types are skipped.
func (a *Activities) PollMonitor(ctx context.Context, in contract.PollMonitorInput) (contract.PollMonitorResult, error) {
	sd, err := a.api()
	if err != nil {
		return contract.PollMonitorResult{}, err
	}
	p := poll{a: a, sd: sd, in: in}
	switch in.Monitor.Type {
	case "user_tweets":
		err = p.tweets(ctx)
	case "user_following":
		err = p.following(ctx)
	case "user_profile":
		err = p.profile(ctx)
	default:
		activity.GetLogger(ctx).Info("monitor type not polled: skipped", "MonitorId", in.Monitor.ID, "type", in.Monitor.Type)
		p.res.Skipped = true
	}
	return p.res, err
}

type poll struct {
	a   *Activities
	sd  *socialdata.Client
	in  contract.PollMonitorInput
	res contract.PollMonitorResult
}

func (p *poll) tweets(ctx context.Context) error {
	return pages(ctx, "GET tweets-and-replies", func(cursor string) (string, bool, error) {
		page, err := p.sd.UserTweetsAndReplies(ctx, p.in.Monitor.UserID, cursor)
		if err != nil {
			return "", false, err
		}
		for _, t := range page.Tweets {
			var created string
			_ = json.Unmarshal(t["tweet_created_at"], &created)
			at, err := time.Parse(time.RFC3339Nano, created)
			if err != nil || at.After(p.in.To) {
				continue
			}
			if at.Before(p.in.From) {
				return "", true, nil // newest first: everything after this is older than the window
			}
			if err := p.start(ctx, contract.EventNewTweet, t); err != nil {
				return "", true, err
			}
		}
		return page.NextCursor, false, nil
	})
}

// pages reads up to maxPollPages pages of a cursor-paginated SocialData read, heartbeating the cursor of each.
// read fetches and handles the page at cursor and returns the next cursor ("" at the end), or done to stop. A
// failure to fetch (done false) is classified by apiError; a failure with done, while handling the page, is
// returned as it is.
func pages(ctx context.Context, what string, read func(cursor string) (next string, done bool, err error)) error {
	cursor := ""
	for range maxPollPages {
		next, done, err := read(cursor)
		switch {
		case err != nil && !done:
			return apiError(what, err)
		case err != nil || done:
			return err
		}
		activity.RecordHeartbeat(ctx, cursor)
		if next == "" {
			return nil
		}
		cursor = next
	}
	return nil
}

func (p *poll) following(ctx context.Context) error {
	var users []jsonobject.Object
	if err := pages(ctx, "GET following", func(cursor string) (string, bool, error) {
		page, err := p.sd.Following(ctx, p.in.Monitor.UserID, cursor)
		users = append(users, page.Users...)
		return page.NextCursor, false, err
	}); err != nil {
		return err
	}
	key := storage.FollowingSetKey(p.in.Monitor.ID)
	var prev contract.FollowingSet
	err := p.a.store.GetJSON(ctx, key, &prev)
	first := errors.Is(err, storage.ErrNotFound)
	if err != nil && !first {
		return err
	}
	set := contract.FollowingSet{MonitorID: p.in.Monitor.ID, UserID: p.in.Monitor.UserID, PolledAt: p.a.now().UTC()}
	for _, u := range users {
		id := u.ID()
		if id == "" {
			continue
		}
		set.Following = append(set.Following, id)
		if !first && !slices.Contains(prev.Following, id) {
			if err := p.start(ctx, contract.EventNewFollowing, u); err != nil {
				return err
			}
		}
	}
	slices.Sort(set.Following)
	return p.a.store.PutJSON(ctx, key, set)
}

func (p *poll) profile(ctx context.Context) error {
	user, err := p.sd.User(ctx, p.in.Monitor.UserID)
	if err != nil {
		return apiError("GET user", err)
	}
	id := user.ID()
	if id == "" {
		return temporal.NewNonRetryableApplicationError("profile has no id", contract.ErrTypeAPI, nil)
	}
	obsSource := fmt.Sprintf("%s-%s-%d", contract.SourceSocialDataPoll, p.in.Monitor.ID, p.in.To.Unix())
	o := contract.ObservationFor(obsSource, "profile_poll", id, user.JSON(), p.a.now(), nil)
	if err := ObserveProfile(ctx, p.a.deps.Temporal, p.a.deps.TaskQueue, p.a.deps.TrackedFields, o); err != nil {
		return err
	}
	return p.start(ctx, contract.EventProfileUpdate, user)
}

// start builds the webhook the monitor would have sent for data and starts its run like the ingress does.
func (p *poll) start(ctx context.Context, event string, data jsonobject.Object) error {
	body, err := json.Marshal(map[string]any{
		"event": event, "data": data,
		"meta": map[string]any{"monitor_id": p.in.Monitor.ID, "monitor_type": p.in.Monitor.Type, "monitored_id_str": p.in.Monitor.UserID},
	})
	if err != nil {
		return fmt.Errorf("encode recovered %s: %w", event, err)
	}
	hook, err := socialdata.ParseWebhook(body)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeInvalidInput, nil)
	}
	ev, err := socialdata.ParseMonitorEvent(hook)
	if err != nil {
		activity.GetLogger(ctx).Warn("recovered event unusable: skipped", "MonitorId", p.in.Monitor.ID, "error", err)
		return nil
	}
	raw := contract.RawEvent{Source: contract.SourceSocialDataPoll, EventType: event, ReceivedAt: p.a.now().UTC(), Body: body}
	outcomes, err := p.a.starter.Run(ctx, p.a.starter.PlanMonitorEvent(ev, raw))
	if err != nil {
		return err
	}
	if outcomes[0].Status == starts.Accepted {
		p.res.Started++
	} else {
		p.res.Duplicates++
	}
	return nil
}

// api returns the SocialData client, or a non-retryable error when no API key is configured.
func (a *Activities) api() (*socialdata.Client, error) {
	if a.deps.SocialData == nil {
		return nil, temporal.NewNonRetryableApplicationError("SOCIALDATA_API_KEY is not configured", contract.ErrTypeAPI, nil)
	}
	return a.deps.SocialData, nil
}
