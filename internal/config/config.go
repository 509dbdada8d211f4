// Package config owns the pipeline's configuration: one struct read once from the environment, with every
// variable documented here and in README.md, and validated so a bad value stops the process at start.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.uber.org/zap/zapcore"
)

// Config is the whole configuration of the ingress and the worker. Each field names its variable; README.md
// has the same table.
type Config struct {
	// TemporalAddress is the Temporal frontend host:port. Temporal Cloud is <namespace>.<account>.tmprl.cloud:7233
	// (mTLS, or an API key on a namespace with High Availability), or the regional endpoint
	// <region>.<cloud>.api.temporal.io:7233 (API key).
	TemporalAddress string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	// TemporalNamespace is the namespace every run lives in. Its retention is the dedupe window. The SDK sends
	// it in the temporal-namespace header of every call, which Temporal Cloud's regional endpoint routes on.
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`

	// TemporalTLS turns on TLS to the Temporal frontend, verified against the system's roots: for a server
	// whose certificate a public CA signed. Any TEMPORAL_TLS_* variable or TEMPORAL_API_KEY turns TLS on too;
	// TEMPORAL_TLS=false with one of them set is an error (empty counts as unset). See TemporalTLSConfig.
	TemporalTLS bool `env:"TEMPORAL_TLS" envDefault:"false"`
	// TemporalTLSCert and TemporalTLSKey are the paths of the PEM client certificate (chain) and its private
	// key for mTLS, both or neither. Parse loads them, so a missing file, a bad PEM or a key that is not the
	// certificate's stops the process at start.
	TemporalTLSCert string `env:"TEMPORAL_TLS_CERT"`
	TemporalTLSKey  string `env:"TEMPORAL_TLS_KEY"`
	// TemporalTLSCA is the path of a PEM bundle of the CAs that sign the server's certificate (a private CA);
	// empty trusts the system's roots.
	TemporalTLSCA string `env:"TEMPORAL_TLS_CA"`
	// TemporalTLSServerName overrides the name the server's certificate is verified against (and sent as SNI);
	// empty uses the host of TEMPORAL_ADDRESS.
	TemporalTLSServerName string `env:"TEMPORAL_TLS_SERVER_NAME"`
	// TemporalAPIKey is sent as "Authorization: Bearer <key>" on every call: a Temporal Cloud API key, or a
	// JWT for a self-hosted server's authorizer. It turns TLS on. A client certificate may be set as well
	// (a server that wants mTLS and a token); Temporal Cloud wants one of the two.
	TemporalAPIKey string `env:"TEMPORAL_API_KEY"`

	// TaskQueue is the task queue the worker polls and the ingress starts runs on.
	TaskQueue string `env:"TASK_QUEUE" envDefault:"socialdata-pipeline"`

	// S3Endpoint is the S3 server's host:port (no scheme): MinIO, or e.g. s3.us-east-1.amazonaws.com:443.
	S3Endpoint string `env:"S3_ENDPOINT" envDefault:"127.0.0.1:9000"`
	// S3AccessKey and S3SecretKey are static S3 credentials (MinIO's root user in the dev stack), both or
	// neither. Neither selects the AWS credential chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
	// AWS_SESSION_TOKEN, then the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
	// profile AWS_PROFILE), then the role of the machine: web identity (AWS_WEB_IDENTITY_TOKEN_FILE and
	// AWS_ROLE_ARN, as on EKS), ECS or EKS Pod Identity container credentials, EC2 instance metadata.
	S3AccessKey string `env:"S3_ACCESS_KEY"`
	S3SecretKey string `env:"S3_SECRET_KEY"`
	// S3Region is the bucket's region, e.g. us-east-1 for AWS S3 (it also picks the STS endpoint of web
	// identity credentials). Empty lets minio-go ask the server (one GetBucketLocation per bucket).
	S3Region string `env:"S3_REGION"`
	// S3BucketLookup is how requests address the bucket: auto (virtual-host style for AWS and Google hosts,
	// path style elsewhere), path (https://host/bucket/key) or virtual-host (https://bucket.host/key).
	S3BucketLookup string `env:"S3_BUCKET_LOOKUP" envDefault:"auto"`
	// S3Bucket is the bucket every object is written to.
	S3Bucket string `env:"S3_BUCKET" envDefault:"socialdata"`
	// S3UseSSL selects https for S3Endpoint.
	S3UseSSL bool `env:"S3_USE_SSL" envDefault:"false"`

	// IngressAddr is the ingress HTTP listen address.
	IngressAddr string `env:"INGRESS_ADDR" envDefault:":8080"`
	// MaxBodyBytes caps a webhook body; larger bodies get 413. It stays well below Temporal's 2 MB payload
	// limit because the body travels in workflow input.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	// StartTimeout bounds how long the ingress waits for Temporal to accept a start before answering 503.
	StartTimeout time.Duration `env:"START_TIMEOUT" envDefault:"10s"`

	// SpoolPath is the ingress's fallback spool file: webhooks accepted while Temporal is unavailable are
	// stored there and started when it is back. Empty disables the spool (503 while Temporal is down).
	SpoolPath string `env:"SPOOL_PATH" envDefault:".data/spool/ingress.db"`
	// SpoolDrainInterval is how often the ingress checks Temporal and drains the spool.
	SpoolDrainInterval time.Duration `env:"SPOOL_DRAIN_INTERVAL" envDefault:"1s"`
	// SpoolDrainRate is the most spooled webhooks per second the drainer starts once Temporal is back. Below
	// it the pace adapts: it rises while starts are fast and halves whenever a replayed or a live start is
	// slow, so live webhooks keep their latency while a backlog drains. 0 removes all pacing.
	SpoolDrainRate float64 `env:"SPOOL_DRAIN_RATE" envDefault:"20"`
	// SpoolDrainConcurrency bounds the spooled webhooks being started at once.
	SpoolDrainConcurrency int `env:"SPOOL_DRAIN_CONCURRENCY" envDefault:"1"`

	// SocialDataAPIURL is the SocialData API base URL.
	SocialDataAPIURL string `env:"SOCIALDATA_API_URL" envDefault:"https://api.socialdata.tools"`
	// SocialDataAPIKey is the bearer key for the SocialData API (the worker uses it to refresh expired
	// datafile URLs).
	SocialDataAPIKey string `env:"SOCIALDATA_API_KEY"`
	// SocialDataWebhookToken is the secret path segment of POST /webhooks/socialdata/:token.
	SocialDataWebhookToken string `env:"SOCIALDATA_WEBHOOK_TOKEN"`
	// DatafileAllowedHosts lists the hosts datafiles may be fetched from: "host", "host:port", or "*.suffix".
	// Unset means DefaultDatafileAllowedHosts; set but empty allows no host at all.
	DatafileAllowedHosts []string `env:"DATAFILE_ALLOWED_HOSTS" envSeparator:","`

	// ProfileTrackedFields are the user fields whose changes make profile history entries. Counters and other
	// fields are kept in the snapshot but never make an entry by themselves.
	ProfileTrackedFields []string `env:"PROFILE_TRACKED_FIELDS" envDefault:"name,screen_name,location,url,description,profile_banner_url,profile_image_url_https,verified,protected" envSeparator:","`
	// APIToken is the bearer token of the ingress's read API (/v1/...). Empty disables the read API.
	APIToken string `env:"API_TOKEN"`

	// XConsumerSecrets are the consumer secrets of the X apps whose webhooks point here: "secret" or
	// "name=secret", comma-separated. Empty disables /webhooks/x.
	XConsumerSecrets []string `env:"X_CONSUMER_SECRET" envSeparator:","`
	// XDeliveryWindow is how long an X event's run waits for the same event delivered for other subscribed
	// users before recording them all and completing.
	XDeliveryWindow time.Duration `env:"X_DELIVERY_WINDOW" envDefault:"1m"`

	// JobPollInterval is the first wait between polls of GET /jobs/{id} for a job registered before its
	// webhook (then ×1.5 up to 5 min).
	JobPollInterval time.Duration `env:"JOB_POLL_INTERVAL" envDefault:"10s"`
	// JobWaitTimeout is how long the run of a registered job waits for its webhook or a terminal poll. Past it
	// the run fails as not finished, and a webhook that arrives later starts a new run that processes it.
	JobWaitTimeout time.Duration `env:"JOB_WAIT_TIMEOUT" envDefault:"168h"`
	// PollInterval is the poller schedule's interval (socialdata-poller); 0 leaves the schedule alone. Every
	// poll reads the SocialData API, so the worker refuses a non-zero interval without SOCIALDATA_API_KEY
	// (RequireWorker).
	PollInterval time.Duration `env:"POLL_INTERVAL" envDefault:"5m"`
	// PollOverlap widens each poll window backwards, so an event at a window's edge is never missed.
	PollOverlap time.Duration `env:"POLL_OVERLAP" envDefault:"1m"`
	// PollConcurrency bounds the monitors polled at once.
	PollConcurrency int `env:"POLL_CONCURRENCY" envDefault:"4"`

	// DatafileMaxBytes caps one datafile; larger ones fail without retry (0: no cap).
	DatafileMaxBytes int64 `env:"DATAFILE_MAX_BYTES" envDefault:"68719476736"`
	// DatafileAllowPrivate lets datafiles come from private, loopback and link-local addresses. Off in
	// production (SSRF); local stacks and tests whose fake API listens on 127.0.0.1 turn it on.
	DatafileAllowPrivate bool `env:"DATAFILE_ALLOW_PRIVATE" envDefault:"false"`

	// IngressWorker makes the ingress host a worker of its own that runs workflow tasks and local activities
	// (no regular activities), so its starts are eager (worker.StartEager). Off, the ingress only starts runs.
	IngressWorker bool `env:"INGRESS_WORKER" envDefault:"true"`

	// WorkerHealthAddr is where the worker serves GET /healthz; empty disables it.
	WorkerHealthAddr string `env:"WORKER_HEALTH_ADDR" envDefault:"127.0.0.1:8081"`
	// RegisterSearchAttributes makes the worker add the contract's search attributes the namespace lacks, at
	// every start. Off (Temporal Cloud, or a cluster whose operators own the namespace), the worker only
	// checks that they exist, and fails naming the missing ones and the command that creates them.
	RegisterSearchAttributes bool `env:"REGISTER_SEARCH_ATTRIBUTES" envDefault:"true"`

	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is json or console.
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`
}

