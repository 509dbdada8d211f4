package contract

import (
	"strings"
	"time"
)

// This file is the part of the contract about X webhooks (Account Activity API and X Activity API).

// SourceX names X in raw-archive keys and the Source search attribute.
const SourceX = "x"

// XEventWorkflowName processes one X event: archive, store, observe users, record which subscribed users it
// was delivered for.
const XEventWorkflowName = "XEventWorkflow"

// DeliveredSignal tells an XEventWorkflow that its event was delivered again, for the for_user_id in the
// signal (a string). The ingress sends it when a start is a duplicate.
const DeliveredSignal = "delivered"

// Activities of XEventWorkflow.
const (
	StoreXEventActivityName      = "StoreXEvent"
	WriteXDeliveriesActivityName = "WriteXDeliveries"
)

// XWorkflowID returns the workflow ID of an X event: "x-<kind>-<identity parts joined by ->". The identity is
// the event's own (REFERENCE: tweet id, favorite id, DM id, type+created_timestamp+source+target, status
// id+timestamp_ms, XAA event_uuid …) and never includes for_user_id, so an event delivered for several
// subscribed users is processed once.
func XWorkflowID(kind string, identity ...string) string {
	return "x-" + kind + "-" + strings.Join(identity, "-")
}

// XEphemeralWorkflowID returns the ID of the archive of a delivery's typing/read indicators, keyed by the
// delivery body's sha256 (hex): "x-ephemeral-<first 32 hex>".
func XEphemeralWorkflowID(bodySHA256Hex string) string {
	if len(bodySHA256Hex) > 32 {
		bodySHA256Hex = bodySHA256Hex[:32]
	}
	return "x-ephemeral-" + bodySHA256Hex
}

// XEventInput starts XEventWorkflow.
type XEventInput struct {
	API       string `json:"api"`
	Kind      string `json:"kind"`
	EventType string `json:"event_type"`
	// ForUserID is the subscribed user of the first delivery ("" when the event has none).
	ForUserID string `json:"for_user_id,omitempty"`
	// DeliveryWindow is how long the run waits for the same event delivered for other subscribed users
	// before recording the recipients and completing (X_DELIVERY_WINDOW).
	DeliveryWindow time.Duration `json:"delivery_window"`
	// Raw is the event on its own (AAA) or the whole delivery (XAA), as JSON.
	Raw RawEvent `json:"raw"`
	// Revision is the processing revision of the run (CurrentRevision for new runs).
	Revision int `json:"revision,omitempty"`
}

// XEventResult is XEventWorkflow's result.
type XEventResult struct {
	RawKey        string   `json:"raw_key"`
	Keys          []string `json:"keys,omitempty"`
	ObservedUsers []string `json:"observed_users,omitempty"`
	Recipients    []string `json:"recipients,omitempty"`
	DeliveriesKey string   `json:"deliveries_key,omitempty"`
}

// StoreXEventInput asks StoreXEvent to store an X event and return its user observations.
type StoreXEventInput struct {
	WorkflowID string   `json:"workflow_id"`
	Event      RawEvent `json:"event"`
}

// StoredXEvent is StoreXEvent's result.
type StoredXEvent struct {
	Keys         []string      `json:"keys,omitempty"`
	Observations []Observation `json:"observations,omitempty"`
}

// XDeliveries records which subscribed users an event was delivered for, at x/deliveries/<workflow-id>.json.
type XDeliveries struct {
	WorkflowID string    `json:"workflow_id"`
	EventType  string    `json:"event_type"`
	ForUserIDs []string  `json:"for_user_ids"`
	RecordedAt time.Time `json:"recorded_at"`
}
