package hazelcast

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hazelcast/hazelcast-go-client/logger"
)

// repeatWindow is how long the adapter drops a client message that repeats
// word for word. While the cluster is down the client logs one error per
// connection attempt, and the mirror's backoff allows an attempt every 5
// seconds at most.
const repeatWindow = time.Minute

// maxTrackedMessages caps the number of recently logged messages kept for
// the repeat check. The set is cleared when it is full.
const maxTrackedMessages = 256

// slogAdapter routes the client's log messages to slog. The client's
// informational messages, such as each connection attempt, go to debug level
// so that a default slog handler shows only its warnings and errors. Its debug
// and trace messages go below debug level.
type slogAdapter struct {
	logger *slog.Logger

	mu     sync.Mutex
	recent map[string]*repeat
}

// repeat is the state of one message text within repeatWindow.
type repeat struct {
	loggedAt time.Time
	dropped  int
}

func newSlogAdapter(logger *slog.Logger) *slogAdapter {
	return &slogAdapter{logger: logger, recent: make(map[string]*repeat)}
}

// Log formats the message only when the handler accepts its level, because
// the client builds some messages with fmt.Sprintf. A message equal to one
// logged less than repeatWindow ago is dropped and counted, and the count is
// logged with the next copy after the window.
func (a *slogAdapter) Log(weight logger.Weight, format func() string) {
	ctx := context.Background()
	level := slogLevel(weight)
	if !a.logger.Enabled(ctx, level) {
		return
	}

	message := format()
	dropped, ok := a.admit(message, time.Now())
	if !ok {
		return
	}

	attrs := []any{"component", "hazelcast-go-client"}
	if dropped > 0 {
		attrs = append(attrs, "repeats_dropped", dropped)
	}
	a.logger.Log(ctx, level, message, attrs...)
}

// admit reports whether message may be logged now, and how many copies of it
// were dropped since it was last logged.
func (a *slogAdapter) admit(message string, now time.Time) (dropped int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()

	if len(a.recent) >= maxTrackedMessages {
		a.recent = make(map[string]*repeat)
	}

	entry, seen := a.recent[message]
	if !seen {
		a.recent[message] = &repeat{loggedAt: now}
		return 0, true
	}
	if now.Sub(entry.loggedAt) < repeatWindow {
		entry.dropped++
		return 0, false
	}

	dropped = entry.dropped
	entry.loggedAt = now
	entry.dropped = 0
	return dropped, true
}

func slogLevel(weight logger.Weight) slog.Level {
	switch {
	case weight <= logger.WeightError:
		return slog.LevelError
	case weight <= logger.WeightWarn:
		return slog.LevelWarn
	case weight <= logger.WeightInfo:
		return slog.LevelDebug
	case weight <= logger.WeightDebug:
		return slog.LevelDebug - 4
	default:
		return slog.LevelDebug - 8
	}
}
