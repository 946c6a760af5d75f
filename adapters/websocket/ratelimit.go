package websocket

import (
	"sync"
	"time"
)

// tokenBucket is a token bucket rate limiter: it holds up to burst tokens,
// gains rate tokens per second, and each allowed event takes one. It is
// written here instead of importing golang.org/x/time/rate because two
// methods are all the handler needs. It is safe for concurrent use.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token at now when one is available. Otherwise it returns
// false and how long until the next token.
func (b *tokenBucket) allow(now time.Time) (allowed bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}

	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
