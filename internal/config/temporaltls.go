package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// TemporalTLSEnabled reports whether the Temporal client uses TLS: TEMPORAL_TLS, or any TEMPORAL_TLS_* variable,
// or TEMPORAL_API_KEY (a bearer key is never sent in the clear).
func (c *Config) TemporalTLSEnabled() bool {
	return c.TemporalTLS || c.TemporalTLSCert != "" || c.TemporalTLSKey != "" || c.TemporalTLSCA != "" ||
		c.TemporalTLSServerName != "" || c.TemporalAPIKey != ""
}

// TemporalTLSConfig returns the TLS configuration of the Temporal client, or nil when TLS is off
// (TemporalTLSEnabled). It is TLS 1.2 or later, presents the client certificate of TEMPORAL_TLS_CERT and
// TEMPORAL_TLS_KEY if set, and verifies the server against the CAs of TEMPORAL_TLS_CA (else the system's
// roots) under the name TEMPORAL_TLS_SERVER_NAME (else the host of TEMPORAL_ADDRESS). It reads the files
// each time; Parse has called it once already, so a bad file stops the process at start. Every error names
// its variable.
func (c *Config) TemporalTLSConfig() (*tls.Config, error) {
	if !c.TemporalTLSEnabled() {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TemporalTLSServerName}
	var errs []error
	switch {
	case c.TemporalTLSCert != "" && c.TemporalTLSKey != "":
		cert, err := loadKeyPair(c.TemporalTLSCert, c.TemporalTLSKey)
		if err != nil {
			errs = append(errs, err)
		} else {
			conf.Certificates = []tls.Certificate{cert}
		}
	case c.TemporalTLSCert != "":
		errs = append(errs, errors.New("TEMPORAL_TLS_KEY must be set with TEMPORAL_TLS_CERT: a client certificate needs its private key"))
	case c.TemporalTLSKey != "":
		errs = append(errs, errors.New("TEMPORAL_TLS_CERT must be set with TEMPORAL_TLS_KEY: a private key needs its client certificate"))
	}
	if c.TemporalTLSCA != "" {
		pool, err := loadCAs(c.TemporalTLSCA)
		if err != nil {
			errs = append(errs, err)
		}
		conf.RootCAs = pool
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return conf, nil
}

// validateTemporalTLS checks the TLS and API key variables; explicitOff is TEMPORAL_TLS set to false (not empty).
func (c *Config) validateTemporalTLS(explicitOff bool) error {
	var errs []error
	if explicitOff {
		for name, v := range map[string]string{
			"TEMPORAL_TLS_CERT": c.TemporalTLSCert, "TEMPORAL_TLS_KEY": c.TemporalTLSKey, "TEMPORAL_TLS_CA": c.TemporalTLSCA,
			"TEMPORAL_TLS_SERVER_NAME": c.TemporalTLSServerName, "TEMPORAL_API_KEY": c.TemporalAPIKey,
		} {
			if v != "" {
				errs = append(errs, fmt.Errorf("TEMPORAL_TLS=false but %s is set, which needs TLS: unset one of them", name))
			}
		}
	}
	if c.TemporalAPIKey != "" && strings.TrimSpace(c.TemporalAPIKey) != c.TemporalAPIKey {
		errs = append(errs, errors.New("TEMPORAL_API_KEY: has leading or trailing whitespace"))
	}
	if strings.TrimSpace(c.TemporalTLSServerName) != c.TemporalTLSServerName {
		errs = append(errs, fmt.Errorf("TEMPORAL_TLS_SERVER_NAME=%q: has leading or trailing whitespace", c.TemporalTLSServerName))
	}
	if _, err := c.TemporalTLSConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// loadKeyPair reads the client certificate and key, telling which file is wrong: unreadable, not PEM, or the
// key not the certificate's.
func loadKeyPair(certPath, keyPath string) (tls.Certificate, error) {
	var errs []error
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		errs = append(errs, fmt.Errorf("TEMPORAL_TLS_CERT: read client certificate: %w", err))
	} else if err := checkCertificates(certPEM); err != nil {
		errs = append(errs, fmt.Errorf("TEMPORAL_TLS_CERT=%s: %w", certPath, err))
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		errs = append(errs, fmt.Errorf("TEMPORAL_TLS_KEY: read private key: %w", err))
	} else if err := checkPrivateKey(keyPEM); err != nil {
		errs = append(errs, fmt.Errorf("TEMPORAL_TLS_KEY=%s: %w", keyPath, err))
	}
	if len(errs) > 0 {
		return tls.Certificate{}, errors.Join(errs...)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_CERT=%s and TEMPORAL_TLS_KEY=%s do not go together: %w", certPath, keyPath, err)
	}
	if now := time.Now(); pair.Leaf != nil && now.After(pair.Leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_CERT=%s: the client certificate expired at %s",
			certPath, pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return pair, nil
}

// checkCertificates requires at least one PEM CERTIFICATE block, each a valid X.509 certificate.
func checkCertificates(data []byte) error {
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("parse certificate %d: %w", n+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no PEM CERTIFICATE block")
	}
	return nil
}

// checkPrivateKey requires a PEM private key in one of the encodings crypto/tls reads: PKCS #1, PKCS #8, SEC 1.
func checkPrivateKey(data []byte) error {
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "PRIVATE KEY" && !strings.HasSuffix(block.Type, " PRIVATE KEY") {
			continue
		}
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
			return nil
		}
		return fmt.Errorf("the %s block is not a PKCS #1, PKCS #8 or SEC 1 private key", block.Type)
	}
	return errors.New("no PEM PRIVATE KEY block")
}

// loadCAs reads a PEM bundle of CA certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_TLS_CA: read CA bundle: %w", err)
	}
	if err := checkCertificates(data); err != nil {
		return nil, fmt.Errorf("TEMPORAL_TLS_CA=%s: %w", path, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data)
	return pool, nil
}
