//go:build integration

package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/demo"
	"github.com/socialhook/pipeline/internal/dev/testenv"
)

// A short demo stream on the real pipeline (Temporal dev server, MinIO, worker, ingress): every event type
// becomes runs, one per event whatever the duplicates, and a poll recovers every webhook the fake lost.
func TestDemoOnThePipeline(t *testing.T) {
	ctx := context.Background()
	stack, err := testenv.Start(ctx, testenv.Options{})
	require.NoError(t, err)
	t.Cleanup(stack.Close)
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(out.String())
		}
	})
	cfg := demo.Config{
		IngressURL: stack.Ingress.URL, WebhookToken: testenv.WebhookToken, XSecret: testenv.XSecrets[0],
		Fake: stack.Fake, Duration: 5 * time.Second,
		PollInterval: stack.Config.PollInterval, DropFraction: 0.3, Seed: 11, Out: &out,
	}
	sum, err := demo.Run(ctx, cfg, stack.Logger)
	require.NoError(t, err)
	require.Zero(t, sum.Failed)
	require.NotEmpty(t, sum.Dropped, "the fake lost webhooks")

	count := func(query string) int64 {
		n, err := stack.Count(ctx, query)
		require.NoError(t, err)
		return n
	}
	// assertCount is count for one try of a require.EventuallyWithT poll: an error fails the try, not the test.
	assertCount := func(c *assert.CollectT, query string, want int64) {
		n, err := stack.Count(ctx, query)
		if assert.NoError(c, err, "count %s", query) {
			assert.Equal(c, want, n, "executions matching %s", query)
		}
	}
	for _, d := range sum.Dropped {
		require.Zero(t, count(testenv.RunsQuery(d.WorkflowID)), "the ingress never saw %s", d.WorkflowID)
	}

	// A poll, as the schedule starts one every POLL_INTERVAL (the harness's is an hour: trigger it now). A poll's
	// window ends at its nominal time, which Temporal keeps in whole seconds: wait until the second after the
	// stream's last event has begun, or that event would be left to the next window.
	streamEnd := time.Now()
	require.Eventually(t, func() bool { return time.Now().Truncate(time.Second).After(streamEnd) },
		2*time.Second, 10*time.Millisecond)
	handle := stack.Client.ScheduleClient().GetHandle(ctx, contract.PollerScheduleID)
	require.NoError(t, handle.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}))
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	recovered, err := demo.AwaitRecovery(waitCtx, stack.Client, sum.Dropped, &out, stack.Logger)
	require.NoError(t, err)
	require.Equal(t, len(sum.Dropped), recovered)
	for _, d := range sum.Dropped {
		q := fmt.Sprintf(`%s AND Source = "%s"`, testenv.RunsQuery(d.WorkflowID), contract.SourceSocialDataPoll)
		// Visibility is eventually consistent: the run exists (AwaitRecovery saw it) but may not be indexed yet.
		require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, q, 1) }, 20*time.Second, 200*time.Millisecond, q)
	}

	// One run per event: the deliveries that reached the ingress, less the duplicates, plus the recovered ones.
	want := map[string]int64{}
	for _, row := range sum.Rows {
		want[row.EventType] += int64(row.Sent - row.Duplicates + row.Dropped)
	}
	tests := []struct {
		eventType string
		source    string
	}{
		{contract.EventJobFinished, contract.SourceSocialData},
		{contract.EventNewTweet, contract.SourceSocialData},
		{contract.EventNewFollowing, contract.SourceSocialData},
		{contract.EventProfileUpdate, contract.SourceSocialData},
		{"tweet", contract.SourceX},
		{"favorite", contract.SourceX},
		{"follow", contract.SourceX},
		{"dm", contract.SourceX},
		{"post.create", contract.SourceX},
		{"profile.update.bio", contract.SourceX},
		{"follow.follow", contract.SourceX},
		{"like.create", contract.SourceX},
	}
	for _, tc := range tests {
		t.Run(tc.eventType, func(t *testing.T) {
			require.Positive(t, want[tc.eventType], "the stream sent %s", tc.eventType)
			q := fmt.Sprintf(`EventType = "%s"`, tc.eventType)
			// Visibility is eventually consistent: wait for the runs to be indexed.
			require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, q, want[tc.eventType]) }, 30*time.Second, 200*time.Millisecond,
				"%s: want %d runs", q, want[tc.eventType])
			if tc.source == contract.SourceX {
				require.Equal(t, want[tc.eventType], count(q+` AND Source = "x"`))
			}
		})
	}
	require.Equal(t, int64(len(sum.Jobs)), want[contract.EventJobFinished])

	// The flaky datafile answered 500 before it was served: the fetch retried, and the job and the error job
	// complete.
	for _, id := range []int64{sum.FlakyJob, sum.ErrorJob} {
		q := fmt.Sprintf(`JobId = "%d" AND ExecutionStatus = "Completed"`, id)
		// Visibility is eventually consistent, and the retries take about 15 s (1, 2, 4, 8 s backoff).
		require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, q, 1) }, 90*time.Second, 500*time.Millisecond, q)
	}
	require.Greater(t, stack.Fake.Requests(fmt.Sprintf("/datafiles/%d.json", sum.FlakyJob)), 1, "the datafile was fetched again after failing")
}
