//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/socialhook/pipeline/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

// runPoll runs the poller over [from, to] for the given monitors (a manual run, as `temporal workflow start`
// would) and returns its stats.
func runPoll(t *testing.T, from, to time.Time, monitorIDs ...string) (contract.PollStats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := stack.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("test-poll-%d", newJobID()), TaskQueue: stack.Config.TaskQueue,
	}, contract.PollerWorkflowName, contract.PollerInput{From: from, To: to, MonitorIDs: monitorIDs, Concurrency: 2})
	require.NoError(t, err)
	var stats contract.PollStats
	err = run.Get(ctx, &stats)
	return stats, err
}

// requireOnce waits for workflowID to be indexed and requires exactly one run of it.
func requireOnce(t *testing.T, workflowID string) {
	t.Helper()
	// Visibility is eventually consistent: wait for the run to be indexed before counting.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assertIndexed(c, workflowID) }, 20*time.Second, 100*time.Millisecond, workflowID)
	require.EqualValues(t, 1, countRuns(t, workflowID), workflowID)
}

func user(id, name string) map[string]any {
	return map[string]any{"id": json.Number(id), "id_str": id, "name": name, "screen_name": "u" + id,
		"location": "", "url": nil, "description": "d", "profile_banner_url": nil,
		"profile_image_url_https": "https://pbs.twimg.com/p/" + id + ".jpg", "followers_count": 1, "verified": false, "protected": false}
}

func profileHash(t *testing.T, u map[string]any) string {
	t.Helper()
	b, err := json.Marshal(u)
	require.NoError(t, err)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &fields))
	return contract.ProfileHash(fields)
}

// With 30% of the webhooks lost, the poll after each round processes every event the fake produced exactly
// once: delivered ones dedupe, dropped ones are recovered.
func TestPollerRecoversDroppedWebhooks(t *testing.T) {
	base := newJobID()
	tweeter, follower, profiled := strconv.FormatInt(base*10+1, 10), strconv.FormatInt(base*10+2, 10), strconv.FormatInt(base*10+3, 10)
	mT, mF, mP := "mt"+tweeter, "mf"+follower, "mp"+profiled
	fake := stack.Fake
	for _, id := range []string{tweeter, follower, profiled} {
		fake.PutUser(user(id, "user "+id))
	}
	fake.AddMonitor(fakesocialdata.Monitor{ID: mT, Type: "user_tweets", UserID: tweeter})
	fake.AddMonitor(fakesocialdata.Monitor{ID: mF, Type: "user_following", UserID: follower})
	fake.AddMonitor(fakesocialdata.Monitor{ID: mP, Type: "user_profile", UserID: profiled})
	fake.AddMonitor(fakesocialdata.Monitor{ID: "ms" + tweeter, Type: "search_pump_fun"}) // unknown to the poller
	fake.SetWebhook(stack.WebhookURL, 0.3, uint64(base))

	// The first poll stores the following baseline (and the current profile).
	_, err := runPoll(t, time.Now().Add(-time.Hour), time.Now(), mT, mF, mP, "ms"+tweeter)
	require.NoError(t, err)

	profile := user(profiled, "user "+profiled)
	var tweets, follows []string
	var profileIDs []string
	ctx := context.Background()
	for round := range 3 {
		for i := range 7 {
			id := strconv.FormatInt(base*1000+int64(round*10+i), 10)
			_, err := fake.EmitTweet(ctx, mT, map[string]any{"id": json.Number(id), "id_str": id, "full_text": "tweet " + id})
			require.NoError(t, err)
			tweets = append(tweets, id)
		}
		for i := range 3 {
			id := strconv.FormatInt(base*1000+500+int64(round*10+i), 10)
			_, err := fake.EmitFollowing(ctx, mF, user(id, "followed "+id))
			require.NoError(t, err)
			follows = append(follows, id)
		}
		name := fmt.Sprintf("renamed %d", round)
		_, err := fake.EmitProfileUpdate(ctx, mP, map[string]any{"name": name})
		require.NoError(t, err)
		profile["name"] = name
		profileIDs = append(profileIDs, contract.ProfileUpdateWorkflowID(profiled, profileHash(t, profile)))

		stats, err := runPoll(t, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), mT, mF, mP, "ms"+tweeter)
		require.NoError(t, err)
		require.Equal(t, 1, stats.Skipped, "the search monitor is skipped, not fatal")
		require.Zero(t, stats.Failed)
	}
	dropped := 0
	for _, e := range fake.Emitted() {
		if (e.MonitorID == mT || e.MonitorID == mF || e.MonitorID == mP) && !e.Delivered {
			dropped++
		}
	}
	require.Positive(t, dropped, "the scenario must lose webhooks to mean anything")
	t.Logf("events: %d tweets, %d follows, %d profile updates; webhooks dropped: %d", len(tweets), len(follows), len(profileIDs), dropped)

	for _, id := range tweets {
		requireOnce(t, contract.TweetWorkflowID(mT, id))
		require.NoError(t, result(t, contract.TweetWorkflowID(mT, id), nil))
		_, err := stack.Store.Get(ctx, storage.TweetKey(id))
		require.NoError(t, err, "tweet %s stored", id)
	}
	for _, id := range follows {
		requireOnce(t, contract.FollowingWorkflowID(mF, id))
	}
	for _, id := range profileIDs {
		requireOnce(t, id)
	}
	// Nothing beyond the events: one run per tweet and per follow on these monitors.
	require.EqualValues(t, len(tweets), countQuery(t, `MonitorId = "`+mT+`"`))
	require.EqualValues(t, len(follows), countQuery(t, `MonitorId = "`+mF+`"`))
}

