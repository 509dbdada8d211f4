package socialdata_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/jsonobject"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/socialdata"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", name))
	require.NoError(t, err)
	return body
}

func TestParseWebhookSamples(t *testing.T) {
	tests := []struct {
		file      string
		wantEvent string
		wantMeta  bool
	}{
		{"socialdata_job_finished_success.json", contract.EventJobFinished, false},
		{"socialdata_job_finished_error.json", contract.EventJobFinished, false},
		{"socialdata_new_tweet.json", contract.EventNewTweet, true},
		{"socialdata_new_following.json", contract.EventNewFollowing, true},
		{"socialdata_profile_update.json", contract.EventProfileUpdate, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			w, err := socialdata.ParseWebhook(readSample(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, tc.wantEvent, w.Event)
			require.NotEmpty(t, w.Data)
			require.Equal(t, byte('{'), w.Data[0], "data is the raw JSON object")
			if tc.wantMeta {
				require.NotEmpty(t, w.Meta)
				require.Contains(t, string(w.Meta), "monitor_id")
			} else {
				require.Empty(t, w.Meta)
			}
		})
	}
}

func TestParseJobFinishedSamples(t *testing.T) {
	tests := []struct {
		file string
		want socialdata.Job
	}{
		{
			file: "socialdata_job_finished_success.json",
			want: socialdata.Job{
				JobID:       42,
				Status:      "success",
				DatafileURL: "https://s3.amazonaws.com/socialdata-example/jobs/42.json",
			},
		},
		{
			file: "socialdata_job_finished_error.json",
			want: socialdata.Job{
				JobID:   43,
				Status:  "error",
				Message: "Insufficient balance",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			w, err := socialdata.ParseWebhook(readSample(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, contract.EventJobFinished, w.Event)
			job, err := socialdata.ParseJobFinished(w.Data)
			require.NoError(t, err)
			require.Equal(t, tc.want, job)
			require.True(t, job.Terminal())
		})
	}
}

func TestParseWebhookErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"empty", "", jsonobject.ErrMalformed},
		{"whitespace only", " \n\t ", jsonobject.ErrMalformed},
		{"array body", `[{"event":"job_finished"}]`, jsonobject.ErrMalformed},
		{"string body", `"job_finished"`, jsonobject.ErrMalformed},
		{"null body", `null`, jsonobject.ErrMalformed},
		{"truncated JSON", `{"event":"job_finished","data":{`, jsonobject.ErrMalformed},
		{"trailing garbage", `{"event":"job_finished"} x`, jsonobject.ErrMalformed},
		{"not JSON", `{event: job_finished}`, jsonobject.ErrMalformed},
		{"event of wrong type", `{"event":5,"data":{}}`, jsonobject.ErrMalformed},
		{"missing event", `{"data":{"job_id":42}}`, socialdata.ErrMissingEvent},
		{"empty event", `{"event":"","data":{}}`, socialdata.ErrMissingEvent},
		{"blank event", `{"event":"   ","data":{}}`, socialdata.ErrMissingEvent},
		{"null event", `{"event":null}`, socialdata.ErrMissingEvent},
		{"empty object", `{}`, socialdata.ErrMissingEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := socialdata.ParseWebhook([]byte(tc.body))
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, socialdata.Webhook{}, w)
		})
	}
}

func TestParseWebhookTrimsEvent(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"surrounding whitespace in body", "\n  {\"event\":\"new_tweet\",\"data\":{}}  \n", contract.EventNewTweet},
		{"surrounding whitespace in event", `{"event":"  job_finished ","data":{}}`, contract.EventJobFinished},
		{"unknown event is still an envelope", `{"event":"something_new","data":{"x":1}}`, "something_new"},
		{"no data", `{"event":"job_finished"}`, contract.EventJobFinished},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := socialdata.ParseWebhook([]byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.want, w.Event)
		})
	}
}

