package xwebhook_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/socialhook/pipeline/internal/xwebhook"
)

// FuzzParse feeds arbitrary deliveries to the X parser: no panic, and every event it returns has an identity
// usable in a workflow ID and object key.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/x/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{``, `{}`, `{"data":{"event_uuid":"../../x"}}`, `{"tweet_create_events":[null,1,"x",{}]}`,
		`{"follow_events":{"type":"a b","source":{"id":"1"},"target":{"id":"2"},"created_timestamp":"3"}}`} {
		f.Add([]byte(s))
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := xwebhook.Parse(body)
		if err != nil {
			return
		}
		for _, ev := range append(d.Events, d.Ephemeral...) {
			if ev.Kind == "" || len(ev.Body) == 0 {
				t.Fatalf("event without kind or body: %+v", ev)
			}
			if ev.Kind != xwebhook.KindTyping && ev.Kind != xwebhook.KindRead && len(ev.Identity) == 0 {
				t.Fatalf("event without identity: %+v", ev)
			}
			for _, part := range ev.Identity {
				if !safe.MatchString(part) {
					t.Fatalf("unsafe identity part %q", part)
				}
			}
		}
	})
}

// FuzzVerify: a signature made with a secret verifies, and no header verifies another body.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "sha256=itGVSjgIPsOYiTN5eMaPuqshI8AE85iutbkJa5k9oik=")
	f.Add([]byte{}, "")
	f.Add([]byte("x"), "sha256=!!")
	secrets, _ := xwebhook.ParseSecrets([]string{"main=x-consumer-secret-main"})
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		if _, ok := xwebhook.Verify(secrets, body, xwebhook.Sign(secrets[0], body)); !ok {
			t.Fatal("own signature refused")
		}
		if _, ok := xwebhook.Verify(secrets, body, header); ok && header != xwebhook.Sign(secrets[0], body) {
			t.Fatalf("a header that is not the signature verified: %q", header)
		}
		_ = xwebhook.CRCResponse(secrets[0], header)
	})
}
