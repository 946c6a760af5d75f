package actors

// The session actor serves one WebSocket client. It owns the client's set of
// subscribed streams, each with the seq of the last message sent on it, and
// is the only writer to the client's Conn.
//
// It takes:
//   - *messages.Subscribe and *messages.Unsubscribe from the WebSocket
//     adapter: it registers or removes itself in the Hub, sends an ACK and,
//     after a subscribe, the stream's SNAPSHOT pages;
//   - *Resume from the adapter: it subscribes again to each stream and sends
//     the messages the client missed, or a SNAPSHOT marked reset;
//   - *StreamMessage from publishers (through Hub.Publish): it queues the
//     payload on the Conn unless the client already has that seq, and holds
//     it back while the stream's snapshot is loading;
//   - *StreamBatch (through Hub.PublishBatch): each of its messages as a
//     *StreamMessage;
//   - *messages.Outbound from the adapter (ERROR replies): it queues the
//     payload on the Conn;
//   - snapshotLoaded, which it sends itself when a Snapshotter call it
//     started in a goroutine returns;
//   - *actor.Stopping and *actor.Restarting: it removes every subscription
//     from the Hub and closes the Conn. After a restart it stops itself.
//
// It sends only to the Conn, and to itself. When the Conn's queue is full
// the client has fallen behind, so the session closes the connection with
// SlowConsumerCloseCode and stops itself rather than buffer without bound or
// make the publisher wait.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// WebSocket close codes sent by the session actor (RFC 6455, section 7.4).
const (
	// SlowConsumerCloseCode closes the connection of a client that reads too
	// slowly to keep up with its streams. It is 1008 (policy violation), the
	// registered code for a policy that has no more specific code, so any
	// WebSocket client library understands it. The close reason is
	// SlowConsumerCloseReason. Clients should reconnect and resume.
	SlowConsumerCloseCode = 1008

	// SlowConsumerCloseReason is the close reason sent with
	// SlowConsumerCloseCode.
	SlowConsumerCloseReason = "slow consumer"

	// sessionStoppedCloseCode (1001, going away) closes the connection when
	// the session actor stops for another reason.
	sessionStoppedCloseCode = 1001

	// sessionFailedCloseCode (1011, internal error) closes the connection
	// when the session actor failed.
	sessionFailedCloseCode = 1011
)

// Error codes of ERROR messages beyond those in package messages.
const (
	// ErrorCodeForbidden rejects a subscription to a league that the
	// client's token does not list.
	ErrorCodeForbidden = "forbidden"

	// ErrorCodeSubscriptionLimit rejects a subscription beyond
	// SessionConfig.MaxSubscriptions.
	ErrorCodeSubscriptionLimit = "subscription_limit"

	// ErrorCodeSnapshotFailed reports that a stream's snapshot could not be
	// loaded. The subscription stays and live messages follow.
	ErrorCodeSnapshotFailed = "snapshot_failed"

	// ErrorCodeRateLimited rejects a client message sent faster than the
	// adapter's message rate limit allows. The message is not acted on.
	ErrorCodeRateLimited = "rate_limited"
)

// TypeSnapshot is the type of the messages that carry a stream's current
// state.
const TypeSnapshot = "SNAPSHOT"

// Defaults for the zero fields of SessionConfig.
const (
	// DefaultMaxSubscriptions is the number of streams one client may
	// follow. 200 covers a fantasy roster view of every player in a few
	// leagues plus the week's games, and bounds what one connection costs.
	DefaultMaxSubscriptions = 200

	// DefaultMaxSnapshotMessageBytes is the size limit of one SNAPSHOT
	// message. A snapshot with more items is split into pages.
	DefaultMaxSnapshotMessageBytes = 64 * 1024

	// DefaultSnapshotTimeout bounds one Snapshotter call.
	DefaultSnapshotTimeout = 10 * time.Second
)

// maxPendingMessages bounds the live messages one stream holds back while
// its snapshot loads. A stream that receives more than this during one load
// has a client that cannot keep up, and the session closes it as a slow
// consumer.
const maxPendingMessages = HistoryMaxMessages

// Conn is the session actor's view of one client connection.
type Conn interface {
	// Send queues payload without blocking. It returns false when the
	// bounded queue is full.
	Send(payload []byte) bool

	// Close closes the connection with a WebSocket close code and reason.
	// It is safe to call more than once.
	Close(code int, reason string)
}

