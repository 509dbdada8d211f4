package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
)

func TestJobWorkflowID(t *testing.T) {
	tests := []struct {
		name  string
		jobID int64
		want  string
	}{
		{"documented example", 42, "socialdata-job-42"},
		{"one", 1, "socialdata-job-1"},
		{"beyond 32 bits", 4294967297, "socialdata-job-4294967297"},
		{"beyond float64 precision", 9007199254740993, "socialdata-job-9007199254740993"},
		{"largest int64", math.MaxInt64, "socialdata-job-9223372036854775807"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, contract.JobWorkflowID(tc.jobID))
		})
	}
}

func TestJobWorkflowIDIsDistinctPerJob(t *testing.T) {
	tests := []struct {
		name string
		a, b int64
	}{
		{"adjacent", 42, 43},
		{"prefix digits", 4, 42},
		{"large adjacent", math.MaxInt64 - 1, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEqual(t, contract.JobWorkflowID(tc.a), contract.JobWorkflowID(tc.b))
		})
	}
}

func TestArchiveEventWorkflowID(t *testing.T) {
	sum := sha256.Sum256([]byte(`{"event":"new_tweet"}`))
	full := hex.EncodeToString(sum[:])
	tests := []struct {
		name   string
		source string
		hash   string
		want   string
	}{
		{"full sha256 truncated to 32 hex chars", "socialdata", full, "socialdata-unhandled-" + full[:32]},
		{"exactly 32 chars kept", "socialdata", strings.Repeat("a", 32), "socialdata-unhandled-" + strings.Repeat("a", 32)},
		{"33 chars truncated", "socialdata", strings.Repeat("b", 32) + "c", "socialdata-unhandled-" + strings.Repeat("b", 32)},
		{"shorter hash kept whole", "socialdata", "abc123", "socialdata-unhandled-abc123"},
		{"empty hash", "socialdata", "", "socialdata-unhandled-"},
		{"other source", "other", full, "other-unhandled-" + full[:32]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := contract.ArchiveEventWorkflowID(tc.source, tc.hash)
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, len(got), len(tc.source)+len("-unhandled-")+32)
		})
	}
}

func TestArchiveEventWorkflowIDDedupes(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []byte
		wantSame bool
	}{
		{"same body, same id", []byte(`{"event":"x"}`), []byte(`{"event":"x"}`), true},
		{"different body, different id", []byte(`{"event":"x"}`), []byte(`{"event":"y"}`), false},
		{"whitespace differs, different id", []byte(`{"event":"x"}`), []byte(`{"event": "x"}`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ha, hb := sha256.Sum256(tc.a), sha256.Sum256(tc.b)
			ida := contract.ArchiveEventWorkflowID(contract.SourceSocialData, hex.EncodeToString(ha[:]))
			idb := contract.ArchiveEventWorkflowID(contract.SourceSocialData, hex.EncodeToString(hb[:]))
			if tc.wantSame {
				require.Equal(t, ida, idb)
			} else {
				require.NotEqual(t, ida, idb)
			}
		})
	}
}

func TestSearchAttributeKeys(t *testing.T) {
	keys := contract.SearchAttributeKeys()
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, k.GetName())
	}
	require.ElementsMatch(t, []string{"EventType", "JobId", "Source", "MonitorId", "UserId"}, names)
}

func TestMonitorWorkflowIDs(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"tweet", contract.TweetWorkflowID("01jkt060zcz108b78fke6hm1g4", "1889505498761703504"),
			"socialdata-tweet-01jkt060zcz108b78fke6hm1g4-1889505498761703504"},
		{"following", contract.FollowingWorkflowID("01jkf3zgfwt8gnpgevxf9w6h58", "295218901"),
			"socialdata-following-01jkf3zgfwt8gnpgevxf9w6h58-295218901"},
		{"profile update", contract.ProfileUpdateWorkflowID("44196397", "0123456789abcdef"),
			"socialdata-profile-44196397-0123456789abcdef"},
		{"profile entity", contract.ProfileEntityWorkflowID("44196397"), "profile-44196397"},
		{"observation", contract.ObservationID("socialdata-tweet-m-1", "44196397"), "socialdata-tweet-m-1/44196397"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got)
		})
	}
}

func TestProfileHash(t *testing.T) {
	fields := func(kv ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = json.RawMessage(kv[i+1])
		}
		return m
	}
	base := contract.ProfileHash(fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`, "url", "null"))
	require.Len(t, base, 16)
	require.Regexp(t, `^[0-9a-f]{16}$`, base)
	tests := []struct {
		name string
		in   map[string]json.RawMessage
		same bool
	}{
		{"same fields", fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`, "url", "null"), true},
		{"whitespace in values", fields("name", ` "Kekius Maximus" `, "screen_name", `"elonmusk"`, "url", " null"), true},
		{"absent field hashes as null", fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`), true},
		{"counters do not count", fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`, "followers_count", "5"), true},
		{"verified is not a monitor field", fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`, "verified", "true"), true},
		{"name change", fields("name", `"Elon Musk"`, "screen_name", `"elonmusk"`), false},
		{"description change", fields("name", `"Kekius Maximus"`, "screen_name", `"elonmusk"`, "description", `"x"`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.same, contract.ProfileHash(tt.in) == base)
		})
	}
}
