package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

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

// fakeSnapshotter returns items per stream key. When gate is not nil, each
// call waits until gate is closed.
type fakeSnapshotter struct {
	items map[string][]json.RawMessage
	err   error
	gate  chan struct{}
	calls atomic.Int32
}

func (f *fakeSnapshotter) Snapshot(ctx context.Context, kind messages.StreamKind, id string, _ uint64) ([]json.RawMessage, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.items[StreamKey(kind, id)], nil
}

// sessionTestMessage is the union of the fields the session tests check.
type sessionTestMessage struct {
	Type    string            `json:"type"`
	Action  string            `json:"action"`
	Stream  string            `json:"stream"`
	Seq     uint64            `json:"seq"`
	Epoch   string            `json:"epoch"`
	Page    int               `json:"page"`
	Pages   int               `json:"pages"`
	Reset   bool              `json:"reset"`
	Resumed *bool             `json:"resumed"`
	Items   []json.RawMessage `json:"items"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeSessionTestMessages(t *testing.T, payloads [][]byte) []sessionTestMessage {
	t.Helper()

	decoded := make([]sessionTestMessage, len(payloads))
	for i, payload := range payloads {
		if err := json.Unmarshal(payload, &decoded[i]); err != nil {
			t.Fatalf("payload %d %q is not JSON: %v", i, payload, err)
		}
	}
	return decoded
}

// describeSessionTestMessages renders messages as "ACK SNAPSHOT:0 PLAYER_UPDATE:1"
// for order checks.
func describeSessionTestMessages(decoded []sessionTestMessage) string {
	parts := make([]string, len(decoded))
	for i, message := range decoded {
		switch message.Type {
		case messages.TypeAck:
			parts[i] = "ACK"
		case messages.TypeError:
			parts[i] = "ERROR:" + message.Error.Code
		default:
			parts[i] = fmt.Sprintf("%s:%d", message.Type, message.Seq)
		}
	}
	return strings.Join(parts, " ")
}

func TestSessionSubscribeSendsSnapshotAfterAck(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	for range 4 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}
	snapshotter := &fakeSnapshotter{items: map[string][]json.RawMessage{
		"player:00-0033873": {json.RawMessage(`{"week":1}`), json.RawMessage(`{"week":2}`)},
	}}
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Snapshotter: snapshotter}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "ACK and SNAPSHOT", func() bool { return len(conn.sent()) == 2 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	ack, snapshot := decoded[0], decoded[1]
	if ack.Type != messages.TypeAck || ack.Stream != "player:00-0033873" || ack.Seq != 4 || ack.Epoch != hub.Epoch() {
		t.Errorf("ACK = %+v, want stream player:00-0033873 at seq 4 of epoch %s", ack, hub.Epoch())
	}
	if snapshot.Type != TypeSnapshot {
		t.Fatalf("second message type = %q, want %s", snapshot.Type, TypeSnapshot)
	}
	if snapshot.Seq != 4 || snapshot.Epoch != hub.Epoch() || snapshot.Stream != "player:00-0033873" {
		t.Errorf("SNAPSHOT position = %s %d %s, want player:00-0033873 4 %s", snapshot.Stream, snapshot.Seq, snapshot.Epoch, hub.Epoch())
	}
	if snapshot.Page != 1 || snapshot.Pages != 1 || snapshot.Reset {
		t.Errorf("SNAPSHOT page %d of %d, reset %v, want page 1 of 1 without reset", snapshot.Page, snapshot.Pages, snapshot.Reset)
	}
	if len(snapshot.Items) != 2 || string(snapshot.Items[1]) != `{"week":2}` {
		t.Errorf("SNAPSHOT items = %s, want weeks 1 and 2", snapshot.Items)
	}
}

// TestSessionHoldsLiveMessagesDuringSnapshot publishes while the snapshot
// is loading and checks the order: ACK, SNAPSHOT, then every live message
// once, in seq order.
func TestSessionHoldsLiveMessagesDuringSnapshot(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(`{"type":"GAME_SCORES"}`))
	snapshotter := &fakeSnapshotter{gate: make(chan struct{})}
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Snapshotter: snapshotter}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_GAME, Id: "2024_10_DEN_KC"})
	sessionTestEventually(t, "the ACK", func() bool { return len(conn.sent()) == 1 })
	sessionTestEventually(t, "the snapshot call", func() bool { return snapshotter.calls.Load() == 1 })

	for range 3 {
		hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(`{"type":"GAME_SCORES"}`))
	}
	close(snapshotter.gate)
	sessionTestEventually(t, "the snapshot and three live messages", func() bool { return len(conn.sent()) == 5 })

	got := describeSessionTestMessages(decodeSessionTestMessages(t, conn.sent()))
	if want := "ACK SNAPSHOT:1 GAME_SCORES:2 GAME_SCORES:3 GAME_SCORES:4"; got != want {
		t.Errorf("messages = %s, want %s", got, want)
	}
}

func TestSessionSnapshotFailureKeepsSubscription(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	snapshotter := &fakeSnapshotter{err: errors.New("player actor timed out")}
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Snapshotter: snapshotter}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "ACK and ERROR", func() bool { return len(conn.sent()) == 2 })
	hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	sessionTestEventually(t, "the live message", func() bool { return len(conn.sent()) == 3 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	if got, want := describeSessionTestMessages(decoded), "ACK ERROR:snapshot_failed PLAYER_UPDATE:1"; got != want {
		t.Errorf("messages = %s, want %s", got, want)
	}
	if !strings.Contains(decoded[1].Error.Message, "player actor timed out") {
		t.Errorf("error message %q does not give the cause", decoded[1].Error.Message)
	}
}

func TestSessionSnapshotIsPaged(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()

	const itemCount = 100
	items := make([]json.RawMessage, itemCount)
	for i := range items {
		items[i] = json.RawMessage(fmt.Sprintf(`{"week":%d,"note":"%s"}`, i, strings.Repeat("x", 90)))
	}
	snapshotter := &fakeSnapshotter{items: map[string][]json.RawMessage{"league:a": items}}
	const maxBytes = 1024
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Snapshotter: snapshotter, MaxSnapshotMessageBytes: maxBytes}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_LEAGUE, Id: "a"})
	sessionTestEventually(t, "the last SNAPSHOT page", func() bool {
		sent := conn.sent()
		if len(sent) < 2 {
			return false
		}
		last := decodeSessionTestMessages(t, sent[len(sent)-1:])[0]
		return last.Page > 0 && last.Page == last.Pages
	})

	pages := conn.sent()[1:]
	decoded := decodeSessionTestMessages(t, pages)
	if len(decoded) < 10 {
		t.Errorf("pages = %d, want at least 10 for %d items of about 110 bytes in %d-byte pages", len(decoded), itemCount, maxBytes)
	}
	next := 0
	for i, page := range decoded {
		if len(pages[i]) > maxBytes {
			t.Errorf("page %d has %d bytes, more than %d", i+1, len(pages[i]), maxBytes)
		}
		if page.Page != i+1 || page.Pages != len(decoded) {
			t.Errorf("page %d is numbered %d of %d, want %d of %d", i+1, page.Page, page.Pages, i+1, len(decoded))
		}
		for _, item := range page.Items {
			var week struct {
				Week int `json:"week"`
			}
			if err := json.Unmarshal(item, &week); err != nil {
				t.Fatalf("item %s: %v", item, err)
			}
			if week.Week != next {
				t.Errorf("page %d has week %d, want %d", i+1, week.Week, next)
			}
			next++
		}
	}
	if next != itemCount {
		t.Errorf("pages carry %d items, want %d", next, itemCount)
	}
}

func TestEncodeSnapshotPagesEdges(t *testing.T) {
	header := SnapshotHeader{Stream: "player:00-0033873", Seq: 3, Epoch: "0123456789abcdef"}

	empty, err := EncodeSnapshotPages(header, nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"SNAPSHOT","stream":"player:00-0033873","seq":3,"epoch":"0123456789abcdef","page":1,"pages":1,"items":[]}`
	if len(empty) != 1 || string(empty[0]) != want {
		t.Errorf("empty snapshot = %q, want one page %s", empty, want)
	}

	// An item too large for any page gets a page of its own, and the
	// items around it keep their order.
	large := json.RawMessage(`{"name":"` + strings.Repeat("x", 2000) + `"}`)
	pages, err := EncodeSnapshotPages(header, []json.RawMessage{json.RawMessage(`{"a":"<&>"}`), large, json.RawMessage(`{"b":2}`)}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("pages = %d, want 3", len(pages))
	}
	if !strings.Contains(string(pages[0]), `"items":[{"a":"<&>"}]`) {
		t.Errorf("page 1 = %s, want the first item unescaped", pages[0])
	}
	if !strings.Contains(string(pages[2]), `"page":3,"pages":3`) {
		t.Errorf("page 3 = %s, want it numbered 3 of 3", pages[2])
	}

	if _, err := EncodeSnapshotPages(header, []json.RawMessage{json.RawMessage(`{"a":`)}, 1024); err == nil {
		t.Error("an item that is not JSON was encoded, want an error")
	}
}

