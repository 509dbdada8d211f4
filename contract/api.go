// Package contract is what every process of the pipeline agrees on: the task queue, the registered workflow and
// activity names, the workflow-ID functions that make duplicate deliveries idempotent, the search attributes, the
// error types, and the payload types that cross the ingress → Temporal → worker boundary.
//
// It imports no workflow or activity code, so the ingress, the worker, the poller and operators computing IDs by
// hand all depend on the same definitions and on nothing else.
package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Registered workflow names. They are stable strings, independent of Go function names, so a rename in code
// can never break a running execution.
const (
	// JobWorkflowName processes one SocialData async job: archive its webhook, fetch its datafile.
	JobWorkflowName = "JobWorkflow"
	// ArchiveEventWorkflowName archives a webhook body the pipeline does not handle yet, so nothing is dropped.
	ArchiveEventWorkflowName = "ArchiveEventWorkflow"
	// MonitorEventWorkflowName processes one SocialData monitor event (new_tweet, new_following,
	// profile_update): archive, store tweets and follow edges, hand every user seen to its profile entity.
	MonitorEventWorkflowName = "MonitorEventWorkflow"
	// ProfileEntityWorkflowName is the long-lived entity that owns one user's profile snapshot and history.
	ProfileEntityWorkflowName = "ProfileEntityWorkflow"
)

// Signals and queries of ProfileEntityWorkflow.
const (
	// ObserveSignal delivers one Observation to a profile entity.
	ObserveSignal = "observe"
	// ProfileStatusQuery returns the entity's ProfileStatus.
	ProfileStatusQuery = "status"
)

// Registered activity names.
const (
	ArchiveRawActivityName        = "ArchiveRaw"
	FetchDatafileActivityName     = "FetchDatafile"
	RefreshJobActivityName        = "RefreshJob"
	WriteJobManifestActivityName  = "WriteJobManifest"
	StoreMonitorEventActivityName = "StoreMonitorEvent"
	ObserveProfilesActivityName   = "ObserveProfiles"
	WriteProfileActivityName      = "WriteProfile"
	LoadProfileActivityName       = "LoadProfile"
	AwaitJobActivityName          = "AwaitJob"
)

// JobFinishedUpdate hands a job_finished webhook to a JobWorkflow that was registered before its webhook. It
// returns "accepted" while the run waits, "duplicate" once it has the job.
const JobFinishedUpdate = "job_finished"

// Sources name where a webhook came from; they appear in raw-archive object keys.
const (
	SourceSocialData = "socialdata"
)

// Event types as the providers name them. They are the values of the EventType search attribute.
const (
	EventJobFinished   = "job_finished"
	EventNewTweet      = "new_tweet"
	EventNewFollowing  = "new_following"
	EventProfileUpdate = "profile_update"
)

// Terminal SocialData job statuses (GET /jobs/{id} and the job_finished webhook); "pending" and "processing"
// mean the job still runs.
const (
	JobStatusSuccess = "success"
	JobStatusError   = "error"
)

// Errors of CheckJobFinished.
var (
	ErrJobNotTerminal = errors.New(`job status must be "success" or "error"`)
	ErrJobNoDatafile  = errors.New("a successful job needs a datafile URL")
)

// JobTerminal reports whether status is a finished job's: success or error.
func JobTerminal(status string) bool { return status == JobStatusSuccess || status == JobStatusError }

// CheckJobFinished is the one rule for a finished job, applied to the webhook, to polls and to workflow inputs:
// status success with a datafile URL, or status error.
func CheckJobFinished(status, datafileURL string) error {
	switch {
	case !JobTerminal(status):
		return fmt.Errorf("%w, got %q", ErrJobNotTerminal, status)
	case status == JobStatusSuccess && strings.TrimSpace(datafileURL) == "":
		return ErrJobNoDatafile
	}
	return nil
}

