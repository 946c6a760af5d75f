package actors

// The Hub is not an actor. It is the registry that maps each stream (one
// player, one game, one league, the scoreboard) to the session actors
// subscribed to it. It also numbers and keeps what was published on each
// stream, so that a client can resume after a reconnect.
//
// Session actors add and remove themselves with Subscribe, Resume and
// Unsubscribe. Publishers (the scorer and game actors) encode a server
// message once and call Publish, which stamps it with the stream, the next
// seq and the hub's epoch, keeps it in the stream's history and sends the
// same *StreamMessage to every subscribed session. The scorer collects its
// PLAYER_UPDATEs and calls PublishBatch, which sends each session one
// *StreamBatch of its messages. Per stream and snapshot item, it records
// the newest change it published (hub_items.go), so that a snapshot can be
// fitted to a subscriber's seq (snapshot_seq.go).

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// hubShardCount is the number of independently locked parts of the hub.
// Sessions subscribe and unsubscribe from many goroutines at once (every
// connect and disconnect) while publishers publish, so one lock would make
// the subscriptions of a reconnect storm wait behind every broadcast and
// each other. 64 is the shard count of the centrifuge hub (numHubShards),
// not a number measured for nflsync. It must be a power of two because
// shardFor masks the hash.
const hubShardCount = 64

// History bounds per stream. A stream keeps its last HistoryMaxMessages
// messages, and fewer when they take more than HistoryMaxBytes. A client
// that resumes from a seq still in the history gets the missed messages; an
// older seq gets a fresh snapshot instead.
//
// NOTE: a stream's history stays after its last subscriber left, so that
// the client can resume, and is only trimmed by these bounds. Memory is
// therefore about (streams published to) × (their history), an estimate of
// tens of MB for one season of PLAYER_UPDATE messages (about 1 KiB each, a
// few dozen per player).
const (
	HistoryMaxMessages = 256
	HistoryMaxBytes    = 256 * 1024
)

// ScoreboardID is the id of the one scoreboard stream, which carries
// GAME_SCORES of every game of the current week. Its key is
// StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID),
// "scoreboard:current".
const ScoreboardID = "current"

// StreamKey returns the hub key of one stream, such as "player:00-0033873",
// "game:2025_01_DAL_PHI", "league:x" or "scoreboard:current".
func StreamKey(kind messages.StreamKind, id string) string {
	return streamKindName(kind) + ":" + id
}

// ParseStreamKey splits a stream key made by StreamKey into its kind and id.
// It returns ok=false for an unknown kind or an empty id.
func ParseStreamKey(stream string) (kind messages.StreamKind, id string, ok bool) {
	name, id, found := strings.Cut(stream, ":")
	if !found || id == "" {
		return messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false
	}

	switch name {
	case "player":
		kind = messages.StreamKind_STREAM_KIND_PLAYER
	case "game":
		kind = messages.StreamKind_STREAM_KIND_GAME
	case "league":
		kind = messages.StreamKind_STREAM_KIND_LEAGUE
	case "scoreboard":
		kind = messages.StreamKind_STREAM_KIND_SCOREBOARD
		if id != ScoreboardID {
			return messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false
		}
	default:
		return messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false
	}
	return kind, id, true
}

// streamKindName returns the lower-case name of a stream kind, as used in
// stream keys and in the client actions ("subscribe_player").
func streamKindName(kind messages.StreamKind) string {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		return "player"
	case messages.StreamKind_STREAM_KIND_GAME:
		return "game"
	case messages.StreamKind_STREAM_KIND_LEAGUE:
		return "league"
	case messages.StreamKind_STREAM_KIND_SCOREBOARD:
		return "scoreboard"
	default:
		return "unspecified"
	}
}

// StreamMessage is one published message as the hub sends it to the session
// actors: the payload stamped with "stream", "seq" and "epoch". Every
// subscriber of one broadcast gets the same *StreamMessage, so it must not
// be modified.
type StreamMessage struct {
	Stream  string
	Seq     uint64
	Payload []byte

	// Type is the payload's "type" field, such as PLAYER_UPDATE, for
	// metrics.
	Type string

	// PublishedAt is when Publish was called, for the delivery latency.
	PublishedAt time.Time
}

// Hub is a sharded registry of stream subscriptions and stream histories.
// It is safe for concurrent use.
type Hub struct {
	seed   maphash.Seed
	epoch  string
	shards [hubShardCount]hubShard

	// startedUnixNano is when the hub was created. Its item records hold
	// the changes since then, so an older version is not waited for.
	startedUnixNano int64

	// relay, when set, receives every payload published on this node, so
	// that the other nodes of a cluster publish it to their sessions too.
	relay atomic.Pointer[HubRelay]

	// barrier, when set, waits until the other nodes received what was
	// relayed so far.
	barrier atomic.Pointer[RelayBarrier]
}

