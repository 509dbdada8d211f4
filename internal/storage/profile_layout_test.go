package storage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/storage"
)

func TestTweetKey(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string
	}{
		{"small id", "1", "tweets/1.json"},
		{"id above 2^53", "1889505498761703504", "tweets/1889505498761703504.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, storage.TweetKey(tc.id))
		})
	}
}

func TestFollowKey(t *testing.T) {
	tests := []struct {
		name     string
		follower string
		followed string
		want     string
	}{
		{"sample edge", "1659965172780511232", "295218901", "follows/1659965172780511232/295218901.json"},
		{"reverse edge is another key", "295218901", "1659965172780511232", "follows/295218901/1659965172780511232.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.FollowKey(tc.follower, tc.followed)
			require.Equal(t, tc.want, got)
			require.True(t, strings.HasPrefix(got, "follows/"+tc.follower+"/"), "edges are listed by follower")
		})
	}
}

func TestProfileKey(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string
	}{
		{"sample user", "44196397", "users/44196397/profile.json"},
		{"big id", "1659965172780511232", "users/1659965172780511232/profile.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.ProfileKey(tc.id)
			require.Equal(t, tc.want, got)
			require.False(t, strings.HasPrefix(got, storage.HistoryPrefix(tc.id)),
				"the profile is not listed with the history")
		})
	}
}

func TestHistoryPrefix(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string
	}{
		{"sample user", "44196397", "users/44196397/history/"},
		{"big id", "1659965172780511232", "users/1659965172780511232/history/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, storage.HistoryPrefix(tc.id))
		})
	}
	t.Run("one user's prefix is not a prefix of another's", func(t *testing.T) {
		require.False(t, strings.HasPrefix(storage.HistoryPrefix("123"), storage.HistoryPrefix("12")))
		require.False(t, strings.HasPrefix(storage.HistoryKey("123", time.Unix(0, 0), "o"), storage.HistoryPrefix("12")))
	})
}

func hash8(observationID string) string {
	sum := sha256.Sum256([]byte(observationID))
	return hex.EncodeToString(sum[:4])
}

var historyKeyRe = regexp.MustCompile(`^users/[0-9]+/history/[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-[0-9a-f]{8}\.json$`)

func TestHistoryKey(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	newYork := time.FixedZone("EST", -5*60*60)
	kolkata := time.FixedZone("IST", 5*60*60+30*60)
	tests := []struct {
		name          string
		userID        string
		observedAt    time.Time
		observationID string
		want          string
	}{
		{
			name:          "UTC with nanoseconds",
			userID:        "44196397",
			observedAt:    time.Date(2025, time.February, 12, 2, 43, 10, 123456789, time.UTC),
			observationID: "obs-1",
			want:          "users/44196397/history/20250212T024310.123456789Z-" + hash8("obs-1") + ".json",
		},
		{
			name:          "whole second is zero-padded",
			userID:        "44196397",
			observedAt:    time.Date(2025, time.February, 12, 2, 43, 10, 0, time.UTC),
			observationID: "obs-1",
			want:          "users/44196397/history/20250212T024310.000000000Z-" + hash8("obs-1") + ".json",
		},
		{
			name:          "east of UTC converted to the previous UTC day",
			userID:        "1",
			observedAt:    time.Date(2025, time.March, 1, 8, 59, 0, 5, tokyo), // 2025-02-28T23:59:00.000000005Z
			observationID: "o",
			want:          "users/1/history/20250228T235900.000000005Z-" + hash8("o") + ".json",
		},
		{
			name:          "west of UTC converted to the next UTC year",
			userID:        "1",
			observedAt:    time.Date(2024, time.December, 31, 20, 0, 0, 0, newYork), // 2025-01-01T01:00Z
			observationID: "o",
			want:          "users/1/history/20250101T010000.000000000Z-" + hash8("o") + ".json",
		},
		{
			name:          "half-hour offset",
			userID:        "1",
			observedAt:    time.Date(2025, time.June, 1, 5, 45, 30, 500000000, kolkata), // 00:15:30.5Z
			observationID: "o",
			want:          "users/1/history/20250601T001530.500000000Z-" + hash8("o") + ".json",
		},
		{
			name:          "empty observation id still hashed",
			userID:        "1",
			observedAt:    time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC),
			observationID: "",
			want:          "users/1/history/20250601T000000.000000000Z-e3b0c442.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := storage.HistoryKey(tc.userID, tc.observedAt, tc.observationID)
			require.Equal(t, tc.want, got)
			require.Regexp(t, historyKeyRe, got)
			require.True(t, strings.HasPrefix(got, storage.HistoryPrefix(tc.userID)))
			require.Equal(t, got, storage.HistoryKey(tc.userID, tc.observedAt, tc.observationID), "deterministic")
		})
	}
}

