package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/socialdata"
	"github.com/socialhook/pipeline/internal/storage"
)

const (
	// heartbeatEvery is how often a datafile copy reports progress; the workflow's HeartbeatTimeout is larger.
	heartbeatEvery = 2 * time.Second
	// stallTimeout aborts a copy (retryably) when no byte arrived for this long.
	stallTimeout = 60 * time.Second
	maxRedirects = 5
)

// errRedirectNotAllowed marks a redirect to a host outside the allowlist.
var errRedirectNotAllowed = errors.New("redirect to a host outside DATAFILE_ALLOWED_HOSTS")

// errPrivateAddress marks a connection refused because the host resolved to a private, loopback, link-local
// or otherwise internal address.
var errPrivateAddress = errors.New("datafile host resolves to a private or internal address (DATAFILE_ALLOW_PRIVATE is off)")

// newDatafileClient returns the HTTP client for datafiles: connection reuse, bounded waits for connect and
// headers (the body may take long: progress is watched by heartbeats instead), redirects only to allowed
// hosts, and — unless allowPrivate — no connection to internal addresses. The address is checked on the
// socket being connected, after DNS resolution, so a name that resolves (or re-resolves) to an internal
// address is refused too (DNS rebinding).
func newDatafileClient(allowlist *config.HostAllowlist, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || internalIP(ip) {
				return fmt.Errorf("%w: %s", errPrivateAddress, host)
			}
			return nil
		}
	}
	transport := &http.Transport{
		// No proxy: a proxy would make the connected address the proxy's, defeating the address check.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if err := checkDatafileURL(req.URL, allowlist); err != nil {
				return fmt.Errorf("%w: %s", errRedirectNotAllowed, req.URL.Host)
			}
			return nil
		},
	}
}

// internalIP reports addresses a datafile must never come from: loopback, private (RFC 1918, unique local),
// link-local (cloud metadata at 169.254.169.254), unspecified, multicast and carrier-grade NAT.
func internalIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip)
}

var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// checkDatafileURL refuses anything but http(s) URLs to allowed hosts.
func checkDatafileURL(u *url.URL, allowlist *config.HostAllowlist) error {
	defaultPort := map[string]string{"http": "80", "https": "443"}[u.Scheme]
	if defaultPort == "" {
		return fmt.Errorf("datafile URL scheme %q is not http or https", u.Scheme)
	}
	if allowlist == nil || !allowlist.Allows(u.Host, defaultPort) {
		return fmt.Errorf("datafile host %q is not in DATAFILE_ALLOWED_HOSTS", u.Host)
	}
	return nil
}

