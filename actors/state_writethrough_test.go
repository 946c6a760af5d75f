package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// scriptedMirror is a Mirror whose PutPlayers and PutGames count their
// calls and run its write function, which fails, waits for the deadline,
// waits for a gate or succeeds. Reads are not used by these tests and panic
// through the nil embedded interface.
type scriptedMirror struct {
	messages.Mirror

	mu          sync.Mutex
	write       func(ctx context.Context) error
	playerCalls int
	gameCalls   int
	inFlight    int
	maxInFlight int
}

func newScriptedMirror(write func(ctx context.Context) error) *scriptedMirror {
	return &scriptedMirror{write: write}
}

func (m *scriptedMirror) PutPlayers(ctx context.Context, _ []*messages.PlayerState) error {
	return m.put(ctx, &m.playerCalls)
}

func (m *scriptedMirror) PutGames(ctx context.Context, _ []*messages.Game) error {
	return m.put(ctx, &m.gameCalls)
}

func (m *scriptedMirror) put(ctx context.Context, calls *int) error {
	m.mu.Lock()
	*calls++
	m.inFlight++
	m.maxInFlight = max(m.maxInFlight, m.inFlight)
	write := m.write
	m.mu.Unlock()

	err := write(ctx)

	m.mu.Lock()
	m.inFlight--
	m.mu.Unlock()
	return err
}

func (m *scriptedMirror) setWrite(write func(ctx context.Context) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.write = write
}

// calls returns the number of PutPlayers and PutGames calls so far.
func (m *scriptedMirror) calls() (players, games int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.playerCalls, m.gameCalls
}

func (m *scriptedMirror) writesInFlight() (current, peak int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inFlight, m.maxInFlight
}

var errMirrorDown = errors.New("mirror unavailable")

func failWrite(context.Context) error { return errMirrorDown }

func succeedWrite(context.Context) error { return nil }

// waitForDeadline is a stalled mirror: the write returns only when its
// context ends.
func waitForDeadline(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// logRecorder is a slog.Handler that keeps the message and level of every
// record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, record slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, record)
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }

func (r *logRecorder) WithGroup(string) slog.Handler { return r }

// count returns how many records at level have the message.
func (r *logRecorder) count(level slog.Level, message string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, record := range r.records {
		if record.Level == level && record.Message == message {
			n++
		}
	}
	return n
}

const (
	pausedMessage  = "mirror write-through failed, pausing it and queuing states for the batched writes"
	resumedMessage = "mirror write-through resumed"
)

// pauseRecorder keeps every value passed to the write-through observer.
type pauseRecorder struct {
	mu     sync.Mutex
	values []bool
}

func (r *pauseRecorder) observe(paused bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values = append(r.values, paused)
}

func (r *pauseRecorder) list() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.values)
}

// newWriteThroughKeeper returns a keeper over mirror with write-through on,
// the given write-through timeout and cool-down, and recorders for its logs
// and pause changes. Its flush loops do not run, so every mirror call comes
// from a write-through and queued states stay queued.
func newWriteThroughKeeper(mirror messages.Mirror, timeout, cooldown time.Duration) (*StateKeeper, *logRecorder, *pauseRecorder) {
	logs := &logRecorder{}
	pauses := &pauseRecorder{}
	keeper := NewStateKeeper(mirror, nil, nil, slog.New(logs))
	keeper.writeThroughTimeout = timeout
	keeper.writeThroughCooldown = cooldown
	keeper.SetMirrorWriteThroughObserver(pauses.observe)
	keeper.SetMirrorWriteThrough(true)
	return keeper, logs, pauses
}

// endCooldown makes the next write-through probe the mirror, as if the
// cool-down had passed.
func endCooldown(keeper *StateKeeper) {
	keeper.breaker.mu.Lock()
	defer keeper.breaker.mu.Unlock()
	keeper.breaker.retryAt = time.Now()
}

