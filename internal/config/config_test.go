package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/config"
)

// baseEnv returns a small valid environment: static S3 credentials, plus extra.
func baseEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"S3_ACCESS_KEY": "access",
		"S3_SECRET_KEY": "secret",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestParseDefaults(t *testing.T) {
	cfg, err := config.Parse(baseEnv(nil))
	require.NoError(t, err)

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"TEMPORAL_ADDRESS", cfg.TemporalAddress, "127.0.0.1:7233"},
		{"TEMPORAL_NAMESPACE", cfg.TemporalNamespace, "default"},
		{"TASK_QUEUE", cfg.TaskQueue, "socialdata-pipeline"},
		{"S3_ENDPOINT", cfg.S3Endpoint, "127.0.0.1:9000"},
		{"S3_ACCESS_KEY", cfg.S3AccessKey, "access"},
		{"S3_SECRET_KEY", cfg.S3SecretKey, "secret"},
		{"S3_BUCKET", cfg.S3Bucket, "socialdata"},
		{"S3_USE_SSL", cfg.S3UseSSL, false},
		{"INGRESS_ADDR", cfg.IngressAddr, ":8080"},
		{"MAX_BODY_BYTES", cfg.MaxBodyBytes, int64(1048576)},
		{"START_TIMEOUT", cfg.StartTimeout, 10 * time.Second},
		{"SOCIALDATA_API_URL", cfg.SocialDataAPIURL, "https://api.socialdata.tools"},
		{"SOCIALDATA_API_KEY", cfg.SocialDataAPIKey, ""},
		{"SOCIALDATA_WEBHOOK_TOKEN", cfg.SocialDataWebhookToken, ""},
		{"DATAFILE_ALLOWED_HOSTS", cfg.DatafileAllowedHosts, []string{"s3.amazonaws.com", "*.s3.amazonaws.com"}},
		{"WORKER_HEALTH_ADDR", cfg.WorkerHealthAddr, "127.0.0.1:8081"},
		{"LOG_LEVEL", cfg.LogLevel, "info"},
		{"LOG_FORMAT", cfg.LogFormat, "json"},
		{"JOB_WAIT_TIMEOUT", cfg.JobWaitTimeout, 7 * 24 * time.Hour},
		{"SPOOL_DRAIN_RATE", cfg.SpoolDrainRate, 20.0},
		{"SPOOL_DRAIN_CONCURRENCY", cfg.SpoolDrainConcurrency, 1},
		{"TEMPORAL_TLS", cfg.TemporalTLS, false},
		{"TEMPORAL_TLS_CERT", cfg.TemporalTLSCert, ""},
		{"TEMPORAL_TLS_KEY", cfg.TemporalTLSKey, ""},
		{"TEMPORAL_TLS_CA", cfg.TemporalTLSCA, ""},
		{"TEMPORAL_TLS_SERVER_NAME", cfg.TemporalTLSServerName, ""},
		{"TEMPORAL_API_KEY", cfg.TemporalAPIKey, ""},
		{"TLS off", cfg.TemporalTLSEnabled(), false},
		{"S3_REGION", cfg.S3Region, ""},
		{"S3_BUCKET_LOOKUP", cfg.S3BucketLookup, "auto"},
		{"REGISTER_SEARCH_ATTRIBUTES", cfg.RegisterSearchAttributes, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.got)
		})
	}
}

func TestParseDefaultAllowlistIsValid(t *testing.T) {
	cfg, err := config.Parse(baseEnv(nil))
	require.NoError(t, err)
	a, err := config.NewHostAllowlist(cfg.DatafileAllowedHosts)
	require.NoError(t, err)
	require.True(t, a.Allows("s3.amazonaws.com", "443"))
	require.True(t, a.Allows("bucket.s3.amazonaws.com", "443"))
	require.False(t, a.Allows("example.com", "443"))
}

func TestParseValidOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, cfg config.Config)
	}{
		{
			name: "S3_USE_SSL true",
			env:  map[string]string{"S3_USE_SSL": "true"},
			check: func(t *testing.T, cfg config.Config) {
				require.True(t, cfg.S3UseSSL)
			},
		},
		{
			name: "MAX_BODY_BYTES lower bound",
			env:  map[string]string{"MAX_BODY_BYTES": "1024"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, int64(1024), cfg.MaxBodyBytes)
			},
		},
		{
			name: "MAX_BODY_BYTES upper bound",
			env:  map[string]string{"MAX_BODY_BYTES": "1572864"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, int64(1572864), cfg.MaxBodyBytes)
			},
		},
		{
			name: "webhook token of exactly the minimum length",
			env:  map[string]string{"SOCIALDATA_WEBHOOK_TOKEN": "0123456789abcdef"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "0123456789abcdef", cfg.SocialDataWebhookToken)
			},
		},
		{
			name: "allowed hosts list with blanks and spaces",
			env:  map[string]string{"DATAFILE_ALLOWED_HOSTS": "a.example.com, b.example.com:9000 ,,*.example.org"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, []string{"a.example.com", " b.example.com:9000 ", "", "*.example.org"}, cfg.DatafileAllowedHosts)
			},
		},
		{
			name: "DATAFILE_ALLOWED_HOSTS set but empty allows nothing",
			env:  map[string]string{"DATAFILE_ALLOWED_HOSTS": ""},
			check: func(t *testing.T, cfg config.Config) {
				require.Empty(t, cfg.DatafileAllowedHosts)
				allow, err := config.NewHostAllowlist(cfg.DatafileAllowedHosts)
				require.NoError(t, err)
				require.False(t, allow.Allows("s3.amazonaws.com", "443"))
			},
		},
		{
			name: "empty WORKER_HEALTH_ADDR uses the default",
			env:  map[string]string{"WORKER_HEALTH_ADDR": ""},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "127.0.0.1:8081", cfg.WorkerHealthAddr)
			},
		},
		{
			name: "LOG_LEVEL debug and LOG_FORMAT console",
			env:  map[string]string{"LOG_LEVEL": "debug", "LOG_FORMAT": "console"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "debug", cfg.LogLevel)
				require.Equal(t, "console", cfg.LogFormat)
			},
		},
		{
			name: "http API URL",
			env:  map[string]string{"SOCIALDATA_API_URL": "http://127.0.0.1:8099"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "http://127.0.0.1:8099", cfg.SocialDataAPIURL)
			},
		},
		{
			name: "START_TIMEOUT",
			env:  map[string]string{"START_TIMEOUT": "1m30s"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, 90*time.Second, cfg.StartTimeout)
			},
		},
		{
			name: "no S3 keys selects the AWS credential chain",
			env:  map[string]string{"S3_ACCESS_KEY": "", "S3_SECRET_KEY": ""},
			check: func(t *testing.T, cfg config.Config) {
				require.Empty(t, cfg.S3AccessKey)
				require.Empty(t, cfg.S3SecretKey)
			},
		},
		{
			name: "S3_REGION and S3_BUCKET_LOOKUP for AWS S3",
			env:  map[string]string{"S3_REGION": "eu-west-1", "S3_BUCKET_LOOKUP": "virtual-host", "S3_ENDPOINT": "s3.eu-west-1.amazonaws.com:443"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "eu-west-1", cfg.S3Region)
				require.Equal(t, "virtual-host", cfg.S3BucketLookup)
			},
		},
		{
			name: "empty S3_BUCKET_LOOKUP uses the default",
			env:  map[string]string{"S3_BUCKET_LOOKUP": ""},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "auto", cfg.S3BucketLookup)
			},
		},
		{
			name: "S3_BUCKET_LOOKUP path",
			env:  map[string]string{"S3_BUCKET_LOOKUP": "path"},
			check: func(t *testing.T, cfg config.Config) {
				require.Equal(t, "path", cfg.S3BucketLookup)
			},
		},
		{
			name: "REGISTER_SEARCH_ATTRIBUTES false",
			env:  map[string]string{"REGISTER_SEARCH_ATTRIBUTES": "false"},
			check: func(t *testing.T, cfg config.Config) {
				require.False(t, cfg.RegisterSearchAttributes)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := baseEnv(nil)
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := config.Parse(env)
			require.NoError(t, err)
			tc.check(t, cfg)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// wantInErr is the variable name the error must mention.
		wantInErr string
	}{
		{
			name:      "missing S3_ACCESS_KEY",
			env:       map[string]string{"S3_SECRET_KEY": "secret"},
			wantInErr: "S3_ACCESS_KEY",
		},
		{
			name:      "missing S3_SECRET_KEY",
			env:       map[string]string{"S3_ACCESS_KEY": "access"},
			wantInErr: "S3_SECRET_KEY",
		},
		{
			name:      "empty S3_ACCESS_KEY",
			env:       map[string]string{"S3_ACCESS_KEY": "", "S3_SECRET_KEY": "secret"},
			wantInErr: "S3_ACCESS_KEY",
		},
		{
			name:      "empty S3_SECRET_KEY",
			env:       map[string]string{"S3_ACCESS_KEY": "access", "S3_SECRET_KEY": ""},
			wantInErr: "S3_SECRET_KEY",
		},
		{
			name:      "TEMPORAL_ADDRESS without port",
			env:       baseEnv(map[string]string{"TEMPORAL_ADDRESS": "localhost"}),
			wantInErr: "TEMPORAL_ADDRESS",
		},
		{
			name:      "TEMPORAL_ADDRESS with scheme",
			env:       baseEnv(map[string]string{"TEMPORAL_ADDRESS": "http://localhost:7233"}),
			wantInErr: "TEMPORAL_ADDRESS",
		},
		{
			name:      "S3_ENDPOINT without port",
			env:       baseEnv(map[string]string{"S3_ENDPOINT": "minio"}),
			wantInErr: "S3_ENDPOINT",
		},
		{
			name:      "INGRESS_ADDR without port",
			env:       baseEnv(map[string]string{"INGRESS_ADDR": "8080"}),
			wantInErr: "INGRESS_ADDR",
		},
		{
			name:      "WORKER_HEALTH_ADDR without port",
			env:       baseEnv(map[string]string{"WORKER_HEALTH_ADDR": "localhost"}),
			wantInErr: "WORKER_HEALTH_ADDR",
		},
		{
			name:      "blank TASK_QUEUE",
			env:       baseEnv(map[string]string{"TASK_QUEUE": "   "}),
			wantInErr: "TASK_QUEUE",
		},
		{
			name:      "blank S3_BUCKET",
			env:       baseEnv(map[string]string{"S3_BUCKET": " "}),
			wantInErr: "S3_BUCKET",
		},
		{
			name:      "S3_USE_SSL not a bool",
			env:       baseEnv(map[string]string{"S3_USE_SSL": "maybe"}),
			wantInErr: "S3_USE_SSL",
		},
		{
			name:      "MAX_BODY_BYTES not a number",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "1MB"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "START_TIMEOUT not a duration",
			env:       baseEnv(map[string]string{"START_TIMEOUT": "soon"}),
			wantInErr: "START_TIMEOUT",
		},
		{
			name:      "MAX_BODY_BYTES too small",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "1023"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "MAX_BODY_BYTES zero",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "0"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "MAX_BODY_BYTES negative",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "-1"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "MAX_BODY_BYTES too large",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "1572865"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "MAX_BODY_BYTES above the Temporal payload limit",
			env:       baseEnv(map[string]string{"MAX_BODY_BYTES": "4194304"}),
			wantInErr: "MAX_BODY_BYTES",
		},
		{
			name:      "START_TIMEOUT zero",
			env:       baseEnv(map[string]string{"START_TIMEOUT": "0s"}),
			wantInErr: "START_TIMEOUT",
		},
		{
			name:      "START_TIMEOUT negative",
			env:       baseEnv(map[string]string{"START_TIMEOUT": "-5s"}),
			wantInErr: "START_TIMEOUT",
		},
		{
			name:      "SOCIALDATA_API_URL without scheme",
			env:       baseEnv(map[string]string{"SOCIALDATA_API_URL": "api.socialdata.tools"}),
			wantInErr: "SOCIALDATA_API_URL",
		},
		{
			name:      "SOCIALDATA_API_URL with ftp scheme",
			env:       baseEnv(map[string]string{"SOCIALDATA_API_URL": "ftp://api.socialdata.tools"}),
			wantInErr: "SOCIALDATA_API_URL",
		},
		{
			name:      "SOCIALDATA_API_URL without host",
			env:       baseEnv(map[string]string{"SOCIALDATA_API_URL": "https://"}),
			wantInErr: "SOCIALDATA_API_URL",
		},
		{
			name:      "SOCIALDATA_API_URL unparseable",
			env:       baseEnv(map[string]string{"SOCIALDATA_API_URL": "https://exa mple.com/%zz"}),
			wantInErr: "SOCIALDATA_API_URL",
		},
		{
			name:      "webhook token too short",
			env:       baseEnv(map[string]string{"SOCIALDATA_WEBHOOK_TOKEN": "0123456789abcde"}),
			wantInErr: "SOCIALDATA_WEBHOOK_TOKEN",
		},
		{
			name:      "webhook token of one character",
			env:       baseEnv(map[string]string{"SOCIALDATA_WEBHOOK_TOKEN": "x"}),
			wantInErr: "SOCIALDATA_WEBHOOK_TOKEN",
		},
		{
			name:      "negative drain rate",
			env:       baseEnv(map[string]string{"SPOOL_DRAIN_RATE": "-1"}),
			wantInErr: "SPOOL_DRAIN_RATE",
		},
		{
			name:      "no drain concurrency",
			env:       baseEnv(map[string]string{"SPOOL_DRAIN_CONCURRENCY": "0"}),
			wantInErr: "SPOOL_DRAIN_CONCURRENCY",
		},
		{
			name:      "job wait under a second",
			env:       baseEnv(map[string]string{"JOB_WAIT_TIMEOUT": "10ms"}),
			wantInErr: "JOB_WAIT_TIMEOUT",
		},
		{
			name:      "LOG_LEVEL unknown",
			env:       baseEnv(map[string]string{"LOG_LEVEL": "verbose"}),
			wantInErr: "LOG_LEVEL",
		},
		{
			name:      "LOG_FORMAT unknown",
			env:       baseEnv(map[string]string{"LOG_FORMAT": "text"}),
			wantInErr: "LOG_FORMAT",
		},
		{
			name:      "LOG_FORMAT wrong case",
			env:       baseEnv(map[string]string{"LOG_FORMAT": "JSON"}),
			wantInErr: "LOG_FORMAT",
		},
		{
			name:      "DATAFILE_ALLOWED_HOSTS entry is a URL",
			env:       baseEnv(map[string]string{"DATAFILE_ALLOWED_HOSTS": "s3.amazonaws.com,https://evil.example.com"}),
			wantInErr: "DATAFILE_ALLOWED_HOSTS",
		},
		{
			name:      "DATAFILE_ALLOWED_HOSTS entry with bad port",
			env:       baseEnv(map[string]string{"DATAFILE_ALLOWED_HOSTS": "minio:http"}),
			wantInErr: "DATAFILE_ALLOWED_HOSTS",
		},
		{
			name:      "whitespace-only webhook token",
			env:       baseEnv(map[string]string{"SOCIALDATA_WEBHOOK_TOKEN": "                    "}),
			wantInErr: "SOCIALDATA_WEBHOOK_TOKEN",
		},
		{
			name:      "S3_ACCESS_KEY without S3_SECRET_KEY, the other unset",
			env:       map[string]string{"S3_ACCESS_KEY": "access"},
			wantInErr: "S3_SECRET_KEY must be set with S3_ACCESS_KEY",
		},
		{
			name:      "S3_BUCKET_LOOKUP unknown",
			env:       baseEnv(map[string]string{"S3_BUCKET_LOOKUP": "dns"}),
			wantInErr: "S3_BUCKET_LOOKUP",
		},
		{
			name:      "S3_REGION with a space",
			env:       baseEnv(map[string]string{"S3_REGION": "us east 1"}),
			wantInErr: "S3_REGION",
		},
		{
			name:      "REGISTER_SEARCH_ATTRIBUTES not a bool",
			env:       baseEnv(map[string]string{"REGISTER_SEARCH_ATTRIBUTES": "sometimes"}),
			wantInErr: "REGISTER_SEARCH_ATTRIBUTES",
		},
		{
			name:      "DATAFILE_ALLOWED_HOSTS inner wildcard",
			env:       baseEnv(map[string]string{"DATAFILE_ALLOWED_HOSTS": "s3.*.amazonaws.com"}),
			wantInErr: "DATAFILE_ALLOWED_HOSTS",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(tc.env)
			require.Error(t, err)
			require.Equal(t, config.Config{}, cfg, "a failed Parse returns the zero Config")
			require.Contains(t, err.Error(), tc.wantInErr)
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	_, err := config.Parse(baseEnv(map[string]string{
		"TEMPORAL_ADDRESS": "nohost",
		"LOG_LEVEL":        "loud",
		"LOG_FORMAT":       "xml",
	}))
	require.Error(t, err)
	for _, name := range []string{"TEMPORAL_ADDRESS", "LOG_LEVEL", "LOG_FORMAT"} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, err.Error(), name)
		})
	}
}

