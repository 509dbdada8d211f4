//go:build prod

package prodtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/socialhook/pipeline/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/prodstack"
	"github.com/socialhook/pipeline/internal/dev/promise"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// postTo sends a SocialData webhook to ingress i.
func postTo(t *testing.T, i int, body []byte) (int, ingress.Answer) {
	t.Helper()
	code, raw, err := fakesocialdata.PostWebhook(t.Context(), promise.HTTPClient, tier.WebhookURL(i), body)
	require.NoError(t, err)
	var r ingress.Answer
	require.NoError(t, json.Unmarshal(raw, &r), "reply %s", raw)
	return code, r
}

// xTo sends an X delivery signed by the named app to ingress i.
func xTo(t *testing.T, i int, app string, body []byte) (int, ingress.Answer) {
	t.Helper()
	secrets, err := xwebhook.ParseSecrets(strings.Split(prodstack.XSecrets, ","))
	require.NoError(t, err)
	var sig string
	for _, s := range secrets {
		if s.Name == app {
			sig = xwebhook.Sign(s, body)
		}
	}
	require.NotEmpty(t, sig, "no secret %s", app)
	code, raw, err := xwebhook.Post(t.Context(), promise.HTTPClient, tier.Ingresses[i].BaseURL+"/webhooks/x", body, sig)
	require.NoError(t, err)
	var r ingress.Answer
	require.NoError(t, json.Unmarshal(raw, &r), "reply %s", raw)
	return code, r
}

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + path)
	require.NoError(t, err)
	return b
}

// completed waits for workflowID's run and decodes its result.
func completed(t *testing.T, workflowID string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	require.NoError(t, tier.Client.GetWorkflow(ctx, workflowID, "").Get(ctx, v), workflowID)
}

// once requires exactly one run of each workflow ID, closed and completed (promise.DuplicatedRuns).
func once(t *testing.T, workflowIDs ...string) {
	t.Helper()
	require.Zero(t, promise.DuplicatedRuns(t, tier.Client, workflowIDs), "one run each")
}

func objectSHA256(t *testing.T, key string) string {
	t.Helper()
	b, err := tier.Store.Get(t.Context(), key)
	require.NoError(t, err, key)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func requireObject(t *testing.T, want []byte, key string) {
	t.Helper()
	got, err := tier.Store.Get(t.Context(), key)
	require.NoError(t, err, key)
	require.True(t, bytes.Equal(want, got), "object %s differs from what was sent", key)
}

// A job with a datafile, delivered to one ingress and again to the other: one run, the datafile byte-identical
// in the erasure-coded bucket, the second delivery a duplicate.
func TestJobWithDatafile(t *testing.T) {
	const jobID = 1_000_001
	df := fakesocialdata.Datafile{Name: "prod.json", Size: 5<<20 + 3, Seed: jobID}
	body := tier.Fake.JobFinishedWebhook(fakesocialdata.Job{ID: jobID, Status: "success", Datafile: &df})
	code, r := postTo(t, 0, body)
	require.Equal(t, http.StatusOK, code, r.Error)
	require.Equal(t, "accepted", r.Status)
	require.Equal(t, contract.JobWorkflowID(jobID), r.WorkflowID)

	var res contract.JobResult
	completed(t, r.WorkflowID, &res)
	want := fakesocialdata.SHA256(df.Seed, df.Size)
	require.Equal(t, want, res.SHA256)
	require.Equal(t, want, objectSHA256(t, storage.DatafileKey(jobID, "prod.json")), "stored datafile byte-identical")
	requireObject(t, body, res.RawKey)

	code, r = postTo(t, 1, body)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", r.Status, "the other ingress dedupes against the same cluster")
	once(t, contract.JobWorkflowID(jobID))
}

// The three monitor events, each to another ingress, then each again to the other: one run each, the stored
// objects, and the profile change in the user's history.
func TestMonitorEvents(t *testing.T) {
	files := []string{"samples/socialdata_new_tweet.json", "samples/socialdata_new_following.json", "samples/socialdata_profile_update.json"}
	var ids []string
	for i, f := range files {
		body := fixture(t, f)
		code, r := postTo(t, i%2, body)
		require.Equal(t, http.StatusOK, code, "%s: %s", f, r.Error)
		require.Equal(t, "accepted", r.Status, f)
		var res contract.MonitorEventResult
		completed(t, r.WorkflowID, &res)
		requireObject(t, body, res.RawKey)
		ids = append(ids, r.WorkflowID)
	}
	for i, f := range files {
		code, r := postTo(t, (i+1)%2, fixture(t, f))
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "duplicate", r.Status, f)
	}
	once(t, ids...)
	var tweet map[string]any
	require.NoError(t, tier.Store.GetJSON(t.Context(), storage.TweetKey("1889505498761703504"), &tweet))
	require.Equal(t, "Assange is right!", tweet["full_text"])
	_, err := tier.Store.Get(t.Context(), storage.FollowKey("1659965172780511232", "295218901"))
	require.NoError(t, err)
	// The profile entity applies the observation after the event run: poll the read API of either ingress.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var h struct{ Entries []contract.HistoryEntry }
		code, err := readAPI(1, "/v1/users/44196397/history", &h)
		if !assert.NoError(c, err) || !assert.Equal(c, http.StatusOK, code) {
			return
		}
		if assert.Len(c, h.Entries, 1) {
			assert.Equal(c, `"Kekius Maximus"`, string(h.Entries[0].Changes["name"].New))
		}
	}, time.Minute, 200*time.Millisecond)
}

