package fakesocialdata_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/socialdata"
)

const apiKey = "test-key"

func newFake(t *testing.T, key string) (*fakesocialdata.Server, *httptest.Server) {
	t.Helper()
	fake := fakesocialdata.New(key)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL + "/")
	return fake, srv
}

func get(t *testing.T, client *http.Client, rawURL, auth string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}

func TestGetJob(t *testing.T) {
	fake, srv := newFake(t, apiKey)
	fake.PutJob(fakesocialdata.Job{ID: 42, Status: "success", Datafile: &fakesocialdata.Datafile{Name: "42.json", Size: 10, Seed: 1}})
	fake.PutJob(fakesocialdata.Job{ID: 43, Status: "error", Message: "Insufficient balance"})
	fake.PutJob(fakesocialdata.Job{ID: 44, Status: "processing"})

	tests := []struct {
		name        string
		path        string
		auth        string
		wantStatus  int
		wantMessage string
		wantJob     *socialdata.Job
	}{
		{
			name:       "success job with key",
			path:       "/jobs/42",
			auth:       "Bearer " + apiKey,
			wantStatus: http.StatusOK,
			wantJob: &socialdata.Job{JobID: 42, Status: "success",
				DatafileURL: fake.DatafileURL(fakesocialdata.Datafile{Name: "42.json", Size: 10, Seed: 1})},
		},
		{
			name:       "error job with key",
			path:       "/jobs/43",
			auth:       "Bearer " + apiKey,
			wantStatus: http.StatusOK,
			wantJob:    &socialdata.Job{JobID: 43, Status: "error", Message: "Insufficient balance"},
		},
		{
			name:       "processing job with key",
			path:       "/jobs/44",
			auth:       "Bearer " + apiKey,
			wantStatus: http.StatusOK,
			wantJob:    &socialdata.Job{JobID: 44, Status: "processing"},
		},
		{name: "no key", path: "/jobs/42", wantStatus: http.StatusUnauthorized, wantMessage: "Unauthenticated."},
		{name: "wrong key", path: "/jobs/42", auth: "Bearer nope", wantStatus: http.StatusUnauthorized, wantMessage: "Unauthenticated."},
		{name: "key without Bearer", path: "/jobs/42", auth: apiKey, wantStatus: http.StatusUnauthorized, wantMessage: "Unauthenticated."},
		{name: "unknown job", path: "/jobs/999", auth: "Bearer " + apiKey, wantStatus: http.StatusNotFound, wantMessage: "Job not found"},
		{name: "non-numeric id", path: "/jobs/abc", auth: "Bearer " + apiKey, wantStatus: http.StatusNotFound, wantMessage: "Job not found"},
		{name: "unknown job without key is 401 first", path: "/jobs/999", wantStatus: http.StatusUnauthorized, wantMessage: "Unauthenticated."},
		{name: "unknown route", path: "/nope", auth: "Bearer " + apiKey, wantStatus: http.StatusNotFound, wantMessage: "Not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := get(t, srv.Client(), srv.URL+tc.path, tc.auth)
			require.Equal(t, tc.wantStatus, status, "body: %s", body)
			require.Equal(t, "application/json", header.Get("Content-Type"))
			if tc.wantJob != nil {
				job, err := socialdata.ParseJob(body)
				require.NoError(t, err)
				require.Equal(t, *tc.wantJob, job)
				return
			}
			var e struct {
				Status  string `json:"status"`
				Message string `json:"message"`
			}
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, "error", e.Status)
			require.Equal(t, tc.wantMessage, e.Message)
		})
	}
}

func TestGetJobWithoutAPIKeyConfigured(t *testing.T) {
	fake, srv := newFake(t, "")
	fake.PutJob(fakesocialdata.Job{ID: 1, Status: "pending"})
	tests := []struct {
		name string
		auth string
	}{
		{"no header", ""},
		{"any header", "Bearer whatever"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, _ := get(t, srv.Client(), srv.URL+"/jobs/1", tc.auth)
			require.Equal(t, http.StatusOK, status)
		})
	}
}

func TestGetJobThroughClient(t *testing.T) {
	fake, srv := newFake(t, apiKey)
	df := fakesocialdata.Datafile{Name: "42.json", Size: 100, Seed: 9}
	fake.PutJob(fakesocialdata.Job{ID: 42, Status: "success", Datafile: &df})

	tests := []struct {
		name       string
		key        string
		jobID      int64
		wantStatus int
	}{
		{"found", apiKey, 42, 0},
		{"wrong key", "bad", 42, http.StatusUnauthorized},
		{"unknown job", apiKey, 7, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := socialdata.NewClient(srv.URL, tc.key, srv.Client())
			job, err := c.GetJob(context.Background(), tc.jobID)
			if tc.wantStatus == 0 {
				require.NoError(t, err)
				require.Equal(t, fake.DatafileURL(df), job.DatafileURL)
				return
			}
			var apiErr *socialdata.APIError
			require.True(t, errors.As(err, &apiErr), "got %v", err)
			require.Equal(t, tc.wantStatus, apiErr.StatusCode)
			require.False(t, apiErr.Retryable())
		})
	}
}

