package actors

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// A SNAPSHOT goes out at the seq of its subscription's ACK, and must hold
// exactly the changes of the messages up to that seq. Its items are read
// later, from the mirror, which the player and game actors write before
// the change is published, and a relay makes the gap longer. So the mirror
// can hold a version whose message the stream carries only after the ACK's
// seq. Each mirrored row and game keeps the detection time of its version,
// which is the detected_at of the message that announces it, and the hub
// records the newest version it published per item (hub_items.go). A
// snapshot of versions first waits until the hub has every version it read,
// then looks at the messages after the ACK's seq. For each item that such a
// message changed to the version read:
//   - a game, or a player-week whose first such message was first seen, is
//     left out, because those messages carry the whole item;
//   - another player-week is turned back to its state before those
//     messages, from their previous values and previous points.

// inFlightLimit is how long after its detection a change's message is still
// expected at this hub. A snapshot that reads a version that the hub has not
// published waits for the message up to this age of the version. An older
// version is served as read: its message was lost, as when a polling node
// died between its mirror write and its relay, and no message will repeat
// it.
//
// NOTE: 5 s is an estimate of the worst delay from a player actor's
// detection to a remote hub's publish, not a measurement. A message that
// takes longer than that still repeats a snapshot's item. The age is
// measured on this node's clock against the polling node's detection time,
// so a clock offset between nodes shortens or lengthens the wait.
const inFlightLimit = 5 * time.Second

// inFlightPollInterval is how often a snapshot that waits for versions
// checks the hub again. The scorer publishes in batches of up to
// publicationDelay (20 ms), so a shorter interval would mostly spin.
const inFlightPollInterval = 5 * time.Millisecond

// streamChanges are the messages that a stream carried after one
// subscription's seq, read after its snapshot's items.
type streamChanges struct {
	hub    *Hub
	stream string
	seq    uint64

	// complete reports whether messages has every message after seq. It
	// is false when the history was already trimmed past seq.
	complete bool

	// messages are the messages after seq, oldest first. changes holds
	// their item changes, decoded when first needed.
	messages []*StreamMessage
	changes  []decodedChange
	decoded  bool

	// earlier holds the item changes of the kept messages up to seq,
	// oldest first, read and decoded when first needed.
	earlier        []decodedChange
	earlierDecoded bool
}

// changesUpTo returns the item changes of the stream's kept messages up to
// seq, oldest first. The first call reads and decodes them, and later calls
// reuse the result.
func (c *streamChanges) changesUpTo() []decodedChange {
	if !c.earlierDecoded {
		c.earlier, c.earlierDecoded = decodeChanges(c.hub.historyUpTo(c.stream, c.seq)), true
	}
	return c.earlier
}

// decodedChange is one item change of a PLAYER_UPDATE or GAME_SCORES
// message.
type decodedChange struct {
	key      itemKey
	detected int64

	// player is the PLAYER_UPDATE's data, nil for a game.
	player *messages.PlayerUpdateData

	// game is the game's entry of the GAME_SCORES, nil for a player.
	game *messages.GameScoreData
}

// changesAround waits until the hub has published or skipped each version
// in versions, or the version is older than inFlightLimit, and returns the
// stream's messages after seq. versions may be empty. It returns an error only when
// ctx ends first.
func (h *Hub) changesAround(ctx context.Context, stream string, seq uint64, versions []itemVersion) (*streamChanges, error) {
	ticker := time.NewTicker(inFlightPollInterval)
	defer ticker.Stop()

	for {
		if changes, ok := h.changesIfPublished(stream, seq, versions); ok {
			return changes, nil
		}

		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the messages of %s: %w", stream, ctx.Err())
		case <-ticker.C:
		}
	}
}

// changesIfPublished returns the stream's messages when every version is
// published, skipped or past inFlightLimit, and false otherwise.
func (h *Hub) changesIfPublished(stream string, seq uint64, versions []itemVersion) (*streamChanges, bool) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	now := time.Now().UnixNano()
	for _, version := range versions {
		if h.expectsLocked(state, version, now) {
			return nil, false
		}
	}

	changes := &streamChanges{hub: h, stream: stream, seq: seq, complete: true}
	if state == nil || state.seq <= seq {
		return changes, true
	}

	// The history holds consecutive seqs ending at state.seq, and a
	// snapshot usually follows its ACK before any message.
	first := state.seq - uint64(len(state.history)) + 1
	if len(state.history) == 0 || first > seq+1 {
		changes.complete = false
		return changes, true
	}
	changes.messages = append([]*StreamMessage(nil), state.history[seq+1-first:]...)
	return changes, true
}

// historyUpTo returns the stream's kept messages with a seq up to seq,
// oldest first.
func (h *Hub) historyUpTo(stream string, seq uint64) []*StreamMessage {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state == nil {
		return nil
	}
	var earlier []*StreamMessage
	for _, message := range state.history {
		if message.Seq <= seq {
			earlier = append(earlier, message)
		}
	}
	return earlier
}

