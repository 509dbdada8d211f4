package socialdata_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/socialdata"
)

const readsKey = "KEY"

// readRequest is what the reads test server saw of one request.
type readRequest struct {
	Method      string
	Path        string // decoded
	EscapedPath string // as sent on the wire
	RawQuery    string
	Query       map[string][]string
	Auth        string
	Accept      string
}

// readsServer answers every request with a fixed status and body and records the requests.
type readsServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []readRequest
}

func newReadsServer(t *testing.T, status int, body string) *readsServer {
	t.Helper()
	rs := &readsServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, readRequest{
			Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Query: r.URL.Query(), Auth: r.Header.Get("Authorization"), Accept: r.Header.Get("Accept"),
		})
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *readsServer) requests() []readRequest {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]readRequest(nil), rs.reqs...)
}

// only returns the single request the server saw.
func (rs *readsServer) only(t *testing.T) readRequest {
	t.Helper()
	reqs := rs.requests()
	require.Len(t, reqs, 1)
	return reqs[0]
}

func (rs *readsServer) client() *socialdata.Client {
	return socialdata.NewClient(rs.URL, readsKey, rs.Client())
}

func rawString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), "raw %s", raw)
	return s
}

func TestListMonitors(t *testing.T) {
	tests := []struct {
		name        string
		page        int
		body        string
		wantQuery   string
		wantIDs     []string
		wantTypes   []string
		wantUserIDs []string
		wantPage    int
		wantLast    int
	}{
		{
			name: "first page mixed monitors",
			page: 1,
			body: `{"data":[
				{"id":"m1","created_at":"2026-01-01T00:00:00.000000Z","monitor_type":"user_tweets",
				 "parameters":{"user_id":"44196397"},"webhook_url":"https://hook.example/a"},
				{"id":"m2","created_at":"2026-01-02T00:00:00.000000Z","monitor_type":"user_following",
				 "parameters":{"user_id":1659965172780511232},"webhook_url":null},
				{"id":"m3","created_at":"2026-01-03T00:00:00.000000Z","monitor_type":"search",
				 "parameters":{"query":"from:elonmusk"}}
			],"meta":{"page":1,"last_page":3,"items_count":120}}`,
			wantQuery:   "page=1",
			wantIDs:     []string{"m1", "m2", "m3"},
			wantTypes:   []string{"user_tweets", "user_following", "search"},
			wantUserIDs: []string{"44196397", "1659965172780511232", ""},
			wantPage:    1,
			wantLast:    3,
		},
		{
			name:        "later page",
			page:        7,
			body:        `{"data":[{"id":"m9","monitor_type":"user_profile","parameters":{"user_id_str":"295218901"}}],"meta":{"page":7,"last_page":7}}`,
			wantQuery:   "page=7",
			wantIDs:     []string{"m9"},
			wantTypes:   []string{"user_profile"},
			wantUserIDs: []string{"295218901"},
			wantPage:    7,
			wantLast:    7,
		},
		{
			name:      "empty page past the end",
			page:      4,
			body:      `{"data":[],"meta":{"page":4,"last_page":3}}`,
			wantQuery: "page=4",
			wantPage:  4,
			wantLast:  3,
		},
		{
			name:      "no meta",
			page:      2,
			body:      `{"data":[]}`,
			wantQuery: "page=2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, tc.body)
			got, err := srv.client().ListMonitors(context.Background(), tc.page)
			require.NoError(t, err)

			req := srv.only(t)
			require.Equal(t, http.MethodGet, req.Method)
			require.Equal(t, "/monitors", req.Path)
			require.Equal(t, tc.wantQuery, req.RawQuery)
			require.Equal(t, "Bearer "+readsKey, req.Auth)
			require.Equal(t, "application/json", req.Accept)

			require.Equal(t, tc.wantPage, got.Page)
			require.Equal(t, tc.wantLast, got.LastPage)
			require.Len(t, got.Monitors, len(tc.wantIDs))
			for i, m := range got.Monitors {
				require.Equal(t, tc.wantIDs[i], m.ID)
				require.Equal(t, tc.wantTypes[i], m.MonitorType)
				require.Equal(t, tc.wantUserIDs[i], m.UserID(), "monitor %s", m.ID)
			}
		})
	}
}

