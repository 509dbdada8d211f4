package storage_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/storage"
)

// fakeS3 is an http.RoundTripper that answers as S3 would (every bucket exists, in region location) and as an EC2
// instance without a role would (404), recording every request.
type fakeS3 struct {
	location string
	mu       sync.Mutex
	requests []*http.Request
}

func (f *fakeS3) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req.Clone(context.Background()))
	f.mu.Unlock()
	status, body := http.StatusOK, ""
	switch {
	case req.URL.Hostname() == "169.254.169.254":
		status = http.StatusNotFound
	case req.URL.Query().Has("location"):
		body = `<?xml version="1.0" encoding="UTF-8"?>` +
			`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + f.location + `</LocationConstraint>`
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}, nil
}

func (f *fakeS3) recorded() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

// Region and bucket lookup reach the requests: where they go, and the region they are signed for.
func TestRequestAddressing(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		region   string
		lookup   minio.BucketLookupType
		// want is each request as "METHOD host path?query" and the region of its signature.
		want []string
	}{
		{
			name: "path style, region given: no location lookup", endpoint: "s3.example.test", region: "us-west-2",
			lookup: minio.BucketLookupPath,
			want:   []string{"HEAD s3.example.test /pipeline/ us-west-2"},
		},
		{
			name: "virtual-host style", endpoint: "s3.example.test", region: "us-west-2", lookup: minio.BucketLookupDNS,
			want: []string{"HEAD pipeline.s3.example.test / us-west-2"},
		},
		{
			name: "auto is path style for a host that is not AWS's", endpoint: "minio.example.test:9000", region: "us-east-1",
			want: []string{"HEAD minio.example.test:9000 /pipeline/ us-east-1"},
		},
		{
			name: "no region: asked of the server first", endpoint: "s3.example.test", lookup: minio.BucketLookupPath,
			want: []string{"GET s3.example.test /pipeline/?location= us-east-1", "HEAD s3.example.test /pipeline/ eu-west-1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeS3{location: "eu-west-1"}
			store, err := storage.New(storage.Options{
				Endpoint: tc.endpoint, AccessKey: "AKIDTEST", SecretKey: "secret", Region: tc.region,
				BucketLookup: tc.lookup, Bucket: "pipeline", UseSSL: true, Transport: fake,
			})
			require.NoError(t, err)
			require.NoError(t, store.Ping(t.Context()))
			var got []string
			for _, r := range fake.recorded() {
				require.Equal(t, "https", r.URL.Scheme)
				got = append(got, r.Method+" "+r.URL.Host+" "+r.URL.RequestURI()+" "+signedRegion(t, r))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// signedRegion returns the region in a SigV4 Authorization header: Credential=AKID/date/region/s3/aws4_request.
func signedRegion(t *testing.T, r *http.Request) string {
	t.Helper()
	_, scope, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	require.True(t, ok, "unsigned request %s", r.URL)
	parts := strings.Split(strings.SplitN(scope, ",", 2)[0], "/")
	require.Len(t, parts, 5, "credential scope %q", scope)
	require.Equal(t, "AKIDTEST", parts[0])
	return parts[2]
}

// isolateAWS clears every variable the AWS chain reads and points its files at nothing, so only what a test sets
// counts.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name  string
		opts  storage.Options
		setup func(t *testing.T)
		want  credentials.Value
	}{
		{
			name: "static keys win over the environment",
			opts: storage.Options{AccessKey: "static", SecretKey: "static-secret"},
			setup: func(t *testing.T) {
				t.Setenv("AWS_ACCESS_KEY_ID", "env")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
			},
			want: credentials.Value{AccessKeyID: "static", SecretAccessKey: "static-secret", SignerType: credentials.SignatureV4},
		},
		{
			name: "environment",
			setup: func(t *testing.T) {
				t.Setenv("AWS_ACCESS_KEY_ID", "env")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
				t.Setenv("AWS_SESSION_TOKEN", "env-token")
			},
			want: credentials.Value{AccessKeyID: "env", SecretAccessKey: "env-secret", SessionToken: "env-token", SignerType: credentials.SignatureV4},
		},
		{
			name: "shared credentials file, profile AWS_PROFILE",
			setup: func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "credentials")
				require.NoError(t, os.WriteFile(path, []byte("[default]\naws_access_key_id = default\naws_secret_access_key = default-secret\n"+
					"[pipeline]\naws_access_key_id = file\naws_secret_access_key = file-secret\n"), 0o600))
				t.Setenv("AWS_SHARED_CREDENTIALS_FILE", path)
				t.Setenv("AWS_PROFILE", "pipeline")
			},
			want: credentials.Value{AccessKeyID: "file", SecretAccessKey: "file-secret", SignerType: credentials.SignatureV4},
		},
		{
			name: "container credentials (ECS task role, EKS Pod Identity)",
			setup: func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") != "container-token" {
						w.WriteHeader(http.StatusUnauthorized)
						return
					}
					_ = json.NewEncoder(w).Encode(map[string]any{
						"AccessKeyId": "role", "SecretAccessKey": "role-secret", "Token": "role-token",
						"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
					})
				}))
				t.Cleanup(srv.Close)
				t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/credentials")
				t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token")
			},
			want: credentials.Value{AccessKeyID: "role", SecretAccessKey: "role-secret", SessionToken: "role-token", SignerType: credentials.SignatureV4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t)
			tc.setup(t)
			tc.opts.Endpoint, tc.opts.Bucket = "s3.example.test", "pipeline"
			store, err := storage.New(tc.opts)
			require.NoError(t, err)
			got, err := store.Client().GetCreds()
			require.NoError(t, err)
			got.Expiration = time.Time{}
			require.Equal(t, tc.want, got)
		})
	}
}

// With nothing in the environment or the files, the chain asks the EC2 instance metadata service last; without
// a role there, requests go unsigned.
func TestCredentialsChainEndsAtInstanceMetadata(t *testing.T) {
	isolateAWS(t)
	fake := &fakeS3{}
	store, err := storage.New(storage.Options{Endpoint: "s3.example.test", Bucket: "pipeline", Transport: fake})
	require.NoError(t, err)
	got, err := store.Client().GetCreds()
	require.NoError(t, err)
	require.Equal(t, credentials.SignatureAnonymous, got.SignerType)
	reqs := fake.recorded()
	require.NotEmpty(t, reqs, "the chain never reached the instance metadata service")
	for _, r := range reqs {
		require.Equal(t, "169.254.169.254", r.URL.Hostname())
	}
}
