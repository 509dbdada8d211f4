//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/activities"
	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

// apiGet calls the read API and decodes the JSON answer into v; it returns the status.
func apiGet(t *testing.T, path string, v any) int {
	t.Helper()
	code, err := callAPI(path, v)
	require.NoError(t, err)
	return code
}

// callAPI is apiGet for polls, whose condition must not stop the test: it returns what went wrong.
func callAPI(path string, v any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, stack.Ingress.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+testenv.APIToken)
	resp, err := testenv.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read %s: %w", path, err)
	}
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w (body %s)", path, err, body)
		}
	}
	return resp.StatusCode, nil
}

type historyAnswer struct {
	UserID  string                  `json:"user_id"`
	Entries []contract.HistoryEntry `json:"entries"`
}

// history reads a user's history through the read API.
func history(t *testing.T, userID string) []contract.HistoryEntry {
	t.Helper()
	entries, err := fetchHistory(userID)
	require.NoError(t, err)
	return entries
}

// fetchHistory is history for polls: it returns what went wrong. An answer other than 200 (no such user yet)
// counts as no entries.
func fetchHistory(userID string) ([]contract.HistoryEntry, error) {
	var h historyAnswer
	code, err := callAPI("/v1/users/"+userID+"/history", &h)
	if err != nil || code != http.StatusOK {
		return nil, err
	}
	return h.Entries, nil
}

// snapshotOf waits until the stored snapshot of userID is observation observationID and returns its user. The
// entity writes a change's history entry before the snapshot (two objects), so a reader that has seen the entry
// polls for the snapshot.
func snapshotOf(t *testing.T, userID, observationID string) map[string]any {
	t.Helper()
	var snap contract.ProfileSnapshot
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, err := callAPI("/v1/users/"+userID+"/profile", &snap)
		assert.NoError(c, err)
		assert.Equal(c, http.StatusOK, code)
		assert.Equal(c, observationID, snap.ObservationID)
	}, 20*time.Second, 100*time.Millisecond, "the snapshot of %s is observation %s", userID, observationID)
	var user map[string]any
	require.NoError(t, json.Unmarshal(snap.User, &user))
	return user
}

// profileStatus asks the user's profile entity for its status.
func profileStatus(t *testing.T, userID string) contract.ProfileStatus {
	t.Helper()
	st, err := queryProfileStatus(userID)
	require.NoError(t, err)
	return st
}

// queryProfileStatus is profileStatus for polls: it returns what went wrong. An entity that does not answer
// (not started yet) counts as a zero status.
func queryProfileStatus(userID string) (contract.ProfileStatus, error) {
	var st contract.ProfileStatus
	v, err := stack.Client.QueryWorkflow(context.Background(), contract.ProfileEntityWorkflowID(userID), "", contract.ProfileStatusQuery)
	if err != nil {
		return st, nil
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode the status of %s: %w", userID, err)
	}
	return st, nil
}

func change(old, new string) contract.Change {
	return contract.Change{Old: json.RawMessage(old), New: json.RawMessage(new)}
}

