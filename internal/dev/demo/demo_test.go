package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap/zaptest"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/dev/demo"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

const (
	token   = "demo-test-webhook-token"
	xSecret = "main=x-consumer-secret-main"
)

// ingressStub answers webhooks like the ingress: it checks the token and the X signature, derives each event's
// run ID with the pipeline's own rules, and answers accepted the first time, duplicate after.
type ingressStub struct {
	*httptest.Server
	t       *testing.T
	secrets []xwebhook.Secret
	mu      sync.Mutex
	runs    map[string]int // run ID → deliveries
	sources map[string]string
}

func newIngressStub(t *testing.T) *ingressStub {
	t.Helper()
	secrets, err := xwebhook.ParseSecrets([]string{xSecret})
	require.NoError(t, err)
	s := &ingressStub{t: t, secrets: secrets, runs: map[string]int{}, sources: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ingressStub) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ids []string
	switch {
	case r.URL.Path == "/webhooks/socialdata/"+token:
		ids, err = socialDataRunIDs(body)
	case r.URL.Path == "/webhooks/x":
		if _, ok := xwebhook.Verify(s.secrets, body, r.Header.Get(xwebhook.SignatureHeader)); !ok {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		ids, err = xRunIDs(body)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, `{"error":"`+err.Error()+`"}`, http.StatusBadRequest)
		return
	}
	status := starts.Duplicate
	s.mu.Lock()
	for _, id := range ids {
		if s.runs[id]++; s.runs[id] == 1 {
			status = starts.Accepted
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status, "workflow_id": ids[0]})
}

// socialDataRunIDs derives a SocialData webhook's run ID as the ingress does.
func socialDataRunIDs(body []byte) ([]string, error) {
	hook, err := socialdata.ParseWebhook(body)
	if err != nil {
		return nil, err
	}
	if hook.Event == contract.EventJobFinished {
		job, err := socialdata.ParseJobFinished(hook.Data)
		if err != nil {
			return nil, err
		}
		return []string{contract.JobWorkflowID(job.JobID)}, nil
	}
	ev, err := socialdata.ParseMonitorEvent(hook)
	if err != nil {
		return nil, err
	}
	return []string{starts.MonitorEvent(ev, contract.RawEvent{Source: contract.SourceSocialData}).ID}, nil
}

// xRunIDs derives an X delivery's run IDs as the ingress does.
func xRunIDs(body []byte) ([]string, error) {
	d, err := xwebhook.Parse(body)
	if err != nil {
		return nil, err
	}
	if len(d.Events) == 0 || len(d.Unknown) > 0 {
		return nil, errors.New("no event the pipeline processes")
	}
	var ids []string
	for _, ev := range d.Events {
		ids = append(ids, contract.XWorkflowID(ev.Kind, ev.Identity...))
	}
	return ids, nil
}

func (s *ingressStub) received(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

func newFake(t *testing.T) *fakesocialdata.Server {
	t.Helper()
	fake := fakesocialdata.New("demo-test-api-key")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL)
	return fake
}