// SessionMetrics receives the session's counts. Its methods are called
// from many session actors at once, so they must be safe for concurrent
// use. kind is a stream kind name (player, game, league, scoreboard) and
// messageType a server message type (PLAYER_UPDATE, ACK, SNAPSHOT, …).
type SessionMetrics interface {
	SessionOpened()
	SessionClosed()
	SubscriptionAdded(kind string)
	SubscriptionRemoved(kind string)

	// MessageSent counts a message queued on the connection.
	MessageSent(messageType string)

	// MessageDropped counts a message that did not fit in a slow
	// client's queue.
	MessageDropped(messageType string)

	// SlowClientDisconnected counts a close with SlowConsumerCloseCode.
	SlowClientDisconnected()

	// DeliveryLatency observes the time from Hub.Publish to the message
	// being queued on the connection.
	DeliveryLatency(latency time.Duration)
}

// SessionConfig configures a session actor. Zero fields take the defaults
// above.
type SessionConfig struct {
	// Snapshotter loads a stream's current state after a subscribe. Nil
	// sends no snapshots, except the empty reset one after a failed resume.
	Snapshotter messages.Snapshotter

	// SnapshotTimeout bounds one Snapshotter call.
	SnapshotTimeout time.Duration

	// MaxSubscriptions is the number of streams the client may follow.
	MaxSubscriptions int

	// MaxSnapshotMessageBytes is the size limit of one SNAPSHOT message.
	MaxSnapshotMessageBytes int

	// AllowLeague reports whether the client may follow a league. Nil
	// allows every league, as when no auth secret is configured.
	AllowLeague func(leagueID string) bool

	// Metrics receives counts. Nil counts nothing.
	Metrics SessionMetrics

	// Logger receives the session's logs. Nil uses the actor system's.
	Logger *slog.Logger
}

func (c SessionConfig) withDefaults() SessionConfig {
	if c.SnapshotTimeout <= 0 {
		c.SnapshotTimeout = DefaultSnapshotTimeout
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if c.MaxSnapshotMessageBytes <= 0 {
		c.MaxSnapshotMessageBytes = DefaultMaxSnapshotMessageBytes
	}
	if c.Metrics == nil {
		c.Metrics = noSessionMetrics{}
	}
	return c
}

// Resume is the request to follow streams again from where the client left
// them. Sent by the WebSocket adapter.
type Resume struct {
	Positions []StreamPosition
}

// StreamPosition is the last message a client received on one stream.
type StreamPosition struct {
	Stream string
	Epoch  string
	Seq    uint64
}

// snapshotLoaded carries the result of one Snapshotter call back to the
// session that started it.
type snapshotLoaded struct {
	stream     string
	generation uint64
	seq        uint64
	reset      bool
	items      []json.RawMessage
	err        error
}

// NewSessionProps returns the props of a session actor that serves conn and
// subscribes to streams in hub.
func NewSessionProps(hub *Hub, conn Conn, config SessionConfig) *actor.Props {
	config = config.withDefaults()
	return actor.PropsFromProducer(func() actor.Actor {
		return &sessionActor{hub: hub, conn: conn, config: config, streams: make(map[string]*subscription)}
	})
}

type sessionActor struct {
	hub    *Hub
	conn   Conn
	config SessionConfig

	// streams are this session's subscriptions by stream key.
	streams map[string]*subscription

	// generation numbers snapshot loads, so that the result of a load for
	// an earlier subscription to the same stream is ignored.
	generation uint64

	// started is set once SessionOpened was counted.
	started bool

	// closed is set once the session has closed conn, after which it sends
	// nothing more.
	closed bool
}

// subscription is one followed stream.
type subscription struct {
	kind messages.StreamKind
	id   string

	// lastSeq is the seq of the last message the client has on this
	// stream, from a live message, a snapshot or its resume position.
	// Messages with a seq at or below it are duplicates.
	lastSeq uint64

	// loading is the generation of the snapshot being loaded, 0 when none
	// is. pending holds the live messages that arrived meanwhile.
	loading uint64
	pending []*StreamMessage
}

// Receive handles the messages listed at the top of this file.
func (s *sessionActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		s.started = true
		s.config.Metrics.SessionOpened()

	case *messages.Subscribe:
		s.subscribe(ctx, msg.GetKind(), msg.GetId())

	case *messages.Unsubscribe:
		s.unsubscribe(ctx, msg.GetKind(), msg.GetId())

	case *Resume:
		for _, position := range msg.Positions {
			s.resume(ctx, position)
		}

	case *StreamMessage:
		s.deliver(ctx, msg)

	case *StreamBatch:
		for _, message := range msg.Messages {
			if s.closed {
				break
			}
			s.deliver(ctx, message)
		}

	case *snapshotLoaded:
		s.snapshotLoaded(ctx, msg)

	case *messages.Outbound:
		s.send(ctx, msg.GetPayload(), payloadType(msg.GetPayload()))

	case *actor.Restarting:
		// The restarted actor would start with no subscriptions while
		// the client believes it still has them, so the session ends
		// the connection and stops after the restart.
		s.unsubscribeAll(ctx)
		s.close(sessionFailedCloseCode, "internal error")
		if s.started {
			// The restarted instance counts itself opened again.
			s.started = false
			s.config.Metrics.SessionClosed()
		}
		ctx.Stop(ctx.Self())

	case *actor.Stopping:
		s.unsubscribeAll(ctx)
		s.close(sessionStoppedCloseCode, "session stopped")
		if s.started {
			s.started = false
			s.config.Metrics.SessionClosed()
		}
	}
}

