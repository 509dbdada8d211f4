package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/storage"
)

func TestRawKey(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	newYork := time.FixedZone("EST", -5*60*60)
	tests := []struct {
		name       string
		source     string
		receivedAt time.Time
		workflowID string
		want       string
	}{
		{
			name:       "UTC time",
			source:     "socialdata",
			receivedAt: time.Date(2025, time.February, 12, 2, 43, 10, 0, time.UTC),
			workflowID: "socialdata-job-42",
			want:       "raw/socialdata/2025/02/12/socialdata-job-42.json",
		},
		{
			name:       "east of UTC falls on the previous UTC day",
			source:     "socialdata",
			receivedAt: time.Date(2025, time.March, 1, 8, 59, 0, 0, tokyo), // 2025-02-28T23:59Z
			workflowID: "socialdata-job-7",
			want:       "raw/socialdata/2025/02/28/socialdata-job-7.json",
		},
		{
			name:       "west of UTC falls on the next UTC day across a year",
			source:     "socialdata",
			receivedAt: time.Date(2024, time.December, 31, 20, 0, 0, 0, newYork), // 2025-01-01T01:00Z
			workflowID: "socialdata-unhandled-abc",
			want:       "raw/socialdata/2025/01/01/socialdata-unhandled-abc.json",
		},
		{
			name:       "leap day",
			source:     "socialdata",
			receivedAt: time.Date(2024, time.February, 29, 12, 0, 0, 0, time.UTC),
			workflowID: "w",
			want:       "raw/socialdata/2024/02/29/w.json",
		},
		{
			name:       "zero-padded year, month and day",
			source:     "src",
			receivedAt: time.Date(999, time.January, 2, 0, 0, 0, 0, time.UTC),
			workflowID: "w",
			want:       "raw/src/0999/01/02/w.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, storage.RawKey(tc.source, tc.receivedAt, tc.workflowID))
		})
	}
}

func TestDatafileKeys(t *testing.T) {
	tests := []struct {
		name         string
		jobID        int64
		file         string
		wantPrefix   string
		wantDatafile string
		wantManifest string
	}{
		{
			name:         "small id",
			jobID:        42,
			file:         "42.json",
			wantPrefix:   "datafiles/42/",
			wantDatafile: "datafiles/42/42.json",
			wantManifest: "datafiles/42/manifest.json",
		},
		{
			name:         "largest int64 id",
			jobID:        9223372036854775807,
			file:         "datafile",
			wantPrefix:   "datafiles/9223372036854775807/",
			wantDatafile: "datafiles/9223372036854775807/datafile",
			wantManifest: "datafiles/9223372036854775807/manifest.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wantPrefix, storage.DatafilePrefix(tc.jobID))
			require.Equal(t, tc.wantDatafile, storage.DatafileKey(tc.jobID, tc.file))
			require.Equal(t, tc.wantManifest, storage.ManifestKey(tc.jobID))
			require.True(t, strings.HasPrefix(storage.DatafileKey(tc.jobID, tc.file), storage.DatafilePrefix(tc.jobID)))
			require.True(t, strings.HasPrefix(storage.ManifestKey(tc.jobID), storage.DatafilePrefix(tc.jobID)))
		})
	}
}

func TestDatafileName(t *testing.T) {
	long := strings.Repeat("a", 200) + ".json"
	tests := []struct {
		name    string
		urlPath string
		want    string
	}{
		{"normal name", "/jobs/42.json", "42.json"},
		{"name only", "42.json", "42.json"},
		{"allowed punctuation kept", "/x/My-File_v1.2.json", "My-File_v1.2.json"},
		{"trailing slash uses the last element", "/jobs/42/", "42"},
		{"query-like characters replaced", "/jobs/42.json?X-Amz-Signature=abc&x=1", "42.json_X-Amz-Signature_abc_x_1"},
		{"spaces and symbols collapsed", "/jobs/my file (1)!.json", "my_file_1_.json"},
		{"percent sign replaced", "/jobs/a%20b.json", "a_20b.json"},
		{"dot-dot", "..", "datafile"},
		{"dot-dot at the end of a path", "/jobs/..", "datafile"},
		{"dot", ".", "datafile"},
		{"slash", "/", "datafile"},
		{"empty", "", "datafile"},
		{"only unsafe characters", "/jobs/???", "datafile"},
		{"manifest.json", "/jobs/manifest.json", "datafile"},
		{"bare manifest.json", "manifest.json", "datafile"},
		{"manifest.json lookalike kept", "/jobs/manifest.json.gz", "manifest.json.gz"},
		{"unicode replaced", "/jobs/données-ü.json", "donn_es-_.json"},
		{"all unicode", "/jobs/日本語", "datafile"},
		{"emoji replaced", "/jobs/🚀rocket.json", "_rocket.json"},
		{"exactly 128 kept", "/" + strings.Repeat("b", 128), strings.Repeat("b", 128)},
		{"very long name keeps its last 128 bytes", "/jobs/" + long, long[len(long)-128:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.DatafileName(tc.urlPath)
			require.Equal(t, tc.want, got)
			require.NotEmpty(t, got)
			require.LessOrEqual(t, len(got), 128)
			require.NotContains(t, got, "/")
			require.NotEqual(t, "manifest.json", got)
			require.NotEqual(t, "..", got)
			require.Regexp(t, `^[A-Za-z0-9._-]+$`, got)
		})
	}
}

func TestDatafileNameLongKeepsExtension(t *testing.T) {
	tests := []struct {
		name    string
		urlPath string
		ext     string
	}{
		{"json", "/" + strings.Repeat("x", 500) + ".json", ".json"},
		{"csv after unicode", "/" + strings.Repeat("é-", 300) + ".csv", ".csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.DatafileName(tc.urlPath)
			require.Len(t, got, 128)
			require.True(t, strings.HasSuffix(got, tc.ext), "got %q", got)
		})
	}
}