// FetchDatafile streams a job's datafile from its URL into MinIO at datafiles/<job_id>/<name>, hashing it on
// the way, with memory bounded by storage.PartSize whatever the file's size. It heartbeats the bytes copied.
//
// Failures: a host outside DATAFILE_ALLOWED_HOSTS (checked before any request, and on every redirect) and 4xx
// answers are non-retryable; 403 is reported as ErrTypeURLExpired so the workflow can fetch a fresh URL;
// 408, 429, 5xx, resets and stalls are retried by the activity's retry policy. A failed attempt leaves no
// object: the multipart upload is aborted.
func (a *Activities) FetchDatafile(ctx context.Context, in contract.FetchDatafileInput) (contract.Datafile, error) {
	logger := activity.GetLogger(ctx)
	u, err := url.Parse(in.URL)
	if err != nil || in.JobID <= 0 {
		return contract.Datafile{}, temporal.NewNonRetryableApplicationError("datafile URL or job id is invalid",
			contract.ErrTypeInvalidInput, nil)
	}
	source := socialdata.RedactURL(in.URL)
	if err := checkDatafileURL(u, a.deps.Allowlist); err != nil {
		return contract.Datafile{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeHostNotAllowed, nil)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return contract.Datafile{}, temporal.NewNonRetryableApplicationError("build datafile request", contract.ErrTypeInvalidInput, err)
	}
	resp, err := a.datafiles.Do(req)
	if err != nil {
		if errors.Is(err, errRedirectNotAllowed) || errors.Is(err, errPrivateAddress) {
			return contract.Datafile{}, temporal.NewNonRetryableApplicationError(err.Error(), contract.ErrTypeHostNotAllowed, nil)
		}
		return contract.Datafile{}, fmt.Errorf("GET %s: %w", source, err)
	}
	defer resp.Body.Close()
	if err := classifyStatus(resp.StatusCode, source); err != nil {
		return contract.Datafile{}, err
	}

	maxBytes := a.deps.DatafileMaxBytes
	if maxBytes > 0 && resp.ContentLength > maxBytes {
		return contract.Datafile{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("datafile is %d bytes, over DATAFILE_MAX_BYTES (%d)", resp.ContentLength, maxBytes), contract.ErrTypeTooLarge, nil)
	}
	contentType := resp.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	key := storage.DatafileKey(in.JobID, storage.DatafileName(u.Path))
	hash := sha256.New()
	var body io.Reader = resp.Body
	if maxBytes > 0 {
		body = &capReader{r: resp.Body, left: maxBytes}
	}
	progress := &progressReader{r: body}
	stop := watchCopy(ctx, cancel, progress)
	size, err := a.store.PutStream(ctx, key, io.TeeReader(progress, hash), resp.ContentLength, contentType)
	stop()
	if errors.Is(err, errTooLarge) {
		return contract.Datafile{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("datafile exceeds DATAFILE_MAX_BYTES (%d); upload aborted", maxBytes), contract.ErrTypeTooLarge, nil)
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		return contract.Datafile{}, fmt.Errorf("copy datafile to %s: %w", key, err)
	}
	if resp.ContentLength >= 0 && size != resp.ContentLength {
		return contract.Datafile{}, fmt.Errorf("copy datafile to %s: got %d of %d bytes", key, size, resp.ContentLength)
	}
	df := contract.Datafile{
		Key:         key,
		Size:        size,
		SHA256:      hex.EncodeToString(hash.Sum(nil)),
		ContentType: contentType,
		SourceURL:   source,
		FetchedAt:   a.now().UTC(),
	}
	logger.Info("datafile stored", "key", key, "bytes", size, "sha256", df.SHA256)
	return df, nil
}

// classifyStatus maps the datafile server's status to nil (200) or the right kind of failure.
func classifyStatus(code int, source string) error {
	switch {
	case code == http.StatusOK:
		return nil
	case code == http.StatusForbidden:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("GET %s: 403 (the pre-signed datafile URL has likely expired)", source), contract.ErrTypeURLExpired, nil)
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("GET %s: status %d", source, code)
	default:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("GET %s: status %d", source, code),
			contract.ErrTypeDatafileClient, nil)
	}
}

// errTooLarge stops a copy that goes over DATAFILE_MAX_BYTES.
var errTooLarge = errors.New("datafile over DATAFILE_MAX_BYTES")

// capReader fails with errTooLarge once more than left bytes were read, so an upload of unknown length stops
// (and is aborted) at the cap instead of filling the bucket.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// progressReader counts the bytes read through it.
type progressReader struct {
	r io.Reader
	n atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}

// watchCopy heartbeats the bytes copied every heartbeatEvery and cancels the copy when nothing arrived for
// stallTimeout. The returned func stops the watcher and waits for it.
func watchCopy(ctx context.Context, cancel context.CancelCauseFunc, p *progressReader) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		ticker := time.NewTicker(heartbeatEvery)
		defer ticker.Stop()
		last, lastChange := int64(-1), time.Now()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-ticker.C:
				n := p.n.Load()
				activity.RecordHeartbeat(ctx, n)
				if n != last {
					last, lastChange = n, now
				} else if now.Sub(lastChange) > stallTimeout {
					cancel(fmt.Errorf("datafile stalled: no bytes for %s after %d bytes", stallTimeout, n))
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}
