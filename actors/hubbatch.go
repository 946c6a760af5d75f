package actors

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Publication is one payload for Hub.PublishBatch: an encoded JSON object
// for one stream.
type Publication struct {
	Stream  string
	Payload []byte

	// version names the snapshot item that Payload changes, so that the
	// hub records it as published (hub_items.go). Zero for a payload that
	// changes none.
	version itemVersion
}

// StreamBatch carries the messages of one Hub.PublishBatch call for one
// session, in publication order, so that a session receives one mailbox
// message per batch rather than one per message. Like a StreamMessage, it
// must not be modified.
type StreamBatch struct {
	Messages []*StreamMessage
}

// sessionBatch collects the messages of one PublishBatch for one session.
type sessionBatch struct {
	session  *actor.PID
	messages []*StreamMessage
}

// PublishBatch publishes each publication like Publish, including the
// check for repeated payloads and the relay to other nodes when a relay is
// set, and returns the number of messages sent to sessions. Each session receives one
// StreamBatch that contains its messages of the whole call, so a burst of
// changes costs one mailbox message per session instead of one per change.
// A payload that is not a JSON object is logged and left out.
//
// The shard locks of every stream in the batch are held, in shard order,
// until the batches are sent. A Publish to one of those streams from
// another publisher therefore comes entirely before or after the batch, and
// no session can receive a stream's seqs out of order.
func (h *Hub) PublishBatch(sender actor.SenderContext, publications []Publication) (delivered int) {
	bodies := make([][]byte, len(publications))
	types := make([]string, len(publications))
	var lockedShards [hubShardCount]bool
	for i, publication := range publications {
		body, ok := jsonObjectBody(publication.Payload)
		if !ok {
			slog.Error("hub dropped a payload that is not a JSON object", slog.String("stream", publication.Stream),
				slog.Int("bytes", len(publication.Payload)))
			continue
		}
		bodies[i] = body
		types[i] = payloadType(body)
		lockedShards[h.shardIndex(publication.Stream)] = true
	}
	publishedAt := time.Now()

	// Only a hub with a relay can get one change twice, as in publish.
	forward := h.relay.Load()

	for index, locked := range lockedShards {
		if locked {
			h.shards[index].mu.Lock()
			defer h.shards[index].mu.Unlock()
		}
	}

	batches := make(map[hubSessionKey]*sessionBatch)
	for i, publication := range publications {
		if bodies[i] == nil {
			continue
		}

		state := h.shardFor(publication.Stream).streamLocked(publication.Stream, true)
		if forward == nil {
			state.recordLocked(publication.version)
		} else {
			key, contentHash, versions, compare := h.contentIdentity(bodies[i])
			if !compare {
				versions = []itemVersion{publication.version}
			}
			for _, changed := range versions {
				state.recordLocked(changed)
			}
			if compare && state.repeatsLocked(key, contentHash) {
				slog.Debug("hub dropped a repeated payload", slog.String("stream", publication.Stream),
					slog.String("type", key.messageType))
				continue
			}
			if compare {
				state.rememberContentLocked(key, contentHash)
			}
		}
		state.seq++
		message := &StreamMessage{
			Stream:      publication.Stream,
			Seq:         state.seq,
			Payload:     h.stamp(bodies[i], state.quotedKey, state.seq),
			Type:        types[i],
			PublishedAt: publishedAt,
		}
		state.remember(message)

		for key, session := range state.subscribers {
			batch := batches[key]
			if batch == nil {
				batch = &sessionBatch{session: session}
				batches[key] = batch
			}
			batch.messages = append(batch.messages, message)
		}
		delivered += len(state.subscribers)

		// Relaying under the locks keeps the other nodes' order of one
		// stream's messages the same as here.
		if forward != nil {
			(*forward)(publication.Stream, bodies[i])
		}
	}

	for _, batch := range batches {
		sender.Send(batch.session, &StreamBatch{Messages: batch.messages})
	}
	return delivered
}
