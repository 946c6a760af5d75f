// Package websocket serves nflsync's WebSocket endpoint with
// gorilla/websocket. Each client connection gets a session actor
// (actors.NewSessionProps) that owns its subscriptions, and this package
// moves bytes between the socket and that actor, and decides who may
// connect: origin allowlist, JWT auth, connections per IP, connection and
// message rate limits. docs/PROTOCOL.md describes the protocol.
//
// Client messages are JSON objects with an "action" field:
//
//	{"action":"subscribe_player","player_id":"00-0033873"}
//	{"action":"subscribe_game","game_id":"2025_01_DAL_PHI"}
//	{"action":"subscribe_league","league_id":"x"}
//	{"action":"subscribe_scoreboard"}
//	{"action":"resume","streams":[{"stream":"player:00-0033873","epoch":"…","seq":41}]}
//
// and the matching unsubscribe_player, unsubscribe_game,
// unsubscribe_league and unsubscribe_scoreboard. The server replies with an
// ACK, or with an ERROR, and the connection stays open after an ERROR.
package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	gorilla "github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// Path is the URL path the handler is meant to be mounted on.
const Path = "/ws"

// WebSocket close codes sent by the handler (RFC 6455, section 7.4, and the
// IANA WebSocket Close Code Number Registry). A client that sends a frame
// larger than Options.MaxMessageBytes is closed with 1009 (message too big)
// by gorilla/websocket. A slow client is closed with
// actors.SlowConsumerCloseCode.
const (
	// RateLimitCloseCode (1008, policy violation) closes a client that kept
	// sending after Options.RateLimitCloseAfter rate_limited ERRORs in a
	// row. The reason is RateLimitCloseReason.
	RateLimitCloseCode   = 1008
	RateLimitCloseReason = "rate limit exceeded"

	// ServiceRestartCloseCode (1012, service restart) closes every client
	// on Shutdown. The reason is a JSON object such as
	// {"reconnect_after_ms":8312}: the client should wait that long before
	// it reconnects, so that clients do not all return at once.
	ServiceRestartCloseCode = 1012
)

