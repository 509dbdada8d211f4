package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/worker"
)

// result is one measured phase.
type result struct {
	name     string
	count    int
	seconds  float64
	p50, p99 time.Duration
	errors   int
	// firstErr is the first of the errors, if any.
	firstErr error
}

func (r result) rate() float64 { return float64(r.count) / r.seconds }

func (r result) String() string {
	s := fmt.Sprintf("%-44s %6d in %6.2fs = %8.1f/s   p50 %7.2fms   p99 %7.2fms   errors %d",
		r.name, r.count, r.seconds, r.rate(), ms(r.p50), ms(r.p99), r.errors)
	if r.firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", r.firstErr)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measure runs op(i) for i in [0,n) with c concurrent callers and returns rate and latency percentiles.
func measure(name string, n, c int, op func(i int) error) result {
	secs, lat, errs := timed(n, c, op)
	return summarize(name, secs, lat, errs)
}

// rounds measures several series interleaved: round r runs every series' ops [r*n/rounds, (r+1)*n/rounds) in
// turn — in reverse order in odd rounds (ABBA), so neither series always goes first — and drift over the run
// (a growing database, background compaction, another process) falls on every series alike instead of on
// whichever ran last. Each series is summarized over all its rounds.
func rounds(n, c, rounds int, names []string, ops []func(i int) error) []result {
	secs := make([]float64, len(ops))
	lat := make([][]time.Duration, len(ops))
	errs := make([]int, len(ops))
	first := make([]firstError, len(ops))
	for r := range rounds {
		lo, hi := r*n/rounds, (r+1)*n/rounds
		for j := range ops {
			k := j
			if r%2 == 1 {
				k = len(ops) - 1 - j
			}
			op, fe := ops[k], &first[k]
			s, l, e := timed(hi-lo, c, func(i int) error { return fe.keep(op(lo + i)) })
			secs[k] += s
			lat[k] = append(lat[k], l...)
			errs[k] += e
		}
	}
	out := make([]result, len(ops))
	for k := range ops {
		out[k] = summarize(names[k], secs[k], lat[k], errs[k])
		out[k].firstErr = first[k].err
	}
	return out
}

// firstError keeps the first error of a series.
type firstError struct {
	mu  sync.Mutex
	err error
}

// keep records err if it is the first and returns it.
func (f *firstError) keep(err error) error {
	if err != nil {
		f.mu.Lock()
		if f.err == nil {
			f.err = err
		}
		f.mu.Unlock()
	}
	return err
}

// timed runs op(i) for i in [0,n) with c concurrent callers and returns the wall time, every latency and the
// number of errors.
func timed(n, c int, op func(i int) error) (float64, []time.Duration, int) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := op(i); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	return time.Since(start).Seconds(), lat, int(errs.Load())
}

func summarize(name string, secs float64, lat []time.Duration, errs int) result {
	n := len(lat)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{name: name, count: n, seconds: secs, p50: lat[n/2], p99: lat[n*99/100], errors: errs}
}

func run(ctx context.Context, c config) error {
	for t := range c.topologies {
		if t != "dev" && t != "prod" {
			return fmt.Errorf("-topology: %q is neither dev nor prod", t)
		}
	}
	fmt.Printf("machine: %d CPUs, %s; concurrency %d\n", runtime.NumCPU(), runtime.Version(), c.concurrency)
	var lines []string
	report := func(s string) { fmt.Println(s); lines = append(lines, s) }
	var servers []figures
	if c.topologies["dev"] {
		label := ""
		if c.topologies["prod"] {
			label = "[dev] "
		}
		f, err := devRun(ctx, c, label, report)
		if err != nil {
			return err
		}
		servers = append(servers, f)
	}
	if c.topologies["prod"] {
		fs, err := prodRun(ctx, c, report)
		servers = append(servers, fs...)
		if err != nil {
			return err
		}
	}
	fmt.Println("\nSUMMARY")
	for _, l := range lines {
		fmt.Println(l)
	}
	if c.topologies["prod"] {
		for _, f := range servers {
			printTable(os.Stdout, f)
		}
		fmt.Println()
		printSideBySide(os.Stdout, servers)
	}
	return nil
}