// Search attributes set on every run so the Temporal UI and `temporal workflow list --query` can filter.
// The worker registers them on the namespace at start, or checks they exist (see worker.EnsureSearchAttributes
// and worker.CheckSearchAttributes).
var (
	// EventTypeKey holds the provider's event type, e.g. "job_finished".
	EventTypeKey = temporal.NewSearchAttributeKeyKeyword("EventType")
	// JobIDKey holds the SocialData job id of job runs.
	JobIDKey = temporal.NewSearchAttributeKeyKeyword("JobId")
	// SourceKey holds the webhook source, e.g. "socialdata".
	SourceKey = temporal.NewSearchAttributeKeyKeyword("Source")
	// MonitorIDKey holds the SocialData monitor id of monitor events.
	MonitorIDKey = temporal.NewSearchAttributeKeyKeyword("MonitorId")
	// UserIDKey holds the user an event is about (the tweet's author, the followed or updated user), and the
	// user of a profile entity.
	UserIDKey = temporal.NewSearchAttributeKeyKeyword("UserId")
)

// SearchAttributeKeys lists every custom search attribute the pipeline uses, for registration.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{EventTypeKey, JobIDKey, SourceKey, MonitorIDKey, UserIDKey}
}

// The search attribute probe. A custom search attribute is unusable for a moment after it is registered, so
// before the worker reports ready it starts, and terminates at once, runs that set every attribute of
// SearchAttributeKeys until the server accepts one (worker.WaitSearchAttributes). No worker registers the
// workflow type or polls the task queue: the runs never execute.
const (
	// SearchAttributeProbeWorkflowName is the probe runs' workflow type.
	SearchAttributeProbeWorkflowName = "SearchAttributeProbe"
	// SearchAttributeProbeWorkflowIDPrefix starts the probe runs' workflow IDs: "<prefix>-<16 random hex>".
	SearchAttributeProbeWorkflowIDPrefix = "pipeline-search-attribute-probe"
	// SearchAttributeProbeTaskQueue is the probe runs' task queue, which nothing polls.
	SearchAttributeProbeTaskQueue = "pipeline-search-attribute-probe"
	// SearchAttributeProbeValue is the value the probe runs give every Keyword or Text attribute, so that
	// `Source = "search-attribute-probe"` finds them.
	SearchAttributeProbeValue = "search-attribute-probe"
)

// ErrInvalidJobID is returned for a job id that is not a positive integer.
var ErrInvalidJobID = errors.New("job id must be a positive integer")

// JobWorkflowID returns the workflow ID of SocialData job jobID: "socialdata-job-<job_id>". The webhook, a
// manual registration and the poller all derive the same ID, so a job is processed once however it arrives.
func JobWorkflowID(jobID int64) string {
	return "socialdata-job-" + strconv.FormatInt(jobID, 10)
}

// ArchiveEventWorkflowID returns the workflow ID for archiving an unhandled webhook body from source, keyed by
// the body's sha256 (hex) so re-deliveries of the same body are archived once:
// "<source>-unhandled-<first 32 hex chars of sha256>".
func ArchiveEventWorkflowID(source, bodySHA256Hex string) string {
	if len(bodySHA256Hex) > 32 {
		bodySHA256Hex = bodySHA256Hex[:32]
	}
	return fmt.Sprintf("%s-unhandled-%s", source, bodySHA256Hex)
}

// TweetWorkflowID returns the workflow ID of a new_tweet event: "socialdata-tweet-<monitor_id>-<tweet id_str>".
// The poller derives the same ID from the API's tweet list, so a tweet is processed once per monitor.
func TweetWorkflowID(monitorID, tweetID string) string {
	return "socialdata-tweet-" + monitorID + "-" + tweetID
}

// FollowingWorkflowID returns the workflow ID of a new_following event:
// "socialdata-following-<monitor_id>-<followed user id_str>".
func FollowingWorkflowID(monitorID, followedUserID string) string {
	return "socialdata-following-" + monitorID + "-" + followedUserID
}

