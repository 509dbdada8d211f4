package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// Outcomes of a delivery, as the feed shows them: the ingress's answer, or what the fake did.
const (
	outcomeDelivered = "delivered"
	outcomeDropped   = "dropped"
)

// runner sends a plan's deliveries and counts them.
type runner struct {
	cfg        Config
	p          *plan
	logger     *zap.Logger
	client     *http.Client
	webhookURL string
	xURL       string
	secret     xwebhook.Secret
	start      time.Time
	// users mirrors the monitored users' profiles as the fake changes them, for profile_update ids.
	users   map[string]map[string]any
	rows    []*Row
	dropped []Dropped
	failed  int
}

func newRunner(cfg Config, p *plan, logger *zap.Logger) (*runner, error) {
	base := strings.TrimRight(cfg.IngressURL, "/")
	r := &runner{
		cfg: cfg, p: p, logger: logger, client: cfg.client(), start: p.Start,
		webhookURL: base + "/webhooks/socialdata/" + url.PathEscape(cfg.WebhookToken),
		xURL:       base + "/webhooks/x",
		users:      map[string]map[string]any{},
	}
	if cfg.XSecret != "" {
		secrets, err := xwebhook.ParseSecrets([]string{cfg.XSecret})
		if err != nil {
			return nil, fmt.Errorf("the X secret: %w", err)
		}
		r.secret = secrets[0]
	}
	for id, u := range p.Users {
		r.users[id] = maps.Clone(u)
	}
	return r, nil
}

// setup gives the fake the demo's users and monitors.
func (r *runner) setup() {
	for _, u := range monitoredUsers {
		r.cfg.Fake.PutUser(r.p.Users[u.ID])
	}
	for _, m := range r.p.Monitors {
		r.cfg.Fake.AddMonitor(m)
	}
}

// send delivers s, counts it and prints it.
func (r *runner) send(ctx context.Context, s *step) {
	var out string
	var err error
	switch {
	case s.Kind == kindJob:
		r.cfg.Fake.PutJob(*s.Job)
		out, err = answer(fakesocialdata.PostWebhook(ctx, r.client, r.webhookURL, r.cfg.Fake.JobFinishedWebhook(*s.Job)))
	case s.Kind == kindX:
		out, err = answer(xwebhook.Post(ctx, r.client, r.xURL, s.Body, xwebhook.Sign(r.secret, s.Body)))
	case s.Repeats != nil:
		out, err = answer(fakesocialdata.PostWebhook(ctx, r.client, r.webhookURL, monitorBody(s.Repeats)))
	default:
		out, err = r.emit(ctx, s)
	}
	if ctx.Err() != nil {
		return // stopped mid-delivery: neither counted nor reported
	}
	r.count(s, out, err)
	r.printStep(s, out, err)
}

// emit makes the fake produce a monitor event and send its webhook, or lose it.
func (r *runner) emit(ctx context.Context, s *step) (string, error) {
	drop := s.Drop
	if drop && s.Kind == kindFollow && r.cfg.Fake.Requests("/twitter/user/"+s.Monitor.UserID+"/following") == 0 {
		// No poll has read this following list yet, so none could tell this follow is new: deliver it.
		drop = false
		r.logger.Debug("follow delivered: no following baseline yet", zap.String("monitor_id", s.Monitor.ID))
	}
	lose := 0.0
	if drop {
		lose = 1
	}
	r.cfg.Fake.SetWebhook(r.webhookURL, lose, r.cfg.Seed)
	var delivered bool
	var err error
	switch s.Kind {
	case kindTweet:
		delivered, err = r.cfg.Fake.EmitTweet(ctx, s.Monitor.ID, s.Data)
	case kindFollow:
		delivered, err = r.cfg.Fake.EmitFollowing(ctx, s.Monitor.ID, s.Data)
	default:
		maps.Copy(r.users[s.Monitor.UserID], s.Data)
		delivered, err = r.cfg.Fake.EmitProfileUpdate(ctx, s.Monitor.ID, s.Data)
	}
	switch {
	case err != nil:
		return "", err
	case delivered:
		return outcomeDelivered, nil
	}
	r.dropped = append(r.dropped, r.droppedEvent(s))
	return outcomeDropped, nil
}

// droppedEvent names the run a poll starts for a lost webhook.
func (r *runner) droppedEvent(s *step) Dropped {
	d := Dropped{EventType: s.EventType, MonitorID: s.Monitor.ID, UserID: s.Monitor.UserID}
	switch s.Kind {
	case kindTweet:
		d.WorkflowID = contract.TweetWorkflowID(s.Monitor.ID, s.Data["id_str"].(string))
	case kindFollow:
		d.UserID = s.Data["id_str"].(string)
		d.WorkflowID = contract.FollowingWorkflowID(s.Monitor.ID, d.UserID)
	default:
		d.WorkflowID = contract.ProfileUpdateWorkflowID(d.UserID, profileHash(r.users[d.UserID]))
	}
	return d
}

// profileHash is the pipeline's hash of a SocialData user object.
func profileHash(user map[string]any) string {
	b, _ := json.Marshal(user) // strings, numbers, bools and nulls: cannot fail
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields)
	return contract.ProfileHash(fields)
}

// monitorBody is the webhook the fake sent for s, byte for byte (the fake completed s.Data when it emitted it).
func monitorBody(s *step) []byte {
	b, _ := json.Marshal(map[string]any{"event": s.EventType, "data": s.Data, "meta": map[string]any{
		"monitor_id": s.Monitor.ID, "monitor_type": s.Monitor.Type, "monitored_id_str": s.Monitor.UserID}})
	return b
}

// answer turns the ingress's answer to a delivery into its status ("accepted", "duplicate", …); anything but
// a 200 is an error carrying the answer.
func answer(code int, raw []byte, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("ingress answered %d: %s", code, strings.TrimSpace(string(raw)))
	}
	var a struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(raw, &a)
	return a.Status, nil
}

func (r *runner) count(s *step, out string, err error) {
	row := r.row(s.Source, s.EventType)
	switch {
	case err != nil:
		r.failed++
		r.logger.Warn("demo delivery failed", zap.String("event_type", s.EventType), zap.String("what", s.What), zap.Error(err))
	case out == outcomeDropped:
		row.Dropped++
	default:
		row.Sent++
		if s.Repeats != nil {
			row.Duplicates++
		}
	}
	r.logger.Debug("demo delivery", zap.String("source", s.Source), zap.String("event_type", s.EventType),
		zap.String("what", s.What), zap.String("outcome", out))
}

func (r *runner) row(source, eventType string) *Row {
	for _, row := range r.rows {
		if row.Source == source && row.EventType == eventType {
			return row
		}
	}
	row := &Row{Source: source, EventType: eventType}
	r.rows = append(r.rows, row)
	return row
}

func (r *runner) summary(elapsed time.Duration) Summary {
	s := Summary{
		Seed: r.cfg.Seed, Elapsed: elapsed, Dropped: append([]Dropped(nil), r.dropped...), Failed: r.failed,
		Jobs: r.p.Jobs, FlakyJob: r.p.FlakyJob, ErrorJob: r.p.ErrorJob, Monitors: r.p.Monitors,
	}
	for _, row := range r.rows {
		s.Rows = append(s.Rows, *row)
	}
	return s
}