// DefaultDatafileAllowedHosts are S3's path-style and virtual-hosted-style hosts, where SocialData's datafile
// URLs point.
var DefaultDatafileAllowedHosts = []string{"s3.amazonaws.com", "*.s3.amazonaws.com"}

// MinWebhookTokenLen is the shortest accepted SOCIALDATA_WEBHOOK_TOKEN: the token is the only secret of a
// SocialData webhook URL.
const MinWebhookTokenLen = 16

// Load reads the configuration from the process environment.
func Load() (Config, error) {
	return Parse(nil)
}

// Parse reads the configuration from environ (KEY=value map), or from the process environment when environ is
// nil, and validates it.
func Parse(environ map[string]string) (Config, error) {
	var cfg Config
	opts := env.Options{}
	lookup := os.LookupEnv
	if environ != nil {
		opts.Environment = environ
		lookup = func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	}
	if err := env.ParseWithOptions(&cfg, opts); err != nil {
		return Config{}, fmt.Errorf("read environment: %w", namedParseErrors(err))
	}
	if _, set := lookup("DATAFILE_ALLOWED_HOSTS"); !set {
		cfg.DatafileAllowedHosts = DefaultDatafileAllowedHosts
	}
	// Set but empty counts as unset, as for every variable with a default.
	tlsValue, _ := lookup("TEMPORAL_TLS")
	if err := errors.Join(cfg.validate(), cfg.validateTemporalTLS(strings.TrimSpace(tlsValue) != "" && !cfg.TemporalTLS)); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (c *Config) validate() error {
	var errs []error
	for name, addr := range map[string]string{
		"TEMPORAL_ADDRESS": c.TemporalAddress,
		"S3_ENDPOINT":      c.S3Endpoint,
		"INGRESS_ADDR":     c.IngressAddr,
	} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want host:port: %w", name, addr, err))
		}
	}
	if c.WorkerHealthAddr != "" {
		if _, _, err := net.SplitHostPort(c.WorkerHealthAddr); err != nil {
			errs = append(errs, fmt.Errorf("WORKER_HEALTH_ADDR=%q: want host:port: %w", c.WorkerHealthAddr, err))
		}
	}
	for name, v := range map[string]string{
		"TEMPORAL_NAMESPACE": c.TemporalNamespace,
		"TASK_QUEUE":         c.TaskQueue,
		"S3_BUCKET":          c.S3Bucket,
	} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", name))
		}
	}
	errs = append(errs, c.validateS3()...)
	if u, err := url.Parse(c.SocialDataAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("SOCIALDATA_API_URL=%q: want an absolute http(s) URL", c.SocialDataAPIURL))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1536*1024 {
		errs = append(errs, fmt.Errorf("MAX_BODY_BYTES=%d: want 1024..1572864 (workflow payloads are capped at 2 MB)", c.MaxBodyBytes))
	}
	if c.XDeliveryWindow < 0 || c.XDeliveryWindow > time.Hour {
		errs = append(errs, fmt.Errorf("X_DELIVERY_WINDOW=%s: want 0..1h", c.XDeliveryWindow))
	}
	c.XConsumerSecrets = trimAll(c.XConsumerSecrets)
	if c.SpoolDrainInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("SPOOL_DRAIN_INTERVAL=%s: want at least 10ms", c.SpoolDrainInterval))
	}
	if c.SpoolDrainRate < 0 {
		errs = append(errs, fmt.Errorf("SPOOL_DRAIN_RATE=%g: want 0 (no cap) or a positive rate", c.SpoolDrainRate))
	}
	if c.SpoolDrainConcurrency < 1 || c.SpoolDrainConcurrency > 64 {
		errs = append(errs, fmt.Errorf("SPOOL_DRAIN_CONCURRENCY=%d: want 1..64", c.SpoolDrainConcurrency))
	}
	if c.DatafileMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("DATAFILE_MAX_BYTES=%d: want 0 (no cap) or a positive size", c.DatafileMaxBytes))
	}
	if c.JobPollInterval < time.Second {
		errs = append(errs, fmt.Errorf("JOB_POLL_INTERVAL=%s: want at least 1s", c.JobPollInterval))
	}
	if c.JobWaitTimeout < time.Second {
		errs = append(errs, fmt.Errorf("JOB_WAIT_TIMEOUT=%s: want at least 1s", c.JobWaitTimeout))
	}
	if c.PollInterval != 0 && c.PollInterval < time.Minute {
		errs = append(errs, fmt.Errorf("POLL_INTERVAL=%s: want 0 (no schedule) or at least 1m", c.PollInterval))
	}
	if c.PollOverlap < 0 {
		errs = append(errs, fmt.Errorf("POLL_OVERLAP=%s: want a non-negative duration", c.PollOverlap))
	}
	if c.PollConcurrency < 1 || c.PollConcurrency > 64 {
		errs = append(errs, fmt.Errorf("POLL_CONCURRENCY=%d: want 1..64", c.PollConcurrency))
	}
	if c.StartTimeout <= 0 {
		errs = append(errs, fmt.Errorf("START_TIMEOUT=%s: want a positive duration", c.StartTimeout))
	}
	if c.SocialDataWebhookToken != "" && len(strings.TrimSpace(c.SocialDataWebhookToken)) < MinWebhookTokenLen {
		errs = append(errs, fmt.Errorf("SOCIALDATA_WEBHOOK_TOKEN: want at least %d characters", MinWebhookTokenLen))
	}
	c.ProfileTrackedFields = trimAll(c.ProfileTrackedFields)
	if len(c.ProfileTrackedFields) == 0 {
		errs = append(errs, errors.New("PROFILE_TRACKED_FIELDS must name at least one field"))
	}
	for _, f := range c.ProfileTrackedFields {
		if !fieldName.MatchString(f) {
			errs = append(errs, fmt.Errorf("PROFILE_TRACKED_FIELDS: %q is not a field name", f))
		}
	}
	if c.APIToken != "" && len(strings.TrimSpace(c.APIToken)) < MinWebhookTokenLen {
		errs = append(errs, fmt.Errorf("API_TOKEN: want at least %d characters", MinWebhookTokenLen))
	}
	if _, err := NewHostAllowlist(c.DatafileAllowedHosts); err != nil {
		errs = append(errs, fmt.Errorf("DATAFILE_ALLOWED_HOSTS: %w", err))
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: %w", c.LogLevel, err))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT=%q: want json or console", c.LogFormat))
	}
	return errors.Join(errs...)
}

