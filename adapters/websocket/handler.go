// Package websocket serves nflsync's WebSocket endpoint with
// gorilla/websocket. Each client connection gets a session actor
// (actors.NewSessionProps) that owns its subscriptions, and this package
// moves bytes between the socket and that actor.
//
// Client messages are JSON objects with an "action" field:
//
//	{"action":"subscribe_player","player_id":"00-0033873"}
//	{"action":"subscribe_game","game_id":"2025_01_DAL_PHI"}
//	{"action":"subscribe_league","league_id":"x"}
//
// and the matching unsubscribe_player, unsubscribe_game and
// unsubscribe_league. The server replies with an ACK, or with an ERROR whose
// code is invalid_json, unknown_action or invalid_field, and the connection
// stays open after an ERROR.
package websocket

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	gorilla "github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// Path is the URL path the handler is meant to be mounted on.
const Path = "/ws"

// Defaults for the zero fields of Options.
const (
	// DefaultSendQueueSize is the number of server messages that may wait
	// for one client before it counts as a slow consumer and is
	// disconnected. 256 is an estimate, not a measurement: it leaves room
	// for the updates of several polls to a client that follows a few
	// dozen players and games.
	DefaultSendQueueSize = 256

	// DefaultWriteTimeout bounds one write to a client.
	DefaultWriteTimeout = 10 * time.Second

	// DefaultPongWait is how long the server waits for any frame, pongs
	// included, before it drops a client.
	DefaultPongWait = 60 * time.Second

	// DefaultPingPeriod is 9/10 of DefaultPongWait, so that a ping goes out
	// before the read deadline passes.
	DefaultPingPeriod = DefaultPongWait * 9 / 10

	// DefaultMaxMessageBytes is the largest client message accepted. Client
	// actions are small JSON objects, so 4 KiB is ample. A larger message
	// closes the connection with code 1009 (message too big).
	DefaultMaxMessageBytes = 4096
)

// Options configures the WebSocket handler. Zero fields take the Default
// values above.
type Options struct {
	// SendQueueSize is the number of server messages that may wait for one
	// client. A client whose queue is full is disconnected with
	// actors.SlowConsumerCloseCode.
	SendQueueSize int

	// WriteTimeout bounds one write, ping or close frame to a client.
	WriteTimeout time.Duration

	// PongWait is how long the server waits for a frame from the client,
	// a pong or a message, before it closes the connection.
	PongWait time.Duration

	// PingPeriod is the interval between pings. It must be shorter than
	// PongWait, and NewHandler lowers it to 9/10 of PongWait when it is not.
	PingPeriod time.Duration

	// MaxMessageBytes is the size limit of one client message in bytes.
	MaxMessageBytes int64

	// CheckOrigin reports whether the Origin header of an upgrade request
	// is acceptable. Nil uses gorilla's default, which accepts requests
	// without an Origin header and requests whose Origin host equals the
	// Host header.
	CheckOrigin func(r *http.Request) bool
}

func (o Options) withDefaults() Options {
	if o.SendQueueSize <= 0 {
		o.SendQueueSize = DefaultSendQueueSize
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.PongWait <= 0 {
		o.PongWait = DefaultPongWait
	}
	if o.PingPeriod <= 0 {
		o.PingPeriod = o.PongWait * 9 / 10
	}
	if o.PingPeriod >= o.PongWait {
		slog.Warn("WebSocket ping period is not shorter than the pong wait, so 9/10 of the pong wait is used",
			slog.Duration("ping_period", o.PingPeriod), slog.Duration("pong_wait", o.PongWait))
		o.PingPeriod = o.PongWait * 9 / 10
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return o
}

type handler struct {
	system   *actor.ActorSystem
	hub      *actors.Hub
	options  Options
	upgrader gorilla.Upgrader
}

// NewHandler returns the HTTP handler of the WebSocket endpoint. It upgrades
// each request, spawns a session actor in system for it and subscribes that
// actor to streams of hub as the client requests.
//
// TODO: http.Server.Shutdown does not close hijacked connections, and
// nothing here closes them either, so clients stay connected until the
// process exits or their session actor stops.
func NewHandler(system *actor.ActorSystem, hub *actors.Hub, options Options) http.Handler {
	options = options.withDefaults()
	return &handler{
		system:   system,
		hub:      hub,
		options:  options,
		upgrader: gorilla.Upgrader{CheckOrigin: options.CheckOrigin},
	}
}

// ServeHTTP upgrades the request and then serves the connection until it
// closes. The request goroutine is the connection's reader.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has already replied with an HTTP error status.
		slog.Info("WebSocket upgrade failed", slog.String("remote_addr", r.RemoteAddr), slog.Any("error", err))
		return
	}

	logger := slog.With(slog.String("remote_addr", r.RemoteAddr))
	conn := newConnection(ws, h.options, logger)
	session := h.system.Root.Spawn(actors.NewSessionProps(h.hub, conn, actors.SessionConfig{}))
	conn.logger = logger.With(slog.String("session", session.GetId()))
	conn.logger.Debug("WebSocket client connected")

	go conn.writeLoop()
	h.readLoop(conn, session)
}

// readLoop reads client messages until the connection fails or closes, then
// stops the session actor, which removes its subscriptions.
func (h *handler) readLoop(conn *connection, session *actor.PID) {
	defer close(conn.readerDone)

	ws := conn.ws
	ws.SetReadLimit(h.options.MaxMessageBytes)
	extendReadDeadline := func() error {
		return ws.SetReadDeadline(time.Now().Add(h.options.PongWait))
	}
	ws.SetPongHandler(func(string) error { return extendReadDeadline() })
	replyToPing := ws.PingHandler()
	ws.SetPingHandler(func(appData string) error {
		if err := extendReadDeadline(); err != nil {
			return err
		}
		return replyToPing(appData)
	})

	var err error
	for {
		if err = extendReadDeadline(); err != nil {
			break
		}

		var data []byte
		if _, data, err = ws.ReadMessage(); err != nil {
			break
		}
		h.handleClientMessage(session, data)
	}
	logReadEnd(conn.logger, err)

	// Tell the writer first, so that the session's own Close (when it
	// stops) does not try to send a close frame on a dead connection.
	conn.abort()
	if !conn.closedBySession.Load() {
		h.system.Root.Stop(session)
	}
}

// handleClientMessage decodes one client action and sends it to the session
// actor. For an invalid action it sends an ERROR instead, through the
// session too, so that ERRORs and ACKs reach the client in request order.
func (h *handler) handleClientMessage(session *actor.PID, data []byte) {
	request, errorPayload := decodeClientAction(data)
	if errorPayload != nil {
		h.system.Root.Send(session, &messages.Outbound{Payload: errorPayload})
		return
	}
	h.system.Root.Send(session, request)
}

func logReadEnd(logger *slog.Logger, err error) {
	switch {
	case gorilla.IsCloseError(err, gorilla.CloseNormalClosure, gorilla.CloseGoingAway, gorilla.CloseNoStatusReceived):
		logger.Debug("WebSocket client disconnected", slog.Any("reason", err))
	case errors.Is(err, gorilla.ErrReadLimit):
		logger.Info("WebSocket client message exceeded the size limit, so the connection was closed", slog.Any("error", err))
	default:
		logger.Debug("WebSocket connection ended", slog.Any("error", err))
	}
}
