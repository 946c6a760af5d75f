package actors

// StateKeeper is not an actor. It sits between the player and game actors
// and the two places their state survives them: the Mirror (Hazelcast or
// in-memory), which holds each actor's whole live state, and the Store
// (MongoDB), which holds every row. Actors hand it their changes and go on;
// a single flush goroutine writes them in batches, so no document is ever
// written by two goroutines at once, and writes that fail are kept and
// retried on the next flush.
//
// Reads (rehydration on activation, snapshots for new subscribers) look at
// the changes not yet written first, then the mirror, then the store, so an
// actor that restarts after a panic sees the state it had just before.

import (
	"context"
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
	// orchestrator's grace period (30 s by default in Kubernetes).
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
// it with NewStateKeeper and run its flush loop with Run.
type StateKeeper struct {
	mirror   messages.Mirror
	store    messages.Store // nil when nothing is persisted
	observer StateObserver
	logger   *slog.Logger

	// rows, when set, writes the roster and injury rows instead.
	rows *StateKeeper

	mu      sync.Mutex
	pending stateBatch
	// preloaded is what Preload read from the store, handed out once per
	// key; after Preload the store is never read per key.
	preloaded   stateBatch
	preloadDone bool
	// inflight is the batch being written; reads see it until it is done.
	inflight stateBatch
	wake     chan struct{}

	// writeThrough makes PutPlayer and PutGame write the mirror before
	// they return; see SetMirrorWriteThrough.
	writeThrough atomic.Bool
}

// stateWriteThroughTimeout bounds one write-through mirror write; a write
// that fails or times out is queued as usual.
const stateWriteThroughTimeout = 5 * time.Second

// SetMirrorWriteThrough makes PutPlayer and PutGame write the player's or
// game's state to the mirror before they return, instead of in the next
// batch. A cluster needs it: when the polling node dies, the node that
// takes over rehydrates from the mirror, which must then hold every change
// that a client was told about, or the change would be announced twice.
// The store writes stay batched.
func (k *StateKeeper) SetMirrorWriteThrough(on bool) {
	k.writeThrough.Store(on)
}

// writeMirrorNow writes one entry to the mirror when write-through is on
// and reports whether it was written.
func writeMirrorNow[V any](k *StateKeeper, operation string, value V, put func(context.Context, []V) error) bool {
	if !k.writeThrough.Load() {
		return false
	}

	ctx, cancel := context.WithTimeout(context.Background(), stateWriteThroughTimeout)
	defer cancel()
	err := k.timed(ctx, "mirror", operation, func(ctx context.Context) error { return put(ctx, []V{value}) })
	if err != nil {
		k.logger.Warn("write-through to the mirror failed, queuing the state", "operation", operation, "error", err)
		return false
	}
	return true
}

// stateBatch is a set of changes keyed so that a newer change to the same
// key replaces an older one.
type stateBatch struct {
	players  map[string]*messages.PlayerState
	weeks    map[string]*messages.PlayerWeek
	games    map[string]*messages.Game
	rosters  map[string]*messages.RosterEntry // store only
	injuries map[string]*messages.Injury      // store only
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
	return &StateKeeper{
		mirror:    mirror,
		store:     store,
		observer:  observer,
		logger:    logger,
		pending:   newStateBatch(),
		inflight:  newStateBatch(),
		preloaded: newStateBatch(),
		wake:      make(chan struct{}, 1),
	}
}

func weekKey(row *messages.PlayerWeek) string {
	return fmt.Sprintf("%d/%d/%s", row.GetSeason(), row.GetWeek(), row.GetPlayerId())
}

// PutPlayer queues a player's whole state for the mirror and the changed
// rows for the store. The caller must not modify them afterwards.
func (k *StateKeeper) PutPlayer(state *messages.PlayerState, changed []*messages.PlayerWeek) {
	written := writeMirrorNow(k, "put_players", state, k.mirror.PutPlayers)

	k.mu.Lock()
	if written {
		// TODO: an older state of this player that a failed
		// write-through queued may be in flight and land after this
		// write.
		delete(k.pending.players, state.GetPlayerId())
	} else {
		k.pending.players[state.GetPlayerId()] = state
	}
	if k.store != nil {
		for _, row := range changed {
			k.pending.weeks[weekKey(row)] = row
		}
	}
	k.mu.Unlock()
	k.signal()
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
		k.pending.rosters[entry.GetGsisId()] = entry
	}
	k.mu.Unlock()
	k.signal()
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
		k.pending.injuries[injuryKey(injury)] = injury
	}
	k.mu.Unlock()
	k.signal()
}

// PutGame queues a game for the mirror and the store. With write-through
// on it writes the mirror first. The queued copy then writes the same state
// again, so one map serves both targets, which costs little because games
// are few.
func (k *StateKeeper) PutGame(game *messages.Game) {
	writeMirrorNow(k, "put_games", game, k.mirror.PutGames)

	k.mu.Lock()
	k.pending.games[game.GetGameId()] = game
	k.mu.Unlock()
	k.signal()
}

