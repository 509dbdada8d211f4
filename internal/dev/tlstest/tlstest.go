// Package tlstest makes throwaway CAs and certificates at test time (internal/dev/pki, failing the test instead of
// returning errors), for the tests of the Temporal client's TLS configuration.
package tlstest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/socialhook/pipeline/internal/dev/pki"
)

// CA is a certificate authority that signs test certificates.
type CA struct{ *pki.CA }

// Pair is a certificate with its private key.
type Pair = pki.Pair

// NewCA returns a new self-signed CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := pki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{ca}
}

// Issue returns a certificate signed by ca for names (DNS names or IP addresses), valid for both server and
// client authentication, from an hour ago until notAfter (zero: a day from now).
func (ca *CA) Issue(t testing.TB, notAfter time.Time, names ...string) Pair {
	t.Helper()
	p, err := ca.CA.Issue(notAfter, names...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteFile writes data to dir/name (readable by the owner only, as a key would be) and returns the path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}
