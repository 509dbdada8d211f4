package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
)

// The plan is the whole stream decided up front from the seed and the start time: every delivery, when it is
// sent, and which monitor webhooks the fake loses. Running it only sends.

type stepKind int

const (
	kindJob stepKind = iota
	kindTweet
	kindFollow
	kindProfile
	kindX
)

// step is one webhook delivery.
type step struct {
	At        time.Duration
	Kind      stepKind
	Source    string // contract.SourceSocialData or contract.SourceX
	EventType string // the EventType search attribute of the run the delivery starts
	What      string // what happened, for the feed
	// Monitor and Data describe a monitor event: Data is the tweet, the followed user or the changed fields.
	Monitor fakesocialdata.Monitor
	Data    map[string]any
	// Drop makes the fake lose this monitor webhook (a later poll recovers it).
	Drop bool
	// Job is the job whose job_finished webhook is sent.
	Job *fakesocialdata.Job
	// Body and ForUser are an X delivery and the subscribed user it is for.
	Body    []byte
	ForUser string
	// Repeats is the earlier delivery of the same event, when this one is a duplicate delivery.
	Repeats *step
	// intro steps open the stream with one event of each kind; they are never dropped.
	intro bool
}

// plan is a demo stream.
type plan struct {
	Start    time.Time
	Monitors []fakesocialdata.Monitor
	// Users are the monitored users' profiles at the start, as SocialData shows them.
	Users map[string]map[string]any
	Steps []*step
	// Jobs are the job ids, FlakyJob the one whose datafile fails first, ErrorJob the one with status error.
	Jobs               []int64
	FlakyJob, ErrorJob int64
}

// item makes one event's deliveries (the first at at, repeats a little later).
type item func(at time.Duration) []*step

// recoveryMargin is how long after a poll's nominal time its profile reads are surely done.
const recoveryMargin = 15 * time.Second

// flakyFailures is how many times the flaky datafile answers 500 before it is served (retries at 1, 2, 4, 8 s).
const flakyFailures = 4

type builder struct {
	cfg      Config
	p        *plan
	ids      *idSource
	rng      *rand.Rand
	monitors map[string]fakesocialdata.Monitor // user id + "/" + type → monitor
	images   map[string]string                 // user id → profile image URL
	repeatIn time.Duration
}

// buildPlan decides the stream of cfg started at start.
func buildPlan(cfg Config, start time.Time) *plan {
	b := &builder{
		cfg: cfg, p: &plan{Start: start, Users: map[string]map[string]any{}},
		ids: newIDSource(start, cfg.Seed), rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5eed)),
		monitors: map[string]fakesocialdata.Monitor{}, images: map[string]string{},
		repeatIn: min(4*time.Second, cfg.Duration/20),
	}
	for i, u := range append(slices.Clone(monitoredUsers), others...) {
		// Monitored users get a run-specific avatar, so this run's profiles (and their profile_update ids)
		// differ from an earlier demo's.
		at := u.CreatedAt.AddDate(10, 0, 0)
		if i < len(monitoredUsers) {
			at = start.Add(-time.Duration(i+1) * time.Hour)
		}
		b.images[u.ID] = imageURL(b.ids.snowflake(at), u.Handle)
	}
	for _, u := range monitoredUsers {
		b.p.Users[u.ID] = u.socialDataUser(b.images[u.ID])
		for _, typ := range []string{"user_tweets", "user_following", "user_profile"} {
			m := fakesocialdata.Monitor{ID: b.ids.monitorID(start), Type: typ, UserID: u.ID}
			b.monitors[u.ID+"/"+typ] = m
			b.p.Monitors = append(b.p.Monitors, m)
		}
	}
	categories := [][]item{b.jobs(), b.errorJob(), b.tweets(), b.follows(), b.profiles()}
	if cfg.XSecret != "" {
		categories = append(categories, b.xTweets(), b.xFavorites(), b.xFollows(), b.xDMs(),
			b.xaaPosts(), b.xaaBio(), b.xaaFollows(), b.xaaLikes())
	}
	b.schedule(categories)
	b.decideDrops()
	return b.p
}

// schedule places the first item of every category in the intro (the stream's first 20 s, or quarter), so every
// event type shows up at once, and spreads the others evenly over the rest of the stream with some jitter.
func (b *builder) schedule(categories [][]item) {
	introEnd := min(20*time.Second, b.cfg.Duration/4)
	for ci, cat := range categories {
		if len(cat) == 0 {
			continue
		}
		for _, s := range cat[0](introEnd * time.Duration(ci+1) / time.Duration(len(categories)+1)) {
			s.intro = true
			b.add(s)
		}
		rest := cat[1:]
		for k, it := range rest {
			frac := (float64(k) + 0.5 + (b.rng.Float64()-0.5)*0.6) / float64(len(rest))
			for _, s := range it(introEnd + time.Duration(frac*float64(b.cfg.Duration-introEnd))) {
				b.add(s)
			}
		}
	}
	sort.SliceStable(b.p.Steps, func(i, j int) bool { return b.p.Steps[i].At < b.p.Steps[j].At })
}