// Defaults for the zero fields of Options. The limits are estimates for one
// nflsync process serving a fantasy app's users, not measurements: set them
// from the load you see.
const (
	// DefaultSendQueueSize is the number of server messages that may wait
	// for one client before it counts as a slow consumer and is
	// disconnected. It leaves room for the updates of several polls to a
	// client that follows a few dozen players and games, and for the
	// SNAPSHOT pages of a reconnect.
	DefaultSendQueueSize = 256

	// DefaultWriteTimeout bounds one write to a client.
	DefaultWriteTimeout = 10 * time.Second

	// DefaultPongWait is how long the server waits for any frame, pongs
	// included, before it drops a client.
	DefaultPongWait = 60 * time.Second

	// DefaultPingPeriod is 30 seconds, half of the 60-second idle timeout
	// that common proxies and load balancers apply (nginx
	// proxy_read_timeout, AWS ALB idle timeout), so that an idle client
	// behind them is not cut off, and shorter than DefaultPongWait.
	DefaultPingPeriod = 30 * time.Second

	// DefaultMaxMessageBytes is the largest client message accepted. A
	// resume of 200 streams is about 14 KiB, so 32 KiB leaves room. A larger
	// message closes the connection with code 1009 (message too big).
	DefaultMaxMessageBytes = 32 * 1024

	// DefaultMaxConnectionsPerIP is the number of connections one IP
	// address may hold. An excess upgrade gets 429 Too Many Requests.
	DefaultMaxConnectionsPerIP = 64

	// DefaultConnectionRate and DefaultConnectionBurst limit new
	// connections per second for the whole handler. An excess upgrade gets
	// 503 Service Unavailable with a Retry-After header.
	DefaultConnectionRate  = 200
	DefaultConnectionBurst = 400

	// DefaultMessageRate and DefaultMessageBurst limit the messages per
	// second of one client. Each subscribe queues an ACK and at least one
	// SNAPSHOT page, so the burst is kept under half the send queue: a
	// larger burst let a client overflow its own queue and be closed as a
	// slow consumer (seen with 190 subscribes sent at once). A client that
	// follows more streams subscribes the rest at the message rate.
	DefaultMessageRate  = 20
	DefaultMessageBurst = DefaultSendQueueSize/2 - 28

	// DefaultRateLimitCloseAfter is the number of rate_limited ERRORs in a
	// row after which the client is closed with RateLimitCloseCode.
	DefaultRateLimitCloseAfter = 50

	// DefaultReconnectMinDelay and DefaultReconnectMaxDelay are the window
	// of the reconnect_after_ms hint sent on Shutdown: each client gets a
	// uniformly random delay in it, so the reconnects of N clients spread
	// over 29 seconds.
	DefaultReconnectMinDelay = time.Second
	DefaultReconnectMaxDelay = 30 * time.Second
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

	// AllowedOrigins are the browser origins, such as
	// "https://app.example.com", that may connect besides the server's own
	// origin. "*" allows every origin. Requests without an Origin header
	// (non-browser clients) are always allowed. NFL_SYNC_ALLOWED_ORIGINS
	// sets it through ParseAllowedOrigins.
	AllowedOrigins []string

	// AuthSecret is the HS256 key of client tokens. Empty accepts clients
	// without a token and lets them follow every league.
	AuthSecret []byte

	// MaxConnectionsPerIP is the number of connections one IP address may
	// hold.
	MaxConnectionsPerIP int

	// ConnectionRate (per second) and ConnectionBurst limit new connections.
	ConnectionRate  float64
	ConnectionBurst int

	// MessageRate (per second) and MessageBurst limit one client's messages.
	MessageRate  float64
	MessageBurst int

	// RateLimitCloseAfter is the number of rate_limited ERRORs in a row
	// that closes the client.
	RateLimitCloseAfter int

	// ReconnectMinDelay and ReconnectMaxDelay are the window of the
	// reconnect hint sent on Shutdown.
	ReconnectMinDelay time.Duration
	ReconnectMaxDelay time.Duration

	// Snapshotter loads the SNAPSHOT sent after a subscribe. Nil sends
	// none.
	Snapshotter messages.Snapshotter

	// MaxSubscriptions is the number of streams one client may follow, and
	// MaxSnapshotMessageBytes the size limit of one SNAPSHOT message. Zero
	// takes the actors package defaults.
	MaxSubscriptions        int
	MaxSnapshotMessageBytes int

	// Metrics receives session counts. Nil counts nothing.
	Metrics actors.SessionMetrics
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
		o.PingPeriod = min(DefaultPingPeriod, o.PongWait*9/10)
	}
	if o.PingPeriod >= o.PongWait {
		slog.Warn("WebSocket ping period is not shorter than the pong wait, so 9/10 of the pong wait is used",
			slog.Duration("ping_period", o.PingPeriod), slog.Duration("pong_wait", o.PongWait))
		o.PingPeriod = o.PongWait * 9 / 10
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxConnectionsPerIP <= 0 {
		o.MaxConnectionsPerIP = DefaultMaxConnectionsPerIP
	}
	if o.ConnectionRate <= 0 {
		o.ConnectionRate = DefaultConnectionRate
	}
	if o.ConnectionBurst <= 0 {
		o.ConnectionBurst = DefaultConnectionBurst
	}
	if o.MessageRate <= 0 {
		o.MessageRate = DefaultMessageRate
	}
	if o.MessageBurst <= 0 {
		o.MessageBurst = DefaultMessageBurst
	}
	if o.RateLimitCloseAfter <= 0 {
		o.RateLimitCloseAfter = DefaultRateLimitCloseAfter
	}
	if o.ReconnectMinDelay <= 0 {
		o.ReconnectMinDelay = DefaultReconnectMinDelay
	}
	if o.ReconnectMaxDelay < o.ReconnectMinDelay {
		o.ReconnectMaxDelay = max(DefaultReconnectMaxDelay, o.ReconnectMinDelay)
	}
	return o
}

// upgradeReadBufferSize is the read buffer of one connection in bytes. It
// holds a frame header and a control frame (at most 139 bytes), and most
// client actions whole.
const upgradeReadBufferSize = 512

// writeBuffers lends gorilla the buffers it encodes frames in, shared by
// every connection.
var writeBuffers sync.Pool

// Handler is the HTTP handler of the WebSocket endpoint. It upgrades each
// admitted request, spawns a session actor for it and moves messages
// between the socket and the actor until either ends.
type Handler struct {
	system         *actor.ActorSystem
	hub            *actors.Hub
	options        Options
	upgrader       gorilla.Upgrader
	connectionRate *tokenBucket
	now            func() time.Time

	mu           sync.Mutex
	perIP        map[string]int
	connections  map[*connection]struct{}
	shuttingDown bool

	// isolated is set between Isolate and Rejoin.
	isolated *isolation

	// active counts admitted requests until their connection has ended.
	active sync.WaitGroup
}

