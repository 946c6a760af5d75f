// Package hazelcast implements messages.Mirror on a Hazelcast cluster with
// github.com/hazelcast/hazelcast-go-client v1.5.0.
//
// The mirror uses two maps:
//
//   - PlayersMap ("nflsync.players"): key player_id (the gsis_id, a string
//     such as "00-0033873"), value the protobuf encoding of
//     messages.PlayerState as a byte array.
//   - GamesMap ("nflsync.games"): key game_id (a string such as
//     "2024_03_KC_ATL"), value the protobuf encoding of messages.Game as a
//     byte array.
//
// Decimals travel as the canonical decimal strings inside the protobuf
// values, so a value read back is byte-for-byte the value written.
//
// # Failures and retries
//
// The client reconnects by itself, without a time limit, when the cluster goes
// away. While it is disconnected, a read fails at once with ErrDisconnected,
// and a write fails after at most Config.OperationTimeout, or sooner when its
// context ends. Every write
// replaces whole values, so the caller retries by writing the same batch
// again, for example on its next sync cycle. A failed PutPlayers or PutGames
// may have written part of the batch, because Hazelcast splits a batch by
// partition.
//
// A member that restarts comes back empty. The client reports this as a
// changed cluster, and Config.OnClusterChanged lets the caller write its
// state again.
package hazelcast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/cluster"
	"github.com/hazelcast/hazelcast-go-client/hzerrors"
	"github.com/hazelcast/hazelcast-go-client/types"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// ErrDisconnected is returned, wrapped together with the client's error, by a
// call that failed while the client had no connection to the cluster. The
// caller can retry it later, because the client keeps reconnecting.
var ErrDisconnected = errors.New("hazelcast mirror disconnected")

// Names of the Hazelcast maps that the mirror writes.
const (
	PlayersMap = "nflsync.players"
	GamesMap   = "nflsync.games"
)

// Defaults of Config.
const (
	DefaultAddress          = "127.0.0.1:5701"
	DefaultClusterName      = "dev"
	DefaultOperationTimeout = 10 * time.Second
	DefaultConnectTimeout   = 30 * time.Second
)

// Config is the connection configuration of a Mirror.
type Config struct {
	// Addresses are host:port seed addresses of cluster members. The client
	// learns the other members from the first one it reaches. Default
	// DefaultAddress.
	Addresses []string

	// ClusterName must equal the members' cluster-name. Default
	// DefaultClusterName, the Hazelcast default.
	ClusterName string

	// OperationTimeout is the deadline of one call, including the time spent
	// waiting for a connection while the client is disconnected. A call can
	// return a little after it: 3.6 seconds for a 3-second timeout in the
	// reconnect test. Default DefaultOperationTimeout.
	OperationTimeout time.Duration

	// ConnectTimeout bounds the first connection in Open, unless the context
	// of Open ends sooner. Reconnects after that have no time limit. Default
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// Logger receives the client's warnings and errors, its informational
	// messages at debug level, and the mirror's connection events. Default
	// slog.Default().
	Logger *slog.Logger

	// OnClusterChanged, if set, is called in its own goroutine when the
	// client reconnects to a cluster with a new cluster ID, such as a member
	// that restarted empty. The caller should write its state again, and
	// retry those writes on error like any other.
	OnClusterChanged func()
}

// Mirror is a messages.Mirror on a Hazelcast cluster. It is safe for
// concurrent use.
type Mirror struct {
	client  *hazelcast.Client
	players *hazelcast.Map
	games   *hazelcast.Map
	timeout time.Duration
	logger  *slog.Logger
	// disconnected is false from Open on, because Open returns only after the
	// client has connected, and follows the client's lifecycle events after.
	disconnected atomic.Bool
	closing      atomic.Bool
}

var _ messages.Mirror = (*Mirror)(nil)