// The three documented monitor samples, posted as SocialData sends them (their ids are fixed, so this test
// runs once per stack: use -count=1, as make test does): workflows with the documented IDs,
// tweet and user objects, and the name change in the user's history through the read API. Re-posting starts
// nothing.
func TestMonitorSamples(t *testing.T) {
	profileBody := sample(t, "socialdata_profile_update.json")
	hook, err := socialdata.ParseWebhook(profileBody)
	require.NoError(t, err)
	ev, err := socialdata.ParseMonitorEvent(hook)
	require.NoError(t, err)
	samples := []struct {
		file   string
		wantID string
	}{
		// The tweet first: its author (name "Elon Musk") is the observation the profile update is compared with.
		{"socialdata_new_tweet.json", "socialdata-tweet-01jkt060zcz108b78fke6hm1g4-1889505498761703504"},
		{"socialdata_new_following.json", "socialdata-following-01jkf3zgfwt8gnpgevxf9w6h58-295218901"},
		{"socialdata_profile_update.json", "socialdata-profile-44196397-" + contract.ProfileHash(ev.Data)},
	}
	for _, s := range samples {
		code, reply := post(t, stack.WebhookURL, sample(t, s.file))
		require.Equal(t, http.StatusOK, code, s.file)
		require.Equal(t, "accepted", reply.Status, s.file)
		require.Equal(t, s.wantID, reply.WorkflowID, s.file)
		var res contract.MonitorEventResult
		require.NoError(t, result(t, reply.WorkflowID, &res), s.file)
		requireBytes(t, sample(t, s.file), res.RawKey)
	}

	var tweet map[string]any
	getJSON(t, storage.TweetKey("1889505498761703504"), &tweet)
	require.Equal(t, "Assange is right!", tweet["full_text"])
	var edge map[string]any
	getJSON(t, storage.FollowKey("1659965172780511232", "295218901"), &edge)
	require.Equal(t, "01jkf3zgfwt8gnpgevxf9w6h58", edge["monitor_id"])

	// The entities apply observations asynchronously after the event runs complete: wait for the change.
	var entries []contract.HistoryEntry
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		entries, err = fetchHistory("44196397")
		assert.NoError(c, err)
		assert.Len(c, entries, 1)
	}, 20*time.Second, 100*time.Millisecond)
	e := entries[0]
	require.Equal(t, map[string]contract.Change{"name": change(`"Elon Musk"`, `"Kekius Maximus"`)}, e.Changes)
	require.Equal(t, map[string]contract.Change{"name": change(`"Elon Musk"`, `"Kekius Maximus"`)}, e.Reported)
	require.False(t, e.Mismatch)
	require.Equal(t, contract.EventProfileUpdate, e.Source.EventType)

	user := snapshotOf(t, "44196397", e.ObservationID)
	require.Equal(t, "Kekius Maximus", user["name"])
	require.NotContains(t, user, "changes", "reported changes are not part of the user")
	// The followed user is observed the same way, by its own entity after the event run: wait until it is stored.
	var snap contract.ProfileSnapshot
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, err := callAPI("/v1/users/295218901/profile", &snap)
		assert.NoError(c, err)
		assert.Equal(c, http.StatusOK, code)
	}, 20*time.Second, 100*time.Millisecond, "the followed user is stored")
	require.NoError(t, json.Unmarshal(snap.User, &user))
	require.Equal(t, "VitalikButerin", user["screen_name"])

	var event map[string]any
	require.Equal(t, http.StatusOK, apiGet(t, "/v1/events/"+samples[0].wantID, &event))
	require.Equal(t, "completed", event["status"])
	require.Equal(t, contract.MonitorEventWorkflowName, event["type"])
	require.NotNil(t, event["result"])

	for _, s := range samples {
		code, reply := post(t, stack.WebhookURL, sample(t, s.file))
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "duplicate", reply.Status, s.file)
	}
	query := `EventType = "profile_update" AND UserId = "44196397" AND MonitorId = "01hx1r99s0nsqq1ffdhmyyqbfr"`
	// Visibility is eventually consistent: wait for the run to be indexed.
	require.EventuallyWithT(t, func(c *assert.CollectT) { assertCount(c, query, 1) }, 10*time.Second, 100*time.Millisecond)
}

