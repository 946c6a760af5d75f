package actors

// The game actor owns one game: its last seen schedule row from nflverse
// (teams, kickoff, scores, status), its last live state from ESPN
// (status, scores, quarter, clock, situation), and the merge of the two
// that clients see. It is the only place where changes to the game are
// found.
//
// Merge policy: nflverse's final row wins over anything. Otherwise a live
// ESPN observation wins over nflverse's "scheduled" row, and the game is
// provisional. A situation field (possession, down and distance) that ESPN
// stops reporting is not a change by itself, unless the status changed.
//
// It runs either as a child of the fetcher (standalone) or as the cluster
// kind KindGame, whose identity is the game_id, on the member that the
// cluster's identity lookup places it on. Its messages then reach the other
// members' sessions through the hub relay.
//
// On activation it rehydrates from the StateKeeper. A rehydrated
// provisional game keeps counting as live, so that nflverse's "scheduled"
// row cannot flip it back.
//
// It takes:
//   - *messages.ObserveGame from the fetcher: the game's row of one poll.
//     It replies *messages.DiffDone with the number of deltas (0 or 1).
//   - *messages.ObserveLiveGame from the live poller: the game on one ESPN
//     scoreboard. No reply.
//   - *messages.Remirror from the fetcher: write the game to the mirror again.
//
// It sends:
//   - a GAME_SCORES message (encoded once) to the sessions subscribed to the
//     game, and for a game of the current week to the scoreboard stream,
//     through the hub, when the game changed.
//   - the game to the StateKeeper after every change, with the detection
//     time of its last announced change. In a cluster it does so only once
//     every other node's hub relay received the message (Hub.WaitRelayed).

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

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

	// game is the merged game that clients saw last, and detected the
	// detection time of its last announced change (0 when unknown). The
	// StateKeeper gets game stamped with detected, while game itself is
	// kept without it, so that proto.Equal compares the content only.
	game     *messages.Game
	detected int64

	// schedule is nflverse's last row and live is ESPN's last
	// observation. Each is nil until seen.
	schedule *messages.Game
	live     *messages.Game
}

func newGameProps(gameID string, hub *Hub, state *StateKeeper, recorder *metrics.Metrics, now func() time.Time, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &gameActor{gameID: gameID, hub: hub, state: state, metrics: recorder, now: now, logger: logger}
	})
}

// newGameKindProps returns the props of the cluster kind KindGame. Its
// actors learn their game_id from the cluster identity.
func newGameKindProps(hub *Hub, state *StateKeeper, recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return newGameProps("", hub, state, recorder, time.Now, logger)
}

func (a *gameActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		if a.gameID == "" {
			a.gameID = clusterIdentity(ctx)
		}
		a.rehydrate()

	case *messages.Remirror:
		if a.game != nil {
			a.state.MirrorGame(stampGame(a.game, a.detected))
		}

	case *messages.ObserveGame:
		a.schedule = message.GetGame()
		deltas := a.update(ctx, message.GetCurrentSeason(), message.GetCurrentWeek())
		ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(deltas)})

	case *messages.ObserveLiveGame:
		a.live = message.GetGame()
		a.update(ctx, message.GetCurrentSeason(), message.GetCurrentWeek())
	}
}