func (s *sessionActor) subscribe(ctx actor.Context, kind messages.StreamKind, id string) {
	action := "subscribe_" + streamKindName(kind)
	if !s.validStream(ctx, kind, id) || !s.allowed(ctx, kind, id) {
		return
	}

	stream := StreamKey(kind, id)
	if sub, subscribed := s.streams[stream]; subscribed {
		// A repeated subscribe changes nothing and gets no new
		// snapshot: the client already has the stream up to lastSeq.
		s.sendAck(ctx, sessionAck{Action: action, Stream: stream, Seq: &sub.lastSeq}, kind, id)
		return
	}
	if !s.belowLimit(ctx, stream) {
		return
	}

	seq := s.hub.Subscribe(stream, ctx.Self())
	sub := s.add(stream, kind, id, seq)
	s.sendAck(ctx, sessionAck{Action: action, Stream: stream, Seq: &seq}, kind, id)
	s.loadSnapshot(ctx, stream, sub, false)
}

func (s *sessionActor) unsubscribe(ctx actor.Context, kind messages.StreamKind, id string) {
	if !s.validStream(ctx, kind, id) {
		return
	}

	stream := StreamKey(kind, id)
	s.remove(ctx, stream)

	// Unsubscribing from a stream the client never subscribed to is
	// acknowledged too, because the request (no messages from that
	// stream) is met.
	s.sendAck(ctx, sessionAck{Action: "unsubscribe_" + streamKindName(kind), Stream: stream}, kind, id)
}

// resume follows one stream again from the client's position. Within the
// history the client gets exactly the messages after its seq; otherwise it
// gets a SNAPSHOT marked reset, taken at the stream's current seq.
func (s *sessionActor) resume(ctx actor.Context, position StreamPosition) {
	kind, id, ok := ParseStreamKey(position.Stream)
	if !ok {
		s.sendError(ctx, messages.ErrorCodeInvalidField, fmt.Sprintf(
			`invalid stream %q in resume. Use a stream key from an ACK, such as "player:00-0033873"`, position.Stream))
		return
	}
	if !s.allowed(ctx, kind, id) {
		return
	}

	// A resume of a stream that is already followed starts over from the
	// client's position. Messages of the old subscription that are still
	// in the mailbox are then dropped as duplicates by lastSeq.
	stream := position.Stream
	s.remove(ctx, stream)
	if !s.belowLimit(ctx, stream) {
		return
	}

	missed, current, resumed := s.hub.Resume(stream, ctx.Self(), position.Epoch, position.Seq)
	sub := s.add(stream, kind, id, current)
	epoch := s.hub.Epoch()
	s.sendAck(ctx, sessionAck{Action: "resume", Stream: stream, Seq: &current, Epoch: epoch, Resumed: &resumed}, kind, id)

	if !resumed {
		s.loadSnapshot(ctx, stream, sub, true)
		return
	}
	for _, message := range missed {
		if !s.send(ctx, message.Payload, message.Type) {
			return
		}
	}
}

