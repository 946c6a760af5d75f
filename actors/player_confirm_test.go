package actors

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// confirmingScorer replaces the polling node's scorer: it records each
// PublishPlayerUpdates and replies with the next error of replies ("" for
// a confirmation).
type confirmingScorer struct {
	replies  chan string
	requests chan *messages.PublishPlayerUpdates
}

func (s *confirmingScorer) Receive(ctx actor.Context) {
	if request, ok := ctx.Message().(*messages.PublishPlayerUpdates); ok {
		s.requests <- request
		ctx.Respond(&messages.PlayerUpdatesPublished{Error: <-s.replies})
	}
}

// next returns the next request, failing the test when none comes.
func (s *confirmingScorer) next(t *testing.T) *messages.PublishPlayerUpdates {
	t.Helper()
	select {
	case request := <-s.requests:
		return request
	case <-time.After(5 * time.Second):
		t.Fatal("the player actor sent the scorer no PublishPlayerUpdates")
		return nil
	}
}

// TestPlayerKeepsRowsOnlyAfterConfirmation observes one row twice with a
// scorer that first fails to confirm. The first poll must keep nothing,
// so the second finds and sends the same change again and keeps it.
func TestPlayerKeepsRowsOnlyAfterConfirmation(t *testing.T) {
	system := newSessionTestSystem(t)
	registry, err := NewRuleSetRegistry(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	keeper := NewStateKeeper(inmem.New(), nil, nil, nil)
	scorer := &confirmingScorer{replies: make(chan string, 2), requests: make(chan *messages.PublishPlayerUpdates, 2)}
	scorerPID := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return scorer }))
	scoring := &deltaScorer{registry: registry, metrics: metrics.New(), logger: slog.Default()}
	player := system.Root.Spawn(newPlayerProps(snapshotTestPlayer, nil, scoring, keeper, time.Now, slog.Default(), nil))

	observe := func(cycle uint64) *messages.DiffDone {
		t.Helper()
		reply, err := system.Root.RequestFuture(player, &messages.ObservePlayer{
			Cycle: cycle, PlayerId: snapshotTestPlayer,
			Weeks:         []*messages.PlayerWeek{quarterbackWeek("KC", "passing_yards", "262")},
			CurrentSeason: 2024, CurrentWeek: 5,
			ScorerAddress: scorerPID.GetAddress(), ScorerId: scorerPID.GetId(),
		}, 5*time.Second).Result()
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		return reply.(*messages.DiffDone)
	}

	scorer.replies <- "member 127.0.0.1:6330: future: timeout"
	if done := observe(1); done.GetDeltas() != 0 {
		t.Errorf("unconfirmed cycle reported %d deltas, want 0", done.GetDeltas())
	}
	if request := scorer.next(t); len(request.GetUpdates()) != 1 {
		t.Errorf("first request has %d updates, want 1", len(request.GetUpdates()))
	}
	if _, found, _ := keeper.PeekPlayer(context.Background(), snapshotTestPlayer); found {
		t.Error("the StateKeeper has the player after an unconfirmed cycle, want nothing kept")
	}

	scorer.replies <- ""
	if done := observe(2); done.GetDeltas() != 1 {
		t.Errorf("confirmed cycle reported %d deltas, want 1", done.GetDeltas())
	}
	request := scorer.next(t)
	if len(request.GetUpdates()) != 1 || !request.GetUpdates()[0].GetDelta().GetFirstSeen() {
		t.Errorf("second request %v, want the same first-seen week again", request.GetUpdates())
	}
	state, found, err := keeper.PeekPlayer(context.Background(), snapshotTestPlayer)
	if err != nil || !found || len(state.GetWeeks()) != 1 {
		t.Errorf("StateKeeper after the confirmed cycle: %v, found %v, error %v; want week 5", state, found, err)
	}
}

// TestGameKeptOnlyAfterRelayConfirmed observes one game twice while the
// other nodes first fail to confirm the relayed message. The first
// observation must keep nothing, so the second publishes the game again and
// keeps it.
func TestGameKeptOnlyAfterRelayConfirmed(t *testing.T) {
	system := newSessionTestSystem(t)
	hub := NewHub()
	failures := make(chan error, 1)
	failures <- errors.New("member 127.0.0.1:6330: future: timeout")
	hub.SetRelayBarrier(func(time.Duration) error {
		select {
		case err := <-failures:
			return err
		default:
			return nil
		}
	})
	keeper := NewStateKeeper(inmem.New(), nil, nil, nil)
	const gameID = "2024_05_KC_NO"
	game := system.Root.Spawn(newGameProps(gameID, hub, keeper, metrics.New(), time.Now, slog.Default()))
	stream := StreamKey(messages.StreamKind_STREAM_KIND_GAME, gameID)

	observe := func(cycle uint64) {
		t.Helper()
		_, err := system.Root.RequestFuture(game, &messages.ObserveGame{Cycle: cycle, Game: &messages.Game{
			GameId: gameID, Season: 2024, Week: 5, HomeTeam: "NO", AwayTeam: "KC", Status: messages.GameStatusFinal,
		}}, 5*time.Second).Result()
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
	}

	observe(1)
	if _, found, _ := keeper.PeekGame(context.Background(), gameID); found {
		t.Error("the StateKeeper has the game after an unconfirmed relay, want nothing kept")
	}
	if seq := hub.Seq(stream); seq != 1 {
		t.Errorf("game stream at seq %d after the first observation, want 1", seq)
	}

	observe(2)
	if _, found, _ := keeper.PeekGame(context.Background(), gameID); !found {
		t.Error("the StateKeeper has no game after a confirmed relay, want it kept")
	}
	if seq := hub.Seq(stream); seq != 2 {
		t.Errorf("game stream at seq %d after the second observation, want 2: the change sent again", seq)
	}
}