// ProfileUpdateWorkflowID returns the workflow ID of a profile_update event:
// "socialdata-profile-<user id_str>-<ProfileHash of the new profile>". The same new profile reached by a
// webhook or by a poll gives the same ID.
func ProfileUpdateWorkflowID(userID, profileHash string) string {
	return "socialdata-profile-" + userID + "-" + profileHash
}

// ProfileEntityWorkflowID returns the workflow ID of user userID's profile entity: "profile-<user id_str>".
func ProfileEntityWorkflowID(userID string) string {
	return "profile-" + userID
}

// MonitorProfileFields are the fields SocialData's profile monitor fires on. ProfileHash hashes exactly these,
// whatever PROFILE_TRACKED_FIELDS says, so workflow IDs never change with configuration.
var MonitorProfileFields = []string{
	"name", "screen_name", "location", "url", "description", "profile_banner_url", "profile_image_url_https",
}

// ProfileHash returns a short, stable hash (16 hex chars of sha256) of a user's MonitorProfileFields. fields
// maps a field name to its compact JSON value; an absent field hashes as null.
func ProfileHash(fields map[string]json.RawMessage) string {
	h := sha256.New()
	for _, name := range MonitorProfileFields {
		fmt.Fprintf(h, "%s=%s\n", name, CompactJSON(fields[name]))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CompactJSON returns v without insignificant whitespace, "null" when v is empty, and v itself when it is not
// valid JSON. It makes field values comparable byte for byte.
func CompactJSON(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v)
	}
	return buf.String()
}

// RawEvent is a webhook body exactly as received, with where and when it arrived. It travels in workflow input
// only because the ingress caps bodies well below Temporal's payload limit (see config MAX_BODY_BYTES).
type RawEvent struct {
	Source     string    `json:"source"`
	EventType  string    `json:"event_type"`
	ReceivedAt time.Time `json:"received_at"`
	Body       []byte    `json:"body"`
}

// Processing revisions. Every event input carries the revision its run was started with (field "revision"),
// and a workflow branches on it wherever its steps changed, so a run always replays exactly as it ran — even
// one started by an older ingress and still waiting (storage outage, registered job, long-lived profile
// entity) when a newer worker is deployed. The revision travels in the start event rather than coming from
// workflow.GetVersion because GetVersion upserts the TemporalChangeVersion search attribute on every run: one
// more visibility write per event (its cost is in BENCHMARKS.md).
const (
	// RevisionActivities runs every storage step as a regular activity. Inputs without a revision (runs
	// started before revisions existed, hand-written CLI inputs that omit it) have this one.
	RevisionActivities = 0
	// RevisionLocalStorage runs storage steps local-first: as local activities inside the workflow task,
	// falling back to a regular activity when the store does not answer (storageStep).
	RevisionLocalStorage = 1
	// RevisionJobWait makes a registered job's run wait one poll interval before its first poll, wait through
	// 404s (the API may not know the job yet) and failed polls for its webhook, and give up after
	// JobInput.WaitTimeout.
	RevisionJobWait = 2
	// CurrentRevision is the revision every starter in this repo sets on new runs.
	CurrentRevision = RevisionJobWait
)

// DefaultJobWaitTimeout is how long a registered job's run waits when JobInput.WaitTimeout is unset.
const DefaultJobWaitTimeout = 7 * 24 * time.Hour

