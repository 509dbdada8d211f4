package fakesocialdata_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/socialdata"
)

const twitterKey = "key"

// newTwitterFake serves a fake requiring twitterKey and returns it with a real client pointed at it.
func newTwitterFake(t *testing.T) (*fakesocialdata.Server, *httptest.Server, *socialdata.Client) {
	t.Helper()
	fake := fakesocialdata.New(twitterKey)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL)
	return fake, srv, socialdata.NewClient(srv.URL, twitterKey, nil)
}

// hookRecorder is a webhook receiver that records every POST body.
type hookRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	types  []string
}

func newHookRecorder(t *testing.T) *hookRecorder {
	t.Helper()
	h := &hookRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.types = append(h.types, r.Header.Get("Content-Type"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookRecorder) posted() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

func (h *hookRecorder) contentTypes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.types...)
}

func requireAPIError(t *testing.T, err error, status int, retryable bool) {
	t.Helper()
	require.Error(t, err)
	var apiErr *socialdata.APIError
	require.True(t, errors.As(err, &apiErr), "error %v is not an *APIError", err)
	require.Equal(t, status, apiErr.StatusCode)
	require.Equal(t, retryable, apiErr.Retryable())
}

func twUser(id, name string) map[string]any {
	return map[string]any{"id": json.Number(id), "id_str": id, "name": name, "screen_name": "u" + id}
}

func TestTwitterListMonitorsPages(t *testing.T) {
	tests := []struct {
		name      string
		monitors  int
		page      int
		wantFirst int // index of the first monitor on the page
		wantLen   int
		wantLast  int
	}{
		{name: "120 monitors page 1", monitors: 120, page: 1, wantFirst: 0, wantLen: 50, wantLast: 3},
		{name: "120 monitors page 2", monitors: 120, page: 2, wantFirst: 50, wantLen: 50, wantLast: 3},
		{name: "120 monitors page 3", monitors: 120, page: 3, wantFirst: 100, wantLen: 20, wantLast: 3},
		{name: "120 monitors page 4 is empty", monitors: 120, page: 4, wantLen: 0, wantLast: 3},
		{name: "50 monitors fit one page", monitors: 50, page: 1, wantFirst: 0, wantLen: 50, wantLast: 1},
		{name: "51 monitors page 2", monitors: 51, page: 2, wantFirst: 50, wantLen: 1, wantLast: 2},
		{name: "no monitors", monitors: 0, page: 1, wantLen: 0, wantLast: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			for i := range tc.monitors {
				fake.AddMonitor(fakesocialdata.Monitor{
					ID: fmt.Sprintf("m%03d", i), Type: "user_tweets", UserID: strconv.Itoa(1000 + i)})
			}
			got, err := client.ListMonitors(context.Background(), tc.page)
			require.NoError(t, err)
			require.Equal(t, tc.page, got.Page)
			require.Equal(t, tc.wantLast, got.LastPage)
			require.Len(t, got.Monitors, tc.wantLen)
			for j, m := range got.Monitors {
				i := tc.wantFirst + j
				require.Equal(t, fmt.Sprintf("m%03d", i), m.ID)
				require.Equal(t, "user_tweets", m.MonitorType)
				require.Equal(t, strconv.Itoa(1000+i), m.UserID())
			}
		})
	}
}

func TestTwitterListMonitorsAllPages(t *testing.T) {
	fake, _, client := newTwitterFake(t)
	types := []string{"user_tweets", "user_following", "user_profile", "search"}
	for i := range 120 {
		m := fakesocialdata.Monitor{ID: fmt.Sprintf("m%03d", i), Type: types[i%len(types)]}
		if m.Type != "search" {
			m.UserID = "1659965172780511232"
		}
		fake.AddMonitor(m)
	}
	var ids []string
	for page := 1; ; page++ {
		got, err := client.ListMonitors(context.Background(), page)
		require.NoError(t, err)
		for _, m := range got.Monitors {
			ids = append(ids, m.ID)
			if m.MonitorType == "search" {
				require.Empty(t, m.UserID(), "search monitor %s has no user", m.ID)
			} else {
				require.Equal(t, "1659965172780511232", m.UserID())
			}
		}
		if page >= got.LastPage {
			break
		}
	}
	require.Len(t, ids, 120)
	for i, id := range ids {
		require.Equal(t, fmt.Sprintf("m%03d", i), id)
	}
}

