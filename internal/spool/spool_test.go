package spool_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/internal/spool"
)

func TestSpoolSurvivesReopenAndDrainsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := spool.Open(path)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			require.NoError(t, s.Put(spool.Record{Source: "x", Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), ReceivedAt: time.Unix(int64(i), 0)}))
		})
	}
	wg.Wait()
	require.Equal(t, 50, s.Len())
	require.NoError(t, s.Close())

	// Reopened (an ingress restart): everything is still there.
	s, err = spool.Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, 50, s.Len())
	var seqs []uint64
	n, err := s.Drain(20, 1, func(r spool.Record) error { seqs = append(seqs, r.Seq); return nil })
	require.NoError(t, err)
	require.Equal(t, 20, n)
	require.IsIncreasing(t, seqs)
	require.Equal(t, 30, s.Len())
}

func TestSpoolDrainOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		fn       func(spool.Record) error
		wantDone int
		wantLeft int
		wantDead int
	}{
		{"all processed", func(spool.Record) error { return nil }, 3, 0, 0},
		{"stop keeps the rest", func(r spool.Record) error {
			if r.Seq == 2 {
				return spool.ErrStop
			}
			return nil
		}, 1, 2, 0},
		{"unprocessable records are set aside, not dropped", func(r spool.Record) error {
			if r.Seq == 2 {
				return errors.New("bad body")
			}
			return nil
		}, 3, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"))
			require.NoError(t, err)
			defer s.Close()
			for range 3 {
				require.NoError(t, s.Put(spool.Record{Source: "socialdata", Body: []byte(`{}`)}))
			}
			done, err := s.Drain(10, 1, tt.fn)
			require.NoError(t, err)
			require.Equal(t, tt.wantDone, done)
			require.Equal(t, tt.wantLeft, s.Len())
			require.Equal(t, tt.wantDead, s.Dead())
		})
	}
}

// Drain runs at most workers callbacks at once, and all of them when they overlap (the ingress's drain
// concurrency, SPOOL_DRAIN_CONCURRENCY).
func TestSpoolDrainConcurrency(t *testing.T) {
	s, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"))
	require.NoError(t, err)
	defer s.Close()
	for range 10 {
		require.NoError(t, s.Put(spool.Record{Source: "socialdata", Body: []byte(`{}`)}))
	}
	const workers = 3
	var inflight, peak atomic.Int32
	release := make(chan struct{})
	done := make(chan int)
	go func() {
		n, err := s.Drain(10, workers, func(spool.Record) error {
			n := inflight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			inflight.Add(-1)
			return nil
		})
		assert.NoError(t, err)
		done <- n
	}()
	// The callbacks block until released: wait (polling, they run on Drain's goroutines) until the first
	// workers of them are in flight, then let everything finish.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.EqualValues(c, workers, inflight.Load())
	}, 10*time.Second, 10*time.Millisecond)
	close(release)
	require.Equal(t, 10, <-done)
	require.EqualValues(t, workers, peak.Load(), "never more than workers callbacks at once")
	require.Zero(t, s.Len())
}
