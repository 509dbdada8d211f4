package socialdata_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
)

// FuzzParseWebhook feeds arbitrary bodies through every SocialData parser: none may panic, and whatever they
// accept must satisfy what the pipeline relies on (positive job ids, decimal user and tweet ids, safe monitor
// ids — they end up in workflow IDs and object keys).
func FuzzParseWebhook(f *testing.F) {
	samples, _ := filepath.Glob("../../testdata/samples/*.json")
	for _, p := range samples {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"event":"job_finished","data":{"job_id":"9223372036854775808"}}`,
		`{"event":"new_tweet","data":{"id_str":"1","user":{"id":1e400}},"meta":{"monitor_id":"a/b"}}`,
		`{"event":"profile_update","data":{"id":1,"changes":[]},"meta":{"monitor_id":"m"}}`, "{\"event\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	decimal := regexp.MustCompile(`^[0-9]{1,20}$`)
	safe := regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
	f.Fuzz(func(t *testing.T, body []byte) {
		hook, err := socialdata.ParseWebhook(body)
		if err != nil {
			return
		}
		if job, err := socialdata.ParseJobFinished(hook.Data); err == nil {
			if job.JobID <= 0 || !job.Terminal() || (job.Status == "success" && job.DatafileURL == "") {
				t.Fatalf("accepted an unusable job: %+v", job)
			}
		}
		ev, err := socialdata.ParseMonitorEvent(hook)
		if err != nil {
			return
		}
		if !decimal.MatchString(ev.UserID) || !safe.MatchString(ev.Meta.MonitorID) {
			t.Fatalf("accepted unsafe ids: user %q monitor %q", ev.UserID, ev.Meta.MonitorID)
		}
		if ev.Event == contract.EventNewTweet && !decimal.MatchString(ev.TweetID) {
			t.Fatalf("accepted tweet id %q", ev.TweetID)
		}
		_ = ev.Data.JSON()
		_ = socialdata.TweetUsers(ev.Data)
	})
}
