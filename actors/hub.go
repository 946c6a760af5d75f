package actors

// The Hub is not an actor: it is the registry that maps each stream (one
// player, one game, one league) to the session actors subscribed to it.
// Session actors add and remove themselves with Subscribe and Unsubscribe.
// Publishers (the scoring and game actors) encode a server message once and
// call Publish, which sends the same *messages.Outbound value to every
// subscribed session.

import (
	"hash/maphash"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// hubShardCount is the number of independently locked parts of the hub.
// Sessions subscribe and unsubscribe from many goroutines at once (every
// connect and disconnect) while publishers read, so one lock would make the
// subscriptions of a reconnect storm wait behind every broadcast and each
// other. 64 is the shard count of the centrifuge hub (numHubShards), not a
// number measured for nflsync. It must be a power of two because shardFor
// masks the hash.
const hubShardCount = 64

// StreamKey returns the hub key of one stream, such as "player:00-0033873",
// "game:2025_01_DAL_PHI" or "league:x".
func StreamKey(kind messages.StreamKind, id string) string {
	return streamKindName(kind) + ":" + id
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
	default:
		return "unspecified"
	}
}

// Hub is a sharded registry of stream subscriptions: stream key → set of
// session PIDs. It is safe for concurrent use.
type Hub struct {
	seed   maphash.Seed
	shards [hubShardCount]hubShard
}

type hubShard struct {
	mu      sync.RWMutex
	streams map[string]map[hubSessionKey]*actor.PID
}

// hubSessionKey identifies a session by value, so that two *actor.PID values for
// the same actor are one subscriber.
type hubSessionKey struct {
	address string
	id      string
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	hub := &Hub{seed: maphash.MakeSeed()}
	for i := range hub.shards {
		hub.shards[i].streams = make(map[string]map[hubSessionKey]*actor.PID)
	}
	return hub
}

func (h *Hub) shardFor(stream string) *hubShard {
	return &h.shards[maphash.String(h.seed, stream)&(hubShardCount-1)]
}

// Subscribe adds a session to a stream. Subscribing twice is the same as
// subscribing once.
func (h *Hub) Subscribe(stream string, session *actor.PID) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	sessions := shard.streams[stream]
	if sessions == nil {
		sessions = make(map[hubSessionKey]*actor.PID)
		shard.streams[stream] = sessions
	}
	sessions[hubSessionKey{address: session.Address, id: session.Id}] = session
}

// Unsubscribe removes a session from a stream. Removing a session that is
// not subscribed does nothing.
func (h *Hub) Unsubscribe(stream string, session *actor.PID) {
	shard := h.shardFor(stream)
	shard.mu.Lock()
	defer shard.mu.Unlock()

	sessions := shard.streams[stream]
	delete(sessions, hubSessionKey{address: session.Address, id: session.Id})
	if len(sessions) == 0 {
		// Drop empty sets so that streams without subscribers (last
		// week's games, released players) do not pile up.
		delete(shard.streams, stream)
	}
}

// Publish sends payload to every session subscribed to stream and returns
// how many sessions it was sent to. The caller encodes the message once: all
// sessions receive the same *messages.Outbound value and the same payload
// bytes, so neither may be modified after the call.
//
// The shard's read lock is held only while the subscriber PIDs are copied,
// not while sending, so a Subscribe or Unsubscribe on the same shard waits
// for that copy at most.
func (h *Hub) Publish(sender actor.SenderContext, stream string, payload []byte) (delivered int) {
	shard := h.shardFor(stream)
	shard.mu.RLock()
	sessions := shard.streams[stream]
	recipients := make([]*actor.PID, 0, len(sessions))
	for _, session := range sessions {
		recipients = append(recipients, session)
	}
	shard.mu.RUnlock()

	if len(recipients) == 0 {
		return 0
	}

	outbound := &messages.Outbound{Payload: payload}
	for _, session := range recipients {
		sender.Send(session, outbound)
	}
	return len(recipients)
}

// Subscribers returns the number of sessions subscribed to stream.
func (h *Hub) Subscribers(stream string) int {
	shard := h.shardFor(stream)
	shard.mu.RLock()
	defer shard.mu.RUnlock()

	return len(shard.streams[stream])
}
