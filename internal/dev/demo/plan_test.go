package demo

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

const testXSecret = "main=x-consumer-secret-main"

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var socialDataTypes = []string{contract.EventJobFinished, contract.EventNewTweet, contract.EventNewFollowing, contract.EventProfileUpdate}

var xTypes = []string{xwebhook.KindTweet, xwebhook.KindFavorite, "follow", xwebhook.KindDM, "post.create", "profile.update.bio", "follow.follow", "like.create"}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantX     bool
		wantDrops bool
	}{
		{name: "make demo", cfg: Config{Duration: 3 * time.Minute, PollInterval: time.Minute, DropFraction: 0.3, Seed: 1, XSecret: testXSecret}, wantX: true, wantDrops: true},
		{name: "a short stream", cfg: Config{Duration: 6 * time.Second, PollInterval: time.Hour, DropFraction: 0.3, Seed: 7, XSecret: testXSecret}, wantX: true, wantDrops: true},
		{name: "no poller loses nothing", cfg: Config{Duration: 3 * time.Minute, DropFraction: 0.3, Seed: 1, XSecret: testXSecret}, wantX: true},
		{name: "no drop fraction loses nothing", cfg: Config{Duration: 3 * time.Minute, PollInterval: time.Minute, Seed: 1, XSecret: testXSecret}, wantX: true},
		{name: "no X secret sends no X", cfg: Config{Duration: time.Minute, PollInterval: time.Minute, DropFraction: 1, Seed: 3}, wantDrops: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := buildPlan(tc.cfg, start)
			introEnd := min(20*time.Second, tc.cfg.Duration/4)
			first := map[string]time.Duration{}
			var last time.Duration
			drops := 0
			for i, s := range p.Steps {
				require.GreaterOrEqual(t, s.At, last, "steps are in time order")
				require.LessOrEqual(t, s.At, tc.cfg.Duration)
				last = s.At
				if _, seen := first[s.EventType]; !seen {
					first[s.EventType] = s.At
				}
				if s.Drop {
					drops++
					require.Contains(t, []stepKind{kindTweet, kindFollow, kindProfile}, s.Kind, "only monitor webhooks are lost")
					require.False(t, s.intro)
					require.Nil(t, s.Repeats)
					requireRecoverable(t, p, i, tc.cfg.PollInterval)
				}
				if s.Repeats != nil {
					require.LessOrEqual(t, s.Repeats.At, s.At)
					require.Equal(t, s.Repeats.EventType, s.EventType)
					require.False(t, s.Repeats.Drop, "a re-sent event was delivered the first time")
				}
			}
			want := socialDataTypes
			if tc.wantX {
				want = append(append([]string(nil), socialDataTypes...), xTypes...)
			}
			require.Len(t, first, len(want))
			for _, typ := range want {
				require.Contains(t, first, typ)
				require.LessOrEqual(t, first[typ], introEnd+tc.cfg.Duration/20, "%s shows up in the intro", typ)
			}
			if tc.wantDrops {
				require.Positive(t, drops)
				require.True(t, hasDroppedTweet(p), "at least one tweet is lost")
			} else {
				require.Zero(t, drops)
			}
			requireJobs(t, p)
		})
	}
}

// requireRecoverable checks that a poll can recover the lost step i: a profile update must stay the current
// profile until a poll has read it.
func requireRecoverable(t *testing.T, p *plan, i int, pollInterval time.Duration) {
	t.Helper()
	s := p.Steps[i]
	require.Positive(t, pollInterval)
	if s.Kind != kindProfile {
		return
	}
	for _, later := range p.Steps[i+1:] {
		if later.Kind == kindProfile && later.Monitor.UserID == s.Monitor.UserID {
			require.GreaterOrEqual(t, later.At-s.At, pollInterval+recoveryMargin)
			return
		}
	}
}

func hasDroppedTweet(p *plan) bool {
	for _, s := range p.Steps {
		if s.Drop && s.Kind == kindTweet {
			return true
		}
	}
	return false
}

func requireJobs(t *testing.T, p *plan) {
	t.Helper()
	var flaky, failed, resent int
	for _, s := range p.Steps {
		if s.Kind != kindJob {
			continue
		}
		if s.Repeats != nil {
			resent++
			continue
		}
		require.Contains(t, p.Jobs, s.Job.ID)
		switch s.Job.Status {
		case contract.JobStatusError:
			failed++
			require.Equal(t, p.ErrorJob, s.Job.ID)
		case contract.JobStatusSuccess:
			require.NotNil(t, s.Job.Datafile)
			require.Positive(t, s.Job.Datafile.Size)
			require.LessOrEqual(t, s.Job.Datafile.Size, int64(8<<20), "datafiles stay small")
			if s.Job.Datafile.FailTimes > 0 {
				flaky++
				require.Equal(t, p.FlakyJob, s.Job.ID)
				require.Less(t, s.Job.Datafile.FailTimes, 8, "fewer failures than the fetch's attempts")
			}
		}
	}
	require.Equal(t, 1, flaky, "one datafile fails, then succeeds")
	require.Equal(t, 1, failed, "one job finished with status error")
	require.Positive(t, resent, "a job webhook is delivered twice")
}

