//go:build prod

package prodtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/prodstack"
	"github.com/socialhook/pipeline/internal/dev/promise"
	"github.com/socialhook/pipeline/internal/storage"
)

// requirePromise asserts the figures of a load: nothing lost, nothing duplicated, every event answered 200.
func requirePromise(t *testing.T, f promise.Figures) {
	t.Helper()
	require.Zero(t, f.Lost, "lost events")
	require.Zero(t, f.Duplicated, "duplicated events")
	require.Zero(t, f.Refused, "every event answered 200 by an ingress")
	require.Positive(t, f.Accepted)
}

// The worker running a datafile copy is SIGKILLed mid-copy: after the heartbeat timeout the other worker
// copies the file again, and the job completes with one byte-identical object and one run.
func TestWorkerKilledMidDatafile(t *testing.T) {
	const jobID = 2_000_001
	df := fakesocialdata.Datafile{Name: "slow.bin", Size: 48 << 20, Seed: jobID, BytesPerSecond: 8 << 20}
	code, r := postTo(t, 0, tier.Fake.JobFinishedWebhook(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df}))
	require.Equal(t, http.StatusOK, code, r.Error)

	// Polled: the copy starts on some worker asynchronously; its heartbeat says which one (pid@host@).
	var copier *prodstack.Pipeline
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		desc, err := tier.Client.DescribeWorkflowExecution(t.Context(), r.WorkflowID, "")
		if !assert.NoError(c, err) {
			return
		}
		i := slices.IndexFunc(desc.GetPendingActivities(), func(a *workflowpb.PendingActivityInfo) bool {
			return a.GetActivityType().GetName() == contract.FetchDatafileActivityName && a.GetHeartbeatDetails() != nil
		})
		if !assert.GreaterOrEqual(c, i, 0, "the copy has not heartbeated yet") {
			return
		}
		identity := desc.GetPendingActivities()[i].GetLastWorkerIdentity()
		for _, w := range tier.Workers {
			if strings.HasPrefix(identity, strconv.Itoa(w.Pid())+"@") {
				copier = w
			}
		}
		assert.NotNil(c, copier, "copier %q is not one of the workers", identity)
	}, time.Minute, 200*time.Millisecond)
	copier.Kill()
	_, err := tier.Store.Get(t.Context(), storage.DatafileKey(jobID, "slow.bin"))
	require.ErrorIs(t, err, storage.ErrNotFound, "no partial object after the kill")

	var res contract.JobResult
	completed(t, r.WorkflowID, &res)
	require.Equal(t, fakesocialdata.SHA256(df.Seed, df.Size), res.SHA256)
	once(t, r.WorkflowID)
	keys, err := tier.Store.List(t.Context(), storage.DatafilePrefix(jobID))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{storage.DatafileKey(jobID, "slow.bin"), storage.ManifestKey(jobID)}, keys)
	fmt.Printf("FIGURES prod-worker-kill sent=1 accepted=1 lost=0 duplicated=0 killed=%s sha256_ok=true\n", copier.Name)
	require.NoError(t, copier.Start(t.Context()), "the killed worker comes back")
}

// One ingress is SIGKILLed under load; the load balancer's retry sends what it can no longer answer to the
// other, which keeps answering. The killed one comes back on its spool. Every event answered 200 is
// processed exactly once.
func TestIngressKilledUnderLoad(t *testing.T) {
	killed := tier.Ingresses[0]
	got := promise.Load(webhookURLs(), jobIDs(3_000_000, 400), 8, func(i int) {
		if i == 150 {
			killed.Kill()
		}
	})
	require.False(t, killed.Running())
	require.NoError(t, killed.Start(t.Context()), "the killed ingress comes back on its own spool")
	requirePromise(t, promise.Verify(t, target(), "prod-ingress-kill", got))
}

// A MinIO drive is wiped (all objects and MinIO's metadata on it) in the middle of a load: erasure coding
// keeps every read and write going, and every manifest is readable afterwards.
func TestMinIODriveWiped(t *testing.T) {
	ids := jobIDs(4_000_000, 300)
	got := promise.Load(webhookURLs(), ids, 8, func(i int) {
		if i == 100 {
			require.NoError(t, tier.MinIO.WipeDrive(2))
		}
	})
	requirePromise(t, promise.Verify(t, target(), "prod-minio-drive-wiped", got))
	for _, id := range ids {
		var m contract.JobManifest
		require.NoError(t, tier.Store.GetJSON(t.Context(), storage.ManifestKey(id), &m), "manifest of %d readable", id)
	}
}

// The Temporal server is SIGKILLed under load and started again: the ingresses spool while it is down and
// drain when it is back.
func TestTemporalServerKilled(t *testing.T) {
	got := promise.Load(webhookURLs(), jobIDs(5_000_000, 300), 8, func(i int) {
		switch i {
		case 60:
			tier.Temporal.Kill()
		case 200:
			require.NoError(t, tier.Temporal.Start(t.Context()))
		}
	})
	f := promise.Verify(t, target(), "prod-temporal-kill", got)
	requirePromise(t, f)
	require.Positive(t, f.Spooled, "the ingresses spooled while the server was down")
}

// PostgreSQL is stopped under load (fast shutdown: every connection drops) and started again on the same data
// after another 100 webhooks: while it is down the server cannot persist a start, so the ingresses spool;
// once it is back the server's stores reconnect, and every event is processed exactly once.
func TestPostgresRestarted(t *testing.T) {
	got := promise.Load(webhookURLs(), jobIDs(6_000_000, 300), 8, func(i int) {
		switch i {
		case 100:
			require.NoError(t, tier.Postgres.Stop())
		case 200:
			require.NoError(t, tier.Postgres.Start(t.Context()))
		}
	})
	f := promise.Verify(t, target(), "prod-postgres-restart", got)
	requirePromise(t, f)
	require.Positive(t, f.Spooled, "the ingresses spooled while the database was down")
}
