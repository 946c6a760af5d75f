package inmem_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

func playerState(playerID string, values ...string) *messages.PlayerState {
	week := &messages.PlayerWeek{
		Season:   2024,
		Week:     3,
		PlayerId: playerID,
		Position: "QB",
		Team:     "KC",
		GameId:   "2024_03_KC_ATL",
	}
	for i, value := range values {
		week.Stats = append(week.Stats, &messages.Stat{Name: fmt.Sprintf("stat_%d", i), Value: value})
	}
	return &messages.PlayerState{PlayerId: playerID, Weeks: []*messages.PlayerWeek{week}}
}

func TestPlayerRoundTrip(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()
	want := playerState("00-0033873", "0", "-2", "18.58", "0.02")

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{want}); err != nil {
		t.Fatalf("PutPlayers: %v", err)
	}

	got, found, err := mirror.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	if !found {
		t.Fatal("Player: found=false after PutPlayers")
	}
	if !proto.Equal(got, want) {
		t.Errorf("Player = %v, want %v", got, want)
	}
}

func TestPlayerMissing(t *testing.T) {
	mirror := inmem.New()

	got, found, err := mirror.Player(context.Background(), "00-0000000")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	if found {
		t.Errorf("Player: found=true for a key never written")
	}
	if got != nil {
		t.Errorf("Player = %v, want nil", got)
	}
}

func TestPutPlayersReplaces(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0033873", "1")}); err != nil {
		t.Fatalf("first PutPlayers: %v", err)
	}
	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0033873", "2")}); err != nil {
		t.Fatalf("second PutPlayers: %v", err)
	}

	got, _, err := mirror.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	if value := got.GetWeeks()[0].GetStats()[0].GetValue(); value != "2" {
		t.Errorf("stat value = %q, want %q", value, "2")
	}
}

func TestStoresClones(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()
	state := playerState("00-0033873", "18.58")

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{state}); err != nil {
		t.Fatalf("PutPlayers: %v", err)
	}
	state.Weeks[0].Stats[0].Value = "changed after put"

	first, _, err := mirror.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	first.Weeks[0].Stats[0].Value = "changed after get"

	second, _, err := mirror.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	if value := second.GetWeeks()[0].GetStats()[0].GetValue(); value != "18.58" {
		t.Errorf("stat value = %q, want %q", value, "18.58")
	}
}

func TestPutPlayersRejectsEmptyID(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()
	batch := []*messages.PlayerState{playerState("00-0033873", "1"), {PlayerId: ""}}

	if err := mirror.PutPlayers(ctx, batch); err == nil {
		t.Fatal("PutPlayers accepted a state without player_id")
	}

	_, found, err := mirror.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player: %v", err)
	}
	if found {
		t.Errorf("Player: the valid state of a rejected batch was stored")
	}
}

func TestGameRoundTrip(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()
	awayScore, homeScore := int32(22), int32(17)
	want := &messages.Game{
		GameId:      "2024_03_KC_ATL",
		Season:      2024,
		GameType:    "REG",
		Week:        3,
		AwayTeam:    "KC",
		HomeTeam:    "ATL",
		AwayScore:   &awayScore,
		HomeScore:   &homeScore,
		KickoffUnix: 1727051400,
		Status:      messages.GameStatusFinal,
		Location:    "Home",
	}

	if err := mirror.PutGames(ctx, []*messages.Game{want}); err != nil {
		t.Fatalf("PutGames: %v", err)
	}

	got, found, err := mirror.Game(ctx, "2024_03_KC_ATL")
	if err != nil {
		t.Fatalf("Game: %v", err)
	}
	if !found {
		t.Fatal("Game: found=false after PutGames")
	}
	if !proto.Equal(got, want) {
		t.Errorf("Game = %v, want %v", got, want)
	}

	_, found, err = mirror.Game(ctx, "2024_03_BUF_MIA")
	if err != nil {
		t.Fatalf("Game of missing key: %v", err)
	}
	if found {
		t.Errorf("Game: found=true for a key never written")
	}
}

func TestPutGamesRejectsNil(t *testing.T) {
	mirror := inmem.New()

	if err := mirror.PutGames(context.Background(), []*messages.Game{nil}); err == nil {
		t.Fatal("PutGames accepted a nil game")
	}
}

func TestClosedMirrorFails(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()

	if err := mirror.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := mirror.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0033873")}); !errors.Is(err, inmem.ErrClosed) {
		t.Errorf("PutPlayers after Close = %v, want ErrClosed", err)
	}
	if _, _, err := mirror.Player(ctx, "00-0033873"); !errors.Is(err, inmem.ErrClosed) {
		t.Errorf("Player after Close = %v, want ErrClosed", err)
	}
	if err := mirror.PutGames(ctx, []*messages.Game{{GameId: "2024_03_KC_ATL"}}); !errors.Is(err, inmem.ErrClosed) {
		t.Errorf("PutGames after Close = %v, want ErrClosed", err)
	}
	if _, _, err := mirror.Game(ctx, "2024_03_KC_ATL"); !errors.Is(err, inmem.ErrClosed) {
		t.Errorf("Game after Close = %v, want ErrClosed", err)
	}
}

func TestCanceledContextFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mirror := inmem.New()

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0033873")}); !errors.Is(err, context.Canceled) {
		t.Errorf("PutPlayers with canceled context = %v, want context.Canceled", err)
	}
	if _, _, err := mirror.Game(ctx, "2024_03_KC_ATL"); !errors.Is(err, context.Canceled) {
		t.Errorf("Game with canceled context = %v, want context.Canceled", err)
	}
}

func TestConcurrentAccess(t *testing.T) {
	ctx := context.Background()
	mirror := inmem.New()

	var wg sync.WaitGroup
	for worker := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			playerID := fmt.Sprintf("00-00000%02d", worker)
			for i := range 100 {
				state := playerState(playerID, fmt.Sprint(i))
				if err := mirror.PutPlayers(ctx, []*messages.PlayerState{state}); err != nil {
					t.Errorf("PutPlayers: %v", err)
					return
				}
				if _, _, err := mirror.Player(ctx, playerID); err != nil {
					t.Errorf("Player: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()

	for worker := range 8 {
		playerID := fmt.Sprintf("00-00000%02d", worker)
		got, found, err := mirror.Player(ctx, playerID)
		if err != nil {
			t.Fatalf("Player %s: %v", playerID, err)
		}
		if !found {
			t.Fatalf("Player %s: found=false", playerID)
		}
		if value := got.GetWeeks()[0].GetStats()[0].GetValue(); value != "99" {
			t.Errorf("Player %s stat value = %q, want %q", playerID, value, "99")
		}
	}
}