// `temporal schedule backfill` over a past window re-polls exactly that window: the tweet inside it is
// recovered, the one outside is not, and backfilling again starts nothing new.
func TestScheduleBackfillRecoversThatWindowOnly(t *testing.T) {
	base := newJobID()
	uid := strconv.FormatInt(base*10+5, 10)
	mB := "mb" + uid
	stack.Fake.PutUser(user(uid, "backfilled"))
	stack.Fake.AddMonitor(fakesocialdata.Monitor{ID: mB, Type: "user_tweets", UserID: uid})
	// A nominal time two days ago; the schedule's interval is 1h in the harness, so the window is
	// [h - 1h - 1m, h].
	h := time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)
	inside, outside := strconv.FormatInt(base*1000+1, 10), strconv.FormatInt(base*1000+2, 10)
	for id, at := range map[string]time.Time{inside: h.Add(-10 * time.Minute), outside: h.Add(-3 * time.Hour)} {
		stack.Fake.AddTweet(uid, map[string]any{"id": json.Number(id), "id_str": id, "full_text": "old " + id,
			"tweet_created_at": at.Format(fakesocialdata.TimeLayout), "user": user(uid, "backfilled")})
	}

	backfill := func() {
		bin, err := devstack.ToolPath("temporal")
		require.NoError(t, err)
		cmd := exec.Command(bin, "schedule", "backfill", "--address", stack.Config.TemporalAddress,
			"--namespace", stack.Config.TemporalNamespace, "--schedule-id", contract.PollerScheduleID,
			"--start-time", h.Add(-30*time.Minute).Format(time.RFC3339), "--end-time", h.Add(30*time.Minute).Format(time.RFC3339),
			"--overlap-policy", "AllowAll")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	// The backfilled runs of nominal time h (the schedule names them <prefix>-<nominal time>), once completed.
	// Visibility is eventually consistent: poll it.
	done := func(n int64) {
		q := fmt.Sprintf(`WorkflowId = "%s-%s" AND ExecutionStatus = "Completed"`, contract.PollerWorkflowIDPrefix, h.Format(time.RFC3339))
		require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, q, n) }, 60*time.Second, 200*time.Millisecond, q)
	}
	insideID, outsideID := contract.TweetWorkflowID(mB, inside), contract.TweetWorkflowID(mB, outside)
	backfill()
	done(1)
	requireOnce(t, insideID)
	require.EqualValues(t, 0, countRuns(t, outsideID), "the tweet outside the window is not recovered")

	backfill()
	done(2)
	require.EqualValues(t, 1, countRuns(t, insideID), "a second backfill starts no duplicate")
	require.EqualValues(t, 0, countRuns(t, outsideID))
}

