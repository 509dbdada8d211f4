package activities

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/socialdata"
)

// apiError is the one classification of a SocialData API failure, for job refreshes and polls alike: 402 (balance
// exhausted) stops with ErrTypeBalanceExhausted, other answers a retry will not change (401, 403, 404, …) fail
// with ErrTypeAPI, rate limits and server errors are retried. The API's error stays the cause, so callers can
// still tell a 404 apart (errors.As *socialdata.APIError).
func apiError(what string, err error) error {
	var apiErr *socialdata.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := fmt.Sprintf("%s: %d %s", what, apiErr.StatusCode, apiErr.Message)
	switch {
	case apiErr.StatusCode == 402:
		return temporal.NewNonRetryableApplicationError("SocialData balance exhausted (402): "+msg, contract.ErrTypeBalanceExhausted, err)
	case apiErr.Retryable():
		return fmt.Errorf("%s: %w", msg, err)
	default:
		return temporal.NewNonRetryableApplicationError(msg, contract.ErrTypeAPI, err)
	}
}
