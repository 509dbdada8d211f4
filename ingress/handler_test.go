package ingress_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// These tests drive the real Gin handler over the SDK's mocks.Client: what the ingress asks of Temporal for
// each webhook, and what it answers when Temporal says accepted, already started, closed, or nothing at all.

const (
	testWebhookToken = "handler-test-webhook-token-0123"
	testAPIToken     = "handler-test-api-token-0123"
	testQueue        = "handler-test-queue"
	testPollInterval = 7 * time.Second
	testWaitTimeout  = 3 * time.Hour
	testXWindow      = 90 * time.Second

	// jobID is the workflow of testdata/samples/socialdata_job_finished_success.json (job 42).
	jobID = "socialdata-job-42"
	// favoriteID is the workflow of testdata/x/aaa_favorite.json (for_user_id 3001).
	favoriteID = "x-favorite-a7ba59eab0bfcba386f7acedac279542"
)

var (
	errAlreadyStarted = serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run-1")
	errRunClosed      = serviceerror.NewNotFound("workflow execution already completed")
	errUnavailable    = serviceerror.NewUnavailable("connection refused")
	errValidator      = temporal.NewApplicationError("job already has its webhook", "JobWebhookRejected")
)

// fakeStore is an object store that answers every readiness check and holds nothing.
type fakeStore struct{}

func (fakeStore) Ping(context.Context) error                     { return nil }
func (fakeStore) Get(context.Context, string) ([]byte, error)    { return nil, storage.ErrNotFound }
func (fakeStore) List(context.Context, string) ([]string, error) { return nil, nil }

// spoolMode is the spool a test server gets.
type spoolMode int

const (
	noSpool spoolMode = iota
	openSpool
	// closedSpool is a spool that was closed: every Put fails.
	closedSpool
)

// startCall is one ExecuteWorkflow the ingress made.
type startCall struct {
	opts     client.StartWorkflowOptions
	workflow any
	input    any
}

// harness is an ingress over a mocks.Client, with the calls it made.
type harness struct {
	t         *testing.T
	temporal  *mocks.Client
	spool     *spool.Spool
	spoolPath string
	secret    xwebhook.Secret
	handler   http.Handler

	mu      sync.Mutex // starts and updates are recorded from the ingress's start goroutines
	starts  []startCall
	updates []client.UpdateWorkflowOptions
	handles []*mocks.WorkflowUpdateHandle
}

func newHarness(t *testing.T, mode spoolMode) *harness {
	t.Helper()
	secrets, err := xwebhook.ParseSecrets([]string{"handler-test-consumer-secret"})
	require.NoError(t, err)
	h := &harness{t: t, temporal: &mocks.Client{}, secret: secrets[0]}
	// Test(t): an unexpected call fails the test instead of panicking (in a start goroutine, that would end
	// the whole test binary).
	h.temporal.Test(t)
	if mode != noSpool {
		h.spoolPath = filepath.Join(t.TempDir(), "spool.db")
		h.spool, err = spool.Open(h.spoolPath)
		require.NoError(t, err)
		if mode == closedSpool {
			require.NoError(t, h.spool.Close())
		} else {
			t.Cleanup(func() { require.NoError(t, h.spool.Close()) })
		}
	}
	opts := ingress.Options{
		TaskQueue:       testQueue,
		WebhookToken:    testWebhookToken,
		APIToken:        testAPIToken,
		XSecrets:        secrets,
		XDeliveryWindow: testXWindow,
		JobPollInterval: testPollInterval,
		JobWaitTimeout:  testWaitTimeout,
		Spool:           h.spool,
		MaxBodyBytes:    1 << 20,
		StartTimeout:    5 * time.Second,
	}
	h.handler = ingress.New(opts, h.temporal, fakeStore{}, zap.NewNop()).Handler()
	return h
}

// hasDeadline matches the context of a call to Temporal: every one must be bounded (Options.StartTimeout).
var hasDeadline = mock.MatchedBy(func(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
})

// expectStart expects one start of workflow id, answered with err (nil: started).
func (h *harness) expectStart(id string, err error) {
	var run client.WorkflowRun
	if err == nil {
		run = &mocks.WorkflowRun{}
	}
	h.temporal.On("ExecuteWorkflow", hasDeadline,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == id }),
		mock.Anything, mock.Anything,
	).Run(func(args mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.starts = append(h.starts, startCall{opts: args.Get(1).(client.StartWorkflowOptions), workflow: args.Get(2), input: args.Get(3)})
	}).Return(run, err).Once()
}

