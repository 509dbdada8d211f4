// Command bench measures the pipeline against Temporal's own limits on one server in one run (`make bench`):
// it starts its own stack (Temporal dev server on a SQLite file, MinIO, the ingress, workers) and prints
//
//   - bare StartWorkflow rate and latency vs the ingress's accept rate and latency for the same number of
//     webhooks at the same concurrency;
//   - bare start + one no-op activity (default worker options) vs the pipeline's end-to-end events/s for job and
//     monitor events;
//   - datafile streaming: a raw MinIO PUT of the same bytes vs FetchDatafile through the worker binary, and the
//     worker process's peak RSS;
//   - the spool path: accepts/s and p99 with Temporal down;
//   - the spool drain (only with -phases drain): live webhooks' accept latency while a backlog of spooled
//     webhooks drains, with the old uncapped drainer vs the default SPOOL_DRAIN_RATE/SPOOL_DRAIN_CONCURRENCY.
//
// With -topology prod (prod.go) the start and e2e phases run instead on the production topology of `make
// test-prod` (internal/dev/prodstack: temporal-server on PostgreSQL with an mTLS frontend, MinIO erasure-coded on
// four drives, the real ingress and worker binaries as processes), on a fresh tier for each of -replicas
// ingress/worker counts, and a side-by-side table closes the run; -topology dev,prod runs both.
//
// Load goes to loopback only and every phase is bounded in count. Flags set the sizes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

type config struct {
	concurrency  int
	starts       int
	e2e          int
	rounds       int
	spool        int
	datafileSize int64
	drainBacklog int
	drainLive    float64
	drainRounds  int
	drainLiveMax time.Duration
	phases       map[string]bool
	topologies   map[string]bool
	replicas     []int
}

func main() {
	var c config
	phases := flag.String("phases", "start,e2e,datafile,spool", "phases to run: start, e2e, datafile, spool, drain (drain takes ≈ 10 min, so it is not in the default set)")
	flag.IntVar(&c.concurrency, "concurrency", 32, "concurrent starters / HTTP clients")
	flag.IntVar(&c.starts, "starts", 2000, "starts (bare) and webhooks (ingress) in the accept phase")
	flag.IntVar(&c.e2e, "events", 600, "events of each kind (baseline, job, monitor) in the end-to-end phase")
	flag.IntVar(&c.rounds, "rounds", 4, "rounds of the accept and end-to-end phases: each runs a share of every series, interleaved (ABBA)")
	flag.IntVar(&c.spool, "spool", 5000, "webhooks in the spool phase")
	flag.Int64Var(&c.datafileSize, "datafile-bytes", 1<<30, "datafile size")
	flag.IntVar(&c.drainBacklog, "drain-backlog", 5000, "spooled webhooks each drain of the drain phase starts from")
	flag.Float64Var(&c.drainLive, "drain-live", 10, "live webhooks per second sent while the backlog drains (the dev server here takes ≈ 30 job events/s in all)")
	flag.IntVar(&c.drainRounds, "drain-rounds", 2, "drains in the drain phase, alternating the settings (2: each once, 4: ABBA)")
	flag.DurationVar(&c.drainLiveMax, "drain-live-max", 6*time.Minute, "longest live webhooks are sent during one drain (the spool may not empty while they are)")
	topologies := flag.String("topology", "dev", "servers to run the phases on: dev (the dev server, every phase), prod (the production topology, start and e2e phases only), or dev,prod")
	replicas := flag.String("replicas", "1,2", "with -topology prod: ingress and worker process counts, a fresh tier for each")
	cpuProfile := flag.String("cpuprofile", "", "write the bench process's CPU profile (ingress, workers, load) to this file")
	flag.Parse()
	c.phases, c.topologies = set(*phases), set(*topologies)
	var err error
	if c.replicas, err = counts(*replicas); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -replicas:", err)
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// set is the comma-separated list s as a set.
func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		m[strings.TrimSpace(p)] = true
	}
	return m
}

// counts parses a comma-separated list of counts, each at least 1.
func counts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a count >= 1", p)
		}
		out = append(out, n)
	}
	return out, nil
}
