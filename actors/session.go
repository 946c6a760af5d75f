package actors

// The session actor serves one WebSocket client. It owns the client's set of
// subscribed streams and is the only writer to the client's Conn.
//
// It takes:
//   - *messages.Subscribe and *messages.Unsubscribe from the WebSocket
//     adapter: it registers or removes itself in the Hub and sends an ACK
//     to the client;
//   - *messages.Outbound from publishers (through Hub.Publish) and from the
//     adapter (ERROR replies): it queues the payload on the Conn;
//   - *actor.Stopping and *actor.Restarting: it removes every subscription
//     from the Hub and closes the Conn. After a restart it stops itself.
//
// It sends only to the Conn. When the Conn's queue is full the client has
// fallen behind, so the session closes the connection with
// SlowConsumerCloseCode and stops itself rather than buffer without bound or
// make the publisher wait.

import (
	"encoding/json"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// WebSocket close codes sent by the session actor (RFC 6455, section 7.4).
const (
	// SlowConsumerCloseCode closes the connection of a client that reads too
	// slowly to keep up with its streams. It is 1008 (policy violation), the
	// registered code for a policy that has no more specific code, so any
	// WebSocket client library understands it. The close reason is
	// SlowConsumerCloseReason. Clients should reconnect and subscribe again.
	SlowConsumerCloseCode = 1008

	// SlowConsumerCloseReason is the close reason sent with
	// SlowConsumerCloseCode.
	SlowConsumerCloseReason = "slow consumer"

	// sessionStoppedCloseCode (1001, going away) closes the connection when
	// the session actor stops for another reason, such as a shutdown.
	sessionStoppedCloseCode = 1001

	// sessionFailedCloseCode (1011, internal error) closes the connection
	// when the session actor failed.
	sessionFailedCloseCode = 1011
)

// Conn is the session actor's view of one client connection.
type Conn interface {
	// Send queues payload without blocking. It returns false when the
	// bounded queue is full.
	Send(payload []byte) bool

	// Close closes the connection with a WebSocket close code and reason.
	// It is safe to call more than once.
	Close(code int, reason string)
}

// NewSessionProps returns the props of a session actor that serves conn and
// subscribes to streams in hub.
func NewSessionProps(hub *Hub, conn Conn) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &sessionActor{hub: hub, conn: conn, streams: make(map[string]struct{})}
	})
}

type sessionActor struct {
	hub  *Hub
	conn Conn

	// streams are the keys (StreamKey) this session is subscribed to.
	streams map[string]struct{}

	// closed is set once the session has closed conn, after which it sends
	// nothing more.
	closed bool
}

// Receive handles the messages listed at the top of this file.
func (s *sessionActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.Subscribe:
		s.subscribe(ctx, msg.GetKind(), msg.GetId())

	case *messages.Unsubscribe:
		s.unsubscribe(ctx, msg.GetKind(), msg.GetId())

	case *messages.Outbound:
		s.send(ctx, msg.GetPayload())

	case *actor.Restarting:
		// The restarted actor would start with no subscriptions while
		// the client believes it still has them, so the session ends
		// the connection and stops after the restart.
		s.unsubscribeAll(ctx)
		s.close(sessionFailedCloseCode, "internal error")
		ctx.Stop(ctx.Self())

	case *actor.Stopping:
		s.unsubscribeAll(ctx)
		s.close(sessionStoppedCloseCode, "session stopped")
	}
}

func (s *sessionActor) subscribe(ctx actor.Context, kind messages.StreamKind, id string) {
	if !s.validStream(ctx, kind, id) {
		return
	}

	stream := StreamKey(kind, id)
	if _, subscribed := s.streams[stream]; !subscribed {
		s.hub.Subscribe(stream, ctx.Self())
		s.streams[stream] = struct{}{}
	}

	s.send(ctx, encodeSessionAck("subscribe_"+streamKindName(kind), kind, id))
}

func (s *sessionActor) unsubscribe(ctx actor.Context, kind messages.StreamKind, id string) {
	if !s.validStream(ctx, kind, id) {
		return
	}

	stream := StreamKey(kind, id)
	if _, subscribed := s.streams[stream]; subscribed {
		s.hub.Unsubscribe(stream, ctx.Self())
		delete(s.streams, stream)
	}

	// Unsubscribing from a stream the client never subscribed to is
	// acknowledged too, because the request (no messages from that
	// stream) is met.
	s.send(ctx, encodeSessionAck("unsubscribe_"+streamKindName(kind), kind, id))
}

// validStream sends an ERROR to the client and returns false when kind or id
// cannot name a stream. The WebSocket adapter checks both before it sends, so
// this guards other senders.
func (s *sessionActor) validStream(ctx actor.Context, kind messages.StreamKind, id string) bool {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER, messages.StreamKind_STREAM_KIND_GAME, messages.StreamKind_STREAM_KIND_LEAGUE:
	default:
		s.send(ctx, messages.EncodeError(messages.ErrorCodeInvalidField, "invalid stream kind "+kind.String()))
		return false
	}

	if id == "" {
		field := streamKindName(kind) + "_id"
		s.send(ctx, messages.EncodeError(messages.ErrorCodeInvalidField, field+" is missing or empty"))
		return false
	}
	return true
}

// send queues payload on the connection. A full queue means the client has
// fallen behind: the session closes the connection and stops itself, and
// Stopping removes its subscriptions.
func (s *sessionActor) send(ctx actor.Context, payload []byte) {
	if s.closed {
		return
	}

	if s.conn.Send(payload) {
		return
	}

	ctx.Logger().Warn("closing slow WebSocket client",
		slog.String("session", ctx.Self().GetId()),
		slog.Int("streams", len(s.streams)))
	s.close(SlowConsumerCloseCode, SlowConsumerCloseReason)
	ctx.Stop(ctx.Self())
}

func (s *sessionActor) close(code int, reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.conn.Close(code, reason)
}

func (s *sessionActor) unsubscribeAll(ctx actor.Context) {
	for stream := range s.streams {
		s.hub.Unsubscribe(stream, ctx.Self())
	}
	clear(s.streams)
}

func encodeSessionAck(action string, kind messages.StreamKind, id string) []byte {
	ack := messages.AckMessage{Type: messages.TypeAck, Action: action}
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		ack.PlayerID = id
	case messages.StreamKind_STREAM_KIND_GAME:
		ack.GameID = id
	case messages.StreamKind_STREAM_KIND_LEAGUE:
		ack.LeagueID = id
	}

	payload, err := json.Marshal(ack)
	if err != nil {
		// Marshaling a struct of strings cannot fail.
		panic(err)
	}
	return payload
}