// Open connects to the cluster and returns a Mirror. It fails when no member
// accepts a connection within Config.ConnectTimeout.
func Open(ctx context.Context, config Config) (*Mirror, error) {
	config = withDefaults(config)
	mirror := &Mirror{timeout: config.OperationTimeout, logger: config.Logger}

	clientConfig := mirror.clientConfig(config)

	connectCtx, cancel := context.WithTimeout(ctx, config.ConnectTimeout)
	defer cancel()
	client, err := hazelcast.StartNewClientWithConfig(connectCtx, clientConfig)
	if err != nil {
		return nil, fmt.Errorf("connect to hazelcast cluster %q at %v: %w", config.ClusterName, config.Addresses, err)
	}
	mirror.client = client

	mirror.players, err = client.GetMap(ctx, PlayersMap)
	if err != nil {
		_ = client.Shutdown(context.Background())
		return nil, fmt.Errorf("get map %s: %w", PlayersMap, err)
	}
	mirror.games, err = client.GetMap(ctx, GamesMap)
	if err != nil {
		_ = client.Shutdown(context.Background())
		return nil, fmt.Errorf("get map %s: %w", GamesMap, err)
	}

	mirror.logger.Info("hazelcast mirror connected", "cluster", config.ClusterName, "addresses", config.Addresses)
	return mirror, nil
}

func withDefaults(config Config) Config {
	if len(config.Addresses) == 0 {
		config.Addresses = []string{DefaultAddress}
	}
	if config.ClusterName == "" {
		config.ClusterName = DefaultClusterName
	}
	if config.OperationTimeout <= 0 {
		config.OperationTimeout = DefaultOperationTimeout
	}
	if config.ConnectTimeout <= 0 {
		config.ConnectTimeout = DefaultConnectTimeout
	}
	if config.Logger == nil {
		config.Logger = slog.Default()
	}
	return config
}

// clientConfig builds the hazelcast-go-client configuration. The connection
// strategy keeps its default Timeout of 0, which v1.5.0 treats as no limit,
// so the client never gives up reconnecting. Open bounds the first
// connection with its context instead. Operations sent while the client is
// disconnected wait for a connection until InvocationTimeout.
func (m *Mirror) clientConfig(config Config) hazelcast.Config {
	clientConfig := hazelcast.NewConfig()
	clientConfig.ClientName = "nflsync-mirror"
	clientConfig.Cluster.Name = config.ClusterName
	clientConfig.Cluster.Network.SetAddresses(config.Addresses...)
	clientConfig.Cluster.InvocationTimeout = types.Duration(config.OperationTimeout)

	strategy := &clientConfig.Cluster.ConnectionStrategy
	strategy.ReconnectMode = cluster.ReconnectModeOn

	// The first retry comes soon, to ride out a member restart, and later
	// ones at most every 5 seconds. The v1.5.0 defaults are 1 second growing
	// by 1.05 up to 30 seconds.
	strategy.Retry.InitialBackoff = types.Duration(100 * time.Millisecond)
	strategy.Retry.MaxBackoff = types.Duration(5 * time.Second)
	strategy.Retry.Multiplier = 2
	strategy.Retry.Jitter = 0.2

	clientConfig.Logger.CustomLogger = newSlogAdapter(config.Logger)
	clientConfig.Stats.Enabled = false

	onClusterChanged := config.OnClusterChanged
	clientConfig.AddLifecycleListener(func(event hazelcast.LifecycleStateChanged) {
		m.handleLifecycle(event.State, onClusterChanged)
	})
	return clientConfig
}

// handleLifecycle records the connection state and logs its changes. The
// client calls it from its event goroutine, so it must not block.
func (m *Mirror) handleLifecycle(state hazelcast.LifecycleState, onClusterChanged func()) {
	switch state {
	case hazelcast.LifecycleStateConnected:
		m.disconnected.Store(false)

	case hazelcast.LifecycleStateDisconnected:
		m.disconnected.Store(true)
		if !m.closing.Load() {
			m.logger.Warn("hazelcast mirror disconnected, reconnecting in the background")
		}

	case hazelcast.LifecycleStateChangedCluster:
		m.logger.Warn("hazelcast mirror reconnected to a new cluster, its maps may be empty")
		if onClusterChanged != nil {
			go onClusterChanged()
		}
	}
}

// Connected reports whether the client has a connection to the cluster. The
// client delivers connection events asynchronously, so the result can lag a
// change by a moment.
func (m *Mirror) Connected() bool {
	return !m.disconnected.Load()
}