func TestSessionRejectsForbiddenLeague(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	allowed := func(leagueID string) bool { return leagueID == "a" }
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{AllowLeague: allowed}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_LEAGUE, Id: "b"})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_LEAGUE, Id: "a"})
	system.Root.Send(session, &Resume{Positions: []StreamPosition{{Stream: "league:c", Epoch: hub.Epoch()}}})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "four replies", func() bool { return len(conn.sent()) == 4 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	if got, want := describeSessionTestMessages(decoded), "ERROR:forbidden ACK ERROR:forbidden ACK"; got != want {
		t.Errorf("replies = %s, want %s", got, want)
	}
	if !strings.Contains(decoded[0].Error.Message, `"b"`) {
		t.Errorf("forbidden message %q does not name league b", decoded[0].Error.Message)
	}
	if got := hub.Subscribers("league:b"); got != 0 {
		t.Errorf("league:b subscribers = %d, want 0", got)
	}
	if got := hub.Subscribers("league:a"); got != 1 {
		t.Errorf("league:a subscribers = %d, want 1", got)
	}
}

func TestSessionSubscriptionLimit(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{MaxSubscriptions: 2}))

	for _, id := range []string{"00-0033873", "00-0036389", "00-0036355"} {
		system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: id})
	}
	// A repeated subscribe to a followed stream is not a new one.
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	system.Root.Send(session, &messages.Unsubscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0036389"})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0036355"})
	sessionTestEventually(t, "six replies", func() bool { return len(conn.sent()) == 6 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	if got, want := describeSessionTestMessages(decoded), "ACK ACK ERROR:subscription_limit ACK ACK ACK"; got != want {
		t.Errorf("replies = %s, want %s", got, want)
	}
	if !strings.Contains(decoded[2].Error.Message, "at most 2") {
		t.Errorf("limit message %q does not give the limit", decoded[2].Error.Message)
	}
}

func TestSessionScoreboardSubscription(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_SCOREBOARD, Id: ScoreboardID})
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_SCOREBOARD, Id: "2024_10"})
	sessionTestEventually(t, "two replies", func() bool { return len(conn.sent()) == 2 })
	hub.Publish(system.Root, StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID), []byte(`{"type":"GAME_SCORES"}`))
	sessionTestEventually(t, "the scoreboard message", func() bool { return len(conn.sent()) == 3 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	if got, want := describeSessionTestMessages(decoded), "ACK ERROR:invalid_field GAME_SCORES:1"; got != want {
		t.Errorf("messages = %s, want %s", got, want)
	}
	if decoded[0].Action != "subscribe_scoreboard" || decoded[0].Stream != "scoreboard:current" {
		t.Errorf("ACK = %+v, want subscribe_scoreboard of scoreboard:current", decoded[0])
	}
}

// TestSessionResumeSendsMissedMessages subscribes, takes the client's
// position after two messages, stops that session as a disconnect does,
// publishes three more, and resumes in a new session: the new session gets
// exactly seqs 3 to 5, then live messages.
func TestSessionResumeSendsMissedMessages(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	first := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, first, SessionConfig{}))
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "the ACK", func() bool { return len(first.sent()) == 1 })
	for range 2 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}
	sessionTestEventually(t, "two updates", func() bool { return len(first.sent()) == 3 })
	last := decodeSessionTestMessages(t, first.sent())[2]
	if err := system.Root.StopFuture(session).Wait(); err != nil {
		t.Fatal(err)
	}

	for range 3 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}
	second := &fakeSessionConn{}
	resumed := system.Root.Spawn(NewSessionProps(hub, second, SessionConfig{Snapshotter: &fakeSnapshotter{}}))
	system.Root.Send(resumed, &Resume{Positions: []StreamPosition{{Stream: last.Stream, Epoch: last.Epoch, Seq: last.Seq}}})
	sessionTestEventually(t, "ACK and three missed updates", func() bool { return len(second.sent()) == 4 })
	hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	sessionTestEventually(t, "the live update", func() bool { return len(second.sent()) == 5 })

	decoded := decodeSessionTestMessages(t, second.sent())
	if got, want := describeSessionTestMessages(decoded), "ACK PLAYER_UPDATE:3 PLAYER_UPDATE:4 PLAYER_UPDATE:5 PLAYER_UPDATE:6"; got != want {
		t.Errorf("messages = %s, want %s", got, want)
	}
	if decoded[0].Action != "resume" || decoded[0].Resumed == nil || !*decoded[0].Resumed {
		t.Errorf("ACK = %+v, want a resume ACK with resumed true", decoded[0])
	}
}