// expectUpdate expects the job webhook to be handed to the open run of id: the update is sent (callErr nil),
// then the run answers outcome, or getErr.
func (h *harness) expectUpdate(id string, callErr error, outcome string, getErr error) {
	var handle client.WorkflowUpdateHandle
	if callErr == nil {
		uh := &mocks.WorkflowUpdateHandle{}
		uh.Test(h.t)
		uh.On("Get", hasDeadline, mock.Anything).Return(func(_ context.Context, ptr any) error {
			if getErr != nil {
				return getErr
			}
			p, ok := ptr.(*string)
			if !ok {
				return errors.New("the update's outcome must be read into a *string")
			}
			*p = outcome
			return nil
		}).Once()
		h.handles = append(h.handles, uh)
		handle = uh
	}
	h.temporal.On("UpdateWorkflow", hasDeadline,
		mock.MatchedBy(func(o client.UpdateWorkflowOptions) bool { return o.WorkflowID == id }),
	).Run(func(args mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.updates = append(h.updates, args.Get(1).(client.UpdateWorkflowOptions))
	}).Return(handle, callErr).Once()
}

// expectSignal expects the open run of id to be told about recipient forUserID, answered with err.
func (h *harness) expectSignal(id, forUserID string, err error) {
	h.temporal.On("SignalWorkflow", hasDeadline, id, "", contract.DeliveredSignal, forUserID).Return(err).Once()
}

// expectDescribe expects one look at the latest run of id, which has status.
func (h *harness) expectDescribe(id string, status enums.WorkflowExecutionStatus) {
	h.temporal.On("DescribeWorkflowExecution", hasDeadline, id, "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: status},
	}, nil).Once()
}

// assertExpectations checks that every expected call to Temporal was made.
func (h *harness) assertExpectations() {
	h.t.Helper()
	h.temporal.AssertExpectations(h.t)
	for _, uh := range h.handles {
		uh.AssertExpectations(h.t)
	}
}

// answer is the body of a webhook answer.
type answer struct {
	Status     string `json:"status"`
	WorkflowID string `json:"workflow_id"`
	Workflows  []struct {
		WorkflowID string `json:"workflow_id"`
		Status     string `json:"status"`
	} `json:"workflows"`
	Error string `json:"error"`
}

func (h *harness) do(req *http.Request) (int, answer) {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	var a answer
	require.NoError(h.t, json.Unmarshal(rec.Body.Bytes(), &a), "answer: %s", rec.Body.String())
	return rec.Code, a
}

func (h *harness) postSocialData(body []byte) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/"+testWebhookToken, strings.NewReader(string(body)))
}

func (h *harness) postX(body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/x", strings.NewReader(string(body)))
	req.Header.Set(xwebhook.SignatureHeader, xwebhook.Sign(h.secret, body))
	return req
}

// readiness asks GET /readyz, with Temporal and the store answering, and returns its status.
func (h *harness) readiness() (int, string) {
	h.t.Helper()
	h.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil).Once()
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var out struct {
		Status string `json:"status"`
	}
	require.NoError(h.t, json.Unmarshal(rec.Body.Bytes(), &out))
	return rec.Code, out.Status
}

// requireStarts checks every start the ingress made: the same workflow and input each time, on the test task
// queue, with the dedupe rules of internal/starts (a failed run may be started again, an open or completed
// one is a duplicate, reported as an error).
func (h *harness) requireStarts(n int, workflow string, input any) {
	h.t.Helper()
	require.Len(h.t, h.starts, n)
	for _, s := range h.starts {
		require.Equal(h.t, testQueue, s.opts.TaskQueue)
		require.Equal(h.t, enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, s.opts.WorkflowIDReusePolicy)
		require.Equal(h.t, enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL, s.opts.WorkflowIDConflictPolicy)
		require.True(h.t, s.opts.WorkflowExecutionErrorWhenAlreadyStarted)
		require.Equal(h.t, workflow, s.workflow)
		got, gotBody := normalized(h.t, s.input, true)
		want, wantBody := normalized(h.t, input, false)
		require.Equal(h.t, want, got)
		require.Equal(h.t, wantBody, gotBody, "the raw body")
	}
}