func TestTwitterTimelinePaging(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		tweets        int
		wantPageSizes []int
	}{
		{name: "no tweets", tweets: 0, wantPageSizes: []int{0}},
		{name: "one tweet", tweets: 1, wantPageSizes: []int{1}},
		{name: "exactly one page", tweets: 20, wantPageSizes: []int{20}},
		{name: "one more than a page", tweets: 21, wantPageSizes: []int{20, 1}},
		{name: "exactly two pages", tweets: 40, wantPageSizes: []int{20, 20}},
		{name: "45 tweets", tweets: 45, wantPageSizes: []int{20, 20, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			fake.PutUser(twUser("44196397", "Elon"))
			// Add out of order: a fixed permutation of 0..n-1 (7 is coprime with every n used).
			for k := range tc.tweets {
				i := (k * 7) % tc.tweets
				if tc.tweets%7 == 0 {
					i = tc.tweets - 1 - k
				}
				id := strconv.Itoa(1_000_000 + i)
				fake.AddTweet("44196397", map[string]any{
					"id_str": id, "full_text": "tweet " + id,
					"tweet_created_at": base.Add(time.Duration(i) * time.Minute).Format(fakesocialdata.TimeLayout),
				})
			}

			var ids []string
			var sizes []int
			cursor := ""
			for range len(tc.wantPageSizes) + 1 {
				page, err := client.UserTweetsAndReplies(context.Background(), "44196397", cursor)
				require.NoError(t, err)
				sizes = append(sizes, len(page.Tweets))
				for _, tw := range page.Tweets {
					ids = append(ids, tw.ID())
				}
				if cursor = page.NextCursor; cursor == "" {
					break
				}
			}
			require.Equal(t, tc.wantPageSizes, sizes, "next_cursor stops after the last page")

			require.Len(t, ids, tc.tweets)
			for k, id := range ids {
				require.Equal(t, strconv.Itoa(1_000_000+tc.tweets-1-k), id, "newest first")
			}
		})
	}
}

func TestTwitterTimelineCursorEdges(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		cursor     string
		wantLen    int
		wantFirst  string
		wantCursor string
	}{
		{name: "past the end", cursor: "100", wantLen: 0, wantCursor: ""},
		{name: "last page", cursor: "20", wantLen: 5, wantFirst: "1000004", wantCursor: ""},
		{name: "mid page offset", cursor: "3", wantLen: 20, wantFirst: "1000021", wantCursor: "23"},
		{name: "non-numeric cursor starts over", cursor: "abc", wantLen: 20, wantFirst: "1000024",
			wantCursor: "20"},
		{name: "negative cursor starts over", cursor: "-5", wantLen: 20, wantFirst: "1000024", wantCursor: "20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			fake.PutUser(twUser("7", "seven"))
			for i := range 25 {
				fake.AddTweet("7", map[string]any{"id_str": strconv.Itoa(1_000_000 + i),
					"tweet_created_at": base.Add(time.Duration(i) * time.Second).Format(fakesocialdata.TimeLayout)})
			}
			page, err := client.UserTweetsAndReplies(context.Background(), "7", tc.cursor)
			require.NoError(t, err)
			require.Len(t, page.Tweets, tc.wantLen)
			if tc.wantFirst != "" {
				require.Equal(t, tc.wantFirst, page.Tweets[0].ID())
			}
			require.Equal(t, tc.wantCursor, page.NextCursor)
		})
	}
}

