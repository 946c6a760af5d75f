package actors

// StateKeeper is not an actor. It sits between the player and game actors
// and the two places their state survives them: the Mirror (Hazelcast or
// in-memory), which holds each actor's whole live state, and the Store
// (MongoDB), which holds every row. Actors hand it their changes and go on.
// Two flush goroutines write the changes in batches: one to the mirror, one
// to the store. So no document is written by two goroutines at once, and a
// slow store does not hold back the mirror. Failed writes are kept and
// retried on the next flush. In a cluster, PutPlayer and PutGame also
// write the mirror before they return (state_writethrough.go).
//
// Reads (rehydration on activation, snapshots for new subscribers) look at
// the changes not yet written first, then the mirror, then the store, so an
// actor that restarts after a panic sees the state it had just before.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nflsync/nflsync/messages"
)

const (
	// stateFlushInterval is how long changes wait to be batched. One poll
	// produces its changes within a few milliseconds, so a poll's changes
	// leave in one or two batches.
	stateFlushInterval = 100 * time.Millisecond

	// stateRetryMax caps the wait between flush attempts while the mirror
	// or the store keeps failing.
	stateRetryMax = 10 * time.Second

	// stateWriteTimeout bounds the write of one chunk. It is generous
	// because a write cut off by its deadline can leave embedded FerretDB
	// (v1.24.2) unresponsive to every later write (seen under the race
	// detector on 2 loaded cores, where 1,000 rows took over 30 s).
	stateWriteTimeout = 2 * time.Minute

	// stateFinalFlushTimeout bounds the last flush at shutdown, so that a
	// slow or unreachable store cannot hold the process past an
	// orchestrator's grace period (30 s by default in Kubernetes). The two
	// lanes make their last flush at the same time.
	stateFinalFlushTimeout = 20 * time.Second

	// stateWriteChunk is the number of entries written in one call. A
	// chunk of player-weeks takes about 0.2 s on embedded FerretDB (measured
	// without the race detector), far below stateWriteTimeout.
	stateWriteChunk = 1000

	// stateReadTimeout bounds one rehydration read.
	stateReadTimeout = 10 * time.Second
)

// StateObserver receives the outcome of each batch write, for metrics.
// target is "mirror" or "store"; operation is "put_players", "put_games",
// "upsert_player_weeks" or "upsert_games", the label values of
// metrics.MirrorOperations and metrics.StoreOperations.
type StateObserver func(target, operation string, duration time.Duration, err error)

// StateKeeper batches and retries the writes of player and game state. Create
// it with NewStateKeeper and run its flush loops with Run.
type StateKeeper struct {
	mirror   messages.Mirror
	store    messages.Store // nil when nothing is persisted
	observer StateObserver
	logger   *slog.Logger

	// rows, when set, writes the roster and injury rows instead.
	rows *StateKeeper

	// mu guards the batches of both lanes and preloaded.
	mu sync.Mutex
	// toMirror queues whole player and game states for the mirror. Reads
	// look here first, because it contains the newest state.
	toMirror *stateLane
	// toStore queues player-weeks, games, roster and injury rows for the
	// store.
	toStore *stateLane
	// preloaded is what Preload read from the store, handed out once per
	// key; after Preload the store is never read per key.
	preloaded   stateBatch
	preloadDone bool

	// writeThrough makes PutPlayer and PutGame write the mirror before
	// they return; see SetMirrorWriteThrough.
	writeThrough atomic.Bool
	// breaker pauses write-through after a failed write-through
	// (state_writethrough.go).
	breaker writeThroughBreaker
	// writeThroughTimeout and writeThroughCooldown are
	// stateWriteThroughTimeout and stateWriteThroughCooldown, which tests
	// shorten before they use the keeper.
	writeThroughTimeout  time.Duration
	writeThroughCooldown time.Duration
}

// stateLane is the queue of one flush loop.
type stateLane struct {
	target  string // "mirror" or "store", for logs
	pending stateBatch
	// inflight is the batch being written; reads see it until it is done.
	inflight stateBatch
	wake     chan struct{}
	write    func(ctx context.Context, batch stateBatch) stateBatch
}

func newStateLane(target string, write func(context.Context, stateBatch) stateBatch) *stateLane {
	return &stateLane{
		target:   target,
		pending:  newStateBatch(),
		inflight: newStateBatch(),
		wake:     make(chan struct{}, 1),
		write:    write,
	}
}

