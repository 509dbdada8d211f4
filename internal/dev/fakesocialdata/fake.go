// Package fakesocialdata is an in-repo stand-in for the SocialData.Tools API, following its documented shapes,
// for tests, benchmarks and demos: GET /jobs/{id} for registered jobs, generated datafiles of any size (slow,
// failing N times, or behind an expiring signature), and a helper that POSTs webhooks to the ingress.
// Temporal and MinIO are never faked; only this external SaaS is.
package fakesocialdata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake API. Create it with New and serve it with any http server (httptest in tests).
type Server struct {
	apiKey string
	now    func() time.Time

	mu       sync.Mutex
	baseURL  string
	jobs     map[int64]Job
	failures map[string]int // datafile URL (path+query) → failed answers given so far
	requests map[string]int // path → requests seen
	polls    map[int64]int  // job id → GET /jobs/{id} answered
	twitter  *twitterState
}

// Job is a job the fake knows. Datafile, when set, describes the datafile a successful job points at.
type Job struct {
	ID       int64
	Status   string // pending | processing | success | error
	Message  string
	Datafile *Datafile
	// PendingPolls makes the first PendingPolls GET /jobs/{id} answer "processing" before Status.
	PendingPolls int
}

// Datafile describes a generated datafile. Its bytes are a pure function of Seed and Size.
type Datafile struct {
	Name string
	Size int64
	Seed uint64
	// FailTimes makes the first FailTimes requests for this URL answer 500.
	FailTimes int
	// BytesPerSecond throttles the body (0 = unthrottled).
	BytesPerSecond int64
	// ExpiresAt, when set, makes the URL answer 403 after that instant, like an expired pre-signed S3 URL.
	ExpiresAt time.Time
}

// New returns a fake that requires apiKey as bearer token on API routes (no check when empty).
func New(apiKey string) *Server {
	return &Server{
		apiKey:   apiKey,
		now:      time.Now,
		jobs:     map[int64]Job{},
		failures: map[string]int{},
		requests: map[string]int{},
		polls:    map[int64]int{},
	}
}

// SetBaseURL sets the URL the fake is reachable at; datafile URLs it hands out start with it.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimRight(u, "/")
}

// PutJob registers or replaces a job.
func (s *Server) PutJob(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[j.ID] = j
}

// Requests returns how many requests reached path.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// DatafileURL returns the URL of the generated datafile d on this fake.
func (s *Server) DatafileURL(d Datafile) string {
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	q := url.Values{}
	q.Set("size", strconv.FormatInt(d.Size, 10))
	q.Set("seed", strconv.FormatUint(d.Seed, 10))
	if d.FailTimes > 0 {
		q.Set("fail", strconv.Itoa(d.FailTimes))
	}
	if d.BytesPerSecond > 0 {
		q.Set("rate", strconv.FormatInt(d.BytesPerSecond, 10))
	}
	if !d.ExpiresAt.IsZero() {
		q.Set("X-Amz-Expires-At", strconv.FormatInt(d.ExpiresAt.Unix(), 10))
		q.Set("X-Amz-Signature", "fake-signature")
	}
	name := d.Name
	if name == "" {
		name = "datafile.json"
	}
	return base + "/datafiles/" + url.PathEscape(name) + "?" + q.Encode()
}

// ServeHTTP routes the fake's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/datafiles/") {
		if r.Method == http.MethodGet {
			s.getDatafile(w, r)
			return
		}
	} else if !s.authorized(w, r) || s.apiFault(w) {
		return
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/jobs/"):
		s.getJob(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/monitors":
		s.getMonitors(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/twitter/user/"):
		s.getTwitterUser(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "Not found"})
	}
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.apiKey == "" || r.Header.Get("Authorization") == "Bearer "+s.apiKey {
		return true
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"status": "error", "message": "Unauthenticated."})
	return false
}

// getJob answers GET /jobs/{id} like the real API: {job_id, status, result?, message?}.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/jobs/"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "Job not found"})
		return
	}
	s.mu.Lock()
	job, ok := s.jobs[id]
	s.polls[id]++
	if s.polls[id] <= job.PendingPolls {
		job.Status = "processing"
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "error", "message": "Job not found"})
		return
	}
	writeJSON(w, http.StatusOK, s.JobBody(job))
}

// JobBody returns job as the API (and the job_finished webhook's data) shows it.
func (s *Server) JobBody(job Job) map[string]any {
	body := map[string]any{"job_id": job.ID, "status": job.Status}
	switch job.Status {
	case "success":
		if job.Datafile != nil {
			body["result"] = map[string]any{"datafile_url": s.DatafileURL(*job.Datafile)}
		}
	case "error":
		body["message"] = job.Message
	}
	return body
}

func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// JobFinishedWebhook returns the job_finished webhook body SocialData would send for job.
func (s *Server) JobFinishedWebhook(job Job) []byte {
	body, _ := json.Marshal(map[string]any{"event": "job_finished", "data": s.JobBody(job)})
	return body
}

func (s *Server) getDatafile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := strconv.ParseInt(q.Get("size"), 10, 64)
	if err != nil || size < 0 {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	seed, _ := strconv.ParseUint(q.Get("seed"), 10, 64)
	if exp := q.Get("X-Amz-Expires-At"); exp != "" {
		if at, err := strconv.ParseInt(exp, 10, 64); err != nil || s.now().Unix() > at {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
			return
		}
	}
	if failTimes, _ := strconv.Atoi(q.Get("fail")); failTimes > 0 {
		key := r.URL.RequestURI()
		s.mu.Lock()
		failed := s.failures[key]
		if failed < failTimes {
			s.failures[key] = failed + 1
		}
		s.mu.Unlock()
		if failed < failTimes {
			http.Error(w, "internal error (injected)", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	var body io.Reader = Content(seed, size)
	if rate, _ := strconv.ParseInt(q.Get("rate"), 10, 64); rate > 0 {
		body = &throttled{ctx: r.Context(), r: body, rate: rate}
	}
	_, _ = io.Copy(w, body)
}

// Content returns the generated bytes of a datafile: size bytes of a ChaCha8 stream seeded by seed.
func Content(seed uint64, size int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

// SHA256 returns the hex sha256 of the generated datafile (seed, size).
func SHA256(seed uint64, size int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, Content(seed, size))
	return hex.EncodeToString(h.Sum(nil))
}

// throttled reads at most rate bytes per second on average, whatever the size of the reads.
type throttled struct {
	ctx   context.Context
	r     io.Reader
	rate  int64
	start time.Time
	sent  int64
}

func (t *throttled) Read(p []byte) (int, error) {
	if t.start.IsZero() {
		t.start = time.Now()
	}
	n, err := t.r.Read(p)
	t.sent += int64(n)
	due := t.start.Add(time.Duration(float64(t.sent) / float64(t.rate) * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		select {
		case <-t.ctx.Done():
			return n, t.ctx.Err()
		case <-time.After(wait):
		}
	}
	return n, err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// PostWebhook POSTs body to url (the ingress's webhook URL) and returns the status and response body.
func PostWebhook(ctx context.Context, client *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SocialData-Webhook/fake")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read webhook response: %w", err)
	}
	return resp.StatusCode, respBody, nil
}