// normalized returns a start input without its raw body (returned apart, as text, so a mismatch prints
// readably) and, when received, without its receive time, which it checks is now.
func normalized(t *testing.T, input any, received bool) (any, string) {
	t.Helper()
	strip := func(raw *contract.RawEvent) string {
		if received {
			require.WithinDuration(t, time.Now(), raw.ReceivedAt, time.Minute)
			raw.ReceivedAt = time.Time{}
		}
		body := string(raw.Body)
		raw.Body = nil
		return body
	}
	switch in := input.(type) {
	case contract.JobInput:
		if in.Raw == nil {
			return in, ""
		}
		raw := *in.Raw
		body := strip(&raw)
		in.Raw = &raw
		return in, body
	case contract.XEventInput:
		body := strip(&in.Raw)
		return in, body
	}
	return input, ""
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	return body
}

// restartedAfter is a job webhook whose start found a run that then closed with status before the hand-off
// reached it: nothing processed the job, so it is started again.
func restartedAfter(status enums.WorkflowExecutionStatus) func(h *harness) {
	return func(h *harness) {
		h.expectStart(jobID, errAlreadyStarted)
		h.expectUpdate(jobID, errRunClosed, "", nil)
		h.expectDescribe(jobID, status)
		h.expectStart(jobID, nil)
	}
}

func TestJobWebhookStart(t *testing.T) {
	body := readTestdata(t, "samples/socialdata_job_finished_success.json")
	wantInput := contract.JobInput{
		JobID: 42, Status: contract.JobStatusSuccess,
		DatafileURL: "https://s3.amazonaws.com/socialdata-example/jobs/42.json",
		Raw:         &contract.RawEvent{Source: contract.SourceSocialData, EventType: contract.EventJobFinished, Body: body},
		Revision:    contract.CurrentRevision,
	}
	tests := []struct {
		name       string
		expect     func(h *harness)
		wantStatus string
		wantStarts int
		wantSpool  int
	}{
		{
			name:       "started",
			expect:     func(h *harness) { h.expectStart(jobID, nil) },
			wantStatus: "accepted", wantStarts: 1,
		},
		{
			name: "handed to the registered run waiting for it",
			expect: func(h *harness) {
				h.expectStart(jobID, errAlreadyStarted)
				h.expectUpdate(jobID, nil, "accepted", nil)
			},
			wantStatus: "accepted", wantStarts: 1,
		},
		{
			name: "handed to a run that has the job already",
			expect: func(h *harness) {
				h.expectStart(jobID, errAlreadyStarted)
				h.expectUpdate(jobID, nil, "duplicate", nil)
			},
			wantStatus: "duplicate", wantStarts: 1,
		},
		{
			name: "run completed before the hand-off",
			expect: func(h *harness) {
				h.expectStart(jobID, errAlreadyStarted)
				h.expectUpdate(jobID, errRunClosed, "", nil)
				h.expectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)
			},
			wantStatus: "duplicate", wantStarts: 1,
		},
		{
			name:       "run failed before the hand-off",
			expect:     restartedAfter(enums.WORKFLOW_EXECUTION_STATUS_FAILED),
			wantStatus: "accepted", wantStarts: 2,
		},
		{
			name:       "run terminated before the hand-off",
			expect:     restartedAfter(enums.WORKFLOW_EXECUTION_STATUS_TERMINATED),
			wantStatus: "accepted", wantStarts: 2,
		},
		{
			name:       "run timed out before the hand-off",
			expect:     restartedAfter(enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT),
			wantStatus: "accepted", wantStarts: 2,
		},
		{
			name:       "run canceled before the hand-off",
			expect:     restartedAfter(enums.WORKFLOW_EXECUTION_STATUS_CANCELED),
			wantStatus: "accepted", wantStarts: 2,
		},
		{
			// The run's validator refused the webhook: not a duplicate (nothing says the run processed it) and
			// no retry changes the answer, so the body is kept in the spool, where the drainer sets it aside.
			name: "hand-off refused by the open run",
			expect: func(h *harness) {
				h.expectStart(jobID, errAlreadyStarted)
				h.expectUpdate(jobID, nil, "", errValidator)
				h.expectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
			},
			wantStatus: "spooled", wantStarts: 1, wantSpool: 1,
		},
		{
			name: "hand-off refused by the open run before a handle",
			expect: func(h *harness) {
				h.expectStart(jobID, errAlreadyStarted)
				h.expectUpdate(jobID, errValidator, "", nil)
				h.expectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
			},
			wantStatus: "spooled", wantStarts: 1, wantSpool: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, openSpool)
			tt.expect(h)

			code, got := h.do(h.postSocialData(body))

			require.Equal(t, http.StatusOK, code, "error: %s", got.Error)
			require.Equal(t, answer{Status: tt.wantStatus, WorkflowID: jobID}, got)
			h.assertExpectations()
			h.requireStarts(tt.wantStarts, contract.JobWorkflowName, wantInput)
			for _, u := range h.updates {
				require.Equal(t, contract.JobFinishedUpdate, u.UpdateName)
				require.Equal(t, client.WorkflowUpdateStageCompleted, u.WaitForStage)
				require.Empty(t, u.RunID, "the update goes to the latest run")
				require.Equal(t, []any{h.starts[0].input}, u.Args, "the run gets the webhook it was not started with")
			}
			require.Equal(t, tt.wantSpool, h.spool.Len())
			// A refused hand-off is spooled for the drainer to set aside, but Temporal answered: the ingress is
			// not degraded, so the next webhooks still start directly.
			_, ready := h.readiness()
			require.Equal(t, "ready", ready)
		})
	}
}