func (l *stateLane) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// stateBatch is a set of changes keyed so that a newer change to the same
// key replaces an older one. The mirror lane fills players and games, the
// store lane weeks, games, rosters and injuries.
type stateBatch struct {
	players  map[string]*messages.PlayerState
	weeks    map[string]*messages.PlayerWeek
	games    map[string]*messages.Game
	rosters  map[string]*messages.RosterEntry
	injuries map[string]*messages.Injury
}

func newStateBatch() stateBatch {
	return stateBatch{
		players:  make(map[string]*messages.PlayerState),
		weeks:    make(map[string]*messages.PlayerWeek),
		games:    make(map[string]*messages.Game),
		rosters:  make(map[string]*messages.RosterEntry),
		injuries: make(map[string]*messages.Injury),
	}
}

func (b stateBatch) empty() bool {
	return len(b.players) == 0 && len(b.weeks) == 0 && len(b.games) == 0 &&
		len(b.rosters) == 0 && len(b.injuries) == 0
}

// NewStateKeeper returns a StateKeeper over mirror and store. store may be
// nil; observer may be nil.
func NewStateKeeper(mirror messages.Mirror, store messages.Store, observer StateObserver, logger *slog.Logger) *StateKeeper {
	if logger == nil {
		logger = slog.Default()
	}
	k := &StateKeeper{
		mirror:    mirror,
		store:     store,
		observer:  observer,
		logger:    logger,
		preloaded: newStateBatch(),

		writeThroughTimeout:  stateWriteThroughTimeout,
		writeThroughCooldown: stateWriteThroughCooldown,
	}
	k.toMirror = newStateLane("mirror", k.writeMirror)
	k.toStore = newStateLane("store", k.writeStore)
	return k
}

func weekKey(row *messages.PlayerWeek) string {
	return fmt.Sprintf("%d/%d/%s", row.GetSeason(), row.GetWeek(), row.GetPlayerId())
}

// PutPlayer queues a player's whole state for the mirror and the changed
// rows for the store. The caller must not modify them afterwards.
func (k *StateKeeper) PutPlayer(state *messages.PlayerState, changed []*messages.PlayerWeek) {
	written := writeMirrorNow(k, "put_players", slog.String("player_id", state.GetPlayerId()), state, k.mirror.PutPlayers)

	k.mu.Lock()
	if written {
		// TODO: an older state of this player that a failed
		// write-through queued may be in flight and land after this
		// write.
		delete(k.toMirror.pending.players, state.GetPlayerId())
	} else {
		k.toMirror.pending.players[state.GetPlayerId()] = state
	}
	if k.store != nil {
		for _, row := range changed {
			k.toStore.pending.weeks[weekKey(row)] = row
		}
	}
	k.mu.Unlock()

	if !written {
		k.toMirror.signal()
	}
	if k.store != nil && len(changed) > 0 {
		k.toStore.signal()
	}
}

// TakeRosters returns the roster rows that Preload read, keyed by gsis_id,
// and clears them. Only the roster actor calls it, when it starts.
func (k *StateKeeper) TakeRosters() map[string]*messages.RosterEntry {
	k.mu.Lock()
	defer k.mu.Unlock()
	rosters := k.preloaded.rosters
	k.preloaded.rosters = make(map[string]*messages.RosterEntry)
	return rosters
}

// TakeInjuries returns the injury rows that Preload read, keyed like
// PutInjuries, and clears them. Only the injury actor calls it.
func (k *StateKeeper) TakeInjuries() map[string]*messages.Injury {
	k.mu.Lock()
	defer k.mu.Unlock()
	injuries := k.preloaded.injuries
	k.preloaded.injuries = make(map[string]*messages.Injury)
	return injuries
}

// SetRowWriter sends roster and injury rows to rows, a second keeper over
// the same store with its own flush loop. Thousands of them on a first poll
// then do not hold back the player and game writes that the mirror and
// rehydration depend on.
func (k *StateKeeper) SetRowWriter(rows *StateKeeper) {
	k.rows = rows
}

// PutRosters queues changed roster rows for the store, keyed by gsis_id.
func (k *StateKeeper) PutRosters(entries []*messages.RosterEntry) {
	if k.rows != nil {
		k.rows.PutRosters(entries)
		return
	}
	if k.store == nil || len(entries) == 0 {
		return
	}
	k.mu.Lock()
	for _, entry := range entries {
		k.toStore.pending.rosters[entry.GetGsisId()] = entry
	}
	k.mu.Unlock()
	k.toStore.signal()
}