// RelayBarrier waits until every other node of the cluster received the
// payloads that this node's hub relayed before the call. It returns an error
// when a node did not confirm within timeout.
type RelayBarrier func(timeout time.Duration) error

// SetRelayBarrier sets the barrier that WaitRelayed calls; nil removes it.
func (h *Hub) SetRelayBarrier(barrier RelayBarrier) {
	if barrier == nil {
		h.barrier.Store(nil)
		return
	}
	h.barrier.Store(&barrier)
}

// WaitRelayed waits until every other node received the payloads relayed
// so far, through the barrier that SetRelayBarrier set. Without one, on a
// standalone node, it returns nil at once. It blocks, so call it outside an
// actor's Receive.
func (h *Hub) WaitRelayed(timeout time.Duration) error {
	barrier := h.barrier.Load()
	if barrier == nil {
		return nil
	}
	return (*barrier)(timeout)
}

// HubRelay hands a payload published on this node to the other nodes of the
// cluster. The hub calls it under the stream's lock, so it must neither block
// nor call the hub. Sending to a remote PID only queues, so it may do that.
type HubRelay func(stream string, payload []byte)

// SetRelay makes the hub pass every payload that Publish takes to relay,
// after it published the payload itself. With a relay set, Active reports
// every stream active, because subscribers on other nodes are not known
// here, and Publish and PublishRelayed drop a payload that repeats the last
// one of its item (hub_dedupe.go). A nil relay removes the relay.
func (h *Hub) SetRelay(relay HubRelay) {
	if relay == nil {
		h.relay.Store(nil)
		return
	}
	h.relay.Store(&relay)
}

type hubShard struct {
	mu      sync.Mutex
	streams map[string]*hubStream
}

// hubStream is the state of one stream. A stream exists while it has
// subscribers, once something was published on it, so that its seq never
// goes back within one epoch, and once it has an item record.
type hubStream struct {
	subscribers map[hubSessionKey]*actor.PID

	// seq is the seq of the last published message, 0 before the first.
	seq uint64

	// quotedKey is the stream key as a JSON string, spliced into every
	// message.
	quotedKey []byte

	// history holds the last published messages in seq order, within
	// HistoryMaxMessages and HistoryMaxBytes. historyBytes is the sum of
	// their payload sizes.
	history      []*StreamMessage
	historyBytes int

	// items holds, per item of the stream, the newest published version
	// and, while the hub has a relay, the last content hash (hub_items.go).
	items map[itemKey]*itemRecord

	// skippedUpTo is the newest detection time of a change that a
	// publisher skipped because the stream was not active (activeOrSkip).
	skippedUpTo int64
}

// hubSessionKey identifies a session by value, so that two *actor.PID values for
// the same actor are one subscriber.
type hubSessionKey struct {
	address string
	id      string
}

func sessionKeyOf(session *actor.PID) hubSessionKey {
	return hubSessionKey{address: session.Address, id: session.Id}
}

// NewHub returns an empty hub with a new random epoch.
func NewHub() *Hub {
	hub := &Hub{seed: maphash.MakeSeed(), epoch: newEpoch(), startedUnixNano: time.Now().UnixNano()}
	for i := range hub.shards {
		hub.shards[i].streams = make(map[string]*hubStream)
	}
	return hub
}

// newEpoch returns 16 random hex digits. A hub's epoch changes on every
// start, so a seq from an earlier process is never taken for a current one.
func newEpoch() string {
	var random [8]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(random[:])
	return hex.EncodeToString(random[:])
}

// Epoch returns the hub's epoch, the value of "epoch" in every message it
// stamps.
func (h *Hub) Epoch() string {
	return h.epoch
}

func (h *Hub) shardFor(stream string) *hubShard {
	return &h.shards[h.shardIndex(stream)]
}

func (h *Hub) shardIndex(stream string) uint64 {
	return maphash.String(h.seed, stream) & (hubShardCount - 1)
}

// jsonObjectBody returns payload without surrounding white space, and false
// when it is not a JSON object. Only the braces are checked.
func jsonObjectBody(payload []byte) ([]byte, bool) {
	body := bytes.TrimSpace(payload)
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, false
	}
	return body, true
}

