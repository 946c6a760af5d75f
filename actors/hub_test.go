package actors

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

func TestStreamKey(t *testing.T) {
	tests := []struct {
		kind messages.StreamKind
		id   string
		want string
	}{
		{messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873", "player:00-0033873"},
		{messages.StreamKind_STREAM_KIND_GAME, "2025_01_DAL_PHI", "game:2025_01_DAL_PHI"},
		{messages.StreamKind_STREAM_KIND_LEAGUE, "x", "league:x"},
	}
	for _, test := range tests {
		if got := StreamKey(test.kind, test.id); got != test.want {
			t.Errorf("StreamKey(%v, %q) = %q, want %q", test.kind, test.id, got, test.want)
		}
	}
}

func TestHubSubscribeIsIdempotent(t *testing.T) {
	hub := NewHub()

	// Two PID values for the same actor are one subscriber.
	hub.Subscribe("player:00-0033873", actor.NewPID("nonhost", "session$1"))
	hub.Subscribe("player:00-0033873", actor.NewPID("nonhost", "session$1"))
	hub.Subscribe("player:00-0033873", actor.NewPID("nonhost", "session$2"))
	if got := hub.Subscribers("player:00-0033873"); got != 2 {
		t.Errorf("subscribers = %d, want 2", got)
	}

	hub.Unsubscribe("player:00-0033873", actor.NewPID("nonhost", "session$1"))
	if got := hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("subscribers after one unsubscribe = %d, want 1", got)
	}

	hub.Unsubscribe("player:00-0033873", actor.NewPID("nonhost", "session$1"))
	hub.Unsubscribe("game:never-subscribed", actor.NewPID("nonhost", "session$1"))
	hub.Unsubscribe("player:00-0033873", actor.NewPID("nonhost", "session$2"))
	if got := hub.Subscribers("player:00-0033873"); got != 0 {
		t.Errorf("subscribers after all unsubscribed = %d, want 0", got)
	}
}

func TestHubPublishSharesPayload(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()

	const sessionCount = 50
	conns := make([]*fakeSessionConn, sessionCount)
	for i := range conns {
		conns[i] = &fakeSessionConn{}
		session := system.Root.Spawn(NewSessionProps(hub, conns[i], SessionConfig{}))
		system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	}
	other := &fakeSessionConn{}
	otherSession := system.Root.Spawn(NewSessionProps(hub, other, SessionConfig{}))
	system.Root.Send(otherSession, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0036355"})

	for i, conn := range conns {
		sessionTestEventually(t, fmt.Sprintf("ACK of session %d", i), func() bool { return len(conn.sent()) == 1 })
	}
	sessionTestEventually(t, "ACK of the other session", func() bool { return len(other.sent()) == 1 })

	payload := []byte(`{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873"}}`)
	if delivered := hub.Publish(system.Root, "player:00-0033873", payload); delivered != sessionCount {
		t.Fatalf("delivered = %d, want %d", delivered, sessionCount)
	}

	// Every session must pass on the hub's one stamped encoding, not a copy
	// or a re-encoding.
	var shared []byte
	for i, conn := range conns {
		sessionTestEventually(t, fmt.Sprintf("update of session %d", i), func() bool { return len(conn.sent()) == 2 })

		got := conn.sent()[1]
		if shared == nil {
			shared = got
		}
		if unsafe.SliceData(got) != unsafe.SliceData(shared) || len(got) != len(shared) {
			t.Errorf("session %d got a different slice than session 0", i)
		}
	}
	wantStamped := `{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873"},"stream":"player:00-0033873","seq":1,"epoch":"` + hub.Epoch() + `"}`
	if string(shared) != wantStamped {
		t.Errorf("stamped payload = %s, want %s", shared, wantStamped)
	}

	if got := len(other.sent()); got != 1 {
		t.Errorf("session subscribed to another player got %d messages, want only its ACK", got)
	}
}

func TestHubConcurrentUse(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()

	const sessionCount = 20
	sessions := make([]*actor.PID, sessionCount)
	for i := range sessions {
		sessions[i] = system.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	}

	// Subscribers, unsubscribers and publishers race on the same streams,
	// and the race detector checks the locking.
	var group sync.WaitGroup
	for i, session := range sessions {
		group.Add(1)
		go func() {
			defer group.Done()

			for round := range 100 {
				stream := fmt.Sprintf("game:%d", (i+round)%5)
				hub.Subscribe(stream, session)
				hub.Publish(system.Root, stream, []byte(`{}`))
				hub.Subscribers(stream)
				hub.Unsubscribe(stream, session)
			}
		}()
	}
	group.Wait()

	for stream := range 5 {
		key := fmt.Sprintf("game:%d", stream)
		if got := hub.Subscribers(key); got != 0 {
			t.Errorf("subscribers of %s = %d, want 0", key, got)
		}
	}
}

func TestParseStreamKey(t *testing.T) {
	tests := []struct {
		stream string
		kind   messages.StreamKind
		id     string
		ok     bool
	}{
		{"player:00-0033873", messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873", true},
		{"game:2024_10_DEN_KC", messages.StreamKind_STREAM_KIND_GAME, "2024_10_DEN_KC", true},
		{"league:a:b", messages.StreamKind_STREAM_KIND_LEAGUE, "a:b", true},
		{"scoreboard:current", messages.StreamKind_STREAM_KIND_SCOREBOARD, "current", true},
		{"scoreboard:2024_10", messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false},
		{"player:", messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false},
		{"team:KC", messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false},
		{"00-0033873", messages.StreamKind_STREAM_KIND_UNSPECIFIED, "", false},
	}
	for _, test := range tests {
		kind, id, ok := ParseStreamKey(test.stream)
		if kind != test.kind || id != test.id || ok != test.ok {
			t.Errorf("ParseStreamKey(%q) = %v, %q, %v, want %v, %q, %v", test.stream, kind, id, ok, test.kind, test.id, test.ok)
		}
	}
	if got := StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID); got != "scoreboard:current" {
		t.Errorf("scoreboard stream key = %q, want scoreboard:current", got)
	}
}

// recordingSession returns a session PID whose received StreamMessages are
// appended to the returned function's result, in mailbox order.
func recordingSession(t *testing.T, system *actor.ActorSystem) (*actor.PID, func() []*StreamMessage) {
	t.Helper()

	var mu sync.Mutex
	var received []*StreamMessage
	pid := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch message := ctx.Message().(type) {
		case *StreamMessage:
			mu.Lock()
			received = append(received, message)
			mu.Unlock()

		case *StreamBatch:
			mu.Lock()
			received = append(received, message.Messages...)
			mu.Unlock()
		}
	}))
	return pid, func() []*StreamMessage {
		mu.Lock()
		defer mu.Unlock()

		return append([]*StreamMessage(nil), received...)
	}
}