// deliver sends a live message on to the client, unless it is a duplicate,
// the client no longer follows its stream, or the stream's snapshot is
// still loading, in which case it waits in pending.
func (s *sessionActor) deliver(ctx actor.Context, message *StreamMessage) {
	sub := s.streams[message.Stream]
	if sub == nil || message.Seq <= sub.lastSeq {
		return
	}

	if sub.loading != 0 {
		if len(sub.pending) >= maxPendingMessages {
			s.closeSlowConsumer(ctx, message.Type)
			return
		}
		sub.pending = append(sub.pending, message)
		return
	}

	if s.send(ctx, message.Payload, message.Type) {
		sub.lastSeq = message.Seq
		s.config.Metrics.DeliveryLatency(time.Since(message.PublishedAt))
	}
}

// loadSnapshot calls the Snapshotter off the mailbox, in a goroutine that
// sends the result back as snapshotLoaded. Without a Snapshotter, a reset
// still gets one empty SNAPSHOT page, so that the client knows to drop what
// it has.
func (s *sessionActor) loadSnapshot(ctx actor.Context, stream string, sub *subscription, reset bool) {
	snapshotter := s.config.Snapshotter
	if snapshotter == nil {
		if reset {
			s.sendSnapshot(ctx, stream, sub.lastSeq, true, nil)
		}
		return
	}

	s.generation++
	sub.loading = s.generation
	loaded := &snapshotLoaded{stream: stream, generation: s.generation, seq: sub.lastSeq, reset: reset}
	kind, id, seq := sub.kind, sub.id, sub.lastSeq
	timeout := s.config.SnapshotTimeout
	root := ctx.ActorSystem().Root
	self := ctx.Self()

	go func() {
		snapshotCtx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()

		loaded.items, loaded.err = snapshotter.Snapshot(snapshotCtx, kind, id, seq)
		root.Send(self, loaded)
	}()
}

// snapshotLoaded sends the SNAPSHOT pages, or an ERROR when the load
// failed, and then the live messages held back meanwhile.
func (s *sessionActor) snapshotLoaded(ctx actor.Context, loaded *snapshotLoaded) {
	sub := s.streams[loaded.stream]
	if sub == nil || sub.loading != loaded.generation {
		// The client unsubscribed, or subscribed again, meanwhile.
		return
	}
	sub.loading = 0
	pending := sub.pending
	sub.pending = nil

	if loaded.err != nil {
		s.logger(ctx).Warn("load stream snapshot failed", slog.String("stream", loaded.stream),
			slog.Any("error", loaded.err))
		s.sendError(ctx, ErrorCodeSnapshotFailed, fmt.Sprintf(
			"loading the snapshot of %s failed: %v. The subscription stays and live messages follow; subscribe again to retry",
			loaded.stream, loaded.err))
	} else if !s.sendSnapshot(ctx, loaded.stream, loaded.seq, loaded.reset, loaded.items) {
		return
	}

	for _, message := range pending {
		if message.Seq <= sub.lastSeq {
			continue
		}
		if !s.send(ctx, message.Payload, message.Type) {
			return
		}
		sub.lastSeq = message.Seq
	}
}

// sendSnapshot sends items as SNAPSHOT pages within MaxSnapshotMessageBytes.
// It returns false when the connection was closed.
func (s *sessionActor) sendSnapshot(ctx actor.Context, stream string, seq uint64, reset bool, items []json.RawMessage) bool {
	pages, err := EncodeSnapshotPages(SnapshotHeader{Stream: stream, Seq: seq, Epoch: s.hub.Epoch(), Reset: reset},
		items, s.config.MaxSnapshotMessageBytes)
	if err != nil {
		s.logger(ctx).Error("encode stream snapshot failed", slog.String("stream", stream), slog.Any("error", err))
		s.sendError(ctx, ErrorCodeSnapshotFailed, fmt.Sprintf(
			"encoding the snapshot of %s failed. The subscription stays and live messages follow", stream))
		return !s.closed
	}

	for _, page := range pages {
		if !s.send(ctx, page, TypeSnapshot) {
			return false
		}
	}
	return true
}