func TestParseJob(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    socialdata.Job
		wantErr error
	}{
		{
			name: "numeric id",
			data: `{"job_id":42,"status":"success","result":{"datafile_url":"https://x/42.json"}}`,
			want: socialdata.Job{JobID: 42, Status: "success", DatafileURL: "https://x/42.json"},
		},
		{
			name: "string id",
			data: `{"job_id":"42","status":"success","result":{"datafile_url":"https://x/42.json"}}`,
			want: socialdata.Job{JobID: 42, Status: "success", DatafileURL: "https://x/42.json"},
		},
		{
			name: "string id with spaces",
			data: `{"job_id":" 42 ","status":"error","message":"m"}`,
			want: socialdata.Job{JobID: 42, Status: "error", Message: "m"},
		},
		{
			name: "largest int64 id",
			data: `{"job_id":9223372036854775807,"status":"pending"}`,
			want: socialdata.Job{JobID: 9223372036854775807, Status: "pending"},
		},
		{
			name: "non-terminal status is fine for ParseJob",
			data: `{"job_id":7,"status":"processing"}`,
			want: socialdata.Job{JobID: 7, Status: "processing"},
		},
		{
			name: "status and URL are trimmed",
			data: `{"job_id":7,"status":" success ","result":{"datafile_url":"  https://x/7  "}}`,
			want: socialdata.Job{JobID: 7, Status: "success", DatafileURL: "https://x/7"},
		},
		{
			name: "null result",
			data: `{"job_id":7,"status":"success","result":null}`,
			want: socialdata.Job{JobID: 7, Status: "success"},
		},
		{
			name: "unknown fields ignored",
			data: `{"job_id":7,"status":"error","message":"m","extra":{"a":[1,2]}}`,
			want: socialdata.Job{JobID: 7, Status: "error", Message: "m"},
		},
		{name: "zero id", data: `{"job_id":0,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "negative id", data: `{"job_id":-1,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "fractional id", data: `{"job_id":1.5,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "exponent id", data: `{"job_id":4.2e1,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "non-numeric string id", data: `{"job_id":"abc","status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "string zero id", data: `{"job_id":"0","status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "string negative id", data: `{"job_id":"-5","status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "empty string id", data: `{"job_id":"","status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "id overflows int64", data: `{"job_id":99999999999999999999,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "string id overflows int64", data: `{"job_id":"99999999999999999999","status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "bool id", data: `{"job_id":true,"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "object id", data: `{"job_id":{"id":42},"status":"success"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "null id", data: `{"job_id":null,"status":"success"}`, wantErr: socialdata.ErrMissingJobID},
		{name: "missing id", data: `{"status":"success"}`, wantErr: socialdata.ErrMissingJobID},
		{name: "empty data", data: ``, wantErr: socialdata.ErrMissingData},
		{name: "null data", data: `null`, wantErr: socialdata.ErrMissingData},
		{name: "array data", data: `[42]`, wantErr: socialdata.ErrMissingData},
		{name: "malformed data", data: `{"job_id":42,`, wantErr: jsonobject.ErrMalformed},
		{name: "status of wrong type", data: `{"job_id":42,"status":1}`, wantErr: jsonobject.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job, err := socialdata.ParseJob([]byte(tc.data))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, socialdata.Job{}, job)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, job)
		})
	}
}

func TestParseJobFinished(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    socialdata.Job
		wantErr error
	}{
		{
			name: "success with URL",
			data: `{"job_id":42,"status":"success","result":{"datafile_url":"https://s3.amazonaws.com/b/42.json"}}`,
			want: socialdata.Job{JobID: 42, Status: "success", DatafileURL: "https://s3.amazonaws.com/b/42.json"},
		},
		{
			name: "string id accepted",
			data: `{"job_id":"42","status":"success","result":{"datafile_url":"https://s3.amazonaws.com/b/42.json"}}`,
			want: socialdata.Job{JobID: 42, Status: "success", DatafileURL: "https://s3.amazonaws.com/b/42.json"},
		},
		{
			name: "error without URL",
			data: `{"job_id":43,"status":"error","message":"Insufficient balance"}`,
			want: socialdata.Job{JobID: 43, Status: "error", Message: "Insufficient balance"},
		},
		{
			name: "error without message",
			data: `{"job_id":43,"status":"error"}`,
			want: socialdata.Job{JobID: 43, Status: "error"},
		},
		{name: "pending", data: `{"job_id":42,"status":"pending"}`, wantErr: socialdata.ErrInvalidStatus},
		{name: "processing", data: `{"job_id":42,"status":"processing"}`, wantErr: socialdata.ErrInvalidStatus},
		{name: "empty status", data: `{"job_id":42,"status":""}`, wantErr: socialdata.ErrInvalidStatus},
		{name: "missing status", data: `{"job_id":42}`, wantErr: socialdata.ErrInvalidStatus},
		{name: "upper-case status", data: `{"job_id":42,"status":"SUCCESS","result":{"datafile_url":"https://x"}}`, wantErr: socialdata.ErrInvalidStatus},
		{name: "success without result", data: `{"job_id":42,"status":"success"}`, wantErr: socialdata.ErrMissingURL},
		{name: "success with null result", data: `{"job_id":42,"status":"success","result":null}`, wantErr: socialdata.ErrMissingURL},
		{name: "success with empty URL", data: `{"job_id":42,"status":"success","result":{"datafile_url":""}}`, wantErr: socialdata.ErrMissingURL},
		{name: "success with blank URL", data: `{"job_id":42,"status":"success","result":{"datafile_url":"   "}}`, wantErr: socialdata.ErrMissingURL},
		{name: "zero id", data: `{"job_id":0,"status":"success","result":{"datafile_url":"https://x"}}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "negative id", data: `{"job_id":-1,"status":"error"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "fractional id", data: `{"job_id":1.5,"status":"error"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "non-numeric string id", data: `{"job_id":"abc","status":"error"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "id overflows int64", data: `{"job_id":99999999999999999999,"status":"error"}`, wantErr: socialdata.ErrInvalidJobID},
		{name: "null id", data: `{"job_id":null,"status":"error"}`, wantErr: socialdata.ErrMissingJobID},
		{name: "missing id", data: `{"status":"error"}`, wantErr: socialdata.ErrMissingJobID},
		{name: "missing data", data: ``, wantErr: socialdata.ErrMissingData},
		{name: "malformed data", data: `{"job_id":`, wantErr: jsonobject.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job, err := socialdata.ParseJobFinished([]byte(tc.data))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, socialdata.Job{}, job)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, job)
		})
	}
}

