package actors

// The player actor owns one player's last seen weekly stats rows, one per
// season and week, and is the only place where changes to them are found.
//
// It also holds provisional rows: live stat lines from ESPN for weeks that
// nflverse has not published yet. nflverse wins: once nflverse's row of a
// week arrives, ESPN's rows of that week are ignored. The nflverse row
// that replaces a provisional row is sent once, with provisional false.
// When the two rows differ it is a correction with every difference. When
// they are equal it has no changes, so that clients learn the row is final.
//
// It runs either as a child of the fetcher (standalone) or as the cluster
// kind KindPlayer, whose identity is the gsis_id, on the member that the
// cluster's identity lookup places it on.
//
// On activation (start, restart after a panic, or activation on another
// member after its node died) it rehydrates from the StateKeeper, so a
// restart does not announce every week again.
// Provisional rows are not mirrored or stored, so a restart forgets them
// and the next live poll announces them again.
//
// It takes:
//   - *messages.ObservePlayer from the fetcher: the player's rows of one poll.
//     It replies *messages.DiffDone with the number of deltas. A message
//     that names a scorer makes the deltas go to that scorer, which is how a
//     cluster kind on another node reaches the polling node's scorer.
//   - *messages.ObserveLivePlayer from the live poller: the player's ESPN
//     row of one summary poll. No reply.
//   - *messages.Remirror from the fetcher: write the whole state again.
//
// It sends:
//   - *messages.PlayerUpdate to the scorer, once per changed player-week:
//     the delta with its points, which the actor computes itself when it
//     has a deltaScorer, so that scoring runs on every core.
//   - *messages.PlayerStatsDelta to the scorer instead, for the scorer to
//     score, when it has none (the live poller's player actors). A
//     delta of an ESPN row is provisional.
//   - its nflverse rows to the StateKeeper after every change, each with
//     the detection time of its last change.

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// seasonWeek keys a player's rows.
type seasonWeek struct {
	season int32
	week   int32
}

type playerActor struct {
	playerID string
	scorer   *actor.PID
	scoring  *deltaScorer // nil sends unscored deltas to the scorer
	state    *StateKeeper
	now      func() time.Time
	logger   *slog.Logger
	hook     func(playerID string) // nil except in tests
	weeks    map[seasonWeek]*messages.PlayerWeek

	// live are the provisional ESPN rows of weeks without an nflverse row.
	live map[seasonWeek]*messages.PlayerWeek

	// outbox holds the deltas of the poll being observed until the state
	// was handed to the StateKeeper; it is reused between polls.
	outbox []outgoingDelta

	// publishing is true while the actor waits for the scorer to confirm
	// a poll's changes, and stashed is the newest ObservePlayer that
	// arrived meanwhile.
	publishing bool
	stashed    *stashedObserve
}

type stashedObserve struct {
	message *messages.ObservePlayer
	sender  *actor.PID
}

// outgoingDelta is a delta waiting to be sent, with the row it replaced
// (nil for a new row) for scoring the points before the change.
type outgoingDelta struct {
	previous *messages.PlayerWeek
	delta    *messages.PlayerStatsDelta
}

func newPlayerProps(playerID string, scorer *actor.PID, scoring *deltaScorer, state *StateKeeper, now func() time.Time,
	logger *slog.Logger, hook func(playerID string)) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &playerActor{playerID: playerID, scorer: scorer, scoring: scoring, state: state, now: now, logger: logger, hook: hook}
	}, actor.WithDispatcher(playerDispatcher()))
}

// newPlayerKindProps returns the props of the cluster kind KindPlayer. Its
// actors learn their gsis_id from the cluster identity and their scorer
// from each ObservePlayer.
func newPlayerKindProps(scoring *deltaScorer, state *StateKeeper, logger *slog.Logger) *actor.Props {
	return newPlayerProps("", nil, scoring, state, time.Now, logger, nil)
}

func (a *playerActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		if a.playerID == "" {
			a.playerID = clusterIdentity(ctx)
		}
		a.rehydrate()

	case *messages.ObservePlayer:
		if a.publishing {
			a.stash(ctx, message)
			return
		}
		a.handleObserve(ctx, message, ctx.Sender())

	case *messages.ObserveLivePlayer:
		a.observeLive(ctx, message.GetWeek())

	case *messages.Remirror:
		a.state.PutPlayer(a.snapshot(), nil)
	}
}

// handleObserve finds the changes in one poll's rows and replies DiffDone
// to sender once they are sent, or, for a message that names a scorer,
// once that scorer published them.
func (a *playerActor) handleObserve(ctx actor.Context, message *messages.ObservePlayer, sender *actor.PID) {
	if a.hook != nil {
		a.hook(a.playerID)
	}
	a.scorer = scorerOf(message, a.scorer)
	changed := a.observe(message)
	if len(changed) > 0 && message.GetScorerId() != "" && a.scoring != nil {
		a.publishThenCommit(ctx, message, sender, changed)
		return
	}

	// The deltas leave after the state was handed over, so that a
	// mirror in write-through mode has it before any client hears of it.
	a.commit(changed)
	for _, outgoing := range a.outbox {
		a.send(ctx, outgoing.previous, outgoing.delta)
	}
	a.clearOutbox()
	ctx.Send(sender, &messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(len(changed))})
}

