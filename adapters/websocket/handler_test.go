package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	gorilla "github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// testTimeout bounds every wait in these tests so that a hung test fails.
// No test relies on how fast anything happens.
const testTimeout = 10 * time.Second

type testServer struct {
	system  *actor.ActorSystem
	hub     *actors.Hub
	handler *Handler
	url     string
	address string
}

func startTestServer(t *testing.T, options Options) *testServer {
	t.Helper()

	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)
	hub := actors.NewHub()
	handler := NewHandler(system, hub, options)

	mux := http.NewServeMux()
	mux.Handle(Path, handler)
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	t.Cleanup(func() {
		// httptest.Server.Close does not close hijacked connections.
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = handler.Shutdown(ctx)
	})

	address := strings.TrimPrefix(server.URL, "http://")
	return &testServer{system: system, hub: hub, handler: handler, url: "ws://" + address + Path, address: address}
}

func (s *testServer) dial(t *testing.T) *gorilla.Conn {
	t.Helper()

	return s.dialWith(t, s.url, nil)
}

// dialWith dials url, which may carry a query, with extra request headers.
func (s *testServer) dialWith(t *testing.T, url string, header http.Header) *gorilla.Conn {
	t.Helper()

	ws, response, err := gorilla.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if response != nil {
			status = response.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP status %d)", url, err, status)
	}
	response.Body.Close()
	t.Cleanup(func() { ws.Close() })
	return ws
}

