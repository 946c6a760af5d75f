package actors

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// fakeSessionConn is an in-memory Conn that records what a session sends.
// Its queue holds at most capacity payloads when capacity > 0, and Send
// returns false beyond that, as a client that never reads would.
type fakeSessionConn struct {
	mu       sync.Mutex
	capacity int

	// failSends makes Send panic, as a failure inside the session would.
	failSends bool
	payloads  [][]byte
	closes    int
	code      int
	reason    string
}

func (c *fakeSessionConn) Send(payload []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.failSends {
		panic("fake connection failure")
	}
	if c.capacity > 0 && len(c.payloads) >= c.capacity {
		return false
	}
	c.payloads = append(c.payloads, payload)
	return true
}

func (c *fakeSessionConn) Close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.closes++
	if c.closes == 1 {
		c.code = code
		c.reason = reason
	}
}

func (c *fakeSessionConn) sent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()

	return append([][]byte(nil), c.payloads...)
}

func (c *fakeSessionConn) closeState() (closes, code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.closes, c.code, c.reason
}

// sessionTestEventually fails the test when condition is still false after
// a generous timeout. The timeout only bounds a hung test, so no test relies
// on how fast the condition becomes true.
func sessionTestEventually(t *testing.T, what string, condition func() bool) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newSessionTestSystem(t *testing.T) *actor.ActorSystem {
	t.Helper()

	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)
	return system
}

func decodeSessionTestJSON(t *testing.T, payload []byte) map[string]any {
	t.Helper()

	var message map[string]any
	if err := json.Unmarshal(payload, &message); err != nil {
		t.Fatalf("payload %q is not JSON: %v", payload, err)
	}
	return message
}

func TestSessionSubscribeSendsAck(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_GAME, Id: "2025_01_DAL_PHI"})
	sessionTestEventually(t, "two ACKs", func() bool { return len(conn.sent()) == 2 })

	player := decodeSessionTestJSON(t, conn.sent()[0])
	if player["type"] != messages.TypeAck {
		t.Errorf("type = %v, want %s", player["type"], messages.TypeAck)
	}
	if player["action"] != "subscribe_player" {
		t.Errorf("action = %v, want subscribe_player", player["action"])
	}
	if player["player_id"] != "00-0033873" {
		t.Errorf("player_id = %v, want 00-0033873", player["player_id"])
	}

	game := decodeSessionTestJSON(t, conn.sent()[1])
	if game["action"] != "subscribe_game" {
		t.Errorf("action = %v, want subscribe_game", game["action"])
	}
	if game["game_id"] != "2025_01_DAL_PHI" {
		t.Errorf("game_id = %v, want 2025_01_DAL_PHI", game["game_id"])
	}

	if got := hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("player subscribers = %d, want 1", got)
	}
	if got := hub.Subscribers("game:2025_01_DAL_PHI"); got != 1 {
		t.Errorf("game subscribers = %d, want 1", got)
	}
}

func TestSessionSubscribeTwiceCountsOnce(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	subscribe := &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"}
	system.Root.Send(session, subscribe)
	system.Root.Send(session, subscribe)
	sessionTestEventually(t, "two ACKs", func() bool { return len(conn.sent()) == 2 })

	if got := hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("subscribers = %d, want 1", got)
	}

	delivered := hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	if delivered != 1 {
		t.Errorf("delivered = %d, want 1", delivered)
	}
	sessionTestEventually(t, "the update", func() bool { return len(conn.sent()) == 3 })
}

func TestSessionUnsubscribeStopsDelivery(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_GAME, Id: "2025_01_DAL_PHI"})
	system.Root.Send(session, &messages.Unsubscribe{Kind: messages.StreamKind_STREAM_KIND_GAME, Id: "2025_01_DAL_PHI"})
	sessionTestEventually(t, "two ACKs", func() bool { return len(conn.sent()) == 2 })

	ack := decodeSessionTestJSON(t, conn.sent()[1])
	if ack["action"] != "unsubscribe_game" {
		t.Errorf("action = %v, want unsubscribe_game", ack["action"])
	}
	if ack["game_id"] != "2025_01_DAL_PHI" {
		t.Errorf("game_id = %v, want 2025_01_DAL_PHI", ack["game_id"])
	}

	if got := hub.Subscribers("game:2025_01_DAL_PHI"); got != 0 {
		t.Errorf("subscribers = %d, want 0", got)
	}
	if delivered := hub.Publish(system.Root, "game:2025_01_DAL_PHI", []byte(`{}`)); delivered != 0 {
		t.Errorf("delivered = %d, want 0", delivered)
	}
}