func TestTwitterUnknownUser(t *testing.T) {
	tests := []struct {
		name string
		call func(c *socialdata.Client) error
	}{
		{name: "tweets-and-replies", call: func(c *socialdata.Client) error {
			_, err := c.UserTweetsAndReplies(context.Background(), "999", "")
			return err
		}},
		{name: "following", call: func(c *socialdata.Client) error {
			_, err := c.Following(context.Background(), "999", "")
			return err
		}},
		{name: "profile", call: func(c *socialdata.Client) error {
			_, err := c.User(context.Background(), "999")
			return err
		}},
		{name: "unknown sub-resource of a known user", call: func(c *socialdata.Client) error {
			_, err := c.User(context.Background(), "1/likes")
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			fake.PutUser(twUser("1", "known"))
			requireAPIError(t, tc.call(client), http.StatusNotFound, false)
		})
	}
}

// emitCall is one Emit* call on monitor monitorID.
type emitCall struct {
	kind      string // tweet | following | profile
	monitorID string
	id        string // tweet id or followed user id
}

func (e emitCall) do(ctx context.Context, fake *fakesocialdata.Server) (bool, error) {
	switch e.kind {
	case "tweet":
		return fake.EmitTweet(ctx, e.monitorID, map[string]any{"id": json.Number(e.id), "id_str": e.id,
			"full_text": "tweet " + e.id})
	case "following":
		return fake.EmitFollowing(ctx, e.monitorID, twUser(e.id, "followed "+e.id))
	default:
		return fake.EmitProfileUpdate(ctx, e.monitorID, map[string]any{"name": "name " + e.id})
	}
}

// setupEmitMonitors registers one monitor of each kind, each on its own user.
func setupEmitMonitors(fake *fakesocialdata.Server) {
	fake.PutUser(twUser("1659965172780511232", "tweeter"))
	fake.PutUser(twUser("295218901", "follower"))
	fake.PutUser(twUser("44196397", "profiled"))
	fake.AddMonitor(fakesocialdata.Monitor{ID: "mt", Type: "user_tweets", UserID: "1659965172780511232"})
	fake.AddMonitor(fakesocialdata.Monitor{ID: "mf", Type: "user_following", UserID: "295218901"})
	fake.AddMonitor(fakesocialdata.Monitor{ID: "mp", Type: "user_profile", UserID: "44196397"})
}

var emitMeta = map[string]struct{ monitorType, userID, event string }{
	"mt": {"user_tweets", "1659965172780511232", contract.EventNewTweet},
	"mf": {"user_following", "295218901", contract.EventNewFollowing},
	"mp": {"user_profile", "44196397", contract.EventProfileUpdate},
}