func TestHubPublishStampsSeqAndEpoch(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	other := NewHub()
	if hub.Epoch() == other.Epoch() {
		t.Errorf("two hubs share the epoch %s", hub.Epoch())
	}
	if len(hub.Epoch()) != 16 {
		t.Errorf("epoch %q has %d characters, want 16", hub.Epoch(), len(hub.Epoch()))
	}

	// Messages published before anyone subscribed still take a seq.
	hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(`{"type":"GAME_SCORES","deltas":[]}`))
	session, received := recordingSession(t, system)
	if seq := hub.Subscribe("game:2024_10_DEN_KC", session); seq != 1 {
		t.Errorf("Subscribe returned seq %d, want 1", seq)
	}

	hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(` { "type":"GAME_SCORES" } `))
	hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(`{}`))
	sessionTestEventually(t, "two messages", func() bool { return len(received()) == 2 })

	first, second := received()[0], received()[1]
	if first.Seq != 2 || second.Seq != 3 {
		t.Errorf("seqs = %d, %d, want 2, 3", first.Seq, second.Seq)
	}
	if first.Type != "GAME_SCORES" {
		t.Errorf("type = %q, want GAME_SCORES", first.Type)
	}
	wantFirst := `{"type":"GAME_SCORES","stream":"game:2024_10_DEN_KC","seq":2,"epoch":"` + hub.Epoch() + `"}`
	if string(first.Payload) != wantFirst {
		t.Errorf("payload = %s, want %s", first.Payload, wantFirst)
	}
	wantSecond := `{"stream":"game:2024_10_DEN_KC","seq":3,"epoch":"` + hub.Epoch() + `"}`
	if string(second.Payload) != wantSecond {
		t.Errorf("payload of an empty object = %s, want %s", second.Payload, wantSecond)
	}
	if got := hub.Seq("game:2024_10_DEN_KC"); got != 3 {
		t.Errorf("Seq = %d, want 3", got)
	}
}

func TestHubPublishRejectsNonObject(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	session, _ := recordingSession(t, system)
	hub.Subscribe("player:00-0033873", session)

	for _, payload := range []string{``, `[1,2]`, `"text"`, `{`, `null`} {
		if delivered := hub.Publish(system.Root, "player:00-0033873", []byte(payload)); delivered != 0 {
			t.Errorf("Publish(%q) delivered to %d sessions, want 0", payload, delivered)
		}
	}
	if got := hub.Seq("player:00-0033873"); got != 0 {
		t.Errorf("Seq after rejected payloads = %d, want 0", got)
	}
}