func TestListMonitorsKeepsFields(t *testing.T) {
	srv := newReadsServer(t, http.StatusOK, `{"data":[{"id":"m1","created_at":"2026-01-01T00:00:00.000000Z",
		"monitor_type":"user_tweets","parameters":{"user_id":"44196397","extra":true},
		"webhook_url":"https://hook.example/a"}],"meta":{"page":1,"last_page":1}}`)
	got, err := srv.client().ListMonitors(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, got.Monitors, 1)
	m := got.Monitors[0]
	require.Equal(t, "2026-01-01T00:00:00.000000Z", m.CreatedAt)
	require.Equal(t, "https://hook.example/a", m.WebhookURL)
	require.JSONEq(t, "true", string(m.Parameters["extra"]))
}

func TestMonitorUserID(t *testing.T) {
	tests := []struct {
		name       string
		parameters string
		want       string
	}{
		{name: "string user_id", parameters: `{"user_id":"44196397"}`, want: "44196397"},
		{name: "number user_id", parameters: `{"user_id":44196397}`, want: "44196397"},
		{name: "number user_id above 2^53 stays exact", parameters: `{"user_id":1659965172780511232}`,
			want: "1659965172780511232"},
		{name: "string user_id above 2^53", parameters: `{"user_id":"1659965172780511232"}`,
			want: "1659965172780511232"},
		{name: "user_id with surrounding spaces", parameters: `{"user_id":" 44196397 "}`, want: "44196397"},
		{name: "user_id_str", parameters: `{"user_id_str":"295218901"}`, want: "295218901"},
		{name: "user_id wins over user_id_str", parameters: `{"user_id":"1","user_id_str":"2"}`, want: "1"},
		{name: "invalid user_id falls back to user_id_str", parameters: `{"user_id":"abc","user_id_str":"2"}`,
			want: "2"},
		{name: "search monitor without user", parameters: `{"query":"from:elonmusk"}`, want: ""},
		{name: "empty parameters", parameters: `{}`, want: ""},
		{name: "null parameters", parameters: `null`, want: ""},
		{name: "null user_id", parameters: `{"user_id":null}`, want: ""},
		{name: "empty user_id", parameters: `{"user_id":""}`, want: ""},
		{name: "non-numeric user_id", parameters: `{"user_id":"elonmusk"}`, want: ""},
		{name: "fractional user_id", parameters: `{"user_id":1.5}`, want: ""},
		{name: "negative user_id", parameters: `{"user_id":-5}`, want: ""},
		{name: "object user_id", parameters: `{"user_id":{"id":"1"}}`, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m socialdata.Monitor
			require.NoError(t, json.Unmarshal([]byte(`{"id":"m1","monitor_type":"x","parameters":`+tc.parameters+`}`), &m))
			require.Equal(t, tc.want, m.UserID())
		})
	}
}