// dialRejected dials url, expects the upgrade to fail and returns the HTTP
// response with its body read.
func (s *testServer) dialRejected(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()

	ws, response, err := gorilla.DefaultDialer.Dial(url, header)
	if err == nil {
		ws.Close()
		t.Fatalf("dial %s succeeded, want the upgrade rejected", url)
	}
	if response == nil {
		t.Fatalf("dial %s failed without an HTTP response: %v", url, err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	return response, string(body)
}

func (s *testServer) eventually(t *testing.T, what string, condition func() bool) {
	t.Helper()

	deadline := time.Now().Add(testTimeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeText(t *testing.T, ws *gorilla.Conn, text string) {
	t.Helper()

	if err := ws.WriteMessage(gorilla.TextMessage, []byte(text)); err != nil {
		t.Fatalf("write %s: %v", text, err)
	}
}

func readMessage(t *testing.T, ws *gorilla.Conn) []byte {
	t.Helper()

	if err := ws.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return data
}

// serverMessage is the union of the fields the tests check.
type serverMessage struct {
	Type     string               `json:"type"`
	Action   string               `json:"action"`
	PlayerID string               `json:"player_id"`
	GameID   string               `json:"game_id"`
	LeagueID string               `json:"league_id"`
	Stream   string               `json:"stream"`
	Seq      uint64               `json:"seq"`
	Epoch    string               `json:"epoch"`
	Resumed  *bool                `json:"resumed"`
	Reset    bool                 `json:"reset"`
	Page     int                  `json:"page"`
	Pages    int                  `json:"pages"`
	Items    []json.RawMessage    `json:"items"`
	Error    messages.ErrorDetail `json:"error"`
}

func readServerMessage(t *testing.T, ws *gorilla.Conn) serverMessage {
	t.Helper()

	data := readMessage(t, ws)
	var message serverMessage
	if err := json.Unmarshal(data, &message); err != nil {
		t.Fatalf("server message %q is not JSON: %v", data, err)
	}
	return message
}

func expectAck(t *testing.T, ws *gorilla.Conn, action, id string) {
	t.Helper()

	message := readServerMessage(t, ws)
	if message.Type != messages.TypeAck {
		t.Fatalf("type = %q (error %+v), want %s", message.Type, message.Error, messages.TypeAck)
	}
	if message.Action != action {
		t.Errorf("action = %q, want %q", message.Action, action)
	}
	if got := message.PlayerID + message.GameID + message.LeagueID; got != id {
		t.Errorf("id = %q, want %q", got, id)
	}
}

// readCloseCode reads until the connection ends and returns the close code
// the server sent, or -1 when the connection ended without a close frame.
func readCloseCode(t *testing.T, ws *gorilla.Conn) int {
	t.Helper()

	code, _ := readClose(t, ws)
	return code
}

// readClose reads until the connection ends and returns the close code and
// reason the server sent, or -1 when the connection ended without a close
// frame.
func readClose(t *testing.T, ws *gorilla.Conn) (code int, reason string) {
	t.Helper()

	if err := ws.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}

		var closeError *gorilla.CloseError
		if errors.As(err, &closeError) {
			return closeError.Code, closeError.Text
		}
		var netError net.Error
		if errors.As(err, &netError) && netError.Timeout() {
			t.Fatalf("connection still open after %s", testTimeout)
		}
		return -1, ""
	}
}

func TestHandlerSubscribeAndPublish(t *testing.T) {
	server := startTestServer(t, Options{})
	mahomes := server.dial(t)
	hurts := server.dial(t)

	writeText(t, mahomes, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, mahomes, "subscribe_player", "00-0033873")
	writeText(t, hurts, `{"action":"subscribe_player","player_id":"00-0036389"}`)
	expectAck(t, hurts, "subscribe_player", "00-0036389")

	// The publish to the other player's stream goes first. If it reached the
	// wrong client, that client would read it before its own update.
	hurtsUpdate := `{"type":"PLAYER_UPDATE","data":{"player_id":"00-0036389"}}`
	if delivered := server.hub.Publish(server.system.Root, "player:00-0036389", []byte(hurtsUpdate)); delivered != 1 {
		t.Errorf("delivered to player:00-0036389 = %d, want 1", delivered)
	}
	mahomesUpdate := `{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873"}}`
	if delivered := server.hub.Publish(server.system.Root, "player:00-0033873", []byte(mahomesUpdate)); delivered != 1 {
		t.Errorf("delivered to player:00-0033873 = %d, want 1", delivered)
	}

	wantMahomes := strings.TrimSuffix(mahomesUpdate, "}") + `,"stream":"player:00-0033873","seq":1,"epoch":"` + server.hub.Epoch() + `"}`
	if got := string(readMessage(t, mahomes)); got != wantMahomes {
		t.Errorf("00-0033873 subscriber got %s, want %s", got, wantMahomes)
	}
	wantHurts := strings.TrimSuffix(hurtsUpdate, "}") + `,"stream":"player:00-0036389","seq":1,"epoch":"` + server.hub.Epoch() + `"}`
	if got := string(readMessage(t, hurts)); got != wantHurts {
		t.Errorf("00-0036389 subscriber got %s, want %s", got, wantHurts)
	}
}

func TestHandlerGameSubscription(t *testing.T) {
	server := startTestServer(t, Options{})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_game","game_id":"2025_01_DAL_PHI"}`)
	expectAck(t, client, "subscribe_game", "2025_01_DAL_PHI")

	scores := `{"type":"GAME_SCORES","deltas":[]}`
	server.hub.Publish(server.system.Root, actors.StreamKey(messages.StreamKind_STREAM_KIND_GAME, "2025_01_DAL_PHI"), []byte(scores))
	want := `{"type":"GAME_SCORES","deltas":[],"stream":"game:2025_01_DAL_PHI","seq":1,"epoch":"` + server.hub.Epoch() + `"}`
	if got := string(readMessage(t, client)); got != want {
		t.Errorf("game subscriber got %s, want %s", got, want)
	}
}

func TestHandlerInvalidActions(t *testing.T) {
	server := startTestServer(t, Options{})
	client := server.dial(t)

	tests := []struct {
		name     string
		message  string
		code     string
		mentions string
	}{
		{"bad JSON", `{"action":`, messages.ErrorCodeInvalidJSON, "invalid JSON"},
		{"not an object", `["subscribe_player"]`, messages.ErrorCodeInvalidJSON, "a JSON array, not an object"},
		{"a number", `42`, messages.ErrorCodeInvalidJSON, "a JSON number, not an object"},
		{"null", ` null `, messages.ErrorCodeInvalidJSON, "a JSON null, not an object"},
		{"unknown action", `{"action":"dance","player_id":"00-0033873"}`, messages.ErrorCodeUnknownAction, `"dance"`},
		{"missing action", `{"player_id":"00-0033873"}`, messages.ErrorCodeInvalidField, "action"},
		{"missing player_id", `{"action":"subscribe_player"}`, messages.ErrorCodeInvalidField, "player_id"},
		{"empty game_id", `{"action":"unsubscribe_game","game_id":""}`, messages.ErrorCodeInvalidField, "game_id"},
		{"blank player_id", `{"action":"subscribe_player","player_id":"  "}`, messages.ErrorCodeInvalidField, "player_id"},
		{"numeric player_id", `{"action":"subscribe_player","player_id":33873}`, messages.ErrorCodeInvalidField, "player_id"},
		{"overlong player_id", `{"action":"subscribe_player","player_id":"` + strings.Repeat("9", 65) + `"}`, messages.ErrorCodeInvalidField, "player_id"},
		{"league_id with a space", `{"action":"subscribe_league","league_id":"a b"}`, messages.ErrorCodeInvalidField, "league_id"},
	}
	for _, test := range tests {
		writeText(t, client, test.message)
		reply := readServerMessage(t, client)

		if reply.Type != messages.TypeError {
			t.Errorf("%s: type = %q, want %s", test.name, reply.Type, messages.TypeError)
		}
		if reply.Error.Code != test.code {
			t.Errorf("%s: code = %q, want %q", test.name, reply.Error.Code, test.code)
		}
		if !strings.Contains(reply.Error.Message, test.mentions) {
			t.Errorf("%s: message %q does not mention %s", test.name, reply.Error.Message, test.mentions)
		}
	}

	// The connection still works, and unknown fields are ignored.
	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873","client_version":"1.2"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")
	if got := server.hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("subscribers = %d, want 1", got)
	}
}