func TestHubResumeFromHistory(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	session, _ := recordingSession(t, system)
	for range 10 {
		hub.Publish(system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	}

	missed, current, ok := hub.Resume("player:00-0033873", session, hub.Epoch(), 7)
	if !ok {
		t.Fatal("resume from seq 7 of 10 failed, want the 3 missed messages")
	}
	if current != 10 {
		t.Errorf("current = %d, want 10", current)
	}
	var seqs []uint64
	for _, message := range missed {
		seqs = append(seqs, message.Seq)
	}
	if fmt.Sprint(seqs) != "[8 9 10]" {
		t.Errorf("missed seqs = %v, want [8 9 10]", seqs)
	}
	if got := hub.Subscribers("player:00-0033873"); got != 1 {
		t.Errorf("subscribers after resume = %d, want 1", got)
	}

	missed, _, ok = hub.Resume("player:00-0033873", session, hub.Epoch(), 10)
	if !ok || len(missed) != 0 {
		t.Errorf("resume at the current seq = %d messages, ok %v, want 0 and true", len(missed), ok)
	}
	missed, _, ok = hub.Resume("player:00-0033873", session, hub.Epoch(), 0)
	if !ok || len(missed) != 10 {
		t.Errorf("resume from seq 0 = %d messages, ok %v, want 10 and true", len(missed), ok)
	}
	if _, _, ok := hub.Resume("player:00-0033873", session, "0123456789abcdef", 7); ok {
		t.Error("resume with another epoch succeeded, want a reset")
	}
	if _, _, ok := hub.Resume("player:00-0033873", session, hub.Epoch(), 11); ok {
		t.Error("resume from a seq ahead of the stream succeeded, want a reset")
	}
}

func TestHubHistoryIsBounded(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	session, _ := recordingSession(t, system)

	const published = HistoryMaxMessages + 44
	for range published {
		hub.Publish(system.Root, "game:2024_10_DEN_KC", []byte(`{"type":"GAME_SCORES"}`))
	}

	oldest := uint64(published - HistoryMaxMessages + 1)
	missed, _, ok := hub.Resume("game:2024_10_DEN_KC", session, hub.Epoch(), oldest-1)
	if !ok {
		t.Fatalf("resume from seq %d, just before the oldest kept, failed", oldest-1)
	}
	if len(missed) != HistoryMaxMessages {
		t.Errorf("missed = %d messages, want %d", len(missed), HistoryMaxMessages)
	}
	if _, _, ok := hub.Resume("game:2024_10_DEN_KC", session, hub.Epoch(), oldest-2); ok {
		t.Errorf("resume from seq %d, older than the history, succeeded, want a reset", oldest-2)
	}

	// Large messages are trimmed by bytes before the count is reached.
	large := []byte(`{"type":"GAME_SCORES","padding":"` + strings.Repeat("x", HistoryMaxBytes/4) + `"}`)
	for range 10 {
		hub.Publish(system.Root, "game:2024_11_KC_BUF", large)
	}
	missed, _, ok = hub.Resume("game:2024_11_KC_BUF", session, hub.Epoch(), 0)
	if ok {
		t.Errorf("resume from seq 0 after 10 messages of %d bytes succeeded with %d messages, want a reset", len(large), len(missed))
	}
	missed, _, ok = hub.Resume("game:2024_11_KC_BUF", session, hub.Epoch(), 7)
	if !ok || len(missed) != 3 {
		t.Errorf("resume from seq 7 = %d messages, ok %v, want 3 and true", len(missed), ok)
	}
}

// TestHubConcurrentPublishersKeepOrder publishes to one stream from several
// goroutines, as the game actors do on the scoreboard, and checks that the
// subscriber receives seqs 1, 2, 3, … in order.
func TestHubConcurrentPublishersKeepOrder(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	session, received := recordingSession(t, system)
	stream := StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID)
	hub.Subscribe(stream, session)

	const publishers, perPublisher = 8, 200
	var group sync.WaitGroup
	for range publishers {
		group.Go(func() {
			for range perPublisher {
				hub.Publish(system.Root, stream, []byte(`{"type":"GAME_SCORES"}`))
			}
		})
	}
	group.Wait()

	sessionTestEventually(t, "every message", func() bool { return len(received()) == publishers*perPublisher })
	for i, message := range received() {
		if message.Seq != uint64(i+1) {
			t.Fatalf("message %d has seq %d, want %d", i, message.Seq, i+1)
		}
	}
}