// update merges the schedule row and the live observation, and publishes
// the merged game when it changed. It returns the number of deltas.
func (a *gameActor) update(ctx actor.Context, currentSeason, currentWeek int32) int {
	game := mergeGame(a.schedule, a.live, a.game)
	seen := a.game != nil

	var changes []*messages.FieldChange
	if seen {
		changes = diffMergedGame(a.game, game)
		if len(changes) == 0 {
			if !proto.Equal(a.game, game) {
				// Only a situation field went unreported: keep it
				// unreported, but announce nothing.
				a.game = game
				a.state.PutGame(stampGame(game, a.detected))
			}
			return 0
		}
	}

	detected := a.now().UnixNano()
	a.metrics.Deltas.WithLabelValues(metrics.DeltaGame).Inc()
	delta := &messages.GameDelta{
		Current:          game,
		Changes:          changes,
		FirstSeen:        !seen,
		DetectedUnixNano: detected,
	}

	payload, err := messages.EncodeGameScores(delta)
	if err != nil {
		a.logger.Error("encode GAME_SCORES failed", "game_id", a.gameID, "error", err)
		a.commit(game, detected)
		return 1
	}
	version := itemVersion{key: gameItem(a.gameID), detected: detected}
	a.hub.publishChange(ctx, StreamKey(messages.StreamKind_STREAM_KIND_GAME, a.gameID), payload, version)
	if game.GetSeason() == currentSeason && game.GetWeek() == currentWeek {
		a.hub.publishChange(ctx, StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID), payload, version)
	}

	// In a cluster the game is kept only once every other node received
	// the message. A node that dies before its hub relayed it therefore
	// cannot lose the change, because the actor activated again on a
	// survivor finds it again, and the hubs that had it drop the repeat.
	// Standalone, WaitRelayed returns at once.
	if err := a.hub.WaitRelayed(relayConfirmTimeout); err != nil {
		a.logger.Warn("other nodes did not confirm the game's message, keeping the old game for the next poll",
			"game_id", a.gameID, "error", err)
		return 1
	}
	a.commit(game, detected)
	return 1
}

// commit keeps game as the game that clients saw last and hands it to the
// StateKeeper.
func (a *gameActor) commit(game *messages.Game, detected int64) {
	a.game = game
	a.detected = detected
	a.state.PutGame(stampGame(game, detected))
}

func (a *gameActor) rehydrate() {
	saved, found, err := a.state.Game(context.Background(), a.gameID)
	if err != nil {
		a.logger.Error("rehydrate game failed, starting empty", "game_id", a.gameID, "error", err)
		return
	}
	if found {
		a.game = stampGame(saved, 0)
		a.detected = saved.GetDetectedUnixNano()
		if saved.GetProvisional() {
			a.live = a.game
		}
	}
}

// stampGame returns a copy of game with DetectedUnixNano set. game itself
// may be the source's row, shared with the fetcher, so it is not modified.
func stampGame(game *messages.Game, detectedUnixNano int64) *messages.Game {
	stamped := proto.Clone(game).(*messages.Game)
	stamped.DetectedUnixNano = detectedUnixNano
	return stamped
}

// mergeGame returns the game that clients see: nflverse's row when it is
// final or when ESPN has not reported the game, else the live observation
// on top of the schedule row's kickoff, location and game type. previous,
// the last merged game, stands in for a schedule row not seen since the
// actor started.
func mergeGame(schedule, live, previous *messages.Game) *messages.Game {
	if live == nil || schedule.GetStatus() == messages.GameStatusFinal {
		return schedule
	}

	base := schedule
	if base == nil {
		base = previous
	}
	merged := proto.Clone(live).(*messages.Game)
	merged.Provisional = true
	if base != nil {
		merged.GameType = base.GetGameType()
		merged.KickoffUnix = base.GetKickoffUnix()
		merged.Location = base.GetLocation()
	}
	return merged
}

// diffMergedGame returns the changes between two merged games: the
// schedule fields, the live fields and the provisional flag. A situation
// field that became absent is left out unless the status changed too,
// because ESPN stops reporting the situation after timeouts and scores.
func diffMergedGame(previous, current *messages.Game) []*messages.FieldChange {
	changes := diffGame(previous, current)

	statusChanged := previous.GetStatus() != current.GetStatus()
	situation := func(field string, before, after *string) {
		if after == nil && !statusChanged {
			return
		}
		changes = appendNullableChange(changes, field, before, after)
	}
	changes = appendNullableChange(changes, "quarter", formatScore(previous.Quarter), formatScore(current.Quarter))
	changes = appendNullableChange(changes, "clock", previous.Clock, current.Clock)
	situation("possession", previous.Possession, current.Possession)
	situation("down", formatScore(previous.Down), formatScore(current.Down))
	situation("distance", formatScore(previous.Distance), formatScore(current.Distance))
	situation("yard_line", formatScore(previous.YardLine), formatScore(current.YardLine))
	situation("down_distance_text", previous.DownDistanceText, current.DownDistanceText)
	return appendTextChange(changes, "provisional",
		strconv.FormatBool(previous.GetProvisional()), strconv.FormatBool(current.GetProvisional()))
}