func TestHandlerUnsubscribeStopsDelivery(t *testing.T) {
	server := startTestServer(t, Options{})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")
	writeText(t, client, `{"action":"unsubscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "unsubscribe_player", "00-0033873")

	if got := server.hub.Subscribers("player:00-0033873"); got != 0 {
		t.Errorf("subscribers = %d, want 0", got)
	}
	if delivered := server.hub.Publish(server.system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`)); delivered != 0 {
		t.Errorf("delivered = %d, want 0", delivered)
	}

	// Had the update been sent, it would arrive before this ACK.
	writeText(t, client, `{"action":"subscribe_game","game_id":"2025_01_DAL_PHI"}`)
	expectAck(t, client, "subscribe_game", "2025_01_DAL_PHI")
}

func TestHandlerCloseRemovesSubscriptions(t *testing.T) {
	server := startTestServer(t, Options{})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")
	writeText(t, client, `{"action":"subscribe_game","game_id":"2025_01_DAL_PHI"}`)
	expectAck(t, client, "subscribe_game", "2025_01_DAL_PHI")

	closeFrame := gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "bye")
	if err := client.WriteControl(gorilla.CloseMessage, closeFrame, time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("write close frame: %v", err)
	}
	client.Close()

	server.eventually(t, "player subscription removal", func() bool {
		return server.hub.Subscribers("player:00-0033873") == 0
	})
	server.eventually(t, "game subscription removal", func() bool {
		return server.hub.Subscribers("game:2025_01_DAL_PHI") == 0
	})
}

