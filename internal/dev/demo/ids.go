package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// idSource hands out identifiers in the providers' formats. They derive from the demo's start time and a
// counter, so every run's ids are new: a second demo against the same Temporal is not answered "duplicate".
type idSource struct {
	rng *rand.Rand
	seq int64
}

func newIDSource(start time.Time, seed uint64) *idSource {
	return &idSource{rng: rand.New(rand.NewPCG(uint64(start.UnixNano()), seed))}
}

// twitterEpoch is the snowflake epoch (2010-11-04T01:42:54.657Z) in Unix milliseconds.
const twitterEpoch = 1288834974657

// snowflake returns a tweet/DM/media id whose embedded time is at, as X's ids have.
func (s *idSource) snowflake(at time.Time) int64 {
	s.seq++
	return (at.UnixMilli()-twitterEpoch)<<22 | 1<<17 | s.seq&0xfff
}

// monitorID returns a SocialData monitor id: a lowercase ULID of at.
func (s *idSource) monitorID(at time.Time) string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford's base32
	var b strings.Builder
	ms := uint64(at.UnixMilli())
	for i := 9; i >= 0; i-- {
		b.WriteByte(alphabet[(ms>>(5*uint(i)))&31])
	}
	for range 16 {
		b.WriteByte(alphabet[s.rng.IntN(32)])
	}
	return b.String()
}

// uuid7 returns an XAA event_uuid: a version 7 UUID of at.
func (s *idSource) uuid7(at time.Time) string {
	ms := uint64(at.UnixMilli())
	hi, lo := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x",
		ms>>16, ms&0xffff, hi&0xfff, 0x8000|(hi>>12)&0x3fff, lo&0xffffffffffff)
}

// hex32 returns a 32-hex-digit id, like an AAA favorite event's.
func (s *idSource) hex32() string {
	return fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
}
