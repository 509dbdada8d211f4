package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts"
)

// drainSetting is one drainer configuration the drain phase measures.
type drainSetting struct {
	name        string
	rate        float64
	concurrency int
}

// drainRun is what drains of a backlog measured, summed over the drains of one setting.
type drainRun struct {
	// lat holds every live webhook's answer time, acceptedLat those answered "accepted", liveSecs how long
	// they were sent for.
	lat, acceptedLat []time.Duration
	// delay holds every live webhook's time from being sent to its run's start (Temporal's StartTime): for
	// one answered "spooled", how long it waited behind the backlog.
	delay []time.Duration
	// sent is when each live webhook (by job id) was sent.
	sent     map[int64]time.Time
	liveSecs float64
	// leftAtStop sums what the spool held when live webhooks stopped at c.drainLiveMax (0: it was empty).
	leftAtStop int
	// spooled counts live webhooks answered "spooled" instead of "accepted"; errors those not answered 200.
	spooled, errors int
	// drained counts the records that left the spool (backlog and spooled live ones) in drainSecs.
	drained   int
	drainSecs float64
	// events are the events sent (backlog and live answered 200); runs, completed and manifests what the
	// pipeline has for them.
	events, runs, completed, manifests int
}

func (d *drainRun) add(o drainRun) {
	d.lat = append(d.lat, o.lat...)
	d.acceptedLat = append(d.acceptedLat, o.acceptedLat...)
	d.delay = append(d.delay, o.delay...)
	d.leftAtStop += o.leftAtStop
	d.liveSecs += o.liveSecs
	d.spooled += o.spooled
	d.errors += o.errors
	d.drained += o.drained
	d.drainSecs += o.drainSecs
	d.events += o.events
	d.runs += o.runs
	d.completed += o.completed
	d.manifests += o.manifests
}

// drainPhase measures live webhooks while a backlog of spooled webhooks drains, with the old drainer (no rate
// cap, one start at a time) against the configured defaults (SPOOL_DRAIN_RATE, SPOOL_DRAIN_CONCURRENCY).
//
// Each drain starts from a fresh spool holding c.drainBacklog job_finished bodies, put straight into it as
// an outage would have left them, and a fresh ingress over it (the real handler, its Drain loop at
// SPOOL_DRAIN_INTERVAL, the production START_TIMEOUT) starting workflows for the real eager worker and
// worker. Meanwhile live job_finished webhooks go to that ingress over HTTP at c.drainLive per second, each
// on its own goroutine (a steady arrival rate, not a closed loop that slows down with the server), until the
// spool is empty — or for at most c.drainLiveMax: once one live start times out, the ingress is degraded and
// spools every live webhook until the spool is empty, which a drain no faster than the arrivals never gets to.
// The drains alternate the settings in ABBA order (c.drainRounds drains in all: 2 runs each once, the old
// drainer first), and each waits for every run of its events to complete before the next begins, so none
// inherits another's tail.
func drainPhase(ctx context.Context, stack *testenv.Stack, c config, report func(string)) error {
	cfg := stack.Config
	settings := []drainSetting{
		{name: "uncapped, 1 at once (old drainer)", rate: 0, concurrency: 1},
		{name: fmt.Sprintf("%g/s, %d at once (defaults)", cfg.SpoolDrainRate, cfg.SpoolDrainConcurrency),
			rate: cfg.SpoolDrainRate, concurrency: cfg.SpoolDrainConcurrency},
	}
	stop, err := startPipeline(ctx, stack)
	if err != nil {
		return err
	}
	defer stop()
	// Each drain's job ids share a 13-digit prefix, longer than any id another phase uses, so a visibility
	// prefix query and a MinIO listing find exactly that drain's events.
	base := 1_000_000_000_000 + time.Now().UnixNano()/int64(time.Millisecond)%100_000_000*10_000
	sums := make([]drainRun, len(settings))
	for r := range c.drainRounds {
		k := r % 2
		if r/2%2 == 1 {
			k = 1 - k
		}
		d, err := drainOnce(ctx, stack, c, settings[k], base+int64(r))
		if err != nil {
			return fmt.Errorf("drain %d (%s): %w", r+1, settings[k].name, err)
		}
		fmt.Printf("drain %d/%d, %s: %d in %.1fs, live %d (%d spooled, %d errors)\n",
			r+1, c.drainRounds, settings[k].name, d.drained, d.drainSecs, len(d.lat), d.spooled, d.errors)
		sums[k].add(d)
	}
	var live []result
	for k, s := range settings {
		d := sums[k]
		if len(d.lat) == 0 {
			continue
		}
		r := summarize("live webhooks while draining, "+s.name, d.liveSecs, d.lat, d.errors)
		live = append(live, r)
		report(r.String())
		accepted := "none accepted"
		if len(d.acceptedLat) > 0 {
			a := summarize("", 0, d.acceptedLat, 0)
			accepted = fmt.Sprintf("accepted ones p50 %.0fms p99 %.0fms", ms(a.p50), ms(a.p99))
		}
		if len(d.delay) > 0 {
			dl := summarize("live webhook sent -> its run started, "+s.name, d.liveSecs, d.delay, 0)
			report(dl.String())
		}
		stopped := "spool empty while live ones were sent"
		if d.leftAtStop > 0 {
			stopped = fmt.Sprintf("live ones stopped at the %s cap, %d still spooled then", c.drainLiveMax, d.leftAtStop)
		}
		report(fmt.Sprintf("DRAIN %s: %d drained (%d backlog + %d live spooled) in %.1fs = %.1f/s; live max %.0fms, "+
			"%d of %d answered \"spooled\", %s; %s; runs %d, completed %d, manifests %d for %d events",
			s.name, d.drained, d.drained-d.spooled, d.spooled, d.drainSecs, float64(d.drained)/d.drainSecs,
			ms(d.lat[len(d.lat)-1]), d.spooled, len(d.lat), accepted, stopped, d.runs, d.completed, d.manifests, d.events))
	}
	if len(live) == 2 {
		report(fmt.Sprintf("RATIO live p99 while draining, defaults / uncapped = %.2f; live answered \"spooled\": %d of %d vs %d of %d",
			float64(live[1].p99)/float64(live[0].p99), sums[1].spooled, live[1].count, sums[0].spooled, live[0].count))
	}
	return nil
}

