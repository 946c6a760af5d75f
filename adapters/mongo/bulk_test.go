package mongo

import (
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

func TestStorePlayersReadsEveryPlayer(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	weeks := []*messages.PlayerWeek{
		playerWeek("00-0033873", 2024, 2, "passing_yards", "0"),
		playerWeek("00-0036442", 2024, 1, "rushing_yards", "-2"),
		playerWeek("00-0033873", 2024, 1, "passing_yards", "18.58"),
	}
	if err := store.UpsertPlayerWeeks(ctx, weeks); err != nil {
		t.Fatalf("UpsertPlayerWeeks: %v", err)
	}

	states, err := store.Players(ctx)
	if err != nil {
		t.Fatalf("Players: %v", err)
	}
	if len(states) != 2 {
		t.Fatalf("Players returned %d players, want 2", len(states))
	}

	byID := map[string]*messages.PlayerState{}
	for _, state := range states {
		byID[state.GetPlayerId()] = state
	}
	mahomes := byID["00-0033873"]
	if len(mahomes.GetWeeks()) != 2 {
		t.Fatalf("00-0033873 has %d weeks, want 2", len(mahomes.GetWeeks()))
	}
	if mahomes.Weeks[0].Week != 1 || mahomes.Weeks[1].Week != 2 {
		t.Errorf("weeks are %d, %d, want 1, 2", mahomes.Weeks[0].Week, mahomes.Weeks[1].Week)
	}
	if got := mahomes.Weeks[0].Stats[0].Value; got != "18.58" {
		t.Errorf("week 1 passing_yards = %q, want 18.58", got)
	}
	if got := mahomes.Weeks[1].Stats[0].Value; got != "0" {
		t.Errorf("week 2 passing_yards = %q, want 0", got)
	}
}

func TestStoreGamesAndLastSyncRun(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	if _, found, err := store.LastSyncRun(ctx); err != nil || found {
		t.Fatalf("LastSyncRun on an empty store: found=%v err=%v, want not found", found, err)
	}

	games := []*messages.Game{
		{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1, Status: messages.GameStatusScheduled},
		{GameId: "2024_01_GB_PHI", Season: 2024, Week: 1, Status: messages.GameStatusScheduled},
	}
	if err := store.UpsertGames(ctx, games); err != nil {
		t.Fatalf("UpsertGames: %v", err)
	}
	stored, err := store.Games(ctx)
	if err != nil {
		t.Fatalf("Games: %v", err)
	}
	if len(stored) != 2 {
		t.Errorf("Games returned %d games, want 2", len(stored))
	}

	started := time.Date(2024, 9, 8, 17, 0, 0, 0, time.UTC)
	runs := []messages.SyncRun{
		{StartedAt: started, Season: 2024, Week: 5, OK: true},
		{StartedAt: started.Add(time.Minute), Season: 2024, Week: 6, OK: true},
		{StartedAt: started.Add(2 * time.Minute), Season: 2024, Week: 7, OK: false, Error: "timed out"},
	}
	for _, run := range runs {
		if err := store.InsertSyncRun(ctx, run); err != nil {
			t.Fatalf("InsertSyncRun: %v", err)
		}
	}

	last, found, err := store.LastSyncRun(ctx)
	if err != nil || !found {
		t.Fatalf("LastSyncRun: found=%v err=%v", found, err)
	}
	if last.Week != 6 {
		t.Errorf("LastSyncRun week = %d, want 6 (the newest successful run)", last.Week)
	}
}