func TestHandlerOversizedMessageCloses(t *testing.T) {
	server := startTestServer(t, Options{MaxMessageBytes: 128})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")

	writeText(t, client, `{"action":"subscribe_player","player_id":"`+strings.Repeat("0", 200)+`"}`)
	if code := readCloseCode(t, client); code != gorilla.CloseMessageTooBig {
		t.Errorf("close code = %d, want %d", code, gorilla.CloseMessageTooBig)
	}
	server.eventually(t, "subscription removal", func() bool {
		return server.hub.Subscribers("player:00-0033873") == 0
	})
}

func TestHandlerDropsClientWithoutPongs(t *testing.T) {
	server := startTestServer(t, Options{PongWait: time.Second, PingPeriod: 100 * time.Millisecond})
	silent := server.dial(t)
	live := server.dial(t)

	writeText(t, silent, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, silent, "subscribe_player", "00-0033873")
	writeText(t, live, `{"action":"subscribe_player","player_id":"00-0036389"}`)
	expectAck(t, live, "subscribe_player", "00-0036389")

	// gorilla replies to pings only while the application reads, so the live
	// client keeps reading in the background and the silent one does not.
	liveEnded := make(chan error, 1)
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				liveEnded <- err
				return
			}
		}
	}()

	server.eventually(t, "the silent client's removal", func() bool {
		return server.hub.Subscribers("player:00-0033873") == 0
	})

	// Let two more pong waits pass. Without pongs extending its read
	// deadline, the live client would have been dropped after one.
	time.Sleep(2 * time.Second)
	if got := server.hub.Subscribers("player:00-0036389"); got != 1 {
		t.Errorf("live client subscribers = %d, want 1", got)
	}
	select {
	case err := <-liveEnded:
		t.Errorf("live client disconnected: %v", err)
	default:
	}
}

// TestHandlerSlowClientDisconnected checks that a client that stops reading
// is cut off once its queue is full, while a client on the same stream keeps
// receiving every update in order.
func TestHandlerSlowClientDisconnected(t *testing.T) {
	// A long write timeout keeps the blocked write to the stalled client
	// alive until the test reads, so that the close frame can follow it.
	metrics := &slowCounter{}
	server := startTestServer(t, Options{SendQueueSize: 8, WriteTimeout: time.Minute, Metrics: metrics})
	stalled := server.dial(t)
	fast := server.dial(t)

	writeText(t, stalled, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, stalled, "subscribe_player", "00-0033873")
	writeText(t, fast, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, fast, "subscribe_player", "00-0033873")

	type update struct {
		Sequence int    `json:"sequence"`
		Padding  string `json:"padding"`
		Seq      int    `json:"seq,omitempty"`
	}
	received := make(chan int)
	readErrors := make(chan error, 1)
	go func() {
		for {
			_, data, err := fast.ReadMessage()
			if err != nil {
				readErrors <- err
				return
			}
			var message update
			if err := json.Unmarshal(data, &message); err != nil {
				readErrors <- fmt.Errorf("decode %.40q: %w", data, err)
				return
			}
			if message.Seq != message.Sequence+1 {
				readErrors <- fmt.Errorf("update %d has seq %d, want %d", message.Sequence, message.Seq, message.Sequence+1)
				return
			}
			received <- message.Sequence
		}
	}()

	// Large updates fill the stalled client's TCP buffers after some
	// dozens, then its queue fills and the session closes it. The
	// publisher waits for the fast client after each update, so the fast
	// client's queue never holds more than one.
	padding := strings.Repeat("x", 64*1024)
	const maxUpdates = 5000
	const updatesAfterCut = 20
	cutAt := -1
	for sequence := 0; ; sequence++ {
		if sequence == maxUpdates {
			t.Fatalf("stalled client still subscribed after %d updates", maxUpdates)
		}
		if cutAt >= 0 && sequence == cutAt+updatesAfterCut {
			break
		}

		payload, err := json.Marshal(update{Sequence: sequence, Padding: padding})
		if err != nil {
			t.Fatal(err)
		}
		server.hub.Publish(server.system.Root, "player:00-0033873", payload)

		select {
		case got := <-received:
			if got != sequence {
				t.Fatalf("fast client got update %d, want %d", got, sequence)
			}
		case err := <-readErrors:
			t.Fatalf("fast client read failed after update %d: %v", sequence, err)
		case <-time.After(testTimeout):
			t.Fatalf("fast client did not receive update %d", sequence)
		}

		if cutAt < 0 && server.hub.Subscribers("player:00-0033873") == 1 {
			cutAt = sequence
		}
	}

	t.Logf("stalled client was cut off after update %d", cutAt)
	if code := readCloseCode(t, stalled); code != actors.SlowConsumerCloseCode {
		t.Errorf("stalled client close code = %d, want %d", code, actors.SlowConsumerCloseCode)
	}
	if got := server.hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("subscribers = %d, want 1 (the fast client)", got)
	}
	if got := metrics.slow.Load(); got != 1 {
		t.Errorf("slow client disconnects counted = %d, want 1", got)
	}
}

