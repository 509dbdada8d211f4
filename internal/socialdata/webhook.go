// Package socialdata owns everything about the SocialData.Tools API: the webhook bodies it sends (parsed
// defensively, since its documented examples are malformed in places) and a small REST client.
package socialdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/socialhook/pipeline/contract"

	"github.com/socialhook/pipeline/internal/jsonobject"
)

// Parse errors. Handlers map them to 400 with the wrapped message.
var (
	ErrMissingEvent  = errors.New(`missing "event"`)
	ErrMissingData   = errors.New(`missing "data" object`)
	ErrMissingJobID  = errors.New(`missing "data.job_id"`)
	ErrInvalidJobID  = errors.New(`"data.job_id" must be a positive integer`)
	ErrInvalidStatus = errors.New(`"data.status" must be "success" or "error"`)
	ErrMissingURL    = errors.New(`"data.result.datafile_url" is required when status is "success"`)
)

// Webhook is the envelope of every SocialData webhook: {event, data, meta}.
type Webhook struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	Meta  json.RawMessage `json:"meta,omitempty"`
}

// ParseWebhook decodes the envelope of body. Only the envelope is checked here; the data is parsed per event.
func ParseWebhook(body []byte) (Webhook, error) {
	var w Webhook
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Webhook{}, jsonobject.ErrMalformed
	}
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Webhook{}, fmt.Errorf("%w: %s", jsonobject.ErrMalformed, jsonErrorDetail(err))
	}
	w.Event = strings.TrimSpace(w.Event)
	if w.Event == "" {
		return Webhook{}, ErrMissingEvent
	}
	return w, nil
}

// Job is a job as GET /jobs/{id} and the job_finished webhook's data describe it.
type Job struct {
	JobID   int64  `json:"job_id"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// DatafileURL is result.datafile_url, set on success.
	DatafileURL string `json:"datafile_url,omitempty"`
}

// Terminal reports whether the job will not change any more.
func (j Job) Terminal() bool { return contract.JobTerminal(j.Status) }

type jobWire struct {
	JobID   json.RawMessage `json:"job_id"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Result  *struct {
		DatafileURL string `json:"datafile_url"`
	} `json:"result"`
}

// ParseJob decodes a job object (GET /jobs/{id} body, or job_finished data). The id may be a JSON number or a
// numeric string.
func ParseJob(data []byte) (Job, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Job{}, ErrMissingData
	}
	var w jobWire
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Job{}, fmt.Errorf("%w: %s", jsonobject.ErrMalformed, jsonErrorDetail(err))
	}
	id, err := parseJobID(w.JobID)
	if err != nil {
		return Job{}, err
	}
	job := Job{JobID: id, Status: strings.TrimSpace(w.Status), Message: w.Message}
	if w.Result != nil {
		job.DatafileURL = strings.TrimSpace(w.Result.DatafileURL)
	}
	return job, nil
}

// ParseJobFinished decodes job_finished data and checks what processing needs: a terminal status and, on
// success, a datafile URL.
func ParseJobFinished(data []byte) (Job, error) {
	job, err := ParseJob(data)
	if err != nil {
		return Job{}, err
	}
	if err := contract.CheckJobFinished(job.Status, job.DatafileURL); err != nil {
		if errors.Is(err, contract.ErrJobNoDatafile) {
			return Job{}, ErrMissingURL
		}
		return Job{}, fmt.Errorf("%w, got %q", ErrInvalidStatus, job.Status)
	}
	return job, nil
}

func parseJobID(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, ErrMissingJobID
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, ErrInvalidJobID
		}
		s = strings.TrimSpace(s)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w, got %.40q", ErrInvalidJobID, s)
	}
	return id, nil
}

// jsonErrorDetail turns a decoding error into a short message safe to return to a client.
func jsonErrorDetail(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type (%s)", typ.Field, typ.Value)
	default:
		return "invalid JSON"
	}
}