// PutInjuries queues changed injury rows for the store, keyed by season,
// week and gsis_id.
func (k *StateKeeper) PutInjuries(injuries []*messages.Injury) {
	if k.rows != nil {
		k.rows.PutInjuries(injuries)
		return
	}
	if k.store == nil || len(injuries) == 0 {
		return
	}
	k.mu.Lock()
	for _, injury := range injuries {
		k.toStore.pending.injuries[injuryKey(injury)] = injury
	}
	k.mu.Unlock()
	k.toStore.signal()
}

// MirrorGame queues a game for the mirror only. A game actor calls it to
// refill a mirror that lost its data, because the store has the game already.
func (k *StateKeeper) MirrorGame(game *messages.Game) {
	k.mu.Lock()
	k.toMirror.pending.games[game.GetGameId()] = game
	k.mu.Unlock()

	k.toMirror.signal()
}

// PutGame queues a game for the mirror and the store. With write-through
// on it writes the mirror first. The queued copy then writes the same state
// again, which costs little because games are few.
func (k *StateKeeper) PutGame(game *messages.Game) {
	writeMirrorNow(k, "put_games", slog.String("game_id", game.GetGameId()), game, k.mirror.PutGames)

	k.mu.Lock()
	k.toMirror.pending.games[game.GetGameId()] = game
	if k.store != nil {
		k.toStore.pending.games[game.GetGameId()] = game
	}
	k.mu.Unlock()

	k.toMirror.signal()
	if k.store != nil {
		k.toStore.signal()
	}
}

// Preload reads every stored player and game in one pass, so that actors
// activated after it rehydrate without a store query each. It is meant for
// start-up, before the first poll.
func (k *StateKeeper) Preload(ctx context.Context) error {
	if k.store == nil {
		return nil
	}

	// The four reads run at once: the player-weeks take most of the time,
	// and the store can serve the others on the second core meanwhile.
	var (
		players  []*messages.PlayerState
		games    []*messages.Game
		rosters  []*messages.RosterEntry
		injuries []*messages.Injury
		errs     [4]error
		reads    sync.WaitGroup
	)
	reads.Go(func() { players, errs[0] = k.store.Players(ctx) })
	reads.Go(func() { games, errs[1] = k.store.Games(ctx) })
	reads.Go(func() { rosters, errs[2] = k.store.Rosters(ctx) })
	reads.Go(func() { injuries, errs[3] = k.store.Injuries(ctx) })
	reads.Wait()
	for i, collection := range []string{"players", "games", "rosters", "injuries"} {
		if errs[i] != nil {
			return fmt.Errorf("preload %s: %w", collection, errs[i])
		}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	for _, state := range players {
		k.preloaded.players[state.GetPlayerId()] = state
	}
	for _, game := range games {
		k.preloaded.games[game.GetGameId()] = game
	}
	for _, entry := range rosters {
		k.preloaded.rosters[entry.GetGsisId()] = entry
	}
	for _, injury := range injuries {
		k.preloaded.injuries[injuryKey(injury)] = injury
	}
	k.preloadDone = true
	return nil
}

// Player returns the newest known state of a player: queued, being written,
// mirrored, then stored, in that order. It is for the player's own actor:
// what Preload read for the player is handed out once and then dropped.
func (k *StateKeeper) Player(ctx context.Context, playerID string) (*messages.PlayerState, bool, error) {
	return lookupState(ctx, k, playerID, playersOf, k.mirror.Player, storePlayer(k.store), true)
}

// PeekPlayer is Player for readers other than the player's actor, such as
// snapshots; it leaves what Preload read in place.
func (k *StateKeeper) PeekPlayer(ctx context.Context, playerID string) (*messages.PlayerState, bool, error) {
	return lookupState(ctx, k, playerID, playersOf, k.mirror.Player, storePlayer(k.store), false)
}

// Game returns the newest known state of a game, like Player.
func (k *StateKeeper) Game(ctx context.Context, gameID string) (*messages.Game, bool, error) {
	return lookupState(ctx, k, gameID, gamesOf, k.mirror.Game, storeGame(k.store), true)
}

// PeekGame is Game for readers other than the game's actor, like PeekPlayer.
func (k *StateKeeper) PeekGame(ctx context.Context, gameID string) (*messages.Game, bool, error) {
	return lookupState(ctx, k, gameID, gamesOf, k.mirror.Game, storeGame(k.store), false)
}

func playersOf(batch stateBatch) map[string]*messages.PlayerState { return batch.players }

func gamesOf(batch stateBatch) map[string]*messages.Game { return batch.games }

type stateReader[V any] func(ctx context.Context, key string) (V, bool, error)

func storePlayer(store messages.Store) stateReader[*messages.PlayerState] {
	if store == nil {
		return nil
	}
	return store.Player
}

func storeGame(store messages.Store) stateReader[*messages.Game] {
	if store == nil {
		return nil
	}
	return store.Game
}

// lookupState reads one key from the mirror lane's queued and in-flight
// batches, then the mirror, then what Preload read (dropping it when consume is true), then
// the store.
func lookupState[V any](ctx context.Context, k *StateKeeper, key string, part func(stateBatch) map[string]V,
	mirror, store stateReader[V], consume bool) (V, bool, error) {
	var zero V

	k.mu.Lock()
	value, ok := part(k.toMirror.pending)[key]
	if !ok {
		value, ok = part(k.toMirror.inflight)[key]
	}
	k.mu.Unlock()
	if ok {
		return value, true, nil
	}

	ctx, cancel := context.WithTimeout(ctx, stateReadTimeout)
	defer cancel()

	value, found, err := mirror(ctx, key)
	if err != nil {
		k.logger.Warn("read from mirror failed, trying the store", "key", key, "error", err)
	}
	if found {
		return value, true, nil
	}

	k.mu.Lock()
	value, ok = part(k.preloaded)[key]
	if ok && consume {
		// The actor now owns this state: queue it for the mirror, which
		// starts empty in a new process, so that snapshots and other
		// readers find it there.
		delete(part(k.preloaded), key)
		part(k.toMirror.pending)[key] = value
	}
	preloadDone := k.preloadDone
	k.mu.Unlock()
	if ok {
		if consume {
			k.toMirror.signal()
		}
		return value, true, nil
	}
	if store == nil || preloadDone {
		return zero, false, err
	}
	return store(ctx, key)
}

// Run runs the mirror and the store flush loops until ctx is done. Each loop
// then makes one last attempt to write what is left, and Run returns after
// both attempts.
func (k *StateKeeper) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, lane := range []*stateLane{k.toMirror, k.toStore} {
		wg.Go(func() { k.runLane(ctx, lane) })
	}
	wg.Wait()
}