// 50 observations of one user arrive concurrently in shuffled order. The history holds each change exactly
// once in observed-at order, and the snapshot is the newest observation. Re-sent observations change nothing.
func TestProfileConcurrentShuffledObservations(t *testing.T) {
	userID := strconv.FormatInt(newJobID()*1000+7, 10)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 50
	obs := make([]contract.Observation, n)
	for i := range n {
		user := map[string]any{
			"id_str": userID, "name": fmt.Sprintf("name-%d", i/2), "description": "before",
			"followers_count": 1000 + i, "verified": false,
		}
		if i >= 17 {
			user["description"] = "after"
		}
		body, err := json.Marshal(user)
		require.NoError(t, err)
		obs[i] = contract.ObservationFor(fmt.Sprintf("test-obs-%d", i), "test", userID, body, base.Add(time.Duration(i)*time.Second), nil)
	}
	shuffled := append([]contract.Observation(nil), obs...)
	rand.Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	send := func(list []contract.Observation) {
		var wg sync.WaitGroup
		for _, o := range list {
			wg.Go(func() { // assert, not require: this is not the test's goroutine
				assert.NoError(t, activities.ObserveProfile(context.Background(), stack.Client, stack.Config.TaskQueue,
					stack.Config.ProfileTrackedFields, o))
			})
		}
		wg.Wait()
	}
	send(shuffled)
	// The entity applies signals one at a time after they are accepted: wait until all 50 are applied.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := queryProfileStatus(userID)
		assert.NoError(c, err)
		assert.Equal(c, n, st.Applied, "observations applied")
	}, 30*time.Second, 100*time.Millisecond)

	var want []contract.HistoryEntry
	for i := 1; i < n; i++ {
		changes := map[string]contract.Change{}
		if i%2 == 0 {
			changes["name"] = change(fmt.Sprintf(`"name-%d"`, i/2-1), fmt.Sprintf(`"name-%d"`, i/2))
		}
		if i == 17 {
			changes["description"] = change(`"before"`, `"after"`)
		}
		if len(changes) > 0 {
			want = append(want, contract.HistoryEntry{
				UserID: userID, ObservedAt: obs[i].ObservedAt, Source: obs[i].Source,
				ObservationID: obs[i].ID, Changes: changes,
			})
		}
	}
	require.Len(t, want, 25)
	// Applied counts an observation once its writes are stored, so the history should be complete already; the
	// short poll covers any lag between those writes and the read API's listing of them.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		entries, err := fetchHistory(userID)
		assert.NoError(c, err)
		assert.Len(c, entries, len(want))
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, want, history(t, userID), "each change once, in observed-at order")

	var snap contract.ProfileSnapshot
	require.Equal(t, http.StatusOK, apiGet(t, "/v1/users/"+userID+"/profile", &snap))
	require.Equal(t, obs[n-1].ID, snap.ObservationID, "the snapshot is the newest observation")
	require.JSONEq(t, string(obs[n-1].User), string(snap.User))

	send(shuffled[:5])
	// The entity takes the re-sent signals after accepting them: wait until all 5 are counted as repeats.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := queryProfileStatus(userID)
		assert.NoError(c, err)
		assert.Equal(c, 5, st.Ignored, "observations ignored")
	}, 10*time.Second, 100*time.Millisecond)
	st := profileStatus(t, userID)
	require.Equal(t, n, st.Applied)
	require.Equal(t, want, history(t, userID))
}

// A missed intermediate update is visible: the computed change (A → C) disagrees with SocialData's reported
// one (B → C), and both are recorded.
func TestMissedProfileUpdateShowsReportedVsComputed(t *testing.T) {
	userID := strconv.FormatInt(newJobID()*1000+3, 10)
	user := func(name string, extra string) string {
		return fmt.Sprintf(`{"id_str":%q,"name":%q,"screen_name":"u%s","description":"d"%s}`, userID, name, userID, extra)
	}
	following := fmt.Sprintf(`{"event":"new_following","data":%s,"meta":{"monitor_id":"01mon%s","monitor_type":"user_following","monitored_id_str":"1"}}`,
		user("Alice", ""), userID)
	update := fmt.Sprintf(`{"event":"profile_update","data":%s,"meta":{"monitor_id":"01mon%s","monitor_type":"user_profile","monitored_id_str":%q}}`,
		user("Carol", `,"changes":{"name":{"old":"Bob","new":"Carol"}}`), userID, userID)
	for _, body := range []string{following, update} {
		code, reply := post(t, stack.WebhookURL, []byte(body))
		require.Equal(t, http.StatusOK, code, reply.Error)
		require.NoError(t, result(t, reply.WorkflowID, nil))
	}
	var entries []contract.HistoryEntry
	// The entity applies the observations after the event runs complete: wait for the change.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		entries, err = fetchHistory(userID)
		assert.NoError(c, err)
		assert.Len(c, entries, 1)
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, map[string]contract.Change{"name": change(`"Alice"`, `"Carol"`)}, entries[0].Changes)
	require.Equal(t, map[string]contract.Change{"name": change(`"Bob"`, `"Carol"`)}, entries[0].Reported)
	require.True(t, entries[0].Mismatch)
}

func TestReadAPIRequiresToken(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope-nope-nope-nope", http.StatusUnauthorized},
		{"not bearer", "Basic " + testenv.APIToken, http.StatusUnauthorized},
		{"right token", "Bearer " + testenv.APIToken, http.StatusNotFound}, // unknown user
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, stack.Ingress.URL+"/v1/users/1/profile", nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := testenv.HTTPClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}
	require.Equal(t, http.StatusBadRequest, apiGet(t, "/v1/users/not-a-number/history", nil))
	require.Equal(t, http.StatusNotFound, apiGet(t, "/v1/events/no-such-workflow", nil))
}
