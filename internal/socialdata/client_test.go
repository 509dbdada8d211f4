package socialdata_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/socialhook/pipeline/internal/jsonobject"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/socialdata"
)

// recorded is what the test server saw of the last request.
type recorded struct {
	mu     sync.Mutex
	method string
	path   string
	auth   string
	accept string
}

func (r *recorded) set(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.method, r.path = req.Method, req.URL.Path
	r.auth, r.accept = req.Header.Get("Authorization"), req.Header.Get("Accept")
}

func (r *recorded) get() recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recorded{method: r.method, path: r.path, auth: r.auth, accept: r.accept}
}

func newAPIServer(t *testing.T, status int, body string) (*httptest.Server, *recorded) {
	t.Helper()
	rec := &recorded{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.set(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestClientGetJobSuccess(t *testing.T) {
	tests := []struct {
		name    string
		jobID   int64
		body    string
		baseSfx string
		want    socialdata.Job
	}{
		{
			name:  "success job",
			jobID: 42,
			body:  `{"job_id":42,"status":"success","result":{"datafile_url":"https://s3.amazonaws.com/b/42.json?X-Amz-Signature=abc"}}`,
			want: socialdata.Job{
				JobID:       42,
				Status:      "success",
				DatafileURL: "https://s3.amazonaws.com/b/42.json?X-Amz-Signature=abc",
			},
		},
		{
			name:  "error job",
			jobID: 43,
			body:  `{"job_id":"43","status":"error","message":"Insufficient balance"}`,
			want:  socialdata.Job{JobID: 43, Status: "error", Message: "Insufficient balance"},
		},
		{
			name:  "pending job",
			jobID: 44,
			body:  `{"job_id":44,"status":"pending"}`,
			want:  socialdata.Job{JobID: 44, Status: "pending"},
		},
		{
			name:    "base URL with trailing slash",
			jobID:   45,
			body:    `{"job_id":45,"status":"processing"}`,
			baseSfx: "/",
			want:    socialdata.Job{JobID: 45, Status: "processing"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec := newAPIServer(t, http.StatusOK, tc.body)
			c := socialdata.NewClient(srv.URL+tc.baseSfx, "KEY", srv.Client())
			job, err := c.GetJob(context.Background(), tc.jobID)
			require.NoError(t, err)
			require.Equal(t, tc.want, job)

			got := rec.get()
			require.Equal(t, http.MethodGet, got.method)
			require.Equal(t, "/jobs/"+itoa(tc.jobID), got.path)
			require.Equal(t, "Bearer KEY", got.auth)
			require.Equal(t, "application/json", got.accept)
		})
	}
}

func TestClientGetJobNilHTTPClient(t *testing.T) {
	srv, rec := newAPIServer(t, http.StatusOK, `{"job_id":1,"status":"success","result":{"datafile_url":"https://x/1"}}`)
	c := socialdata.NewClient(srv.URL, "KEY", nil)
	job, err := c.GetJob(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, int64(1), job.JobID)
	require.Equal(t, "Bearer KEY", rec.get().auth)
}

func TestClientGetJobAPIErrors(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		wantMessage   string
		wantRetryable bool
	}{
		{"404 not found", http.StatusNotFound, `{"status":"error","message":"Job not found"}`, "Job not found", false},
		{"402 payment required", http.StatusPaymentRequired, `{"status":"error","message":"Insufficient balance"}`, "Insufficient balance", false},
		{"403 forbidden", http.StatusForbidden, `{"status":"error","message":"This job belongs to another user"}`, "This job belongs to another user", false},
		{"401 unauthenticated", http.StatusUnauthorized, `{"message":"Unauthenticated."}`, "Unauthenticated.", false},
		{"400 bad request", http.StatusBadRequest, `{"message":"bad"}`, "bad", false},
		{"429 too many requests", http.StatusTooManyRequests, `{"status":"error","message":"Too Many Attempts."}`, "Too Many Attempts.", true},
		{"500 internal error", http.StatusInternalServerError, `{"message":"Server Error"}`, "Server Error", true},
		{"502 bad gateway with HTML", http.StatusBadGateway, `<html>bad gateway</html>`, "502 Bad Gateway", true},
		{"503 unavailable", http.StatusServiceUnavailable, `{"status":"error","message":"Service Unavailable"}`, "Service Unavailable", true},
		{"503 with empty body", http.StatusServiceUnavailable, ``, "503 Service Unavailable", true},
		{"404 with empty message", http.StatusNotFound, `{"message":""}`, "404 Not Found", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newAPIServer(t, tc.status, tc.body)
			c := socialdata.NewClient(srv.URL, "KEY", srv.Client())
			job, err := c.GetJob(context.Background(), 42)
			require.Error(t, err)
			require.Equal(t, socialdata.Job{}, job)

			var apiErr *socialdata.APIError
			require.True(t, errors.As(err, &apiErr), "want *APIError, got %T: %v", err, err)
			require.Equal(t, tc.status, apiErr.StatusCode)
			require.Equal(t, tc.wantMessage, apiErr.Message)
			require.Equal(t, tc.wantRetryable, apiErr.Retryable())
			require.Contains(t, apiErr.Error(), tc.wantMessage)
		})
	}
}

func TestClientGetJobBadBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"not JSON", `<html></html>`, socialdata.ErrMissingData},
		{"truncated JSON", `{"job_id":42,`, jsonobject.ErrMalformed},
		{"missing job_id", `{"status":"success"}`, socialdata.ErrMissingJobID},
		{"zero job_id", `{"job_id":0,"status":"success"}`, socialdata.ErrInvalidJobID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newAPIServer(t, http.StatusOK, tc.body)
			c := socialdata.NewClient(srv.URL, "KEY", srv.Client())
			_, err := c.GetJob(context.Background(), 42)
			require.ErrorIs(t, err, tc.wantErr)
			var apiErr *socialdata.APIError
			require.False(t, errors.As(err, &apiErr), "a bad 200 body is not an API error")
		})
	}
}