func readAPI(i int, path string, v any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, tier.Ingresses[i].BaseURL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+prodstack.APIToken)
	resp, err := promise.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

// X Account Activity (a multi-event delivery) and X Activity API events, signed, to both ingresses: the
// documented workflow IDs, one run each, a re-delivery to the other ingress a duplicate.
func TestXDeliveries(t *testing.T) {
	code, r := xTo(t, 0, "main", fixture(t, "x/aaa_multi.json"))
	require.Equal(t, http.StatusOK, code, r.Error)
	ids := []string{"x-dm-1889600000000000001", "x-favorite-0f3c9e2d7b814a6c9e5d2b7a41c8f613",
		"x-follow-1739328330777-3001-4001", "x-tweet-1889505498761703504"}
	code, r = xTo(t, 1, "main", fixture(t, "x/aaa_multi.json"))
	require.Equal(t, http.StatusOK, code, r.Error)
	require.Equal(t, "duplicate", r.Status)
	for _, f := range []string{"x/xaa_profile_update_bio.json", "x/xaa_post_create.json"} {
		body := fixture(t, f)
		code, r := xTo(t, 1, "main", body)
		require.Equal(t, http.StatusOK, code, r.Error)
		require.Equal(t, "accepted", r.Status, f)
		require.True(t, strings.HasPrefix(r.WorkflowID, "x-event-"), r.WorkflowID)
		var res contract.XEventResult
		completed(t, r.WorkflowID, &res)
		requireObject(t, body, res.RawKey)
		code, r = xTo(t, 0, "main", body)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "duplicate", r.Status, f)
		ids = append(ids, r.WorkflowID)
	}
	for _, id := range ids[:4] {
		completed(t, id, nil)
	}
	once(t, ids...)
}

// A backfill of the poller schedule with the temporal CLI over mTLS, as an operator runs it: the tweet the
// webhooks missed inside the window is recovered once, the one outside is not, and a second backfill of the
// same window starts nothing new.
func TestPollerBackfill(t *testing.T) {
	const uid = "7700001"
	monitor := "mprod" + uid
	u := map[string]any{"id": json.Number(uid), "id_str": uid, "name": "backfilled", "screen_name": "u" + uid,
		"description": "d", "profile_image_url_https": "https://pbs.twimg.com/p/" + uid + ".jpg"}
	tier.Fake.PutUser(u)
	tier.Fake.AddMonitor(fakesocialdata.Monitor{ID: monitor, Type: "user_tweets", UserID: uid})
	h := time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)
	inside, outside := "77000011", "77000012"
	for id, at := range map[string]time.Time{inside: h.Add(-10 * time.Minute), outside: h.Add(-3 * time.Hour)} {
		tier.Fake.AddTweet(uid, map[string]any{"id": json.Number(id), "id_str": id, "full_text": "old " + id,
			"tweet_created_at": at.Format(fakesocialdata.TimeLayout), "user": u})
	}
	backfill := func() {
		bin, err := devstack.ToolPath("temporal")
		require.NoError(t, err)
		env := tier.Env()
		out, err := exec.Command(bin, "schedule", "backfill", "--address", env["TEMPORAL_ADDRESS"],
			"--namespace", prodstack.Namespace, "--tls-cert-path", env["TEMPORAL_TLS_CERT"],
			"--tls-key-path", env["TEMPORAL_TLS_KEY"], "--tls-ca-path", env["TEMPORAL_TLS_CA"],
			"--tls-server-name", env["TEMPORAL_TLS_SERVER_NAME"], "--schedule-id", contract.PollerScheduleID,
			"--start-time", h.Add(-30*time.Minute).Format(time.RFC3339), "--end-time", h.Add(30*time.Minute).Format(time.RFC3339),
			"--overlap-policy", "AllowAll").CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	pollRun := fmt.Sprintf(`WorkflowId = "%s-%s" AND ExecutionStatus = "Completed"`, contract.PollerWorkflowIDPrefix, h.Format(time.RFC3339))
	completedPolls := func(n int64) {
		// Visibility is eventually consistent and the backfilled runs finish asynchronously: poll it.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			resp, err := tier.Client.CountWorkflow(t.Context(), countRequest(pollRun))
			if assert.NoError(c, err) {
				assert.Equal(c, n, resp.GetCount())
			}
		}, 2*time.Minute, 250*time.Millisecond, pollRun)
	}
	backfill()
	completedPolls(1)
	insideID, outsideID := contract.TweetWorkflowID(monitor, inside), contract.TweetWorkflowID(monitor, outside)
	completed(t, insideID, nil)
	backfill()
	completedPolls(2)
	once(t, insideID)
	_, err := tier.Client.DescribeWorkflowExecution(t.Context(), outsideID, "")
	require.Error(t, err, "the tweet outside the window is not recovered")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound)
}

func countRequest(query string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Query: query}
}