func TestTwitterEmitDelivery(t *testing.T) {
	calls := []emitCall{
		{kind: "tweet", monitorID: "mt", id: "1889505498761703504"},
		{kind: "following", monitorID: "mf", id: "1659965172780511233"},
		{kind: "profile", monitorID: "mp", id: "44196397"},
		{kind: "tweet", monitorID: "mt", id: "1889505498761703505"},
		{kind: "following", monitorID: "mf", id: "12"},
	}
	tests := []struct {
		name          string
		drop          float64
		noWebhook     bool
		wantDelivered bool
	}{
		{name: "drop 0 delivers every event", drop: 0, wantDelivered: true},
		{name: "drop 1 delivers none", drop: 1, wantDelivered: false},
		{name: "no webhook configured delivers none", noWebhook: true, wantDelivered: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, _ := newTwitterFake(t)
			setupEmitMonitors(fake)
			hook := newHookRecorder(t)
			if !tc.noWebhook {
				fake.SetWebhook(hook.URL, tc.drop, 7)
			}
			for _, c := range calls {
				delivered, err := c.do(context.Background(), fake)
				require.NoError(t, err)
				require.Equal(t, tc.wantDelivered, delivered, "%+v", c)
			}

			emitted := fake.Emitted()
			require.Len(t, emitted, len(calls))
			for i, e := range emitted {
				require.Equal(t, emitMeta[calls[i].monitorID].event, e.Event)
				require.Equal(t, calls[i].monitorID, e.MonitorID)
				require.Equal(t, calls[i].id, e.ID)
				require.Equal(t, tc.wantDelivered, e.Delivered)
			}

			bodies := hook.posted()
			if !tc.wantDelivered {
				require.Empty(t, bodies)
				return
			}
			require.Len(t, bodies, len(calls))
			for _, ct := range hook.contentTypes() {
				require.Equal(t, "application/json", ct)
			}
			for i, body := range bodies {
				c := calls[i]
				want := emitMeta[c.monitorID]

				var env map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(body, &env))
				require.ElementsMatch(t, []string{"event", "data", "meta"}, keys(env))
				var meta map[string]string
				require.NoError(t, json.Unmarshal(env["meta"], &meta))
				require.Equal(t, map[string]string{"monitor_id": c.monitorID, "monitor_type": want.monitorType,
					"monitored_id_str": want.userID}, meta)

				w, err := socialdata.ParseWebhook(body)
				require.NoError(t, err)
				require.Equal(t, want.event, w.Event)
				ev, err := socialdata.ParseMonitorEvent(w)
				require.NoError(t, err)
				require.Equal(t, c.monitorID, ev.Meta.MonitorID)
				require.Equal(t, want.monitorType, ev.Meta.MonitorType)
				require.Equal(t, want.userID, ev.Meta.MonitoredIDStr)
				switch c.kind {
				case "tweet":
					require.Equal(t, c.id, ev.TweetID)
					require.Equal(t, want.userID, ev.UserID, "the tweet's author is the monitored user")
					require.Equal(t, c.id, string(ev.Data["id"]), "numeric id stays exact")
					require.NotEmpty(t, ev.Data["tweet_created_at"])
				case "following":
					require.Equal(t, c.id, ev.UserID)
					require.Empty(t, ev.Changes)
				case "profile":
					require.Equal(t, want.userID, ev.UserID)
					require.Contains(t, ev.Changes, "name")
				}
			}
		})
	}
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// emitPattern emits n tweets on a fresh fake with the given drop and seed and returns the delivered flags as
// returned, as recorded by Emitted, and the number of webhooks the receiver got.
func emitPattern(t *testing.T, n int, drop float64, seed uint64) (returned, recorded []bool, posted int) {
	t.Helper()
	fake, _, _ := newTwitterFake(t)
	setupEmitMonitors(fake)
	hook := newHookRecorder(t)
	fake.SetWebhook(hook.URL, drop, seed)
	for i := range n {
		id := strconv.Itoa(5000 + i)
		delivered, err := fake.EmitTweet(context.Background(), "mt", map[string]any{"id_str": id})
		require.NoError(t, err)
		returned = append(returned, delivered)
	}
	emitted := fake.Emitted()
	require.Len(t, emitted, n, "Emitted records every event, delivered or not")
	for i, e := range emitted {
		require.Equal(t, strconv.Itoa(5000+i), e.ID)
		require.Equal(t, "mt", e.MonitorID)
		recorded = append(recorded, e.Delivered)
	}
	return returned, recorded, len(hook.posted())
}

