package actors

import (
	"encoding/json"
	"hash/maphash"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// In a cluster, one change can reach a hub twice: while membership changes,
// two nodes can both poll for a moment and publish the same change, and
// each relays it to the others. The two copies differ only in detected_at.
// So a hub with a relay drops a payload whose content, without detected_at,
// equals the last payload it published for the same item of the stream
// (itemKey). A real change always differs from the last message for its
// item, because its "previous" values are that message's values.

// contentIdentity decodes a payload, a JSON object, and returns its item
// key, the hash of its content without detected_at, and the snapshot items
// that it changes with their detection times. ok is false when the payload
// cannot be decoded, and such a payload is never dropped.
func (h *Hub) contentIdentity(body []byte) (key itemKey, hash uint64, versions []itemVersion, ok bool) {
	var decoded map[string]any
	if err := json.Unmarshal(body, &decoded); err != nil {
		return itemKey{}, 0, nil, false
	}

	key.messageType, _ = decoded["type"].(string)
	if data, isObject := decoded["data"].(map[string]any); isObject {
		key.season, key.week = jsonInt32(data["season"]), jsonInt32(data["week"])
		if key.messageType == messages.TypePlayerUpdate {
			versions = append(versions, itemVersion{key: key, detected: jsonUnixNano(data["detected_at"])})
		}
	}
	if deltas, isArray := decoded["deltas"].([]any); isArray && key.messageType == messages.TypeGameScores {
		for _, delta := range deltas {
			game, _ := delta.(map[string]any)
			gameID, _ := game["game_id"].(string)
			versions = append(versions, itemVersion{key: gameItem(gameID), detected: jsonUnixNano(game["detected_at"])})
		}
		if len(versions) == 1 {
			// A game actor's message changes one game, which is its item.
			// The new week's message of every game keeps the type alone.
			key = versions[0].key
		}
	}

	dropDetectedAt(decoded)
	// json.Marshal sorts map keys, so equal contents encode equally.
	canonical, err := json.Marshal(decoded)
	if err != nil {
		return itemKey{}, 0, nil, false
	}
	return key, maphash.Bytes(h.seed, canonical), versions, true
}

// dropDetectedAt removes every "detected_at" field, at any depth.
func dropDetectedAt(value any) {
	switch typed := value.(type) {
	case map[string]any:
		delete(typed, "detected_at")
		for _, nested := range typed {
			dropDetectedAt(nested)
		}
	case []any:
		for _, nested := range typed {
			dropDetectedAt(nested)
		}
	}
}

// jsonInt32 returns a decoded JSON number as an int32, and 0 for anything
// else.
func jsonInt32(value any) int32 {
	number, _ := value.(float64)
	return int32(number)
}

// jsonUnixNano returns a decoded detected_at, an RFC 3339 time, as Unix
// nanoseconds, and 0 when it is missing or not a time.
func jsonUnixNano(value any) int64 {
	text, _ := value.(string)
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return 0
	}
	return at.UnixNano()
}

// repeatsLocked reports whether hash equals the last content published for
// key on the stream. The caller holds the shard's lock.
func (s *hubStream) repeatsLocked(key itemKey, hash uint64) bool {
	record, seen := s.items[key]
	return seen && record.hashed && record.contentHash == hash
}

// rememberContentLocked records hash as the last content of key. The caller
// holds the shard's lock.
func (s *hubStream) rememberContentLocked(key itemKey, hash uint64) {
	record := s.itemLocked(key)
	record.contentHash, record.hashed = hash, true
}
