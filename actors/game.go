package actors

// The game actor owns one game's last seen schedule row (teams, kickoff,
// scores, status) and is the only place where changes to it are found.
//
// On activation it rehydrates from the StateKeeper.
//
// It takes:
//   - *messages.ObserveGame from the fetcher: the game's row of one poll.
//     It replies *messages.DiffDone with the number of deltas (0 or 1).
//   - *messages.Remirror from the fetcher: write the game again.
//
// It sends:
//   - a GAME_SCORES message (encoded once) to the sessions subscribed to the
//     game, and for a game of the current week to the scoreboard stream,
//     through the hub, when the game changed.
//   - the game to the StateKeeper after every change.

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

type gameActor struct {
	gameID  string
	hub     *Hub
	state   *StateKeeper
	metrics *metrics.Metrics
	now     func() time.Time
	logger  *slog.Logger
	game    *messages.Game
}

func newGameProps(gameID string, hub *Hub, state *StateKeeper, recorder *metrics.Metrics, now func() time.Time, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &gameActor{gameID: gameID, hub: hub, state: state, metrics: recorder, now: now, logger: logger}
	})
}

func (a *gameActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		a.rehydrate()

	case *messages.Remirror:
		if a.game != nil {
			a.state.PutGame(a.game)
		}

	case *messages.ObserveGame:
		deltas := a.observe(ctx, message)
		ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(deltas)})
	}
}

func (a *gameActor) observe(ctx actor.Context, message *messages.ObserveGame) int {
	game := message.GetGame()
	seen := a.game != nil

	var changes []*messages.FieldChange
	if seen {
		changes = diffGame(a.game, game)
		if len(changes) == 0 {
			return 0
		}
	}

	a.game = game
	a.state.PutGame(game)
	a.metrics.Deltas.WithLabelValues(metrics.DeltaGame).Inc()
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
	if game.GetSeason() == message.GetCurrentSeason() && game.GetWeek() == message.GetCurrentWeek() {
		a.hub.Publish(ctx, StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID), payload)
	}
	return 1
}

func (a *gameActor) rehydrate() {
	saved, found, err := a.state.Game(context.Background(), a.gameID)
	if err != nil {
		a.logger.Error("rehydrate game failed, starting empty", "game_id", a.gameID, "error", err)
		return
	}
	if found {
		a.game = saved
	}
}
