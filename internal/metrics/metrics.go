// Package metrics owns the Prometheus registry each process serves at GET /metrics and the bridge that puts
// the Temporal SDK's own metrics (workflow and activity task latencies, poll counts, schedule-to-start,
// sticky cache, local activity outcomes, …, named temporal_*) into it. Each process has one Registry: the
// worker serves it on WORKER_HEALTH_ADDR, the ingress next to its own socialhook_ingress_* metrics.
package metrics

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// sanitize is tally's Prometheus sanitizer, except that label values keep '-', '.', ':' and '/': Prometheus
// allows any value, and task queues, namespaces and activity names should read as they are
// (task_queue="socialdata-pipeline", not "socialdata_pipeline").
var sanitize = func() tally.SanitizeOptions {
	o := tallyprom.DefaultSanitizerOpts
	o.ValueCharacters.Characters = append(slices.Clone(o.ValueCharacters.Characters), '-', '.', ':', '/')
	return o
}()

// reportEvery is how often the SDK's buffered metrics are flushed into the registry.
const reportEvery = time.Second

// Registry is one process's metrics: a Prometheus registry (with the Go and process collectors) and the
// Temporal SDK's metrics handler writing into it.
type Registry struct {
	*prometheus.Registry
	sdk    client.MetricsHandler
	closer io.Closer
}

// New returns a registry with the Go runtime and process collectors and an SDK handler bridged into it.
func New() (*Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process collector: %w", err)
	}
	var regErr error
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		// Timers as histograms, so latencies aggregate across processes (summaries do not).
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		OnRegisterError:         func(err error) { regErr = errors.Join(regErr, err) },
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
		// tally_internal_* cardinality gauges describe tally, not the pipeline.
		OmitCardinalityMetrics: true,
	}, reportEvery)
	if regErr != nil {
		_ = closer.Close()
		return nil, fmt.Errorf("register sdk metrics: %w", regErr)
	}
	return &Registry{
		Registry: reg,
		sdk:      sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		closer:   closer,
	}, nil
}

// SDK is the handler to set as client.Options.MetricsHandler.
func (r *Registry) SDK() client.MetricsHandler { return r.sdk }

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{Registry: r.Registry})
}

// Close flushes and stops the SDK metrics reporter.
func (r *Registry) Close() error { return r.closer.Close() }