// slowCounter is an actors.SessionMetrics that counts slow client
// disconnects only.
type slowCounter struct {
	slow atomic.Int32
}

func (*slowCounter) SessionOpened()                {}
func (*slowCounter) SessionClosed()                {}
func (*slowCounter) SubscriptionAdded(string)      {}
func (*slowCounter) SubscriptionRemoved(string)    {}
func (*slowCounter) MessageSent(string)            {}
func (*slowCounter) MessageDropped(string)         {}
func (c *slowCounter) SlowClientDisconnected()     { c.slow.Add(1) }
func (*slowCounter) DeliveryLatency(time.Duration) {}

func TestHandlerBurstArrivesWholeInOrder(t *testing.T) {
	server := startTestServer(t, Options{SendQueueSize: 2000})
	client := server.dial(t)
	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")

	type update struct {
		Sequence int    `json:"sequence"`
		Padding  string `json:"padding"`
		Seq      int    `json:"seq"`
	}

	// Every 97th update is larger than one batch, so batches are sent
	// both when the queue runs empty and when they are full.
	const updates = 1000
	paddingOf := func(sequence int) string {
		if sequence%97 == 0 {
			return strings.Repeat("x", maxBatchBytes+1000)
		}
		return strings.Repeat("y", sequence%300)
	}
	for sequence := range updates {
		payload, err := json.Marshal(update{Sequence: sequence, Padding: paddingOf(sequence)})
		if err != nil {
			t.Fatal(err)
		}
		server.hub.Publish(server.system.Root, "player:00-0033873", payload)
	}

	// Pings from the client make the server's read loop write pongs while
	// the writer fills its batches.
	var pongs atomic.Int32
	client.SetPongHandler(func(string) error {
		pongs.Add(1)
		return nil
	})
	for sequence := range updates {
		if sequence%100 == 0 {
			if err := client.WriteControl(gorilla.PingMessage, []byte("p"), time.Now().Add(testTimeout)); err != nil {
				t.Fatalf("write ping: %v", err)
			}
		}

		var message update
		if err := json.Unmarshal(readMessage(t, client), &message); err != nil {
			t.Fatalf("decode update %d: %v", sequence, err)
		}
		if message.Sequence != sequence {
			t.Fatalf("update %d arrived where update %d was expected", message.Sequence, sequence)
		}
		if message.Seq != sequence+1 {
			t.Errorf("update %d has seq %d, want %d", sequence, message.Seq, sequence+1)
		}
		if message.Padding != paddingOf(sequence) {
			t.Errorf("update %d has %d padding bytes, want %d", sequence, len(message.Padding), len(paddingOf(sequence)))
		}
	}

	// The server writes each pong when it reads the ping, before it reads
	// this subscribe, so every pong arrives before the ACK.
	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")
	if got := pongs.Load(); got != updates/100 {
		t.Errorf("pongs = %d, want %d", got, updates/100)
	}
}
