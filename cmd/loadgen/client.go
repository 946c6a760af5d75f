package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// streamState is one session's position on one stream: the seq of its ACK,
// the last seq received, and how many live messages arrived, went missing
// (a gap in seq) or came again.
type streamState struct {
	ackSeq     uint64
	lastSeq    uint64
	received   int
	missing    uint64
	duplicates int
}

// receipt is one live message's timing: when the client read it and the
// detected_at it carries (zero when it has none), and its size in bytes.
type receipt struct {
	at         time.Time
	detectedAt time.Time
	kind       string
	week       int
	size       int
}

// client is one WebSocket session of the load test. Its reader goroutine
// is the only writer of its fields until measuring stops.
type client struct {
	ws      *gorilla.Conn
	actions [][]byte

	// replies counts ACKs and ERRORs until every action is answered, when
	// ready is called once.
	replies int
	ready   func()

	mu       sync.Mutex
	streams  map[string]*streamState
	receipts []receipt
	errors   []string
	closeErr error
	frozen   bool
}

// dialClient opens one session from source, retrying a 503 after its
// Retry-After delay until ctx is done.
func dialClient(ctx context.Context, url string, source net.IP) (*gorilla.Conn, error) {
	dialer := gorilla.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: source}, Timeout: 30 * time.Second}).DialContext,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  1024,
	}

	for {
		ws, response, err := dialer.DialContext(ctx, url, nil)
		if err == nil {
			return ws, nil
		}
		if response == nil || response.StatusCode != http.StatusServiceUnavailable {
			return nil, describeDialError(source, response, err)
		}

		wait := time.Second
		if seconds, parseErr := strconv.Atoi(response.Header.Get("Retry-After")); parseErr == nil && seconds > 0 {
			wait = time.Duration(seconds) * time.Second
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial from %s: %w (the server kept answering 503)", source, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func describeDialError(source net.IP, response *http.Response, err error) error {
	if response == nil {
		return fmt.Errorf("dial from %s: %w", source, err)
	}
	body, _ := io.ReadAll(io.LimitReader(response.Body, 512))
	hint := ""
	if response.StatusCode == http.StatusTooManyRequests {
		hint = ". Raise NFL_SYNC_WS_MAX_CONNECTIONS_PER_IP on the server or pass more -source-addrs"
	}
	return fmt.Errorf("dial from %s: HTTP %d %s%s", source, response.StatusCode, bytes.TrimSpace(body), hint)
}

// subscribeActions returns the client actions of one session: one
// subscribe_player per player and a subscribe_league when league is set.
func subscribeActions(players []string, league string) [][]byte {
	actions := make([][]byte, 0, len(players)+1)
	for _, player := range players {
		actions = append(actions, mustMarshal(map[string]string{"action": "subscribe_player", "player_id": player}))
	}
	if league != "" {
		actions = append(actions, mustMarshal(map[string]string{"action": "subscribe_league", "league_id": league}))
	}
	return actions
}

func mustMarshal(value any) []byte {
	encoded, err := json.Marshal(value)
	if err != nil {
		// A map of strings always marshals.
		panic(err)
	}
	return encoded
}

// start sends the client's actions and reads until the connection ends.
// It calls ready once every action has an ACK or an ERROR.
func (c *client) start() error {
	c.streams = make(map[string]*streamState, len(c.actions))
	go c.readLoop()

	for _, action := range c.actions {
		if err := c.ws.WriteMessage(gorilla.TextMessage, action); err != nil {
			return fmt.Errorf("send subscribe action: %w", err)
		}
	}
	return nil
}

// replyMessage is the part of an ACK or ERROR the load test reads.
type replyMessage struct {
	Type   string  `json:"type"`
	Stream string  `json:"stream"`
	Seq    *uint64 `json:"seq"`
	Error  struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (c *client) readLoop() {
	var buffer bytes.Buffer
	for {
		_, reader, err := c.ws.NextReader()
		if err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			c.answered(len(c.actions)) // never leave the setup waiting
			return
		}
		buffer.Reset()
		if _, err := buffer.ReadFrom(reader); err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			c.answered(len(c.actions))
			return
		}
		receivedAt := time.Now()
		c.handle(buffer.Bytes(), receivedAt)
	}
}

// answered counts replies and calls ready when every action has one.
func (c *client) answered(replies int) {
	before := c.replies
	c.replies = min(c.replies+replies, len(c.actions))
	if before < len(c.actions) && c.replies == len(c.actions) {
		c.ready()
	}
}