// expectsLocked reports whether a message of version is still to come: the
// hub has neither published nor skipped it, and it is newer than the hub
// and younger than inFlightLimit. A version dated more than inFlightLimit
// after now is not waited for either: its actor reads another clock, such
// as the live poller's replay clock. state may be nil. The caller holds the
// shard's lock.
func (h *Hub) expectsLocked(state *hubStream, version itemVersion, now int64) bool {
	age := now - version.detected
	if version.detected == 0 || version.detected < h.startedUnixNano || age > int64(inFlightLimit) || age < -int64(inFlightLimit) {
		return false
	}
	if state == nil {
		return true
	}
	if version.detected <= state.skippedUpTo {
		return false
	}
	record := state.items[version.key]
	return record == nil || record.detected < version.detected
}

// decodeChanges returns the item changes of the PLAYER_UPDATE and
// GAME_SCORES messages among list, in order. Payloads that do not decode
// are skipped: the hub published them, but they change no snapshot item.
func decodeChanges(list []*StreamMessage) []decodedChange {
	var changes []decodedChange
	for _, message := range list {
		if message.Type != messages.TypePlayerUpdate && message.Type != messages.TypeGameScores {
			continue
		}
		var payload struct {
			Data   *messages.PlayerUpdateData `json:"data"`
			Deltas []*messages.GameScoreData  `json:"deltas"`
		}
		if err := json.Unmarshal(message.Payload, &payload); err != nil {
			continue
		}

		if payload.Data != nil && message.Type == messages.TypePlayerUpdate {
			changes = append(changes, decodedChange{
				key:      playerItem(payload.Data.Season, payload.Data.Week),
				detected: unixNano(payload.Data.DetectedAt),
				player:   payload.Data,
			})
		}
		for _, game := range payload.Deltas {
			changes = append(changes, decodedChange{key: gameItem(game.GameID), detected: unixNano(game.DetectedAt), game: game})
		}
	}
	return changes
}

// unixNano returns at as Unix nanoseconds, and 0 for the zero time.
func unixNano(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	return at.UnixNano()
}

// after returns the changes to version.key that the stream carried after
// seq and that the version already has, oldest first. known is false when
// the history no longer reaches back to seq, so they cannot be found.
func (c *streamChanges) after(version itemVersion) (changes []decodedChange, known bool) {
	if !c.complete {
		return nil, false
	}
	if !c.decoded {
		c.changes, c.decoded = decodeChanges(c.messages), true
	}

	for _, change := range c.changes {
		if change.key == version.key && change.detected != 0 && change.detected <= version.detected {
			changes = append(changes, change)
		}
	}
	return changes, true
}

// carriedAfter reports whether the stream carried a message of messageType
// after seq. It reports false when the history no longer reaches back to
// seq.
func (c *streamChanges) carriedAfter(messageType string) bool {
	if !c.complete {
		return false
	}
	for _, message := range c.messages {
		if message.Type == messageType {
			return true
		}
	}
	return false
}

// provisionalAt reports whether the last PLAYER_UPDATE of key up to seq,
// if the history still has one, was provisional.
func (c *streamChanges) provisionalAt(key itemKey) bool {
	earlier := c.changesUpTo()
	for i := len(earlier) - 1; i >= 0; i-- {
		if earlier[i].key == key && earlier[i].player != nil {
			return earlier[i].player.Provisional
		}
	}
	return false
}

// playerWeekAt turns item, the snapshot item of the version read, into the
// player-week as it was at the stream's seq. later are the changes after
// seq that the version has, oldest first. keep is false when the week did
// not exist then: its first change after seq was first seen, and that
// message carries the whole row. A first-seen change later in the list,
// which a player actor that lost its state sends, has no previous values to
// undo, so item is then left as read.
//
// NOTE: the provisional mark before a change comes from the history. An
// nflverse row that replaced a provisional row after seq, when the history
// no longer has the provisional row's message, is turned back into the
// provisional row without its mark. The replacement follows the SNAPSHOT at
// once and sets the row and the mark right.
func (c *streamChanges) playerWeekAt(item *messages.PlayerUpdateData, later []decodedChange) (keep bool) {
	if later[0].player.FirstSeen {
		return false
	}
	for _, change := range later[1:] {
		if change.player.FirstSeen {
			return true
		}
	}

	for i := len(later) - 1; i >= 0; i-- {
		revertPlayerUpdate(item, later[i].player)
	}
	item.Provisional = later[0].player.Provisional || c.provisionalAt(later[0].key)
	return true
}