// NewHandler returns the handler of the WebSocket endpoint. It spawns session
// actors in system and subscribes them to streams of hub as clients
// request. Call Shutdown to close every connection: http.Server.Shutdown
// does not close hijacked connections such as WebSockets.
func NewHandler(system *actor.ActorSystem, hub *actors.Hub, options Options) *Handler {
	options = options.withDefaults()
	return &Handler{
		system:  system,
		hub:     hub,
		options: options,
		// admit checks the origin before the upgrade, with a clearer
		// error than gorilla's.
		upgrader: gorilla.Upgrader{
			CheckOrigin: func(*http.Request) bool { return true },

			// gorilla keeps the read buffer for the connection's
			// lifetime, and client messages are small: a larger message
			// takes more reads, not a larger buffer.
			ReadBufferSize: upgradeReadBufferSize,

			// The pool lends a write buffer only while a message is
			// written, so idle connections hold none.
			WriteBufferPool: &writeBuffers,
		},
		connectionRate: newTokenBucket(options.ConnectionRate, options.ConnectionBurst),
		now:            time.Now,
		perIP:          make(map[string]int),
		connections:    make(map[*connection]struct{}),
	}
}

// ServeHTTP admits and upgrades the request, starts the connection's
// reader goroutine (serve) and returns. Returning lets net/http release the
// request and its connection state, which an idle WebSocket does not need.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	claims, rejection := h.admit(r)
	if rejection != nil {
		// Debug, because a connection storm would log one line per
		// rejected request.
		slog.Debug("WebSocket upgrade rejected", slog.String("remote_addr", r.RemoteAddr),
			slog.Int("status", rejection.status), slog.String("reason", rejection.message))
		rejection.write(w)
		return
	}
	ip := clientIP(r)

	hijacker := &batchingResponseWriter{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hijacker, r, nil)
	if err != nil {
		// Upgrade has already replied with an HTTP error status.
		slog.Info("WebSocket upgrade failed", slog.String("remote_addr", r.RemoteAddr), slog.Any("error", err))
		h.release(ip)
		return
	}

	logger := slog.With(slog.String("remote_addr", r.RemoteAddr))
	conn := newConnection(ws, hijacker.socket, h.options, logger)
	h.track(conn)

	session := h.system.Root.Spawn(actors.NewSessionProps(h.hub, conn, actors.SessionConfig{
		Snapshotter:             h.options.Snapshotter,
		MaxSubscriptions:        h.options.MaxSubscriptions,
		MaxSnapshotMessageBytes: h.options.MaxSnapshotMessageBytes,
		AllowLeague:             allowLeague(claims),
		Metrics:                 h.options.Metrics,
		Logger:                  logger,
	}))
	conn.logger = logger.With(slog.String("session", session.GetId()))
	conn.logger.Debug("WebSocket client connected")

	go h.serve(conn, session, ip)
}

// serve reads the client's messages until the connection ends, waits for
// the writer to close it and gives back the connection's admission.
func (h *Handler) serve(conn *connection, session *actor.PID, ip string) {
	defer h.release(ip)
	defer h.untrack(conn)

	h.readLoop(conn, session)
	<-conn.writerDone
}

// track registers a connection for Shutdown and Isolate. A connection that
// was admitted just before either started is closed at once.
func (h *Handler) track(conn *connection) {
	h.mu.Lock()
	defer h.mu.Unlock()

	h.connections[conn] = struct{}{}
	switch {
	case h.shuttingDown:
		conn.closeWith(ServiceRestartCloseCode, h.reconnectHint())
	case h.isolated != nil:
		h.closeIsolated(conn, h.isolated.members, h.isolated.peers)
	}
}

func (h *Handler) untrack(conn *connection) {
	h.mu.Lock()
	defer h.mu.Unlock()

	delete(h.connections, conn)
}

// Shutdown rejects new connections with 503, closes every connection with
// ServiceRestartCloseCode and a jittered reconnect hint, and waits until
// they have ended or ctx is done. Call it before http.Server.Shutdown.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.shuttingDown = true
	connections := slices.Collect(maps.Keys(h.connections))
	h.mu.Unlock()

	for _, conn := range connections {
		conn.closeWith(ServiceRestartCloseCode, h.reconnectHint())
	}
	slog.Info("closing WebSocket connections for shutdown", slog.Int("connections", len(connections)))

	ended := make(chan struct{})
	go func() {
		h.active.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close WebSocket connections: %w", ctx.Err())
	}
}