// Every X delivery is one event the pipeline parses to the step's event type; repeats name the same run, and
// every other event is a run of its own.
func TestPlanXDeliveries(t *testing.T) {
	p := buildPlan(Config{Duration: 3 * time.Minute, PollInterval: time.Minute, DropFraction: 0.3, Seed: 1, XSecret: testXSecret}, start)
	runs := map[*step]string{}
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if s.Kind != kindX {
			continue
		}
		d, err := xwebhook.Parse(s.Body)
		require.NoError(t, err)
		require.Empty(t, d.Unknown)
		require.Len(t, d.Events, 1, s.What)
		ev := d.Events[0]
		eventType := ev.Kind
		if ev.API == xwebhook.APIActivity {
			eventType = ev.EventType
		}
		require.Equal(t, s.EventType, eventType, s.What)
		require.Equal(t, s.ForUser, ev.ForUserID, s.What)
		id := contract.XWorkflowID(ev.Kind, ev.Identity...)
		runs[s] = id
		if s.Repeats != nil {
			require.Equal(t, runs[s.Repeats], id, "%s is the same event as %s", s.What, s.Repeats.What)
			continue
		}
		require.False(t, seen[id], "%s: run %s is new", s.What, id)
		seen[id] = true
	}
	require.Len(t, seen, 12, "2 tweets, 2 likes, 2 follows, 2 DMs over AAA; 4 XAA events")
}

// Ids come from the start time, so a second demo on the same Temporal starts new runs; the seed alone decides
// what is lost.
func TestPlanIDsAreNewEveryRun(t *testing.T) {
	cfg := Config{Duration: 3 * time.Minute, PollInterval: time.Minute, DropFraction: 0.3, Seed: 1, XSecret: testXSecret}
	a, b := buildPlan(cfg, start), buildPlan(cfg, start.Add(time.Second))
	require.NotEqual(t, a.Jobs, b.Jobs)
	require.NotEqual(t, a.Monitors[0].ID, b.Monitors[0].ID)
	require.NotEqual(t, profileHash(a.Users[elonmusk.ID]), profileHash(b.Users[elonmusk.ID]))
	require.Equal(t, drops(a), drops(b))
	for i, s := range a.Steps {
		if s.Kind == kindX && s.Repeats == nil {
			require.False(t, bytes.Equal(s.Body, b.Steps[i].Body), s.What)
		}
	}
	again := buildPlan(cfg, start)
	require.Equal(t, a.Monitors, again.Monitors, "the same start and seed make the same plan")
	require.Equal(t, drops(a), drops(again))
}

func drops(p *plan) []string {
	var out []string
	for _, s := range p.Steps {
		if s.Drop {
			out = append(out, s.What)
		}
	}
	return out
}

// Monitor events name real users and carry what SocialData sends: tweets their monitored author, follows a
// user, profile updates only changed fields of the monitored user.
func TestPlanMonitorEvents(t *testing.T) {
	p := buildPlan(Config{Duration: 3 * time.Minute, PollInterval: time.Minute, Seed: 1}, start)
	byID := map[string]fakesocialdata.Monitor{}
	for _, m := range p.Monitors {
		byID[m.ID] = m
	}
	require.Len(t, byID, 3*len(monitoredUsers), "three monitors per user, ids distinct")
	for _, s := range p.Steps {
		if s.Repeats != nil {
			continue
		}
		switch s.Kind {
		case kindTweet:
			require.Equal(t, "user_tweets", s.Monitor.Type)
			require.Regexp(t, `^[0-9]{19}$`, s.Data["id_str"])
		case kindFollow:
			require.Equal(t, "user_following", s.Monitor.Type)
			require.NotEqual(t, s.Monitor.UserID, s.Data["id_str"])
		case kindProfile:
			require.Equal(t, "user_profile", s.Monitor.Type)
			for field := range s.Data {
				require.Contains(t, contract.MonitorProfileFields, field)
			}
		default:
			continue
		}
		require.Equal(t, s.Monitor, byID[s.Monitor.ID])
	}
	b, err := json.Marshal(p.Users[elonmusk.ID])
	require.NoError(t, err)
	require.Contains(t, string(b), `"id":44196397,"id_str":"44196397"`)
}
