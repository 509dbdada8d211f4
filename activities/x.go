package activities

import (
	"context"
	"encoding/json"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/jsonobject"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// xaaProfileFields maps XAA profile.update.<what> to the (v1.1-named) profile field it changes.
var xaaProfileFields = map[string]string{
	"bio":             "description",
	"profile_picture": "profile_image_url_https",
	"banner_picture":  "profile_banner_url",
	"screenname":      "name",
	"handle":          "screen_name",
	"geo":             "location",
	"url":             "url",
	"verified_badge":  "verified",
	"affiliate_badge": "affiliate_badge",
}

// StoreXEvent stores what an X event carries — tweets at tweets/<id>.json (the tweet, its quoted and
// retweeted tweets; also a favorite's tweet), a delete's tombstone at tweets/<id>.deleted.json — and returns
// one observation per user object in it: tweet authors, likers, follow/block/mute sources and targets, DM
// participants (from the delivery's users map), XAA includes.users, and XAA profile.update.* as a one-field
// observation with the reported change.
func (a *Activities) StoreXEvent(ctx context.Context, in contract.StoreXEventInput) (contract.StoredXEvent, error) {
	env, err := jsonobject.Parse(in.Event.Body)
	if err != nil {
		return contract.StoredXEvent{}, temporal.NewNonRetryableApplicationError("X event is not a JSON object", contract.ErrTypeInvalidInput, nil)
	}
	x := xStore{a: a, ctx: ctx, in: in}
	if data := env.Child("data"); data != nil {
		x.xaa(data)
	} else {
		x.aaa(env)
	}
	return x.out, x.err
}

// xStore accumulates StoreXEvent's writes and observations; the first error stops further writes.
type xStore struct {
	a   *Activities
	ctx context.Context
	in  contract.StoreXEventInput
	out contract.StoredXEvent
	err error
}

func (x *xStore) put(key string, obj jsonobject.Object) {
	if x.err != nil {
		return
	}
	if x.err = x.a.store.PutBytes(x.ctx, key, obj.JSON(), "application/json"); x.err == nil {
		x.out.Keys = append(x.out.Keys, key)
	}
}

func (x *xStore) observe(user jsonobject.Object, reported map[string]contract.Change) {
	id := user.ID()
	if user == nil || id == "" {
		return
	}
	for _, o := range x.out.Observations {
		if o.UserID == id {
			return
		}
	}
	x.out.Observations = append(x.out.Observations, contract.ObservationFor(x.in.WorkflowID, x.in.Event.EventType,
		id, user.JSON(), x.in.Event.ReceivedAt, reported))
}

func (x *xStore) tweet(t jsonobject.Object) {
	for _, tw := range socialdata.EmbeddedTweets(t) {
		x.put(storage.TweetKey(tw.ID()), tw)
	}
	for _, u := range socialdata.TweetUsers(t) {
		x.observe(u, nil)
	}
}

// aaa handles an Account Activity event envelope (see xwebhook.Event.Body).
func (x *xStore) aaa(env jsonobject.Object) {
	ev := env.Child("event")
	if ev == nil {
		x.err = temporal.NewNonRetryableApplicationError("AAA envelope has no event", contract.ErrTypeInvalidInput, nil)
		return
	}
	var kind string
	_ = json.Unmarshal(env["kind"], &kind)
	switch kind {
	case xwebhook.KindTweet:
		x.tweet(ev)
	case xwebhook.KindFavorite:
		x.observe(ev.Child("user"), nil)
		if t := ev.Child("favorited_status"); t != nil {
			x.tweet(t)
		}
	case "follow", "unfollow", "block", "unblock", "mute", "unmute":
		x.observe(ev.Child("source"), nil)
		x.observe(ev.Child("target"), nil)
	case xwebhook.KindDM:
		users := env.Child("users")
		for _, k := range users.Keys() {
			x.observe(users.Child(k), nil)
		}
	case xwebhook.KindTweetDelete:
		if id := ev.Child("status").ID(); id != "" {
			x.put(storage.TweetKey(id+".deleted"), ev)
		}
	}
}

// xaa handles an X Activity API delivery.
func (x *xStore) xaa(data jsonobject.Object) {
	var eventType, userID string
	_ = json.Unmarshal(data["event_type"], &eventType)
	if f := data.Child("filter"); f != nil {
		_ = json.Unmarshal(f["user_id"], &userID)
	}
	if what, ok := strings.CutPrefix(eventType, "profile.update."); ok && userID != "" {
		if field, known := xaaProfileFields[what]; known {
			if p := data.Child("payload"); p != nil {
				user := jsonobject.Object{"id_str": mustJSON(userID), field: rawOrNull(p["after"])}
				x.observe(user, map[string]contract.Change{field: {Old: rawOrNull(p["before"]), New: rawOrNull(p["after"])}})
			}
		}
	}
	// Users the payload carries: follow.* wraps them as source.data / target.data, dm.* as users{id: {data}}.
	if p := data.Child("payload"); p != nil {
		for _, side := range []string{"source", "target"} {
			if u := p.Child(side).Child("data"); u != nil {
				x.observe(v2User(u), nil)
			}
		}
		users := p.Child("users")
		for _, id := range users.Keys() {
			if u := users.Child(id).Child("data"); u != nil {
				x.observe(v2User(u), nil)
			}
		}
	}
	if inc := data.Child("includes"); inc != nil {
		var users []jsonobject.Object
		_ = json.Unmarshal(inc["users"], &users)
		for _, u := range users {
			x.observe(v2User(u), nil)
		}
	}
}

// v2User maps an X API v2 user to the v1.1 field names the profile history tracks.
func v2User(u jsonobject.Object) jsonobject.Object {
	out := jsonobject.Object{}
	if id := u.ID(); id != "" {
		out["id_str"] = mustJSON(id)
	}
	for v2, v1 := range map[string]string{
		"name": "name", "username": "screen_name", "description": "description", "location": "location",
		"url": "url", "verified": "verified", "protected": "protected", "profile_image_url": "profile_image_url_https",
	} {
		if v, ok := u[v2]; ok {
			out[v1] = v
		}
	}
	return out
}

// WriteXDeliveries records which subscribed users an event was delivered for, at x/deliveries/<workflow-id>.json.
func (a *Activities) WriteXDeliveries(ctx context.Context, d contract.XDeliveries) (string, error) {
	key := storage.XDeliveriesKey(d.WorkflowID)
	if err := a.store.PutJSON(ctx, key, d); err != nil {
		return "", err
	}
	return key, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func rawOrNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}
