package actors

// The game actor owns one game's last seen schedule row (teams, kickoff,
// scores, status) and is the only place where changes to it are found.
//
// It takes:
//   - *messages.ObserveGame from the fetcher: the game's row of one poll.
//     It replies *messages.DiffDone with the number of deltas (0 or 1).
//
// It sends:
//   - a GAME_SCORES message (encoded once) to the sessions subscribed to the
//     game, through the hub, when the game changed.

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

type gameActor struct {
	gameID string
	hub    *Hub
	now    func() time.Time
	logger *slog.Logger
	game   *messages.Game
}

func newGameProps(gameID string, hub *Hub, now func() time.Time, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &gameActor{gameID: gameID, hub: hub, now: now, logger: logger}
	})
}

func (a *gameActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *messages.ObserveGame:
		deltas := a.observe(ctx, message.GetGame())
		ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(deltas)})
	}
}

func (a *gameActor) observe(ctx actor.Context, game *messages.Game) int {
	seen := a.game != nil

	var changes []*messages.FieldChange
	if seen {
		changes = diffGame(a.game, game)
		if len(changes) == 0 {
			return 0
		}
	}

	a.game = game
	delta := &messages.GameDelta{
		Current:          game,
		Changes:          changes,
		FirstSeen:        !seen,
		DetectedUnixNano: a.now().UnixNano(),
	}

	payload, err := messages.EncodeGameScores(delta)
	if err != nil {
		a.logger.Error("encode GAME_SCORES failed", "game_id", a.gameID, "error", err)
		return 1
	}
	a.hub.Publish(ctx, StreamKey(messages.StreamKind_STREAM_KIND_GAME, a.gameID), payload)
	return 1
}
