package ingress

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const token = "unit-test-webhook-token-0123"

// newTestServer returns the ingress with no Temporal client: every request these tests send must be answered
// before a start is attempted (a nil client would panic into a 500). Starts are covered end to end in e2e/.
func newTestServer(t *testing.T) (http.Handler, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	s := New(Options{TaskQueue: "q", WebhookToken: token, MaxBodyBytes: 1024, StartTimeout: time.Second}, nil, nil, zap.New(core))
	return s.Handler(), logs
}

func TestWebhookRefusedBeforeStart(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		body      string
		wantCode  int
		wantError string
	}{
		{"wrong token", "/webhooks/socialdata/not-the-token-0123456789", `{"event":"job_finished"}`, http.StatusUnauthorized, "unauthorized"},
		{"token prefix", "/webhooks/socialdata/" + token[:10], `{"event":"job_finished"}`, http.StatusUnauthorized, "unauthorized"},
		{"token with suffix", "/webhooks/socialdata/" + token + "x", `{"event":"job_finished"}`, http.StatusUnauthorized, "unauthorized"},
		{"oversize body", "/webhooks/socialdata/" + token, `{"event":"x","pad":"` + strings.Repeat("a", 2048) + `"}`, http.StatusRequestEntityTooLarge, "exceeds 1024 bytes"},
		{"empty body", "/webhooks/socialdata/" + token, "", http.StatusBadRequest, "empty body"},
		{"not JSON", "/webhooks/socialdata/" + token, "hello", http.StatusBadRequest, "not a JSON object"},
		{"JSON array", "/webhooks/socialdata/" + token, `[{"event":"job_finished"}]`, http.StatusBadRequest, "not a JSON object"},
		{"no event", "/webhooks/socialdata/" + token, `{"data":{}}`, http.StatusBadRequest, `missing \"event\"`},
		{"job id not a number", "/webhooks/socialdata/" + token, `{"event":"job_finished","data":{"job_id":"x","status":"error"}}`, http.StatusBadRequest, "positive integer"},
		{"unknown route", "/webhooks/other", `{}`, http.StatusNotFound, "no such route"},
		{"deep nesting", "/webhooks/socialdata/" + token, strings.Repeat("[", 500) + strings.Repeat("]", 500), http.StatusBadRequest, "not a JSON object"},
		{"deep nesting in an object", "/webhooks/socialdata/" + token, `{"event":"job_finished","data":` + strings.Repeat(`{"a":`, 150) + `1` + strings.Repeat("}", 150) + `}`, http.StatusBadRequest, "data.job_id"},
		{"huge job id", "/webhooks/socialdata/" + token, `{"event":"job_finished","data":{"job_id":1e400,"status":"error"}}`, http.StatusBadRequest, "positive integer"},
		{"job id over int64", "/webhooks/socialdata/" + token, `{"event":"job_finished","data":{"job_id":9223372036854775808,"status":"error"}}`, http.StatusBadRequest, "positive integer"},
		{"invalid UTF-8", "/webhooks/socialdata/" + token, "{\"event\":\"job_finished\",\"data\":{\"job_id\":\"\xff\"}}", http.StatusBadRequest, "positive integer"},
		{"NUL bytes", "/webhooks/socialdata/" + token, "\x00\x00", http.StatusBadRequest, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newTestServer(t)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body)))
			require.Equal(t, tt.wantCode, rec.Code)
			require.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			require.Contains(t, rec.Body.String(), tt.wantError)
			require.Equal(t, 1, logs.Len(), "one request log line")
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhooks/socialdata/"+token, nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// The token is part of the URL path: neither the right nor a wrong one may reach the logs.
func TestTokenNeverLogged(t *testing.T) {
	h, logs := newTestServer(t)
	for _, path := range []string{"/webhooks/socialdata/" + token, "/webhooks/socialdata/wrong-secret-guess-123456"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("not json")))
	}
	require.Equal(t, 2, logs.Len())
	for _, entry := range logs.All() {
		require.Equal(t, "/webhooks/socialdata/:token", entry.ContextMap()["route"])
		for _, v := range entry.ContextMap() {
			s, _ := v.(string)
			require.NotContains(t, s, token)
			require.NotContains(t, s, "wrong-secret-guess")
		}
		require.NotContains(t, entry.Message, token)
	}
}

func TestTokenChecker(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		got    string
		want   bool
	}{
		{"match", "abc", "abc", true},
		{"mismatch", "abc", "abd", false},
		{"different length", "abc", "abcd", false},
		{"empty presented", "abc", "", false},
		{"no secret configured never matches", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, newTokenChecker(tt.secret).matches(tt.got))
		})
	}
}

// Secrets reach no log line: the webhook token (in the path), the read API token (a header) and X signatures.
func TestSecretsNeverLogged(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	s := New(Options{TaskQueue: "q", WebhookToken: token, APIToken: "api-token-0123456789abcdef", MaxBodyBytes: 1024,
		StartTimeout: time.Second}, nil, nil, zap.New(core))
	h := s.Handler()
	requests := []*http.Request{
		httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/"+token, strings.NewReader("nope")),
		httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/guess-0123456789abcdef", strings.NewReader("{}")),
	}
	for _, auth := range []string{"Bearer api-token-0123456789abcdef", "Bearer wrong-api-token-guess"} {
		r := httptest.NewRequest(http.MethodGet, "/v1/users/abc/profile", nil)
		r.Header.Set("Authorization", auth)
		requests = append(requests, r)
	}
	for _, r := range requests {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	require.Equal(t, len(requests), logs.Len())
	for _, e := range logs.All() {
		line := e.Message
		for _, v := range e.ContextMap() {
			line += " " + fmt.Sprint(v)
		}
		for _, secret := range []string{token, "guess-0123456789abcdef", "api-token-0123456789abcdef", "wrong-api-token-guess"} {
			require.NotContains(t, line, secret)
		}
	}
}

func TestMetrics(t *testing.T) {
	h, _ := newTestServer(t)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/"+token, strings.NewReader("nope")))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	for _, want := range []string{
		`socialhook_ingress_events_total{outcome="rejected"} 1`,
		`socialhook_ingress_requests_total{code="400",route="/webhooks/socialdata/:token"} 1`,
		"socialhook_ingress_degraded 0",
		"socialhook_ingress_spool_depth 0",
	} {
		require.Contains(t, rec.Body.String(), want)
	}
}
