//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/socialhook/pipeline/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

func xFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/x/" + name)
	require.NoError(t, err)
	return b
}

func xSecret(t *testing.T, name string) xwebhook.Secret {
	t.Helper()
	secrets, err := xwebhook.ParseSecrets(testenv.XSecrets)
	require.NoError(t, err)
	for _, s := range secrets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no secret %s", name)
	return xwebhook.Secret{}
}

// xPost sends body to /webhooks/x with the given signature header ("" for none).
func xPost(t *testing.T, body []byte, signature string) (int, ingress.Answer) {
	t.Helper()
	code, raw, err := xwebhook.Post(context.Background(), testenv.HTTPClient, stack.Ingress.URL+"/webhooks/x", body, signature)
	require.NoError(t, err)
	var r ingress.Answer
	require.NoError(t, json.Unmarshal(raw, &r), "reply %s", raw)
	return code, r
}

// xSigned posts body signed by the named app.
func xSigned(t *testing.T, app string, body []byte) (int, ingress.Answer) {
	t.Helper()
	return xPost(t, body, xwebhook.Sign(xSecret(t, app), body))
}

func TestXCRC(t *testing.T) {
	tests := []struct {
		name string
		path string
		code int
		want string
	}{
		// Expected tokens computed outside Go: base64(HMAC-SHA256(secret, "challenge-123")) with python3.
		{"first app by default", "/webhooks/x?crc_token=challenge-123", http.StatusOK, "sha256=9p4RUdPcxUBeD+4qT2mibozyRt2o0UEljeqeBPvlu1Y="},
		{"named app", "/webhooks/x/other?crc_token=challenge-123", http.StatusOK, "sha256=0zRdrrZzd8O4nMwdarS+X/x4McAPSRFfcZ6GUwgz/1A="},
		{"missing token", "/webhooks/x", http.StatusBadRequest, ""},
		{"unknown app", "/webhooks/x/nope?crc_token=a", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp, err := testenv.HTTPClient.Get(stack.Ingress.URL + tt.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Less(t, time.Since(start), 3*time.Second, "X wants the CRC answered within 3 s")
			require.Equal(t, tt.code, resp.StatusCode)
			var body map[string]string
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			if tt.want != "" {
				require.Equal(t, tt.want, body["response_token"])
			}
		})
	}
}