// PutPlayers writes the states to PlayersMap with one PutAll. It rejects the
// whole batch, writing nothing, when a state is nil or has an empty
// player_id.
func (m *Mirror) PutPlayers(ctx context.Context, states []*messages.PlayerState) error {
	entries := make([]types.Entry, 0, len(states))
	for i, state := range states {
		if state == nil || state.GetPlayerId() == "" {
			return fmt.Errorf("put players: state %d: missing player_id", i)
		}

		value, err := proto.Marshal(state)
		if err != nil {
			return fmt.Errorf("put players: encode player %s: %w", state.GetPlayerId(), err)
		}
		entries = append(entries, types.Entry{Key: state.GetPlayerId(), Value: value})
	}

	if err := m.putAll(ctx, m.players, entries); err != nil {
		return fmt.Errorf("put %d players to %s: %w", len(entries), PlayersMap, err)
	}
	return nil
}

// Player reads the state of playerID from PlayersMap.
func (m *Mirror) Player(ctx context.Context, playerID string) (*messages.PlayerState, bool, error) {
	value, found, err := m.get(ctx, m.players, playerID)
	if err != nil {
		return nil, false, fmt.Errorf("get player %s from %s: %w", playerID, PlayersMap, err)
	}
	if !found {
		return nil, false, nil
	}

	state := &messages.PlayerState{}
	if err := proto.Unmarshal(value, state); err != nil {
		return nil, false, fmt.Errorf("decode player %s from %s: %w", playerID, PlayersMap, err)
	}
	return state, true, nil
}

// PutGames writes the games to GamesMap with one PutAll. It rejects the whole
// batch, writing nothing, when a game is nil or has an empty game_id.
func (m *Mirror) PutGames(ctx context.Context, games []*messages.Game) error {
	entries := make([]types.Entry, 0, len(games))
	for i, game := range games {
		if game == nil || game.GetGameId() == "" {
			return fmt.Errorf("put games: game %d: missing game_id", i)
		}

		value, err := proto.Marshal(game)
		if err != nil {
			return fmt.Errorf("put games: encode game %s: %w", game.GetGameId(), err)
		}
		entries = append(entries, types.Entry{Key: game.GetGameId(), Value: value})
	}

	if err := m.putAll(ctx, m.games, entries); err != nil {
		return fmt.Errorf("put %d games to %s: %w", len(entries), GamesMap, err)
	}
	return nil
}

// Game reads the game gameID from GamesMap.
func (m *Mirror) Game(ctx context.Context, gameID string) (*messages.Game, bool, error) {
	value, found, err := m.get(ctx, m.games, gameID)
	if err != nil {
		return nil, false, fmt.Errorf("get game %s from %s: %w", gameID, GamesMap, err)
	}
	if !found {
		return nil, false, nil
	}

	game := &messages.Game{}
	if err := proto.Unmarshal(value, game); err != nil {
		return nil, false, fmt.Errorf("decode game %s from %s: %w", gameID, GamesMap, err)
	}
	return game, true, nil
}

// Close shuts the client down. Calls after Close fail.
func (m *Mirror) Close(ctx context.Context) error {
	m.closing.Store(true)
	if err := m.client.Shutdown(ctx); err != nil && !errors.Is(err, hzerrors.ErrClientNotActive) {
		return fmt.Errorf("shut down hazelcast client: %w", err)
	}
	return nil
}

func (m *Mirror) putAll(ctx context.Context, hzMap *hazelcast.Map, entries []types.Entry) error {
	if len(entries) == 0 {
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	return m.markDisconnected(hzMap.PutAll(ctx, entries...))
}

// get returns the byte array stored under key. Any other value type is an
// error, because only this package writes the maps. While the client is
// disconnected it fails at once with ErrDisconnected instead of waiting up
// to the operation timeout, so that actors rehydrating during an outage
// fall back to the store without holding their goroutine.
func (m *Mirror) get(ctx context.Context, hzMap *hazelcast.Map, key string) ([]byte, bool, error) {
	if !m.Connected() {
		return nil, false, fmt.Errorf("get %s: %w", key, ErrDisconnected)
	}

	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()

	value, err := hzMap.Get(ctx, key)
	if err != nil {
		return nil, false, m.markDisconnected(err)
	}
	if value == nil {
		return nil, false, nil
	}

	bytes, ok := value.([]byte)
	if !ok {
		return nil, false, fmt.Errorf("unexpected value type %T, want a byte array", value)
	}
	return bytes, true, nil
}

// markDisconnected wraps err with ErrDisconnected when the client has no
// connection at the time the call returns.
func (m *Mirror) markDisconnected(err error) error {
	if err == nil || m.Connected() {
		return err
	}
	return fmt.Errorf("%w: %w", ErrDisconnected, err)
}
