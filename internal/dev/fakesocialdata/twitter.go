package fakesocialdata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fake's Twitter-data side: monitors, users, timelines and following lists that the poller reads, and
// Emit* methods that change them the way the real world does and send the monitor's webhook — unless the
// configured drop fraction loses it, as a proxy error or downtime would.

const (
	monitorsPerPage = 50
	itemsPerPage    = 20
)

// Monitor is a monitor the fake knows.
type Monitor struct {
	ID     string
	Type   string // user_tweets | user_following | user_profile | anything else
	UserID string
}

// Emitted is one event the fake produced, delivered or not.
type Emitted struct {
	Event     string
	MonitorID string
	// ID is the tweet id, the followed user's id, or the updated user's id.
	ID        string
	Delivered bool
}

type twitterState struct {
	monitors  []Monitor
	users     map[string]map[string]any
	timelines map[string][]map[string]any // user id → tweets, newest first
	following map[string][]map[string]any // user id → followed users, newest first
	emitted   []Emitted

	webhookURL string
	drop       float64
	rng        *rand.Rand

	failNext   int
	failStatus int
	noBalance  bool
}

func (s *Server) tw() *twitterState {
	if s.twitter == nil {
		s.twitter = &twitterState{
			users: map[string]map[string]any{}, timelines: map[string][]map[string]any{},
			following: map[string][]map[string]any{}, rng: rand.New(rand.NewPCG(1, 2)),
		}
	}
	return s.twitter
}

// AddMonitor registers a monitor.
func (s *Server) AddMonitor(m Monitor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tw().monitors = append(s.tw().monitors, m)
}

// PutUser stores a user object (it must have "id_str").
func (s *Server) PutUser(u map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tw().users[u["id_str"].(string)] = clone(u)
}

// AddTweet puts a tweet on its author's timeline without sending any webhook.
func (s *Server) AddTweet(userID string, tweet map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addTweetLocked(userID, tweet)
}

func (s *Server) addTweetLocked(userID string, tweet map[string]any) {
	t := s.tw()
	t.timelines[userID] = append([]map[string]any{tweet}, t.timelines[userID]...)
	sortTimeline(t.timelines[userID])
}

// SetWebhook makes Emit* post to url, losing a drop fraction (0..1) of the webhooks; seed makes the losses
// repeatable.
func (s *Server) SetWebhook(url string, drop float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tw()
	t.webhookURL, t.drop, t.rng = url, drop, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Emitted returns every event produced so far.
func (s *Server) Emitted() []Emitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Emitted(nil), s.tw().emitted...)
}

// FailNext makes the next n API requests (not datafiles) answer status (429, 500, 402, …).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tw().failNext, s.tw().failStatus = n, status
}

// SetBalanceExhausted makes every API request answer 402 until turned off.
func (s *Server) SetBalanceExhausted(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tw().noBalance = on
}

// EmitTweet publishes a new tweet by the monitored user and sends new_tweet for it.
func (s *Server) EmitTweet(ctx context.Context, monitorID string, tweet map[string]any) (bool, error) {
	s.mu.Lock()
	m, ok := s.monitorLocked(monitorID)
	if !ok {
		s.mu.Unlock()
		return false, fmt.Errorf("no monitor %s", monitorID)
	}
	if _, set := tweet["user"]; !set {
		tweet["user"] = clone(s.tw().users[m.UserID])
	}
	if _, set := tweet["tweet_created_at"]; !set {
		tweet["tweet_created_at"] = s.now().UTC().Format(TimeLayout)
	}
	s.addTweetLocked(m.UserID, tweet)
	s.mu.Unlock()
	return s.emit(ctx, m, "new_tweet", tweet["id_str"].(string), tweet)
}

// EmitFollowing makes the monitored user follow followed and sends new_following.
func (s *Server) EmitFollowing(ctx context.Context, monitorID string, followed map[string]any) (bool, error) {
	s.mu.Lock()
	m, ok := s.monitorLocked(monitorID)
	if !ok {
		s.mu.Unlock()
		return false, fmt.Errorf("no monitor %s", monitorID)
	}
	t := s.tw()
	t.following[m.UserID] = append([]map[string]any{clone(followed)}, t.following[m.UserID]...)
	s.mu.Unlock()
	return s.emit(ctx, m, "new_following", followed["id_str"].(string), followed)
}

// EmitProfileUpdate changes the monitored user's fields and sends profile_update with the changes.
func (s *Server) EmitProfileUpdate(ctx context.Context, monitorID string, fields map[string]any) (bool, error) {
	s.mu.Lock()
	m, ok := s.monitorLocked(monitorID)
	if !ok {
		s.mu.Unlock()
		return false, fmt.Errorf("no monitor %s", monitorID)
	}
	user, known := s.tw().users[m.UserID]
	if !known {
		s.mu.Unlock()
		return false, fmt.Errorf("monitor %s: user %s was never stored (PutUser)", monitorID, m.UserID)
	}
	changes := map[string]any{}
	for k, v := range fields {
		changes[k] = map[string]any{"old": user[k], "new": v}
		user[k] = v
	}
	data := clone(user)
	data["changes"] = changes
	s.mu.Unlock()
	return s.emit(ctx, m, "profile_update", m.UserID, data)
}

