package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/config"
)

func TestHostAllowlistAllows(t *testing.T) {
	type check struct {
		hostport    string
		defaultPort string
		want        bool
	}
	tests := []struct {
		name    string
		entries []string
		checks  []check
	}{
		{
			name:    "exact host allows any port",
			entries: []string{"example.com"},
			checks: []check{
				{"example.com", "443", true},
				{"example.com", "80", true},
				{"example.com:9000", "443", true},
				{"example.com:443", "80", true},
				{"www.example.com", "443", false},
				{"example.org", "443", false},
				{"example.com.evil.net", "443", false},
				{"", "443", false},
			},
		},
		{
			name:    "host:port allows only that port",
			entries: []string{"minio.local:9000"},
			checks: []check{
				{"minio.local:9000", "80", true},
				{"minio.local:9001", "80", false},
				{"minio.local", "80", false},
				{"minio.local", "443", false},
				{"minio.local", "9000", true},
			},
		},
		{
			name:    "host:port matches the scheme default port when the URL has none",
			entries: []string{"example.com:443"},
			checks: []check{
				{"example.com", "443", true},
				{"example.com", "80", false},
				{"example.com:443", "80", true},
				{"example.com:8443", "443", false},
			},
		},
		{
			name:    "wildcard matches subdomains on any port",
			entries: []string{"*.s3.amazonaws.com"},
			checks: []check{
				{"bucket.s3.amazonaws.com", "443", true},
				{"a.b.s3.amazonaws.com", "443", true},
				{"bucket.s3.amazonaws.com:8443", "443", true},
				{"s3.amazonaws.com", "443", false},
				{"s3.amazonaws.com:443", "443", false},
				{".s3.amazonaws.com", "443", false},
				{"evils3.amazonaws.com", "443", false},
				{"bucket.s3.amazonaws.com.evil.net", "443", false},
			},
		},
		{
			name:    "wildcard does not match a name merely ending with the suffix text",
			entries: []string{"*.suffix.com"},
			checks: []check{
				{"a.suffix.com", "443", true},
				{"suffix.com", "443", false},
				{"evilsuffix.com", "443", false},
				{"evil-suffix.com", "443", false},
			},
		},
		{
			name:    "matching is case-insensitive",
			entries: []string{"Example.COM", "*.Bucket.Example.NET", "MinIO.Local:9000"},
			checks: []check{
				{"example.com", "443", true},
				{"EXAMPLE.com", "443", true},
				{"x.bucket.example.net", "443", true},
				{"X.BUCKET.EXAMPLE.NET", "443", true},
				{"minio.local:9000", "443", true},
				{"MINIO.LOCAL:9000", "443", true},
				{"MINIO.LOCAL:9001", "443", false},
			},
		},
		{
			name:    "IPv6 host:port",
			entries: []string{"[::1]:9000"},
			checks: []check{
				{"[::1]:9000", "80", true},
				{"[::1]:9001", "80", false},
				{"[::1]", "9000", true},
				{"[::1]", "80", false},
				{"::1", "80", false},
			},
		},
		{
			name:    "IPv6 host any port",
			entries: []string{"[::1]"},
			checks: []check{
				{"[::1]:9000", "80", true},
				{"[::1]", "443", true},
				{"[::2]", "443", false},
			},
		},
		{
			name:    "IPv4 host and host:port",
			entries: []string{"127.0.0.1", "10.0.0.1:9000"},
			checks: []check{
				{"127.0.0.1", "80", true},
				{"127.0.0.1:9000", "80", true},
				{"10.0.0.1:9000", "80", true},
				{"10.0.0.1", "80", false},
				{"10.0.0.2:9000", "80", false},
			},
		},
		{
			name:    "blank entries and surrounding spaces are ignored",
			entries: []string{"", "  ", " example.com "},
			checks: []check{
				{"example.com", "443", true},
				{"", "443", false},
			},
		},
		{
			name:    "empty list allows nothing",
			entries: nil,
			checks: []check{
				{"example.com", "443", false},
				{"localhost:9000", "80", false},
				{"", "", false},
			},
		},
		{
			name:    "list of blanks allows nothing",
			entries: []string{"", " "},
			checks: []check{
				{"example.com", "443", false},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := config.NewHostAllowlist(tc.entries)
			require.NoError(t, err)
			for _, c := range tc.checks {
				require.Equal(t, c.want, a.Allows(c.hostport, c.defaultPort),
					"Allows(%q, %q) with entries %q", c.hostport, c.defaultPort, tc.entries)
			}
		})
	}
}

func TestNewHostAllowlistErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
	}{
		{"URL with scheme", []string{"https://example.com"}},
		{"host with path", []string{"example.com/bucket"}},
		{"userinfo", []string{"user@example.com"}},
		{"query", []string{"example.com?x=1"}},
		{"fragment", []string{"example.com#x"}},
		{"inner wildcard", []string{"a*b"}},
		{"trailing wildcard", []string{"example.*"}},
		{"bare wildcard", []string{"*"}},
		{"wildcard without suffix", []string{"*."}},
		{"double wildcard", []string{"*.*.example.com"}},
		{"wildcard with port", []string{"*.x:80"}},
		{"non-numeric port", []string{"host:notaport"}},
		{"port out of range", []string{"host:65536"}},
		{"negative port", []string{"host:-1"}},
		{"empty port", []string{"host:"}},
		{"port without host", []string{":9000"}},
		{"one bad entry among good ones", []string{"example.com", "*.s3.amazonaws.com", "https://evil.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := config.NewHostAllowlist(tc.entries)
			require.Error(t, err)
			require.Nil(t, a)
		})
	}
}

func TestNewHostAllowlistErrorNamesEveryBadEntry(t *testing.T) {
	_, err := config.NewHostAllowlist([]string{"https://a.example", "ok.example", "b*c"})
	require.Error(t, err)
	for _, entry := range []string{"https://a.example", "b*c"} {
		t.Run(entry, func(t *testing.T) {
			require.Contains(t, err.Error(), entry)
		})
	}
}
