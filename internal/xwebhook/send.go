package xwebhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Post sends body to url as X does: a JSON POST carrying signature in SignatureHeader ("" sends none, for
// tests of the refusal). It returns the status and the answer's body (at most 1 MiB). The sender side of the
// protocol, for the demo and the tests.
func Post(ctx context.Context, client *http.Client, url string, body []byte, signature string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build X delivery: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(SignatureHeader, signature)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post X delivery: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read X delivery answer: %w", err)
	}
	return resp.StatusCode, raw, nil
}