func (b *builder) add(s *step) {
	s.At = min(s.At, b.cfg.Duration)
	b.p.Steps = append(b.p.Steps, s)
}

// decideDrops picks the monitor webhooks the fake loses: only ones a later poll can recover (not when there is
// no poller), and at least one tweet.
func (b *builder) decideDrops() {
	if b.cfg.PollInterval <= 0 || b.cfg.DropFraction <= 0 {
		return
	}
	firstTweet := -1
	dropped := false
	for i, s := range b.p.Steps {
		if !b.droppable(i) {
			continue
		}
		s.Drop = b.rng.Float64() < b.cfg.DropFraction
		dropped = dropped || (s.Drop && s.Kind == kindTweet)
		if firstTweet < 0 && s.Kind == kindTweet {
			firstTweet = i
		}
	}
	if !dropped && firstTweet >= 0 {
		b.p.Steps[firstTweet].Drop = true
	}
}

// droppable says whether losing step i's webhook is recoverable and keeps the demo readable: monitor events
// only, not in the intro, not repeated later; a profile update only when the next update of that user comes
// after a poll (a poll sees only the current profile).
func (b *builder) droppable(i int) bool {
	s := b.p.Steps[i]
	if s.intro || s.Repeats != nil || (s.Kind != kindTweet && s.Kind != kindFollow && s.Kind != kindProfile) {
		return false
	}
	for _, later := range b.p.Steps[i+1:] {
		if later.Repeats == s {
			return false
		}
		if s.Kind == kindProfile && later.Kind == kindProfile && later.Monitor.UserID == s.Monitor.UserID {
			return later.At-s.At >= b.cfg.PollInterval+recoveryMargin
		}
	}
	return true
}

func (b *builder) monitor(userID, typ string) fakesocialdata.Monitor {
	return b.monitors[userID+"/"+typ]
}

// jobs are successful jobs with datafiles of a few KB to a few MB: the first fails flakyFailures times before
// it is served, one is throttled (a slow download that heartbeats), one is delivered twice.
func (b *builder) jobs() []item {
	base := b.p.Start.Unix() % 10_000_000 * 10
	specs := []struct {
		size, rate int64
		fail       int
		note       string
	}{
		{size: 512 << 10, fail: flakyFailures, note: fmt.Sprintf("its source answers 500 %d times, then serves it", flakyFailures)},
		{size: 48 << 10},
		{size: 256 << 10, note: "delivered twice"},
		{size: 1536 << 10},
		{size: 4 << 20, rate: 1 << 20, note: "a slow source: 1 MiB/s"},
		{size: 6 << 20},
	}
	var items []item
	for i, sp := range specs {
		id := base + int64(i)
		job := &fakesocialdata.Job{ID: id, Status: contract.JobStatusSuccess, Datafile: &fakesocialdata.Datafile{
			Name: strconv.FormatInt(id, 10) + ".json", Size: sp.size, Seed: uint64(id), FailTimes: sp.fail, BytesPerSecond: sp.rate,
		}}
		b.p.Jobs = append(b.p.Jobs, id)
		if sp.fail > 0 {
			b.p.FlakyJob = id
		}
		what := fmt.Sprintf("job %d finished: datafile %s", id, size(sp.size))
		if sp.note != "" {
			what += " (" + sp.note + ")"
		}
		repeat := sp.note == "delivered twice"
		items = append(items, func(at time.Duration) []*step {
			s := &step{At: at, Kind: kindJob, Source: contract.SourceSocialData, EventType: contract.EventJobFinished, What: what, Job: job}
			if !repeat {
				return []*step{s}
			}
			return []*step{s, b.repeat(s, at+b.repeatIn, fmt.Sprintf("job %d: the same webhook again", id))}
		})
	}
	return items
}

// errorJob is a job that finished with status error, delivered twice.
func (b *builder) errorJob() []item {
	id := b.p.Start.Unix()%10_000_000*10 + 9
	b.p.ErrorJob = id
	b.p.Jobs = append(b.p.Jobs, id)
	job := &fakesocialdata.Job{ID: id, Status: contract.JobStatusError, Message: "Job failed: the requested account is suspended"}
	return []item{func(at time.Duration) []*step {
		s := &step{At: at, Kind: kindJob, Source: contract.SourceSocialData, EventType: contract.EventJobFinished, Job: job,
			What: fmt.Sprintf("job %d finished with status error", id)}
		return []*step{s, b.repeat(s, at+b.repeatIn, fmt.Sprintf("job %d: the same webhook again", id))}
	}}
}