// streamLocked returns the state of stream, creating it when create is true.
// The caller holds shard.mu.
func (shard *hubShard) streamLocked(stream string, create bool) *hubStream {
	state := shard.streams[stream]
	if state == nil && create {
		quoted, err := json.Marshal(stream)
		if err != nil {
			// Marshaling a string cannot fail.
			panic(err)
		}
		state = &hubStream{subscribers: make(map[hubSessionKey]*actor.PID), quotedKey: quoted}
		shard.streams[stream] = state
	}
	return state
}

// Subscribe adds a session to a stream and returns the stream's current seq.
// Every message the session receives on the stream after this call has a
// greater seq, and none is missed: the seq is read under the same lock as
// the registration. Subscribing twice is the same as subscribing once.
func (h *Hub) Subscribe(stream string, session *actor.PID) (seq uint64) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, true)
	state.subscribers[sessionKeyOf(session)] = session
	return state.seq
}

// Resume adds a session to a stream, like Subscribe, and returns the
// messages published after seq when the client's position (epoch, seq) is
// still covered by the stream's history. ok is false when it is not: the
// epoch is another hub's, seq is ahead of the stream, or messages after seq
// were already trimmed. The session is subscribed either way, and current
// is the stream's seq at registration.
func (h *Hub) Resume(stream string, session *actor.PID, epoch string, seq uint64) (missed []*StreamMessage, current uint64, ok bool) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, true)
	state.subscribers[sessionKeyOf(session)] = session
	current = state.seq

	if epoch != h.epoch || seq > current {
		return nil, current, false
	}
	if seq == current {
		return nil, current, true
	}

	// The history holds consecutive seqs ending at current, so the
	// client's next message is in it when the oldest kept seq is at most
	// seq+1.
	if len(state.history) == 0 || state.history[0].Seq > seq+1 {
		return nil, current, false
	}
	start := int(seq + 1 - state.history[0].Seq)
	missed = append([]*StreamMessage(nil), state.history[start:]...)
	return missed, current, true
}

// Unsubscribe removes a session from a stream. Removing a session that is
// not subscribed does nothing.
func (h *Hub) Unsubscribe(stream string, session *actor.PID) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state == nil {
		return
	}
	delete(state.subscribers, sessionKeyOf(session))
	if len(state.subscribers) == 0 && state.seq == 0 && len(state.items) == 0 {
		// A stream that never carried a message has no seq to keep, so
		// it goes, and subscriptions to unknown ids do not pile up.
		delete(shard.streams, stream)
	}
}

// Publish stamps payload with the stream, the stream's next seq and the
// hub's epoch, keeps the result in the stream's history, sends it to every
// subscribed session and returns how many sessions it was sent to. payload
// must be an encoded JSON object. It is stamped once, so every session
// receives the same *StreamMessage and the same bytes, and the caller must
// not modify payload after the call.
//
// A payload that is not a JSON object is not published: Publish logs it and
// returns 0.
//
// The sends happen under the shard lock, so that two publishers of one
// stream (game actors on the scoreboard) cannot deliver seqs out of order.
// A send to a local session only appends to its mailbox, so the lock is
// held for one append per subscriber.
func (h *Hub) Publish(sender actor.SenderContext, stream string, payload []byte) (delivered int) {
	return h.publish(sender, stream, payload, true, itemVersion{})
}

// PublishRelayed is Publish for a payload that another node's hub relayed:
// it is published to this node's sessions and not relayed again.
func (h *Hub) PublishRelayed(sender actor.SenderContext, stream string, payload []byte) (delivered int) {
	return h.publish(sender, stream, payload, false, itemVersion{})
}

// publishChange is Publish for a payload that changes one snapshot item, so
// that the hub records version as published (hub_items.go).
func (h *Hub) publishChange(sender actor.SenderContext, stream string, payload []byte, version itemVersion) (delivered int) {
	return h.publish(sender, stream, payload, true, version)
}

