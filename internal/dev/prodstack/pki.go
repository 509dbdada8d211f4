package prodstack

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/socialhook/pipeline/internal/dev/pki"
)

// PKI is the tier's certificate authority and the certificates it signed, as PEM files in one directory: the
// frontend serves ServerCert (which the server's own worker role also presents as its client certificate)
// and requires a client certificate signed by CA, which ClientCert is.
type PKI struct {
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	// ServerName is the name ServerCert is valid for besides 127.0.0.1 (TEMPORAL_TLS_SERVER_NAME).
	ServerName string
	ca         *pki.CA
	client     tls.Certificate
}

// ServerName is the DNS name in the frontend's certificate.
const ServerName = "temporal-frontend.socialhook.test"

// NewPKI makes a fresh CA and a server and a client certificate (a day each) in dir.
func NewPKI(dir string) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki dir: %w", err)
	}
	ca, err := pki.NewCA("socialhook test tier CA")
	if err != nil {
		return nil, err
	}
	server, err := ca.Issue(time.Time{}, ServerName, "localhost", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	client, err := ca.Issue(time.Time{}, "socialhook-pipeline")
	if err != nil {
		return nil, err
	}
	p := &PKI{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
		ServerName: ServerName, ca: ca, client: client.TLS,
	}
	for path, data := range map[string][]byte{
		p.CA: ca.PEM, p.ServerCert: server.CertPEM, p.ServerKey: server.KeyPEM,
		p.ClientCert: client.CertPEM, p.ClientKey: client.KeyPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return p, nil
}

// ClientTLS is a client's TLS config for the frontend: trust CA, present ClientCert, verify ServerName.
func (p *PKI) ClientTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.client}, RootCAs: p.ca.Pool(), ServerName: p.ServerName,
		MinVersion: tls.VersionTLS12}
}