// devRun runs the selected phases on the dev-server stack (testenv): the whole of `make bench`. The accept and
// end-to-end lines are prefixed with label.
func devRun(ctx context.Context, c config, label string, report func(string)) (figures, error) {
	f := figures{name: "dev server (SQLite)"}
	stack, err := testenv.Start(ctx, testenv.Options{PersistentTemporal: true, NoWorker: true})
	if err != nil {
		return f, err
	}
	defer stack.Close()
	if c.phases["start"] {
		cpu := takeCPU()
		if f.bare, f.accept, err = acceptPhase(ctx, stack, c); err != nil {
			return f, err
		}
		reportAccept(report, label, f.bare, f.accept)
		report(label + cpu.cpuSince())
	}
	if c.phases["e2e"] {
		cpu := takeCPU()
		if err := e2ePhase(ctx, stack, c, &f); err != nil {
			return f, err
		}
		reportE2E(report, label, f)
		report(label + cpu.cpuSince())
	}
	if c.phases["datafile"] {
		if err := datafilePhase(ctx, stack, c, report); err != nil {
			return f, err
		}
	}
	if c.phases["drain"] {
		if err := drainPhase(ctx, stack, c, report); err != nil {
			return f, err
		}
	}
	if c.phases["spool"] {
		r, err := spoolPhase(ctx, stack, c)
		if err != nil {
			return f, err
		}
		report(r.String())
		report(fmt.Sprintf("RATIO spool accepts/s = %.0f (target >= 5000), p99 = %.2fms (target < 20ms)", r.rate(), ms(r.p99)))
	}
	return f, nil
}

// jobBody is a job_finished webhook for a failed job: the lightest event (archive and manifest).
func jobBody(id int64) []byte {
	b, _ := json.Marshal(map[string]any{"event": "job_finished", "data": map[string]any{"job_id": id, "status": "error", "message": "m"}})
	return b
}

// acceptPhase measures bare starts against an ingress (the real handler on the stack's configuration, in the
// bench process) accepting the same number of webhooks; see acceptRounds.
func acceptPhase(ctx context.Context, stack *testenv.Stack, c config) (result, result, error) {
	opts, err := ingress.OptionsFrom(stack.Config)
	if err != nil {
		return result{}, result{}, err
	}
	opts.TaskQueue = noWorkerQueue
	srv := httptest.NewServer(ingress.New(opts, stack.Client, stack.Store, stack.Logger).Handler())
	defer srv.Close()
	bare, acc := acceptRounds(ctx, c, stack.Client, []string{srv.URL + "/webhooks/socialdata/" + testenv.WebhookToken})
	return bare, acc, nil
}

// noWorkerQueue is the task queue of the accept phase's starts, bare and the ingresses': no worker polls it, so
// only the start path is measured.
const noWorkerQueue = "bench-no-worker"

// acceptRounds measures bare starts from an SDK loop on cl against the ingresses at urls (webhook i goes to
// urls[i%len(urls)]) accepting the same number of webhooks, interleaved in c.rounds rounds (see rounds). Both
// start on noWorkerQueue, the ingresses because they are configured so. A webhook not answered "accepted"
// (e.g. spooled) is an error.
func acceptRounds(ctx context.Context, c config, cl client.Client, urls []string) (result, result) {
	base := time.Now().UnixNano() % 1_000_000_000 * 100
	bare := func(i int) error {
		_, err := cl.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("bench-bare-%d", base+int64(i)), TaskQueue: noWorkerQueue,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, contract.JobWorkflowName, contract.JobInput{JobID: base + int64(i), Status: "error"})
		return err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency}, Timeout: 30 * time.Second}
	accept := func(i int) error {
		return postAccepted(ctx, hc, urls[i%len(urls)], jobBody(base+int64(c.starts+i)))
	}
	name := "ingress accept (HTTP webhook -> start)"
	if len(urls) > 1 {
		name = fmt.Sprintf("ingress accept, round-robin over %d", len(urls))
	}
	rs := rounds(c.starts, c.concurrency, c.rounds, []string{"bare StartWorkflow (SDK loop)", name},
		[]func(int) error{bare, accept})
	return rs[0], rs[1]
}

