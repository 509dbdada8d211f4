package ingress

import (
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
