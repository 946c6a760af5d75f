package actors

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

// countingMirror counts the batch writes that reach the mirror.
type countingMirror struct {
	*inmem.Mirror
	writes atomic.Int32
}

func (m *countingMirror) PutPlayers(ctx context.Context, states []*messages.PlayerState) error {
	m.writes.Add(1)
	return m.Mirror.PutPlayers(ctx, states)
}

func (m *countingMirror) PutGames(ctx context.Context, games []*messages.Game) error {
	m.writes.Add(1)
	return m.Mirror.PutGames(ctx, games)
}

// TestIdlePollWritesNothing polls the same data twice: the second poll
// queues no mirror or store write and sends no message.
func TestIdlePollWritesNothing(t *testing.T) {
	mirror := &countingMirror{Mirror: inmem.New()}
	state := NewStateKeeper(mirror, nil, nil, nil)
	snapshot := snapshotOf(2, playerWeek("00-0000001", 1, "receptions", "3"))
	source := &scriptedSource{results: []sourceResult{{snapshot: snapshot}, {snapshot: cloneSnapshot(snapshot)}}}
	fixture := startTestPipelineWith(t, PipelineConfig{Source: source, State: state})
	sink := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0000001"))

	fixture.sync(t)
	waitFor(t, "the first poll's message", func() bool { return len(sink.messages(t)) == 1 })
	if err := state.Flush(context.Background()); err != nil {
		t.Fatalf("flush after the first poll: %v", err)
	}
	writesAfterFirst := mirror.writes.Load()
	if writesAfterFirst == 0 {
		t.Fatal("the first poll wrote nothing to the mirror")
	}

	fixture.sync(t)
	if err := state.Flush(context.Background()); err != nil {
		t.Fatalf("flush after the idle poll: %v", err)
	}
	if got := mirror.writes.Load(); got != writesAfterFirst {
		t.Errorf("mirror writes = %d after the idle poll, want %d (none)", got, writesAfterFirst)
	}
	if got := len(sink.messages(t)); got != 1 {
		t.Errorf("messages = %d after the idle poll, want 1 (none new)", got)
	}
}