// reportAccept reports the accept phase's figures and ratios, each line prefixed with label.
func reportAccept(report func(string), label string, bare, acc result) {
	report(label + bare.String())
	report(label + acc.String())
	report(fmt.Sprintf("%sRATIO ingress accept rate / bare StartWorkflow = %.2f (target >= 0.90); p99 ratio = %.2f (target <= 1.20)",
		label, acc.rate()/bare.rate(), float64(acc.p99)/float64(bare.p99)))
}

// Noop is the baseline: one workflow with one no-op activity.
func Noop(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, "NoopActivity").Get(ctx, nil)
}

// e2ePhase measures the baseline against the pipeline's job and monitor events on the dev-server stack (see
// e2eRounds) into f.
//
// The pipeline runs as deployed: the worker process on a client of its own, and the ingress on the stack's
// client with its eager worker (INGRESS_WORKER). The baseline's worker shares the bench's client with the SDK
// loop that starts it, but its starts are not eager (EnableEagerStart is off by default).
func e2ePhase(ctx context.Context, stack *testenv.Stack, c config, f *figures) error {
	stop, err := startPipeline(ctx, stack)
	if err != nil {
		return err
	}
	defer stop()
	return e2eRounds(ctx, c, stack.Client, []string{stack.WebhookURL}, f)
}

// e2eRounds measures the baseline (start + one no-op activity, default worker options, on its own task queue,
// its worker on cl in the bench process) against the pipeline's job and monitor events sent to the ingresses
// at urls (event i to urls[i%len(urls)]), each timed from the POST to its run's completion, interleaved in
// c.rounds rounds, into f. The pipeline's workers must be running; every worker polls throughout.
func e2eRounds(ctx context.Context, c config, cl client.Client, urls []string, f *figures) error {
	bw := sdkworker.New(cl, "bench-noop", sdkworker.Options{})
	bw.RegisterWorkflowWithOptions(Noop, workflow.RegisterOptions{Name: "Noop"})
	bw.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "NoopActivity"})
	if err := bw.Start(); err != nil {
		return err
	}
	defer bw.Stop()

	base := time.Now().UnixNano() % 1_000_000_000 * 100
	noop := func(i int) error {
		run, err := cl.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("bench-noop-%d", base+int64(i)), TaskQueue: "bench-noop"}, "Noop")
		if err != nil {
			return err
		}
		return run.Get(ctx, nil)
	}
	// The pipeline: the real workers, events through the real ingress, timed to the run's completion.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency}, Timeout: 60 * time.Second}
	jobs := func(i int) error {
		id := base + int64(c.e2e+i)
		if err := postAccepted(ctx, hc, urls[i%len(urls)], jobBody(id)); err != nil {
			return err
		}
		return cl.GetWorkflow(ctx, contract.JobWorkflowID(id), "").Get(ctx, nil)
	}
	tweets := func(i int) error {
		id := fmt.Sprint(base + int64(2*c.e2e+i))
		body, _ := json.Marshal(map[string]any{"event": "new_tweet",
			"data": map[string]any{"id_str": id, "full_text": "t", "user": map[string]any{"id_str": fmt.Sprint(1000 + i%50), "name": "u"}},
			"meta": map[string]any{"monitor_id": "benchmon", "monitor_type": "user_tweets", "monitored_id_str": "1"}})
		if err := postAccepted(ctx, hc, urls[i%len(urls)], body); err != nil {
			return err
		}
		return cl.GetWorkflow(ctx, contract.TweetWorkflowID("benchmon", id), "").Get(ctx, nil)
	}
	rs := rounds(c.e2e, c.concurrency, c.rounds, []string{
		"bare start + no-op activity, to completion",
		"pipeline job events, webhook to completion",
		"pipeline monitor events (new_tweet), to completion",
	}, []func(int) error{noop, jobs, tweets})
	f.noop, f.jobs, f.tweets = rs[0], rs[1], rs[2]
	return nil
}