// runLane flushes one lane's queued changes until ctx is done, then makes
// one last attempt to write what is left.
func (k *StateKeeper) runLane(ctx context.Context, lane *stateLane) {
	delay := stateFlushInterval
	for {
		// A stop wins over queued work, so that a failing store cannot
		// keep the loop from reaching the final flush.
		if ctx.Err() != nil {
			k.finalFlush(lane)
			return
		}

		select {
		case <-ctx.Done():
			continue
		case <-lane.wake:
		}

		// Let the rest of the poll's changes arrive, then write them all.
		select {
		case <-ctx.Done():
			continue
		case <-time.After(delay):
		}

		// A stop ends the flush between chunks, never inside one: a write
		// cut off mid-request can leave embedded FerretDB stuck and lose
		// the rows that the final flush would write.
		if err := k.flushLane(ctx, lane); err != nil {
			if ctx.Err() != nil {
				continue
			}
			delay = min(delay*2, stateRetryMax)
			k.logger.Warn("state flush failed, retrying", "target", lane.target, "retry_in", delay, "error", err)
			lane.signal()
			continue
		}
		delay = stateFlushInterval
	}
}

// finalFlush makes the last attempt to write what one lane holds, within
// stateFinalFlushTimeout.
func (k *StateKeeper) finalFlush(lane *stateLane) {
	ctx, cancel := context.WithTimeout(context.Background(), stateFinalFlushTimeout)
	defer cancel()
	if err := k.flushLane(ctx, lane); err != nil {
		k.logger.Error("final state flush failed, unwritten changes are lost", "target", lane.target, "error", err)
	}
}

// Flush writes every queued change now, to the mirror first and then to the
// store. Changes that fail to be written are queued again unless a newer
// change to the same key arrived meanwhile. It is for tests and tools; a
// running keeper flushes on its own.
func (k *StateKeeper) Flush(ctx context.Context) error {
	return errors.Join(k.flushLane(ctx, k.toMirror), k.flushLane(ctx, k.toStore))
}

