package actors

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// TestPlayerPanicRestartsFromSavedState makes a player actor panic in the
// middle of a poll: it restarts from the state it had saved, the poll's
// change reaches the client once on the next poll, and nothing already sent
// is sent again.
func TestPlayerPanicRestartsFromSavedState(t *testing.T) {
	const playerID = "00-0000001"
	first := snapshotOf(2,
		playerWeek(playerID, 1, "receiving_yards", "50"),
		playerWeek("00-0000002", 1, "rushing_yards", "80"),
	)
	second := cloneSnapshot(first)
	second.PlayerWeeks = append(second.PlayerWeeks, playerWeek(playerID, 2, "receiving_yards", "71"))

	var panics atomic.Int32
	panicOnce := func(id string) {
		if id == playerID && panics.Load() == 0 && armed.Load() {
			panics.Add(1)
			panic("injected failure")
		}
	}
	armed.Store(false)

	source := &scriptedSource{results: []sourceResult{{snapshot: first}, {snapshot: second}, {snapshot: cloneSnapshot(second)}}}
	recorder := metrics.New()
	fixture := startTestPipelineWith(t, PipelineConfig{
		Source:      source,
		Metrics:     recorder,
		diffTimeout: 500 * time.Millisecond,
		playerHook:  panicOnce,
	})
	sink := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, playerID))

	fixture.sync(t)
	waitFor(t, "week 1", func() bool { return len(sink.messages(t)) == 1 })

	// The second poll adds week 2; the player actor panics before it
	// handles it, so the cycle ends on its diff timeout.
	armed.Store(true)
	fixture.sync(t)
	if got := panics.Load(); got != 1 {
		t.Fatalf("injected %d panics, want 1", got)
	}

	// The third poll brings the same rows: the restarted actor announces
	// week 2 once and nothing about week 1.
	fixture.sync(t)
	waitFor(t, "week 2", func() bool { return len(sink.messages(t)) == 2 })
	time.Sleep(100 * time.Millisecond)

	received := sink.messages(t)
	if len(received) != 2 {
		t.Fatalf("received %d PLAYER_UPDATE messages, want 2 (week 1, then week 2)", len(received))
	}
	week := received[1]["data"].(map[string]any)["week"]
	if week != float64(2) {
		t.Errorf("second message is for week %v, want 2", week)
	}
	if got := testutil.ToFloat64(recorder.ActorRestarts.WithLabelValues(metrics.ActorPlayer)); got != 1 {
		t.Errorf("nflsync_actor_restarts_total{actor=player} = %v, want 1", got)
	}
}

// armed gates the injected panic of TestPlayerPanicRestartsFromSavedState.
var armed atomic.Bool

// TestPlayerPanicsStopAtRestartLimit makes one player actor panic on every
// poll: it is restarted up to the limit, then stopped, while the other
// players keep updating.
func TestPlayerPanicsStopAtRestartLimit(t *testing.T) {
	const brokenID, healthyID = "00-0000009", "00-0000002"
	var snapshots []sourceResult
	for week := int32(1); week <= childRestartLimit+2; week++ {
		snapshot := snapshotOf(week+1, playerWeek(brokenID, week, "receptions", "1"))
		for w := int32(1); w <= week; w++ {
			snapshot.PlayerWeeks = append(snapshot.PlayerWeeks, playerWeek(healthyID, w, "receptions", fmt.Sprint(w)))
		}
		snapshots = append(snapshots, sourceResult{snapshot: snapshot})
	}

	recorder := metrics.New()
	var logs syncBuffer
	fixture := startTestPipelineWith(t, PipelineConfig{
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		Source:      &scriptedSource{results: snapshots},
		State:       NewStateKeeper(inmem.New(), nil, nil, nil),
		Metrics:     recorder,
		diffTimeout: 300 * time.Millisecond,
		playerHook: func(id string) {
			if id == brokenID {
				panic("injected failure")
			}
		},
	})
	healthy := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, healthyID))

	for range snapshots {
		fixture.sync(t)
	}
	waitFor(t, "every healthy week", func() bool { return len(healthy.messages(t)) == len(snapshots) })

	// After childRestartLimit restarts the fourth failure stops the
	// actor, and the next poll spawns a fresh one.
	if !strings.Contains(logs.String(), "child actor stopped after repeated failures") {
		t.Errorf("no log line for the stopped actor; logs:\n%s", logs.String())
	}
	restarts := testutil.ToFloat64(recorder.ActorRestarts.WithLabelValues(metrics.ActorPlayer))
	if restarts != float64(len(snapshots)) {
		t.Errorf("nflsync_actor_restarts_total{actor=player} = %v, want %d (one failure per poll)", restarts, len(snapshots))
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}