// reportE2E reports the end-to-end phase's figures and ratios, each line prefixed with label.
func reportE2E(report func(string), label string, f figures) {
	for _, r := range []result{f.noop, f.jobs, f.tweets} {
		report(label + r.String())
	}
	report(fmt.Sprintf("%sRATIO pipeline job events/s / bare start+no-op = %.2f (target >= 1.50)", label, f.jobs.rate()/f.noop.rate()))
	report(fmt.Sprintf("%sRATIO pipeline monitor events/s / bare start+no-op = %.2f (target >= 1.50)", label, f.tweets.rate()/f.noop.rate()))
}

// startPipeline starts the pipeline's workers as deployed: the worker process's worker on a client of its own,
// and the ingress's eager worker (INGRESS_WORKER) on the stack's client, which the ingresses the bench builds
// start workflows with. stop stops both and closes the worker's client.
func startPipeline(ctx context.Context, stack *testenv.Stack) (stop func(), err error) {
	wc, err := connect.Temporal(ctx, stack.Config, stack.Logger)
	if err != nil {
		return nil, err
	}
	w, err := worker.New(stack.Config, wc, stack.Store)
	if err != nil {
		wc.Close()
		return nil, err
	}
	if err := w.Start(); err != nil {
		wc.Close()
		return nil, err
	}
	eager, err := worker.StartEager(stack.Config, stack.Client, stack.Store)
	if err != nil {
		w.Stop()
		wc.Close()
		return nil, err
	}
	return func() { eager.Stop(); w.Stop(); wc.Close() }, nil
}

// spoolPhase kills Temporal and measures the ingress accepting webhooks into the spool, then restarts Temporal
// and waits for the spool to drain (not timed).
func spoolPhase(ctx context.Context, stack *testenv.Stack, c config) (result, error) {
	if err := stack.KillTemporal(); err != nil {
		return result{}, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency}, Timeout: 30 * time.Second}
	// One request marks the ingress degraded (it waits START_TIMEOUT); the measured ones go straight to disk.
	base := time.Now().UnixNano() % 1_000_000_000 * 100
	_, _, _ = fakesocialdata.PostWebhook(ctx, hc, stack.WebhookURL, jobBody(base))
	r := measure("spool path (Temporal down)", c.spool, c.concurrency, func(i int) error {
		code, resp, err := fakesocialdata.PostWebhook(ctx, hc, stack.WebhookURL, jobBody(base+1+int64(i)))
		if err == nil && (code != http.StatusOK || !jsonHas(resp, "spooled")) {
			err = fmt.Errorf("status %d %s", code, resp)
		}
		return err
	})
	if err := stack.StartTemporalAgain(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// postAccepted posts a SocialData webhook and requires 200 "accepted": the event's run was started (one
// spooled instead is not yet, so its run cannot be waited for).
func postAccepted(ctx context.Context, hc *http.Client, url string, body []byte) error {
	code, resp, err := fakesocialdata.PostWebhook(ctx, hc, url, body)
	if err == nil && (code != http.StatusOK || !jsonHas(resp, starts.Accepted)) {
		err = fmt.Errorf("webhook answered %d %s", code, bytes.TrimSpace(resp))
	}
	return err
}

func jsonHas(b []byte, status string) bool {
	var v struct{ Status string }
	return json.Unmarshal(b, &v) == nil && v.Status == status
}
