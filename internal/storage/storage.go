// Package storage owns the pipeline's MinIO (S3) bucket: the client, the object layout (every key the pipeline
// writes is built by a function in layout.go) and bounded-memory writes.
package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// PartSize is the multipart part size for streamed uploads. minio-go buffers one part per upload, so this is
// the upload's memory bound; 8 MiB parts allow objects up to ~78 GiB (10,000 parts). Without an explicit part
// size, an upload of unknown length would reserve parts sized for 5 TiB (a 528 MiB buffer).
const PartSize = 8 << 20

// ErrNotFound is returned when an object does not exist.
var ErrNotFound = errors.New("object not found")

// Options configures a Store.
type Options struct {
	// Endpoint is the S3 server's host:port.
	Endpoint string
	// AccessKey and SecretKey are static credentials. Both empty selects the AWS credential chain
	// (Credentials).
	AccessKey string
	SecretKey string
	// Region is the bucket's region; empty lets minio-go ask the server (GetBucketLocation, once per bucket).
	Region string
	// BucketLookup is how requests address the bucket: minio.BucketLookupAuto (the zero value),
	// minio.BucketLookupPath or minio.BucketLookupDNS (virtual-host style).
	BucketLookup minio.BucketLookupType
	Bucket       string
	UseSSL       bool
	// Transport replaces minio-go's HTTP transport (nil keeps it); tests record requests with it.
	Transport http.RoundTripper
}

// Store reads and writes the pipeline's objects in one bucket.
type Store struct {
	client *minio.Client
	bucket string
}

// New returns a Store for the bucket described by opts. It does not contact the server.
func New(opts Options) (*Store, error) {
	client, err := minio.New(opts.Endpoint, &minio.Options{
		Creds:        Credentials(opts),
		Secure:       opts.UseSSL,
		Region:       opts.Region,
		BucketLookup: opts.BucketLookup,
		Transport:    opts.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("create minio client: %w", err)
	}
	return &Store{client: client, bucket: opts.Bucket}, nil
}

// Credentials returns opts' static keys when either is set. Otherwise it returns the AWS credential chain, the
// first that has credentials winning: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials, AWS_CONFIG_FILE or ~/.aws/config; profile AWS_PROFILE or default), then the machine's
// role: web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as EKS sets them; STS of opts.Region or
// AWS_REGION), ECS or EKS Pod Identity container credentials (AWS_CONTAINER_CREDENTIALS_*), else EC2
// instance metadata. Role credentials are refreshed before they expire. With none found, requests go
// unsigned and the server refuses them (Ping fails at start).
func Credentials(opts Options) *credentials.Credentials {
	if opts.AccessKey != "" || opts.SecretKey != "" {
		return credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, "")
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{Region: opts.Region},
	})
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Client returns the underlying minio client, for tests and tools that inspect the bucket.
func (s *Store) Client() *minio.Client { return s.client }

// Ping checks that the server answers and the bucket exists.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %q: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("bucket %q does not exist", s.bucket)
	}
	return nil
}

// EnsureBucket creates the bucket if it does not exist yet.
func (s *Store) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %q: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		return fmt.Errorf("create bucket %q: %w", s.bucket, err)
	}
	return nil
}

// PutBytes writes data under key.
func (s *Store) PutBytes(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// PutJSON writes v as indented JSON under key.
func (s *Store) PutJSON(ctx context.Context, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return s.PutBytes(ctx, key, data, "application/json")
}

// PutStream streams r under key. size is the length if known, or -1. Memory stays bounded by PartSize. The
// object becomes visible only when the upload completes, so a failed upload never leaves a partial object.
func (s *Store) PutStream(ctx context.Context, key string, r io.Reader, size int64, contentType string) (int64, error) {
	info, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    PartSize,
		// One part in flight: parallel part uploads would multiply the buffer per upload.
		NumThreads: 1,
	})
	if err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	return info.Size, nil
}

// Get returns the object under key. It returns ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}

// GetJSON decodes the JSON object under key into v.
func (s *Store) GetJSON(ctx context.Context, key string, v any) error {
	data, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// Delete removes the object under key; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// List returns the keys under prefix, recursively, in lexical order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys, nil
}