func TestRequireIngress(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		wantErr bool
	}{
		{name: "token set", token: "0123456789abcdef0123", wantErr: false},
		{name: "token missing", token: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := baseEnv(nil)
			if tc.token != "" {
				env["SOCIALDATA_WEBHOOK_TOKEN"] = tc.token
			}
			cfg, err := config.Parse(env)
			require.NoError(t, err)
			err = cfg.RequireIngress()
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), "SOCIALDATA_WEBHOOK_TOKEN")
		})
	}
}

func TestRequireWorker(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// wantInErr are the texts the error must hold; none means no error.
		wantInErr []string
	}{
		{name: "poller with a key", env: map[string]string{"SOCIALDATA_API_KEY": "key"}},
		{name: "no poller, no key", env: map[string]string{"POLL_INTERVAL": "0"}},
		{name: "no poller, a key", env: map[string]string{"POLL_INTERVAL": "0", "SOCIALDATA_API_KEY": "key"}},
		{
			name:      "default poller without a key",
			env:       map[string]string{},
			wantInErr: []string{"POLL_INTERVAL=5m0s", "SOCIALDATA_API_KEY", "POLL_INTERVAL=0"},
		},
		{
			name:      "poller with a blank key",
			env:       map[string]string{"POLL_INTERVAL": "1h", "SOCIALDATA_API_KEY": "  "},
			wantInErr: []string{"POLL_INTERVAL=1h0m0s", "SOCIALDATA_API_KEY"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(baseEnv(tc.env))
			require.NoError(t, err, "the ingress shares the configuration: Parse itself must accept it")
			err = cfg.RequireWorker()
			if len(tc.wantInErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tc.wantInErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}
