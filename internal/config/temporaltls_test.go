package config_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/dev/tlstest"
)

// tlsFiles are PEM files made at test time: a CA, a client pair it signed, and broken variants.
type tlsFiles struct {
	ca                  *tlstest.CA
	caPEM, cert, key    string
	otherKey, expired   string
	garbage, empty      string
	missing, expiredKey string
}

func newTLSFiles(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	client := ca.Issue(t, time.Time{}, "worker")
	other := ca.Issue(t, time.Time{}, "other")
	expired := ca.Issue(t, time.Now().Add(-time.Minute), "worker")
	return tlsFiles{
		ca:         ca,
		caPEM:      tlstest.WriteFile(t, dir, "ca.pem", ca.PEM),
		cert:       tlstest.WriteFile(t, dir, "client.pem", client.CertPEM),
		key:        tlstest.WriteFile(t, dir, "client-key.pem", client.KeyPEM),
		otherKey:   tlstest.WriteFile(t, dir, "other-key.pem", other.KeyPEM),
		expired:    tlstest.WriteFile(t, dir, "expired.pem", expired.CertPEM),
		expiredKey: tlstest.WriteFile(t, dir, "expired-key.pem", expired.KeyPEM),
		garbage:    tlstest.WriteFile(t, dir, "garbage.pem", []byte("not a PEM file\n")),
		empty:      tlstest.WriteFile(t, dir, "empty.pem", nil),
		missing:    filepath.Join(dir, "missing.pem"),
	}
}

func TestTemporalTLSConfig(t *testing.T) {
	f := newTLSFiles(t)
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, conf *tls.Config)
	}{
		{
			name: "TEMPORAL_TLS alone: system roots, no client certificate",
			env:  map[string]string{"TEMPORAL_TLS": "true"},
			check: func(t *testing.T, conf *tls.Config) {
				require.Nil(t, conf.RootCAs, "nil RootCAs is the system's roots")
				require.Empty(t, conf.Certificates)
				require.Empty(t, conf.ServerName)
			},
		},
		{
			name: "an API key alone turns TLS on",
			env:  map[string]string{"TEMPORAL_API_KEY": "key"},
			check: func(t *testing.T, conf *tls.Config) {
				require.Nil(t, conf.RootCAs)
				require.Empty(t, conf.Certificates)
			},
		},
		{
			name: "TEMPORAL_TLS empty counts as unset: an API key still turns TLS on",
			env:  map[string]string{"TEMPORAL_TLS": "", "TEMPORAL_API_KEY": "key"},
			check: func(t *testing.T, conf *tls.Config) {
				require.Empty(t, conf.Certificates)
			},
		},
		{
			name: "client certificate and key",
			env:  map[string]string{"TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.key},
			check: func(t *testing.T, conf *tls.Config) {
				require.Len(t, conf.Certificates, 1)
				require.Equal(t, "worker", conf.Certificates[0].Leaf.Subject.CommonName)
				require.Nil(t, conf.RootCAs)
			},
		},
		{
			name: "CA bundle",
			env:  map[string]string{"TEMPORAL_TLS_CA": f.caPEM},
			check: func(t *testing.T, conf *tls.Config) {
				require.True(t, f.ca.Pool().Equal(conf.RootCAs), "the pool holds exactly the bundle's CA")
				require.Empty(t, conf.Certificates)
			},
		},
		{
			name: "server name override",
			env:  map[string]string{"TEMPORAL_TLS_SERVER_NAME": "temporal.internal"},
			check: func(t *testing.T, conf *tls.Config) {
				require.Equal(t, "temporal.internal", conf.ServerName)
			},
		},
		{
			name: "mTLS, CA, server name and an API key together",
			env: map[string]string{
				"TEMPORAL_TLS": "true", "TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.key, "TEMPORAL_TLS_CA": f.caPEM,
				"TEMPORAL_TLS_SERVER_NAME": "temporal.internal", "TEMPORAL_API_KEY": "key",
			},
			check: func(t *testing.T, conf *tls.Config) {
				require.Len(t, conf.Certificates, 1)
				require.NotNil(t, conf.RootCAs)
				require.Equal(t, "temporal.internal", conf.ServerName)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(baseEnv(tc.env))
			require.NoError(t, err)
			require.True(t, cfg.TemporalTLSEnabled())
			conf, err := cfg.TemporalTLSConfig()
			require.NoError(t, err)
			require.NotNil(t, conf)
			require.Equal(t, uint16(tls.VersionTLS12), conf.MinVersion)
			tc.check(t, conf)
		})
	}
}

func TestTemporalTLSConfigOff(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"unset":                 {},
		"TEMPORAL_TLS=false":    {"TEMPORAL_TLS": "false"},
		"TEMPORAL_TLS=0":        {"TEMPORAL_TLS": "0"},
		"TEMPORAL_API_KEY=\"\"": {"TEMPORAL_API_KEY": ""},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Parse(baseEnv(env))
			require.NoError(t, err)
			require.False(t, cfg.TemporalTLSEnabled())
			conf, err := cfg.TemporalTLSConfig()
			require.NoError(t, err)
			require.Nil(t, conf, "no TLS: the client dials in plaintext")
		})
	}
}