func TestUserTweetsAndReplies(t *testing.T) {
	const body = `{"tweets":[
		{"id":1889505498761703504,"id_str":"1889505498761703504","full_text":"newest","user":{"id_str":"44196397"}},
		{"id_str":"1889505498761703503","full_text":"older"}
	],"next_cursor":"DAABCgABGXX+/=="}`
	tests := []struct {
		name            string
		userID          string
		cursor          string
		wantPath        string
		wantEscapedPath string
		wantRawQuery    string
	}{
		{
			name:            "first page has no cursor",
			userID:          "44196397",
			wantPath:        "/twitter/user/44196397/tweets-and-replies",
			wantEscapedPath: "/twitter/user/44196397/tweets-and-replies",
		},
		{
			name:            "plain cursor",
			userID:          "44196397",
			cursor:          "20",
			wantPath:        "/twitter/user/44196397/tweets-and-replies",
			wantEscapedPath: "/twitter/user/44196397/tweets-and-replies",
			wantRawQuery:    "cursor=20",
		},
		{
			name:            "cursor is query escaped",
			userID:          "44196397",
			cursor:          "DAABCgAB+/=&page=2 x",
			wantPath:        "/twitter/user/44196397/tweets-and-replies",
			wantEscapedPath: "/twitter/user/44196397/tweets-and-replies",
			wantRawQuery:    "cursor=DAABCgAB%2B%2F%3D%26page%3D2+x",
		},
		{
			name:            "user id is path escaped",
			userID:          "a/b?c",
			wantPath:        "/twitter/user/a/b?c/tweets-and-replies",
			wantEscapedPath: "/twitter/user/a%2Fb%3Fc/tweets-and-replies",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, body)
			got, err := srv.client().UserTweetsAndReplies(context.Background(), tc.userID, tc.cursor)
			require.NoError(t, err)

			req := srv.only(t)
			require.Equal(t, http.MethodGet, req.Method)
			require.Equal(t, tc.wantPath, req.Path)
			require.Equal(t, tc.wantEscapedPath, req.EscapedPath)
			require.Equal(t, tc.wantRawQuery, req.RawQuery)
			require.Equal(t, "Bearer "+readsKey, req.Auth)
			if tc.cursor != "" {
				require.Equal(t, []string{tc.cursor}, req.Query["cursor"], "the server decodes the cursor sent")
			} else {
				require.NotContains(t, req.Query, "cursor")
			}

			require.Equal(t, "DAABCgABGXX+/==", got.NextCursor)
			require.Len(t, got.Tweets, 2)
			require.Equal(t, "1889505498761703504", got.Tweets[0].ID())
			require.Equal(t, "1889505498761703504", string(got.Tweets[0]["id"]), "numeric id stays exact")
			require.Equal(t, "newest", rawString(t, got.Tweets[0]["full_text"]))
			require.Equal(t, "44196397", got.Tweets[0].Child("user").ID())
			require.Equal(t, "1889505498761703503", got.Tweets[1].ID())
		})
	}
}

func TestUserTweetsAndRepliesBodies(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantIDs    []string
		wantCursor string
	}{
		{name: "last page without next_cursor", body: `{"tweets":[{"id_str":"1"}]}`, wantIDs: []string{"1"}},
		{name: "last page with empty next_cursor", body: `{"tweets":[{"id_str":"1"}],"next_cursor":""}`,
			wantIDs: []string{"1"}},
		{name: "null next_cursor", body: `{"tweets":[],"next_cursor":null}`},
		{name: "empty tweets", body: `{"tweets":[],"next_cursor":"x"}`, wantCursor: "x"},
		{name: "unknown fields ignored", body: `{"tweets":[{"id_str":"7"}],"next_cursor":"c","other":1}`,
			wantIDs: []string{"7"}, wantCursor: "c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, tc.body)
			got, err := srv.client().UserTweetsAndReplies(context.Background(), "1", "")
			require.NoError(t, err)
			require.Equal(t, tc.wantCursor, got.NextCursor)
			require.Len(t, got.Tweets, len(tc.wantIDs))
			for i, tw := range got.Tweets {
				require.Equal(t, tc.wantIDs[i], tw.ID())
			}
		})
	}
}