func (k *StateKeeper) signal() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// Preload reads every stored player and game in one pass, so that actors
// activated after it rehydrate without a store query each. It is meant for
// start-up, before the first poll.
func (k *StateKeeper) Preload(ctx context.Context) error {
	if k.store == nil {
		return nil
	}

	players, err := k.store.Players(ctx)
	if err != nil {
		return fmt.Errorf("preload players: %w", err)
	}
	games, err := k.store.Games(ctx)
	if err != nil {
		return fmt.Errorf("preload games: %w", err)
	}
	rosters, err := k.store.Rosters(ctx)
	if err != nil {
		return fmt.Errorf("preload rosters: %w", err)
	}
	injuries, err := k.store.Injuries(ctx)
	if err != nil {
		return fmt.Errorf("preload injuries: %w", err)
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

// lookupState reads one key from the queued and in-flight batches, then the
// mirror, then what Preload read (dropping it when consume is true), then
// the store.
func lookupState[V any](ctx context.Context, k *StateKeeper, key string, part func(stateBatch) map[string]V,
	mirror, store stateReader[V], consume bool) (V, bool, error) {
	var zero V

	k.mu.Lock()
	value, ok := part(k.pending)[key]
	if !ok {
		value, ok = part(k.inflight)[key]
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
		part(k.pending)[key] = value
	}
	preloadDone := k.preloadDone
	k.mu.Unlock()
	if ok {
		return value, true, nil
	}
	if store == nil || preloadDone {
		return zero, false, err
	}
	return store(ctx, key)
}

// Run flushes queued changes until ctx is done, then makes one last attempt
// to write what is left.
func (k *StateKeeper) Run(ctx context.Context) {
	delay := stateFlushInterval
	for {
		// A stop wins over queued work, so that a failing store cannot
		// keep the loop from reaching the final flush.
		if ctx.Err() != nil {
			k.finalFlush()
			return
		}

		select {
		case <-ctx.Done():
			continue
		case <-k.wake:
		}

		// Let the rest of the poll's changes arrive, then write them all.
		select {
		case <-ctx.Done():
			continue
		case <-time.After(delay):
		}

		// A write in progress is finished even when a stop comes, because
		// a write cut off mid-request can leave embedded FerretDB stuck
		// and lose the rows that the final flush would write.
		if err := k.Flush(context.Background()); err != nil {
			delay = min(delay*2, stateRetryMax)
			k.logger.Warn("state flush failed, retrying", "retry_in", delay, "error", err)
			k.signal()
			continue
		}
		delay = stateFlushInterval
	}
}

// finalFlush makes the last attempt to write what is queued, within
// stateFinalFlushTimeout.
func (k *StateKeeper) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), stateFinalFlushTimeout)
	defer cancel()
	if err := k.Flush(ctx); err != nil {
		k.logger.Error("final state flush failed, unwritten changes are lost", "error", err)
	}
}

// Flush writes every queued change now. Changes that fail to be written are
// queued again unless a newer change to the same key arrived meanwhile.
func (k *StateKeeper) Flush(ctx context.Context) error {
	k.mu.Lock()
	batch := k.pending
	k.pending = newStateBatch()
	k.inflight = batch
	k.mu.Unlock()

	if batch.empty() {
		return nil
	}

	failed := k.write(ctx, batch)

	k.mu.Lock()
	defer k.mu.Unlock()
	k.inflight = newStateBatch()
	requeue(k.pending.players, failed.players)
	requeue(k.pending.weeks, failed.weeks)
	requeue(k.pending.games, failed.games)
	requeue(k.pending.rosters, failed.rosters)
	requeue(k.pending.injuries, failed.injuries)

	if failed.empty() {
		return nil
	}
	return fmt.Errorf("write state: %d players, %d player-weeks, %d games, %d roster rows and %d injury rows not written",
		len(failed.players), len(failed.weeks), len(failed.games), len(failed.rosters), len(failed.injuries))
}

// write writes one batch in chunks of stateWriteChunk entries and returns
// the entries whose chunk failed. Each chunk has its own timeout, so a
// large first poll is not cut off as a whole by one deadline.
func (k *StateKeeper) write(ctx context.Context, batch stateBatch) stateBatch {
	failed := newStateBatch()
	writeChunks(ctx, k, "mirror", "put_players", batch.players, failed.players, k.mirror.PutPlayers)
	writeChunks(ctx, k, "mirror", "put_games", batch.games, failed.games, k.mirror.PutGames)
	if k.store == nil {
		return failed
	}

	writeChunks(ctx, k, "store", "upsert_player_weeks", batch.weeks, failed.weeks, k.store.UpsertPlayerWeeks)

	// A game that failed the mirror is retried whole, store included;
	// writes are idempotent upserts, so writing it twice is harmless.
	writeChunks(ctx, k, "store", "upsert_games", batch.games, failed.games, k.store.UpsertGames)
	writeChunks(ctx, k, "store", "upsert_roster", batch.rosters, failed.rosters, k.store.UpsertRoster)
	writeChunks(ctx, k, "store", "upsert_injuries", batch.injuries, failed.injuries, k.store.UpsertInjuries)
	return failed
}

// writeChunks writes entries in chunks and adds the entries of failed chunks
// to failed.
func writeChunks[V any](ctx context.Context, k *StateKeeper, target, operation string, entries, failed map[string]V,
	put func(context.Context, []V) error) {
	keys := make([]string, 0, len(entries))
	for key := range entries {
		keys = append(keys, key)
	}

	for start := 0; start < len(keys); start += stateWriteChunk {
		chunk := keys[start:min(start+stateWriteChunk, len(keys))]
		values := make([]V, 0, len(chunk))
		for _, key := range chunk {
			values = append(values, entries[key])
		}

		chunkCtx, cancel := context.WithTimeout(ctx, stateWriteTimeout)
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
	started := time.Now()
	err := write(ctx)
	if k.observer != nil {
		k.observer(target, operation, time.Since(started), err)
	}
	if err != nil {
		k.logger.Warn("state write failed", "target", target, "operation", operation, "error", err)
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