func TestDatafileContent(t *testing.T) {
	fake, srv := newFake(t, apiKey)

	tests := []struct {
		name string
		df   fakesocialdata.Datafile
	}{
		{"empty", fakesocialdata.Datafile{Size: 0, Seed: 1}},
		{"one byte", fakesocialdata.Datafile{Size: 1, Seed: 1}},
		{"odd size", fakesocialdata.Datafile{Name: "odd.bin", Size: 12345, Seed: 7}},
		{"one MiB plus one", fakesocialdata.Datafile{Name: "big.json", Size: 1<<20 + 1, Seed: 42}},
		{"name needing escaping", fakesocialdata.Datafile{Name: "my file?.json", Size: 64, Seed: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := fake.DatafileURL(tc.df)
			status, header, body := get(t, srv.Client(), u, "")
			require.Equal(t, http.StatusOK, status)
			require.Len(t, body, int(tc.df.Size))
			require.Equal(t, "application/octet-stream", header.Get("Content-Type"))
			sum := sha256.Sum256(body)
			require.Equal(t, fakesocialdata.SHA256(tc.df.Seed, tc.df.Size), hex.EncodeToString(sum[:]))
		})
	}
}

func TestContentIsDeterministic(t *testing.T) {
	tests := []struct {
		name         string
		seedA, seedB uint64
		size         int64
		wantSame     bool
	}{
		{"same seed same bytes", 5, 5, 4096, true},
		{"different seed different bytes", 5, 6, 4096, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := io.ReadAll(fakesocialdata.Content(tc.seedA, tc.size))
			require.NoError(t, err)
			b, err := io.ReadAll(fakesocialdata.Content(tc.seedB, tc.size))
			require.NoError(t, err)
			require.Len(t, a, int(tc.size))
			require.Equal(t, tc.wantSame, string(a) == string(b))
			require.Equal(t, tc.wantSame, fakesocialdata.SHA256(tc.seedA, tc.size) == fakesocialdata.SHA256(tc.seedB, tc.size))
		})
	}
	t.Run("prefix of a longer file", func(t *testing.T) {
		short, err := io.ReadAll(fakesocialdata.Content(11, 100))
		require.NoError(t, err)
		long, err := io.ReadAll(fakesocialdata.Content(11, 1000))
		require.NoError(t, err)
		require.Equal(t, short, long[:100])
	})
}

func TestDatafileFailTimes(t *testing.T) {
	tests := []struct {
		name      string
		failTimes int
	}{
		{"fail once", 1},
		{"fail twice", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t, apiKey)
			df := fakesocialdata.Datafile{Name: "flaky.json", Size: 256, Seed: 5, FailTimes: tc.failTimes}
			u := fake.DatafileURL(df)
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			require.Equal(t, strconv.Itoa(tc.failTimes), parsed.Query().Get("fail"))

			for i := 0; i < tc.failTimes; i++ {
				status, _, _ := get(t, srv.Client(), u, "")
				require.Equal(t, http.StatusInternalServerError, status, "attempt %d", i+1)
			}
			for i := 0; i < 2; i++ {
				status, _, body := get(t, srv.Client(), u, "")
				require.Equal(t, http.StatusOK, status, "attempt %d after failures", i+1)
				require.Len(t, body, 256)
			}
			require.Equal(t, tc.failTimes+2, fake.Requests(parsed.Path))
		})
	}
}

func TestDatafileFailCountIsPerURL(t *testing.T) {
	fake, srv := newFake(t, apiKey)
	a := fake.DatafileURL(fakesocialdata.Datafile{Name: "a.json", Size: 8, Seed: 1, FailTimes: 1})
	b := fake.DatafileURL(fakesocialdata.Datafile{Name: "b.json", Size: 8, Seed: 1, FailTimes: 1})
	steps := []struct {
		name string
		url  string
		want int
	}{
		{"a fails", a, http.StatusInternalServerError},
		{"b fails on its own count", b, http.StatusInternalServerError},
		{"a succeeds", a, http.StatusOK},
		{"b succeeds", b, http.StatusOK},
	}
	for _, s := range steps {
		status, _, _ := get(t, srv.Client(), s.url, "")
		require.Equal(t, s.want, status, s.name)
	}
}

func TestDatafileExpiry(t *testing.T) {
	fake, srv := newFake(t, apiKey)
	tests := []struct {
		name       string
		expiresAt  time.Time
		wantStatus int
	}{
		{"expired an hour ago", time.Now().Add(-time.Hour), http.StatusForbidden},
		{"expired long ago", time.Unix(1, 0), http.StatusForbidden},
		{"valid for an hour", time.Now().Add(time.Hour), http.StatusOK},
		{"no expiry", time.Time{}, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df := fakesocialdata.Datafile{Name: "signed.json", Size: 32, Seed: 2, ExpiresAt: tc.expiresAt}
			u := fake.DatafileURL(df)
			parsed, err := url.Parse(u)
			require.NoError(t, err)
			if tc.expiresAt.IsZero() {
				require.Empty(t, parsed.Query().Get("X-Amz-Signature"))
			} else {
				require.NotEmpty(t, parsed.Query().Get("X-Amz-Signature"))
			}
			status, header, body := get(t, srv.Client(), u, "")
			require.Equal(t, tc.wantStatus, status)
			if tc.wantStatus == http.StatusForbidden {
				require.Equal(t, "application/xml", header.Get("Content-Type"))
				require.Contains(t, string(body), "AccessDenied")
				return
			}
			require.Len(t, body, 32)
		})
	}
}

