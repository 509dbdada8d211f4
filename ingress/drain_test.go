package ingress_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts/startstest"
)

func jobBody(id int) []byte {
	return []byte(fmt.Sprintf(`{"event":"job_finished","data":{"job_id":%d,"status":"error","message":"m"}}`, id))
}

// After an outage the backlog drains at most DrainConcurrency starts at once, and live webhooks go to Temporal
// directly as soon as it is healthy again — not into the spool behind the backlog.
func TestDrainLeavesLiveWebhooksTheirStarts(t *testing.T) {
	const backlog, workers = 8, 2
	tc := &mocks.Client{}
	tc.Test(t)
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sp.Close()) })
	srv := ingress.New(ingress.Options{
		TaskQueue: testQueue, WebhookToken: testWebhookToken, Spool: sp, MaxBodyBytes: 1 << 20,
		StartTimeout: 5 * time.Second, DrainRate: 0, DrainConcurrency: workers,
	}, tc, fakeStore{}, zap.NewNop())
	h := srv.Handler()
	post := func(body []byte) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/"+testWebhookToken, strings.NewReader(string(body))))
		return rec.Code, rec.Body.String()
	}
	isJob := func(ids ...int) any {
		return mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
			for _, id := range ids {
				if o.ID == fmt.Sprintf("socialdata-job-%d", id) {
					return true
				}
			}
			return false
		})
	}

	// The outage: the first webhook's start fails, so it is spooled and the ingress turns degraded; the
	// others of the backlog are spooled at once.
	tc.On("ExecuteWorkflow", mock.Anything, isJob(1), mock.Anything, mock.Anything).Return(nil, startstest.ErrUnavailable).Once()
	for id := 1; id <= backlog; id++ {
		code, out := post(jobBody(id))
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, out, `"spooled"`)
	}
	require.Equal(t, backlog, sp.Len())

	// Temporal is back. Each replayed start blocks until released, so the drain's concurrency shows.
	var inflight, peak atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	backlogIDs := make([]int, backlog)
	for i := range backlogIDs {
		backlogIDs[i] = i + 1
	}
	tc.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil)
	tc.On("ExecuteWorkflow", mock.Anything, isJob(backlogIDs...), mock.Anything, mock.Anything).Run(func(mock.Arguments) {
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		inflight.Add(-1)
	}).Return(&mocks.WorkflowRun{}, nil).Times(backlog)
	tc.On("ExecuteWorkflow", mock.Anything, isJob(100), mock.Anything, mock.Anything).Return(&mocks.WorkflowRun{}, nil).Once()
	// Live webhook 101 fails once during the drain (a blip) and is spooled; its replay blocks until released,
	// so the drain is still busy when live webhook 102 arrives.
	tc.On("ExecuteWorkflow", mock.Anything, isJob(101), mock.Anything, mock.Anything).Return(nil, startstest.ErrUnavailable).Once()
	release101 := make(chan struct{})
	var release101Once sync.Once
	tc.On("ExecuteWorkflow", mock.Anything, isJob(101), mock.Anything, mock.Anything).Run(func(mock.Arguments) {
		<-release101
	}).Return(&mocks.WorkflowRun{}, nil).Once()
	tc.On("ExecuteWorkflow", mock.Anything, isJob(102), mock.Anything, mock.Anything).Return(&mocks.WorkflowRun{}, nil).Once()

	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	go func() { defer close(drained); srv.Drain(ctx, 10*time.Millisecond) }()
	t.Cleanup(func() { // a failed test must not leave starts blocked
		releaseAll()
		release101Once.Do(func() { close(release101) })
		cancel()
		<-drained
	})

	// The drainer runs on its own goroutine: poll until its first starts are in flight (and blocked).
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.EqualValues(c, workers, inflight.Load())
	}, 10*time.Second, 10*time.Millisecond)
	code, out := post(jobBody(100))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, out, `"accepted"`, "a live webhook during the drain starts directly")

	code, out = post(jobBody(101))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, out, `"spooled"`, "Temporal failed this one: spooled")

	releaseAll()
	// The drainer runs on its own goroutine: poll until it has reached 101's replay (the backlog is started).
	require.EventuallyWithT(t, func(c *assert.CollectT) { assert.Equal(c, 1, sp.Len()) }, 10*time.Second, 10*time.Millisecond)
	code, out = post(jobBody(102))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, out, `"accepted"`, "once the drain's starts succeed again, live webhooks start directly")
	release101Once.Do(func() { close(release101) })
	// Poll until the drainer has emptied the spool.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assert.Zero(c, sp.Len()) }, 10*time.Second, 10*time.Millisecond)
	require.EqualValues(t, workers, peak.Load(), "never more than DrainConcurrency replayed starts at once")
	require.Zero(t, sp.Dead())
	tc.AssertExpectations(t)
}
