package prodstack

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
)

// deploy/versions.env carries every setting the tier reads, in the shapes it parses them in.
func TestVersionsHaveWhatTheTierReads(t *testing.T) {
	v, err := ReadVersions()
	require.NoError(t, err)
	for _, key := range []string{"TEMPORAL_SERVER_VERSION", "POSTGRES_MAJOR", "TEMPORAL_HISTORY_SHARDS",
		"TEMPORAL_NAMESPACE_RETENTION", "MINIO_VERSION", "TEMPORAL_CLI_VERSION"} {
		require.NotEmpty(t, v[key], key)
	}
	shards, err := strconv.Atoi(v["TEMPORAL_HISTORY_SHARDS"])
	require.NoError(t, err)
	require.GreaterOrEqual(t, shards, 16, "a cluster's shard count is fixed at creation: not the 4 of a dev setup")
	s := &Stack{Versions: v, Dir: t.TempDir(), Logger: zap.NewNop()}
	opts, err := s.temporalOptions(nil)
	require.NoError(t, err)
	require.Equal(t, 168.0, opts.Retention.Hours(), "the dedupe window")
}

// The server's config renders to YAML with the shard count, both SQL stores on PostgreSQL, and the frontend
// on mTLS with a client certificate for the server's own worker role.
func TestServerConfigRenders(t *testing.T) {
	dir := t.TempDir()
	p, err := NewPKI(filepath.Join(dir, "pki"))
	require.NoError(t, err)
	ts := &TemporalServer{opts: TemporalOptions{
		Dir: dir, PKI: p, Shards: 16, DynamicConfig: "/abs/dynamicconfig.yaml",
		Postgres: &Postgres{Addr: "127.0.0.1:5999", opts: PostgresOptions{User: "u", Password: "pw"}},
	}}
	require.NoError(t, ts.writeConfig())
	b, err := os.ReadFile(filepath.Join(dir, "config", "production.yaml"))
	require.NoError(t, err)
	var cfg struct {
		Persistence struct {
			NumHistoryShards int `yaml:"numHistoryShards"`
			Datastores       map[string]struct {
				SQL struct {
					PluginName  string `yaml:"pluginName"`
					ConnectAddr string `yaml:"connectAddr"`
				} `yaml:"sql"`
			}
		}
		Global struct {
			TLS struct {
				Frontend struct {
					Server struct {
						RequireClientAuth bool     `yaml:"requireClientAuth"`
						ClientCAFiles     []string `yaml:"clientCaFiles"`
					}
				}
				SystemWorker struct {
					CertFile string `yaml:"certFile"`
				} `yaml:"systemWorker"`
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg), "%s", b)
	require.Equal(t, 16, cfg.Persistence.NumHistoryShards)
	require.Len(t, cfg.Persistence.Datastores, 2)
	for name, ds := range cfg.Persistence.Datastores {
		require.Equal(t, "postgres12", ds.SQL.PluginName, name)
		require.Equal(t, "127.0.0.1:5999", ds.SQL.ConnectAddr, name)
	}
	require.True(t, cfg.Global.TLS.Frontend.Server.RequireClientAuth)
	require.Equal(t, []string{p.CA}, cfg.Global.TLS.Frontend.Server.ClientCAFiles)
	require.Equal(t, p.ServerCert, cfg.Global.TLS.SystemWorker.CertFile)
}
