package ingress_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts/startstest"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// These tests drive the real Gin handler over a fake Temporal (startstest): what the ingress answers when its
// Starter says accepted, duplicate, refused by the run, or Temporal says nothing at all. The start rules
// themselves (IDs, policies, follow-ups of a duplicate) are tested in internal/starts.

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

// harness is an ingress over a fake Temporal.
type harness struct {
	t         *testing.T
	temporal  *startstest.Temporal
	spool     *spool.Spool
	spoolPath string
	secret    xwebhook.Secret
	handler   http.Handler
}

func newHarness(t *testing.T, mode spoolMode) *harness {
	t.Helper()
	secrets, err := xwebhook.ParseSecrets([]string{"handler-test-consumer-secret"})
	require.NoError(t, err)
	h := &harness{t: t, temporal: startstest.New(t), secret: secrets[0]}
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

func (h *harness) do(req *http.Request) (int, ingress.Answer) {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	var a ingress.Answer
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

// samples returns the webhooks of jobID and of favoriteID.
func samples(t *testing.T) (job, x []byte) {
	return startstest.Testdata(t, "samples/socialdata_job_finished_success.json"), startstest.Testdata(t, "x/aaa_favorite.json")
}

// A webhook is answered with what the Starter made of it (an X delivery with one outcome per run as well); one
// its run refused is spooled for the drainer to set aside, without degrading the ingress (Temporal answered).
func TestWebhookStart(t *testing.T) {
	jobBody, xBody := samples(t)
	tests := []struct {
		name       string
		x          bool
		expect     func(tc *startstest.Temporal)
		wantStatus string
		wantSpool  int
	}{
		{
			name:       "job started",
			expect:     func(tc *startstest.Temporal) { tc.ExpectStart(jobID, nil) },
			wantStatus: "accepted",
		},
		{
			name: "job handed to a run that has it already",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, nil, "duplicate", nil)
			},
			wantStatus: "duplicate",
		},
		{
			name: "job hand-off refused by the open run",
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(jobID, startstest.ErrAlreadyStarted)
				tc.ExpectUpdate(jobID, nil, "", startstest.ErrValidator)
				tc.ExpectDescribe(jobID, enums.WORKFLOW_EXECUTION_STATUS_RUNNING)
			},
			wantStatus: "spooled", wantSpool: 1,
		},
		{
			name: "X event started", x: true,
			expect:     func(tc *startstest.Temporal) { tc.ExpectStart(favoriteID, nil) },
			wantStatus: "accepted",
		},
		{
			name: "X duplicate tells the open run its recipient", x: true,
			expect: func(tc *startstest.Temporal) {
				tc.ExpectStart(favoriteID, startstest.ErrAlreadyStarted)
				tc.ExpectSignal(favoriteID, "3001", nil)
			},
			wantStatus: "duplicate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, openSpool)
			tt.expect(h.temporal)
			req, wantID := h.postSocialData(jobBody), jobID
			if tt.x {
				req, wantID = h.postX(xBody), favoriteID
			}

			code, got := h.do(req)

			require.Equal(t, http.StatusOK, code, "error: %s", got.Error)
			require.Equal(t, tt.wantStatus, got.Status)
			require.Equal(t, wantID, got.WorkflowID)
			if tt.x {
				require.Len(t, got.Workflows, 1)
				require.Equal(t, wantID, got.Workflows[0].WorkflowID)
				require.Equal(t, tt.wantStatus, got.Workflows[0].Status)
			} else {
				require.Empty(t, got.Workflows, "a SocialData answer has no list")
			}
			h.temporal.RequireExpectations()
			require.Equal(t, tt.wantSpool, h.spool.Len())
			_, ready := h.readiness()
			require.Equal(t, "ready", ready)
		})
	}
}

// When Temporal cannot take a start, a verified webhook is answered 200 only once the spool holds it, and the
// ingress reports itself degraded until the drainer empties the spool; a spool that cannot take it either
// means 503, with nothing stored and nothing degraded.
func TestTemporalUnavailable(t *testing.T) {
	jobBody, xBody := samples(t)
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
			h.temporal.ExpectStart(tt.workflowID, startstest.ErrUnavailable)
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
			h.temporal.RequireExpectations()
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
		expect     func(tc *startstest.Temporal)
		wantCode   int
		wantStatus string
		wantError  string
		wantStarts int
	}{
		{
			name: "started", auth: "Bearer " + testAPIToken,
			expect:   func(tc *startstest.Temporal) { tc.ExpectStart(registeredID, nil) },
			wantCode: http.StatusOK, wantStatus: "accepted", wantStarts: 1,
		},
		{
			// A registration is not a webhook: nothing to hand to the open run.
			name: "already registered", auth: "Bearer " + testAPIToken,
			expect:   func(tc *startstest.Temporal) { tc.ExpectStart(registeredID, startstest.ErrAlreadyStarted) },
			wantCode: http.StatusOK, wantStatus: "duplicate", wantStarts: 1,
		},
		{
			// The caller retries a registration: it is never spooled, even with a spool.
			name: "Temporal unavailable", auth: "Bearer " + testAPIToken,
			expect:   func(tc *startstest.Temporal) { tc.ExpectStart(registeredID, startstest.ErrUnavailable) },
			wantCode: http.StatusServiceUnavailable, wantError: "retry later", wantStarts: 1,
		},
		{
			name: "wrong API token", auth: "Bearer " + testWebhookToken,
			expect:   func(*startstest.Temporal) {},
			wantCode: http.StatusUnauthorized, wantError: "unauthorized",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, openSpool)
			tt.expect(h.temporal)
			req := httptest.NewRequest(http.MethodPost, "/v1/jobs", strings.NewReader(`{"job_id": 77}`))
			req.Header.Set("Authorization", tt.auth)

			code, got := h.do(req)

			require.Equal(t, tt.wantCode, code, "error: %s", got.Error)
			require.Equal(t, tt.wantStatus, got.Status)
			require.Contains(t, got.Error, tt.wantError)
			if tt.wantStatus != "" {
				require.Equal(t, registeredID, got.WorkflowID)
			}
			h.temporal.RequireExpectations()
			// The registration reaches the run with the ingress's JobPollInterval and JobWaitTimeout.
			h.temporal.RequireStarts(tt.wantStarts, testQueue, contract.JobWorkflowName, wantInput)
			require.Zero(t, h.spool.Len())
		})
	}
}
