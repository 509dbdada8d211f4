package contract_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
)

// CheckJobFinished is the rule the webhook parser, the job poll and the job workflow all apply.
func TestCheckJobFinished(t *testing.T) {
	tests := []struct {
		name, status, url string
		want              error
	}{
		{"success with a datafile", "success", "https://x/f.json", nil},
		{"error", "error", "", nil},
		{"success without a datafile", "success", "", contract.ErrJobNoDatafile},
		{"success with a blank datafile", "success", "  ", contract.ErrJobNoDatafile},
		{"pending", "pending", "", contract.ErrJobNotTerminal},
		{"processing", "processing", "https://x/f.json", contract.ErrJobNotTerminal},
		{"upper case", "SUCCESS", "https://x/f.json", contract.ErrJobNotTerminal},
		{"empty", "", "", contract.ErrJobNotTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := contract.CheckJobFinished(tt.status, tt.url)
			if tt.want == nil {
				require.NoError(t, err)
				require.True(t, contract.JobTerminal(tt.status))
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}
