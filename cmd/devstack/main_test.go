package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/internal/dev/devstack"
)

// TestRunRefusesTakenPort takes each port the stack listens on in turn and requires the launcher to stop at
// once, naming that port and its owner, before it creates its data directory.
func TestRunRefusesTakenPort(t *testing.T) {
	tests := []struct {
		name    string
		setting string // the variable whose address is taken
		owner   string
		demo    bool
	}{
		{name: "temporal frontend", setting: "TEMPORAL_ADDRESS", owner: "Temporal frontend"},
		{name: "temporal web ui", setting: "TEMPORAL_UI_PORT", owner: "Temporal Web UI"},
		{name: "minio", setting: "S3_ENDPOINT", owner: "MinIO S3 API"},
		{name: "minio console", setting: "MINIO_CONSOLE_ADDR", owner: "MinIO console"},
		{name: "ingress", setting: "INGRESS_ADDR", owner: "ingress"},
		{name: "worker health", setting: "WORKER_HEALTH_ADDR", owner: "worker health"},
		{name: "demo fake socialdata api", setting: "SOCIALDATA_API_URL", owner: "fake SocialData API", demo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addrs := map[string]string{}
			for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_UI_PORT", "S3_ENDPOINT", "MINIO_CONSOLE_ADDR",
				"INGRESS_ADDR", "WORKER_HEALTH_ADDR", "SOCIALDATA_API_URL"} {
				addr, err := devstack.FreeAddr()
				require.NoError(t, err)
				addrs[k] = addr
			}
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { _ = taken.Close() })
			addrs[tt.setting] = taken.Addr().String()
			_, takenPort, err := net.SplitHostPort(taken.Addr().String())
			require.NoError(t, err)
			_, uiPort, err := net.SplitHostPort(addrs["TEMPORAL_UI_PORT"])
			require.NoError(t, err)

			dataDir := filepath.Join(t.TempDir(), "data")
			t.Setenv("DATA_DIR", dataDir)
			t.Setenv("TEMPORAL_UI_PORT", uiPort)
			t.Setenv("MINIO_CONSOLE_ADDR", addrs["MINIO_CONSOLE_ADDR"])
			// No tools: were the check missing, nothing could start either.
			t.Setenv("TOOLS_BIN", t.TempDir())
			cfg, err := config.Parse(map[string]string{
				"TEMPORAL_ADDRESS":       addrs["TEMPORAL_ADDRESS"],
				"S3_ENDPOINT":            addrs["S3_ENDPOINT"],
				"S3_ACCESS_KEY":          "minioadmin",
				"S3_SECRET_KEY":          "minioadmin-secret",
				"INGRESS_ADDR":           addrs["INGRESS_ADDR"],
				"WORKER_HEALTH_ADDR":     addrs["WORKER_HEALTH_ADDR"],
				"SOCIALDATA_API_URL":     "http://" + addrs["SOCIALDATA_API_URL"],
				"DATAFILE_ALLOWED_HOSTS": addrs["SOCIALDATA_API_URL"],
				"DATAFILE_ALLOW_PRIVATE": "true",
				"SOCIALDATA_API_KEY":     "dev-api-key",
			})
			require.NoError(t, err)

			err = run(context.Background(), cfg, zap.NewNop(), demoOptions{on: tt.demo})
			require.ErrorIs(t, err, devstack.ErrPortInUse)
			require.ErrorContains(t, err, "port "+takenPort+" ("+tt.owner+" at ")
			require.NoDirExists(t, dataDir, "the launcher touched its data directory before the port check")
		})
	}
}
