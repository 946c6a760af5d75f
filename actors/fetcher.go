package actors

// The fetcher actor owns one sync cycle at a time: it loads a snapshot from
// the source off its mailbox, hands each player's rows and each game to the
// actor that owns it, and reports the finished cycle. It is the parent and
// supervisor of the player and game actors.
//
// It takes:
//   - *messages.Tick from the scheduler. A tick during a running cycle is
//     skipped.
//   - loadResult from its own load goroutine.
//   - *messages.DiffDone from player and game actors.
//   - *actor.Terminated when a child stopped for good.
//   - *actor.ReceiveTimeout when children did not answer in time.
//
// It sends:
//   - *messages.ObservePlayer to player actors and *messages.ObserveGame to
//     game actors.
//   - *messages.SyncFinished to the scheduler.

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

const (
	// loadTimeout bounds one poll of the source, downloads included.
	loadTimeout = 2 * time.Minute

	// diffTimeout bounds how long a cycle waits for its children's
	// DiffDone replies, so that a child that crashed mid-cycle cannot stall
	// polling.
	diffTimeout = 30 * time.Second

	// childRestartLimit and childRestartWindow stop a player or game actor
	// that keeps panicking instead of restarting it forever.
	childRestartLimit  = 3
	childRestartWindow = time.Minute
)

// loadResult carries the outcome of Source.Load back into the fetcher. It
// never leaves the node.
type loadResult struct {
	cycle    uint64
	snapshot *messages.Snapshot
	err      error
}

type fetcherActor struct {
	source messages.Source
	clock  messages.Clock
	scorer *actor.PID
	hub    *Hub
	logger *slog.Logger

	players map[string]*actor.PID
	games   map[string]*actor.PID

	cycle     uint64
	busy      bool
	scheduler *actor.PID
	started   time.Time
	snapshot  *messages.Snapshot
	pending   int
	deltas    int
}

func newFetcherProps(source messages.Source, clock messages.Clock, scorer *actor.PID, hub *Hub, logger *slog.Logger) *actor.Props {
	supervisor := actor.NewOneForOneStrategy(childRestartLimit, childRestartWindow, func(reason interface{}) actor.Directive {
		logger.Error("child actor failed, restarting", "reason", reason)
		return actor.RestartDirective
	})
	return actor.PropsFromProducer(func() actor.Actor {
		return &fetcherActor{
			source:  source,
			clock:   clock,
			scorer:  scorer,
			hub:     hub,
			logger:  logger,
			players: make(map[string]*actor.PID),
			games:   make(map[string]*actor.PID),
		}
	}, actor.WithSupervisor(supervisor))
}

func (a *fetcherActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *messages.Tick:
		a.startCycle(ctx)

	case loadResult:
		a.handleLoad(ctx, message)

	case *messages.DiffDone:
		if message.GetCycle() != a.cycle || a.pending == 0 {
			return
		}
		a.pending--
		a.deltas += int(message.GetDeltas())
		if a.pending == 0 {
			a.finishCycle(ctx, nil)
		}

	case *actor.ReceiveTimeout:
		if a.busy && a.pending > 0 {
			a.logger.Warn("sync cycle timed out waiting for actors", "pending", a.pending, "timeout", diffTimeout)
			a.finishCycle(ctx, nil)
		}

	case *actor.Terminated:
		a.forgetChild(message.GetWho())
	}
}

// startCycle launches Source.Load in its own goroutine, so that the
// fetcher's mailbox keeps flowing while a download runs.
func (a *fetcherActor) startCycle(ctx actor.Context) {
	if ctx.Sender() != nil {
		a.scheduler = ctx.Sender()
	}
	if a.busy {
		a.logger.Info("sync cycle skipped: the previous one is still running", "cycle", a.cycle)
		return
	}

	a.busy = true
	a.cycle++
	a.started = time.Now()
	a.snapshot, a.pending, a.deltas = nil, 0, 0

	cycle, now, source := a.cycle, a.clock.Now(), a.source
	system, self := ctx.ActorSystem(), ctx.Self()
	go func() {
		loadCtx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()

		snapshot, err := source.Load(loadCtx, now)
		system.Root.Send(self, loadResult{cycle: cycle, snapshot: snapshot, err: err})
	}()
}

