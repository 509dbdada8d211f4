package ingress

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	procmetrics "github.com/socialhook/pipeline/internal/metrics"
)

// metrics are the ingress's Prometheus metrics, on the process's registry (no globals), served at GET /metrics
// with the Temporal SDK's metrics and the Go collectors.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "socialhook_ingress_requests_total", Help: "HTTP requests by route template and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "socialhook_ingress_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "socialhook_ingress_events_total",
			Help: "Workflow starts by outcome: accepted, duplicate, spooled, or rejected (4xx input).",
		}, []string{"outcome"}),
	}
	degraded := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "socialhook_ingress_degraded", Help: "1 while Temporal is unavailable and webhooks go to the spool.",
	}, func() float64 {
		if s.degraded.Load() {
			return 1
		}
		return 0
	})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "socialhook_ingress_spool_depth", Help: "Webhooks waiting in the spool for Temporal.",
	}, func() float64 {
		if s.opts.Spool == nil {
			return 0
		}
		return float64(s.opts.Spool.Len())
	})
	if s.opts.Metrics != nil {
		m.registry = s.opts.Metrics.Registry
	} else {
		m.registry = procmetrics.NewRegistry()
	}
	m.registry.MustRegister(m.requests, m.latency, m.events, degraded, depth)
	return m
}

// observe records one request (middleware).
func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// outcome counts workflow starts (or refusals) by outcome.
func (m *metrics) outcome(o string, n int) { m.events.WithLabelValues(o).Add(float64(n)) }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
