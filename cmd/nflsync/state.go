package main

import (
	"context"

	"fmt"
	"log/slog"
	"time"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/adapters/hazelcast"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/adapters/mongo"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// stateOpenTimeout bounds connecting to MongoDB and Hazelcast and reading
// the stored state at start-up.
const stateOpenTimeout = 2 * time.Minute

// stateServices are the store, the mirror and the keeper in front of them.
type stateServices struct {
	store  messages.Store
	mirror messages.Mirror
	keeper *actors.StateKeeper
	rows   *actors.StateKeeper // roster and injury rows
}

// openState connects the store (embedded FerretDB unless NFL_SYNC_MONGO_URI
// is set) and the mirror (Hazelcast when NFL_SYNC_HAZELCAST_ADDRESSES is
// set, else in memory), and preloads the stored state. The returned function
// closes them in reverse order.
//
// onMirrorLost is called when the mirror comes back empty, such as a
// Hazelcast cluster that restarted, so that the actors can refill it.
func openState(ctx context.Context, cfg *config, logger *slog.Logger, recorder *metrics.Metrics, onMirrorLost func()) (*stateServices, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, stateOpenTimeout)
	defer cancel()

	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*stateServices, func(), error) {
		closeAll()
		return nil, nil, err
	}

	uri := cfg.MongoURI
	if uri == "" {
		embedded, err := mongo.StartEmbedded(ctx, cfg.DataDir)
		if err != nil {
			return fail(fmt.Errorf("start embedded FerretDB in %s (NFL_SYNC_DATA_DIR): %w", cfg.DataDir, err))
		}
		closers = append(closers, func() { _ = embedded.Close() })
		uri = embedded.URI()
		logger.Info("embedded FerretDB started", "data_dir", cfg.DataDir)
	}

	store, err := mongo.Open(ctx, uri, cfg.MongoDatabase)
	if err != nil {
		return fail(fmt.Errorf("open MongoDB database %s: %w", cfg.MongoDatabase, err))
	}
	closers = append(closers, func() { _ = store.Close(context.Background()) })

	mirror, err := openMirror(ctx, cfg, logger, onMirrorLost)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { _ = mirror.Close(context.Background()) })

	keeper := actors.NewStateKeeper(mirror, store, recorder.ObserveStateWrite, logger)
	// Roster and injury rows reach only the store; the unused in-memory
	// mirror of their keeper stays empty.
	rows := actors.NewStateKeeper(inmem.New(), store, recorder.ObserveStateWrite, logger)
	keeper.SetRowWriter(rows)
	started := time.Now()
	if err := keeper.Preload(ctx); err != nil {
		return fail(err)
	}
	logger.Info("stored state loaded", "duration", time.Since(started))

	return &stateServices{store: store, mirror: mirror, keeper: keeper, rows: rows}, closeAll, nil
}

func openMirror(ctx context.Context, cfg *config, logger *slog.Logger, onMirrorLost func()) (messages.Mirror, error) {
	if len(cfg.HazelcastAddresses) == 0 {
		logger.Info("using the in-memory mirror: single node only (set NFL_SYNC_HAZELCAST_ADDRESSES for a cluster)")
		return inmem.New(), nil
	}

	mirror, err := hazelcast.Open(ctx, hazelcast.Config{
		Addresses:   cfg.HazelcastAddresses,
		ClusterName: cfg.HazelcastClusterName,
		Logger:      logger,

		OnClusterChanged: onMirrorLost,
	})
	if err != nil {
		return nil, fmt.Errorf("open Hazelcast mirror (NFL_SYNC_HAZELCAST_ADDRESSES): %w", err)
	}
	return mirror, nil
}

// resumeReplay continues a replay from the last week a previous run on the
// same data directory revealed, so a restart neither hides stored scores
// nor announces old weeks again.
func resumeReplay(ctx context.Context, replay *nflverse.Replay, store messages.Store, logger *slog.Logger) {
	run, found, err := store.LastSyncRun(ctx)
	if err != nil {
		logger.Warn("read last sync run failed, replaying from week 1", "error", err)
		return
	}
	if !found || run.Season != replay.Season() {
		return
	}

	// A sync run records the current week, the one after the last revealed
	// week, except at the end of the season where they are equal.
	revealed := max(run.Week-1, 1)
	replay.ResumeAt(revealed)
	logger.Info("replay resumed", "season", run.Season, "week", revealed)
}
