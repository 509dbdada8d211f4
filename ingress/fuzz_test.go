package ingress

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/mocks"
	"go.uber.org/zap"

	"github.com/socialhook/pipeline/internal/xwebhook"
)

// fuzzServer returns the ingress over a mock Temporal client that accepts every start and counts them: the
// fuzz targets check what the handlers answer and whether they start anything, not Temporal (the end-to-end
// tests cover the real server).
func fuzzServer(f *testing.F) (http.Handler, *atomic.Int64, xwebhook.Secret) {
	starts := &atomic.Int64{}
	c := &mocks.Client{}
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Run(func(mock.Arguments) { starts.Add(1) }).Return(nil, nil)
	secrets, err := xwebhook.ParseSecrets([]string{"main=fuzz-secret"})
	if err != nil {
		f.Fatal(err)
	}
	s := New(Options{TaskQueue: "q", WebhookToken: token, MaxBodyBytes: 64 << 10, StartTimeout: time.Second,
		XSecrets: secrets, XDeliveryWindow: time.Second}, c, nil, zap.NewNop())
	return s.Handler(), starts, secrets[0]
}

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzSocialDataWebhook: any body on the SocialData route gets 200, 400 or 413 — never a 5xx, never a panic —
// and only a 200 starts anything.
func FuzzSocialDataWebhook(f *testing.F) {
	addFiles(f, "../testdata/samples/*.json")
	f.Add([]byte(`{"event":"job_finished","data":{"job_id":1,"status":"error"}}`))
	f.Add([]byte("\xff\xfe"))
	h, starts, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := starts.Load()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/socialdata/"+token, bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if starts.Load() != before {
				t.Fatalf("%d answer started a workflow", rec.Code)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzXWebhook: unsigned or forged bodies get 401 and start nothing; signed ones get 200 or 400, never 5xx.
func FuzzXWebhook(f *testing.F) {
	addFiles(f, "../testdata/x/*.json")
	h, starts, secret := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, signed := range []bool{false, true} {
			before := starts.Load()
			req := httptest.NewRequest(http.MethodPost, "/webhooks/x", bytes.NewReader(body))
			if signed {
				req.Header.Set(xwebhook.SignatureHeader, xwebhook.Sign(secret, body))
			} else {
				req.Header.Set(xwebhook.SignatureHeader, "sha256="+string(body))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case !signed && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge:
				t.Fatalf("unsigned body answered %d", rec.Code)
			case !signed && starts.Load() != before:
				t.Fatal("unsigned body started a workflow")
			case signed && rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge:
				t.Fatalf("signed body answered %d: %s", rec.Code, rec.Body)
			case rec.Code != http.StatusOK && starts.Load() != before:
				t.Fatalf("%d answer started a workflow", rec.Code)
			}
		}
	})
}
