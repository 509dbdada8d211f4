//go:build integration

package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/socialhook/pipeline/activities"
	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/storage"
)

// stack provides a real MinIO (and Temporal, unused here) for the activity tests.
var stack *testenv.Stack

func TestMain(m *testing.M) {
	os.Exit(func() int {
		s, err := testenv.Start(context.Background(), testenv.Options{NoWorker: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "activities: start stack:", err)
			return 1
		}
		defer s.Close()
		stack = s
		return m.Run()
	}())
}

// source is a datafile server whose handler the test chooses; it counts requests.
type source struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newSource(t *testing.T, h http.HandlerFunc) *source {
	s := &source{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *source) host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// fetch runs FetchDatafile in Temporal's activity test environment, with allowed as the host allowlist. The
// sources listen on loopback, so private addresses are allowed unless deps says otherwise.
func fetch(t *testing.T, allowed []string, url string, jobID int64) (contract.Datafile, error) {
	t.Helper()
	return fetchWith(t, activities.Deps{DatafileAllowPrivate: true}, allowed, url, jobID)
}

func fetchWith(t *testing.T, deps activities.Deps, allowed []string, url string, jobID int64) (contract.Datafile, error) {
	t.Helper()
	allow, err := config.NewHostAllowlist(allowed)
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	deps.Store, deps.Allowlist = stack.Store, allow
	activities.New(deps).Register(env)
	val, err := env.ExecuteActivity(contract.FetchDatafileActivityName, contract.FetchDatafileInput{JobID: jobID, URL: url})
	if err != nil {
		return contract.Datafile{}, err
	}
	var df contract.Datafile
	require.NoError(t, val.Get(&df))
	return df, nil
}

func appErrType(t *testing.T, err error) (string, bool) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	return appErr.Type(), appErr.NonRetryable()
}

var nextJob = int64(900_000)

func jobID() int64 { nextJob++; return nextJob }

func TestFetchDatafileStreamsUnknownLength(t *testing.T) {
	const size = 10<<20 + 3 // more than one 8 MiB part, sent chunked (no Content-Length)
	src := newSource(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, fakesocialdata.Content(5, size)) // io.Copy through ResponseWriter: chunked encoding
	})
	id := jobID()
	df, err := fetch(t, []string{src.host()}, src.srv.URL+"/files/out.json?X-Amz-Signature=s3cret", id)
	require.NoError(t, err)
	require.Equal(t, int64(size), df.Size)
	require.Equal(t, fakesocialdata.SHA256(5, size), df.SHA256)
	require.Equal(t, "application/json", df.ContentType)
	require.Equal(t, storage.DatafileKey(id, "out.json"), df.Key)
	require.NotContains(t, df.SourceURL, "s3cret")
	data, err := stack.Store.Get(context.Background(), df.Key)
	require.NoError(t, err)
	require.Len(t, data, size)
}