func (a *fetcherActor) handleLoad(ctx actor.Context, result loadResult) {
	if result.cycle != a.cycle {
		return
	}
	if result.err != nil {
		a.finishCycle(ctx, result.err)
		return
	}

	a.snapshot = result.snapshot
	a.routePlayers(ctx, result.snapshot)
	a.routeGames(ctx, result.snapshot)

	if a.pending == 0 {
		a.finishCycle(ctx, nil)
		return
	}
	ctx.SetReceiveTimeout(diffTimeout)
}

// routePlayers sends every player's rows of the snapshot, grouped by
// player_id, to that player's actor.
func (a *fetcherActor) routePlayers(ctx actor.Context, snapshot *messages.Snapshot) {
	byPlayer := make(map[string][]*messages.PlayerWeek)
	for _, row := range snapshot.PlayerWeeks {
		byPlayer[row.GetPlayerId()] = append(byPlayer[row.GetPlayerId()], row)
	}

	now := a.clock.Now
	for playerID, rows := range byPlayer {
		pid := a.child(ctx, a.players, "player-"+playerID, func() *actor.Props {
			return newPlayerProps(playerID, a.scorer, now)
		})
		ctx.Request(pid, &messages.ObservePlayer{
			Cycle:         a.cycle,
			PlayerId:      playerID,
			Weeks:         rows,
			CurrentSeason: snapshot.Season,
			CurrentWeek:   snapshot.Week,
		})
		a.pending++
	}
}

func (a *fetcherActor) routeGames(ctx actor.Context, snapshot *messages.Snapshot) {
	now := a.clock.Now
	for _, game := range snapshot.Games {
		gameID := game.GetGameId()
		pid := a.child(ctx, a.games, "game-"+gameID, func() *actor.Props {
			return newGameProps(gameID, a.hub, now, a.logger)
		})
		ctx.Request(pid, &messages.ObserveGame{Cycle: a.cycle, Game: game})
		a.pending++
	}
}

// child returns the PID registered under name, spawning and watching the
// actor on first use.
func (a *fetcherActor) child(ctx actor.Context, registry map[string]*actor.PID, name string, props func() *actor.Props) *actor.PID {
	if pid, ok := registry[name]; ok {
		return pid
	}

	pid, err := ctx.SpawnNamed(props(), name)
	if err != nil {
		// SpawnNamed fails only when the name is taken, which means the
		// registry lost track of a live child; reuse it.
		a.logger.Warn("spawn child actor failed, reusing the existing one", "name", name, "error", err)
	}
	ctx.Watch(pid)
	registry[name] = pid
	return pid
}

func (a *fetcherActor) forgetChild(pid *actor.PID) {
	for _, registry := range []map[string]*actor.PID{a.players, a.games} {
		for name, registered := range registry {
			if registered.Equal(pid) {
				a.logger.Error("child actor stopped after repeated failures", "name", name)
				delete(registry, name)
				return
			}
		}
	}
}

// finishCycle logs the cycle's one summary line and reports it to the
// scheduler. A failed load keeps every actor's state as it was.
func (a *fetcherActor) finishCycle(ctx actor.Context, err error) {
	ctx.CancelReceiveTimeout()
	a.busy = false
	duration := time.Since(a.started)

	report := &messages.SyncFinished{Ok: err == nil}
	switch {
	case errors.Is(err, messages.ErrNotPublished):
		a.logger.Info("sync cycle found no data yet", "cycle", a.cycle, "duration", duration, "error", err)

	case err != nil:
		a.logger.Error("sync cycle failed, state kept", "cycle", a.cycle, "duration", duration, "error", err)

	default:
		snapshot := a.snapshot
		report.Season, report.Week = snapshot.Season, snapshot.Week
		report.Games = currentWeekTimings(snapshot)
		a.logger.Info("sync cycle finished", "cycle", a.cycle, "season", snapshot.Season, "week", snapshot.Week,
			"player_rows", len(snapshot.PlayerWeeks), "games", len(snapshot.Games),
			"quarantined", snapshot.Quarantined, "deltas", a.deltas, "duration", duration)
	}

	if a.scheduler != nil {
		ctx.Send(a.scheduler, report)
	}
}

func currentWeekTimings(snapshot *messages.Snapshot) []*messages.GameTiming {
	var timings []*messages.GameTiming
	for _, game := range snapshot.Games {
		if game.GetSeason() != snapshot.Season || game.GetWeek() != snapshot.Week {
			continue
		}
		timings = append(timings, &messages.GameTiming{
			GameId:      game.GetGameId(),
			KickoffUnix: game.GetKickoffUnix(),
			Final:       game.GetStatus() == messages.GameStatusFinal,
		})
	}
	return timings
}