func count(flags []bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

func TestTwitterEmitDropRepeatable(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		drop  float64
		seedA uint64
		seedB uint64
		same  bool
	}{
		{name: "drop 0.3 same seed same pattern", n: 60, drop: 0.3, seedA: 42, seedB: 42, same: true},
		{name: "drop 0.3 another seed", n: 60, drop: 0.3, seedA: 1, seedB: 1, same: true},
		{name: "drop 0.3 different seeds differ", n: 60, drop: 0.3, seedA: 42, seedB: 43, same: false},
		{name: "drop 0.5 same seed same pattern", n: 60, drop: 0.5, seedA: 9, seedB: 9, same: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			retA, recA, postedA := emitPattern(t, tc.n, tc.drop, tc.seedA)
			retB, recB, postedB := emitPattern(t, tc.n, tc.drop, tc.seedB)

			require.Equal(t, retA, recA, "Emitted's Delivered matches what Emit returned")
			require.Equal(t, retB, recB)
			require.Equal(t, count(retA), postedA, "exactly the delivered events were posted")
			require.Equal(t, count(retB), postedB)

			dropped := tc.n - count(retA)
			require.Positive(t, dropped, "some events are dropped")
			require.Positive(t, count(retA), "some events are delivered")
			// Loose bound around the drop fraction: the seed is fixed, so this is deterministic.
			require.InDelta(t, tc.drop, float64(dropped)/float64(tc.n), 0.2)

			if tc.same {
				require.Equal(t, retA, retB, "same seed, same losses")
			} else {
				require.NotEqual(t, retA, retB)
			}
		})
	}
}

