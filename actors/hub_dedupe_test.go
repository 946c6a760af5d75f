package actors

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// playerUpdatePayload returns a PLAYER_UPDATE of one week of Patrick
// Mahomes with the given passing yards before and after, detected at
// detectedAt.
func playerUpdatePayload(week int, previousYards, yards int, detectedAt string) []byte {
	return fmt.Appendf(nil, `{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873","season":2024,"week":%d,`+
		`"stats":{"passing_yards":"%d"},"previous":{"passing_yards":"%d"},"detected_at":"%s"}}`,
		week, yards, previousYards, detectedAt)
}

// relayRecorder is a HubRelay that records the relayed payloads.
type relayRecorder struct {
	mu       sync.Mutex
	payloads []string
}

func (r *relayRecorder) relay(stream string, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, string(payload))
}

func (r *relayRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.payloads)
}

func TestHubDropsRepeatedPayloadWithRelay(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	relayed := &relayRecorder{}
	hub.SetRelay(relayed.relay)
	const stream = "player:00-0033873"
	session, received := recordingSession(t, system)
	hub.Subscribe(stream, session)

	// Two polling nodes find the same change at different moments.
	if delivered := hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:01Z")); delivered != 1 {
		t.Errorf("first publish delivered to %d sessions, want 1", delivered)
	}
	if delivered := hub.PublishRelayed(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:02Z")); delivered != 0 {
		t.Errorf("relayed repeat delivered to %d sessions, want 0", delivered)
	}
	if delivered := hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:03Z")); delivered != 0 {
		t.Errorf("local repeat delivered to %d sessions, want 0", delivered)
	}
	if got := hub.Seq(stream); got != 1 {
		t.Errorf("Seq after two repeats = %d, want 1", got)
	}

	// Another week, a correction of week 5 and the first value again are
	// all news.
	hub.Publish(system.Root, stream, playerUpdatePayload(6, 0, 300, "2026-01-01T00:00:04Z"))
	hub.PublishRelayed(system.Root, stream, playerUpdatePayload(5, 262, 200, "2026-01-01T00:00:05Z"))
	hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:06Z"))
	sessionTestEventually(t, "four messages", func() bool { return len(received()) == 4 })
	if got := hub.Seq(stream); got != 4 {
		t.Errorf("Seq = %d, want 4", got)
	}

	// A repeated message without "data" is compared by type.
	hub.Publish(system.Root, "scoreboard:current", []byte(`{"type":"GAME_SCORES","deltas":[{"game_id":"2024_10_DEN_KC","home_score":16,"detected_at":"a"}]}`))
	hub.Publish(system.Root, "scoreboard:current", []byte(`{"type":"GAME_SCORES","deltas":[{"game_id":"2024_10_DEN_KC","home_score":16,"detected_at":"b"}]}`))
	if got := hub.Seq("scoreboard:current"); got != 1 {
		t.Errorf("scoreboard Seq after a repeated GAME_SCORES = %d, want 1", got)
	}

	// Only what was published locally is relayed, and a dropped local
	// repeat is not.
	if relayedCount := relayed.count(); relayedCount != 4 {
		t.Errorf("relayed %d payloads, want 4 (week 5, week 6, week 5 again, GAME_SCORES)", relayedCount)
	}
}

func TestHubKeepsRepeatedPayloadWithoutRelay(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	const stream = "player:00-0033873"

	hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:01Z"))
	hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:01Z"))
	if got := hub.Seq(stream); got != 2 {
		t.Errorf("Seq = %d, want 2: a standalone hub publishes every payload", got)
	}

	// Removing the relay turns the comparison off again.
	hub.SetRelay(func(string, []byte) {})
	hub.SetRelay(nil)
	hub.Publish(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:01Z"))
	if got := hub.Seq(stream); got != 3 {
		t.Errorf("Seq after the relay was removed = %d, want 3", got)
	}
	if hub.Active("player:00-0034857") {
		t.Error("a stream nobody subscribed to is active after the relay was removed")
	}
}

func TestHubBatchRelaysAndDropsRepeats(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	relayed := &relayRecorder{}
	hub.SetRelay(relayed.relay)
	const stream = "player:00-0033873"

	// Another node's poll already published week 5.
	hub.PublishRelayed(system.Root, stream, playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:01Z"))

	hub.PublishBatch(system.Root, []Publication{
		{Stream: stream, Payload: playerUpdatePayload(5, 200, 262, "2026-01-01T00:00:02Z")},
		{Stream: stream, Payload: playerUpdatePayload(6, 0, 300, "2026-01-01T00:00:03Z")},
		{Stream: "player:00-0034857", Payload: playerUpdatePayload(6, 0, 250, "2026-01-01T00:00:03Z")},
	})

	if got := hub.Seq(stream); got != 2 {
		t.Errorf("Seq after the batch = %d, want 2 (the repeat of week 5 dropped)", got)
	}
	if got := relayed.count(); got != 2 {
		t.Errorf("relayed %d payloads of the batch, want 2", got)
	}
}

// TestHubDropsRepeatedGameAmongOthers publishes two games on the
// scoreboard and then the first one again: each game is its own item.
func TestHubDropsRepeatedGameAmongOthers(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	hub.SetRelay(func(string, []byte) {})
	const stream = "scoreboard:current"

	hub.Publish(system.Root, stream, []byte(`{"type":"GAME_SCORES","deltas":[{"game_id":"2024_10_DEN_KC","home_score":16,"detected_at":"2026-01-01T00:00:01Z"}]}`))
	hub.Publish(system.Root, stream, []byte(`{"type":"GAME_SCORES","deltas":[{"game_id":"2024_10_BUF_IND","home_score":20,"detected_at":"2026-01-01T00:00:02Z"}]}`))
	hub.PublishRelayed(system.Root, stream, []byte(`{"type":"GAME_SCORES","deltas":[{"game_id":"2024_10_DEN_KC","home_score":16,"detected_at":"2026-01-01T00:00:03Z"}]}`))
	if got := hub.Seq(stream); got != 2 {
		t.Errorf("scoreboard Seq = %d, want 2: the repeat of the first game is dropped", got)
	}
}

func TestActiveOrSkipKeepsStreamInactive(t *testing.T) {
	hub := NewHub()
	const stream = "player:00-0033873"
	version := itemVersion{key: playerItem(2024, 5), detected: time.Now().UnixNano()}

	if hub.activeOrSkip(stream, version) {
		t.Error("activeOrSkip = true for a stream nobody follows")
	}
	if hub.Active(stream) {
		t.Error("a stream with only a skipped change is active")
	}

	// A subscriber that left before any message leaves the stream inactive.
	session, _ := recordingSession(t, newSessionTestSystem(t))
	hub.Subscribe(stream, session)
	hub.Unsubscribe(stream, session)
	if hub.activeOrSkip(stream, version) {
		t.Error("activeOrSkip = true after the only subscriber left")
	}
	if hub.Active(stream) {
		t.Error("Active = true after the only subscriber left")
	}

	hub.Subscribe(stream, session)
	if !hub.activeOrSkip(stream, version) {
		t.Error("activeOrSkip = false for a followed stream")
	}
}