func (s *Server) emit(ctx context.Context, m Monitor, event, id string, data map[string]any) (bool, error) {
	s.mu.Lock()
	t := s.tw()
	deliver := t.webhookURL != "" && t.rng.Float64() >= t.drop
	url := t.webhookURL
	t.emitted = append(t.emitted, Emitted{Event: event, MonitorID: m.ID, ID: id})
	idx := len(t.emitted) - 1
	s.mu.Unlock()
	if !deliver {
		return false, nil
	}
	body := marshal(map[string]any{"event": event, "data": data,
		"meta": map[string]any{"monitor_id": m.ID, "monitor_type": m.Type, "monitored_id_str": m.UserID}})
	status, resp, err := PostWebhook(ctx, http.DefaultClient, url, body)
	if err != nil {
		return false, err
	}
	if status != http.StatusOK {
		return false, fmt.Errorf("webhook %s answered %d: %s", event, status, resp)
	}
	s.mu.Lock()
	s.tw().emitted[idx].Delivered = true
	s.mu.Unlock()
	return true, nil
}

func (s *Server) monitorLocked(id string) (Monitor, bool) {
	for _, m := range s.tw().monitors {
		if m.ID == id {
			return m, true
		}
	}
	return Monitor{}, false
}

// apiFault answers an injected failure, if one is due.
func (s *Server) apiFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	t := s.tw()
	status := 0
	switch {
	case t.noBalance:
		status = http.StatusPaymentRequired
	case t.failNext > 0:
		t.failNext--
		status = t.failStatus
	}
	s.mu.Unlock()
	switch status {
	case 0:
		return false
	case http.StatusPaymentRequired:
		writeJSON(w, status, map[string]string{"status": "error", "message": "Insufficient balance"})
	case http.StatusTooManyRequests:
		writeJSON(w, status, map[string]string{"status": "error", "message": "Too Many Requests"})
	default:
		writeJSON(w, status, map[string]string{"status": "error", "message": "injected failure"})
	}
	return true
}

// getMonitors answers GET /monitors?page=N.
func (s *Server) getMonitors(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	s.mu.Lock()
	all := s.tw().monitors
	last := (len(all) + monitorsPerPage - 1) / monitorsPerPage
	if last == 0 {
		last = 1
	}
	var data []map[string]any
	for i := (page - 1) * monitorsPerPage; i < len(all) && i < page*monitorsPerPage; i++ {
		m := all[i]
		data = append(data, map[string]any{
			"id": m.ID, "created_at": "2026-01-01T00:00:00.000000Z", "monitor_type": m.Type,
			"parameters": map[string]any{"user_id": m.UserID}, "webhook_url": nil,
		})
	}
	s.mu.Unlock()
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{
		"page": page, "last_page": last, "items_count": len(all)}})
}

// getTwitterUser answers GET /twitter/user/{id}[/tweets|/tweets-and-replies|/following].
func (s *Server) getTwitterUser(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/twitter/user/"), "/")
	id := parts[0]
	s.mu.Lock()
	t := s.tw()
	user, known := t.users[id]
	var list []map[string]any
	key := "tweets"
	if len(parts) > 1 {
		switch parts[1] {
		case "tweets", "tweets-and-replies":
			list = t.timelines[id]
		case "following":
			list, key = t.following[id], "users"
		default:
			known = false
		}
	}
	list = append([]map[string]any(nil), list...)
	user = clone(user)
	s.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "User not found"})
		return
	}
	if len(parts) == 1 {
		writeJSON(w, http.StatusOK, user)
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	offset = max(offset, 0)
	end := min(offset+itemsPerPage, len(list))
	if offset > end {
		offset = end
	}
	next := ""
	if end < len(list) {
		next = strconv.Itoa(end)
	}
	page := list[offset:end]
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: page, "next_cursor": next})
}

// TimeLayout is SocialData's timestamp format.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

func sortTimeline(tweets []map[string]any) {
	// Newest first by tweet_created_at; insertion keeps ties stable.
	for i := 1; i < len(tweets); i++ {
		for j := i; j > 0 && createdAt(tweets[j]).After(createdAt(tweets[j-1])); j-- {
			tweets[j], tweets[j-1] = tweets[j-1], tweets[j]
		}
	}
}

func createdAt(t map[string]any) time.Time {
	s, _ := t["tweet_created_at"].(string)
	at, _ := time.Parse(TimeLayout, s)
	return at
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
