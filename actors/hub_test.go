package actors

import (
	"fmt"
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
		session := system.Root.Spawn(NewSessionProps(hub, conns[i]))
		system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	}
	other := &fakeSessionConn{}
	otherSession := system.Root.Spawn(NewSessionProps(hub, other))
	system.Root.Send(otherSession, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0036355"})

	for i, conn := range conns {
		sessionTestEventually(t, fmt.Sprintf("ACK of session %d", i), func() bool { return len(conn.sent()) == 1 })
	}
	sessionTestEventually(t, "ACK of the other session", func() bool { return len(other.sent()) == 1 })

	payload := []byte(`{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873"}}`)
	if delivered := hub.Publish(system.Root, "player:00-0033873", payload); delivered != sessionCount {
		t.Fatalf("delivered = %d, want %d", delivered, sessionCount)
	}

	for i, conn := range conns {
		sessionTestEventually(t, fmt.Sprintf("update of session %d", i), func() bool { return len(conn.sent()) == 2 })

		// The session must pass on the publisher's bytes, not a copy or a
		// re-encoding.
		got := conn.sent()[1]
		if unsafe.SliceData(got) != unsafe.SliceData(payload) || len(got) != len(payload) {
			t.Errorf("session %d got a different slice than the published payload", i)
		}
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