func (b *builder) repeat(of *step, at time.Duration, what string) *step {
	return &step{At: at, Kind: of.Kind, Source: of.Source, EventType: of.EventType, What: what, Monitor: of.Monitor,
		Job: of.Job, Body: of.Body, ForUser: of.ForUser, Repeats: of}
}

// roundRobin returns entry(u, k) for the k-th of count(u) entries of each monitored user, round robin: every
// user's first entry, then every user's second, and so on.
func roundRobin(count func(person) int, entry func(u person, k int) item) []item {
	var items []item
	for k := 0; ; k++ {
		added := false
		for _, u := range monitoredUsers {
			if k < count(u) {
				added = true
				items = append(items, entry(u, k))
			}
		}
		if !added {
			return items
		}
	}
}

// tweets are the monitored users' tweets, round robin; elonmusk's second tweet is delivered twice.
func (b *builder) tweets() []item {
	return roundRobin(func(u person) int { return len(tweetTexts[u.ID]) }, func(u person, k int) item {
		return b.tweet(u, tweetTexts[u.ID][k], u.ID == elonmusk.ID && k == 1)
	})
}

func (b *builder) tweet(u person, text string, twice bool) item {
	m := b.monitor(u.ID, "user_tweets")
	return func(at time.Duration) []*step {
		id := strconv.FormatInt(b.ids.snowflake(b.p.Start.Add(at)), 10)
		data := map[string]any{
			"id": json.Number(id), "id_str": id, "conversation_id_str": id, "text": nil, "full_text": text,
			"source":    `<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>`,
			"truncated": false, "in_reply_to_status_id": nil, "in_reply_to_status_id_str": nil,
			"in_reply_to_user_id": nil, "in_reply_to_user_id_str": nil, "in_reply_to_screen_name": nil,
			"quoted_status_id": nil, "quoted_status_id_str": nil, "is_quote_status": false,
			"quoted_status": nil, "retweeted_status": nil,
			"quote_count": 0, "reply_count": 0, "retweet_count": 0, "favorite_count": 0, "views_count": nil,
			"bookmark_count": 0, "lang": "en", "is_pinned": false,
			"entities": map[string]any{"user_mentions": []any{}, "urls": []any{}, "hashtags": []any{}, "symbols": []any{}},
		}
		s := &step{At: at, Kind: kindTweet, Source: contract.SourceSocialData, EventType: contract.EventNewTweet,
			Monitor: m, Data: data, What: fmt.Sprintf("@%s tweets %q", u.Handle, text)}
		if !twice {
			return []*step{s}
		}
		return []*step{s, b.repeat(s, at+b.repeatIn, fmt.Sprintf("@%s's tweet: the same webhook again", u.Handle))}
	}
}

// follows are new followings of monitored users, round robin.
func (b *builder) follows() []item {
	return roundRobin(func(u person) int { return len(followPlan[u.ID]) }, func(u person, k int) item {
		followed := followPlan[u.ID][k]
		m := b.monitor(u.ID, "user_following")
		return func(at time.Duration) []*step {
			return []*step{{At: at, Kind: kindFollow, Source: contract.SourceSocialData, EventType: contract.EventNewFollowing,
				Monitor: m, Data: followed.socialDataUser(b.images[followed.ID]),
				What: fmt.Sprintf("@%s follows @%s", u.Handle, followed.Handle)}}
		}
	})
}

// profiles are the profile updates: billgates first (the intro), elonmusk's two at both ends of the stream.
func (b *builder) profiles() []item {
	order := []struct {
		u person
		n int
	}{{billgates, 0}, {elonmusk, 0}, {nasa, 0}, {sundarpichai, 0}, {elonmusk, 1}}
	var items []item
	for _, o := range order {
		fields := profileChanges[o.u.ID][o.n]
		m := b.monitor(o.u.ID, "user_profile")
		var parts []string
		for _, k := range sortedKeys(fields) {
			parts = append(parts, fmt.Sprintf("%s → %q", k, fields[k]))
		}
		what := fmt.Sprintf("@%s changes %s", o.u.Handle, strings.Join(parts, ", "))
		items = append(items, func(at time.Duration) []*step {
			return []*step{{At: at, Kind: kindProfile, Source: contract.SourceSocialData, EventType: contract.EventProfileUpdate,
				Monitor: m, Data: fields, What: what}}
		})
	}
	return items
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// size formats n bytes as KiB or MiB.
func size(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}