func TestClientGetJobTransportErrors(t *testing.T) {
	t.Run("canceled context", func(t *testing.T) {
		srv, _ := newAPIServer(t, http.StatusOK, `{"job_id":42,"status":"pending"}`)
		c := socialdata.NewClient(srv.URL, "KEY", srv.Client())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.GetJob(ctx, 42)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("server gone", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		c := socialdata.NewClient(base, "KEY", nil)
		_, err := c.GetJob(context.Background(), 42)
		require.Error(t, err)
		var apiErr *socialdata.APIError
		require.False(t, errors.As(err, &apiErr))
	})
	t.Run("bad base URL", func(t *testing.T) {
		c := socialdata.NewClient("://bad", "KEY", nil)
		_, err := c.GetJob(context.Background(), 42)
		require.Error(t, err)
	})
}

func TestAPIErrorRetryable(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{400, false}, {401, false}, {402, false}, {403, false}, {404, false}, {408, false}, {422, false},
		{429, true}, {500, true}, {502, true}, {503, true}, {504, true},
	}
	for _, tc := range tests {
		t.Run(itoa(int64(tc.status)), func(t *testing.T) {
			require.Equal(t, tc.want, (&socialdata.APIError{StatusCode: tc.status}).Retryable())
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "pre-signed S3 URL loses its query",
			in:   "https://bucket.s3.amazonaws.com/jobs/42.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeef",
			want: "https://bucket.s3.amazonaws.com/jobs/42.json",
		},
		{
			name: "empty query marker removed",
			in:   "https://example.com/x?",
			want: "https://example.com/x",
		},
		{
			name: "fragment removed",
			in:   "https://example.com/a/b.json#secret",
			want: "https://example.com/a/b.json",
		},
		{
			name: "escaped fragment removed",
			in:   "https://example.com/a#sec%20ret",
			want: "https://example.com/a",
		},
		{
			name: "userinfo removed",
			in:   "https://user:password@example.com:9000/a.json",
			want: "https://example.com:9000/a.json",
		},
		{
			name: "everything removed at once",
			in:   "http://u:p@example.com/x?sig=1#frag",
			want: "http://example.com/x",
		},
		{
			name: "plain URL unchanged",
			in:   "https://example.com/datafiles/42.json",
			want: "https://example.com/datafiles/42.json",
		},
		{
			name: "escaped path kept",
			in:   "https://example.com/a%20b.json?x=1",
			want: "https://example.com/a%20b.json",
		},
		{
			name: "unparseable",
			in:   "https://exa mple.com/%zz",
			want: "(unparseable url)",
		},
		{
			name: "control character",
			in:   "https://example.com/\x00?sig=1",
			want: "(unparseable url)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := socialdata.RedactURL(tc.in)
			require.Equal(t, tc.want, got)
			require.NotContains(t, got, "?")
			require.NotContains(t, got, "#")
			require.NotContains(t, got, "@")
		})
	}
}

func itoa(n int64) string {
	return strconv.FormatInt(n, 10)
}