func TestSessionRejectsInvalidStream(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: ""})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_UNSPECIFIED, Id: "x"})
	sessionTestEventually(t, "two ERRORs", func() bool { return len(conn.sent()) == 2 })

	for i, payload := range conn.sent() {
		message := decodeSessionTestJSON(t, payload)
		if message["type"] != messages.TypeError {
			t.Errorf("message %d: type = %v, want %s", i, message["type"], messages.TypeError)
		}
		detail, _ := message["error"].(map[string]any)
		if detail["code"] != messages.ErrorCodeInvalidField {
			t.Errorf("message %d: code = %v, want %s", i, detail["code"], messages.ErrorCodeInvalidField)
		}
	}
	if got := hub.Subscribers("player:"); got != 0 {
		t.Errorf("subscribers of empty player_id = %d, want 0", got)
	}
}

func TestSessionStopRemovesSubscriptions(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_LEAGUE, Id: "x"})
	sessionTestEventually(t, "two ACKs", func() bool { return len(conn.sent()) == 2 })

	if err := system.Root.StopFuture(session).Wait(); err != nil {
		t.Fatalf("stop session: %v", err)
	}

	if got := hub.Subscribers("player:00-0033873"); got != 0 {
		t.Errorf("player subscribers = %d, want 0", got)
	}
	if got := hub.Subscribers("league:x"); got != 0 {
		t.Errorf("league subscribers = %d, want 0", got)
	}
	closes, code, _ := conn.closeState()
	if closes != 1 {
		t.Errorf("Close calls = %d, want 1", closes)
	}
	if code != sessionStoppedCloseCode {
		t.Errorf("close code = %d, want %d", code, sessionStoppedCloseCode)
	}
}

func TestSessionSlowConsumerIsClosed(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{capacity: 3}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "the ACK", func() bool { return len(conn.sent()) == 1 })

	// The ACK and two updates fill the queue, so the third update does not fit.
	for range 5 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}
	sessionTestEventually(t, "the slow consumer close", func() bool {
		closes, _, _ := conn.closeState()
		return closes > 0
	})

	closes, code, reason := conn.closeState()
	if closes != 1 {
		t.Errorf("Close calls = %d, want 1", closes)
	}
	if code != SlowConsumerCloseCode {
		t.Errorf("close code = %d, want %d", code, SlowConsumerCloseCode)
	}
	if reason != SlowConsumerCloseReason {
		t.Errorf("close reason = %q, want %q", reason, SlowConsumerCloseReason)
	}
	if got := len(conn.sent()); got != 3 {
		t.Errorf("queued payloads = %d, want 3", got)
	}

	// The session stops itself, and stopping removes its subscription.
	sessionTestEventually(t, "the subscription removal", func() bool {
		return hub.Subscribers("player:00-0033873") == 0
	})
}

func TestSessionFailureClosesAndStops(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{failSends: true}
	session := system.Root.Spawn(NewSessionProps(hub, conn))

	// The subscription is registered, then sending the ACK panics, and the
	// supervisor restarts the session.
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "the close after the failure", func() bool {
		closes, _, _ := conn.closeState()
		return closes > 0
	})

	_, code, _ := conn.closeState()
	if code != sessionFailedCloseCode {
		t.Errorf("close code = %d, want %d", code, sessionFailedCloseCode)
	}
	if got := hub.Subscribers("player:00-0033873"); got != 0 {
		t.Errorf("subscribers = %d, want 0", got)
	}

	// The restarted session stops itself and leaves the process registry.
	sessionTestEventually(t, "the session to stop", func() bool {
		_, found := system.ProcessRegistry.Get(session)
		return !found
	})
}
