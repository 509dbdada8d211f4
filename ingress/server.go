// Package ingress owns the pipeline's HTTP edge: the Gin routes, request verification (the SocialData URL
// token, X signatures and CRC), reading webhook bodies through the size limit and parsing them into typed
// events, the answers and their status codes, the spool of webhooks Temporal could not take and the pace of
// its drainer, the read API, metrics and the health endpoints. How an event becomes a workflow start (IDs,
// dedupe, follow-ups of a duplicate, what counts as refused) is internal/starts': the handlers and the
// drainer hand every parsed event to a starts.Starter. It answers 200 only after Temporal has accepted the
// start, or the spool has stored the body: from then on the event is durable.
package ingress

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	procmetrics "github.com/socialhook/pipeline/internal/metrics"
	"github.com/socialhook/pipeline/internal/spool"
	"github.com/socialhook/pipeline/internal/starts"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// Options configures the HTTP handler.
type Options struct {
	// TaskQueue is where workflows are started.
	TaskQueue string
	// WebhookToken is the secret path segment of the SocialData webhook URL.
	WebhookToken string
	// APIToken is the read API's bearer token; empty disables the read API.
	APIToken string
	// XSecrets are the X apps' consumer secrets; none disables /webhooks/x.
	XSecrets []xwebhook.Secret
	// XDeliveryWindow is passed to X event runs (see contract.XEventInput).
	XDeliveryWindow time.Duration
	// JobPollInterval is the first wait between polls of a registered job, JobWaitTimeout how long its run
	// waits for the webhook.
	JobPollInterval time.Duration
	JobWaitTimeout  time.Duration
	// Spool stores accepted webhooks while Temporal is unavailable; nil answers 503 then.
	Spool *spool.Spool
	// DrainRate is the most spooled webhooks started per second once Temporal is back (0: no pacing at all;
	// below it the pace adapts, see drainPace), and DrainConcurrency how many are started at once (at least 1).
	DrainRate        float64
	DrainConcurrency int
	// Metrics is the process's registry (with the SDK metrics of the ingress's client) that GET /metrics
	// serves along with the ingress's own; nil makes one with the ingress's metrics and the Go collectors.
	Metrics *procmetrics.Registry
	// MaxBodyBytes caps a request body (413 beyond).
	MaxBodyBytes int64
	// StartTimeout bounds the wait for Temporal to accept a start.
	StartTimeout time.Duration
}

// Store is what the ingress needs of the object store: readiness and reads for the read API.
type Store interface {
	Ping(ctx context.Context) error
	Get(ctx context.Context, key string) ([]byte, error)
	List(ctx context.Context, prefix string) ([]string, error)
}

// Server holds the ingress's dependencies; its methods are the HTTP handlers.
type Server struct {
	opts     Options
	temporal client.Client
	store    Store
	logger   *zap.Logger
	token    tokenChecker
	apiToken tokenChecker
	now      func() time.Time
	// degraded is set while Temporal is unavailable and webhooks go to the spool.
	degraded atomic.Bool
	// starter starts every event's workflow, live or replayed from the spool.
	starter *starts.Starter
	// pace paces the spool drainer; live starts tell it when Temporal is slow.
	pace    *drainPace
	metrics *metrics
}

// New returns the ingress over a Temporal client and the object store.
func New(opts Options, temporal client.Client, store Store, logger *zap.Logger) *Server {
	s := &Server{
		opts:     opts,
		temporal: temporal,
		store:    store,
		logger:   logger,
		token:    newTokenChecker(opts.WebhookToken),
		apiToken: newTokenChecker(opts.APIToken),
		now:      time.Now,
		starter: &starts.Starter{
			Temporal:        temporal,
			TaskQueue:       opts.TaskQueue,
			StartTimeout:    opts.StartTimeout,
			XDeliveryWindow: opts.XDeliveryWindow,
			JobPollInterval: opts.JobPollInterval,
			JobWaitTimeout:  opts.JobWaitTimeout,
			Logger:          logger,
		},
		pace: newDrainPace(opts.DrainRate),
	}
	s.metrics = newMetrics(s)
	return s
}

// Handler returns the Gin engine with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(requestLog(s.logger), s.metrics.observe, recovery(s.logger))
	r.NoRoute(func(c *gin.Context) { abortJSON(c, http.StatusNotFound, "no such route") })
	r.NoMethod(func(c *gin.Context) { abortJSON(c, http.StatusMethodNotAllowed, "method not allowed") })

	r.GET("/healthz", s.healthz)
	r.GET("/metrics", gin.WrapH(s.metrics.handler()))
	r.GET("/readyz", s.readyz)
	r.POST("/webhooks/socialdata/:token", s.socialDataWebhook)
	for _, path := range []string{"/webhooks/x", "/webhooks/x/:app"} {
		r.GET(path, s.xCRC)
		r.POST(path, s.xWebhook)
	}
	v1 := r.Group("/v1", s.requireAPIToken)
	v1.GET("/users/:id/profile", s.getProfile)
	v1.GET("/users/:id/history", s.getHistory)
	v1.GET("/events/:workflow_id", s.getEvent)
	v1.POST("/jobs", s.registerJob)
	return r
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 "ready" when Temporal and MinIO answer; 200 "degraded" when Temporal does not but the
// spool takes webhooks (the ingress still accepts, durably); 503 otherwise.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"temporal": "ok", "storage": "ok"}
	temporalOK, storageOK := true, true
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.logger.Warn("readiness check failed", zap.String("dependency", "temporal"), zap.Error(err))
		checks["temporal"], temporalOK = "unavailable", false
	}
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", zap.String("dependency", "storage"), zap.Error(err))
		checks["storage"], storageOK = "unavailable", false
	}
	out := gin.H{"status": "ready", "checks": checks}
	if s.opts.Spool != nil {
		out["spool_depth"] = s.opts.Spool.Len()
		out["spool_dead"] = s.opts.Spool.Dead()
	}
	switch {
	case temporalOK && storageOK && !s.degraded.Load():
		c.JSON(http.StatusOK, out)
	case s.opts.Spool != nil:
		out["status"] = "degraded"
		c.JSON(http.StatusOK, out)
	default:
		out["status"] = "unavailable"
		c.JSON(http.StatusServiceUnavailable, out)
	}
}

// abortJSON ends the request with {"error": msg}.
func abortJSON(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, Answer{Error: msg})
}