// publish publishes payload on stream, relaying it when relay is true.
// version is the snapshot item change that the publisher names. A hub with
// a relay decodes every payload, and then records the changes that the
// payload itself names instead.
func (h *Hub) publish(sender actor.SenderContext, stream string, payload []byte, relay bool, version itemVersion) (delivered int) {
	body, ok := jsonObjectBody(payload)
	if !ok {
		slog.Error("hub dropped a payload that is not a JSON object", slog.String("stream", stream),
			slog.Int("bytes", len(payload)))
		return 0
	}
	messageType := payloadType(body)
	publishedAt := time.Now()

	// Only a hub with a relay can get one change twice.
	var key itemKey
	var contentHash uint64
	versions := []itemVersion{version}
	compare := false
	if h.relay.Load() != nil {
		var decoded []itemVersion
		key, contentHash, decoded, compare = h.contentIdentity(body)
		if compare {
			versions = decoded
		}
	}

	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, true)
	for _, changed := range versions {
		// A dropped repeat carries content the stream already has, so
		// its detection time counts as published too.
		state.recordLocked(changed)
	}
	if compare {
		if state.repeatsLocked(key, contentHash) {
			slog.Debug("hub dropped a repeated payload", slog.String("stream", stream),
				slog.String("type", key.messageType), slog.Bool("relayed", !relay))
			return 0
		}
		state.rememberContentLocked(key, contentHash)
	}
	state.seq++
	message := &StreamMessage{
		Stream:      stream,
		Seq:         state.seq,
		Payload:     h.stamp(body, state.quotedKey, state.seq),
		Type:        messageType,
		PublishedAt: publishedAt,
	}
	state.remember(message)

	for _, session := range state.subscribers {
		sender.Send(session, message)
	}

	// Relaying under the lock keeps the other nodes' order of one
	// stream's messages the same as here.
	if relay {
		if forward := h.relay.Load(); forward != nil {
			(*forward)(stream, body)
		}
	}
	return len(state.subscribers)
}

// stamp returns body, a JSON object, with "stream", "seq" and "epoch" added
// as its last fields: `{"type":"X"}` becomes
// `{"type":"X","stream":"player:x","seq":7,"epoch":"…"}`.
func (h *Hub) stamp(body, quotedKey []byte, seq uint64) []byte {
	inner := bytes.TrimSpace(body[1 : len(body)-1])

	stamped := make([]byte, 0, len(body)+len(quotedKey)+len(h.epoch)+48)
	stamped = append(stamped, '{')
	if len(inner) > 0 {
		stamped = append(stamped, inner...)
		stamped = append(stamped, ',')
	}
	stamped = append(stamped, `"stream":`...)
	stamped = append(stamped, quotedKey...)
	stamped = append(stamped, `,"seq":`...)
	stamped = strconv.AppendUint(stamped, seq, 10)
	stamped = append(stamped, `,"epoch":"`...)
	stamped = append(stamped, h.epoch...)
	stamped = append(stamped, `"}`...)
	return stamped
}

// remember appends message to the history and trims the oldest messages
// beyond the history bounds. The newest message always stays.
func (s *hubStream) remember(message *StreamMessage) {
	s.history = append(s.history, message)
	s.historyBytes += len(message.Payload)

	drop := 0
	for len(s.history)-drop > 1 &&
		(len(s.history)-drop > HistoryMaxMessages || s.historyBytes > HistoryMaxBytes) {
		s.historyBytes -= len(s.history[drop].Payload)
		s.history[drop] = nil
		drop++
	}
	s.history = s.history[drop:]
}

// payloadType returns the "type" field of a JSON object. Publishers encode
// structs whose first field is the type, so the prefix check avoids a decode
// on the hot path.
func payloadType(body []byte) string {
	const prefix = `{"type":"`
	if rest, found := bytes.CutPrefix(body, []byte(prefix)); found {
		if end := bytes.IndexByte(rest, '"'); end >= 0 {
			return string(rest[:end])
		}
	}

	var typed struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &typed); err != nil {
		return ""
	}
	return typed.Type
}

// LastPayload returns the newest message of type messageType in stream's
// history, stamped as the sessions received it, or nil when the history has
// none. The history keeps the last HistoryMaxMessages messages within
// HistoryMaxBytes, so an older message is no longer found.
func (h *Hub) LastPayload(stream, messageType string) []byte {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state == nil {
		return nil
	}
	for i := len(state.history) - 1; i >= 0; i-- {
		if state.history[i].Type == messageType {
			return state.history[i].Payload
		}
	}
	return nil
}

// Subscribers returns the number of sessions subscribed to stream.
func (h *Hub) Subscribers(stream string) int {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state == nil {
		return 0
	}
	return len(state.subscribers)
}

// Active reports whether anyone has subscribed to stream since the hub
// started: it has subscribers, or a history that a reconnecting client may
// resume from. Publishers skip encoding messages for inactive streams.
func (h *Hub) Active(stream string) bool {
	if h.relay.Load() != nil {
		return true
	}

	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	return state != nil && state.activeLocked()
}

// Seq returns the seq of the last message published on stream, 0 before the
// first.
func (h *Hub) Seq(stream string) uint64 {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	state := shard.streamLocked(stream, false)
	if state == nil {
		return 0
	}
	return state.seq
}