// TestParseWebhookThenJobFinished runs full bodies through both steps, as the ingress does.
func TestParseWebhookThenJobFinished(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantID  int64
		wantErr error
	}{
		{
			name:   "string job_id",
			body:   `{"event":"job_finished","data":{"job_id":"42","status":"success","result":{"datafile_url":"https://s3.amazonaws.com/b/42.json"}}}`,
			wantID: 42,
		},
		{
			name:    "no data",
			body:    `{"event":"job_finished"}`,
			wantErr: socialdata.ErrMissingData,
		},
		{
			name:    "data is a string",
			body:    `{"event":"job_finished","data":"42"}`,
			wantErr: socialdata.ErrMissingData,
		},
		{
			name:    "non-terminal",
			body:    `{"event":"job_finished","data":{"job_id":42,"status":"processing"}}`,
			wantErr: socialdata.ErrInvalidStatus,
		},
		{
			name:    "success without URL",
			body:    `{"event":"job_finished","data":{"job_id":42,"status":"success"}}`,
			wantErr: socialdata.ErrMissingURL,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := socialdata.ParseWebhook([]byte(tc.body))
			require.NoError(t, err)
			job, err := socialdata.ParseJobFinished(w.Data)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantID, job.JobID)
		})
	}
}

func TestJobTerminal(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"success", true},
		{"error", true},
		{"pending", false},
		{"processing", false},
		{"", false},
		{"Success", false},
	}
	for _, tc := range tests {
		t.Run("status="+tc.status, func(t *testing.T) {
			require.Equal(t, tc.want, socialdata.Job{Status: tc.status}.Terminal())
		})
	}
}
