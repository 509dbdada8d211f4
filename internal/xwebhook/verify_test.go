package xwebhook_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/xwebhook"
)

// Expected values computed outside Go (python3 hmac/hashlib/base64), so the test does not check the code
// against itself.
const (
	crcMain  = "sha256=9p4RUdPcxUBeD+4qT2mibozyRt2o0UEljeqeBPvlu1Y="
	crcOther = "sha256=0zRdrrZzd8O4nMwdarS+X/x4McAPSRFfcZ6GUwgz/1A="
	sigMain  = "sha256=itGVSjgIPsOYiTN5eMaPuqshI8AE85iutbkJa5k9oik=" // of body {"a":1}
)

func secrets(t *testing.T) []xwebhook.Secret {
	t.Helper()
	s, err := xwebhook.ParseSecrets([]string{"main=x-consumer-secret-main", "other=x-consumer-secret-other"})
	require.NoError(t, err)
	return s
}

func TestCRCResponse(t *testing.T) {
	s := secrets(t)
	require.Equal(t, crcMain, xwebhook.CRCResponse(s[0], "challenge-123"))
	require.Equal(t, crcOther, xwebhook.CRCResponse(s[1], "challenge-123"))
}

func TestVerify(t *testing.T) {
	s := secrets(t)
	body := []byte(`{"a":1}`)
	tests := []struct {
		name    string
		body    []byte
		header  string
		wantApp string
		wantOK  bool
		secrets []xwebhook.Secret
	}{
		{"signed by main", body, sigMain, "main", true, s},
		{"signed by other", body, xwebhook.Sign(s[1], body), "other", true, s},
		{"only the other app configured", body, sigMain, "", false, s[1:]},
		{"body changed", []byte(`{"a":2}`), sigMain, "", false, s},
		{"missing header", body, "", "", false, s},
		{"no sha256= prefix", body, sigMain[len("sha256="):], "", false, s},
		{"not base64", body, "sha256=!!!", "", false, s},
		{"truncated mac", body, sigMain[:20], "", false, s},
		{"no secrets", body, sigMain, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, ok := xwebhook.Verify(tt.secrets, tt.body, tt.header)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.wantApp, app)
		})
	}
	require.Equal(t, sigMain, xwebhook.Sign(s[0], body))
}

func TestParseSecrets(t *testing.T) {
	tests := []struct {
		name      string
		in        []string
		wantNames []string
		wantErr   bool
	}{
		{"single unnamed", []string{"abc"}, []string{"default"}, false},
		{"several unnamed", []string{"abc", "def"}, []string{"default", "app2"}, false},
		{"named", []string{"main=abc", " other = def "}, []string{"main", "other"}, false},
		{"blank entries skipped", []string{"", " ", "abc"}, []string{"default"}, false},
		{"empty secret", []string{"main="}, nil, true},
		{"duplicate name", []string{"a=1", "a=2"}, nil, true},
		{"none", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := xwebhook.ParseSecrets(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			require.Equal(t, tt.wantNames, names)
		})
	}
}
