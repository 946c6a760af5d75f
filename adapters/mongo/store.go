package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/nflsync/nflsync/messages"
)

// Collection names.
const (
	collectionPlayers     = "players"
	collectionGames       = "games"
	collectionPlayerWeeks = "player_weeks"
	collectionInjuries    = "injuries"
	collectionSyncRuns    = "sync_runs"
	collectionLeagues     = "leagues"
)

// batchSize is the maximum number of writes in one bulk write.
const batchSize = 500

// Store is the MongoDB implementation of messages.Store. It is safe for
// concurrent use, but callers keep one writer per key.
type Store struct {
	client *mongodriver.Client
	db     *mongodriver.Database
	logger *slog.Logger
	retry  retryPolicy
}

var _ messages.Store = (*Store)(nil)

// storeConfig holds the settings that Open fixes and tests shorten.
type storeConfig struct {
	serverSelectionTimeout time.Duration
	retry                  retryPolicy
}

var defaultStoreConfig = storeConfig{
	serverSelectionTimeout: 5 * time.Second,
	retry:                  defaultRetryPolicy,
}

// Open connects to the MongoDB server at uri, pings it and creates the
// indexes of database (see the package documentation). A
// serverSelectionTimeoutMS in uri replaces the default of 5 s.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	return open(ctx, uri, database, defaultStoreConfig)
}

func open(ctx context.Context, uri, database string, config storeConfig) (*Store, error) {
	if database == "" {
		return nil, errors.New("open MongoDB store: missing database name")
	}

	clientOptions := options.Client().ApplyURI(uri)
	if clientOptions.ServerSelectionTimeout == nil {
		clientOptions.SetServerSelectionTimeout(config.serverSelectionTimeout)
	}

	// The URI is left out of errors and logs because it may hold a password.
	client, err := mongodriver.Connect(ctx, clientOptions)
	if err != nil {
		return nil, fmt.Errorf("open MongoDB store %s: connect: %w", database, err)
	}

	s := &Store{
		client: client,
		db:     client.Database(database),
		logger: slog.Default().With("component", "mongo", "database", database),
		retry:  config.retry,
	}

	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open MongoDB store %s: ping: %w", database, err)
	}

	if err := s.createIndexes(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open MongoDB store %s: %w", database, err)
	}

	return s, nil
}

// createIndexes creates the unique index of each collection's natural key
// and the indexes of its queries. Creating an existing index is a no-op.
func (s *Store) createIndexes(ctx context.Context) error {
	unique := func(keys bson.D) mongodriver.IndexModel {
		return mongodriver.IndexModel{Keys: keys, Options: options.Index().SetUnique(true)}
	}
	plain := func(keys bson.D) mongodriver.IndexModel {
		return mongodriver.IndexModel{Keys: keys}
	}

	indexes := map[string][]mongodriver.IndexModel{
		collectionPlayers: {unique(bson.D{{Key: "gsis_id", Value: 1}})},
		collectionGames: {
			unique(bson.D{{Key: "game_id", Value: 1}}),
			plain(bson.D{{Key: "season", Value: 1}, {Key: "week", Value: 1}}),
		},
		// On MongoDB, player_id first lets Player read one index range that
		// is already sorted by season and week. The key is unique in any order.
		collectionPlayerWeeks: {
			unique(bson.D{{Key: "player_id", Value: 1}, {Key: "season", Value: 1}, {Key: "week", Value: 1}}),
			plain(bson.D{{Key: "season", Value: 1}, {Key: "week", Value: 1}}),
		},
		collectionInjuries: {unique(bson.D{{Key: "season", Value: 1}, {Key: "week", Value: 1}, {Key: "gsis_id", Value: 1}})},
		collectionSyncRuns: {plain(bson.D{{Key: "started_at", Value: -1}})},
		collectionLeagues:  {unique(bson.D{{Key: "league_id", Value: 1}})},
	}

	// Indexes are created one per command: FerretDB v1.24.2 panics on a
	// createIndexes command that lists two or more indexes that all exist
	// already, which is the case on every Open after the first.
	for _, name := range []string{collectionPlayers, collectionGames, collectionPlayerWeeks, collectionInjuries, collectionSyncRuns, collectionLeagues} {
		for _, index := range indexes[name] {
			err := withRetry(ctx, s.logger, s.retry, "create index of "+name, func(ctx context.Context) error {
				_, err := s.db.Collection(name).Indexes().CreateOne(ctx, index)
				return err
			})
			if err != nil {
				return fmt.Errorf("create index %v of %s: %w", index.Keys, name, err)
			}
		}
	}

	return nil
}

// Close disconnects from the server, waiting for operations in progress
// until ctx ends.
func (s *Store) Close(ctx context.Context) error {
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("close MongoDB store: %w", err)
	}

	return nil
}

