//go:build prod

package prodstack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/logging"
)

func TestServersSmoke(t *testing.T) {
	s := &Stack{}
	var err error
	s.Versions, err = ReadVersions()
	require.NoError(t, err)
	s.Logger, _ = logging.New("warn", "console")
	s.Dir = t.TempDir()
	out, _ := os.Create(filepath.Join(s.Dir, "servers.log"))
	s.PKI, err = NewPKI(filepath.Join(s.Dir, "pki"))
	require.NoError(t, err)
	s.Postgres, err = StartPostgres(t.Context(), PostgresOptions{Major: "15", Dir: filepath.Join(s.Dir, "pg"), User: pgUser, Password: pgPassword, Output: out})
	require.NoError(t, err)
	defer s.Postgres.Stop()
	topts, err := s.temporalOptions(out)
	require.NoError(t, err)
	require.NoError(t, SetupSchema(t.Context(), topts))
	s.Temporal, err = StartTemporal(t.Context(), topts)
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "servers.log"))
		t.Logf("%s", b[max(0, len(b)-5000):])
	}
	require.NoError(t, err)
	defer s.Temporal.Stop()
}