func TestHistoryKeyUTCWhateverTheLocation(t *testing.T) {
	instant := time.Date(2025, time.February, 12, 2, 43, 10, 987654321, time.UTC)
	locations := []*time.Location{
		time.UTC,
		time.Local,
		time.FixedZone("JST", 9*60*60),
		time.FixedZone("EST", -5*60*60),
		time.FixedZone("IST", 5*60*60+30*60),
		time.FixedZone("LINT", 14*60*60),
		time.FixedZone("BIT", -12*60*60),
	}
	want := storage.HistoryKey("44196397", instant, "obs")
	require.Contains(t, want, "/20250212T024310.987654321Z-")
	for _, loc := range locations {
		t.Run(loc.String(), func(t *testing.T) {
			require.Equal(t, want, storage.HistoryKey("44196397", instant.In(loc), "obs"))
		})
	}
}

func TestHistoryKeyObservationID(t *testing.T) {
	at := time.Date(2025, time.February, 12, 2, 43, 10, 0, time.UTC)
	tests := []struct {
		name     string
		a, b     string
		wantSame bool
	}{
		{"same id", "wf-1/run-1", "wf-1/run-1", true},
		{"different ids", "wf-1/run-1", "wf-1/run-2", false},
		{"ids differing only in case", "obs", "OBS", false},
		{"empty and non-empty", "", "x", false},
		{"ids with a shared prefix", "abc", "abcd", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka := storage.HistoryKey("44196397", at, tc.a)
			kb := storage.HistoryKey("44196397", at, tc.b)
			if tc.wantSame {
				require.Equal(t, ka, kb)
			} else {
				require.NotEqual(t, ka, kb)
			}
		})
	}
	t.Run("observation id never appears raw in the key", func(t *testing.T) {
		k := storage.HistoryKey("1", at, "../../etc/passwd")
		require.Regexp(t, historyKeyRe, k)
		require.NotContains(t, k, "..")
	})
}

func TestHistoryKeySortsInTimeOrder(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	newYork := time.FixedZone("EST", -5*60*60)
	// 20 strictly increasing instants; some are given in other zones, so only their UTC form is ordered.
	times := []time.Time{
		time.Date(999, time.December, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1999, time.December, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2009, time.September, 9, 9, 9, 9, 9, time.UTC),
		time.Date(2010, time.January, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, time.February, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2024, time.December, 31, 20, 0, 0, 0, newYork), // 2025-01-01T01:00Z
		time.Date(2025, time.January, 1, 1, 0, 0, 1, time.UTC),
		time.Date(2025, time.January, 1, 1, 0, 0, 9, time.UTC),
		time.Date(2025, time.January, 1, 1, 0, 0, 10, time.UTC),
		time.Date(2025, time.January, 1, 1, 0, 0, 100000000, time.UTC),
		time.Date(2025, time.January, 1, 1, 0, 0, 999999999, time.UTC),
		time.Date(2025, time.January, 1, 1, 0, 1, 0, time.UTC),
		time.Date(2025, time.January, 1, 10, 0, 0, 0, time.UTC), // hour 10 after hour 9 across digit widths
		time.Date(2025, time.January, 2, 8, 0, 0, 0, tokyo),     // 2025-01-01T23:00Z
		time.Date(2025, time.January, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2025, time.October, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, time.December, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC),
	}
	require.Len(t, times, 20)
	for i := 1; i < len(times); i++ {
		require.True(t, times[i-1].Before(times[i]), "times[%d] before times[%d]", i-1, i)
	}

	tests := []struct {
		name  string
		obsID func(i int) string
	}{
		{"distinct observation ids", func(i int) string { return "obs-" + strings.Repeat("x", i) }},
		{"same observation id", func(int) string { return "obs" }},
		// Hashes that decrease with time must not affect the order: the time comes first.
		{"observation ids in reverse", func(i int) string { return string(rune('z' - i)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inTimeOrder := make([]string, len(times))
			for i, at := range times {
				inTimeOrder[i] = storage.HistoryKey("44196397", at, tc.obsID(i))
				require.Regexp(t, historyKeyRe, inTimeOrder[i])
			}
			sorted := slices.Clone(inTimeOrder)
			slices.Reverse(sorted)
			slices.Sort(sorted)
			require.Equal(t, inTimeOrder, sorted)
		})
	}
}