func TestFollowing(t *testing.T) {
	const body = `{"users":[
		{"id":1659965172780511232,"id_str":"1659965172780511232","screen_name":"first"},
		{"id_str":"295218901","screen_name":"second"}
	],"next_cursor":"1767589123456789|abc"}`
	tests := []struct {
		name            string
		userID          string
		cursor          string
		wantPath        string
		wantEscapedPath string
		wantRawQuery    string
	}{
		{
			name:            "no cursor",
			userID:          "44196397",
			wantPath:        "/twitter/user/44196397/following",
			wantEscapedPath: "/twitter/user/44196397/following",
		},
		{
			name:            "cursor is query escaped",
			userID:          "44196397",
			cursor:          "1767589123456789|abc",
			wantPath:        "/twitter/user/44196397/following",
			wantEscapedPath: "/twitter/user/44196397/following",
			wantRawQuery:    "cursor=1767589123456789%7Cabc",
		},
		{
			name:            "user id is path escaped",
			userID:          "x y",
			cursor:          "2",
			wantPath:        "/twitter/user/x y/following",
			wantEscapedPath: "/twitter/user/x%20y/following",
			wantRawQuery:    "cursor=2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, body)
			got, err := srv.client().Following(context.Background(), tc.userID, tc.cursor)
			require.NoError(t, err)

			req := srv.only(t)
			require.Equal(t, http.MethodGet, req.Method)
			require.Equal(t, tc.wantPath, req.Path)
			require.Equal(t, tc.wantEscapedPath, req.EscapedPath)
			require.Equal(t, tc.wantRawQuery, req.RawQuery)
			require.Equal(t, "Bearer "+readsKey, req.Auth)
			if tc.cursor != "" {
				require.Equal(t, []string{tc.cursor}, req.Query["cursor"])
			}

			require.Equal(t, "1767589123456789|abc", got.NextCursor)
			require.Len(t, got.Users, 2)
			require.Equal(t, "1659965172780511232", got.Users[0].ID())
			require.Equal(t, "1659965172780511232", string(got.Users[0]["id"]), "numeric id stays exact")
			require.Equal(t, "first", rawString(t, got.Users[0]["screen_name"]))
			require.Equal(t, "295218901", got.Users[1].ID())
		})
	}
}

func TestUser(t *testing.T) {
	tests := []struct {
		name            string
		userID          string
		body            string
		wantEscapedPath string
		wantID          string
		wantName        string
	}{
		{
			name:            "string id",
			userID:          "44196397",
			body:            `{"id":44196397,"id_str":"44196397","name":"Elon Musk","followers_count":1}`,
			wantEscapedPath: "/twitter/user/44196397",
			wantID:          "44196397",
			wantName:        "Elon Musk",
		},
		{
			name:            "id above 2^53",
			userID:          "1659965172780511232",
			body:            `{"id":1659965172780511232,"name":"big"}`,
			wantEscapedPath: "/twitter/user/1659965172780511232",
			wantID:          "1659965172780511232",
			wantName:        "big",
		},
		{
			name:            "user id is path escaped",
			userID:          "../monitors",
			body:            `{"id_str":"1","name":"x"}`,
			wantEscapedPath: "/twitter/user/..%2Fmonitors",
			wantID:          "1",
			wantName:        "x",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, tc.body)
			got, err := srv.client().User(context.Background(), tc.userID)
			require.NoError(t, err)

			req := srv.only(t)
			require.Equal(t, http.MethodGet, req.Method)
			require.Equal(t, tc.wantEscapedPath, req.EscapedPath)
			require.Empty(t, req.RawQuery)
			require.Equal(t, "Bearer "+readsKey, req.Auth)

			require.Equal(t, tc.wantID, got.ID())
			require.Equal(t, tc.wantName, rawString(t, got["name"]))
		})
	}
}

// readCall is one of the read methods, called with fixed arguments; it returns the method's error.
type readCall struct {
	name string
	call func(ctx context.Context, c *socialdata.Client) error
}

var readCalls = []readCall{
	{name: "ListMonitors", call: func(ctx context.Context, c *socialdata.Client) error {
		_, err := c.ListMonitors(ctx, 1)
		return err
	}},
	{name: "UserTweetsAndReplies", call: func(ctx context.Context, c *socialdata.Client) error {
		_, err := c.UserTweetsAndReplies(ctx, "44196397", "c")
		return err
	}},
	{name: "Following", call: func(ctx context.Context, c *socialdata.Client) error {
		_, err := c.Following(ctx, "44196397", "")
		return err
	}},
	{name: "User", call: func(ctx context.Context, c *socialdata.Client) error {
		_, err := c.User(ctx, "44196397")
		return err
	}},
}

