package socialdata

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/socialhook/pipeline/contract"

	"github.com/socialhook/pipeline/internal/jsonobject"
)

// Monitor event parse errors.
var (
	ErrMissingMonitorID = errors.New(`missing or invalid "meta.monitor_id"`)
	ErrMissingTweetID   = errors.New(`missing or invalid tweet "id_str"`)
	ErrMissingUserID    = errors.New(`missing or invalid user "id_str"`)
)

// Meta is the meta object of a monitor webhook.
type Meta struct {
	MonitorID         string `json:"monitor_id"`
	MonitorType       string `json:"monitor_type"`
	MonitoredIDStr    string `json:"monitored_id_str"`
	MonitoredUsername string `json:"monitored_username,omitempty"`
}

// MonitorEvent is a parsed new_tweet, new_following or profile_update webhook.
type MonitorEvent struct {
	Event string
	Meta  Meta
	// UserID is the user the event is about: the tweet's author, the followed user, the updated user.
	UserID string
	// TweetID is the tweet's id (new_tweet only).
	TweetID string
	// Data is the event's data object: a tweet or a user.
	Data jsonobject.Object
	// Changes are profile_update's reported changes (removed from Data).
	Changes map[string]contract.Change
}

var (
	monitorIDRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
)

// ParseMonitorEvent parses the data and meta of a monitor webhook. It is lenient where SocialData's own examples
// are malformed: meta may sit inside data, ids may be numbers or strings.
func ParseMonitorEvent(w Webhook) (MonitorEvent, error) {
	ev := MonitorEvent{Event: w.Event}
	data, err := jsonobject.Parse(w.Data)
	if err != nil {
		return MonitorEvent{}, ErrMissingData
	}
	meta := w.Meta
	if jsonobject.IsNull(meta) {
		meta = data["meta"] // the docs show meta nested in data in places
	}
	if !jsonobject.IsNull(meta) {
		if err := json.Unmarshal(meta, &ev.Meta); err != nil {
			return MonitorEvent{}, fmt.Errorf("%w: %s", ErrMissingMonitorID, jsonErrorDetail(err))
		}
	}
	delete(data, "meta")
	ev.Meta.MonitorID = strings.TrimSpace(ev.Meta.MonitorID)
	if !monitorIDRe.MatchString(ev.Meta.MonitorID) {
		return MonitorEvent{}, ErrMissingMonitorID
	}
	switch w.Event {
	case contract.EventNewTweet:
		if ev.TweetID = data.ID(); ev.TweetID == "" {
			return MonitorEvent{}, ErrMissingTweetID
		}
		author, _ := jsonobject.Parse(data["user"])
		if ev.UserID = author.ID(); ev.UserID == "" {
			return MonitorEvent{}, fmt.Errorf("tweet author: %w", ErrMissingUserID)
		}
	case contract.EventNewFollowing, contract.EventProfileUpdate:
		if ev.UserID = data.ID(); ev.UserID == "" {
			return MonitorEvent{}, ErrMissingUserID
		}
		if raw, ok := data["changes"]; ok && !jsonobject.IsNull(raw) {
			if err := json.Unmarshal(raw, &ev.Changes); err != nil {
				return MonitorEvent{}, fmt.Errorf(`"data.changes": %s`, jsonErrorDetail(err))
			}
		}
		delete(data, "changes")
	default:
		return MonitorEvent{}, fmt.Errorf("event %q is not a monitor event", w.Event)
	}
	ev.Data = data
	return ev, nil
}

// EmbeddedTweets returns the tweet and the tweets inside it (quoted_status, retweeted_status), each with a
// valid id.
func EmbeddedTweets(tweet jsonobject.Object) []jsonobject.Object {
	var out []jsonobject.Object
	for _, t := range []jsonobject.Object{tweet, tweet.Child("quoted_status"), tweet.Child("retweeted_status")} {
		if t != nil && t.ID() != "" {
			out = append(out, t)
		}
	}
	return out
}

// TweetUsers returns the users a tweet shows: its author and the authors of the tweets inside it, each once.
func TweetUsers(tweet jsonobject.Object) []jsonobject.Object {
	var out []jsonobject.Object
	seen := map[string]bool{}
	for _, t := range EmbeddedTweets(tweet) {
		if u := t.Child("user"); u != nil && u.ID() != "" && !seen[u.ID()] {
			seen[u.ID()] = true
			out = append(out, u)
		}
	}
	return out
}