// playerPublishTimeout bounds the wait for the scorer's
// PlayerUpdatesPublished. The scorer publishes within publicationDelay, or
// at once at the end of the cycle, so only a dead or cut-off polling node
// makes it run out.
const playerPublishTimeout = 15 * time.Second

// publishThenCommit sends the poll's scored changes to the scorer of the
// polling node as one request and keeps the new rows only when the scorer
// replied that it published them and that every other node received them. When the polling node dies first, the
// actor keeps its old rows, so the next poll, from the node that takes
// over, finds and sends the same changes again. A change that was
// published but not acknowledged is then sent twice, and the hubs drop the
// repeat because its content equals their last payload of that item
// (actors/hub_dedupe.go). Messages that arrive meanwhile wait in a stash.
func (a *playerActor) publishThenCommit(ctx actor.Context, message *messages.ObservePlayer, sender *actor.PID,
	changed []*messages.PlayerWeek) {
	request := &messages.PublishPlayerUpdates{Updates: make([]*messages.PlayerUpdate, 0, len(a.outbox))}
	for _, outgoing := range a.outbox {
		if update, ok := a.scoring.score(outgoing.delta, outgoing.previous); ok {
			request.Updates = append(request.Updates, update)
		}
	}
	a.clearOutbox()

	a.publishing = true
	future := ctx.RequestFuture(a.scorer, request, playerPublishTimeout)
	ctx.ReenterAfter(future, func(reply any, err error) {
		a.publishing = false
		deltas := len(changed)
		if published, ok := reply.(*messages.PlayerUpdatesPublished); ok && published.GetError() != "" {
			err = errors.New(published.GetError())
		}
		if err != nil {
			// Debug, because a polling node that dies leaves every
			// player actor of its last cycle here; the scorer logs its
			// own failures once per batch.
			a.logger.Debug("scorer did not confirm the player's changes, keeping the old rows for the next poll",
				"player_id", a.playerID, "cycle", message.GetCycle(), "error", err)
			deltas = 0
		} else {
			a.commit(changed)
		}
		ctx.Send(sender, &messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(deltas)})

		if stashed := a.stashed; stashed != nil {
			a.stashed = nil
			a.handleObserve(ctx, stashed.message, stashed.sender)
		}
	})
}

// stash keeps an ObservePlayer that arrived while the actor waited for the
// scorer. Only the newest is kept, because each poll carries every row of
// the player. The one it replaces gets a DiffDone with no deltas.
func (a *playerActor) stash(ctx actor.Context, message *messages.ObservePlayer) {
	if a.stashed != nil {
		ctx.Send(a.stashed.sender, &messages.DiffDone{Cycle: a.stashed.message.GetCycle()})
	}
	a.stashed = &stashedObserve{message: message, sender: ctx.Sender()}
}

// commit keeps the changed rows as the player's state, drops the
// provisional rows they replace and hands the state to the StateKeeper.
func (a *playerActor) commit(changed []*messages.PlayerWeek) {
	if len(changed) == 0 {
		return
	}
	for _, row := range changed {
		key := seasonWeek{season: row.GetSeason(), week: row.GetWeek()}
		a.weeks[key] = row
		delete(a.live, key)
	}
	a.state.PutPlayer(a.snapshot(), changed)
}

func (a *playerActor) clearOutbox() {
	for i := range a.outbox {
		a.outbox[i] = outgoingDelta{}
	}
	a.outbox = a.outbox[:0]
}

// rehydrate loads the state this player had before the actor started. When
// that fails the actor starts empty, and the next poll announces the
// player's rows again.
func (a *playerActor) rehydrate() {
	a.weeks = make(map[seasonWeek]*messages.PlayerWeek)
	a.live = make(map[seasonWeek]*messages.PlayerWeek)

	saved, found, err := a.state.Player(context.Background(), a.playerID)
	if err != nil {
		a.logger.Error("rehydrate player failed, starting empty", "player_id", a.playerID, "error", err)
		return
	}
	if !found {
		return
	}
	for _, row := range saved.GetWeeks() {
		a.weeks[seasonWeek{season: row.GetSeason(), week: row.GetWeek()}] = row
	}
}

// snapshot returns the actor's rows as a PlayerState sorted by season and
// week. The rows are shared, never modified.
func (a *playerActor) snapshot() *messages.PlayerState {
	state := &messages.PlayerState{PlayerId: a.playerID, Weeks: make([]*messages.PlayerWeek, 0, len(a.weeks))}
	for _, row := range a.weeks {
		state.Weeks = append(state.Weeks, row)
	}
	sort.Slice(state.Weeks, func(i, j int) bool {
		left, right := state.Weeks[i], state.Weeks[j]
		if left.GetSeason() != right.GetSeason() {
			return left.GetSeason() < right.GetSeason()
		}
		return left.GetWeek() < right.GetWeek()
	})
	return state
}

