package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// repeatWindow is how long a log line that protoactor repeats is held back
// after it was written once. protoactor logs an unreachable peer's health
// check once a second per peer, which would bury other errors on game day.
const repeatWindow = 30 * time.Second

// repeatLimiter is a slog.Handler that writes a record whose level and
// message it wrote less than repeatWindow ago only as a count: the next
// record with that level and message after the window carries
// "repeats_suppressed". It is for protoactor's logs, whose repeated lines
// differ only in their attributes. It keeps one entry per level and
// message, which protoactor writes as constants, so the map stays small.
type repeatLimiter struct {
	next  slog.Handler
	state *repeatState
}

type repeatState struct {
	mu   sync.Mutex
	seen map[repeatKey]*repeatCount
}

type repeatKey struct {
	level   slog.Level
	message string
}

type repeatCount struct {
	written    time.Time
	suppressed int
}

func newRepeatLimiter(next slog.Handler) *repeatLimiter {
	return &repeatLimiter{next: next, state: &repeatState{seen: make(map[repeatKey]*repeatCount)}}
}

func (h *repeatLimiter) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *repeatLimiter) Handle(ctx context.Context, record slog.Record) error {
	key := repeatKey{level: record.Level, message: record.Message}

	h.state.mu.Lock()
	count := h.state.seen[key]
	if count != nil && record.Time.Sub(count.written) < repeatWindow {
		count.suppressed++
		h.state.mu.Unlock()
		return nil
	}
	suppressed := 0
	if count != nil {
		suppressed = count.suppressed
	}
	h.state.seen[key] = &repeatCount{written: record.Time}
	h.state.mu.Unlock()

	if suppressed > 0 {
		record = record.Clone()
		record.AddAttrs(slog.Int("repeats_suppressed", suppressed))
	}
	return h.next.Handle(ctx, record)
}

func (h *repeatLimiter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &repeatLimiter{next: h.next.WithAttrs(attrs), state: h.state}
}

func (h *repeatLimiter) WithGroup(name string) slog.Handler {
	return &repeatLimiter{next: h.next.WithGroup(name), state: h.state}
}