// Unsigned, forged, or signed by an unknown secret: 401, no workflow, no object.
func TestXForgedRefused(t *testing.T) {
	body := xFixture(t, "aaa_tweet_delete.json")
	wfID := contract.XWorkflowID("tweet-delete", "601430178305220608", "1432228155593")
	forger, err := xwebhook.ParseSecrets([]string{"not-our-secret"})
	require.NoError(t, err)
	tests := []struct {
		name string
		sig  string
	}{
		{"unsigned", ""},
		{"garbage", "sha256=AAAA"},
		{"signed by another secret", xwebhook.Sign(forger[0], body)},
		{"signature of another body", xwebhook.Sign(xSecret(t, "main"), []byte(`{}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reply := xPost(t, body, tt.sig)
			require.Equal(t, http.StatusUnauthorized, code)
			require.Equal(t, "unauthorized", reply.Error)
		})
	}
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, status(t, wfID), "nothing started")
	keys, err := stack.Store.List(context.Background(), "raw/x/")
	require.NoError(t, err)
	for _, k := range keys {
		require.NotContains(t, k, wfID, "nothing stored")
	}
}

// One signed delivery with a tweet, a favorite, a follow and a DM: four workflows with documented IDs. The same
// delivery re-sent, and the DM re-sent for the other participant (by the other app), start nothing new; the DM
// run records both recipients.
func TestXMultiEventDelivery(t *testing.T) {
	want := []string{
		"x-dm-1889600000000000001",
		"x-favorite-0f3c9e2d7b814a6c9e5d2b7a41c8f613",
		"x-follow-1739328330777-3001-4001",
		"x-tweet-1889505498761703504",
	}
	body := xFixture(t, "aaa_multi.json")
	code, reply := xSigned(t, "main", body)
	require.Equal(t, http.StatusOK, code, reply.Error)
	require.Equal(t, "accepted", reply.Status)
	var got []string
	for _, w := range reply.Workflows {
		require.Equal(t, "accepted", w.Status)
		got = append(got, w.WorkflowID)
	}
	require.ElementsMatch(t, want, got)

	code, reply = xSigned(t, "main", body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
	code, reply = xSigned(t, "other", xFixture(t, "aaa_multi_dm_other_participant.json"))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
	require.Equal(t, "x-dm-1889600000000000001", reply.WorkflowID)

	for _, id := range want {
		var res contract.XEventResult
		require.NoError(t, result(t, id, &res), id)
		// Visibility is eventually consistent: wait for the run to be indexed before counting.
		require.EventuallyWithT(t, func(c *assert.CollectT) { assertIndexed(c, id) }, 10*time.Second, 100*time.Millisecond)
		require.EqualValues(t, 1, countRuns(t, id), "one run of %s", id)
		if id == "x-dm-1889600000000000001" {
			require.Equal(t, []string{"3001", "4001"}, res.Recipients, "both participants recorded")
			var d contract.XDeliveries
			getJSON(t, storage.XDeliveriesKey(id), &d)
			require.Equal(t, []string{"3001", "4001"}, d.ForUserIDs)
		}
	}
	var tweet map[string]any
	getJSON(t, storage.TweetKey("1889505498761703504"), &tweet)
	require.Contains(t, tweet["text"], "@alice_dev")
}

// Every AAA event type from the documented shapes is accepted and processed; the same tweet delivered for a
// second subscribed user is processed once with both recipients recorded.
func TestXEveryAAAEventType(t *testing.T) {
	files := []string{
		"aaa_tweet_create.json", "aaa_tweet_create_extended.json", "aaa_favorite.json", "aaa_follow.json",
		"aaa_unfollow.json", "aaa_block.json", "aaa_unblock.json", "aaa_mute.json", "aaa_unmute.json",
		"aaa_direct_message.json", "aaa_tweet_delete.json", "aaa_user_event_revoke.json",
		"aaa_replay_job_status.json", "aaa_typing.json", "aaa_read.json",
	}
	// The same tweet for the other subscribed user and the DM for the other participant are duplicates, sent
	// right after the original: a recipient is recorded when its delivery reaches the run within the delivery
	// window (2 s in the harness), so on a loaded machine the other fixtures must not come in between.
	seconds := map[string]string{
		"aaa_tweet_create.json":   "aaa_tweet_create_for_other_user.json",
		"aaa_direct_message.json": "aaa_direct_message_other_participant.json",
	}
	ids := map[string]string{}
	for _, f := range files {
		code, reply := xSigned(t, "main", xFixture(t, f))
		require.Equal(t, http.StatusOK, code, "%s: %s", f, reply.Error)
		require.Equal(t, "accepted", reply.Status, f)
		require.Len(t, reply.Workflows, 1, f)
		ids[f] = reply.WorkflowID
		if second, ok := seconds[f]; ok {
			code, reply := xSigned(t, "main", xFixture(t, second))
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, "duplicate", reply.Status, second)
		}
	}
	require.True(t, strings.HasPrefix(ids["aaa_typing.json"], "x-ephemeral-"), "typing indicators are archived, not a workflow each")
	require.True(t, strings.HasPrefix(ids["aaa_read.json"], "x-ephemeral-"))
	require.Equal(t, "x-tweet-delete-601430178305220608-1432228155593", ids["aaa_tweet_delete.json"])
	require.Equal(t, "x-dm-1234858592", ids["aaa_direct_message.json"])

	for f, id := range ids {
		require.NoError(t, result(t, id, nil), "%s (%s)", f, id)
	}
	var res contract.XEventResult
	require.NoError(t, result(t, ids["aaa_tweet_create.json"], &res))
	require.Equal(t, []string{"3001", "3002"}, res.Recipients)
	require.NotEmpty(t, res.ObservedUsers)
	var tomb map[string]any
	getJSON(t, storage.TweetKey("601430178305220608.deleted"), &tomb)
}

// An XAA profile.update.bio feeds the same per-user history as SocialData's profile_update.
func TestXAAProfileUpdateBio(t *testing.T) {
	body := xFixture(t, "xaa_profile_update_bio.json")
	code, reply := xSigned(t, "main", body)
	require.Equal(t, http.StatusOK, code, reply.Error)
	require.Equal(t, "x-event-4f8a2c1e-0000-4000-8000-000000000001", reply.WorkflowID)
	require.NoError(t, result(t, reply.WorkflowID, nil))

	wantNew := json.RawMessage(`"Backend engineer. Go, Temporal and webhooks that never double-fire."`)
	// The user's profile entity applies the observation after the event run completes: wait for the change.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		entries, err := fetchHistory("3001")
		if !assert.NoError(c, err) {
			return
		}
		for _, e := range entries {
			if e.Source.WorkflowID == reply.WorkflowID {
				if assert.Contains(c, e.Reported, "description") {
					assert.Equal(c, string(wantNew), string(e.Reported["description"].New))
				}
				return
			}
		}
		assert.Fail(c, "no history entry from the event run", reply.WorkflowID)
	}, 20*time.Second, 100*time.Millisecond, "the bio change is in the history of user 3001")
	user := snapshotOf(t, "3001", contract.ObservationID(reply.WorkflowID, "3001"))
	require.Equal(t, "Backend engineer. Go, Temporal and webhooks that never double-fire.", user["description"])

	code, reply = xSigned(t, "main", body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", reply.Status)
}

// XAA events of other types are processed (archived, users observed); unknown ones are archived, never dropped.
func TestXAAOtherTypes(t *testing.T) {
	for _, f := range []string{"xaa_post_create.json", "xaa_like_create.json", "xaa_follow_follow.json",
		"xaa_dm_received.json", "xaa_profile_update_screenname.json", "xaa_profile_update_handle.json", "xaa_unknown_type.json"} {
		t.Run(f, func(t *testing.T) {
			body := xFixture(t, f)
			code, reply := xSigned(t, "main", body)
			require.Equal(t, http.StatusOK, code, reply.Error)
			require.True(t, strings.HasPrefix(reply.WorkflowID, "x-event-"), reply.WorkflowID)
			var res contract.XEventResult
			require.NoError(t, result(t, reply.WorkflowID, &res))
			requireBytes(t, body, res.RawKey)
			switch f {
			case "xaa_post_create.json", "xaa_follow_follow.json", "xaa_dm_received.json":
				require.NotEmpty(t, res.ObservedUsers, "users in the payload or includes are observed")
			}
		})
	}
}
