package connect_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/connect"
	"github.com/socialhook/pipeline/internal/dev/tlstest"
)

// pki is a server CA with a frontend certificate for temporal.internal only, a client CA with a worker's
// certificate, and a stranger's certificate from a CA the server does not trust; the PEM files are in a temp
// dir.
type pki struct {
	server       tls.Certificate
	clientCAs    *tlstest.CA
	serverCA     string
	cert, key    string
	strangerCert string
	strangerKey  string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	serverCA := tlstest.NewCA(t, "server CA")
	clientCA := tlstest.NewCA(t, "client CA")
	client := clientCA.Issue(t, time.Time{}, "worker")
	stranger := tlstest.NewCA(t, "stranger CA").Issue(t, time.Time{}, "stranger")
	return pki{
		server:       serverCA.Issue(t, time.Time{}, "temporal.internal").TLS,
		clientCAs:    clientCA,
		serverCA:     tlstest.WriteFile(t, dir, "server-ca.pem", serverCA.PEM),
		cert:         tlstest.WriteFile(t, dir, "worker.pem", client.CertPEM),
		key:          tlstest.WriteFile(t, dir, "worker-key.pem", client.KeyPEM),
		strangerCert: tlstest.WriteFile(t, dir, "stranger.pem", stranger.CertPEM),
		strangerKey:  tlstest.WriteFile(t, dir, "stranger-key.pem", stranger.KeyPEM),
	}
}

// serverTLS requires a client certificate signed by the client CA.
func (p pki) serverTLS() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.clientCAs.Pool(),
		MinVersion:   tls.VersionTLS12,
	}
}

// handshakes serves TLS on a loopback port and reports, per connection, the client certificate's name or the
// server's handshake error.
func handshakes(t *testing.T, conf *tls.Config) (addr string, results <-chan string) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	require.NoError(t, err)
	out := make(chan string, 8)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conn := c.(*tls.Conn)
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if err := conn.Handshake(); err != nil {
				out <- "server: " + err.Error()
			} else {
				out <- "client " + conn.ConnectionState().PeerCertificates[0].Subject.CommonName
				_, _ = conn.Write([]byte("ok"))
			}
			_ = conn.Close()
		}
	})
	return ln.Addr().String(), out
}

// dial handshakes with the client TLS configuration connect builds from env, and reads the server's "ok". With
// TLS 1.3 a refused client certificate shows only on that read.
func dial(t *testing.T, addr string, env map[string]string) error {
	t.Helper()
	env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"], env["TEMPORAL_ADDRESS"] = "k", "s", addr
	cfg, err := config.Parse(env)
	require.NoError(t, err)
	opts, err := connect.TemporalOptions(cfg)
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS, "TLS is on")
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, opts.ConnectionOptions.TLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	if err != nil {
		return err
	}
	if string(got) != "ok" {
		return errors.New("server said " + string(got))
	}
	return nil
}

// The tls.Config connect builds completes an mTLS handshake with a server that requires client certificates,
// and fails whenever one piece is missing or wrong.
func TestTemporalTLSHandshake(t *testing.T) {
	p := newPKI(t)
	mtls := func(extra map[string]string) map[string]string {
		env := map[string]string{
			"TEMPORAL_TLS_CERT": p.cert, "TEMPORAL_TLS_KEY": p.key,
			"TEMPORAL_TLS_CA": p.serverCA, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		}
		for k, v := range extra {
			if v == "" {
				delete(env, k)
			} else {
				env[k] = v
			}
		}
		return env
	}
	tests := []struct {
		name string
		env  map[string]string
		// server is the server's configuration; nil is p.serverTLS().
		server *tls.Config
		// wantServer is what the server reports; wantClientErr is in the client's error ("" for none).
		wantServer, wantClientErr string
	}{
		{name: "mTLS", env: mtls(nil), wantServer: "client worker"},
		{
			name:       "with an API key too",
			env:        mtls(map[string]string{"TEMPORAL_API_KEY": "key"}),
			wantServer: "client worker",
		},
		{
			name:          "no client certificate",
			env:           mtls(map[string]string{"TEMPORAL_TLS_CERT": "", "TEMPORAL_TLS_KEY": ""}),
			wantServer:    "server: tls: client didn't provide a certificate",
			wantClientErr: "certificate required",
		},
		{
			// crypto/tls sends no certificate that the server's list of acceptable CAs rules out.
			name:          "client certificate from a CA the server does not trust",
			env:           mtls(map[string]string{"TEMPORAL_TLS_CERT": p.strangerCert, "TEMPORAL_TLS_KEY": p.strangerKey}),
			wantServer:    "server: tls: client didn't provide a certificate",
			wantClientErr: "certificate required",
		},
		{
			name:          "system roots do not know the server's CA",
			env:           mtls(map[string]string{"TEMPORAL_TLS_CA": ""}),
			wantServer:    "server: ",
			wantClientErr: "certificate signed by unknown authority",
		},
		{
			name:          "without the server name the address's host is verified",
			env:           mtls(map[string]string{"TEMPORAL_TLS_SERVER_NAME": ""}),
			wantServer:    "server: ",
			wantClientErr: "127.0.0.1",
		},
		{
			name: "a server that offers only TLS 1.1 is refused",
			env:  mtls(nil),
			server: func() *tls.Config {
				c := p.serverTLS()
				c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
				return c
			}(),
			wantServer:    "server: ",
			wantClientErr: "protocol version",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server := tc.server
			if server == nil {
				server = p.serverTLS()
			}
			addr, results := handshakes(t, server)
			err := dial(t, addr, tc.env)
			if tc.wantClientErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.wantClientErr)
			}
			select {
			case got := <-results:
				require.Contains(t, got, tc.wantServer)
			case <-time.After(10 * time.Second):
				t.Fatal("the server saw no connection")
			}
		})
	}
}