// revertPlayerUpdate undoes one PLAYER_UPDATE on the snapshot item of its
// week: each changed field gets its previous value back, a stat that had
// none is removed, and the points become the points before the change. The
// fields are those that diffPlayerWeek compares.
func revertPlayerUpdate(item, change *messages.PlayerUpdateData) {
	for field, previous := range change.Previous {
		value := ""
		if previous != nil {
			value = *previous
		}

		switch field {
		case "season_type":
			item.SeasonType = value
		case "player_name":
			item.PlayerName = value
		case "player_display_name":
			// Not part of a PLAYER_UPDATE.
		case "position":
			item.Position = value
		case "team":
			item.Team = value
		case "opponent_team":
			item.OpponentTeam = value
		case "game_id":
			item.GameID = value
		default:
			if previous == nil {
				delete(item.Stats, field)
			} else {
				item.Stats[field] = value
			}
		}
	}

	if change.PreviousPoints != nil {
		item.Points = maps.Clone(change.PreviousPoints)
	}
}

// rollForward applies to weeks, the snapshot items of the versions read,
// the PLAYER_UPDATEs up to seq that are newer than those versions, oldest
// first. A week that the versions lack is added when its first such change
// was first seen, which carries the whole row, and is sorted in by season
// and week.
func (c *streamChanges) rollForward(weeks []*messages.PlayerUpdateData, versions []itemVersion) []*messages.PlayerUpdateData {
	read := make(map[itemKey]int64, len(versions))
	for _, version := range versions {
		read[version.key] = version.detected
	}
	byKey := make(map[itemKey]*messages.PlayerUpdateData, len(weeks))
	for _, week := range weeks {
		byKey[playerItem(week.Season, week.Week)] = week
	}

	added := false
	for _, change := range c.changesUpTo() {
		if change.player == nil || change.detected <= read[change.key] {
			continue
		}

		week, ok := byKey[change.key]
		if change.player.FirstSeen {
			fresh := snapshotItemOf(change.player)
			if ok {
				*week = *fresh
				continue
			}
			byKey[change.key] = fresh
			weeks = append(weeks, fresh)
			added = true
			continue
		}

		// A change to a week that the snapshot does not have cannot be
		// applied; its row is incomplete without the first-seen message.
		if ok {
			applyPlayerUpdate(week, change.player)
		}
	}

	if added {
		slices.SortFunc(weeks, func(left, right *messages.PlayerUpdateData) int {
			if left.Season != right.Season {
				return cmp.Compare(left.Season, right.Season)
			}
			return cmp.Compare(left.Week, right.Week)
		})
	}
	return weeks
}

// snapshotItemOf returns a first-seen PLAYER_UPDATE's data as a snapshot
// item: the whole row with its points, and no change.
func snapshotItemOf(change *messages.PlayerUpdateData) *messages.PlayerUpdateData {
	item := *change
	item.Stats = maps.Clone(change.Stats)
	item.Points = maps.Clone(change.Points)
	item.Previous, item.PreviousPoints = map[string]*string{}, nil
	item.FirstSeen, item.Correction = true, false
	item.DetectedAt = time.Time{}
	return &item
}

// applyPlayerUpdate applies one PLAYER_UPDATE to the snapshot item of its
// week, the reverse of revertPlayerUpdate: each changed field gets its new
// value, a stat without one is removed, and the points become the change's.
func applyPlayerUpdate(item, change *messages.PlayerUpdateData) {
	for field := range change.Previous {
		switch field {
		case "season_type":
			item.SeasonType = change.SeasonType
		case "player_name":
			item.PlayerName = change.PlayerName
		case "player_display_name":
			// Not part of a PLAYER_UPDATE.
		case "position":
			item.Position = change.Position
		case "team":
			item.Team = change.Team
		case "opponent_team":
			item.OpponentTeam = change.OpponentTeam
		case "game_id":
			item.GameID = change.GameID
		default:
			if value, ok := change.Stats[field]; ok {
				item.Stats[field] = value
			} else {
				delete(item.Stats, field)
			}
		}
	}

	item.Points = maps.Clone(change.Points)
	item.Provisional = change.Provisional
}

// newerGames returns, by game_id, the newest game that the stream carried up
// to seq when it is newer than the version read of that game, as a snapshot
// item. A GAME_SCORES entry carries the whole game, so it replaces the item.
func (c *streamChanges) newerGames(versions []itemVersion) map[string]*messages.GameScoreData {
	read := make(map[itemKey]int64, len(versions))
	for _, version := range versions {
		read[version.key] = version.detected
	}

	newer := make(map[string]*messages.GameScoreData)
	for _, change := range c.changesUpTo() {
		if change.game == nil || change.detected <= read[change.key] {
			continue
		}
		item := *change.game
		item.Previous = map[string]*string{}
		item.FirstSeen = false
		item.DetectedAt = time.Time{}
		newer[item.GameID] = &item
	}
	return newer
}