var fieldName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)

// trimAll trims every element and drops empty ones.
func trimAll(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// namedParseErrors rewrites the env library's parse errors, which name Go fields, to name the variables.
func namedParseErrors(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := reflect.TypeOf(Config{}).FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				e = fmt.Errorf("%s: %w", name, pe.Err)
			}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// RequireIngress checks what only the ingress needs.
func (c *Config) RequireIngress() error {
	if c.SocialDataWebhookToken == "" {
		return errors.New("SOCIALDATA_WEBHOOK_TOKEN must be set: it is the secret of the SocialData webhook URL")
	}
	return nil
}

// RequireWorker checks what only the worker needs: a poller schedule (POLL_INTERVAL > 0) needs
// SOCIALDATA_API_KEY, or every one of its runs would fail.
func (c *Config) RequireWorker() error {
	if c.PollInterval > 0 && strings.TrimSpace(c.SocialDataAPIKey) == "" {
		return fmt.Errorf("POLL_INTERVAL=%s needs SOCIALDATA_API_KEY: every poll reads the SocialData API, so "+
			"each run of the poller schedule would fail; set SOCIALDATA_API_KEY, or POLL_INTERVAL=0 to run without "+
			"the poller", c.PollInterval)
	}
	return nil
}

// S3BucketLookups are the values of S3_BUCKET_LOOKUP.
var S3BucketLookups = []string{"auto", "path", "virtual-host"}

func (c *Config) validateS3() []error {
	var errs []error
	switch {
	case c.S3AccessKey != "" && c.S3SecretKey == "":
		errs = append(errs, errors.New("S3_SECRET_KEY must be set with S3_ACCESS_KEY (set both, or neither for the AWS credential chain)"))
	case c.S3AccessKey == "" && c.S3SecretKey != "":
		errs = append(errs, errors.New("S3_ACCESS_KEY must be set with S3_SECRET_KEY (set both, or neither for the AWS credential chain)"))
	}
	if !slices.Contains(S3BucketLookups, c.S3BucketLookup) {
		errs = append(errs, fmt.Errorf("S3_BUCKET_LOOKUP=%q: want one of %s", c.S3BucketLookup, strings.Join(S3BucketLookups, ", ")))
	}
	if strings.TrimSpace(c.S3Region) != c.S3Region || strings.ContainsAny(c.S3Region, " /") {
		errs = append(errs, fmt.Errorf("S3_REGION=%q: want a region name such as us-east-1", c.S3Region))
	}
	return errs
}