func TestDatafileBadRequests(t *testing.T) {
	_, srv := newFake(t, apiKey)
	tests := []struct {
		name       string
		query      string
		wantStatus int
	}{
		{"no size", "?seed=1", http.StatusBadRequest},
		{"negative size", "?size=-1&seed=1", http.StatusBadRequest},
		{"non-numeric size", "?size=big&seed=1", http.StatusBadRequest},
		{"unparseable expiry is treated as expired", "?size=1&seed=1&X-Amz-Expires-At=soon", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, _ := get(t, srv.Client(), srv.URL+"/datafiles/x.json"+tc.query, "")
			require.Equal(t, tc.wantStatus, status)
		})
	}
}

func TestDatafileURL(t *testing.T) {
	fake, srv := newFake(t, apiKey)
	tests := []struct {
		name     string
		df       fakesocialdata.Datafile
		wantPath string
		wantQ    map[string]string
		absentQ  []string
	}{
		{
			name:     "default name",
			df:       fakesocialdata.Datafile{Size: 10, Seed: 3},
			wantPath: "/datafiles/datafile.json",
			wantQ:    map[string]string{"size": "10", "seed": "3"},
			absentQ:  []string{"fail", "rate", "X-Amz-Signature", "X-Amz-Expires-At"},
		},
		{
			name:     "all options",
			df:       fakesocialdata.Datafile{Name: "a b.json", Size: 10, Seed: 3, FailTimes: 2, BytesPerSecond: 1000, ExpiresAt: time.Unix(2000000000, 0)},
			wantPath: "/datafiles/a b.json",
			wantQ: map[string]string{
				"size": "10", "seed": "3", "fail": "2", "rate": "1000",
				"X-Amz-Expires-At": "2000000000", "X-Amz-Signature": "fake-signature",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(fake.DatafileURL(tc.df))
			require.NoError(t, err)
			require.Equal(t, srv.URL, u.Scheme+"://"+u.Host, "base URL without the trailing slash given to SetBaseURL")
			require.Equal(t, tc.wantPath, u.Path)
			for k, v := range tc.wantQ {
				require.Equal(t, v, u.Query().Get(k), k)
			}
			for _, k := range tc.absentQ {
				require.False(t, u.Query().Has(k), k)
			}
		})
	}
}

func TestJobFinishedWebhook(t *testing.T) {
	fake, _ := newFake(t, apiKey)
	df := fakesocialdata.Datafile{Name: "42.json", Size: 1000, Seed: 4}
	tests := []struct {
		name    string
		job     fakesocialdata.Job
		want    socialdata.Job
		wantErr error
	}{
		{
			name: "success",
			job:  fakesocialdata.Job{ID: 42, Status: "success", Datafile: &df},
			want: socialdata.Job{JobID: 42, Status: "success", DatafileURL: fake.DatafileURL(df)},
		},
		{
			name: "error",
			job:  fakesocialdata.Job{ID: 43, Status: "error", Message: "Insufficient balance"},
			want: socialdata.Job{JobID: 43, Status: "error", Message: "Insufficient balance"},
		},
		{
			name:    "success without datafile has no URL",
			job:     fakesocialdata.Job{ID: 44, Status: "success"},
			wantErr: socialdata.ErrMissingURL,
		},
		{
			name:    "pending is not terminal",
			job:     fakesocialdata.Job{ID: 45, Status: "pending"},
			wantErr: socialdata.ErrInvalidStatus,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := socialdata.ParseWebhook(fake.JobFinishedWebhook(tc.job))
			require.NoError(t, err)
			require.Equal(t, contract.EventJobFinished, w.Event)
			job, err := socialdata.ParseJobFinished(w.Data)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, job)
		})
	}
}

func TestPostWebhook(t *testing.T) {
	type seen struct {
		method, contentType, userAgent string
		body                           []byte
	}
	got := make(chan seen, 1)
	ingress := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), body}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(ingress.Close)

	fake, _ := newFake(t, apiKey)
	payload := fake.JobFinishedWebhook(fakesocialdata.Job{ID: 43, Status: "error", Message: "m"})
	status, resp, err := fakesocialdata.PostWebhook(context.Background(), ingress.Client(), ingress.URL+"/webhooks/socialdata/tok", payload)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status)
	require.JSONEq(t, `{"ok":true}`, string(resp))

	s := <-got
	require.Equal(t, http.MethodPost, s.method)
	require.Equal(t, "application/json", s.contentType)
	require.Equal(t, "SocialData-Webhook/fake", s.userAgent)
	require.Equal(t, payload, s.body)
}