// validStream sends an ERROR to the client and returns false when kind or id
// cannot name a stream. The WebSocket adapter checks both before it sends, so
// this guards other senders.
func (s *sessionActor) validStream(ctx actor.Context, kind messages.StreamKind, id string) bool {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER, messages.StreamKind_STREAM_KIND_GAME, messages.StreamKind_STREAM_KIND_LEAGUE:
	case messages.StreamKind_STREAM_KIND_SCOREBOARD:
		if id != ScoreboardID {
			s.sendError(ctx, messages.ErrorCodeInvalidField, "the scoreboard stream id is "+ScoreboardID+", not "+id)
			return false
		}
	default:
		s.sendError(ctx, messages.ErrorCodeInvalidField, "invalid stream kind "+kind.String())
		return false
	}

	if id == "" {
		field := streamKindName(kind) + "_id"
		s.sendError(ctx, messages.ErrorCodeInvalidField, field+" is missing or empty")
		return false
	}
	return true
}

// allowed sends a forbidden ERROR and returns false when the client may not
// follow the stream. Only leagues are restricted.
func (s *sessionActor) allowed(ctx actor.Context, kind messages.StreamKind, id string) bool {
	if kind != messages.StreamKind_STREAM_KIND_LEAGUE || s.config.AllowLeague == nil || s.config.AllowLeague(id) {
		return true
	}

	s.sendError(ctx, ErrorCodeForbidden, fmt.Sprintf(
		"league %q is not in your token's leagues claim. Request a token that lists it", id))
	return false
}

// belowLimit sends a subscription_limit ERROR and returns false when the
// session already follows MaxSubscriptions streams.
func (s *sessionActor) belowLimit(ctx actor.Context, stream string) bool {
	if len(s.streams) < s.config.MaxSubscriptions {
		return true
	}

	s.sendError(ctx, ErrorCodeSubscriptionLimit, fmt.Sprintf(
		"cannot follow %s: a connection may follow at most %d streams. Unsubscribe from one first",
		stream, s.config.MaxSubscriptions))
	return false
}

func (s *sessionActor) add(stream string, kind messages.StreamKind, id string, seq uint64) *subscription {
	sub := &subscription{kind: kind, id: id, lastSeq: seq}
	s.streams[stream] = sub
	s.config.Metrics.SubscriptionAdded(streamKindName(kind))
	return sub
}

func (s *sessionActor) remove(ctx actor.Context, stream string) {
	sub, subscribed := s.streams[stream]
	if !subscribed {
		return
	}

	s.hub.Unsubscribe(stream, ctx.Self())
	delete(s.streams, stream)
	s.config.Metrics.SubscriptionRemoved(streamKindName(sub.kind))
}

// send queues payload on the connection and returns whether it was queued.
// A full queue means the client has fallen behind: the session closes the
// connection and stops itself, and Stopping removes its subscriptions.
func (s *sessionActor) send(ctx actor.Context, payload []byte, messageType string) bool {
	if s.closed {
		return false
	}

	if s.conn.Send(payload) {
		s.config.Metrics.MessageSent(messageType)
		return true
	}

	s.closeSlowConsumer(ctx, messageType)
	return false
}

func (s *sessionActor) closeSlowConsumer(ctx actor.Context, messageType string) {
	s.logger(ctx).Warn("closing slow WebSocket client",
		slog.String("session", ctx.Self().GetId()),
		slog.Int("streams", len(s.streams)))
	s.config.Metrics.MessageDropped(messageType)
	s.config.Metrics.SlowClientDisconnected()
	s.close(SlowConsumerCloseCode, SlowConsumerCloseReason)
	ctx.Stop(ctx.Self())
}

func (s *sessionActor) sendError(ctx actor.Context, code, text string) {
	s.send(ctx, messages.EncodeError(code, text), messages.TypeError)
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
		s.remove(ctx, stream)
	}
}

func (s *sessionActor) logger(ctx actor.Context) *slog.Logger {
	if s.config.Logger != nil {
		return s.config.Logger
	}
	return ctx.Logger()
}

// sessionAck is the ACK of one client action. Stream is the stream key that
// later messages carry. Seq and Epoch give the client's position after a
// subscribe or resume: live messages that follow have a greater seq.
// Resumed reports whether a resume was served from the history (true) or
// gets a SNAPSHOT marked reset (false).
type sessionAck struct {
	Type     string  `json:"type"`
	Action   string  `json:"action"`
	PlayerID string  `json:"player_id,omitempty"`
	GameID   string  `json:"game_id,omitempty"`
	LeagueID string  `json:"league_id,omitempty"`
	Stream   string  `json:"stream"`
	Seq      *uint64 `json:"seq,omitempty"`
	Epoch    string  `json:"epoch,omitempty"`
	Resumed  *bool   `json:"resumed,omitempty"`
}

