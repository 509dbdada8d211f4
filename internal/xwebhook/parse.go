package xwebhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/socialhook/pipeline/internal/jsonobject"
)

// APIs a delivery can come from.
const (
	APIAccountActivity = "aaa"
	APIActivity        = "xaa"
)

// Event kinds. They name the event in its workflow ID (x-<kind>-<identity>) and in EventType.
const (
	KindTweet       = "tweet"
	KindFavorite    = "favorite"
	KindDM          = "dm"
	KindTweetDelete = "tweet-delete"
	KindRevoke      = "revoke"
	KindReplay      = "replay"
	KindTyping      = "typing"
	KindRead        = "read"
	// KindEvent is an XAA event; its EventType is the XAA event_type.
	KindEvent = "event"
	// follow, unfollow, block, unblock, mute and unmute come from the events' own "type".
)

// Event is one event of a delivery, with everything needed to process it on its own.
type Event struct {
	API  string
	Kind string
	// EventType is the provider's name for it: the AAA array key or type (tweet_create_events, follow…), the
	// XAA event_type (profile.update.bio…).
	EventType string
	// Identity is the event's own identity (see contract.XWorkflowID); never includes for_user_id.
	Identity []string
	// ForUserID is the subscribed user the delivery was for (AAA), or the XAA filter's user_id.
	ForUserID string
	// Body is the event on its own: {"api","kind","event_type","for_user_id","event","users"} for AAA, the
	// whole delivery for XAA.
	Body []byte
}

// Delivery is a parsed POST.
type Delivery struct {
	API string
	// Events are the events that get a workflow each.
	Events []Event
	// Ephemeral holds typing and read indicators, archived together instead of a workflow each.
	Ephemeral []Event
	// Unknown lists top-level keys the pipeline does not know; the delivery is then archived whole.
	Unknown []string
}

// aaaContextKeys are top-level AAA keys that are not events.
var aaaContextKeys = map[string]bool{"for_user_id": true, "users": true, "apps": true, "user_has_blocked": true}

// Parse parses a delivery: XAA when it has data.event_uuid, AAA otherwise.
func Parse(body []byte) (Delivery, error) {
	top, err := jsonobject.Parse(body)
	if err != nil {
		return Delivery{}, jsonobject.ErrMalformed
	}
	if data := top.Child("data"); data != nil && str(data["event_uuid"]) != "" {
		return parseXAA(data, body), nil
	}
	return parseAAA(top), nil
}

func parseXAA(data jsonobject.Object, body []byte) Delivery {
	ev := Event{
		API: APIActivity, Kind: KindEvent, EventType: str(data["event_type"]),
		Identity: nonEmpty(str(data["event_uuid"])), Body: body,
	}
	if len(ev.Identity) == 0 {
		ev.Identity = []string{"h" + digest(body)}
	}
	if f := data.Child("filter"); f != nil {
		ev.ForUserID = str(f["user_id"])
	}
	return Delivery{API: APIActivity, Events: []Event{ev}}
}

func parseAAA(top jsonobject.Object) Delivery {
	d := Delivery{API: APIAccountActivity}
	forUser := str(top["for_user_id"])
	for _, key := range top.Keys() {
		if aaaContextKeys[key] {
			continue
		}
		raw := top[key]
		for _, obj := range objects(raw) {
			kind, identity, ephemeral, known := aaaIdentity(key, obj)
			if !known {
				d.Unknown = append(d.Unknown, key)
				break
			}
			if len(identity) == 0 {
				identity = []string{"h" + digest(obj.JSON())}
			}
			ev := Event{API: APIAccountActivity, Kind: kind, EventType: key, Identity: identity, ForUserID: forUser}
			ev.Body = envelope(ev, obj, top["users"])
			if ephemeral {
				d.Ephemeral = append(d.Ephemeral, ev)
			} else {
				d.Events = append(d.Events, ev)
			}
		}
	}
	return d
}

// aaaIdentity returns an AAA event's kind and identity (empty when its fields are missing).
func aaaIdentity(key string, e jsonobject.Object) (kind string, identity []string, ephemeral, known bool) {
	switch key {
	case "tweet_create_events":
		return KindTweet, nonEmpty(e.ID()), false, true
	case "favorite_events":
		return KindFavorite, nonEmpty(str(e["id"])), false, true
	case "follow_events", "block_events", "mute_events":
		typ := safe(str(e["type"]))
		if typ == "" {
			typ = strings.TrimSuffix(key, "_events")
		}
		return typ, nonEmpty(str(e["created_timestamp"]), e.Child("source").ID(), e.Child("target").ID()), false, true
	case "direct_message_events":
		return KindDM, nonEmpty(str(e["id"])), false, true
	case "tweet_delete_events":
		return KindTweetDelete, nonEmpty(e.Child("status").ID(), str(e["timestamp_ms"])), false, true
	case "user_event":
		r := e.Child("revoke")
		if r == nil {
			return KindRevoke, nil, false, true
		}
		return KindRevoke, nonEmpty(str(r.Child("source")["user_id"]), str(r.Child("target")["app_id"]), str(r["date_time"])), false, true
	case "replay_job_status":
		return KindReplay, nonEmpty(str(e["job_id"]), str(e["job_state"])), false, true
	case "direct_message_indicate_typing_events":
		return KindTyping, nil, true, true
	case "direct_message_mark_read_events":
		return KindRead, nil, true, true
	}
	return "", nil, false, false
}

// envelope is one AAA event on its own, with the delivery's context it needs.
func envelope(ev Event, obj jsonobject.Object, users json.RawMessage) []byte {
	m := map[string]any{
		"api": ev.API, "kind": ev.Kind, "event_type": ev.EventType, "for_user_id": ev.ForUserID,
		"event": json.RawMessage(obj.JSON()),
	}
	if len(bytes.TrimSpace(users)) > 0 {
		m["users"] = users
	}
	b, _ := json.Marshal(m)
	return b
}

// objects returns raw as a list of objects: an array's object elements, or the object itself.
func objects(raw json.RawMessage) []jsonobject.Object {
	if o, err := jsonobject.Parse(raw); err == nil {
		return []jsonobject.Object{o}
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		return nil
	}
	out := make([]jsonobject.Object, 0, len(arr))
	for _, r := range arr {
		if o, err := jsonobject.Parse(r); err == nil {
			out = append(out, o)
		}
	}
	return out
}

// str returns a JSON string or number as text ("" otherwise).
func str(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return ""
	}
	if t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) == nil {
			return strings.TrimSpace(s)
		}
		return ""
	}
	if (t[0] >= '0' && t[0] <= '9') || t[0] == '-' {
		return string(t)
	}
	return ""
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safe keeps identity parts usable in workflow IDs and object keys.
func safe(s string) string {
	s = unsafeChars.ReplaceAllString(strings.TrimSpace(s), "_")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// nonEmpty returns the sanitised parts, or nil if any is empty (the identity is then incomplete).
func nonEmpty(parts ...string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if out[i] = safe(p); out[i] == "" {
			return nil
		}
	}
	return out
}

// digest returns the first 24 hex chars of sha256(b).
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:24]
}
