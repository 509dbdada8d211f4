package xwebhook_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/jsonobject"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/x/" + name)
	require.NoError(t, err)
	return b
}

// id renders an event's identity the way its workflow ID ends.
func id(ev xwebhook.Event) string { return ev.Kind + "-" + strings.Join(ev.Identity, "-") }

func TestParseAAA(t *testing.T) {
	tests := []struct {
		file          string
		wantEvents    []string // kind-identity
		wantForUser   string
		wantEphemeral int
	}{
		{"aaa_tweet_create.json", nil, "3001", 0},
		{"aaa_tweet_create_extended.json", nil, "3001", 0},
		{"aaa_favorite.json", []string{"favorite-a7ba59eab0bfcba386f7acedac279542"}, "3001", 0},
		{"aaa_follow.json", []string{"follow-1517588749178-4001-3001"}, "3001", 0},
		{"aaa_unfollow.json", nil, "3001", 0},
		{"aaa_block.json", []string{"block-1739258411304-3001-4001"}, "3001", 0},
		{"aaa_unblock.json", nil, "3001", 0},
		{"aaa_mute.json", []string{"mute-1739265243027-3001-4001"}, "3001", 0},
		{"aaa_unmute.json", nil, "3001", 0},
		{"aaa_direct_message.json", []string{"dm-1234858592"}, "3001", 0},
		{"aaa_direct_message_other_participant.json", []string{"dm-1234858592"}, "4001", 0},
		{"aaa_tweet_delete.json", []string{"tweet-delete-601430178305220608-1432228155593"}, "3001", 0},
		{"aaa_user_event_revoke.json", nil, "", 0},
		{"aaa_replay_job_status.json", []string{"replay-1915510368169844736-Complete"}, "", 0},
		{"aaa_typing.json", []string{}, "3001", 1},
		{"aaa_read.json", []string{}, "3001", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := xwebhook.Parse(fixture(t, tt.file))
			require.NoError(t, err)
			require.Equal(t, xwebhook.APIAccountActivity, d.API)
			require.Empty(t, d.Unknown)
			require.Len(t, d.Ephemeral, tt.wantEphemeral)
			if tt.wantEphemeral > 0 {
				require.Empty(t, d.Events)
				return
			}
			require.Len(t, d.Events, 1, "one event per fixture")
			ev := d.Events[0]
			require.Equal(t, tt.wantForUser, ev.ForUserID)
			require.NotEmpty(t, ev.Identity)
			require.NotContains(t, id(ev), "-h", "identity comes from the event's own fields, not a hash")
			if tt.wantEvents != nil {
				require.Equal(t, tt.wantEvents, []string{id(ev)})
			}
			var env map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(ev.Body, &env))
			require.Contains(t, env, "event")
		})
	}
}

func TestParseAAAIdentitiesIgnoreForUser(t *testing.T) {
	pairs := [][2]string{
		{"aaa_tweet_create.json", "aaa_tweet_create_for_other_user.json"},
		{"aaa_direct_message.json", "aaa_direct_message_other_participant.json"},
		{"aaa_multi_dm_other_participant.json", "aaa_multi.json"},
	}
	for _, p := range pairs {
		t.Run(p[0], func(t *testing.T) {
			a, err := xwebhook.Parse(fixture(t, p[0]))
			require.NoError(t, err)
			b, err := xwebhook.Parse(fixture(t, p[1]))
			require.NoError(t, err)
			require.NotEqual(t, a.Events[0].ForUserID, b.Events[0].ForUserID)
			ids := map[string]bool{}
			for _, ev := range b.Events {
				ids[id(ev)] = true
			}
			require.True(t, ids[id(a.Events[0])], "the same event for another user has the same identity")
		})
	}
}

func TestParseMultiEventDelivery(t *testing.T) {
	d, err := xwebhook.Parse(fixture(t, "aaa_multi.json"))
	require.NoError(t, err)
	var kinds []string
	for _, ev := range d.Events {
		kinds = append(kinds, ev.Kind)
		require.Equal(t, "3001", ev.ForUserID)
	}
	require.ElementsMatch(t, []string{"tweet", "favorite", "follow", "dm"}, kinds)
}

func TestParseXAA(t *testing.T) {
	tests := []struct {
		file     string
		wantType string
	}{
		{"xaa_profile_update_bio.json", "profile.update.bio"},
		{"xaa_profile_update_screenname.json", "profile.update.screenname"},
		{"xaa_profile_update_handle.json", "profile.update.handle"},
		{"xaa_post_create.json", "post.create"},
		{"xaa_like_create.json", ""},
		{"xaa_follow_follow.json", ""},
		{"xaa_dm_received.json", ""},
		{"xaa_unknown_type.json", "spaces.start"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := fixture(t, tt.file)
			d, err := xwebhook.Parse(body)
			require.NoError(t, err)
			require.Equal(t, xwebhook.APIActivity, d.API)
			require.Len(t, d.Events, 1)
			ev := d.Events[0]
			require.Equal(t, xwebhook.KindEvent, ev.Kind)
			require.Regexp(t, `^[0-9a-f-]{36}$`, ev.Identity[0], "the event_uuid")
			if tt.wantType != "" {
				require.Equal(t, tt.wantType, ev.EventType)
			}
			require.Equal(t, body, ev.Body, "an XAA delivery is one event: kept whole")
		})
	}
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantErr     bool
		wantUnknown []string
		wantEvents  []string
	}{
		{"not JSON", `nope`, true, nil, nil},
		{"array", `[1]`, true, nil, nil},
		{"unknown key", `{"for_user_id":"1","brand_new_events":[{"id":"1"}]}`, false, []string{"brand_new_events"}, nil},
		{"tweet without id gets a content hash", `{"for_user_id":"1","tweet_create_events":[{"text":"x"}]}`, false, nil, []string{"tweet-h"}},
		{"id with unsafe characters is sanitised", `{"for_user_id":"1","favorite_events":[{"id":"a/b c"}]}`, false, nil, []string{"favorite-a_b_c"}},
		{"xaa without uuid is treated as AAA-unknown", `{"data":{"event_type":"x"}}`, false, []string{"data"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := xwebhook.Parse([]byte(tt.body))
			if tt.wantErr {
				require.ErrorIs(t, err, jsonobject.ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantUnknown, d.Unknown)
			require.Len(t, d.Events, len(tt.wantEvents))
			for i, want := range tt.wantEvents {
				require.True(t, strings.HasPrefix(id(d.Events[i]), want), "%s has prefix %s", id(d.Events[i]), want)
			}
		})
	}
}
