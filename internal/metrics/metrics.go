// Package metrics owns the Prometheus registry each process serves at GET /metrics and the bridge that puts
// the Temporal SDK's own metrics (workflow and activity task latencies, poll counts, schedule-to-start,
// sticky cache, local activity outcomes, …, named temporal_*) into it. Each process has one Registry: the
// worker serves it on WORKER_HEALTH_ADDR, the ingress next to its own socialhook_ingress_* metrics.
package metrics

import (
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
	"go.uber.org/zap"
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

// NewRegistry returns a Prometheus registry with the Go runtime and process collectors, the base every
// process serves.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New returns NewRegistry with the Temporal SDK's handler bridged into it. The SDK's metrics are registered as
// the SDK first records them; one that cannot be (a name clash) is logged and left out, never fatal.
func New(logger *zap.Logger) *Registry {
	reg := NewRegistry()
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		// Timers as histograms, so latencies aggregate across processes (summaries do not).
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		OnRegisterError: func(err error) {
			logger.Warn("sdk metric not registered", zap.Error(err))
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
		// tally_internal_* cardinality gauges describe tally, not the pipeline.
		OmitCardinalityMetrics: true,
	}, reportEvery)
	return &Registry{
		Registry: reg,
		sdk:      sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		closer:   closer,
	}
}

// SDK is the handler to set as client.Options.MetricsHandler.
func (r *Registry) SDK() client.MetricsHandler { return r.sdk }

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{Registry: r.Registry})
}

// Close flushes and stops the SDK metrics reporter.
func (r *Registry) Close() error { return r.closer.Close() }
