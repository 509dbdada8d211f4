package ingress

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// The drain's pace rises slowly while starts are fast, never past its ceiling, halves when a replayed or a
// live start is slow (once per slow period, never below its floor), and does nothing without a ceiling.
func TestDrainPace(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	newPace := func(ceiling float64) *drainPace {
		p := newDrainPace(ceiling)
		p.now = func() time.Time { return clock }
		return p
	}
	fast, slow := 20*time.Millisecond, 2*drainSlowStart

	p := newPace(40)
	require.InDelta(t, 10, p.rate(), 1e-9, "starts at a quarter of the ceiling")
	for range 10 {
		p.observe(fast)
	}
	require.InDelta(t, 11, p.rate(), 0.05, "ten fast starts at ~10/s: about one more per second")
	for range 10_000 {
		p.observe(fast)
	}
	require.InDelta(t, 40, p.rate(), 1e-9, "capped at the ceiling")

	tests := []struct {
		name     string
		step     func()
		wantRate float64
	}{
		{"a slow replayed start halves it", func() { p.observe(slow) }, 20},
		{"another at once does not halve it again", func() { p.observe(slow) }, 20},
		{"one a slow period later does", func() { clock = clock.Add(drainSlowStart); p.observe(slow) }, 10},
		{"a fast live start changes nothing", func() { clock = clock.Add(time.Second); p.observeLive(fast); p.observe(fast) }, 10.1},
		{"a slow live start halves it too", func() { clock = clock.Add(time.Second); p.observeLive(slow); p.observe(fast) }, 5.05},
		{"never below the floor", func() {
			for range 10 {
				clock = clock.Add(time.Second)
				p.observe(slow)
			}
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.step()
			require.InDelta(t, tt.wantRate, p.rate(), 1e-9)
		})
	}

	unpaced := newPace(0)
	unpaced.observe(slow)
	require.Equal(t, float64(rate.Inf), unpaced.rate(), "no ceiling: no pacing")
}
