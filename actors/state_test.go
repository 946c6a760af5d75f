package actors

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

// gatedStore is a Store whose player-week and game upserts wait for the
// gate to open, and fail while failures is above zero. Other methods are
// not used by these tests and panic through the nil embedded interface.
type gatedStore struct {
	messages.Store

	gate chan struct{}

	mu       sync.Mutex
	failures int
	weeks    map[string]*messages.PlayerWeek
	games    map[string]*messages.Game
}

func newGatedStore(failures int) *gatedStore {
	return &gatedStore{
		gate:     make(chan struct{}),
		failures: failures,
		weeks:    make(map[string]*messages.PlayerWeek),
		games:    make(map[string]*messages.Game),
	}
}

func (s *gatedStore) pass(ctx context.Context) error {
	select {
	case <-s.gate:
	case <-ctx.Done():
		return ctx.Err()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures > 0 {
		s.failures--
		return errors.New("store unavailable")
	}
	return nil
}

func (s *gatedStore) UpsertPlayerWeeks(ctx context.Context, weeks []*messages.PlayerWeek) error {
	if err := s.pass(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, week := range weeks {
		s.weeks[weekKey(week)] = week
	}
	return nil
}

func (s *gatedStore) UpsertGames(ctx context.Context, games []*messages.Game) error {
	if err := s.pass(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, game := range games {
		s.games[game.GetGameId()] = game
	}
	return nil
}

func (s *gatedStore) counts() (weeks, games int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.weeks), len(s.games)
}

func TestStateKeeperMirrorDoesNotWaitForStore(t *testing.T) {
	mirror := inmem.New()
	store := newGatedStore(1)
	keeper := NewStateKeeper(mirror, store, nil, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		keeper.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()

	week := &messages.PlayerWeek{PlayerId: "00-0033873", Season: 2025, Week: 3}
	keeper.PutPlayer(&messages.PlayerState{PlayerId: "00-0033873", Weeks: []*messages.PlayerWeek{week}}, []*messages.PlayerWeek{week})
	keeper.PutGame(&messages.Game{GameId: "2025_03_KC_NYG"})

	// The store is still closed, yet the mirror gets both states.
	waitFor(t, "the mirror to hold the player and the game", func() bool {
		_, player, _ := mirror.Player(context.Background(), "00-0033873")
		_, game, _ := mirror.Game(context.Background(), "2025_03_KC_NYG")
		return player && game
	})
	if weeks, games := store.counts(); weeks != 0 || games != 0 {
		t.Fatalf("store holds %d player-weeks and %d games before its gate opened", weeks, games)
	}

	// The first store write fails and is retried until it succeeds.
	close(store.gate)
	waitFor(t, "the store to hold the player-week and the game", func() bool {
		weeks, games := store.counts()
		return weeks == 1 && games == 1
	})
}

func TestStateKeeperFinalFlushWritesQueuedRows(t *testing.T) {
	mirror := inmem.New()
	store := newGatedStore(0)
	close(store.gate)
	keeper := NewStateKeeper(mirror, store, nil, nil)

	// Stopped before it starts: the final flush of each lane still writes
	// what was queued.
	week := &messages.PlayerWeek{PlayerId: "00-0036355", Season: 2025, Week: 1}
	keeper.PutPlayer(&messages.PlayerState{PlayerId: "00-0036355", Weeks: []*messages.PlayerWeek{week}}, []*messages.PlayerWeek{week})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	keeper.Run(ctx)

	if _, found, _ := mirror.Player(context.Background(), "00-0036355"); !found {
		t.Error("mirror lacks the player after the final flush")
	}
	if weeks, _ := store.counts(); weeks != 1 {
		t.Errorf("store holds %d player-weeks after the final flush, want 1", weeks)
	}
}
