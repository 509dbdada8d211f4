package socialdata_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/jsonobject"
	"github.com/socialhook/pipeline/internal/socialdata"
)

func readMonitorSample(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile("../../testdata/samples/" + name)
	require.NoError(t, err)
	return body
}

// parseMonitor runs a body through ParseWebhook then ParseMonitorEvent, as the ingress does.
func parseMonitor(t *testing.T, body []byte) (socialdata.MonitorEvent, error) {
	t.Helper()
	w, err := socialdata.ParseWebhook(body)
	require.NoError(t, err, "the envelope itself is valid in every case")
	return socialdata.ParseMonitorEvent(w)
}

// jsonString decodes a raw JSON string value.
func jsonString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), "raw value %s", raw)
	return s
}

func mustObject(t *testing.T, raw string) jsonobject.Object {
	t.Helper()
	o, err := jsonobject.Parse(json.RawMessage(raw))
	require.NoError(t, err)
	return o
}

func objectIDs(objs []jsonobject.Object) []string {
	ids := []string{}
	for _, o := range objs {
		ids = append(ids, o.ID())
	}
	return ids
}

func TestParseMonitorEventSamples(t *testing.T) {
	tests := []struct {
		file            string
		wantEvent       string
		wantMonitorID   string
		wantMonitorType string
		wantMonitored   string
		wantUserID      string
		wantTweetID     string
		// wantChanges maps a field to its old and new string values.
		wantChanges map[string][2]string
	}{
		{
			file:            "socialdata_new_tweet.json",
			wantEvent:       contract.EventNewTweet,
			wantMonitorID:   "01jkt060zcz108b78fke6hm1g4",
			wantMonitorType: "user_tweets",
			wantMonitored:   "44196397",
			wantUserID:      "44196397",
			wantTweetID:     "1889505498761703504",
		},
		{
			file:            "socialdata_new_following.json",
			wantEvent:       contract.EventNewFollowing,
			wantMonitorID:   "01jkf3zgfwt8gnpgevxf9w6h58",
			wantMonitorType: "user_following",
			wantMonitored:   "1659965172780511232",
			wantUserID:      "295218901",
		},
		{
			file:            "socialdata_profile_update.json",
			wantEvent:       contract.EventProfileUpdate,
			wantMonitorID:   "01hx1r99s0nsqq1ffdhmyyqbfr",
			wantMonitorType: "user_profile",
			wantMonitored:   "44196397",
			wantUserID:      "44196397",
			wantChanges:     map[string][2]string{"name": {"Elon Musk", "Kekius Maximus"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ev, err := parseMonitor(t, readMonitorSample(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, tc.wantEvent, ev.Event)
			require.Equal(t, tc.wantMonitorID, ev.Meta.MonitorID)
			require.Equal(t, tc.wantMonitorType, ev.Meta.MonitorType)
			require.Equal(t, tc.wantMonitored, ev.Meta.MonitoredIDStr)
			require.Equal(t, tc.wantUserID, ev.UserID)
			require.Equal(t, tc.wantTweetID, ev.TweetID)

			require.NotNil(t, ev.Data)
			require.NotContains(t, ev.Data, "changes")
			require.NotContains(t, ev.Data, "meta")
			require.NotContains(t, string(ev.Data.JSON()), `"monitor_id"`)

			require.Len(t, ev.Changes, len(tc.wantChanges))
			for field, want := range tc.wantChanges {
				got, ok := ev.Changes[field]
				require.True(t, ok, "change of %q", field)
				require.Equal(t, want[0], jsonString(t, got.Old))
				require.Equal(t, want[1], jsonString(t, got.New))
			}

			if tc.wantTweetID != "" {
				require.Equal(t, tc.wantTweetID, ev.Data.ID(), "data is the tweet")
				require.Equal(t, tc.wantUserID, ev.Data.Child("user").ID())
			} else {
				require.Equal(t, tc.wantUserID, ev.Data.ID(), "data is the user")
			}
		})
	}
}

func TestParseMonitorEventSampleDataKeepsFields(t *testing.T) {
	tests := []struct {
		file  string
		field string
		want  string
	}{
		{"socialdata_new_tweet.json", "full_text", "Assange is right!"},
		{"socialdata_new_following.json", "screen_name", "VitalikButerin"},
		{"socialdata_profile_update.json", "name", "Kekius Maximus"},
		{"socialdata_profile_update.json", "screen_name", "elonmusk"},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.field, func(t *testing.T) {
			ev, err := parseMonitor(t, readMonitorSample(t, tc.file))
			require.NoError(t, err)
			require.Contains(t, ev.Data, tc.field)
			require.Equal(t, tc.want, jsonString(t, ev.Data[tc.field]))
		})
	}
}

func TestParseMonitorEventSampleNewTweetIDsExact(t *testing.T) {
	ev, err := parseMonitor(t, readMonitorSample(t, "socialdata_new_tweet.json"))
	require.NoError(t, err)
	// The raw numeric id is kept byte for byte: no float64 round trip.
	require.Equal(t, "1889505498761703504", string(ev.Data["id"]))
	require.Equal(t, []string{"1889505498761703504"}, objectIDs(socialdata.EmbeddedTweets(ev.Data)),
		"quoted_status is null in the sample")
	require.Equal(t, []string{"44196397"}, objectIDs(socialdata.TweetUsers(ev.Data)))
}

const (
	validMeta = `{"monitor_id":"01abc","monitor_type":"user_tweets","monitored_id_str":"44196397"}`
	tweetData = `{"id_str":"1889505498761703504","user":{"id_str":"44196397"}}`
	userData  = `{"id_str":"295218901","name":"vitalik.eth"}`
)

func monitorBody(event, data, meta string) []byte {
	b := `{"event":"` + event + `","data":` + data
	if meta != "" {
		b += `,"meta":` + meta
	}
	return []byte(b + "}")
}

func TestParseMonitorEventDefensive(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		// wantErrIs, when set, is the sentinel the error must wrap.
		wantErrIs error
		// wantErr asks for any error (with wantErrText in it, when set).
		wantErr     bool
		wantErrText string
		check       func(t *testing.T, ev socialdata.MonitorEvent)
	}{
		// meta placement
		{
			name: "meta nested in data (new_tweet)",
			body: monitorBody("new_tweet",
				`{"id_str":"1","user":{"id_str":"2"},"meta":{"monitor_id":"m1","monitor_type":"user_tweets","monitored_id_str":"2"}}`, ""),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "m1", ev.Meta.MonitorID)
				require.Equal(t, "user_tweets", ev.Meta.MonitorType)
				require.Equal(t, "2", ev.Meta.MonitoredIDStr)
				require.Equal(t, "1", ev.TweetID)
				require.Equal(t, "2", ev.UserID)
				require.NotContains(t, ev.Data, "meta")
			},
		},
		{
			name: "meta nested in data (profile_update)",
			body: monitorBody("profile_update",
				`{"id_str":"44196397","changes":{"name":{"old":"a","new":"b"}},"meta":{"monitor_id":"m2","monitored_id_str":"44196397"}}`, ""),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "m2", ev.Meta.MonitorID)
				require.Equal(t, "44196397", ev.Meta.MonitoredIDStr)
				require.Equal(t, "44196397", ev.UserID)
				require.Contains(t, ev.Changes, "name")
				require.NotContains(t, ev.Data, "meta")
				require.NotContains(t, ev.Data, "changes")
			},
		},
		{
			name: "top-level meta null falls back to nested meta",
			body: monitorBody("new_following", `{"id_str":"5","meta":{"monitor_id":"m3"}}`, `null`),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "m3", ev.Meta.MonitorID)
				require.Equal(t, "5", ev.UserID)
				require.NotContains(t, ev.Data, "meta")
			},
		},
		{
			name: "top-level meta wins over nested meta, nested one still removed",
			body: monitorBody("new_following", `{"id_str":"5","meta":{"monitor_id":"nested"}}`, `{"monitor_id":"top"}`),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "top", ev.Meta.MonitorID)
				require.NotContains(t, ev.Data, "meta")
			},
		},
		{
			name:      "meta missing everywhere",
			body:      monitorBody("new_tweet", tweetData, ""),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "meta null everywhere",
			body:      monitorBody("new_tweet", `{"id_str":"1","user":{"id_str":"2"},"meta":null}`, `null`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "meta empty object",
			body:      monitorBody("new_tweet", tweetData, `{}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "meta not an object",
			body:      monitorBody("new_tweet", tweetData, `"01abc"`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id is a number",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":42}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id with a slash",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":"abc/def"}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id path traversal",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":"../etc"}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id with spaces inside",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":"abc def"}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id empty",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":""}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id only spaces",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":"   "}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name:      "monitor_id longer than 64",
			body:      monitorBody("new_tweet", tweetData, `{"monitor_id":"`+strings.Repeat("a", 65)+`"}`),
			wantErrIs: socialdata.ErrMissingMonitorID,
		},
		{
			name: "monitor_id of 64 characters",
			body: monitorBody("new_tweet", tweetData, `{"monitor_id":"`+strings.Repeat("a", 64)+`"}`),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, strings.Repeat("a", 64), ev.Meta.MonitorID)
			},
		},
		{
			name: "monitor_id surrounding spaces are trimmed",
			body: monitorBody("new_tweet", tweetData, `{"monitor_id":"  01abc_-Z  "}`),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "01abc_-Z", ev.Meta.MonitorID)
			},
		},

		// tweet id
		{
			name: "tweet numeric id above 2^53 without id_str",
			body: monitorBody("new_tweet", `{"id":1889505498761703504,"user":{"id_str":"44196397"}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "1889505498761703504", ev.TweetID)
				require.Equal(t, "44196397", ev.UserID)
			},
		},
		{
			name: "tweet id_str null falls back to numeric id",
			body: monitorBody("new_tweet", `{"id_str":null,"id":1889505498761703505,"user":{"id_str":"44196397"}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "1889505498761703505", ev.TweetID)
			},
		},
		{
			name:      "tweet id_str non-numeric and no id",
			body:      monitorBody("new_tweet", `{"id_str":"abc","user":{"id_str":"44196397"}}`, validMeta),
			wantErrIs: socialdata.ErrMissingTweetID,
		},
		{
			name:      "tweet without any id",
			body:      monitorBody("new_tweet", `{"user":{"id_str":"44196397"}}`, validMeta),
			wantErrIs: socialdata.ErrMissingTweetID,
		},
		{
			name:      "tweet id negative",
			body:      monitorBody("new_tweet", `{"id":-5,"user":{"id_str":"44196397"}}`, validMeta),
			wantErrIs: socialdata.ErrMissingTweetID,
		},
		{
			name:      "tweet id in exponent notation",
			body:      monitorBody("new_tweet", `{"id":1.8e18,"user":{"id_str":"44196397"}}`, validMeta),
			wantErrIs: socialdata.ErrMissingTweetID,
		},

		// tweet author
		{
			name:      "new_tweet without user",
			body:      monitorBody("new_tweet", `{"id_str":"1"}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name:      "new_tweet with null user",
			body:      monitorBody("new_tweet", `{"id_str":"1","user":null}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name:      "new_tweet user without id",
			body:      monitorBody("new_tweet", `{"id_str":"1","user":{"name":"x"}}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name:      "new_tweet user not an object",
			body:      monitorBody("new_tweet", `{"id_str":"1","user":"44196397"}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name: "new_tweet user id as JSON string",
			body: monitorBody("new_tweet", `{"id_str":"1","user":{"id":"123"}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "123", ev.UserID)
			},
		},
		{
			name: "new_tweet user numeric id only",
			body: monitorBody("new_tweet", `{"id_str":"1","user":{"id":44196397}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "44196397", ev.UserID)
			},
		},

		// user events
		{
			name:      "new_following without id_str nor id",
			body:      monitorBody("new_following", `{"name":"vitalik.eth"}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name:      "new_following id_str invalid and no id",
			body:      monitorBody("new_following", `{"id_str":"12x"}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},
		{
			name: "new_following without id_str falls back to numeric id",
			body: monitorBody("new_following", `{"id":295218901}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "295218901", ev.UserID)
			},
		},
		{
			name: "new_following user id as JSON string",
			body: monitorBody("new_following", `{"id":"123"}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Equal(t, "123", ev.UserID)
				require.Empty(t, ev.TweetID)
			},
		},
		{
			name:      "profile_update without id_str",
			body:      monitorBody("profile_update", `{"name":"x","changes":{"name":{"old":"a","new":"x"}}}`, validMeta),
			wantErrIs: socialdata.ErrMissingUserID,
		},

		// data shape
		{
			name:      "data is an array",
			body:      monitorBody("new_tweet", `[`+tweetData+`]`, validMeta),
			wantErrIs: socialdata.ErrMissingData,
		},
		{
			name:      "data is a string",
			body:      monitorBody("new_following", `"295218901"`, validMeta),
			wantErrIs: socialdata.ErrMissingData,
		},
		{
			name:      "data is null",
			body:      monitorBody("profile_update", `null`, validMeta),
			wantErrIs: socialdata.ErrMissingData,
		},
		{
			name:      "data is a number",
			body:      monitorBody("new_following", `295218901`, validMeta),
			wantErrIs: socialdata.ErrMissingData,
		},
		{
			name:      "data missing",
			body:      []byte(`{"event":"new_tweet","meta":` + validMeta + `}`),
			wantErrIs: socialdata.ErrMissingData,
		},

		// changes
		{
			name:    "changes is a string",
			body:    monitorBody("profile_update", `{"id_str":"1","changes":"name"}`, validMeta),
			wantErr: true,
		},
		{
			name:    "changes is an array",
			body:    monitorBody("profile_update", `{"id_str":"1","changes":[{"old":"a","new":"b"}]}`, validMeta),
			wantErr: true,
		},
		{
			name:    "changes is a number",
			body:    monitorBody("profile_update", `{"id_str":"1","changes":3}`, validMeta),
			wantErr: true,
		},
		{
			name:    "a change is not an object",
			body:    monitorBody("profile_update", `{"id_str":"1","changes":{"name":"b"}}`, validMeta),
			wantErr: true,
		},
		{
			name: "changes null",
			body: monitorBody("profile_update", `{"id_str":"1","changes":null}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Empty(t, ev.Changes)
				require.NotContains(t, ev.Data, "changes")
				require.Equal(t, "1", ev.UserID)
			},
		},
		{
			name: "changes missing",
			body: monitorBody("profile_update", `{"id_str":"1","name":"x"}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Empty(t, ev.Changes)
				require.Contains(t, ev.Data, "name")
			},
		},
		{
			name: "changes with several fields and null old value",
			body: monitorBody("profile_update",
				`{"id_str":"1","changes":{"description":{"old":null,"new":"hi"},"followers_count":{"old":1,"new":2}}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.Len(t, ev.Changes, 2)
				require.Equal(t, "null", string(ev.Changes["description"].Old))
				require.Equal(t, "hi", jsonString(t, ev.Changes["description"].New))
				require.Equal(t, "1", string(ev.Changes["followers_count"].Old))
				require.Equal(t, "2", string(ev.Changes["followers_count"].New))
				require.NotContains(t, ev.Data, "changes")
			},
		},

		// event
		{
			name:        "unknown event",
			body:        monitorBody("bogus_event", userData, validMeta),
			wantErr:     true,
			wantErrText: "bogus_event",
		},
		{
			name:        "job_finished is not a monitor event",
			body:        monitorBody("job_finished", `{"job_id":42,"status":"success"}`, validMeta),
			wantErr:     true,
			wantErrText: "job_finished",
		},

		// unknown fields survive
		{
			name: "unknown fields are kept in data",
			body: monitorBody("new_tweet", `{"id_str":"1","user":{"id_str":"2"},"x_future_field":{"a":[1,2]}}`, validMeta),
			check: func(t *testing.T, ev socialdata.MonitorEvent) {
				require.JSONEq(t, `{"a":[1,2]}`, string(ev.Data["x_future_field"]))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := parseMonitor(t, tc.body)
			switch {
			case tc.wantErrIs != nil:
				require.ErrorIs(t, err, tc.wantErrIs)
				require.Equal(t, socialdata.MonitorEvent{}, ev, "no partial event on error")
			case tc.wantErr:
				require.Error(t, err)
				if tc.wantErrText != "" {
					require.ErrorContains(t, err, tc.wantErrText)
				}
				require.Equal(t, socialdata.MonitorEvent{}, ev, "no partial event on error")
			default:
				require.NoError(t, err)
				require.NotNil(t, ev.Data)
				require.NotContains(t, ev.Data, "meta")
				require.NotNil(t, tc.check, "a success case checks something")
				tc.check(t, ev)
			}
		})
	}
}

func TestObjectID(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want string
	}{
		{"id_str only", `{"id_str":"123"}`, "123"},
		{"numeric id only", `{"id":123}`, "123"},
		{"numeric id above 2^53 stays exact", `{"id":1889505498761703504}`, "1889505498761703504"},
		{"id_str preferred over id", `{"id_str":"1","id":2}`, "1"},
		{"id_str invalid falls back to id", `{"id_str":"abc","id":5}`, "5"},
		{"id_str null falls back to id", `{"id_str":null,"id":7}`, "7"},
		{"id_str empty falls back to id", `{"id_str":"","id":8}`, "8"},
		{"id as numeric string", `{"id":"123"}`, "123"},
		{"id_str as a JSON number", `{"id_str":123}`, "123"},
		{"id_str with surrounding spaces", `{"id_str":" 123 "}`, "123"},
		{"20 digits", `{"id_str":"18446744073709551615"}`, "18446744073709551615"},
		{"21 digits", `{"id_str":"184467440737095516150"}`, ""},
		{"non-numeric id_str", `{"id_str":"abc"}`, ""},
		{"digits then letters", `{"id_str":"12a"}`, ""},
		{"inner space", `{"id_str":"1 2"}`, ""},
		{"negative", `{"id":-1}`, ""},
		{"fraction", `{"id":1.0}`, ""},
		{"exponent", `{"id":1e5}`, ""},
		{"boolean", `{"id":true}`, ""},
		{"object", `{"id":{"id_str":"1"}}`, ""},
		{"array", `{"id":[1]}`, ""},
		{"empty string", `{"id_str":""}`, ""},
		{"no id", `{"name":"x"}`, ""},
		{"empty object", `{}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, mustObject(t, tc.obj).ID())
		})
	}
	t.Run("nil object", func(t *testing.T) {
		var o jsonobject.Object
		require.Empty(t, o.ID())
	})
}

func TestObjectChild(t *testing.T) {
	tests := []struct {
		name   string
		obj    string
		key    string
		wantID string
		wantOK bool
	}{
		{"object child", `{"user":{"id_str":"9","name":"n"}}`, "user", "9", true},
		{"empty object child", `{"user":{}}`, "user", "", true},
		{"absent", `{"id_str":"1"}`, "user", "", false},
		{"null", `{"user":null}`, "user", "", false},
		{"array", `{"user":[{"id_str":"9"}]}`, "user", "", false},
		{"string", `{"user":"9"}`, "user", "", false},
		{"number", `{"user":9}`, "user", "", false},
		{"boolean", `{"user":true}`, "user", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustObject(t, tc.obj).Child(tc.key)
			if !tc.wantOK {
				require.Nil(t, c)
				return
			}
			require.NotNil(t, c)
			require.Equal(t, tc.wantID, c.ID())
		})
	}
	t.Run("nil object", func(t *testing.T) {
		var o jsonobject.Object
		require.Nil(t, o.Child("user"))
	})
	t.Run("child keeps its fields", func(t *testing.T) {
		c := mustObject(t, `{"user":{"id_str":"9","name":"n","extra":[1]}}`).Child("user")
		require.Equal(t, "n", jsonString(t, c["name"]))
		require.JSONEq(t, `[1]`, string(c["extra"]))
	})
}

func TestEmbeddedTweets(t *testing.T) {
	tests := []struct {
		name  string
		tweet string
		want  []string
	}{
		{
			name:  "plain tweet",
			tweet: `{"id_str":"1","user":{"id_str":"10"}}`,
			want:  []string{"1"},
		},
		{
			name:  "quoted and retweeted, in that order",
			tweet: `{"id_str":"1","retweeted_status":{"id_str":"3"},"quoted_status":{"id_str":"2"}}`,
			want:  []string{"1", "2", "3"},
		},
		{
			name:  "big numeric ids stay exact",
			tweet: `{"id":1889505498761703504,"quoted_status":{"id":1889494636323885155},"retweeted_status":{"id":"1889494636323885156"}}`,
			want:  []string{"1889505498761703504", "1889494636323885155", "1889494636323885156"},
		},
		{
			name:  "quoted_status null skipped",
			tweet: `{"id_str":"1","quoted_status":null,"retweeted_status":{"id_str":"3"}}`,
			want:  []string{"1", "3"},
		},
		{
			name:  "retweeted_status null skipped",
			tweet: `{"id_str":"1","quoted_status":{"id_str":"2"},"retweeted_status":null}`,
			want:  []string{"1", "2"},
		},
		{
			name:  "quoted without a valid id skipped",
			tweet: `{"id_str":"1","quoted_status":{"id_str":"abc"},"retweeted_status":{"id_str":"3"}}`,
			want:  []string{"1", "3"},
		},
		{
			name:  "quoted without any id skipped",
			tweet: `{"id_str":"1","quoted_status":{"full_text":"x"}}`,
			want:  []string{"1"},
		},
		{
			name:  "retweeted not an object skipped",
			tweet: `{"id_str":"1","retweeted_status":"3"}`,
			want:  []string{"1"},
		},
		{
			name:  "outer tweet without id skipped, embedded kept",
			tweet: `{"quoted_status":{"id_str":"2"},"retweeted_status":{"id_str":"3"}}`,
			want:  []string{"2", "3"},
		},
		{
			name:  "nothing with an id",
			tweet: `{"quoted_status":null}`,
			want:  []string{},
		},
		{
			name:  "only direct children, not nested deeper",
			tweet: `{"id_str":"1","retweeted_status":{"id_str":"3","quoted_status":{"id_str":"4"}}}`,
			want:  []string{"1", "3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := socialdata.EmbeddedTweets(mustObject(t, tc.tweet))
			require.Equal(t, tc.want, objectIDs(got))
		})
	}
	t.Run("nil tweet", func(t *testing.T) {
		require.Empty(t, socialdata.EmbeddedTweets(nil))
	})
	t.Run("returns the embedded objects themselves", func(t *testing.T) {
		got := socialdata.EmbeddedTweets(mustObject(t, `{"id_str":"1","quoted_status":{"id_str":"2","full_text":"q"}}`))
		require.Len(t, got, 2)
		require.Equal(t, "q", jsonString(t, got[1]["full_text"]))
	})
}

func TestTweetUsers(t *testing.T) {
	tests := []struct {
		name  string
		tweet string
		want  []string
	}{
		{
			name:  "author only",
			tweet: `{"id_str":"1","user":{"id_str":"10"}}`,
			want:  []string{"10"},
		},
		{
			name: "authors of tweet, quoted and retweeted",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"id_str":"2","user":{"id_str":"20"}},` +
				`"retweeted_status":{"id_str":"3","user":{"id_str":"30"}}}`,
			want: []string{"10", "20", "30"},
		},
		{
			name: "same author quoted twice listed once",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"id_str":"2","user":{"id_str":"10"}},` +
				`"retweeted_status":{"id_str":"3","user":{"id_str":"30"}}}`,
			want: []string{"10", "30"},
		},
		{
			name: "quoted and retweeted by the same other author",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"id_str":"2","user":{"id_str":"20"}},` +
				`"retweeted_status":{"id_str":"3","user":{"id_str":"20"}}}`,
			want: []string{"10", "20"},
		},
		{
			name: "one author everywhere",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"id_str":"2","user":{"id_str":"10"}},` +
				`"retweeted_status":{"id_str":"3","user":{"id_str":"10"}}}`,
			want: []string{"10"},
		},
		{
			name: "same id spelt as number and string listed once",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"id_str":"2","user":{"id":10}}}`,
			want: []string{"10"},
		},
		{
			name: "authors without a valid id skipped",
			tweet: `{"id_str":"1","user":{"name":"x"},` +
				`"quoted_status":{"id_str":"2","user":null},` +
				`"retweeted_status":{"id_str":"3","user":{"id_str":"30"}}}`,
			want: []string{"30"},
		},
		{
			name: "author of an embedded tweet without id skipped",
			tweet: `{"id_str":"1","user":{"id_str":"10"},` +
				`"quoted_status":{"user":{"id_str":"20"}}}`,
			want: []string{"10"},
		},
		{
			name:  "no users",
			tweet: `{"id_str":"1"}`,
			want:  []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := socialdata.TweetUsers(mustObject(t, tc.tweet))
			require.Equal(t, tc.want, objectIDs(got))
		})
	}
	t.Run("nil tweet", func(t *testing.T) {
		require.Empty(t, socialdata.TweetUsers(nil))
	})
	t.Run("returns the user objects themselves", func(t *testing.T) {
		got := socialdata.TweetUsers(mustObject(t, `{"id_str":"1","user":{"id_str":"10","screen_name":"a"}}`))
		require.Len(t, got, 1)
		require.Equal(t, "a", jsonString(t, got[0]["screen_name"]))
	})
}
