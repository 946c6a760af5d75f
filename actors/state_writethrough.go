package actors

// Write-through of the StateKeeper: in a cluster, PutPlayer and PutGame
// write the state to the mirror before they return. A circuit breaker
// pauses that after a failure, so that a stalled mirror cannot hold up every
// actor of a cycle.

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

const (
	// stateWriteThroughTimeout bounds one write-through mirror write. A
	// write that fails or times out is queued in the mirror lane and opens
	// the breaker.
	//
	// The breaker bounds what a stalled mirror costs. Without it every
	// player actor of a cycle would wait this long, 4 × GOMAXPROCS at a time
	// on the player dispatcher (8 on 2 cores). A cycle of 2,000 changed
	// players could then take about 20 minutes while polling waits. With
	// it, the writes already under way when the first one fails wait at
	// most this long, and after that one probe per
	// stateWriteThroughCooldown does.
	//
	// The price is the pause itself. Its states reach the mirror only with
	// the next batch of the mirror lane, so a node that takes over polling
	// meanwhile can rehydrate an older state and announce a change again.
	// The hubs' repeated-payload check (hub_dedupe.go) drops such a message
	// when it equals the last one of its item. A state more than one change
	// behind yields a different message, which clients do receive.
	stateWriteThroughTimeout = 5 * time.Second

	// stateWriteThroughCooldown is how long write-through stays paused
	// after a failure before one write probes the mirror again. A probe
	// holds one actor for at most stateWriteThroughTimeout while the others
	// queue, so probing this often costs little while the mirror stays
	// down. The pause is what widens the failover window above, and 15 s
	// ends it within one live poll (NFL_SYNC_LIVE_INTERVAL_SECONDS, 15 by
	// default) of the mirror recovering.
	stateWriteThroughCooldown = 15 * time.Second
)

// writeThroughBreaker is the circuit breaker of write-through. It is closed
// while write-through works, open for a cool-down after a write failed, and
// half-open while the one probe write after the cool-down runs. Writes that
// the breaker does not admit go to the mirror lane.
type writeThroughBreaker struct {
	mu sync.Mutex
	// open is true from a failed write until a probe succeeds.
	open bool
	// retryAt is the end of the cool-down, when the next write probes.
	retryAt time.Time
	// probing is true while the probe runs. Other writes are queued then.
	probing bool
	// observe receives every change of open, for metrics. It may be nil.
	observe func(paused bool)
}

// SetMirrorWriteThrough makes PutPlayer and PutGame write the player's or
// game's state to the mirror before they return, instead of in the next
// batch. A cluster needs it: when the polling node dies, the node that
// takes over rehydrates from the mirror, which must then contain every
// change that a client received, or the change would be announced twice.
// The store writes stay batched.
func (k *StateKeeper) SetMirrorWriteThrough(on bool) {
	k.writeThrough.Store(on)
}

// SetMirrorWriteThroughObserver makes the keeper call observe with true
// when it pauses write-through after a failure and with false when it
// resumes it. observe runs under the breaker's lock, so it must be quick
// and must not call the keeper.
func (k *StateKeeper) SetMirrorWriteThroughObserver(observe func(paused bool)) {
	k.breaker.mu.Lock()
	defer k.breaker.mu.Unlock()
	k.breaker.observe = observe
}

// writeMirrorNow writes one entry to the mirror when write-through is on
// and the breaker admits the write, and reports whether it was written. id
// names the entry in logs, such as player_id.
func writeMirrorNow[V any](k *StateKeeper, operation string, id slog.Attr, value V, put func(context.Context, []V) error) bool {
	if !k.writeThrough.Load() {
		return false
	}
	admitted, probe := k.admitWriteThrough()
	if !admitted {
		return false
	}

	ctx, cancel := context.WithTimeout(context.Background(), k.writeThroughTimeout)
	defer cancel()
	err := k.observed(ctx, "mirror", operation, func(ctx context.Context) error { return put(ctx, []V{value}) })

	k.recordWriteThrough(operation, id, probe, err)
	return err == nil
}

// admitWriteThrough reports whether a write-through may run now, and
// whether it is the probe that ends a cool-down. Only one probe runs at a
// time.
func (k *StateKeeper) admitWriteThrough() (admitted, probe bool) {
	b := &k.breaker
	b.mu.Lock()
	defer b.mu.Unlock()

	switch {
	case !b.open:
		return true, false
	case b.probing || time.Now().Before(b.retryAt):
		return false, false
	default:
		b.probing = true
		return true, true
	}
}

// recordWriteThrough moves the breaker on the outcome of a write-through.
// A failure opens it, or keeps a probed breaker open for another cool-down.
// Only a successful probe closes it: a write admitted before the breaker
// opened proves nothing about the mirror now. The breaker logs when it
// opens and when it closes, not per write.
func (k *StateKeeper) recordWriteThrough(operation string, id slog.Attr, probe bool, err error) {
	b := &k.breaker
	b.mu.Lock()
	defer b.mu.Unlock()

	if probe {
		b.probing = false
	}

	switch {
	case err == nil && probe:
		b.open = false
		k.logger.Info("mirror write-through resumed", "operation", operation, id)
		b.notify(false)
	case err == nil:
		// The breaker is closed, or another write opened it meanwhile,
		// and then only a probe may close it.
	case probe:
		b.retryAt = time.Now().Add(k.writeThroughCooldown)
		k.logger.Debug("mirror write-through probe failed, staying paused",
			"operation", operation, id, "retry_in", k.writeThroughCooldown, "error", err)
	case !b.open:
		b.open = true
		b.retryAt = time.Now().Add(k.writeThroughCooldown)
		k.logger.Warn("mirror write-through failed, pausing it and queuing states for the batched writes",
			"operation", operation, id, "retry_in", k.writeThroughCooldown, "error", err)
		b.notify(true)
	default:
		// Another write that ran at the same time has opened the breaker.
	}
}

// notify passes a change of the breaker to its observer. The caller holds
// b.mu, so that the observer receives the changes in order.
func (b *writeThroughBreaker) notify(paused bool) {
	if b.observe != nil {
		b.observe(paused)
	}
}
