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
// (queued, mirrored or stored), fitted to the hub's seq (snapshot_seq.go).
// League streams go to Leagues when it is set. The fetcher records the
// current week in it after every sync cycle.
type Snapshots struct {
	state  *StateKeeper
	scorer *scoring.Scorer
	hub    *Hub

	// Leagues serves league snapshots; nil serves none.
	Leagues messages.Snapshotter

	mu            sync.RWMutex
	currentSeason int32
	currentGames  []string // game_ids of the current week, in schedule order
}

var _ messages.Snapshotter = (*Snapshots)(nil)

// NewSnapshots returns a Snapshots whose player items carry points under the
// scorer's rule sets, at the seqs of hub's streams.
func NewSnapshots(state *StateKeeper, scorer *scoring.Scorer, hub *Hub) *Snapshots {
	return &Snapshots{state: state, scorer: scorer, hub: hub}
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
func (s *Snapshots) Snapshot(ctx context.Context, kind messages.StreamKind, id string, seq uint64) ([]json.RawMessage, error) {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		return s.player(ctx, id, seq)

	case messages.StreamKind_STREAM_KIND_GAME:
		return s.games(ctx, StreamKey(kind, id), seq, []string{id})

	case messages.StreamKind_STREAM_KIND_SCOREBOARD:
		s.mu.RLock()
		games := s.currentGames
		s.mu.RUnlock()
		return s.games(ctx, StreamKey(kind, id), seq, games)

	case messages.StreamKind_STREAM_KIND_LEAGUE:
		if s.Leagues == nil {
			return nil, nil
		}
		return s.Leagues.Snapshot(ctx, kind, id, seq)

	default:
		return nil, fmt.Errorf("snapshot of stream kind %v: unknown kind", kind)
	}
}

// player returns one item per week of the current season, with points, as
// the player's stream had it at seq.
func (s *Snapshots) player(ctx context.Context, playerID string, seq uint64) ([]json.RawMessage, error) {
	state, found, err := s.state.PeekPlayer(ctx, playerID)
	if err != nil || !found {
		return nil, err
	}

	s.mu.RLock()
	season := s.currentSeason
	s.mu.RUnlock()

	var rows []*messages.PlayerWeek
	var versions []itemVersion
	for _, row := range state.GetWeeks() {
		if season != 0 && row.GetSeason() != season {
			continue
		}
		rows = append(rows, row)
		versions = append(versions, itemVersion{key: playerItem(row.GetSeason(), row.GetWeek()), detected: row.GetDetectedUnixNano()})
	}

	changes, err := s.hub.changesAround(ctx, StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, playerID), seq, versions)
	if err != nil {
		return nil, fmt.Errorf("snapshot of player_id %s: %w", playerID, err)
	}

	weeks := make([]*messages.PlayerUpdateData, 0, len(rows))
	for i, row := range rows {
		update, err := scoreDelta(s.scorer, &messages.PlayerStatsDelta{Current: row, FirstSeen: true})
		if err != nil {
			return nil, fmt.Errorf("snapshot of player_id %s: %w", playerID, err)
		}
		data := messages.NewPlayerUpdateData(update)

		later, known := changes.after(versions[i])
		if known && len(later) > 0 && !changes.playerWeekAt(data, later) {
			continue
		}
		weeks = append(weeks, data)
	}

	// The stream may also have carried changes that the mirror does not
	// have yet. A player actor keeps a change only after every node
	// confirmed it. When the polling node dies before the confirmation, the
	// next polling node announces and keeps the change, and the hubs drop
	// that message as a repeat. The snapshot then takes such changes from
	// the stream's history up to seq.
	weeks = changes.rollForward(weeks, versions)

	items := make([]json.RawMessage, 0, len(weeks))
	for _, data := range weeks {
		item, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("snapshot of player_id %s: %w", playerID, err)
		}
		items = append(items, item)
	}
	return items, nil
}

// games returns one item per game, as stream had it at seq. A game that a
// message after seq changed is left out, because that message carries the
// whole game.
func (s *Snapshots) games(ctx context.Context, stream string, seq uint64, gameIDs []string) ([]json.RawMessage, error) {
	var games []*messages.Game
	var versions []itemVersion
	for _, gameID := range gameIDs {
		game, found, err := s.state.PeekGame(ctx, gameID)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		games = append(games, game)
		versions = append(versions, itemVersion{key: gameItem(gameID), detected: game.GetDetectedUnixNano()})
	}

	changes, err := s.hub.changesAround(ctx, stream, seq, versions)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", stream, err)
	}

	// The stream may have carried a newer game than the mirror has: a game
	// actor writes the mirror only after every node received its message.
	newer := changes.newerGames(versions)

	items := make([]json.RawMessage, 0, len(games))
	for i, game := range games {
		if later, known := changes.after(versions[i]); known && len(later) > 0 {
			continue
		}

		data := messages.NewGameScoreData(&messages.GameDelta{Current: game})
		if carried, ok := newer[game.GetGameId()]; ok {
			data = carried
		}
		item, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("snapshot of game_id %s: %w", game.GetGameId(), err)
		}
		items = append(items, item)
	}

	// A game that the mirror does not have yet but the stream carried.
	found := make(map[string]bool, len(games))
	for _, game := range games {
		found[game.GetGameId()] = true
	}
	for _, gameID := range gameIDs {
		carried, ok := newer[gameID]
		if !ok || found[gameID] {
			continue
		}
		item, err := json.Marshal(carried)
		if err != nil {
			return nil, fmt.Errorf("snapshot of game_id %s: %w", gameID, err)
		}
		items = append(items, item)
	}
	return items, nil
}