// UpsertPlayerWeeks stores player-weeks in player_weeks, keyed by season,
// week and player_id.
func (s *Store) UpsertPlayerWeeks(ctx context.Context, weeks []*messages.PlayerWeek) error {
	writes := make([]keyedWrite, 0, len(weeks))
	for _, week := range weeks {
		document, err := newPlayerWeekDocument(week)
		if err != nil {
			return fmt.Errorf("upsert %d player-weeks: %w", len(weeks), err)
		}

		writes = append(writes, keyedWrite{id: document.ID, document: document})
	}

	return s.upsert(ctx, collectionPlayerWeeks, writes)
}

// Player returns every stored week of one player, sorted by season and
// week, or found=false when there is none.
func (s *Store) Player(ctx context.Context, playerID string) (*messages.PlayerState, bool, error) {
	var documents []playerWeekDocument
	err := withRetry(ctx, s.logger, s.retry, "find player "+playerID, func(ctx context.Context) error {
		sortBySeasonWeek := options.Find().SetSort(bson.D{{Key: "season", Value: 1}, {Key: "week", Value: 1}})
		cursor, err := s.db.Collection(collectionPlayerWeeks).Find(ctx, bson.D{{Key: "player_id", Value: playerID}}, sortBySeasonWeek)
		if err != nil {
			return err
		}

		documents = nil
		return cursor.All(ctx, &documents)
	})
	if err != nil {
		return nil, false, fmt.Errorf("find player_weeks of player_id %s: %w", playerID, err)
	}

	if len(documents) == 0 {
		return nil, false, nil
	}

	state := &messages.PlayerState{PlayerId: playerID, Weeks: make([]*messages.PlayerWeek, 0, len(documents))}
	for i := range documents {
		week, err := documents[i].message()
		if err != nil {
			return nil, false, fmt.Errorf("read player_weeks: %w", err)
		}

		state.Weeks = append(state.Weeks, week)
	}

	return state, true, nil
}

// UpsertGames stores games in games, keyed by game_id.
func (s *Store) UpsertGames(ctx context.Context, games []*messages.Game) error {
	writes := make([]keyedWrite, 0, len(games))
	for _, game := range games {
		document, err := newGameDocument(game)
		if err != nil {
			return fmt.Errorf("upsert %d games: %w", len(games), err)
		}

		writes = append(writes, keyedWrite{id: document.ID, document: document})
	}

	return s.upsert(ctx, collectionGames, writes)
}

// Game returns one stored game, or found=false.
func (s *Store) Game(ctx context.Context, gameID string) (*messages.Game, bool, error) {
	var document gameDocument
	found := true
	err := withRetry(ctx, s.logger, s.retry, "find game "+gameID, func(ctx context.Context) error {
		err := s.db.Collection(collectionGames).FindOne(ctx, bson.D{{Key: "_id", Value: gameID}}).Decode(&document)
		if errors.Is(err, mongodriver.ErrNoDocuments) {
			found = false
			return nil
		}

		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("find game_id %s in games: %w", gameID, err)
	}

	if !found {
		return nil, false, nil
	}

	return document.message(), true, nil
}

// UpsertRoster stores roster entries in players, keyed by gsis_id. An
// entry replaces the stored entry of the same player whatever their
// seasons, so callers write the current season's roster last.
func (s *Store) UpsertRoster(ctx context.Context, entries []*messages.RosterEntry) error {
	writes := make([]keyedWrite, 0, len(entries))
	for _, entry := range entries {
		document, err := newRosterDocument(entry)
		if err != nil {
			return fmt.Errorf("upsert %d roster entries: %w", len(entries), err)
		}

		writes = append(writes, keyedWrite{id: document.ID, document: document})
	}

	return s.upsert(ctx, collectionPlayers, writes)
}

// UpsertInjuries stores injuries in injuries, keyed by season, week and
// gsis_id.
func (s *Store) UpsertInjuries(ctx context.Context, injuries []*messages.Injury) error {
	writes := make([]keyedWrite, 0, len(injuries))
	for _, injury := range injuries {
		document, err := newInjuryDocument(injury)
		if err != nil {
			return fmt.Errorf("upsert %d injuries: %w", len(injuries), err)
		}

		writes = append(writes, keyedWrite{id: document.ID, document: document})
	}

	return s.upsert(ctx, collectionInjuries, writes)
}

// InsertSyncRun inserts one document into sync_runs.
func (s *Store) InsertSyncRun(ctx context.Context, run messages.SyncRun) error {
	document := newSyncRunDocument(run)

	attempts := 0
	err := withRetry(ctx, s.logger, s.retry, "insert sync run", func(ctx context.Context) error {
		attempts++
		_, err := s.db.Collection(collectionSyncRuns).InsertOne(ctx, document)

		// The _id is made here, before the first attempt, so a duplicate _id
		// on a later attempt means that an earlier one was applied but its
		// reply was lost.
		if attempts > 1 && mongodriver.IsDuplicateKeyError(err) {
			return nil
		}

		return err
	})
	if err != nil {
		return fmt.Errorf("insert sync run of season %d week %d into sync_runs: %w", run.Season, run.Week, err)
	}

	return nil
}
