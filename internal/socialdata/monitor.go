package socialdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
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

// Object is a JSON object kept as raw fields, so unknown fields survive and ids above 2^53 stay exact.
type Object map[string]json.RawMessage

// Change is one field's change as SocialData reports it in profile_update's data.changes.
type Change struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
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
	Data Object
	// Changes are profile_update's reported changes (removed from Data).
	Changes map[string]Change
}

var (
	digits      = regexp.MustCompile(`^[0-9]{1,20}$`)
	monitorIDRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
)

// ParseMonitorEvent parses the data and meta of a monitor webhook. It is lenient where SocialData's own examples
// are malformed: meta may sit inside data, ids may be numbers or strings.
func ParseMonitorEvent(w Webhook) (MonitorEvent, error) {
	ev := MonitorEvent{Event: w.Event}
	data, err := ParseObject(w.Data)
	if err != nil {
		return MonitorEvent{}, ErrMissingData
	}
	meta := w.Meta
	if isNull(meta) {
		meta = data["meta"] // the docs show meta nested in data in places
	}
	if !isNull(meta) {
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
	case EventNewTweet:
		if ev.TweetID = data.ID(); ev.TweetID == "" {
			return MonitorEvent{}, ErrMissingTweetID
		}
		author, _ := ParseObject(data["user"])
		if ev.UserID = author.ID(); ev.UserID == "" {
			return MonitorEvent{}, fmt.Errorf("tweet author: %w", ErrMissingUserID)
		}
	case EventNewFollowing, EventProfileUpdate:
		if ev.UserID = data.ID(); ev.UserID == "" {
			return MonitorEvent{}, ErrMissingUserID
		}
		if raw, ok := data["changes"]; ok && !isNull(raw) {
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

// ParseObject decodes a JSON object; anything else is an error.
func ParseObject(raw json.RawMessage) (Object, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var o Object
	if err := json.Unmarshal(trimmed, &o); err != nil {
		return nil, err
	}
	return o, nil
}

// ID returns the object's id as a decimal string: id_str when present, else a numeric (or numeric string) id,
// exact whatever its size. It returns "" when there is no valid id.
func (o Object) ID() string {
	for _, key := range []string{"id_str", "id"} {
		raw := bytes.TrimSpace(o[key])
		if len(raw) == 0 || isNull(raw) {
			continue
		}
		s := string(raw)
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &s); err != nil {
				continue
			}
			s = strings.TrimSpace(s)
		}
		if digits.MatchString(s) {
			return s
		}
	}
	return ""
}

// Child returns the object under key, or nil when absent, null or not an object.
func (o Object) Child(key string) Object {
	c, err := ParseObject(o[key])
	if err != nil {
		return nil
	}
	return c
}

// Keys returns the object's keys, sorted.
func (o Object) Keys() []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// JSON encodes the object (keys sorted).
func (o Object) JSON() []byte {
	b, _ := json.Marshal(map[string]json.RawMessage(o))
	return b
}

// EmbeddedTweets returns the tweet and the tweets inside it (quoted_status, retweeted_status), each with a
// valid id.
func EmbeddedTweets(tweet Object) []Object {
	var out []Object
	for _, t := range []Object{tweet, tweet.Child("quoted_status"), tweet.Child("retweeted_status")} {
		if t != nil && t.ID() != "" {
			out = append(out, t)
		}
	}
	return out
}

// TweetUsers returns the users a tweet shows: its author and the authors of the tweets inside it, each once.
func TweetUsers(tweet Object) []Object {
	var out []Object
	seen := map[string]bool{}
	for _, t := range EmbeddedTweets(tweet) {
		if u := t.Child("user"); u != nil && u.ID() != "" && !seen[u.ID()] {
			seen[u.ID()] = true
			out = append(out, u)
		}
	}
	return out
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
