package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// Snapshots implements messages.Snapshotter for player, game and scoreboard
// streams from the StateKeeper, which reads the newest state of every actor
// (queued, mirrored or stored). League streams go to Leagues when it is set.
// The fetcher tells it the current week after every sync cycle.
type Snapshots struct {
	state  *StateKeeper
	scorer *scoring.Scorer

	// Leagues serves league snapshots; nil serves none.
	Leagues messages.Snapshotter

	mu            sync.RWMutex
	currentSeason int32
	currentGames  []string // game_ids of the current week, in schedule order
}

var _ messages.Snapshotter = (*Snapshots)(nil)

// NewSnapshots returns a Snapshots whose player items carry points under the
// scorer's rule sets.
func NewSnapshots(state *StateKeeper, scorer *scoring.Scorer) *Snapshots {
	return &Snapshots{state: state, scorer: scorer}
}

// observeCycle records the current season and the current week's games.
func (s *Snapshots) observeCycle(snapshot *messages.Snapshot) {
	var games []string
	for _, game := range snapshot.Games {
		if game.GetSeason() == snapshot.Season && game.GetWeek() == snapshot.Week {
			games = append(games, game.GetGameId())
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.currentSeason = snapshot.Season
	s.currentGames = games
}

// Snapshot returns the stream's current state, as messages.Snapshotter
// documents.
func (s *Snapshots) Snapshot(ctx context.Context, kind messages.StreamKind, id string) ([]json.RawMessage, error) {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		return s.player(ctx, id)

	case messages.StreamKind_STREAM_KIND_GAME:
		return s.games(ctx, []string{id})

	case messages.StreamKind_STREAM_KIND_SCOREBOARD:
		s.mu.RLock()
		games := s.currentGames
		s.mu.RUnlock()
		return s.games(ctx, games)

	case messages.StreamKind_STREAM_KIND_LEAGUE:
		if s.Leagues == nil {
			return nil, nil
		}
		return s.Leagues.Snapshot(ctx, kind, id)

	default:
		return nil, fmt.Errorf("snapshot of stream kind %v: unknown kind", kind)
	}
}

// player returns one item per week of the current season, with points.
func (s *Snapshots) player(ctx context.Context, playerID string) ([]json.RawMessage, error) {
	state, found, err := s.state.PeekPlayer(ctx, playerID)
	if err != nil || !found {
		return nil, err
	}

	s.mu.RLock()
	season := s.currentSeason
	s.mu.RUnlock()

	var items []json.RawMessage
	for _, row := range state.GetWeeks() {
		if season != 0 && row.GetSeason() != season {
			continue
		}

		update, err := scoreDelta(s.scorer, &messages.PlayerStatsDelta{Current: row, FirstSeen: true})
		if err != nil {
			return nil, fmt.Errorf("snapshot of player_id %s: %w", playerID, err)
		}
		item, err := json.Marshal(messages.NewPlayerUpdateData(update))
		if err != nil {
			return nil, fmt.Errorf("snapshot of player_id %s: %w", playerID, err)
		}
		items = append(items, item)
	}
	return items, nil
}

func (s *Snapshots) games(ctx context.Context, gameIDs []string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	for _, gameID := range gameIDs {
		game, found, err := s.state.PeekGame(ctx, gameID)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}

		item, err := json.Marshal(messages.NewGameScoreData(&messages.GameDelta{Current: game}))
		if err != nil {
			return nil, fmt.Errorf("snapshot of game_id %s: %w", gameID, err)
		}
		items = append(items, item)
	}
	return items, nil
}
