package contract

import "time"

// This file is the part of the contract about the poller: the Temporal Schedule that recovers what webhooks
// missed by reading the SocialData API and starting the same workflow IDs.

const (
	// PollerScheduleID is the Temporal Schedule that runs PollerWorkflow every POLL_INTERVAL.
	PollerScheduleID = "socialdata-poller"
	// PollerWorkflowIDPrefix is the workflow ID of the schedule's runs; Temporal appends the nominal time.
	PollerWorkflowIDPrefix = "socialdata-poller-run"
	// PollerWorkflowName polls every monitor over one window.
	PollerWorkflowName = "PollerWorkflow"

	ListMonitorsActivityName = "ListMonitors"
	PollMonitorActivityName  = "PollMonitor"

	// SourceSocialDataPoll marks events the poller recovered (raw archive keys, the Source search attribute).
	SourceSocialDataPoll = "socialdata-poll"

	// ErrTypeBalanceExhausted stops a poll or a job refresh: SocialData answered 402, nothing more can be read
	// until the balance is topped up.
	ErrTypeBalanceExhausted = "SocialDataBalanceExhausted"
	// ErrTypeAPI is a SocialData answer that a retry will not change (401, 403, 404, …), or no API key.
	ErrTypeAPI = "SocialDataAPIError"
)

// PollerInput is PollerWorkflow's input. The schedule passes Interval, Overlap and Concurrency; the window is
// then taken from the run's nominal schedule time (TemporalScheduledStartTime), so a schedule backfill re-polls
// exactly the past windows. A manual run (tctl/temporal workflow start) may give From/To and restrict the
// monitors or users instead.
type PollerInput struct {
	Interval    time.Duration `json:"interval"`
	Overlap     time.Duration `json:"overlap"`
	Concurrency int           `json:"concurrency,omitempty"`
	// From and To fix the window explicitly (both or neither).
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// MonitorIDs and UserIDs, when set, restrict the poll to those monitors / monitored users.
	MonitorIDs []string `json:"monitor_ids,omitempty"`
	UserIDs    []string `json:"user_ids,omitempty"`
	// Page and Stats are carried by continue-as-new (one page of monitors per run).
	Page  int       `json:"page,omitempty"`
	Stats PollStats `json:"stats"`
}

// PollStats sums a poll's outcome; it is the workflow's result.
type PollStats struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Monitors   int       `json:"monitors"`
	Skipped    int       `json:"skipped"`
	Failed     int       `json:"failed"`
	Started    int       `json:"started"`
	Duplicates int       `json:"duplicates"`
}

// FollowingSet is the following list a following monitor's last poll saw, at following/<monitor_id>.json.
type FollowingSet struct {
	MonitorID string    `json:"monitor_id"`
	UserID    string    `json:"user_id"`
	Following []string  `json:"following"`
	PolledAt  time.Time `json:"polled_at"`
}

// MonitorRef is what the poller needs of a monitor.
type MonitorRef struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	UserID string `json:"user_id"`
}

// MonitorList is one page of monitors.
type MonitorList struct {
	Monitors []MonitorRef `json:"monitors"`
	LastPage int          `json:"last_page"`
}

// PollMonitorInput asks PollMonitor to recover one monitor's events in [From, To].
type PollMonitorInput struct {
	Monitor MonitorRef `json:"monitor"`
	From    time.Time  `json:"from"`
	To      time.Time  `json:"to"`
}

// PollMonitorResult is one monitor's outcome.
type PollMonitorResult struct {
	Skipped    bool `json:"skipped,omitempty"`
	Started    int  `json:"started"`
	Duplicates int  `json:"duplicates"`
}
