package actors

import (
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// batchRecordingSession spawns an actor that records the StreamBatches it
// receives.
func batchRecordingSession(t *testing.T, system *actor.ActorSystem) (*actor.PID, func() []*StreamBatch) {
	t.Helper()

	var mu sync.Mutex
	var received []*StreamBatch
	pid := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if batch, ok := ctx.Message().(*StreamBatch); ok {
			mu.Lock()
			received = append(received, batch)
			mu.Unlock()
		}
	}))
	return pid, func() []*StreamBatch {
		mu.Lock()
		defer mu.Unlock()

		return append([]*StreamBatch(nil), received...)
	}
}

func TestHubPublishBatchGroupsPerSession(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	mahomes := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873")
	hurts := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0036389")

	both, bothReceived := batchRecordingSession(t, system)
	hub.Subscribe(mahomes, both)
	hub.Subscribe(hurts, both)
	hurtsOnly, hurtsOnlyReceived := batchRecordingSession(t, system)
	hub.Subscribe(hurts, hurtsOnly)

	delivered := hub.PublishBatch(system.Root, []Publication{
		{Stream: mahomes, Payload: []byte(`{"type":"PLAYER_UPDATE","n":1}`)},
		{Stream: hurts, Payload: []byte(`{"type":"PLAYER_UPDATE","n":2}`)},
		{Stream: hurts, Payload: []byte(`not an object`)},
		{Stream: mahomes, Payload: []byte(`{"type":"INJURY_UPDATE","n":3}`)},
	})
	if delivered != 4 {
		t.Errorf("delivered = %d, want 4", delivered)
	}

	sessionTestEventually(t, "batch of the session following both", func() bool { return len(bothReceived()) == 1 })
	sessionTestEventually(t, "batch of the session following one", func() bool { return len(hurtsOnlyReceived()) == 1 })

	type want struct {
		stream      string
		seq         uint64
		messageType string
	}
	wantBoth := []want{{mahomes, 1, "PLAYER_UPDATE"}, {hurts, 1, "PLAYER_UPDATE"}, {mahomes, 2, "INJURY_UPDATE"}}
	got := bothReceived()[0].Messages
	if len(got) != len(wantBoth) {
		t.Fatalf("session following both got %d messages, want %d", len(got), len(wantBoth))
	}
	for i, message := range got {
		if message.Stream != wantBoth[i].stream || message.Seq != wantBoth[i].seq || message.Type != wantBoth[i].messageType {
			t.Errorf("message %d = %s seq %d %s, want %s seq %d %s", i, message.Stream, message.Seq, message.Type,
				wantBoth[i].stream, wantBoth[i].seq, wantBoth[i].messageType)
		}
	}

	hurtsMessages := hurtsOnlyReceived()[0].Messages
	if len(hurtsMessages) != 1 {
		t.Fatalf("session following one got %d messages, want 1", len(hurtsMessages))
	}
	if hurtsMessages[0] != got[1] {
		t.Errorf("the sessions got different *StreamMessage values for %s seq 1", hurts)
	}

	if seq := hub.Seq(mahomes); seq != 2 {
		t.Errorf("seq of %s = %d, want 2", mahomes, seq)
	}
	missed, _, resumed := hub.Resume(hurts, hurtsOnly, hub.Epoch(), 0)
	if !resumed || len(missed) != 1 {
		t.Errorf("resume of %s from seq 0: resumed %t with %d messages, want true with 1", hurts, resumed, len(missed))
	}
}

func TestHubPublishBatchKeepsOrderWithPublish(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	session, received := recordingSession(t, system)
	stream := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873")
	other := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0036389")
	hub.Subscribe(stream, session)
	hub.Subscribe(other, session)

	const rounds, batchSize = 100, 5
	var group sync.WaitGroup
	group.Go(func() {
		for range rounds * batchSize {
			hub.Publish(system.Root, stream, []byte(`{"type":"INJURY_UPDATE"}`))
		}
	})
	group.Go(func() {
		for range rounds {
			publications := make([]Publication, 0, batchSize)
			for i := range batchSize {
				target := stream
				if i%2 == 1 {
					target = other
				}
				publications = append(publications, Publication{Stream: target, Payload: []byte(`{"type":"PLAYER_UPDATE"}`)})
			}
			hub.PublishBatch(system.Root, publications)
		}
	})
	group.Wait()

	total := 2 * rounds * batchSize
	sessionTestEventually(t, "every message", func() bool { return len(received()) == total })
	lastSeq := map[string]uint64{}
	for i, message := range received() {
		if message.Seq != lastSeq[message.Stream]+1 {
			t.Fatalf("message %d of %s has seq %d, want %d", i, message.Stream, message.Seq, lastSeq[message.Stream]+1)
		}
		lastSeq[message.Stream] = message.Seq
	}
}

func TestSessionDeliversStreamBatch(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	conn := &fakeSessionConn{}
	session := system.Root.Spawn(NewSessionProps(hub, conn, SessionConfig{}))
	system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: "00-0033873"})
	sessionTestEventually(t, "ACK", func() bool { return len(conn.sent()) == 1 })

	stream := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873")
	unfollowed := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0036389")
	hub.PublishBatch(system.Root, []Publication{
		{Stream: stream, Payload: []byte(`{"type":"PLAYER_UPDATE","n":1}`)},
		{Stream: unfollowed, Payload: []byte(`{"type":"PLAYER_UPDATE","n":2}`)},
		{Stream: stream, Payload: []byte(`{"type":"INJURY_UPDATE","n":3}`)},
	})

	sessionTestEventually(t, "both updates", func() bool { return len(conn.sent()) == 3 })
	epoch := hub.Epoch()
	wants := []string{
		`{"type":"PLAYER_UPDATE","n":1,"stream":"player:00-0033873","seq":1,"epoch":"` + epoch + `"}`,
		`{"type":"INJURY_UPDATE","n":3,"stream":"player:00-0033873","seq":2,"epoch":"` + epoch + `"}`,
	}
	for i, want := range wants {
		if got := string(conn.sent()[i+1]); got != want {
			t.Errorf("message %d = %s, want %s", i+1, got, want)
		}
	}
}