func TestFetchDatafileFailures(t *testing.T) {
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		allow         func(src *source) []string
		path          string
		wantType      string // "" = a retryable (non-application) failure
		wantRequests  int
		wantInMessage string
	}{
		{
			name:          "host not allowed: no request",
			handler:       func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) },
			allow:         func(*source) []string { return []string{"s3.amazonaws.com"} },
			wantType:      contract.ErrTypeHostNotAllowed,
			wantRequests:  0,
			wantInMessage: "not in DATAFILE_ALLOWED_HOSTS",
		},
		{
			name: "redirect to a host outside the allowlist",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			},
			allow:         func(s *source) []string { return []string{s.host()} },
			wantType:      contract.ErrTypeHostNotAllowed,
			wantRequests:  1,
			wantInMessage: "redirect",
		},
		{
			name:          "403 means the URL expired",
			handler:       func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) },
			allow:         func(s *source) []string { return []string{s.host()} },
			wantType:      contract.ErrTypeURLExpired,
			wantRequests:  1,
			wantInMessage: "403",
		},
		{
			name:          "404 is a non-retryable client error",
			handler:       func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) },
			allow:         func(s *source) []string { return []string{s.host()} },
			wantType:      contract.ErrTypeDatafileClient,
			wantRequests:  1,
			wantInMessage: "404",
		},
		{
			name:          "503 is retryable",
			handler:       func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
			allow:         func(s *source) []string { return []string{s.host()} },
			wantRequests:  1,
			wantInMessage: "503",
		},
		{
			name:          "non-http scheme",
			handler:       func(w http.ResponseWriter, _ *http.Request) {},
			allow:         func(s *source) []string { return []string{s.host()} },
			path:          "file:///etc/passwd",
			wantType:      contract.ErrTypeHostNotAllowed,
			wantInMessage: "scheme",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, tt.handler)
			url := src.srv.URL + "/d.json"
			if tt.path != "" {
				url = tt.path
			}
			id := jobID()
			_, err := fetch(t, tt.allow(src), url, id)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.wantInMessage)
			require.EqualValues(t, tt.wantRequests, src.requests.Load())
			typ, nonRetryable := appErrType(t, err)
			if tt.wantType == "" {
				require.False(t, nonRetryable, "want a retryable failure, got type %s", typ)
			} else {
				require.Equal(t, tt.wantType, typ)
				require.True(t, nonRetryable)
			}
			keys, err := stack.Store.List(context.Background(), storage.DatafilePrefix(id))
			require.NoError(t, err)
			require.Empty(t, keys, "a failed fetch leaves no object")
		})
	}
}

// A source that dies mid-body fails the attempt retryably and leaves no partial object: the multipart upload
// is aborted, never completed.
func TestFetchDatafileTruncatedLeavesNoObject(t *testing.T) {
	const size = 20 << 20
	src := newSource(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = io.Copy(w, fakesocialdata.Content(1, size/2+12345))
		// Returning short of Content-Length makes the server close the connection: the client sees an
		// unexpected EOF.
	})
	id := jobID()
	_, err := fetch(t, []string{src.host()}, src.srv.URL+"/big.bin", id)
	require.Error(t, err)
	_, nonRetryable := appErrType(t, err)
	require.False(t, nonRetryable, "a cut connection is transient")
	keys, err := stack.Store.List(context.Background(), storage.DatafilePrefix(id))
	require.NoError(t, err)
	require.Empty(t, keys)
}

// SSRF: an allowed name that resolves to a loopback/private address is refused at connect time, no request
// reaches it, and the failure is final.
func TestFetchDatafileRefusesPrivateAddresses(t *testing.T) {
	src := newSource(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("secret")) })
	_, port, _ := strings.Cut(src.host(), ":")
	for _, host := range []string{src.host(), "localhost:" + port} {
		t.Run(host, func(t *testing.T) {
			id := jobID()
			_, err := fetchWith(t, activities.Deps{}, []string{host}, "http://"+host+"/d.json", id)
			require.Error(t, err)
			typ, nonRetryable := appErrType(t, err)
			require.Equal(t, contract.ErrTypeHostNotAllowed, typ)
			require.True(t, nonRetryable)
			require.Contains(t, err.Error(), "private or internal address")
			require.Zero(t, src.requests.Load())
		})
	}
}

// DATAFILE_MAX_BYTES: a declared size over the cap is refused before copying; an undeclared one is cut at the
// cap and leaves no object.
func TestFetchDatafileSizeCap(t *testing.T) {
	const capBytes = 1 << 20
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"declared too large", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(capBytes+1))
			_, _ = io.Copy(w, fakesocialdata.Content(1, capBytes+1))
		}},
		{"chunked past the cap", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.Copy(w, fakesocialdata.Content(1, 3*capBytes)) // no Content-Length: chunked
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, tt.handler)
			id := jobID()
			_, err := fetchWith(t, activities.Deps{DatafileAllowPrivate: true, DatafileMaxBytes: capBytes},
				[]string{src.host()}, src.srv.URL+"/big.json", id)
			require.Error(t, err)
			typ, nonRetryable := appErrType(t, err)
			require.Equal(t, contract.ErrTypeTooLarge, typ)
			require.True(t, nonRetryable)
			keys, err := stack.Store.List(context.Background(), storage.DatafilePrefix(id))
			require.NoError(t, err)
			require.Empty(t, keys)
		})
	}
}
