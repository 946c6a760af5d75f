package actors

// The fetcher actor owns one sync cycle at a time: it loads a snapshot from
// the source off its mailbox, hands each player's rows and each game to the
// actor that owns it, and reports the finished cycle. Standalone, it is the
// parent and supervisor of the player and game actors. In a cluster they
// are virtual actors (KindPlayer, KindGame), which its Placement locates on
// whichever member owns them. It is then the parent of the roster and
// injury actors only.
//
// It takes:
//   - *messages.Tick from the scheduler. A tick during a running cycle is
//     skipped.
//   - loadResult from its own load goroutine.
//   - *messages.DiffDone from player and game actors.
//   - *actor.DeadLetterResponse when a located actor was gone: the
//     Placement drops it, and the next cycle activates it again.
//   - *actor.Terminated when a child stopped for good.
//   - cycleTimedOut from its own timer when actors did not reply in time.
//   - *messages.Remirror, which it forwards to every child and to every
//     virtual player and game actor active on this node.
//   - releaseChildren from the pipeline when this node starts or stops
//     polling for a cluster. It stops every child, so the next cycle starts
//     actors that rehydrate from the mirror.
//
// It sends:
//   - *messages.ObservePlayer to player actors, *messages.ObserveGame to
//     game actors, *messages.ObserveRosters to the roster actor and
//     *messages.ObserveInjuries to the injury actor.
//   - *messages.SyncFinished to the scheduler and the cycle listeners.
//   - a GAME_SCORES message with every game of the new week to the
//     scoreboard stream, through the hub, when the current week changes.

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