func TestSessionResumeResetsOnOtherEpoch(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	for range 3 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}

	tests := []struct {
		name        string
		snapshotter messages.Snapshotter
		items       int
	}{
		{"with snapshotter", &fakeSnapshotter{items: map[string][]json.RawMessage{
			"player:00-0033873": {json.RawMessage(`{"week":1}`)},
		}}, 1},
		{"without snapshotter", nil, 0},
	}
	for _, test := range tests {
		conn := &fakeSessionConn{}
		session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Snapshotter: test.snapshotter}))
		system.Root.Send(session, &Resume{Positions: []StreamPosition{{Stream: "player:00-0033873", Epoch: "0000000000000000", Seq: 2}}})
		sessionTestEventually(t, test.name+": ACK and SNAPSHOT", func() bool { return len(conn.sent()) == 2 })

		decoded := decodeSessionTestMessages(t, conn.sent())
		if got, want := describeSessionTestMessages(decoded), "ACK SNAPSHOT:3"; got != want {
			t.Errorf("%s: messages = %s, want %s", test.name, got, want)
		}
		if decoded[0].Resumed == nil || *decoded[0].Resumed {
			t.Errorf("%s: ACK resumed = %v, want false", test.name, decoded[0].Resumed)
		}
		if !decoded[1].Reset {
			t.Errorf("%s: SNAPSHOT reset = false, want true", test.name)
		}
		if decoded[1].Epoch != hub.Epoch() {
			t.Errorf("%s: SNAPSHOT epoch = %s, want the hub's %s", test.name, decoded[1].Epoch, hub.Epoch())
		}
		if len(decoded[1].Items) != test.items {
			t.Errorf("%s: SNAPSHOT items = %d, want %d", test.name, len(decoded[1].Items), test.items)
		}
	}
}

