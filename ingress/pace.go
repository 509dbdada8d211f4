package ingress

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// drainSlowStart is the start latency above which Temporal counts as busy for the drainer: a replayed start,
// or a live one, slower than this halves the drain's pace.
const drainSlowStart = 250 * time.Millisecond

// drainPace is the spool drainer's pace: additive increase, multiplicative decrease (AIMD, as TCP does), so
// the backlog of an outage goes at the rate Temporal has to spare rather than at a fixed guess. It starts at a
// quarter of its ceiling, rises by about one start per second every second while starts are fast, and halves
// (down to a floor) whenever a replayed start or a live one is slow: live webhooks keep their latency, and the
// drain takes what is left. A ceiling of 0 means no pacing at all.
type drainPace struct {
	lim       *rate.Limiter
	ceil, flr float64
	now       func() time.Time
	mu        sync.Mutex
	lastDecr  time.Time
	liveSlow  time.Time // when a live start was last slow
}

// newDrainPace returns the pace for ceiling starts per second.
func newDrainPace(ceiling float64) *drainPace {
	p := &drainPace{ceil: ceiling, now: time.Now}
	if ceiling <= 0 {
		p.lim = rate.NewLimiter(rate.Inf, 0)
		return p
	}
	p.flr = max(1, ceiling/20)
	start := max(p.flr, ceiling/4)
	p.lim = rate.NewLimiter(rate.Limit(start), max(1, int(ceiling/10)))
	return p
}

// wait blocks until n more starts may go (n is capped at the burst).
func (p *drainPace) wait(ctx context.Context, n int) error {
	return p.lim.WaitN(ctx, min(n, max(1, p.lim.Burst())))
}

// observeLive takes the time a live webhook's starts took: a slow one slows the drain down.
func (p *drainPace) observeLive(took time.Duration) {
	if p.ceil <= 0 || took <= drainSlowStart {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.liveSlow = p.now()
}

// observe adjusts the pace after a replayed start that took took.
func (p *drainPace) observe(took time.Duration) {
	if p.ceil <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	cur := float64(p.lim.Limit())
	slow := took > drainSlowStart || now.Sub(p.liveSlow) < time.Second
	switch {
	case slow && now.Sub(p.lastDecr) >= drainSlowStart:
		// At most one halving per slow-start period: the starts already in flight saw the same congestion.
		p.lastDecr = now
		p.lim.SetLimit(rate.Limit(max(p.flr, cur/2)))
	case !slow:
		p.lim.SetLimit(rate.Limit(min(p.ceil, cur+1/max(cur, 1))))
	}
}

// rate returns the current pace in starts per second (rate.Inf when unpaced).
func (p *drainPace) rate() float64 { return float64(p.lim.Limit()) }
