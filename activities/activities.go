// Package activities owns the pipeline's side effects: writing raw events and manifests to MinIO, streaming
// job datafiles into MinIO, and reading job status from the SocialData API. Activities are methods on
// Activities, which receives its dependencies at construction; the worker registers them under the stable
// names in the workflows contract.
package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/storage"
)

// Deps are the dependencies of the activities.
type Deps struct {
	Store *storage.Store
	// SocialData reads the SocialData API; nil when no API key is configured.
	SocialData *socialdata.Client
	// Allowlist decides which hosts datafiles may come from.
	Allowlist *config.HostAllowlist
	// Temporal signals profile entities (signal-with-start).
	Temporal client.Client
	// TaskQueue is where profile entities are started.
	TaskQueue string
	// TrackedFields are the profile fields whose changes make history entries (for new entities).
	TrackedFields []string
	// DatafileMaxBytes caps a datafile (0: no cap).
	DatafileMaxBytes int64
	// DatafileAllowPrivate lets datafiles come from private and loopback addresses (local stacks, tests).
	DatafileAllowPrivate bool
}

// Activities holds the dependencies of every activity.
type Activities struct {
	deps      Deps
	store     *storage.Store
	datafiles *http.Client
	// starter starts the runs polls recover, by the ingress's rules; the activity's context bounds each start.
	starter *starts.Starter
	now     func() time.Time
}

// New returns the activities over deps.
func New(deps Deps) *Activities {
	return &Activities{
		deps:      deps,
		store:     deps.Store,
		datafiles: newDatafileClient(deps.Allowlist, deps.DatafileAllowPrivate),
		starter:   &starts.Starter{Temporal: deps.Temporal, TaskQueue: deps.TaskQueue},
		now:       time.Now,
	}
}

// Register registers every activity on r under its contract name.
func (a *Activities) Register(r interface {
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}) {
	for name, fn := range map[string]any{
		contract.ArchiveRawActivityName:        a.ArchiveRaw,
		contract.FetchDatafileActivityName:     a.FetchDatafile,
		contract.RefreshJobActivityName:        a.RefreshJob,
		contract.WriteJobManifestActivityName:  a.WriteJobManifest,
		contract.StoreMonitorEventActivityName: a.StoreMonitorEvent,
		contract.ObserveProfilesActivityName:   a.ObserveProfiles,
		contract.WriteProfileActivityName:      a.WriteProfile,
		contract.LoadProfileActivityName:       a.LoadProfile,
		contract.StoreXEventActivityName:       a.StoreXEvent,
		contract.AwaitJobActivityName:          a.AwaitJob,
		contract.ListMonitorsActivityName:      a.ListMonitors,
		contract.PollMonitorActivityName:       a.PollMonitor,
		contract.WriteXDeliveriesActivityName:  a.WriteXDeliveries,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// ArchiveRaw stores a webhook body as received at raw/<source>/<yyyy>/<mm>/<dd>/<workflow-id>.json and returns
// the key. Rewriting the same key on a retry is harmless: the body is the same.
func (a *Activities) ArchiveRaw(ctx context.Context, in contract.ArchiveRawInput) (string, error) {
	if in.WorkflowID == "" || in.Event.Source == "" || len(in.Event.Body) == 0 {
		return "", temporal.NewNonRetryableApplicationError("archive needs a workflow id, a source and a body",
			contract.ErrTypeInvalidInput, nil)
	}
	key := storage.RawKey(in.Event.Source, in.Event.ReceivedAt, in.WorkflowID)
	if err := a.store.PutBytes(ctx, key, in.Event.Body, "application/json"); err != nil {
		return "", err
	}
	activity.GetLogger(ctx).Info("raw event archived", "key", key, "bytes", len(in.Event.Body))
	return key, nil
}

// WriteJobManifest stores m at datafiles/<job_id>/manifest.json and returns the key.
func (a *Activities) WriteJobManifest(ctx context.Context, m contract.JobManifest) (string, error) {
	if m.JobID <= 0 {
		return "", temporal.NewNonRetryableApplicationError("manifest needs a job id", contract.ErrTypeInvalidInput, nil)
	}
	if m.RecordedAt.IsZero() {
		m.RecordedAt = a.now().UTC()
	}
	key := storage.ManifestKey(m.JobID)
	if err := a.store.PutJSON(ctx, key, m); err != nil {
		return "", err
	}
	return key, nil
}

// AwaitJob is one poll of a registered job (GET /jobs/{id}): it returns the job once terminal and fails
// retryably (ErrTypeJobNotFinished) while it is pending or processing, and while the API answers 404 — a job
// registered here may not be known to the API yet (a typo shows as the run waiting, not as a lost webhook).
// The activity's retry policy is the poll loop.
func (a *Activities) AwaitJob(ctx context.Context, jobID int64) (contract.JobStatus, error) {
	st, err := a.RefreshJob(ctx, jobID)
	var apiErr *socialdata.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		return st, temporal.NewApplicationError(fmt.Sprintf("job %d is not known to the API yet (404)", jobID), contract.ErrTypeJobNotFinished)
	}
	if err != nil {
		return st, err
	}
	if !contract.JobTerminal(st.Status) {
		return st, temporal.NewApplicationError(fmt.Sprintf("job %d is still %s", jobID, st.Status), contract.ErrTypeJobNotFinished)
	}
	return st, nil
}

// RefreshJob reads job jobID's current status from the SocialData API (GET /jobs/{id}), to obtain a fresh
// datafile URL when the one in the webhook has expired. Its failures are classified by apiError.
func (a *Activities) RefreshJob(ctx context.Context, jobID int64) (contract.JobStatus, error) {
	if a.deps.SocialData == nil {
		return contract.JobStatus{}, temporal.NewNonRetryableApplicationError(
			"SOCIALDATA_API_KEY is not configured: cannot refresh the job", contract.ErrTypeAPI, nil)
	}
	job, err := a.deps.SocialData.GetJob(ctx, jobID)
	if err != nil {
		return contract.JobStatus{}, apiError(fmt.Sprintf("GET /jobs/%d", jobID), err)
	}
	return contract.JobStatus{JobID: job.JobID, Status: job.Status, DatafileURL: job.DatafileURL, Message: job.Message}, nil
}
