package config_test

import (
	"strings"
	"testing"

	"github.com/socialhook/pipeline/internal/config"
)

// FuzzHostAllowlist: parsing entries and matching hosts never panics, and an empty allowlist allows nothing.
func FuzzHostAllowlist(f *testing.F) {
	f.Add("s3.amazonaws.com,*.s3.amazonaws.com", "bucket.s3.amazonaws.com", "443")
	f.Add("[::1]:9000,localhost", "[::1]:9000", "80")
	f.Add("*.", "", "")
	f.Fuzz(func(t *testing.T, entries, host, port string) {
		a, err := config.NewHostAllowlist(strings.Split(entries, ","))
		if err != nil {
			return
		}
		_ = a.Allows(host, port)
		empty, _ := config.NewHostAllowlist(nil)
		if empty.Allows(host, port) {
			t.Fatalf("empty allowlist allowed %q", host)
		}
	})
}