const (
	// loadTimeout bounds one poll of the source, downloads included.
	loadTimeout = 2 * time.Minute

	// defaultDiffTimeout bounds how long a cycle waits for its children's
	// DiffDone replies, so that a child that crashed mid-cycle cannot stall
	// polling.
	defaultDiffTimeout = 30 * time.Second

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

// cycleTimedOut is the fetcher's own message that a cycle's actors did not all reply
// within diffTimeout. It never leaves the node.
type cycleTimedOut struct{ cycle uint64 }

// releaseChildren is the pipeline's request to stop the fetcher's children.
// The fetcher replies with it once they stopped. It never leaves the node.
type releaseChildren struct{}

// fetcherConfig is the fetcher's part of the pipeline configuration.
type fetcherConfig struct {
	source  messages.Source
	clock   messages.Clock
	scorer  *actor.PID
	scoring *deltaScorer // shared by the player actors
	hub     *Hub
	state   *StateKeeper
	store   messages.Store // nil records no sync runs
	metrics *metrics.Metrics
	logger  *slog.Logger

	// snapshots learns the current week after each cycle.
	snapshots *Snapshots

	// diffTimeout replaces defaultDiffTimeout when it is not zero.
	diffTimeout time.Duration

	// playerHook, when set, runs before a player actor handles an
	// ObservePlayer. Tests use it to make a player actor panic.
	playerHook func(playerID string)

	// listeners receive every SyncFinished, such as the league actors,
	// which send their per-poll batches when a cycle ends.
	listeners []*actor.PID

	// placement, when set, locates the player and game actors as cluster
	// kinds instead of spawning them as children.
	placement Placement

	// activations lists the virtual actors active on this node, for
	// Remirror; nil when there are none.
	activations *Activations
}

type fetcherActor struct {
	fetcherConfig

	players map[string]*actor.PID
	games   map[string]*actor.PID

	// nameBuffer builds player actor names without an allocation.
	nameBuffer []byte

	rows     map[string]*actor.PID // the roster and injury actors
	stopping bool

	// currentSeason and currentWeek are the week the scoreboard stream
	// last showed.
	currentSeason int32
	currentWeek   int32

	cycle     uint64
	busy      bool
	deadline  *time.Timer // sends cycleTimedOut while the cycle waits for replies
	scheduler *actor.PID
	started   time.Time
	snapshot  *messages.Snapshot
	pending   int
	deltas    int
}

func newFetcherProps(config fetcherConfig) *actor.Props {
	if config.diffTimeout == 0 {
		config.diffTimeout = defaultDiffTimeout
	}
	supervisor := &countingSupervisor{
		SupervisorStrategy: actor.NewOneForOneStrategy(childRestartLimit, childRestartWindow, func(interface{}) actor.Directive {
			return actor.RestartDirective
		}),
		metrics: config.metrics,
		logger:  config.logger,
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &fetcherActor{
			fetcherConfig: config,
			players:       make(map[string]*actor.PID),
			games:         make(map[string]*actor.PID),
			rows:          make(map[string]*actor.PID),
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

	case *actor.DeadLetterResponse:
		a.forgetLocated(ctx, message.GetTarget())

	case cycleTimedOut:
		if a.busy && message.cycle == a.cycle && a.pending > 0 {
			a.logger.Warn("sync cycle timed out waiting for actors", "cycle", a.cycle, "pending", a.pending, "timeout", a.diffTimeout)
			a.finishCycle(ctx, nil)
		}

	case *actor.Stopping:
		a.stopping = true

	case *actor.Terminated:
		if !a.stopping {
			a.forgetChild(message.GetWho())
		}

	case releaseChildren:
		a.releaseChildren(ctx)
		ctx.Respond(message)

	case *messages.Remirror:
		a.remirror(ctx, message)
	}
}

// remirror sends Remirror to every player and game actor of this node: the
// children, or the virtual actors that the cluster activated here.
func (a *fetcherActor) remirror(ctx actor.Context, message *messages.Remirror) {
	var pids []*actor.PID
	for _, registry := range []map[string]*actor.PID{a.players, a.games} {
		for _, pid := range registry {
			pids = append(pids, pid)
		}
	}
	if a.activations != nil {
		pids = append(pids, a.activations.PIDs(KindPlayer)...)
		pids = append(pids, a.activations.PIDs(KindGame)...)
	}

	a.logger.Info("writing every player and game to the mirror again", "actors", len(pids))
	for _, pid := range pids {
		ctx.Send(pid, message)
	}
}

// forgetLocated handles a located actor that was gone when its Observe
// message arrived. Its rows of this cycle are lost for now, so it counts as
// done. The next cycle sends them again to an actor that the cluster
// activates anew, and that actor finds the same changes.
func (a *fetcherActor) forgetLocated(ctx actor.Context, target *actor.PID) {
	if a.placement == nil || target == nil {
		return
	}
	a.placement.Forget(target)
	a.logger.Warn("located actor was gone, it is activated again next cycle", "actor", target.GetId())

	if a.busy && a.pending > 0 {
		a.pending--
		if a.pending == 0 {
			a.finishCycle(ctx, nil)
		}
	}
}

// startCycle launches Source.Load in its own goroutine, so that the
// fetcher's mailbox keeps flowing while a download runs.
func (a *fetcherActor) startCycle(ctx actor.Context) {
	if ctx.Sender() != nil {
		a.scheduler = ctx.Sender()
	}
	if a.busy {
		a.metrics.SyncCycles.WithLabelValues(metrics.SyncSkipped).Inc()
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
	a.routeRostersAndInjuries(ctx, result.snapshot)
	a.publishNewWeek(ctx, result.snapshot)

	if a.pending == 0 {
		a.finishCycle(ctx, nil)
		return
	}

	// A timer rather than a receive timeout, which every tick of the
	// scheduler would push back.
	system, self, cycle := ctx.ActorSystem(), ctx.Self(), a.cycle
	a.deadline = time.AfterFunc(a.diffTimeout, func() { system.Root.Send(self, cycleTimedOut{cycle: cycle}) })
}

// routePlayers sends every player's rows of the snapshot, grouped by
// player_id, to that player's actor.
func (a *fetcherActor) routePlayers(ctx actor.Context, snapshot *messages.Snapshot) {
	now := time.Now // detection times are wall-clock times, also in a replay
	groups := groupByPlayer(snapshot.PlayerWeeks, len(a.players))
	self := addressable(ctx, ctx.Self())
	located := locate(a, groups, KindPlayer, func(group []*messages.PlayerWeek) string { return group[0].GetPlayerId() })
	for i, group := range groups {
		playerID := group[0].GetPlayerId()
		observe := &messages.ObservePlayer{
			Cycle:         a.cycle,
			PlayerId:      playerID,
			Weeks:         group,
			CurrentSeason: snapshot.Season,
			CurrentWeek:   snapshot.Week,
		}

		var pid *actor.PID
		if located != nil {
			// A virtual player actor may run on another member, so
			// the message names the scorer its deltas go to.
			if pid = located[i]; pid == nil {
				continue
			}
			observe.ScorerAddress, observe.ScorerId = ctx.ActorSystem().Address(), a.scorer.GetId()
		} else {
			// The name is built in a reused buffer, and a map lookup
			// with a converted []byte key does not allocate.
			a.nameBuffer = append(append(a.nameBuffer[:0], "player-"...), playerID...)
			var ok bool
			if pid, ok = a.players[string(a.nameBuffer)]; !ok {
				pid = a.child(ctx, a.players, string(a.nameBuffer), func() *actor.Props {
					return newPlayerProps(playerID, a.scorer, a.scoring, a.state, now, a.logger, a.playerHook)
				})
			}
		}

		ctx.RequestWithCustomSender(pid, observe, self)
		a.pending++
	}
}

// locate returns the PID of each item's virtual actor of kind, in the order
// of items, or nil without a Placement. An item that cannot be placed now
// has a nil PID and is logged once per cycle with the count.
func locate[T any](a *fetcherActor, items []T, kind string, identityOf func(T) string) []*actor.PID {
	if a.placement == nil {
		return nil
	}
	pids := locateAll(a.placement, items, kind, identityOf)

	unplaced := 0
	for _, pid := range pids {
		if pid == nil {
			unplaced++
		}
	}
	if unplaced > 0 {
		a.logger.Warn("actors could not be placed, their rows wait for the next cycle", "kind", kind, "actors", unplaced)
	}
	return pids
}

// groupByPlayer returns the rows grouped by player_id, in the order of
// each player's first row. The groups share one backing array, so that a
// poll needs a few allocations rather than a slice per player.
// playersHint is the expected number of players.
func groupByPlayer(rows []*messages.PlayerWeek, playersHint int) [][]*messages.PlayerWeek {
	groupOf := make(map[string]int32, max(playersHint, len(rows)/16))
	rowGroups := make([]int32, len(rows))
	var counts []int
	for i, row := range rows {
		group, ok := groupOf[row.GetPlayerId()]
		if !ok {
			group = int32(len(counts))
			groupOf[row.GetPlayerId()] = group
			counts = append(counts, 0)
		}
		rowGroups[i] = group
		counts[group]++
	}

	backing := make([]*messages.PlayerWeek, len(rows))
	groups := make([][]*messages.PlayerWeek, len(counts))
	offset := 0
	for group, count := range counts {
		groups[group] = backing[offset : offset : offset+count]
		offset += count
	}
	for i, row := range rows {
		groups[rowGroups[i]] = append(groups[rowGroups[i]], row)
	}
	return groups
}

func (a *fetcherActor) routeGames(ctx actor.Context, snapshot *messages.Snapshot) {
	now := time.Now // detection times are wall-clock times, also in a replay
	located := locate(a, snapshot.Games, KindGame, (*messages.Game).GetGameId)
	self := addressable(ctx, ctx.Self())
	for i, game := range snapshot.Games {
		gameID := game.GetGameId()
		var pid *actor.PID
		if located != nil {
			if pid = located[i]; pid == nil {
				continue
			}
		} else {
			pid = a.child(ctx, a.games, "game-"+gameID, func() *actor.Props {
				return newGameProps(gameID, a.hub, a.state, a.metrics, now, a.logger)
			})
		}
		ctx.RequestWithCustomSender(pid, &messages.ObserveGame{
			Cycle:         a.cycle,
			Game:          game,
			CurrentSeason: snapshot.Season,
			CurrentWeek:   snapshot.Week,
		}, self)
		a.pending++
	}
}

// routeRostersAndInjuries sends the poll's roster rows to the roster actor
// and its injury rows to the injury actor. A poll without a roster file
// sends no roster rows, so the last known rosters stay.
func (a *fetcherActor) routeRostersAndInjuries(ctx actor.Context, snapshot *messages.Snapshot) {
	if snapshot.Rosters != nil {
		pid := a.child(ctx, a.rows, "rosters", func() *actor.Props {
			return newRosterProps(a.hub, a.state, a.metrics, a.logger)
		})
		ctx.Request(pid, &messages.ObserveRosters{Cycle: a.cycle, Entries: snapshot.Rosters})
		a.pending++
	}

	pid := a.child(ctx, a.rows, "injuries", func() *actor.Props {
		return newInjuryProps(a.hub, a.state, a.metrics, a.logger)
	})
	ctx.Request(pid, &messages.ObserveInjuries{
		Cycle:         a.cycle,
		Injuries:      snapshot.Injuries,
		Available:     snapshot.InjuriesAvailable,
		CurrentSeason: snapshot.Season,
		CurrentWeek:   snapshot.Week,
	})
	a.pending++
}

// publishNewWeek sends the whole current week to the scoreboard stream when
// the current week changed, because its games may not change for days and
// the game actors publish only changes.
func (a *fetcherActor) publishNewWeek(ctx actor.Context, snapshot *messages.Snapshot) {
	if snapshot.Season == a.currentSeason && snapshot.Week == a.currentWeek {
		return
	}
	a.currentSeason, a.currentWeek = snapshot.Season, snapshot.Week

	var deltas []*messages.GameDelta
	for _, game := range snapshot.Games {
		if game.GetSeason() == snapshot.Season && game.GetWeek() == snapshot.Week {
			deltas = append(deltas, &messages.GameDelta{Current: game, DetectedUnixNano: time.Now().UnixNano()})
		}
	}
	if len(deltas) == 0 {
		return
	}

	payload, err := messages.EncodeGameScores(deltas...)
	if err != nil {
		a.logger.Error("encode GAME_SCORES of the new week failed", "season", snapshot.Season, "week", snapshot.Week, "error", err)
		return
	}
	a.hub.Publish(ctx, StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID), payload)
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

// releaseChildren stops every child and waits for each, so that a child
// spawned later under the same name is a new actor that rehydrates. The
// children are unwatched first, so their Terminated cannot remove the new
// ones from the registries.
func (a *fetcherActor) releaseChildren(ctx actor.Context) {
	released := 0
	for _, registry := range []map[string]*actor.PID{a.players, a.games, a.rows} {
		for name, pid := range registry {
			ctx.Unwatch(pid)
			if err := ctx.StopFuture(pid).Wait(); err != nil {
				a.logger.Warn("child actor did not stop in time", "name", name, "error", err)
			}
			delete(registry, name)
			released++
		}
	}
	a.currentSeason, a.currentWeek = 0, 0
	a.logger.Info("player and game actors released", "actors", released)
}

func (a *fetcherActor) forgetChild(pid *actor.PID) {
	for _, registry := range []map[string]*actor.PID{a.players, a.games, a.rows} {
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
	if a.deadline != nil {
		a.deadline.Stop()
		a.deadline = nil
	}
	a.busy = false
	duration := time.Since(a.started)

	report := &messages.SyncFinished{Ok: err == nil}
	a.metrics.SyncDuration.Observe(duration.Seconds())
	switch {
	case errors.Is(err, messages.ErrNotPublished):
		a.metrics.SyncCycles.WithLabelValues(metrics.SyncNotPublished).Inc()
		a.logger.Info("sync cycle found no data yet", "cycle", a.cycle, "duration", duration, "error", err)

	case err != nil:
		a.metrics.SyncCycles.WithLabelValues(metrics.SyncError).Inc()
		a.logger.Error("sync cycle failed, state kept", "cycle", a.cycle, "duration", duration, "error", err)

	default:
		a.metrics.SyncCycles.WithLabelValues(metrics.SyncOK).Inc()
		a.metrics.LastSuccessfulSync.SetToCurrentTime()
		a.metrics.RowsQuarantined.Add(float64(a.snapshot.Quarantined))
		snapshot := a.snapshot
		report.Season, report.Week = snapshot.Season, snapshot.Week
		report.Games = currentWeekTimings(snapshot)
		if a.snapshots != nil {
			a.snapshots.observeCycle(snapshot)
		}
		a.logger.Info("sync cycle finished", "cycle", a.cycle, "season", snapshot.Season, "week", snapshot.Week,
			"player_rows", len(snapshot.PlayerWeeks), "games", len(snapshot.Games),
			"quarantined", snapshot.Quarantined, "deltas", a.deltas, "duration", duration)
	}

	if a.scheduler != nil {
		ctx.Send(a.scheduler, report)
	}
	for _, listener := range a.listeners {
		ctx.Send(listener, report)
	}
	a.recordRun(report, err, duration)
}

// recordRun inserts the cycle's sync run into the store in the background;
// sync runs are inserts with their own ids, so they never race.
func (a *fetcherActor) recordRun(report *messages.SyncFinished, err error, duration time.Duration) {
	if a.store == nil {
		return
	}

	run := messages.SyncRun{
		StartedAt: a.started,
		Duration:  duration,
		Season:    report.GetSeason(),
		Week:      report.GetWeek(),
		OK:        err == nil,
		Deltas:    a.deltas,
	}
	if err != nil {
		run.Error = err.Error()
	}
	if a.snapshot != nil {
		run.PlayerRows = len(a.snapshot.PlayerWeeks)
		run.GameRows = len(a.snapshot.Games)
		run.Quarantined = a.snapshot.Quarantined
	}

	store, logger, cycle := a.store, a.logger, a.cycle
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), stateWriteTimeout)
		defer cancel()
		if err := store.InsertSyncRun(ctx, run); err != nil {
			logger.Warn("record sync run failed", "cycle", cycle, "error", err)
		}
	}()
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

// countingSupervisor is the fetcher's one-for-one strategy for player and
// game actors, which also counts and logs each failure by actor kind.
type countingSupervisor struct {
	actor.SupervisorStrategy
	metrics *metrics.Metrics
	logger  *slog.Logger
}

func (s *countingSupervisor) HandleFailure(system *actor.ActorSystem, supervisor actor.Supervisor, child *actor.PID,
	statistics *actor.RestartStatistics, reason interface{}, message interface{}) {
	kind := metrics.ActorGame
	if strings.Contains(child.GetId(), "/player-") {
		kind = metrics.ActorPlayer
	}
	s.metrics.ActorRestarts.WithLabelValues(kind).Inc()
	s.logger.Error("actor failed", "actor", child.GetId(), "failures", statistics.FailureCount()+1, "reason", reason)

	s.SupervisorStrategy.HandleFailure(system, supervisor, child, statistics, reason, message)
}