func TestReadsAPIErrors(t *testing.T) {
	statuses := []struct {
		name          string
		status        int
		body          string
		wantMessage   string
		wantRetryable bool
	}{
		{name: "402 balance exhausted", status: http.StatusPaymentRequired,
			body: `{"status":"error","message":"Insufficient balance"}`, wantMessage: "Insufficient balance"},
		{name: "404 not found", status: http.StatusNotFound,
			body: `{"status":"error","message":"User not found"}`, wantMessage: "User not found"},
		{name: "429 rate limited", status: http.StatusTooManyRequests,
			body: `{"status":"error","message":"Too Many Requests"}`, wantMessage: "Too Many Requests",
			wantRetryable: true},
		{name: "500 server error", status: http.StatusInternalServerError,
			body: `<html>oops</html>`, wantMessage: "500 Internal Server Error", wantRetryable: true},
		{name: "404 empty body", status: http.StatusNotFound, body: ``, wantMessage: "404 Not Found"},
	}
	for _, rc := range readCalls {
		for _, st := range statuses {
			t.Run(rc.name+"/"+st.name, func(t *testing.T) {
				srv := newReadsServer(t, st.status, st.body)
				err := rc.call(context.Background(), srv.client())
				require.Error(t, err)
				var apiErr *socialdata.APIError
				require.True(t, errors.As(err, &apiErr), "error %v is not an *APIError", err)
				require.Equal(t, st.status, apiErr.StatusCode)
				require.Equal(t, st.wantMessage, apiErr.Message)
				require.Equal(t, st.wantRetryable, apiErr.Retryable())
				require.Len(t, srv.requests(), 1, "the client does not retry by itself")
			})
		}
	}
}

func TestReadsMalformedBodies(t *testing.T) {
	bodies := []struct {
		name string
		body string
	}{
		{name: "truncated JSON", body: `{"data":[`},
		{name: "not JSON", body: `hello`},
		{name: "empty body", body: ``},
		{name: "array instead of object", body: `[1,2]`},
		{name: "string instead of object", body: `"x"`},
	}
	for _, rc := range readCalls {
		for _, b := range bodies {
			t.Run(rc.name+"/"+b.name, func(t *testing.T) {
				srv := newReadsServer(t, http.StatusOK, b.body)
				err := rc.call(context.Background(), srv.client())
				require.Error(t, err)
				var apiErr *socialdata.APIError
				require.False(t, errors.As(err, &apiErr), "a decoding error is not an APIError: %v", err)
			})
		}
	}
}

func TestReadsWrongFieldTypes(t *testing.T) {
	tests := []struct {
		name string
		body string
		call func(ctx context.Context, c *socialdata.Client) error
	}{
		{name: "monitors data is an object", body: `{"data":{},"meta":{"page":1,"last_page":1}}`,
			call: readCalls[0].call},
		{name: "monitors last_page is a string", body: `{"data":[],"meta":{"page":1,"last_page":"3"}}`,
			call: readCalls[0].call},
		{name: "monitor parameters is an array", body: `{"data":[{"id":"m","parameters":[]}]}`,
			call: readCalls[0].call},
		{name: "tweets is an object", body: `{"tweets":{},"next_cursor":""}`, call: readCalls[1].call},
		{name: "tweet is a number", body: `{"tweets":[1],"next_cursor":""}`, call: readCalls[1].call},
		{name: "next_cursor is a number", body: `{"tweets":[],"next_cursor":20}`, call: readCalls[1].call},
		{name: "users is a string", body: `{"users":"x"}`, call: readCalls[2].call},
		{name: "user is an array", body: `[]`, call: readCalls[3].call},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, tc.body)
			err := tc.call(context.Background(), srv.client())
			require.Error(t, err)
			var apiErr *socialdata.APIError
			require.False(t, errors.As(err, &apiErr))
		})
	}
}

func TestReadsTransportErrors(t *testing.T) {
	for _, rc := range readCalls {
		t.Run(rc.name+"/canceled context", func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, `{}`)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := rc.call(ctx, srv.client())
			require.ErrorIs(t, err, context.Canceled)
			require.Empty(t, srv.requests())
		})
		t.Run(rc.name+"/server closed", func(t *testing.T) {
			srv := newReadsServer(t, http.StatusOK, `{}`)
			c := srv.client()
			srv.Close()
			err := rc.call(context.Background(), c)
			require.Error(t, err)
			var apiErr *socialdata.APIError
			require.False(t, errors.As(err, &apiErr))
		})
	}
}
