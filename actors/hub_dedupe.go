package actors

import (
	"encoding/json"
	"hash/maphash"
	"strconv"
)

// In a cluster, one change can reach a hub twice: while membership changes,
// two nodes can both poll for a moment and publish the same change, and
// each relays it to the others. The two copies differ only in detected_at.
// So a hub with a relay drops a payload whose content, without detected_at,
// equals the last payload it published for the same item of the stream. An
// item is a message type, and for PLAYER_UPDATE, ROSTER_UPDATE and
// INJURY_UPDATE also the season and week of "data". A real change always
// differs from the last message for its item, because its "previous"
// values are that message's values.
//
// NOTE: this does not catch a change that a client gets both in a SNAPSHOT
// and as a message. A snapshot is read from the mirror, not from the hub,
// so a subscriber can still get a change twice that way.

// contentIdentity returns the item key and the content hash of a payload,
// a JSON object. ok is false when the payload cannot be decoded, and such
// a payload is never dropped.
func (h *Hub) contentIdentity(body []byte) (item string, hash uint64, ok bool) {
	var decoded map[string]any
	if err := json.Unmarshal(body, &decoded); err != nil {
		return "", 0, false
	}

	item, _ = decoded["type"].(string)
	if data, isObject := decoded["data"].(map[string]any); isObject {
		item += "|" + jsonScalar(data["season"]) + "|" + jsonScalar(data["week"])
	}

	dropDetectedAt(decoded)
	// json.Marshal sorts map keys, so equal contents encode equally.
	canonical, err := json.Marshal(decoded)
	if err != nil {
		return "", 0, false
	}
	return item, maphash.Bytes(h.seed, canonical), true
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

// jsonScalar formats a decoded JSON number or string for an item key.
func jsonScalar(value any) string {
	switch typed := value.(type) {
	case float64:
		return strconv.FormatFloat(typed, 'f', -1, 64)
	case string:
		return typed
	default:
		return ""
	}
}

// repeatsLocked reports whether hash equals the last content published for
// item on the stream. The caller holds the shard's lock.
func (s *hubStream) repeatsLocked(item string, hash uint64) bool {
	last, seen := s.lastContent[item]
	return seen && last == hash
}

// rememberContentLocked records hash as the last content of item. The caller
// holds the shard's lock.
func (s *hubStream) rememberContentLocked(item string, hash uint64) {
	if s.lastContent == nil {
		s.lastContent = make(map[string]uint64)
	}
	s.lastContent[item] = hash
}