func TestSessionResumeRejectsInvalidStream(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))

	system.Root.Send(session, &Resume{Positions: []StreamPosition{{Stream: "team:KC"}, {Stream: "game:2024_10_DEN_KC", Epoch: hub.Epoch()}}})
	sessionTestEventually(t, "two replies", func() bool { return len(conn.sent()) == 2 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	if got, want := describeSessionTestMessages(decoded), "ERROR:invalid_field ACK"; got != want {
		t.Errorf("replies = %s, want %s", got, want)
	}
}

// countingMetrics records SessionMetrics calls.
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countingMetrics) add(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if m.counts == nil {
		m.counts = make(map[string]int)
	}
	m.counts[name]++
}

func (m *countingMetrics) get(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()

	return m.counts[name]
}

func (m *countingMetrics) SessionOpened()                  { m.add("opened") }
func (m *countingMetrics) SessionClosed()                  { m.add("closed") }
func (m *countingMetrics) SubscriptionAdded(kind string)   { m.add("added:" + kind) }
func (m *countingMetrics) SubscriptionRemoved(kind string) { m.add("removed:" + kind) }
func (m *countingMetrics) MessageSent(messageType string)  { m.add("sent:" + messageType) }
func (m *countingMetrics) MessageDropped(messageType string) {
	m.add("dropped:" + messageType)
}
func (m *countingMetrics) SlowClientDisconnected()       { m.add("slow") }
func (m *countingMetrics) DeliveryLatency(time.Duration) { m.add("latency") }

func TestSessionReportsMetrics(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	metrics := &countingMetrics{}
	conn := &fakeSessionConn{capacity: 2}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{Metrics: metrics}))

	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "the ACK", func() bool { return len(conn.sent()) == 1 })
	for range 2 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}
	sessionTestEventually(t, "the session to close", func() bool { return metrics.get("closed") == 1 })

	want := map[string]int{
		"opened": 1, "closed": 1, "added:player": 1, "removed:player": 1,
		"sent:ACK": 1, "sent:PLAYER_UPDATE": 1, "dropped:PLAYER_UPDATE": 1, "slow": 1, "latency": 1,
	}
	for name, count := range want {
		if got := metrics.get(name); got != count {
			t.Errorf("%s = %d, want %d", name, got, count)
		}
	}
}