func TestXWebhookStart(t *testing.T) {
	body := readTestdata(t, "x/aaa_favorite.json")
	delivery, err := xwebhook.Parse(body)
	require.NoError(t, err)
	require.Len(t, delivery.Events, 1)
	wantInput := contract.XEventInput{
		API: xwebhook.APIAccountActivity, Kind: xwebhook.KindFavorite, EventType: xwebhook.KindFavorite, ForUserID: "3001",
		DeliveryWindow: testXWindow,
		Raw:            contract.RawEvent{Source: contract.SourceX, EventType: xwebhook.KindFavorite, Body: delivery.Events[0].Body},
		Revision:       contract.CurrentRevision,
	}
	tests := []struct {
		name       string
		expect     func(h *harness)
		wantStatus string
		wantStarts int
	}{
		{
			name:       "started",
			expect:     func(h *harness) { h.expectStart(favoriteID, nil) },
			wantStatus: "accepted", wantStarts: 1,
		},
		{
			name: "duplicate tells the open run its recipient",
			expect: func(h *harness) {
				h.expectStart(favoriteID, errAlreadyStarted)
				h.expectSignal(favoriteID, "3001", nil)
			},
			wantStatus: "duplicate", wantStarts: 1,
		},
		{
			name: "duplicate of a run that completed before the signal",
			expect: func(h *harness) {
				h.expectStart(favoriteID, errAlreadyStarted)
				h.expectSignal(favoriteID, "3001", errRunClosed)
				h.expectDescribe(favoriteID, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED)
			},
			wantStatus: "duplicate", wantStarts: 1,
		},
		{
			name: "duplicate of a run that failed before the signal",
			expect: func(h *harness) {
				h.expectStart(favoriteID, errAlreadyStarted)
				h.expectSignal(favoriteID, "3001", errRunClosed)
				h.expectDescribe(favoriteID, enums.WORKFLOW_EXECUTION_STATUS_FAILED)
				h.expectStart(favoriteID, nil)
			},
			wantStatus: "accepted", wantStarts: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, openSpool)
			tt.expect(h)

			code, got := h.do(h.postX(body))

			require.Equal(t, http.StatusOK, code, "error: %s", got.Error)
			require.Equal(t, tt.wantStatus, got.Status)
			require.Equal(t, favoriteID, got.WorkflowID)
			require.Len(t, got.Workflows, 1)
			require.Equal(t, favoriteID, got.Workflows[0].WorkflowID)
			require.Equal(t, tt.wantStatus, got.Workflows[0].Status)
			h.assertExpectations()
			h.requireStarts(tt.wantStarts, contract.XEventWorkflowName, wantInput)
			require.Zero(t, h.spool.Len())
		})
	}
}