// observe compares each row with the last one seen for its week, queues one
// delta per changed week in the outbox and returns the changed rows. It
// keeps nothing: commit does, once the changes may be kept.
func (a *playerActor) observe(message *messages.ObservePlayer) []*messages.PlayerWeek {
	if len(a.weeks) == 0 {
		// A first poll brings every week played so far, and usually a
		// delta for each. The outbox is sized for them at once rather than
		// grown by appends, and keeps that capacity for later polls.
		a.weeks = make(map[seasonWeek]*messages.PlayerWeek, len(message.GetWeeks()))
		if cap(a.outbox) < len(message.GetWeeks()) {
			a.outbox = make([]outgoingDelta, 0, len(message.GetWeeks()))
		}
	}

	var changed []*messages.PlayerWeek
	for _, row := range message.GetWeeks() {
		key := seasonWeek{season: row.GetSeason(), week: row.GetWeek()}
		previous, seen := a.weeks[key]

		// nflverse's first row of a week replaces the provisional row,
		// and is sent even when equal, to clear the provisional flag.
		provisional, replacing := a.live[key]
		if replacing && !seen {
			previous, seen = provisional, true
		}

		var changes []*messages.FieldChange
		if seen {
			changes = diffPlayerWeek(previous, row)
			if len(changes) == 0 && !replacing {
				continue
			}
		}

		// The row carries its detection time, so that a snapshot can
		// tell whether the hub has published this version yet.
		detected := a.now().UnixNano()
		stored := stampPlayerWeek(row, detected)
		if changed == nil {
			changed = make([]*messages.PlayerWeek, 0, len(message.GetWeeks()))
		}
		changed = append(changed, stored)
		a.outbox = append(a.outbox, outgoingDelta{previous: previous, delta: &messages.PlayerStatsDelta{
			Current:   stored,
			Changes:   changes,
			FirstSeen: !seen,
			Correction: len(changes) > 0 &&
				(replacing || isEarlierWeek(key, message.GetCurrentSeason(), message.GetCurrentWeek())),
			DetectedUnixNano: detected,
		}})
	}
	return changed
}

// send scores delta, found against the row previous (nil for a new row),
// when the actor has a deltaScorer and sends the update to the scorer, or
// sends the delta unscored. A row that fails to score is logged by the
// deltaScorer and not sent.
func (a *playerActor) send(ctx actor.Context, previous *messages.PlayerWeek, delta *messages.PlayerStatsDelta) {
	if a.scoring == nil {
		ctx.Send(a.scorer, delta)
		return
	}

	if update, ok := a.scoring.score(delta, previous); ok {
		ctx.Send(a.scorer, update)
	}
}

// observeLive compares a provisional ESPN row with the last one of its
// week and sends a provisional delta when it changed. A week that nflverse
// has published ignores ESPN.
func (a *playerActor) observeLive(ctx actor.Context, row *messages.PlayerWeek) {
	key := seasonWeek{season: row.GetSeason(), week: row.GetWeek()}
	if _, published := a.weeks[key]; published {
		return
	}

	previous, seen := a.live[key]
	var changes []*messages.FieldChange
	if seen {
		changes = diffPlayerWeek(previous, row)
		if len(changes) == 0 {
			return
		}
	}

	a.live[key] = row
	a.send(ctx, previous, &messages.PlayerStatsDelta{
		Current:          row,
		Changes:          changes,
		FirstSeen:        !seen,
		Provisional:      true,
		DetectedUnixNano: a.now().UnixNano(),
	})
}

// stampPlayerWeek returns a copy of row with DetectedUnixNano set. The copy
// shares the stats, which are never modified, and leaves row alone because
// the source's rows are shared with the fetcher.
func stampPlayerWeek(row *messages.PlayerWeek, detectedUnixNano int64) *messages.PlayerWeek {
	return &messages.PlayerWeek{
		Season:            row.GetSeason(),
		Week:              row.GetWeek(),
		SeasonType:        row.GetSeasonType(),
		PlayerId:          row.GetPlayerId(),
		PlayerName:        row.GetPlayerName(),
		PlayerDisplayName: row.GetPlayerDisplayName(),
		Position:          row.GetPosition(),
		Team:              row.GetTeam(),
		OpponentTeam:      row.GetOpponentTeam(),
		GameId:            row.GetGameId(),
		Stats:             row.GetStats(),
		DetectedUnixNano:  detectedUnixNano,
	}
}

// isEarlierWeek reports whether key is before the current season and week.
func isEarlierWeek(key seasonWeek, currentSeason, currentWeek int32) bool {
	if key.season != currentSeason {
		return key.season < currentSeason
	}
	return key.week < currentWeek
}