func (s *sessionActor) sendAck(ctx actor.Context, ack sessionAck, kind messages.StreamKind, id string) {
	ack.Type = messages.TypeAck
	if ack.Seq != nil && ack.Epoch == "" {
		ack.Epoch = s.hub.Epoch()
	}
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
		// Marshaling a struct of strings and numbers cannot fail.
		panic(err)
	}
	s.send(ctx, payload, messages.TypeAck)
}

// SnapshotHeader is the part of a SNAPSHOT message that every page repeats.
type SnapshotHeader struct {
	Stream string
	Seq    uint64
	Epoch  string

	// Reset marks the snapshot sent after a resume that the history could
	// not serve: the client must replace what it has for the stream.
	Reset bool
}

// snapshotPage is one SNAPSHOT message.
type snapshotPage struct {
	Type   string            `json:"type"`
	Stream string            `json:"stream"`
	Seq    uint64            `json:"seq"`
	Epoch  string            `json:"epoch"`
	Page   int               `json:"page"`
	Pages  int               `json:"pages"`
	Reset  bool              `json:"reset,omitempty"`
	Items  []json.RawMessage `json:"items"`
}

// EncodeSnapshotPages encodes items as SNAPSHOT messages of at most maxBytes
// each, in item order, numbered from page 1. No items give one page with an
// empty items array. An item too large to fit in maxBytes with the header
// is sent alone on its page, which is then larger than maxBytes. It returns
// an error when an item is not valid JSON.
func EncodeSnapshotPages(header SnapshotHeader, items []json.RawMessage, maxBytes int) ([][]byte, error) {
	base := snapshotPage{Type: TypeSnapshot, Stream: header.Stream, Seq: header.Seq, Epoch: header.Epoch, Reset: header.Reset}

	// The overhead is measured with page numbers as long as the longest
	// possible ones, so that no page is larger than measured.
	widest := base
	widest.Page, widest.Pages = len(items)+1, len(items)+1
	widest.Items = []json.RawMessage{}
	emptyPage, err := marshalSnapshotPage(widest)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot of %s: %w", header.Stream, err)
	}
	overhead := len(emptyPage)

	// Split the items greedily: an item joins the page unless the page
	// would then exceed maxBytes. Each item after the first adds a comma.
	var groups [][]json.RawMessage
	var group []json.RawMessage
	size := overhead
	for _, item := range items {
		added := len(item)
		if len(group) > 0 {
			added++
		}
		if len(group) > 0 && size+added > maxBytes {
			groups = append(groups, group)
			group, size, added = nil, overhead, len(item)
		}
		group = append(group, item)
		size += added
	}
	if len(group) > 0 || len(groups) == 0 {
		groups = append(groups, group)
	}

	pages := make([][]byte, 0, len(groups))
	for i, group := range groups {
		page := base
		page.Page, page.Pages = i+1, len(groups)
		page.Items = group
		if page.Items == nil {
			page.Items = []json.RawMessage{}
		}

		encoded, err := marshalSnapshotPage(page)
		if err != nil {
			return nil, fmt.Errorf("encode snapshot of %s, page %d: %w", header.Stream, i+1, err)
		}
		pages = append(pages, encoded)
	}
	return pages, nil
}

// marshalSnapshotPage encodes page without HTML escaping, so that an item
// is never longer on the wire than in the Snapshotter's result, which the
// page split relies on.
func marshalSnapshotPage(page snapshotPage) ([]byte, error) {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(page); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buffer.Bytes(), []byte("\n")), nil
}

type noSessionMetrics struct{}

func (noSessionMetrics) SessionOpened()                {}
func (noSessionMetrics) SessionClosed()                {}
func (noSessionMetrics) SubscriptionAdded(string)      {}
func (noSessionMetrics) SubscriptionRemoved(string)    {}
func (noSessionMetrics) MessageSent(string)            {}
func (noSessionMetrics) MessageDropped(string)         {}
func (noSessionMetrics) SlowClientDisconnected()       {}
func (noSessionMetrics) DeliveryLatency(time.Duration) {}
