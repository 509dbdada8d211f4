package contract

import (
	"encoding/json"
	"time"
)

// This file is the part of the contract about monitor events and profiles: payload types that cross the
// ingress → MonitorEventWorkflow → ProfileEntityWorkflow boundaries and the objects they write.

// MonitorEventInput starts MonitorEventWorkflow. The ingress has validated the body and derived the IDs; the
// StoreMonitorEvent activity parses it again for the content.
type MonitorEventInput struct {
	EventType string   `json:"event_type"`
	MonitorID string   `json:"monitor_id"`
	UserID    string   `json:"user_id"`
	TweetID   string   `json:"tweet_id,omitempty"`
	Raw       RawEvent `json:"raw"`
	// Revision is the processing revision of the run (CurrentRevision for new runs).
	Revision int `json:"revision,omitempty"`
}

// MonitorEventResult is MonitorEventWorkflow's result: where things were written and which users were observed.
type MonitorEventResult struct {
	RawKey        string   `json:"raw_key"`
	TweetKeys     []string `json:"tweet_keys,omitempty"`
	FollowKey     string   `json:"follow_key,omitempty"`
	ObservedUsers []string `json:"observed_users,omitempty"`
}

// StoreMonitorEventInput asks StoreMonitorEvent to normalize an event into tweets and follow edges and to
// return the user observations it contains.
type StoreMonitorEventInput struct {
	WorkflowID string   `json:"workflow_id"`
	Event      RawEvent `json:"event"`
}

// StoredMonitorEvent is StoreMonitorEvent's result.
type StoredMonitorEvent struct {
	TweetKeys    []string      `json:"tweet_keys,omitempty"`
	FollowKey    string        `json:"follow_key,omitempty"`
	Observations []Observation `json:"observations"`
}

// Change is one field's change, values as JSON.
type Change struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// ObservationSource says which event an observation came from.
type ObservationSource struct {
	EventType  string `json:"event_type"`
	WorkflowID string `json:"workflow_id"`
}

// Observation is one sighting of a user's profile at a time: every user object the pipeline sees (profile
// updates, followed users, tweet authors, quoted and retweeted authors) becomes one.
type Observation struct {
	// ID identifies the sighting ("<source workflow id>/<user id>"); the entity ignores a repeated ID.
	ID         string            `json:"id"`
	UserID     string            `json:"user_id"`
	ObservedAt time.Time         `json:"observed_at"`
	Source     ObservationSource `json:"source"`
	// User is the user object as received.
	User json.RawMessage `json:"user"`
	// Reported holds the provider's own changes (SocialData profile_update `changes`), when it sent any.
	Reported map[string]Change `json:"reported_changes,omitempty"`
}

// ObservationID returns the ID of the observation of userID made by the event run sourceWorkflowID.
func ObservationID(sourceWorkflowID, userID string) string {
	return sourceWorkflowID + "/" + userID
}

// ProfileEntityInput starts (or continues as new) a ProfileEntityWorkflow.
type ProfileEntityInput struct {
	UserID string `json:"user_id"`
	// TrackedFields are the fields whose changes make history entries.
	TrackedFields []string `json:"tracked_fields"`
	// State is carried over by continue-as-new; nil for a new entity.
	State *ProfileState `json:"state,omitempty"`
	// Revision is the processing revision of the run. A run continues as new with CurrentRevision, so an
	// entity started by an older worker moves to the current revision at its next continue-as-new.
	Revision int `json:"revision,omitempty"`
}

// ProfileState is a profile entity's state: the retained observations in observed-at order, the profile before
// the oldest retained one, and the newest full snapshot.
type ProfileState struct {
	// Base is the tracked-field state before Points[0]: the fold of observations no longer retained (trimmed to
	// bound the state, or loaded from the stored snapshot when the entity started afresh).
	Base map[string]string `json:"base,omitempty"`
	// Floor is the observed-at of the newest observation folded into Base. An observation at or before Floor
	// arrives too late to be placed exactly; it is ignored (and counted).
	Floor  time.Time        `json:"floor,omitempty"`
	Points []ProfilePoint   `json:"points"`
	Latest *ProfileSnapshot `json:"latest,omitempty"`
	// Applied counts the observations applied and stored over the entity's life; Ignored counts repeats,
	// too-late and malformed ones.
	Applied int `json:"applied"`
	Ignored int `json:"ignored"`
}

// ProfilePoint is one retained observation, reduced to its tracked fields.
type ProfilePoint struct {
	ObservationID string            `json:"observation_id"`
	ObservedAt    time.Time         `json:"observed_at"`
	Source        ObservationSource `json:"source"`
	// Fields maps each tracked field present in the observation to its compact JSON value. A field the
	// observation lacks is not a change: the previous value carries forward.
	Fields   map[string]string `json:"fields"`
	Reported map[string]Change `json:"reported_changes,omitempty"`
}

// ProfileSnapshot is a user's newest observed profile, stored at users/<id>/profile.json.
type ProfileSnapshot struct {
	UserID        string            `json:"user_id"`
	ObservedAt    time.Time         `json:"observed_at"`
	Source        ObservationSource `json:"source"`
	ObservationID string            `json:"observation_id"`
	User          json.RawMessage   `json:"user"`
}

// HistoryEntry is one change of a user's tracked fields, stored at users/<id>/history/<observed-at>-<hash>.json.
type HistoryEntry struct {
	UserID        string            `json:"user_id"`
	ObservedAt    time.Time         `json:"observed_at"`
	Source        ObservationSource `json:"source"`
	ObservationID string            `json:"observation_id"`
	// Changes is the computed diff against the previous observation: {field: {old, new}}.
	Changes map[string]Change `json:"changes"`
	// Reported is what the provider said changed, when it said so.
	Reported map[string]Change `json:"reported_changes,omitempty"`
	// Mismatch is true when Reported and Changes disagree (for example an intermediate update was missed).
	Mismatch bool `json:"mismatch,omitempty"`
	// Baseline is true when this is the first observation of the user: nothing to compare with, so only the
	// reported changes are known.
	Baseline bool `json:"baseline,omitempty"`
}

// WriteProfileInput asks WriteProfile to store an entity's effects of one observation: the new snapshot (if
// the observation is the newest) and the history entries to write or delete (an observation that arrives out
// of order is inserted where it belongs and corrects the entry after it).
type WriteProfileInput struct {
	UserID   string           `json:"user_id"`
	Snapshot *ProfileSnapshot `json:"snapshot,omitempty"`
	Upserts  []HistoryEntry   `json:"upserts,omitempty"`
	Deletes  []HistoryEntry   `json:"deletes,omitempty"`
}

// ProfileStatus answers ProfileStatusQuery.
type ProfileStatus struct {
	UserID     string    `json:"user_id"`
	Applied    int       `json:"applied"`
	Ignored    int       `json:"ignored"`
	Points     int       `json:"points"`
	LatestAt   time.Time `json:"latest_observed_at"`
	TrackedSet []string  `json:"tracked_fields"`
}

// ObservationFor builds the observation of a user object seen by event run workflowID at receivedAt.
func ObservationFor(workflowID, eventType, userID string, user []byte, receivedAt time.Time, reported map[string]Change) Observation {
	return Observation{
		ID:         ObservationID(workflowID, userID),
		UserID:     userID,
		ObservedAt: receivedAt.UTC(),
		Source:     ObservationSource{EventType: eventType, WorkflowID: workflowID},
		User:       user,
		Reported:   reported,
	}
}
