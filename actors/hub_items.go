package actors

import (
	"github.com/nflsync/nflsync/messages"
)

// The hub records, per stream and per snapshot item, the detection time of
// the newest change that it published, and per stream the newest change
// that it skipped because the stream had no subscriber (activeOrSkip). The mirror holds each item's version
// with the same time, so a snapshot can tell a version that the stream
// already carried from one whose message is still on its way (snapshot.go).
// With a relay, the same records hold the content hashes that catch
// repeated payloads (hub_dedupe.go).
//
// Cost: one record per item published since the hub started, kept for the
// life of the hub. BenchmarkHubItemRecords measured about 140 bytes per
// record (Go 1.26, 2-core Xeon). A standalone hub publishes only the streams
// that have or had subscribers, and keeps one time per skipped stream. A
// hub with a relay publishes every stream, which for the 18,981
// player-weeks of the 2024 weekly file is about 2.7 MB.

// itemKey names one item of a stream: a message type, with the season and
// week of a player's row (PLAYER_UPDATE, ROSTER_UPDATE, INJURY_UPDATE) or
// the game_id of a game (GAME_SCORES of one game).
type itemKey struct {
	messageType string
	season      int32
	week        int32
	gameID      string
}

// playerItem returns the key of a player's row of one week.
func playerItem(season, week int32) itemKey {
	return itemKey{messageType: messages.TypePlayerUpdate, season: season, week: week}
}

// gameItem returns the key of one game.
func gameItem(gameID string) itemKey {
	return itemKey{messageType: messages.TypeGameScores, gameID: gameID}
}

// itemVersion is one change of a snapshot item: its key and the change's
// detection time in Unix nanoseconds, the detected_at of its message. The
// zero value names no item.
type itemVersion struct {
	key      itemKey
	detected int64
}

// itemRecord is the hub's record of one item of a stream.
type itemRecord struct {
	// detected is the newest detection time of a change of the item that
	// the hub published or skipped, 0 when none.
	detected int64

	// contentHash is the hash of the item's last published content
	// without detected_at, kept while the hub has a relay. hashed is false
	// before the first.
	contentHash uint64
	hashed      bool
}

// itemLocked returns the record of key, creating it. The caller holds the
// shard's lock.
func (s *hubStream) itemLocked(key itemKey) *itemRecord {
	if s.items == nil {
		s.items = make(map[itemKey]*itemRecord)
	}
	record := s.items[key]
	if record == nil {
		record = &itemRecord{}
		s.items[key] = record
	}
	return record
}

// recordLocked records that the stream carried version, or that no
// subscriber needs it. Versions without a key or a detection time are not recorded.
// The caller holds the shard's lock.
func (s *hubStream) recordLocked(version itemVersion) {
	if version.key == (itemKey{}) || version.detected == 0 {
		return
	}
	record := s.itemLocked(version.key)
	record.detected = max(record.detected, version.detected)
}

// activeLocked reports whether the stream has subscribers or carried a
// message. The caller holds the shard's lock.
func (s *hubStream) activeLocked() bool {
	return len(s.subscribers) > 0 || s.seq > 0
}

// activeOrSkip is Active for a publisher that skips encoding a change for an
// inactive stream. When the stream is not active, it records version as if
// published, because no subscriber will get a message for it, and a later
// snapshot must not wait for one.
func (h *Hub) activeOrSkip(stream string, version itemVersion) bool {
	if h.relay.Load() != nil {
		return true
	}

	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state != nil && state.activeLocked() {
		return true
	}
	// One time per stream is enough, rather than a record per item: a
	// stream that was active once stays active, so every change before a
	// skipped one was skipped too.
	if version.key != (itemKey{}) {
		skipped := shard.streamLocked(stream, true)
		skipped.skippedUpTo = max(skipped.skippedUpTo, version.detected)
	}
	return false
}