// A whole (short) stream reaches the ingress: every delivery answered 200 and signed where it must be, the
// duplicates answered duplicate, and the lost webhooks never sent.
func TestRunSendsTheStream(t *testing.T) {
	ingress := newIngressStub(t)
	fake := newFake(t)
	var out bytes.Buffer
	cfg := demo.Config{
		IngressURL: ingress.URL, WebhookToken: token, XSecret: xSecret, Fake: fake,
		Duration: 500 * time.Millisecond, PollInterval: time.Hour, DropFraction: 0.5, Seed: 3, Out: &out,
		Links: demo.Links{WorkflowsURL: "http://ui/namespaces/default/workflows"},
	}
	sum, err := demo.Run(context.Background(), cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Zero(t, sum.Failed, out.String())
	require.NotEmpty(t, sum.Dropped)

	total, duplicates := map[string]int{}, 0
	for _, row := range sum.Rows {
		total[row.EventType] += row.Sent
		duplicates += row.Duplicates
	}
	for _, typ := range []string{"job_finished", "new_tweet", "new_following", "profile_update", "tweet", "favorite",
		"follow", "dm", "post.create", "profile.update.bio", "follow.follow", "like.create"} {
		require.Positive(t, total[typ], "%s sent", typ)
	}
	require.GreaterOrEqual(t, duplicates, 6, "jobs, a tweet, X retries and X events for a second user")

	ingress.mu.Lock()
	sent, repeated := 0, 0
	for _, n := range ingress.runs {
		sent += n
		repeated += n - 1
	}
	ingress.mu.Unlock()
	require.Equal(t, duplicates, repeated, "every duplicate delivery was answered duplicate")
	sumSent := 0
	for _, n := range total {
		sumSent += n
	}
	require.Equal(t, sumSent, sent)

	for _, d := range sum.Dropped {
		require.Zero(t, ingress.received(d.WorkflowID), "lost webhook %s never reached the ingress", d.WorkflowID)
	}
	lost := 0
	for _, e := range fake.Emitted() {
		if !e.Delivered {
			lost++
		}
	}
	require.Equal(t, len(sum.Dropped), lost)

	text := out.String()
	require.Contains(t, text, `JobId="`+itoa(sum.FlakyJob)+`"`)
	require.Contains(t, text, "http://ui/namespaces/default/workflows?query=EventType%3D%22new_tweet%22")
	require.Contains(t, text, "LOST by the fake")
	require.Contains(t, text, "Demo stream done")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRunStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := demo.Run(ctx, demo.Config{IngressURL: newIngressStub(t).URL, WebhookToken: token, Fake: newFake(t),
		Duration: time.Hour, Seed: 1}, zaptest.NewLogger(t))
	require.ErrorIs(t, err, context.Canceled)
}

func TestRunRejectsBadConfig(t *testing.T) {
	ok := demo.Config{IngressURL: "http://127.0.0.1:1", WebhookToken: token, Fake: fakesocialdata.New(""), Duration: time.Second}
	tests := []struct {
		name   string
		change func(*demo.Config)
		want   string
	}{
		{name: "no ingress URL", change: func(c *demo.Config) { c.IngressURL = "" }, want: "ingress URL"},
		{name: "no token", change: func(c *demo.Config) { c.WebhookToken = "" }, want: "token"},
		{name: "no fake", change: func(c *demo.Config) { c.Fake = nil }, want: "fake"},
		{name: "no duration", change: func(c *demo.Config) { c.Duration = 0 }, want: "duration"},
		{name: "drop fraction above 1", change: func(c *demo.Config) { c.DropFraction = 1.5 }, want: "drop fraction"},
		{name: "bad X secret", change: func(c *demo.Config) { c.XSecret = "=" }, want: "X secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.change(&cfg)
			_, err := demo.Run(context.Background(), cfg, zaptest.NewLogger(t))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// temporalStub knows some runs, each with its Source search attribute.
type temporalStub struct {
	mu      sync.Mutex
	sources map[string]string
	err     error
}

func (s *temporalStub) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	source, ok := s.sources[workflowID]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	payload, err := converter.GetDefaultDataConverter().ToPayload(source)
	if err != nil {
		return nil, err
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"Source": payload}},
	}}, nil
}

func TestAwaitRecovery(t *testing.T) {
	dropped := []demo.Dropped{
		{EventType: "new_tweet", WorkflowID: "socialdata-tweet-m1-1"},
		{EventType: "profile_update", WorkflowID: "socialdata-profile-2-abc"},
	}
	poll := contract.SourceSocialDataPoll
	tests := []struct {
		name     string
		temporal *temporalStub
		want     int
		wantErr  error
		wantOut  []string
	}{
		{
			name:     "all recovered",
			temporal: &temporalStub{sources: map[string]string{dropped[0].WorkflowID: poll, dropped[1].WorkflowID: poll}},
			want:     2,
			wantOut:  []string{`recovered (Source="socialdata-poll"): new_tweet`, "All 2 lost webhooks were recovered"},
		},
		{
			name:     "one still missing when the context ends",
			temporal: &temporalStub{sources: map[string]string{dropped[1].WorkflowID: poll}},
			want:     1, wantErr: context.DeadlineExceeded,
			wantOut: []string{"profile_update  socialdata-profile-2-abc"},
		},
		{
			name:     "Temporal unavailable",
			temporal: &temporalStub{err: serviceerror.NewUnavailable("down")},
			wantErr:  context.DeadlineExceeded,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			got, err := demo.AwaitRecovery(ctx, tc.temporal, dropped, &out, zaptest.NewLogger(t))
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, tc.want, got)
			for _, want := range tc.wantOut {
				require.Contains(t, out.String(), want)
			}
		})
	}
}

func TestFakeListenAddr(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "make demo's defaults", want: "127.0.0.1:8090"},
		{name: "the real API", env: map[string]string{"SOCIALDATA_API_URL": "https://api.socialdata.tools"}, wantErr: "must be http://host:port"},
		{name: "a path", env: map[string]string{"SOCIALDATA_API_URL": "http://127.0.0.1:8090/api"}, wantErr: "must be http://host:port"},
		{name: "host not allowed", env: map[string]string{"DATAFILE_ALLOWED_HOSTS": "s3.amazonaws.com"}, wantErr: "DATAFILE_ALLOWED_HOSTS must allow 127.0.0.1:8090"},
		{name: "private addresses not allowed", env: map[string]string{"DATAFILE_ALLOW_PRIVATE": "false"}, wantErr: "DATAFILE_ALLOW_PRIVATE=true"},
		{name: "no port", env: map[string]string{"SOCIALDATA_API_URL": "http://127.0.0.1", "DATAFILE_ALLOWED_HOSTS": "127.0.0.1"}, want: "127.0.0.1:80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s", "SOCIALDATA_API_URL": "http://127.0.0.1:8090",
				"DATAFILE_ALLOWED_HOSTS": "s3.amazonaws.com,127.0.0.1:8090", "DATAFILE_ALLOW_PRIVATE": "true",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := config.Parse(env)
			require.NoError(t, err)
			got, err := demo.FakeListenAddr(cfg)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