// flushLane writes one lane's queued changes and queues the failed ones
// again.
func (k *StateKeeper) flushLane(ctx context.Context, lane *stateLane) error {
	k.mu.Lock()
	batch := lane.pending
	lane.pending = newStateBatch()
	lane.inflight = batch
	k.mu.Unlock()

	if batch.empty() {
		return nil
	}

	failed := lane.write(ctx, batch)

	k.mu.Lock()
	defer k.mu.Unlock()
	lane.inflight = newStateBatch()
	requeue(lane.pending.players, failed.players)
	requeue(lane.pending.weeks, failed.weeks)
	requeue(lane.pending.games, failed.games)
	requeue(lane.pending.rosters, failed.rosters)
	requeue(lane.pending.injuries, failed.injuries)

	if failed.empty() {
		return nil
	}
	return fmt.Errorf("write state to the %s: %d players, %d player-weeks, %d games, %d roster rows and %d injury rows not written",
		lane.target, len(failed.players), len(failed.weeks), len(failed.games), len(failed.rosters), len(failed.injuries))
}

// writeMirror writes the mirror lane's batch in chunks of stateWriteChunk
// entries and returns the entries whose chunk failed. Each chunk has its
// own timeout, so a large first poll is not cut off as a whole by one
// deadline.
func (k *StateKeeper) writeMirror(ctx context.Context, batch stateBatch) stateBatch {
	failed := newStateBatch()
	writeChunks(ctx, k, "mirror", "put_players", batch.players, failed.players, k.mirror.PutPlayers)
	writeChunks(ctx, k, "mirror", "put_games", batch.games, failed.games, k.mirror.PutGames)
	return failed
}

// writeStore writes the store lane's batch like writeMirror. Every write is
// an idempotent upsert, so a retried chunk does no harm.
func (k *StateKeeper) writeStore(ctx context.Context, batch stateBatch) stateBatch {
	failed := newStateBatch()
	if k.store == nil {
		return failed
	}
	writeChunks(ctx, k, "store", "upsert_player_weeks", batch.weeks, failed.weeks, k.store.UpsertPlayerWeeks)
	writeChunks(ctx, k, "store", "upsert_games", batch.games, failed.games, k.store.UpsertGames)
	writeChunks(ctx, k, "store", "upsert_roster", batch.rosters, failed.rosters, k.store.UpsertRoster)
	writeChunks(ctx, k, "store", "upsert_injuries", batch.injuries, failed.injuries, k.store.UpsertInjuries)
	return failed
}

// writeChunks writes entries in chunks and adds the entries of failed chunks
// to failed. When ctx is canceled, the chunk being written is finished and
// the rest are added to failed unwritten. A deadline of ctx also bounds each
// chunk.
func writeChunks[V any](ctx context.Context, k *StateKeeper, target, operation string, entries, failed map[string]V,
	put func(context.Context, []V) error) {
	keys := make([]string, 0, len(entries))
	for key := range entries {
		keys = append(keys, key)
	}

	for start := 0; start < len(keys); start += stateWriteChunk {
		chunk := keys[start:min(start+stateWriteChunk, len(keys))]
		if ctx.Err() != nil {
			for _, key := range chunk {
				failed[key] = entries[key]
			}
			continue
		}

		values := make([]V, 0, len(chunk))
		for _, key := range chunk {
			values = append(values, entries[key])
		}

		timeout := stateWriteTimeout
		if deadline, ok := ctx.Deadline(); ok {
			timeout = min(timeout, time.Until(deadline))
		}
		chunkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		err := k.timed(chunkCtx, target, operation, func(ctx context.Context) error { return put(ctx, values) })
		cancel()
		if err != nil {
			for _, key := range chunk {
				failed[key] = entries[key]
			}
		}
	}
}

func (k *StateKeeper) timed(ctx context.Context, target, operation string, write func(context.Context) error) error {
	err := k.observed(ctx, target, operation, write)
	if err != nil {
		k.logger.Warn("state write failed", "target", target, "operation", operation, "error", err)
	}
	return err
}

// observed runs write and reports its duration and error to the observer.
func (k *StateKeeper) observed(ctx context.Context, target, operation string, write func(context.Context) error) error {
	started := time.Now()
	err := write(ctx)
	if k.observer != nil {
		k.observer(target, operation, time.Since(started), err)
	}
	return err
}

// requeue puts failed entries back unless a newer one is already queued.
func requeue[V any](pending, failed map[string]V) {
	for key, value := range failed {
		if _, newer := pending[key]; !newer {
			pending[key] = value
		}
	}
}

func mapValues[V any](values map[string]V) []V {
	list := make([]V, 0, len(values))
	for _, value := range values {
		list = append(list, value)
	}
	return list
}
