package socialdata

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// APIError is a non-2xx answer of the SocialData API.
type APIError struct {
	StatusCode int
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("socialdata api: status %d: %s", e.StatusCode, e.Message)
}

// Retryable reports whether the same request may succeed later: rate limiting and server errors. 402 (balance
// exhausted), 403 (another account's resource) and 404 need a person, not a retry.
func (e *APIError) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Client calls the SocialData REST API.
type Client struct {
	baseURL string
	apiKey  string
	http    *http.Client
}

// NewClient returns a client for baseURL authenticating with apiKey. httpClient may be nil.
func NewClient(baseURL, apiKey string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: httpClient}
}

// GetJob returns job jobID's status (GET /jobs/{id}).
func (c *Client) GetJob(ctx context.Context, jobID int64) (Job, error) {
	body, err := c.get(ctx, "/jobs/"+strconv.FormatInt(jobID, 10))
	if err != nil {
		return Job{}, err
	}
	job, err := ParseJob(body)
	if err != nil {
		return Job{}, fmt.Errorf("decode job %d: %w", jobID, err)
	}
	return job, nil
}

func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &APIError{StatusCode: resp.StatusCode, Message: errorMessage(body, resp.Status)}
	}
	return body, nil
}

// errorMessage extracts {"message": "..."} from an error body, or falls back to the HTTP status.
func errorMessage(body []byte, status string) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	return status
}

// RedactURL returns u without its query and fragment (which carry signatures of pre-signed URLs) and user info.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	u.RawQuery, u.Fragment, u.User, u.ForceQuery = "", "", nil, false
	return u.String()
}
