// Package inmem implements messages.Mirror in process memory, for single-node
// runs and for unit tests of code that needs a Mirror. Its contents live as
// long as the Mirror value, so nothing is shared between nodes or survives a
// restart of the process.
package inmem

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// ErrClosed is returned, wrapped, by every method of a closed Mirror.
var ErrClosed = errors.New("inmem mirror closed")

// Mirror is a goroutine-safe messages.Mirror backed by two maps. It stores
// clones of the messages it receives and returns clones of what it stores, so
// callers may modify both freely.
type Mirror struct {
	mu      sync.RWMutex
	players map[string]*messages.PlayerState
	games   map[string]*messages.Game
	closed  bool
}

var _ messages.Mirror = (*Mirror)(nil)

// New returns an empty Mirror.
func New() *Mirror {
	return &Mirror{
		players: make(map[string]*messages.PlayerState),
		games:   make(map[string]*messages.Game),
	}
}

// PutPlayers stores clones of states keyed by player_id. It rejects the whole
// batch, storing nothing, when a state is nil or has an empty player_id.
func (m *Mirror) PutPlayers(ctx context.Context, states []*messages.PlayerState) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %d players: %w", len(states), err)
	}

	clones := make([]*messages.PlayerState, 0, len(states))
	for i, state := range states {
		if state == nil || state.GetPlayerId() == "" {
			return fmt.Errorf("put players: state %d: missing player_id", i)
		}
		clones = append(clones, proto.Clone(state).(*messages.PlayerState))
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("put %d players: %w", len(states), ErrClosed)
	}
	for _, state := range clones {
		m.players[state.GetPlayerId()] = state
	}
	return nil
}

// Player returns a clone of the stored state of playerID, or found=false.
func (m *Mirror) Player(ctx context.Context, playerID string) (*messages.PlayerState, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("get player %s: %w", playerID, err)
	}

	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, false, fmt.Errorf("get player %s: %w", playerID, ErrClosed)
	}
	state, found := m.players[playerID]
	if !found {
		return nil, false, nil
	}
	return proto.Clone(state).(*messages.PlayerState), true, nil
}

// PutGames stores clones of games keyed by game_id. It rejects the whole
// batch, storing nothing, when a game is nil or has an empty game_id.
func (m *Mirror) PutGames(ctx context.Context, games []*messages.Game) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %d games: %w", len(games), err)
	}

	clones := make([]*messages.Game, 0, len(games))
	for i, game := range games {
		if game == nil || game.GetGameId() == "" {
			return fmt.Errorf("put games: game %d: missing game_id", i)
		}
		clones = append(clones, proto.Clone(game).(*messages.Game))
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("put %d games: %w", len(games), ErrClosed)
	}
	for _, game := range clones {
		m.games[game.GetGameId()] = game
	}
	return nil
}

// Game returns a clone of the stored game gameID, or found=false.
func (m *Mirror) Game(ctx context.Context, gameID string) (*messages.Game, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("get game %s: %w", gameID, err)
	}

	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, false, fmt.Errorf("get game %s: %w", gameID, ErrClosed)
	}
	game, found := m.games[gameID]
	if !found {
		return nil, false, nil
	}
	return proto.Clone(game).(*messages.Game), true, nil
}

// Close drops the stored data. Later calls return ErrClosed. Closing twice
// is not an error.
func (m *Mirror) Close(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.players = nil
	m.games = nil
	return nil
}