// When Temporal cannot take a start, a verified webhook is answered 200 only once the spool holds it, and the
// ingress reports itself degraded until the drainer empties the spool; a spool that cannot take it either
// means 503, with nothing stored and nothing degraded.
func TestTemporalUnavailable(t *testing.T) {
	jobBody := readTestdata(t, "samples/socialdata_job_finished_success.json")
	xBody := readTestdata(t, "x/aaa_favorite.json")
	tests := []struct {
		name       string
		spool      spoolMode
		route      string
		body       []byte
		workflowID string
		wantCode   int
		wantStatus string
		wantError  string
		wantReady  string
	}{
		{
			name: "SocialData webhook spooled", spool: openSpool, route: "socialdata", body: jobBody, workflowID: jobID,
			wantCode: http.StatusOK, wantStatus: "spooled", wantReady: "degraded",
		},
		{
			name: "X webhook spooled", spool: openSpool, route: "x", body: xBody, workflowID: favoriteID,
			wantCode: http.StatusOK, wantStatus: "spooled", wantReady: "degraded",
		},
		{
			name: "no spool configured", spool: noSpool, route: "socialdata", body: jobBody, workflowID: jobID,
			wantCode: http.StatusServiceUnavailable, wantError: "retry later", wantReady: "ready",
		},
		{
			name: "spool closed", spool: closedSpool, route: "socialdata", body: jobBody, workflowID: jobID,
			wantCode: http.StatusServiceUnavailable, wantError: "retry later", wantReady: "ready",
		},
		{
			name: "spool closed under an X webhook", spool: closedSpool, route: "x", body: xBody, workflowID: favoriteID,
			wantCode: http.StatusServiceUnavailable, wantError: "retry later", wantReady: "ready",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.spool)
			h.expectStart(tt.workflowID, errUnavailable)
			req := h.postSocialData(tt.body)
			if tt.route == "x" {
				req = h.postX(tt.body)
			}

			code, got := h.do(req)

			require.Equal(t, tt.wantCode, code, "error: %s", got.Error)
			require.Equal(t, tt.wantStatus, got.Status)
			require.Contains(t, got.Error, tt.wantError)
			readyCode, ready := h.readiness()
			require.Equal(t, http.StatusOK, readyCode)
			require.Equal(t, tt.wantReady, ready)
			h.assertExpectations()
			switch tt.spool {
			case openSpool:
				requireSpooled(t, h.spool, tt.route, tt.body)
			case closedSpool:
				reopened, err := spool.Open(h.spoolPath)
				require.NoError(t, err)
				defer func() { require.NoError(t, reopened.Close()) }()
				require.Zero(t, reopened.Len(), "nothing stored")
			}
		})
	}
}

// requireSpooled checks that sp holds exactly body, as it came in by route.
func requireSpooled(t *testing.T, sp *spool.Spool, route string, body []byte) {
	t.Helper()
	require.Equal(t, 1, sp.Len())
	var records []spool.Record
	_, err := sp.Drain(10, 1, func(r spool.Record) error {
		records = append(records, r)
		return spool.ErrStop // read, not drained
	})
	require.NoError(t, err)
	require.Len(t, records, 1)
	require.Equal(t, route, records[0].Source)
	require.Equal(t, body, records[0].Body)
	require.WithinDuration(t, time.Now(), records[0].ReceivedAt, time.Minute)
	require.Equal(t, 1, sp.Len(), "still waiting for the drainer")
}

func TestRegisterJob(t *testing.T) {
	const registeredID = "socialdata-job-77"
	wantInput := contract.JobInput{
		JobID: 77, PollInterval: testPollInterval, WaitTimeout: testWaitTimeout, Revision: contract.CurrentRevision,
	}
	tests := []struct {
		name       string
		auth       string
		expect     func(h *harness)
		wantCode   int
		wantStatus string
		wantError  string
		wantStarts int
	}{
		{
			name: "started", auth: "Bearer " + testAPIToken,
			expect:   func(h *harness) { h.expectStart(registeredID, nil) },
			wantCode: http.StatusOK, wantStatus: "accepted", wantStarts: 1,
		},
		{
			// A registration is not a webhook: nothing to hand to the open run.
			name: "already registered", auth: "Bearer " + testAPIToken,
			expect:   func(h *harness) { h.expectStart(registeredID, errAlreadyStarted) },
			wantCode: http.StatusOK, wantStatus: "duplicate", wantStarts: 1,
		},
		{
			// The caller retries a registration: it is never spooled, even with a spool.
			name: "Temporal unavailable", auth: "Bearer " + testAPIToken,
			expect:   func(h *harness) { h.expectStart(registeredID, errUnavailable) },
			wantCode: http.StatusServiceUnavailable, wantError: "retry later", wantStarts: 1,
		},
		{
			name: "wrong API token", auth: "Bearer " + testWebhookToken,
			expect:   func(*harness) {},
			wantCode: http.StatusUnauthorized, wantError: "unauthorized",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, openSpool)
			tt.expect(h)
			req := httptest.NewRequest(http.MethodPost, "/v1/jobs", strings.NewReader(`{"job_id": 77}`))
			req.Header.Set("Authorization", tt.auth)

			code, got := h.do(req)

			require.Equal(t, tt.wantCode, code, "error: %s", got.Error)
			require.Equal(t, tt.wantStatus, got.Status)
			require.Contains(t, got.Error, tt.wantError)
			if tt.wantStatus != "" {
				require.Equal(t, registeredID, got.WorkflowID)
			}
			h.assertExpectations()
			h.requireStarts(tt.wantStarts, contract.JobWorkflowName, wantInput)
			require.Zero(t, h.spool.Len())
		})
	}
}