func TestTemporalTLSErrors(t *testing.T) {
	f := newTLSFiles(t)
	tests := []struct {
		name string
		env  map[string]string
		// wantInErr are the texts the error must hold: the variables at fault.
		wantInErr []string
	}{
		{
			name:      "certificate without key",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.cert},
			wantInErr: []string{"TEMPORAL_TLS_KEY must be set with TEMPORAL_TLS_CERT"},
		},
		{
			name:      "key without certificate",
			env:       map[string]string{"TEMPORAL_TLS_KEY": f.key},
			wantInErr: []string{"TEMPORAL_TLS_CERT must be set with TEMPORAL_TLS_KEY"},
		},
		{
			name:      "certificate file missing",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.missing, "TEMPORAL_TLS_KEY": f.key},
			wantInErr: []string{"TEMPORAL_TLS_CERT: read client certificate", "no such file"},
		},
		{
			name:      "key file missing",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.missing},
			wantInErr: []string{"TEMPORAL_TLS_KEY: read private key", "no such file"},
		},
		{
			name:      "both files missing: both named",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.missing, "TEMPORAL_TLS_KEY": f.missing},
			wantInErr: []string{"TEMPORAL_TLS_CERT: read", "TEMPORAL_TLS_KEY: read"},
		},
		{
			name:      "certificate not PEM",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.garbage, "TEMPORAL_TLS_KEY": f.key},
			wantInErr: []string{"TEMPORAL_TLS_CERT=" + f.garbage, "no PEM CERTIFICATE block"},
		},
		{
			name:      "certificate file is the key",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.key, "TEMPORAL_TLS_KEY": f.key},
			wantInErr: []string{"TEMPORAL_TLS_CERT=" + f.key, "no PEM CERTIFICATE block"},
		},
		{
			name:      "key file is the certificate",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.cert},
			wantInErr: []string{"TEMPORAL_TLS_KEY=" + f.cert, "no PEM PRIVATE KEY block"},
		},
		{
			name:      "key of another certificate",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.otherKey},
			wantInErr: []string{"TEMPORAL_TLS_CERT=" + f.cert + " and TEMPORAL_TLS_KEY=" + f.otherKey + " do not go together", "does not match"},
		},
		{
			name:      "expired certificate",
			env:       map[string]string{"TEMPORAL_TLS_CERT": f.expired, "TEMPORAL_TLS_KEY": f.expiredKey},
			wantInErr: []string{"TEMPORAL_TLS_CERT=" + f.expired, "expired"},
		},
		{
			name:      "CA file missing",
			env:       map[string]string{"TEMPORAL_TLS_CA": f.missing},
			wantInErr: []string{"TEMPORAL_TLS_CA: read CA bundle", "no such file"},
		},
		{
			name:      "CA bundle without a certificate",
			env:       map[string]string{"TEMPORAL_TLS_CA": f.key},
			wantInErr: []string{"TEMPORAL_TLS_CA=" + f.key, "no PEM CERTIFICATE block"},
		},
		{
			name:      "CA bundle empty",
			env:       map[string]string{"TEMPORAL_TLS_CA": f.empty},
			wantInErr: []string{"TEMPORAL_TLS_CA=" + f.empty},
		},
		{
			name:      "CA bundle not PEM",
			env:       map[string]string{"TEMPORAL_TLS_CA": f.garbage},
			wantInErr: []string{"TEMPORAL_TLS_CA=" + f.garbage},
		},
		{
			name:      "TEMPORAL_TLS=false with a CA",
			env:       map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_TLS_CA": f.caPEM},
			wantInErr: []string{"TEMPORAL_TLS=false but TEMPORAL_TLS_CA is set"},
		},
		{
			name:      "TEMPORAL_TLS=false with an API key",
			env:       map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_API_KEY": "key"},
			wantInErr: []string{"TEMPORAL_TLS=false but TEMPORAL_API_KEY is set"},
		},
		{
			name:      "TEMPORAL_TLS not a bool",
			env:       map[string]string{"TEMPORAL_TLS": "maybe"},
			wantInErr: []string{"TEMPORAL_TLS"},
		},
		{
			name:      "API key with a trailing newline",
			env:       map[string]string{"TEMPORAL_API_KEY": "key\n"},
			wantInErr: []string{"TEMPORAL_API_KEY"},
		},
		{
			name:      "server name with a space",
			env:       map[string]string{"TEMPORAL_TLS_SERVER_NAME": " temporal.internal"},
			wantInErr: []string{"TEMPORAL_TLS_SERVER_NAME"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(baseEnv(tc.env))
			require.Error(t, err)
			require.Equal(t, config.Config{}, cfg, "a failed Parse returns the zero Config")
			for _, want := range tc.wantInErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

// TemporalTLSConfig reads the files again: one removed after Parse is reported, naming its variable.
func TestTemporalTLSConfigRereadsFiles(t *testing.T) {
	f := newTLSFiles(t)
	cfg, err := config.Parse(baseEnv(map[string]string{"TEMPORAL_TLS_CERT": f.cert, "TEMPORAL_TLS_KEY": f.key}))
	require.NoError(t, err)
	require.NoError(t, os.Remove(f.key))
	_, err = cfg.TemporalTLSConfig()
	require.ErrorContains(t, err, "TEMPORAL_TLS_KEY: read private key")
}