func TestTwitterEmitProfileUpdate(t *testing.T) {
	tests := []struct {
		name        string
		user        map[string]any
		fields      map[string]any
		wantChanges map[string]string // field → {"old":…, "new":…} JSON
		wantUser    map[string]string // field → JSON value on GET /twitter/user/{id} afterwards
	}{
		{
			name:   "change an existing field",
			user:   map[string]any{"id_str": "44196397", "name": "Old Name", "description": "bio"},
			fields: map[string]any{"name": "New Name"},
			wantChanges: map[string]string{
				"name": `{"old":"Old Name","new":"New Name"}`,
			},
			wantUser: map[string]string{"name": `"New Name"`, "description": `"bio"`},
		},
		{
			name:   "add a new field and change a number",
			user:   map[string]any{"id_str": "1659965172780511232", "followers_count": 10},
			fields: map[string]any{"location": "Berlin", "followers_count": 11},
			wantChanges: map[string]string{
				"location":        `{"old":null,"new":"Berlin"}`,
				"followers_count": `{"old":10,"new":11}`,
			},
			wantUser: map[string]string{"location": `"Berlin"`, "followers_count": `11`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			uid := tc.user["id_str"].(string)
			fake.PutUser(tc.user)
			fake.AddMonitor(fakesocialdata.Monitor{ID: "mp", Type: "user_profile", UserID: uid})
			hook := newHookRecorder(t)
			fake.SetWebhook(hook.URL, 0, 1)

			delivered, err := fake.EmitProfileUpdate(context.Background(), "mp", tc.fields)
			require.NoError(t, err)
			require.True(t, delivered)

			bodies := hook.posted()
			require.Len(t, bodies, 1)
			var raw struct {
				Data struct {
					Changes map[string]json.RawMessage `json:"changes"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(bodies[0], &raw))
			require.Len(t, raw.Data.Changes, len(tc.wantChanges))
			for field, want := range tc.wantChanges {
				require.JSONEq(t, want, string(raw.Data.Changes[field]), "changes.%s", field)
			}

			w, err := socialdata.ParseWebhook(bodies[0])
			require.NoError(t, err)
			ev, err := socialdata.ParseMonitorEvent(w)
			require.NoError(t, err)
			require.Equal(t, contract.EventProfileUpdate, ev.Event)
			require.Equal(t, uid, ev.UserID)
			require.NotContains(t, ev.Data, "changes")
			require.Len(t, ev.Changes, len(tc.wantChanges))
			for field, val := range tc.wantUser {
				require.JSONEq(t, val, string(ev.Data[field]), "data.%s shows the new profile", field)
			}

			got, err := client.User(context.Background(), uid)
			require.NoError(t, err)
			require.Equal(t, uid, got.ID())
			for field, val := range tc.wantUser {
				require.JSONEq(t, val, string(got[field]), "GET user shows %s", field)
			}
			require.NotContains(t, got, "changes")
		})
	}
}

func TestTwitterEmitProfileUpdateWithoutStoredUser(t *testing.T) {
	fake, _, _ := newTwitterFake(t)
	fake.AddMonitor(fakesocialdata.Monitor{ID: "mp", Type: "user_profile", UserID: "5"})
	_, err := fake.EmitProfileUpdate(context.Background(), "mp", map[string]any{"name": "x"})
	require.Error(t, err)
}

func TestTwitterEmitFollowing(t *testing.T) {
	tests := []struct {
		name      string
		follows   int
		wantFirst []string // ids on the first page of Following
		wantNext  string
	}{
		{name: "one follow", follows: 1, wantFirst: []string{"100"}},
		{name: "latest follow first", follows: 3, wantFirst: []string{"102", "101", "100"}},
		{name: "more than a page", follows: 25, wantFirst: func() []string {
			var ids []string
			for i := 124; i > 104; i-- {
				ids = append(ids, strconv.Itoa(i))
			}
			return ids
		}(), wantNext: "20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			setupEmitMonitors(fake)
			hook := newHookRecorder(t)
			fake.SetWebhook(hook.URL, 0, 1)

			before, err := client.Following(context.Background(), "295218901", "")
			require.NoError(t, err)
			require.Empty(t, before.Users)
			require.Empty(t, before.NextCursor)

			for i := range tc.follows {
				_, err := fake.EmitFollowing(context.Background(), "mf", twUser(strconv.Itoa(100+i), "f"))
				require.NoError(t, err)
			}
			page, err := client.Following(context.Background(), "295218901", "")
			require.NoError(t, err)
			var ids []string
			for _, u := range page.Users {
				ids = append(ids, u.ID())
			}
			require.Equal(t, tc.wantFirst, ids)
			require.Equal(t, tc.wantNext, page.NextCursor)
			require.Len(t, hook.posted(), tc.follows)

			other, err := client.Following(context.Background(), "44196397", "")
			require.NoError(t, err)
			require.Empty(t, other.Users, "only the monitored user's list changes")
		})
	}
}

func TestTwitterEmitTweetJoinsTimeline(t *testing.T) {
	at := func(year int) string {
		return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format(fakesocialdata.TimeLayout)
	}
	tests := []struct {
		name      string
		emit      []map[string]any
		wantOrder []string
	}{
		{name: "new tweet without timestamp is newest", emit: []map[string]any{{"id_str": "2"}},
			wantOrder: []string{"2", "1"}},
		{name: "back-dated tweet sorts by its timestamp",
			emit:      []map[string]any{{"id_str": "2"}, {"id_str": "3", "tweet_created_at": at(2021)}},
			wantOrder: []string{"2", "3", "1"}},
		{name: "tweet older than the timeline goes last",
			emit:      []map[string]any{{"id_str": "4", "tweet_created_at": at(2019)}},
			wantOrder: []string{"1", "4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, client := newTwitterFake(t)
			setupEmitMonitors(fake)
			fake.AddTweet("1659965172780511232", map[string]any{"id_str": "1", "tweet_created_at": at(2020)})
			emitted := map[string]bool{}
			for _, tw := range tc.emit {
				delivered, err := fake.EmitTweet(context.Background(), "mt", tw)
				require.NoError(t, err)
				require.False(t, delivered, "no webhook configured")
				emitted[tw["id_str"].(string)] = true
			}

			page, err := client.UserTweetsAndReplies(context.Background(), "1659965172780511232", "")
			require.NoError(t, err)
			var ids []string
			for _, tw := range page.Tweets {
				ids = append(ids, tw.ID())
				if emitted[tw.ID()] {
					require.Equal(t, "1659965172780511232", tw.Child("user").ID(), "author attached")
					require.NotEmpty(t, tw["tweet_created_at"])
				}
			}
			require.Equal(t, tc.wantOrder, ids)
		})
	}
}

func TestTwitterEmitUnknownMonitor(t *testing.T) {
	tests := []struct {
		name string
		emit func(ctx context.Context, fake *fakesocialdata.Server) (bool, error)
	}{
		{name: "tweet", emit: func(ctx context.Context, fake *fakesocialdata.Server) (bool, error) {
			return fake.EmitTweet(ctx, "nope", map[string]any{"id_str": "1"})
		}},
		{name: "following", emit: func(ctx context.Context, fake *fakesocialdata.Server) (bool, error) {
			return fake.EmitFollowing(ctx, "nope", twUser("1", "x"))
		}},
		{name: "profile", emit: func(ctx context.Context, fake *fakesocialdata.Server) (bool, error) {
			return fake.EmitProfileUpdate(ctx, "nope", map[string]any{"name": "x"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, _, _ := newTwitterFake(t)
			setupEmitMonitors(fake)
			hook := newHookRecorder(t)
			fake.SetWebhook(hook.URL, 0, 1)
			delivered, err := tc.emit(context.Background(), fake)
			require.Error(t, err)
			require.False(t, delivered)
			require.Empty(t, fake.Emitted())
			require.Empty(t, hook.posted())
		})
	}
}

func TestTwitterEmitWebhookRejected(t *testing.T) {
	fake, _, _ := newTwitterFake(t)
	setupEmitMonitors(fake)
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusInternalServerError)
	}))
	t.Cleanup(rejecting.Close)
	fake.SetWebhook(rejecting.URL, 0, 1)
	delivered, err := fake.EmitTweet(context.Background(), "mt", map[string]any{"id_str": "1"})
	require.Error(t, err)
	require.False(t, delivered)
	require.ErrorContains(t, err, "500")
}

// apiStep is one request in a fault-injection scenario.
type apiStep struct {
	before     func(fake *fakesocialdata.Server)
	datafile   bool // fetch a datafile instead of calling the API
	wantStatus int  // 0 = success
}

func TestTwitterFaults(t *testing.T) {
	off := func(fake *fakesocialdata.Server) { fake.SetBalanceExhausted(false) }
	on := func(fake *fakesocialdata.Server) { fake.SetBalanceExhausted(true) }
	tests := []struct {
		name  string
		setup func(fake *fakesocialdata.Server)
		steps []apiStep
	}{
		{
			name:  "FailNext 2 429 then success",
			setup: func(fake *fakesocialdata.Server) { fake.FailNext(2, http.StatusTooManyRequests) },
			steps: []apiStep{{wantStatus: 429}, {wantStatus: 429}, {}, {}},
		},
		{
			name:  "FailNext skips datafiles and they do not use it up",
			setup: func(fake *fakesocialdata.Server) { fake.FailNext(2, http.StatusTooManyRequests) },
			steps: []apiStep{{datafile: true}, {wantStatus: 429}, {datafile: true}, {datafile: true},
				{wantStatus: 429}, {}, {datafile: true}},
		},
		{
			name:  "FailNext 1 500",
			setup: func(fake *fakesocialdata.Server) { fake.FailNext(1, http.StatusInternalServerError) },
			steps: []apiStep{{wantStatus: 500}, {}},
		},
		{
			name:  "FailNext 0 does nothing",
			setup: func(fake *fakesocialdata.Server) { fake.FailNext(0, http.StatusTooManyRequests) },
			steps: []apiStep{{}, {}},
		},
		{
			name:  "balance exhausted until turned off",
			setup: on,
			steps: []apiStep{{wantStatus: 402}, {wantStatus: 402}, {datafile: true}, {wantStatus: 402},
				{wantStatus: 402}, {before: off}, {}, {datafile: true}},
		},
		{
			name:  "balance exhausted wins over FailNext, which waits",
			setup: func(fake *fakesocialdata.Server) { on(fake); fake.FailNext(1, http.StatusTooManyRequests) },
			steps: []apiStep{{wantStatus: 402}, {wantStatus: 402}, {before: off, wantStatus: 429}, {}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv, client := newTwitterFake(t)
			fake.PutUser(twUser("1", "one"))
			fake.AddMonitor(fakesocialdata.Monitor{ID: "m1", Type: "user_tweets", UserID: "1"})
			fake.PutJob(fakesocialdata.Job{ID: 9, Status: "success"})
			dfURL := fake.DatafileURL(fakesocialdata.Datafile{Size: 64, Seed: 3})
			require.True(t, strings.HasPrefix(dfURL, srv.URL+"/datafiles/"))
			tc.setup(fake)

			// Rotate over the API endpoints so every route is shown to be affected.
			apiCalls := []func() error{
				func() error { _, err := client.ListMonitors(context.Background(), 1); return err },
				func() error { _, err := client.User(context.Background(), "1"); return err },
				func() error { _, err := client.UserTweetsAndReplies(context.Background(), "1", ""); return err },
				func() error { _, err := client.Following(context.Background(), "1", ""); return err },
				func() error { _, err := client.GetJob(context.Background(), 9); return err },
			}
			api := 0
			for i, step := range tc.steps {
				if step.before != nil {
					step.before(fake)
				}
				if step.datafile {
					status, _, body := get(t, srv.Client(), dfURL, "")
					require.Equal(t, http.StatusOK, status, "step %d: datafile", i)
					require.Len(t, body, 64)
					continue
				}
				err := apiCalls[api%len(apiCalls)]()
				api++
				if step.wantStatus == 0 {
					require.NoError(t, err, "step %d", i)
					continue
				}
				requireAPIError(t, err, step.wantStatus, step.wantStatus != http.StatusPaymentRequired)
			}
		})
	}
}

func TestTwitterJobPendingPolls(t *testing.T) {
	tests := []struct {
		name     string
		job      fakesocialdata.Job
		want     []string
		wantFile bool
	}{
		{name: "no pending polls", job: fakesocialdata.Job{ID: 1, Status: "success",
			Datafile: &fakesocialdata.Datafile{Size: 10, Seed: 1}}, want: []string{"success", "success"}, wantFile: true},
		{name: "two pending polls then success", job: fakesocialdata.Job{ID: 2, Status: "success", PendingPolls: 2,
			Datafile: &fakesocialdata.Datafile{Size: 10, Seed: 1}},
			want: []string{"processing", "processing", "success", "success"}, wantFile: true},
		{name: "two pending polls then error", job: fakesocialdata.Job{ID: 3, Status: "error", Message: "boom",
			PendingPolls: 2}, want: []string{"processing", "processing", "error"}},
		{name: "pending job stays pending", job: fakesocialdata.Job{ID: 4, Status: "pending", PendingPolls: 1},
			want: []string{"processing", "pending", "pending"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv, client := newTwitterFake(t)
			fake.PutJob(tc.job)
			for i, want := range tc.want {
				job, err := client.GetJob(context.Background(), tc.job.ID)
				require.NoError(t, err, "poll %d", i)
				require.Equal(t, tc.job.ID, job.JobID)
				require.Equal(t, want, job.Status, "poll %d", i)
				require.Equal(t, want == "success" || want == "error", job.Terminal())
				if want == "processing" {
					require.Empty(t, job.DatafileURL)
				}
				if want == "success" && tc.wantFile {
					require.Equal(t, fake.DatafileURL(*tc.job.Datafile), job.DatafileURL)
					require.True(t, strings.HasPrefix(job.DatafileURL, srv.URL+"/datafiles/"))
				}
				if want == "error" {
					require.Equal(t, tc.job.Message, job.Message)
				}
			}
			require.Equal(t, len(tc.want), fake.Requests("/jobs/"+strconv.FormatInt(tc.job.ID, 10)))
		})
	}
}
