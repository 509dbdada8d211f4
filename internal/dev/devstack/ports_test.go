package devstack

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckPorts(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = taken.Close() })
	_, takenPort, err := net.SplitHostPort(taken.Addr().String())
	require.NoError(t, err)
	free, err := FreeAddr()
	require.NoError(t, err)

	tests := []struct {
		name    string
		ports   []Port
		wantErr []string // substrings of the error; none: no error
	}{
		{
			name:  "all free",
			ports: []Port{{Addr: free, Owner: "MinIO S3 API", Setting: "S3_ENDPOINT"}},
		},
		{
			name: "one taken",
			ports: []Port{
				{Addr: free, Owner: "Temporal frontend", Setting: "TEMPORAL_ADDRESS"},
				{Addr: taken.Addr().String(), Owner: "MinIO S3 API", Setting: "S3_ENDPOINT"},
			},
			wantErr: []string{"port " + takenPort + " (MinIO S3 API at 127.0.0.1:" + takenPort + ") is in use",
				"make run", "S3_ENDPOINT"},
		},
		{
			// The ingress listens on ":8080": every interface, loopback included.
			name:    "taken on loopback, wanted on every interface",
			ports:   []Port{{Addr: ":" + takenPort, Owner: "ingress", Setting: "INGRESS_ADDR"}},
			wantErr: []string{"port " + takenPort + " (ingress at :" + takenPort + ") is in use", "INGRESS_ADDR"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPorts(tt.ports)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				ln, err := net.Listen("tcp", free)
				require.NoError(t, err, "the check must release the ports it tried")
				require.NoError(t, ln.Close())
				return
			}
			require.ErrorIs(t, err, ErrPortInUse)
			for _, want := range tt.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}