// A 402 stops the poll with a clear, non-retryable reason.
func TestPollerStopsOnExhaustedBalance(t *testing.T) {
	stack.Fake.SetBalanceExhausted(true)
	defer stack.Fake.SetBalanceExhausted(false)
	_, err := runPoll(t, time.Now().Add(-time.Hour), time.Now())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.Equal(t, contract.ErrTypeBalanceExhausted, appErr.Type())
	require.Contains(t, appErr.Error(), "402")
}

// A 429 backs off and retries: the poll still completes.
func TestPollerBacksOffOnRateLimit(t *testing.T) {
	uid := strconv.FormatInt(newJobID()*10+6, 10)
	stack.Fake.PutUser(user(uid, "limited"))
	stack.Fake.AddMonitor(fakesocialdata.Monitor{ID: "ml" + uid, Type: "user_profile", UserID: uid})
	stack.Fake.FailNext(1, http.StatusTooManyRequests)
	stats, err := runPoll(t, time.Now().Add(-time.Hour), time.Now(), "ml"+uid)
	require.NoError(t, err)
	require.Equal(t, 1, stats.Monitors)
	require.Zero(t, stats.Failed)
}

// registerJob calls POST /v1/jobs on the stack's ingress.
func registerJob(t *testing.T, jobID int64) (int, ingress.Answer) {
	t.Helper()
	return registerJobAt(t, stack.Ingress.URL, jobID)
}

// A job registered before its webhook, whose webhook never comes, is fetched by polling GET /jobs/{id}.
func TestRegisteredJobFetchedByPolling(t *testing.T) {
	jobID := newJobID()
	df := fakesocialdata.Datafile{Name: "polled.json", Size: 4096, Seed: uint64(jobID)}
	stack.Fake.PutJob(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df, PendingPolls: 2})
	code, reply := registerJob(t, jobID)
	require.Equal(t, http.StatusOK, code, reply.Error)
	require.Equal(t, "accepted", reply.Status)
	require.Equal(t, contract.JobWorkflowID(jobID), reply.WorkflowID)
	var res contract.JobResult
	require.NoError(t, result(t, reply.WorkflowID, &res))
	require.Equal(t, contract.JobStatusSuccess, res.Status)
	require.Equal(t, fakesocialdata.SHA256(df.Seed, df.Size), res.SHA256)
	require.Equal(t, 3, stack.Fake.Requests("/jobs/"+strconv.FormatInt(jobID, 10)), "two 'processing' answers, then success")

	code, reply = registerJob(t, jobID)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
}

// A webhook racing a registration (whose poll never sees the job finish) leaves one workflow that completes
// with the webhook's datafile; a repeat of the webhook is a duplicate.
func TestWebhookRacingRegistrationIsOneWorkflow(t *testing.T) {
	for round := range 3 {
		jobID := newJobID()
		df := fakesocialdata.Datafile{Name: "raced.json", Size: 2048, Seed: uint64(jobID)}
		job := fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df, PendingPolls: 1 << 30}
		stack.Fake.PutJob(job)
		var wg sync.WaitGroup
		var hookReply ingress.Answer
		var regCode, hookCode int
		var regErr, hookErr error
		wg.Go(func() { regCode, _, regErr = tryRegisterJob(stack.Ingress.URL, jobID) })
		wg.Go(func() { hookCode, hookReply, hookErr = tryPost(stack.WebhookURL, stack.Fake.JobFinishedWebhook(job)) })
		wg.Wait()
		require.NoError(t, regErr)
		require.NoError(t, hookErr)
		require.Equal(t, http.StatusOK, regCode, "round %d", round)
		require.Equal(t, http.StatusOK, hookCode, "round %d", round)
		require.Equal(t, "accepted", hookReply.Status, "the webhook reached the run either way (round %d)", round)
		var res contract.JobResult
		require.NoError(t, result(t, contract.JobWorkflowID(jobID), &res))
		require.Equal(t, fakesocialdata.SHA256(df.Seed, df.Size), res.SHA256)
		requireOnce(t, contract.JobWorkflowID(jobID))
		code, reply := post(t, stack.WebhookURL, stack.Fake.JobFinishedWebhook(job))
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "duplicate", reply.Status)
	}
}
