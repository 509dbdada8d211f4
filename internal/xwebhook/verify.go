// Package xwebhook owns X's webhook protocol: the CRC challenge answer, the x-twitter-webhooks-signature check
// over the raw body (constant time, several consumer secrets for several apps on one URL), and parsing
// deliveries of the Account Activity API (AAA) and of its successor, the X Activity API (XAA), into events
// with their own identities.
package xwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SignatureHeader is the header X signs every POST with.
const SignatureHeader = "X-Twitter-Webhooks-Signature"

// Secret is one app's consumer secret. Name selects it for the CRC of /webhooks/x/<name>.
type Secret struct {
	Name string
	key  []byte
}

// ErrNoSecrets is returned when no consumer secret is configured.
var ErrNoSecrets = errors.New("no X consumer secret configured")

// ParseSecrets reads X_CONSUMER_SECRET entries: "secret" or "name=secret". Unnamed entries are named "default"
// (the first) and "app2", "app3", … by position among the non-blank entries.
func ParseSecrets(entries []string) ([]Secret, error) {
	var out []Secret
	seen := map[string]bool{}
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		name, key, named := strings.Cut(e, "=")
		if !named {
			name, key = "default", e
			if len(out) > 0 {
				name = fmt.Sprintf("app%d", len(out)+1)
			}
		}
		name, key = strings.TrimSpace(name), strings.TrimSpace(key)
		if name == "" || key == "" {
			return nil, fmt.Errorf("entry %d: want secret or name=secret", i+1)
		}
		if seen[name] {
			return nil, fmt.Errorf("entry %d: name %q used twice", i+1, name)
		}
		seen[name] = true
		out = append(out, Secret{Name: name, key: []byte(key)})
	}
	return out, nil
}

// CRCResponse returns the response_token for crc_token: "sha256=" + base64(HMAC-SHA256(consumer secret, token)).
func CRCResponse(s Secret, token string) string {
	return "sha256=" + base64.StdEncoding.EncodeToString(mac(s.key, []byte(token)))
}

// Sign returns the signature header value X would send for body.
func Sign(s Secret, body []byte) string {
	return "sha256=" + base64.StdEncoding.EncodeToString(mac(s.key, body))
}

// Verify checks header (the x-twitter-webhooks-signature value) over the raw body against every secret, in
// constant time for each, and returns the name of the secret that signed it.
func Verify(secrets []Secret, body []byte, header string) (string, bool) {
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return "", false
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return "", false
	}
	matched := ""
	for _, s := range secrets { // every secret is tried: the time does not tell which one matched
		if hmac.Equal(got, mac(s.key, body)) && matched == "" {
			matched = s.Name
		}
	}
	return matched, matched != ""
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
