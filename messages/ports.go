// Package messages is nflsync's vocabulary: the protobuf messages that actors
// exchange (nflsync.pb.go), the JSON messages sent to WebSocket clients
// (wire.go) and the ports that adapters implement (this file).
//
// Adapters live in adapters/<dependency>/ and implement these interfaces;
// actors/ depends only on the interfaces.
package messages

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Game status values of Game.Status.
const (
	GameStatusScheduled = "scheduled"
	GameStatusFinal     = "final"
)

// Snapshot is the result of one poll of a Source.
type Snapshot struct {
	// Season and Week are the current season and week, by the rules of
	// nflverse.CurrentSeason and nflverse.CurrentWeek.
	Season int32
	Week   int32

	// Games is the schedule of Season.
	Games []*Game

	// PlayerWeeks are the player rows of Season's weekly stats file, one per
	// season, week and player_id (duplicates already collapsed).
	PlayerWeeks []*PlayerWeek

	// TeamWeeks are the team-level rows (no player_id) of the same file.
	TeamWeeks []*TeamWeek

	// Rosters are the rows of Season's roster file; nil when the source has
	// none, in which case the last known rosters stay.
	Rosters []*RosterEntry

	// Injuries are the rows of Season's injuries file. InjuriesAvailable is
	// false when that file is missing or empty: the last known injury
	// statuses then stay, and nobody is reported healthy.
	Injuries          []*Injury
	InjuriesAvailable bool

	// Quarantined counts rows that were dropped because their key was
	// missing or invalid, such as an empty or NA player_id with a position.
	Quarantined int

	// Conflicts counts player-weeks that appeared twice with different
	// values; the first row in file order was kept.
	Conflicts int

	// Warnings are problems that did not fail the poll but that an operator
	// should see, such as a file that suddenly has zero rows. They are
	// logged with the sync cycle.
	Warnings []string
}

// ErrNotPublished is returned, wrapped, by a Source when the files of the
// requested season are not published yet. Callers treat it as "no news":
// they emit no deltas, keep their state and retry later.
var ErrNotPublished = errors.New("not published yet")

// Source loads the current state of the NFL data. The fetcher actor is its
// only caller and never calls Load concurrently.
//
// Load returns either a complete Snapshot or an error, never a partial
// snapshot: a file that fails to download or parse fails the whole poll, so
// that a bad poll emits no deltas and the last good state is kept.
type Source interface {
	Load(ctx context.Context, now time.Time) (*Snapshot, error)
}

// Clock is the time source of the scheduler. Tests and the replay source
// supply their own so that the season can move faster than the wall clock.
type Clock interface {
	Now() time.Time

	// AfterFunc calls f in its own goroutine after d has passed on this
	// clock. The returned function cancels the call and reports whether it
	// did so before f started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc schedules f with time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Mirror keeps the live state of player and game actors in a store shared by
// every node, so that an actor that restarts or moves to another node can
// rehydrate without announcing every player again. Only the actor that owns
// a key writes it. Implementations: adapters/hazelcast and an in-memory
// stand-in for single-node runs.
type Mirror interface {
	// PutPlayers writes the states in one batch, replacing earlier values.
	PutPlayers(ctx context.Context, states []*PlayerState) error

	// Player returns the mirrored state of one player, or found=false.
	Player(ctx context.Context, playerID string) (state *PlayerState, found bool, err error)

	// PutGames writes the games in one batch, replacing earlier values.
	PutGames(ctx context.Context, games []*Game) error

	// Game returns the mirrored game, or found=false.
	Game(ctx context.Context, gameID string) (game *Game, found bool, err error)

	Close(ctx context.Context) error
}

// Store persists nflsync's data in MongoDB. Writes for one key come only
// from the actor that owns that key, so implementations need no locking
// per document. Every write is an idempotent upsert by natural key.
// Decimals are stored as the canonical decimal strings of Stat.Value and
// Points.Points.
type Store interface {
	// UpsertPlayerWeeks stores player-weeks keyed by season, week and
	// player_id.
	UpsertPlayerWeeks(ctx context.Context, weeks []*PlayerWeek) error

	// Player returns every stored week of one player, or found=false.
	Player(ctx context.Context, playerID string) (state *PlayerState, found bool, err error)

	// UpsertGames stores games keyed by game_id.
	UpsertGames(ctx context.Context, games []*Game) error

	// Game returns one stored game, or found=false.
	Game(ctx context.Context, gameID string) (game *Game, found bool, err error)

	// UpsertRoster stores roster entries keyed by gsis_id.
	UpsertRoster(ctx context.Context, entries []*RosterEntry) error

	// UpsertInjuries stores injuries keyed by season, week and gsis_id.
	UpsertInjuries(ctx context.Context, injuries []*Injury) error

	// InsertSyncRun records one finished sync cycle.
	InsertSyncRun(ctx context.Context, run SyncRun) error

	// Players returns every stored player with all of its weeks, for
	// rehydrating every player actor at start-up in one read.
	Players(ctx context.Context) ([]*PlayerState, error)

	// Games returns every stored game.
	Games(ctx context.Context) ([]*Game, error)

	// Rosters and Injuries return every stored roster and injury row, for
	// rehydrating the roster and injury actors at start-up.
	Rosters(ctx context.Context) ([]*RosterEntry, error)
	Injuries(ctx context.Context) ([]*Injury, error)

	// LastSyncRun returns the newest successful sync run, or found=false.
	LastSyncRun(ctx context.Context) (run SyncRun, found bool, err error)

	Close(ctx context.Context) error
}

// SyncRun is the record of one sync cycle.
type SyncRun struct {
	StartedAt   time.Time
	Duration    time.Duration
	Season      int32
	Week        int32
	OK          bool
	Error       string
	PlayerRows  int
	GameRows    int
	Deltas      int
	Quarantined int
}

// Snapshotter returns the state of one stream, so that a client gets its
// first data when it subscribes instead of waiting for the next change.
// Session actors call it; the actors package implements it from the state of
// the player, game and league actors.
type Snapshotter interface {
	// Snapshot returns the stream's state at seq, the seq of the
	// subscriber's ACK, as JSON items in the shape of the stream's change
	// messages. A player's items are one PlayerUpdateData per week of the
	// current season, a game's one GameScoreData, the scoreboard's one
	// GameScoreData per game of the current week, and a league's one item
	// per leaderboard row. The items hold the changes of the stream's
	// messages up to seq and none of a later message, which the subscriber
	// gets next. An unknown id returns no items and no error. Errors are
	// timeouts or a stopped actor system.
	Snapshot(ctx context.Context, kind StreamKind, id string, seq uint64) ([]json.RawMessage, error)
}