// frontend is a gRPC WorkflowService over mTLS that records, per call, the metadata and client certificate.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu    sync.Mutex
	calls []call
}

type call struct {
	method, authorization, namespace, clientCert string
}

func (f *frontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

func (f *frontend) record(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	c := call{method: info.FullMethod}
	if v := md.Get("authorization"); len(v) > 0 {
		c.authorization = v[0]
	}
	if v := md.Get("temporal-namespace"); len(v) > 0 {
		c.namespace = v[0]
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			c.clientCert = ti.State.PeerCertificates[0].Subject.CommonName
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	return handler(ctx, req)
}

// connect.Temporal dials a frontend that requires mTLS, sends the API key as a bearer token on every call, and
// the SDK adds the temporal-namespace header by itself.
func TestTemporalDialsWithMTLSAndAPIKey(t *testing.T) {
	p := newPKI(t)
	fe := &frontend{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(p.serverTLS())), grpc.UnaryInterceptor(fe.record))
	workflowservice.RegisterWorkflowServiceServer(srv, fe)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { srv.Stop(); wg.Wait() })

	cfg, err := config.Parse(map[string]string{
		"S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s",
		"TEMPORAL_ADDRESS": ln.Addr().String(), "TEMPORAL_NAMESPACE": "pipeline.a1b2c",
		"TEMPORAL_TLS_CERT": p.cert, "TEMPORAL_TLS_KEY": p.key,
		"TEMPORAL_TLS_CA": p.serverCA, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		"TEMPORAL_API_KEY": "test-api-key",
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := connect.Temporal(ctx, cfg, zap.NewNop())
	require.NoError(t, err)
	defer c.Close()
	// Unimplemented by the fake: only the request's metadata matters.
	_, _ = c.DescribeWorkflowExecution(ctx, "some-workflow", "")

	fe.mu.Lock()
	defer fe.mu.Unlock()
	require.Equal(t, []call{
		{method: "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", authorization: "Bearer test-api-key", clientCert: "worker"},
		{
			method:        "/temporal.api.workflowservice.v1.WorkflowService/DescribeWorkflowExecution",
			authorization: "Bearer test-api-key", namespace: "pipeline.a1b2c", clientCert: "worker",
		},
	}, fe.calls)
}

func TestTemporalOptions(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantTLS   bool
		wantCreds bool
	}{
		{name: "plaintext", env: map[string]string{}},
		{name: "TLS with system roots", env: map[string]string{"TEMPORAL_TLS": "true"}, wantTLS: true},
		{name: "API key: TLS and credentials", env: map[string]string{"TEMPORAL_API_KEY": "key"}, wantTLS: true, wantCreds: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["S3_ACCESS_KEY"], tc.env["S3_SECRET_KEY"] = "k", "s"
			tc.env["TEMPORAL_ADDRESS"], tc.env["TEMPORAL_NAMESPACE"] = "frontend.example:7233", "pipeline"
			cfg, err := config.Parse(tc.env)
			require.NoError(t, err)
			opts, err := connect.TemporalOptions(cfg)
			require.NoError(t, err)
			require.Equal(t, "frontend.example:7233", opts.HostPort)
			require.Equal(t, "pipeline", opts.Namespace)
			require.Equal(t, tc.wantTLS, opts.ConnectionOptions.TLS != nil)
			require.Equal(t, tc.wantCreds, opts.Credentials != nil)
		})
	}
}

func TestBucketLookup(t *testing.T) {
	want := map[string]minio.BucketLookupType{
		"auto": minio.BucketLookupAuto, "path": minio.BucketLookupPath, "virtual-host": minio.BucketLookupDNS,
	}
	require.Len(t, want, len(config.S3BucketLookups), "every S3_BUCKET_LOOKUP value is mapped")
	for _, name := range config.S3BucketLookups {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, want[name], connect.BucketLookup(name))
		})
	}
}