// JobInput starts JobWorkflow. It carries the parsed job and the raw webhook that announced it.
type JobInput struct {
	JobID int64 `json:"job_id"`
	// Status is the job's status as last reported: success or error; empty for a registered job whose run
	// waits for the webhook (or polls).
	Status string `json:"status"`
	// DatafileURL is result.datafile_url of a successful job; it may expire.
	DatafileURL string `json:"datafile_url,omitempty"`
	// ErrorMessage is the provider's message for a failed job.
	ErrorMessage string `json:"error_message,omitempty"`
	// Raw is the webhook as received; nil when the run was started without a webhook.
	Raw *RawEvent `json:"raw,omitempty"`
	// PollInterval is the first wait between polls of GET /jobs/{id} for a registered job (then ×1.5, at most
	// 5 min); zero means 10 s.
	PollInterval time.Duration `json:"poll_interval,omitempty"`
	// WaitTimeout is how long a registered job's run waits for its webhook or a terminal poll before it fails
	// as not finished (ErrTypeJobWaitExpired); zero means DefaultJobWaitTimeout.
	WaitTimeout time.Duration `json:"wait_timeout,omitempty"`
	// Revision is the processing revision of the run (CurrentRevision for new runs).
	Revision int `json:"revision,omitempty"`
}

// JobResult is JobWorkflow's result, shown in the Temporal UI. It holds keys and digests, never data.
type JobResult struct {
	JobID        int64  `json:"job_id"`
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message,omitempty"`
	RawKey       string `json:"raw_key,omitempty"`
	ManifestKey  string `json:"manifest_key"`
	DatafileKey  string `json:"datafile_key,omitempty"`
	Size         int64  `json:"size,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
}

// ArchiveRawInput asks the ArchiveRaw activity to store a raw event under the workflow's ID.
type ArchiveRawInput struct {
	WorkflowID string   `json:"workflow_id"`
	Event      RawEvent `json:"event"`
}

// FetchDatafileInput asks FetchDatafile to stream url into MinIO under datafiles/<job_id>/.
type FetchDatafileInput struct {
	JobID int64  `json:"job_id"`
	URL   string `json:"url"`
}

// Datafile describes a datafile stored in MinIO.
type Datafile struct {
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	SourceURL   string    `json:"source_url"`
	FetchedAt   time.Time `json:"fetched_at"`
}

// JobStatus is a job's state as GET /jobs/{id} reports it.
type JobStatus struct {
	JobID       int64  `json:"job_id"`
	Status      string `json:"status"`
	DatafileURL string `json:"datafile_url,omitempty"`
	Message     string `json:"message,omitempty"`
}

// JobManifest is written to datafiles/<job_id>/manifest.json once a job run has an outcome: the datafile's
// size, digest, content type and source (without query secrets) on success, the reason otherwise.
type JobManifest struct {
	JobID        int64     `json:"job_id"`
	Status       string    `json:"status"`
	ErrorMessage string    `json:"error_message,omitempty"`
	Datafile     *Datafile `json:"datafile,omitempty"`
	WorkflowID   string    `json:"workflow_id"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// Manifest statuses beyond the provider's own success/error.
const (
	// ManifestFetchFailed records a successful job whose datafile could not be fetched (non-retryable reason).
	ManifestFetchFailed = "fetch_failed"
)

// Error types of non-retryable application errors raised by activities. Workflows match on them.
const (
	ErrTypeHostNotAllowed = "DatafileHostNotAllowed"
	ErrTypeURLExpired     = "DatafileURLExpired"
	ErrTypeDatafileClient = "DatafileClientError"
	ErrTypeInvalidInput   = "InvalidInput"
	// ErrTypeJobNotFinished is the retryable failure of a poll that found the job still running: the retry
	// policy is the poll loop, and the last failure shows "still processing" in the UI.
	ErrTypeJobNotFinished = "JobNotFinished"
	// ErrTypeJobWaitExpired fails a registered job's run that got neither its webhook nor a terminal poll
	// within its wait timeout.
	ErrTypeJobWaitExpired = "JobWaitExpired"
	// ErrTypeTooLarge is a datafile over DATAFILE_MAX_BYTES.
	ErrTypeTooLarge = "DatafileTooLarge"
	// ErrTypeFetchFailed fails a JobWorkflow whose datafile fetch ran out of retries.
	ErrTypeFetchFailed = "DatafileFetchFailed"
)