// reconnectHint returns the close reason of ServiceRestartCloseCode: a
// random delay between ReconnectMinDelay and ReconnectMaxDelay.
func (h *Handler) reconnectHint() string {
	return reconnectReason(h.reconnectDelay())
}

// reconnectDelay returns a uniformly random delay between ReconnectMinDelay
// and ReconnectMaxDelay.
func (h *Handler) reconnectDelay() time.Duration {
	window := h.options.ReconnectMaxDelay - h.options.ReconnectMinDelay
	delay := h.options.ReconnectMinDelay
	if window > 0 {
		delay += time.Duration(rand.Int64N(int64(window) + 1))
	}
	return delay
}

// reconnectReason returns the close reason {"reconnect_after_ms":N}.
func reconnectReason(delay time.Duration) string {
	hint, err := json.Marshal(struct {
		ReconnectAfterMS int64 `json:"reconnect_after_ms"`
	}{delay.Milliseconds()})
	if err != nil {
		// Marshaling one integer cannot fail.
		panic(err)
	}
	return string(hint)
}

// readLoop reads client messages until the connection fails or closes, then
// stops the session actor, which removes its subscriptions.
func (h *Handler) readLoop(conn *connection, session *actor.PID) {
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

	limiter := newTokenBucket(h.options.MessageRate, h.options.MessageBurst)
	rejectedInRow := 0
	var err error
	for {
		if err = extendReadDeadline(); err != nil {
			break
		}

		var data []byte
		if _, data, err = ws.ReadMessage(); err != nil {
			break
		}
		if conn.closing() {
			// The close frame is on its way, so later messages are
			// not acted on.
			continue
		}

		if allowed, _ := limiter.allow(time.Now()); !allowed {
			rejectedInRow++
			h.rejectRateLimited(conn, session, rejectedInRow)
			continue
		}
		rejectedInRow = 0
		h.onSmallStack(func() { h.handleClientMessage(session, data) })
	}
	logReadEnd(conn.logger, err)

	// Tell the writer first, so that the session's own Close (when it
	// stops) does not try to send a close frame on a dead connection.
	conn.abort()
	if !conn.closedBySession.Load() {
		h.system.Root.Stop(session)
	}
}

// onSmallStack runs handle in a goroutine of its own and waits for it. The
// read loop's goroutine lives as long as the connection and keeps a grown
// stack until a garbage collection shrinks it. Decoding JSON and sending to
// an actor need several KiB more than waiting for the next frame, so a
// short-lived goroutine takes that growth and frees it when it returns.
func (h *Handler) onSmallStack(handle func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		handle()
	}()
	<-done
}

// handleClientMessage decodes one client action and sends it to the session
// actor. For an invalid action it sends an ERROR instead, through the
// session too, so that ERRORs and ACKs reach the client in request order.
func (h *Handler) handleClientMessage(session *actor.PID, data []byte) {
	request, errorPayload := decodeClientAction(data)
	if errorPayload != nil {
		h.system.Root.Send(session, &messages.Outbound{Payload: errorPayload})
		return
	}
	h.system.Root.Send(session, request)
}

// rejectRateLimited replies to a message over the rate limit with a
// rate_limited ERROR, or closes the connection when it is the
// RateLimitCloseAfter-th in a row.
func (h *Handler) rejectRateLimited(conn *connection, session *actor.PID, rejectedInRow int) {
	if rejectedInRow >= h.options.RateLimitCloseAfter {
		conn.logger.Info("closing WebSocket client that kept exceeding the message rate limit",
			slog.Int("rejected_in_row", rejectedInRow))
		conn.closeWith(RateLimitCloseCode, RateLimitCloseReason)
		return
	}

	text := fmt.Sprintf("too many messages: at most %g per second with bursts of %d. This message was ignored; "+
		"%d more in a row close the connection", h.options.MessageRate, h.options.MessageBurst,
		h.options.RateLimitCloseAfter-rejectedInRow)
	h.system.Root.Send(session, &messages.Outbound{Payload: messages.EncodeError(actors.ErrorCodeRateLimited, text)})
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
