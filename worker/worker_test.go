package worker_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/worker"
)

// A poller schedule without the SocialData key would fail every run: the worker refuses to start, before it
// contacts anything (the addresses here answer nothing).
func TestRunRefusesAPollerWithoutAPIKey(t *testing.T) {
	cfg, err := config.Parse(map[string]string{
		"S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s", "POLL_INTERVAL": "5m",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "S3_ENDPOINT": "127.0.0.1:1",
	})
	require.NoError(t, err)
	err = worker.Run(t.Context(), cfg, zap.NewNop())
	require.ErrorContains(t, err, "POLL_INTERVAL=5m0s needs SOCIALDATA_API_KEY")
}