// drainOnce drains one backlog with one setting; see drainPhase. Job ids are prefix*1e6 + i: the backlog's
// from 0, the live ones' from 500,000.
func drainOnce(ctx context.Context, stack *testenv.Stack, c config, s drainSetting, prefix int64) (drainRun, error) {
	dir, err := os.MkdirTemp("", "bench-drain-")
	if err != nil {
		return drainRun{}, err
	}
	defer os.RemoveAll(dir)
	sp, err := spool.Open(filepath.Join(dir, "ingress.db"))
	if err != nil {
		return drainRun{}, err
	}
	defer sp.Close()
	base := prefix * 1_000_000
	received := time.Now().UTC()
	// "socialdata" is the route SocialData webhooks come in by, which names their spool records.
	if _, _, errs := timed(c.drainBacklog, c.concurrency, func(i int) error {
		return sp.Put(spool.Record{Source: "socialdata", Body: jobBody(base + int64(i)), ReceivedAt: received})
	}); errs > 0 {
		return drainRun{}, fmt.Errorf("%d spool writes failed", errs)
	}

	opts, err := ingress.OptionsFrom(stack.Config)
	if err != nil {
		return drainRun{}, err
	}
	opts.Spool, opts.DrainRate, opts.DrainConcurrency = sp, s.rate, s.concurrency
	srv := ingress.New(opts, stack.Client, stack.Store, stack.Logger)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: opts.StartTimeout + 20*time.Second}
	url := hs.URL + "/webhooks/socialdata/" + testenv.WebhookToken

	// The end of the outage that left the backlog: Temporal is down (killed) when one more webhook arrives, so
	// the ingress spools it after START_TIMEOUT and turns degraded, as in production; then Temporal comes back
	// and the drainer starts.
	if err := stack.KillTemporal(); err != nil {
		return drainRun{}, fmt.Errorf("stop temporal: %w", err)
	}
	code, resp, err := fakesocialdata.PostWebhook(ctx, hc, url, jobBody(base+499_999))
	if err != nil || code != http.StatusOK || !jsonHas(resp, "spooled") {
		return drainRun{}, fmt.Errorf("webhook during the outage: %d %s %v (want 200 spooled)", code, resp, err)
	}
	if err := stack.StartTemporalAgain(ctx); err != nil {
		return drainRun{}, fmt.Errorf("restart temporal: %w", err)
	}
	backlog := c.drainBacklog + 1

	drainCtx, stopDrain := context.WithCancel(ctx)
	var drainer sync.WaitGroup
	defer func() { stopDrain(); drainer.Wait() }()
	start := time.Now()
	drainer.Go(func() { srv.Drain(drainCtx, stack.Config.SpoolDrainInterval) })

	d := drainRun{drained: backlog, sent: map[int64]time.Time{}}
	var mu sync.Mutex
	var live sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.drainLive))
	defer tick.Stop()
	for n := 0; sp.Len() > 0; n++ {
		if time.Since(start) > c.drainLiveMax {
			d.leftAtStop = sp.Len()
			break
		}
		select {
		case <-ctx.Done():
			live.Wait()
			return drainRun{}, ctx.Err()
		case <-tick.C:
		}
		id := base + 500_000 + int64(n)
		live.Go(func() {
			t := time.Now()
			code, resp, err := fakesocialdata.PostWebhook(ctx, hc, url, jobBody(id))
			lat := time.Since(t)
			mu.Lock()
			defer mu.Unlock()
			d.lat = append(d.lat, lat)
			d.sent[id] = t
			switch {
			case err != nil || code != http.StatusOK:
				d.errors++
			case jsonHas(resp, "spooled"):
				d.spooled++
				d.events++
			case jsonHas(resp, starts.Accepted):
				d.events++
				d.acceptedLat = append(d.acceptedLat, lat)
			default:
				d.errors++
			}
		})
	}
	d.liveSecs = time.Since(start).Seconds()
	live.Wait()
	// A live webhook answered "spooled" after the backlog was gone is in the spool again: the drain is over when
	// the spool is empty with no live webhook in flight.
	for sp.Len() > 0 {
		select {
		case <-ctx.Done():
			return drainRun{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	d.drainSecs = time.Since(start).Seconds()
	d.drained += d.spooled
	d.events += backlog
	if n := sp.Dead(); n > 0 {
		return d, fmt.Errorf("%d spooled webhooks set aside as dead", n)
	}
	if err := verifyDrain(ctx, stack, prefix, &d); err != nil {
		return d, err
	}
	return d, liveDelays(ctx, stack, prefix, &d)
}

// liveDelays fills d.delay from the live runs' start times (their job ids are prefix*1e6 + 500,000 + n, so
// their workflow IDs start with "socialdata-job-<prefix>5").
func liveDelays(ctx context.Context, stack *testenv.Stack, prefix int64, d *drainRun) error {
	req := &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId STARTS_WITH 'socialdata-job-%d5'", prefix), PageSize: 1000,
	}
	for {
		resp, err := stack.Client.ListWorkflow(ctx, req)
		if err != nil {
			return fmt.Errorf("list live runs: %w", err)
		}
		for _, info := range resp.GetExecutions() {
			id, err := strconv.ParseInt(strings.TrimPrefix(info.GetExecution().GetWorkflowId(), "socialdata-job-"), 10, 64)
			if t, ok := d.sent[id]; ok && err == nil {
				d.delay = append(d.delay, info.GetStartTime().AsTime().Sub(t))
			}
		}
		if req.NextPageToken = resp.GetNextPageToken(); len(req.NextPageToken) == 0 {
			return nil
		}
	}
}

// verifyDrain checks that each of d.events has exactly one run, completed, and one manifest: the job ids are
// distinct, so as many runs as events, each event with a manifest, means one run each. Visibility is
// eventually consistent, and the last runs may still be going: it polls for up to two minutes.
func verifyDrain(ctx context.Context, stack *testenv.Stack, prefix int64, d *drainRun) error {
	ids := fmt.Sprintf("WorkflowId STARTS_WITH 'socialdata-job-%d'", prefix)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		completed, err := stack.Count(ctx, ids+" AND ExecutionStatus = 'Completed'")
		if err != nil {
			return err
		}
		d.completed = int(completed)
		if d.completed >= d.events || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	runs, err := stack.Count(ctx, ids)
	if err != nil {
		return err
	}
	d.runs = int(runs)
	keys, err := stack.Store.List(ctx, fmt.Sprintf("datafiles/%d", prefix))
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/manifest.json") {
			d.manifests++
		}
	}
	if d.runs != d.events || d.completed != d.events || d.manifests != d.events {
		return fmt.Errorf("%d events, but %d runs (%d completed) and %d manifests", d.events, d.runs, d.completed, d.manifests)
	}
	return nil
}