func (c *client) handle(message []byte, receivedAt time.Time) {
	kind := messageType(message)
	switch kind {
	case "ACK", "ERROR":
		var reply replyMessage
		if err := json.Unmarshal(message, &reply); err != nil {
			c.recordError(fmt.Sprintf("invalid %s: %v", kind, err))
			return
		}
		if kind == "ERROR" {
			c.recordError(reply.Error.Code + ": " + reply.Error.Message)
		} else if reply.Seq != nil {
			c.mu.Lock()
			c.streams[reply.Stream] = &streamState{ackSeq: *reply.Seq, lastSeq: *reply.Seq}
			c.mu.Unlock()
		}
		c.answered(1)

	case "SNAPSHOT":
		// A snapshot is at the ACK's seq, so it moves no position.

	default:
		c.handleLive(message, kind, receivedAt)
	}
}

// handleLive checks a stream message's seq against the stream's last one
// and records its latency.
func (c *client) handleLive(message []byte, kind string, receivedAt time.Time) {
	stream, seq, ok := streamPosition(message)
	if !ok {
		c.recordError("message without stream and seq: " + truncate(message, 120))
		return
	}
	detectedAt, week, hasTime := detectedAt(message)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return
	}

	state := c.streams[stream]
	if state == nil {
		c.errors = append(c.errors, "message on a stream without ACK: "+stream)
		return
	}
	switch {
	case seq <= state.lastSeq:
		state.duplicates++
		return
	case seq > state.lastSeq+1:
		state.missing += seq - state.lastSeq - 1
	}
	state.lastSeq = seq
	state.received++
	liveMessages.Add(1)

	if !hasTime {
		detectedAt = time.Time{}
	}
	c.receipts = append(c.receipts, receipt{at: receivedAt, detectedAt: detectedAt, kind: kind, week: week, size: len(message)})
}

func (c *client) recordError(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	// A few per session are enough to show the cause.
	if len(c.errors) < 4 {
		c.errors = append(c.errors, text)
	}
}

// freeze stops the client from counting further messages.
func (c *client) freeze() {
	c.mu.Lock()
	c.frozen = true
	c.mu.Unlock()
}

// closed reports whether the connection ended, and how.
func (c *client) closed() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr != nil, c.closeErr
}

// messageType returns the "type" of a server message, which every server
// message has as its first field.
func messageType(message []byte) string {
	rest, found := bytes.CutPrefix(message, []byte(`{"type":"`))
	if !found {
		return ""
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// streamPosition returns the "stream" and "seq" that the hub appends as the
// last fields of every stream message: `…,"stream":"player:x","seq":7,"epoch":"…"}`.
// Searching from the end skips any "stream" inside the payload.
func streamPosition(message []byte) (stream string, seq uint64, ok bool) {
	streamAt := bytes.LastIndex(message, []byte(`,"stream":"`))
	if streamAt < 0 {
		return "", 0, false
	}
	rest := message[streamAt+len(`,"stream":"`):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", 0, false
	}
	stream = string(rest[:end])

	rest, found := bytes.CutPrefix(rest[end:], []byte(`","seq":`))
	if !found {
		return "", 0, false
	}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	seq, err := strconv.ParseUint(string(rest[:digits]), 10, 64)
	if err != nil {
		return "", 0, false
	}
	return stream, seq, true
}

// detectedAt returns the first "detected_at" of a message (a PLAYER_UPDATE's
// data, the first GAME_SCORES delta, the first PLAYER_STATS item) and the
// "week" that follows a PLAYER_UPDATE's player fields. ok is false for
// messages without one, such as LEADERBOARD_UPDATE.
func detectedAt(message []byte) (at time.Time, week int, ok bool) {
	const key = `"detected_at":"`
	start := bytes.Index(message, []byte(key))
	if start < 0 {
		return time.Time{}, 0, false
	}
	rest := message[start+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, 0, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return time.Time{}, 0, false
	}

	if weekAt := bytes.Index(message, []byte(`"week":`)); weekAt >= 0 {
		digits := message[weekAt+len(`"week":`):]
		for len(digits) > 0 && digits[0] >= '0' && digits[0] <= '9' {
			week = week*10 + int(digits[0]-'0')
			digits = digits[1:]
		}
	}
	return at, week, true
}

func truncate(message []byte, limit int) string {
	if len(message) <= limit {
		return string(message)
	}
	return string(message[:limit]) + "…"
}

// closeCode returns the WebSocket close code of err, or 0 when the
// connection ended without a close frame.
func closeCode(err error) int {
	var closeError *gorilla.CloseError
	if errors.As(err, &closeError) {
		return closeError.Code
	}
	return 0
}

// liveMessages counts the live messages of every session, so that the
// burst monitor sees when messages flow without locking each client.
var liveMessages atomic.Int64
