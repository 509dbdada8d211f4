// Package demo owns `make demo`'s traffic: a realistic stream of webhooks for a few minutes, sent to a running
// pipeline by the in-repo fake SocialData API and a fake X sender. It sets up the fake's monitors and users,
// then sends job_finished webhooks with real datafiles (one failing before it succeeds, one with status error),
// monitor events (new_tweet, new_following, profile_update with changes) of which the fake loses some for the
// poller to recover, signed X Account Activity API and X Activity API deliveries, and duplicate deliveries of
// each kind. It prints a feed of what it sends, where to look, and a summary; AwaitRecovery then reports the
// lost webhooks as the poller recovers them. The stream is decided up front (plan.go) from a seed and the start time.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// DefaultDuration is how long `make demo` streams.
const DefaultDuration = 3 * time.Minute

// DefaultDropFraction is the share of monitor webhooks the fake loses in `make demo`.
const DefaultDropFraction = 0.3

// Config is a demo stream's configuration.
type Config struct {
	// IngressURL is the ingress's base URL, e.g. http://127.0.0.1:8080.
	IngressURL string
	// WebhookToken is SOCIALDATA_WEBHOOK_TOKEN.
	WebhookToken string
	// XSecret is one X_CONSUMER_SECRET entry ("secret" or "name=secret") the X deliveries are signed with;
	// empty sends no X deliveries.
	XSecret string
	// Fake is the fake SocialData API the demo drives (monitors, users, jobs, datafiles). The caller serves it
	// where SOCIALDATA_API_URL points, with its base URL set.
	Fake *fakesocialdata.Server
	// Duration is how long the stream lasts.
	Duration time.Duration
	// PollInterval is POLL_INTERVAL: the fake loses only webhooks a later poll can recover, and none when 0.
	PollInterval time.Duration
	// DropFraction is the share (0..1) of the monitor webhooks that may be lost which the fake loses.
	DropFraction float64
	// Seed makes the stream's choices (which webhooks are lost, the timing jitter) repeatable; ids come from
	// the start time, so every run is new to the pipeline.
	Seed uint64
	// Out receives the human-readable feed, guide and summary; nil prints nothing.
	Out io.Writer
	// Links are printed in the guide.
	Links Links
	// HTTPClient sends the deliveries; nil uses one with a 30 s timeout.
	HTTPClient *http.Client
}

// Links say where to look.
type Links struct {
	// WorkflowsURL is the Temporal UI's workflows page of the namespace; queries are appended to it.
	WorkflowsURL string
	// MinIOConsoleURL and Bucket locate the objects.
	MinIOConsoleURL string
	Bucket          string
}

// Summary is what a stream sent.
type Summary struct {
	Seed    uint64
	Elapsed time.Duration
	// Rows count deliveries per source and event type, in the order they first appeared.
	Rows []Row
	// Dropped are the webhooks the fake lost.
	Dropped []Dropped
	// Failed counts deliveries the ingress did not answer 200.
	Failed int
	// Jobs, FlakyJob and ErrorJob are the job ids (FlakyJob's datafile failed before it was served).
	Jobs               []int64
	FlakyJob, ErrorJob int64
	// Monitors are the fake's monitors.
	Monitors []fakesocialdata.Monitor
}

// Row counts one event type's deliveries.
type Row struct {
	Source    string
	EventType string
	// Sent reached the ingress; Dropped were lost by the fake; Duplicates are deliveries of an event
	// delivered before (re-sent, or an X event delivered for another subscribed user).
	Sent, Dropped, Duplicates int
}

// Dropped is a lost webhook and the run a poll starts for it.
type Dropped struct {
	EventType  string
	MonitorID  string
	UserID     string
	WorkflowID string
}

// Run sends cfg's stream and returns its summary when it is done, or when ctx ends (with ctx's error).
// Failed deliveries are logged and counted, not fatal.
func Run(ctx context.Context, cfg Config, logger *zap.Logger) (Summary, error) {
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	start := time.Now()
	p := buildPlan(cfg, start)
	r, err := newRunner(cfg, p, logger)
	if err != nil {
		return Summary{}, err
	}
	r.setup()
	r.printGuide()
	logger.Info("demo stream started", zap.Duration("duration", cfg.Duration), zap.Uint64("seed", cfg.Seed),
		zap.Int("deliveries", len(p.Steps)))
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for _, s := range p.Steps {
		if wait := time.Until(start.Add(s.At)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return r.summary(time.Since(start)), ctx.Err()
			case <-timer.C:
			}
		}
		if err := ctx.Err(); err != nil {
			return r.summary(time.Since(start)), err
		}
		r.send(ctx, s)
	}
	sum := r.summary(time.Since(start))
	r.printSummary(sum)
	logger.Info("demo stream done", zap.Int("dropped", len(sum.Dropped)), zap.Int("failed", sum.Failed))
	return sum, nil
}

func (c Config) validate() error {
	var errs []error
	if u, err := url.Parse(c.IngressURL); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("ingress URL %q: want an absolute URL", c.IngressURL))
	}
	if c.WebhookToken == "" {
		errs = append(errs, errors.New("the SocialData webhook token is empty"))
	}
	if c.Fake == nil {
		errs = append(errs, errors.New("no fake SocialData API"))
	}
	if c.Duration <= 0 {
		errs = append(errs, fmt.Errorf("duration %s: want a positive duration", c.Duration))
	}
	if c.DropFraction < 0 || c.DropFraction > 1 {
		errs = append(errs, fmt.Errorf("drop fraction %v: want 0..1", c.DropFraction))
	}
	if c.XSecret != "" {
		if _, err := xwebhook.ParseSecrets([]string{c.XSecret}); err != nil {
			errs = append(errs, fmt.Errorf("the X secret: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (c Config) client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}