// queuedPlayers returns the sorted ids of the players queued for the
// mirror lane.
func queuedPlayers(keeper *StateKeeper) []string {
	keeper.mu.Lock()
	defer keeper.mu.Unlock()
	ids := make([]string, 0, len(keeper.toMirror.pending.players))
	for id := range keeper.toMirror.pending.players {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func queuedGame(keeper *StateKeeper, gameID string) bool {
	keeper.mu.Lock()
	defer keeper.mu.Unlock()
	_, queued := keeper.toMirror.pending.games[gameID]
	return queued
}

func putPlayerState(keeper *StateKeeper, playerID string) {
	keeper.PutPlayer(&messages.PlayerState{PlayerId: playerID}, nil)
}

func TestWriteThroughPausesAfterTimeout(t *testing.T) {
	mirror := newScriptedMirror(waitForDeadline)
	keeper, logs, pauses := newWriteThroughKeeper(mirror, 10*time.Millisecond, time.Hour)

	// The first write waits for its deadline and is queued.
	putPlayerState(keeper, "00-0033873")
	if players, _ := mirror.calls(); players != 1 {
		t.Fatalf("PutPlayers called %d times after the first write, want 1", players)
	}

	// During the cool-down no write reaches the mirror, so none waits.
	putPlayerState(keeper, "00-0036355")
	putPlayerState(keeper, "00-0034796")
	keeper.PutGame(&messages.Game{GameId: "2025_03_KC_NYG"})

	players, games := mirror.calls()
	if players != 1 {
		t.Errorf("PutPlayers called %d times during the cool-down, want 1 (the first write only)", players)
	}
	if games != 0 {
		t.Errorf("PutGames called %d times during the cool-down, want 0", games)
	}

	want := []string{"00-0033873", "00-0034796", "00-0036355"}
	if got := queuedPlayers(keeper); !slices.Equal(got, want) {
		t.Errorf("queued players = %v, want %v", got, want)
	}
	if !queuedGame(keeper, "2025_03_KC_NYG") {
		t.Error("game written during the cool-down is not queued")
	}

	if got := logs.count(slog.LevelWarn, pausedMessage); got != 1 {
		t.Errorf("logged the pause %d times, want 1", got)
	}
	if got := pauses.list(); !slices.Equal(got, []bool{true}) {
		t.Errorf("observer got %v, want [true]", got)
	}
}

func TestWriteThroughProbeRestoresAfterCooldown(t *testing.T) {
	mirror := newScriptedMirror(failWrite)
	keeper, logs, pauses := newWriteThroughKeeper(mirror, time.Second, time.Hour)

	putPlayerState(keeper, "00-0033873")
	putPlayerState(keeper, "00-0036355")
	if players, _ := mirror.calls(); players != 1 {
		t.Fatalf("PutPlayers called %d times before the cool-down ended, want 1", players)
	}

	// After the cool-down the next write probes the mirror, which works
	// again, and is not queued.
	mirror.setWrite(succeedWrite)
	endCooldown(keeper)
	putPlayerState(keeper, "00-0034796")
	if players, _ := mirror.calls(); players != 2 {
		t.Fatalf("PutPlayers called %d times after the cool-down, want 2 (the probe)", players)
	}
	if got := queuedPlayers(keeper); slices.Contains(got, "00-0034796") {
		t.Errorf("probed player is queued as well: %v", got)
	}

	// The probe closed the breaker: every later write goes through.
	putPlayerState(keeper, "00-0031280")
	keeper.PutGame(&messages.Game{GameId: "2025_03_KC_NYG"})
	players, games := mirror.calls()
	if players != 3 {
		t.Errorf("PutPlayers called %d times after the probe, want 3", players)
	}
	if games != 1 {
		t.Errorf("PutGames called %d times after the probe, want 1", games)
	}

	want := []string{"00-0033873", "00-0036355"}
	if got := queuedPlayers(keeper); !slices.Equal(got, want) {
		t.Errorf("queued players = %v, want %v", got, want)
	}
	if got := logs.count(slog.LevelWarn, pausedMessage); got != 1 {
		t.Errorf("logged the pause %d times, want 1", got)
	}
	if got := logs.count(slog.LevelInfo, resumedMessage); got != 1 {
		t.Errorf("logged the resumption %d times, want 1", got)
	}
	if got := pauses.list(); !slices.Equal(got, []bool{true, false}) {
		t.Errorf("observer got %v, want [true false]", got)
	}
}

func TestWriteThroughFailedProbeReopens(t *testing.T) {
	mirror := newScriptedMirror(failWrite)
	keeper, logs, pauses := newWriteThroughKeeper(mirror, time.Second, time.Hour)

	putPlayerState(keeper, "00-0033873")
	endCooldown(keeper)
	putPlayerState(keeper, "00-0036355")
	if players, _ := mirror.calls(); players != 2 {
		t.Fatalf("PutPlayers called %d times after the cool-down, want 2 (the probe)", players)
	}

	// The failed probe started a new cool-down.
	putPlayerState(keeper, "00-0034796")
	if players, _ := mirror.calls(); players != 2 {
		t.Errorf("PutPlayers called %d times after the failed probe, want 2", players)
	}

	want := []string{"00-0033873", "00-0034796", "00-0036355"}
	if got := queuedPlayers(keeper); !slices.Equal(got, want) {
		t.Errorf("queued players = %v, want %v", got, want)
	}
	if got := logs.count(slog.LevelWarn, pausedMessage); got != 1 {
		t.Errorf("logged the pause %d times, want 1", got)
	}
	if got := logs.count(slog.LevelInfo, resumedMessage); got != 0 {
		t.Errorf("logged a resumption %d times after a failed probe, want 0", got)
	}
	if got := pauses.list(); !slices.Equal(got, []bool{true}) {
		t.Errorf("observer got %v, want [true]", got)
	}
}

func TestWriteThroughOneProbeAtATime(t *testing.T) {
	mirror := newScriptedMirror(failWrite)
	keeper, _, _ := newWriteThroughKeeper(mirror, time.Minute, time.Hour)

	putPlayerState(keeper, "00-0033873")
	endCooldown(keeper)

	// The probe waits for the gate; the writers that arrive meanwhile must
	// queue their states and return.
	gate := make(chan struct{})
	var closeGate sync.Once
	t.Cleanup(func() { closeGate.Do(func() { close(gate) }) })
	mirror.setWrite(func(ctx context.Context) error {
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	const writers = 8
	done := make(chan string, writers)
	for i := range writers {
		playerID := fmt.Sprintf("00-004%04d", i)
		go func() {
			putPlayerState(keeper, playerID)
			done <- playerID
		}()
	}

	queued := []string{"00-0033873"}
	for len(queued) < writers {
		select {
		case playerID := <-done:
			queued = append(queued, playerID)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d writers returned while the probe ran, want %d", len(queued)-1, writers, writers-1)
		}
	}
	waitFor(t, "the probe to reach the mirror", func() bool {
		current, _ := mirror.writesInFlight()
		return current == 1
	})
	if players, _ := mirror.calls(); players != 2 {
		t.Errorf("PutPlayers called %d times while the probe runs, want 2 (the first write and the probe)", players)
	}
	slices.Sort(queued)
	if got := queuedPlayers(keeper); !slices.Equal(got, queued) {
		t.Errorf("queued players = %v, want the first write's and the returned writers' %v", got, queued)
	}

	closeGate.Do(func() { close(gate) })
	probed := <-done
	if slices.Contains(queuedPlayers(keeper), probed) {
		t.Errorf("probed player %s is queued as well", probed)
	}
	if _, peak := mirror.writesInFlight(); peak != 1 {
		t.Errorf("at most %d writes ran at once, want 1", peak)
	}

	putPlayerState(keeper, "00-0031280")
	if players, _ := mirror.calls(); players != 3 {
		t.Errorf("PutPlayers called %d times after the probe succeeded, want 3", players)
	}
}
