package hazelcast_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/adapters/hazelcast"
	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcasttest"
	"github.com/nflsync/nflsync/messages"
)

// hangTimeout is how long a call may take before the test calls it a hang.
// It is a guard against deadlocks, not a speed check.
const hangTimeout = 60 * time.Second

func openMirror(t *testing.T, member *hazelcasttest.Member, onClusterChanged func()) *hazelcast.Mirror {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	mirror, err := hazelcast.Open(ctx, hazelcast.Config{
		Addresses:        []string{member.Address()},
		ClusterName:      hazelcasttest.ClusterName,
		OperationTimeout: 3 * time.Second,
		Logger:           slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnClusterChanged: onClusterChanged,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
		defer cancel()
		if err := mirror.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return mirror
}

// testWriter sends the mirror's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func playerState(playerID string, values ...string) *messages.PlayerState {
	week := &messages.PlayerWeek{
		Season:            2024,
		Week:              3,
		SeasonType:        "REG",
		PlayerId:          playerID,
		PlayerName:        "P.Mahomes",
		PlayerDisplayName: "Patrick Mahomes",
		Position:          "QB",
		Team:              "KC",
		OpponentTeam:      "ATL",
		GameId:            "2024_03_KC_ATL",
	}
	names := []string{"fantasy_points", "passing_epa", "passing_yards", "rushing_epa"}
	for i, value := range values {
		week.Stats = append(week.Stats, &messages.Stat{Name: names[i%len(names)], Value: value})
	}
	return &messages.PlayerState{
		PlayerId: playerID,
		Weeks:    []*messages.PlayerWeek{{Season: 2024, Week: 2, PlayerId: playerID}, week},
	}
}

func finalGame() *messages.Game {
	awayScore, homeScore := int32(22), int32(0)
	return &messages.Game{
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
		Overtime:    true,
		Location:    "Home",
	}
}

func TestMirrorAgainstMember(t *testing.T) {
	member := hazelcasttest.StartMember(t)
	mirror := openMirror(t, member, nil)
	ctx := context.Background()

	t.Run("player round trip", func(t *testing.T) {
		decimals := []string{"0", "-2", "18.58", "0.02"}
		want := playerState("00-0033873", decimals...)

		if err := mirror.PutPlayers(ctx, []*messages.PlayerState{want, playerState("00-0036355", "1")}); err != nil {
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

		stats := got.GetWeeks()[1].GetStats()
		if len(stats) != len(decimals) {
			t.Fatalf("got %d stats, want %d", len(stats), len(decimals))
		}
		for i, stat := range stats {
			if stat.GetValue() != decimals[i] {
				t.Errorf("stat %s = %q, want %q", stat.GetName(), stat.GetValue(), decimals[i])
			}
		}
	})

	t.Run("player replaced", func(t *testing.T) {
		if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0036355", "1")}); err != nil {
			t.Fatalf("first PutPlayers: %v", err)
		}
		if err := mirror.PutPlayers(ctx, []*messages.PlayerState{playerState("00-0036355", "2.5")}); err != nil {
			t.Fatalf("second PutPlayers: %v", err)
		}

		got, _, err := mirror.Player(ctx, "00-0036355")
		if err != nil {
			t.Fatalf("Player: %v", err)
		}
		if value := got.GetWeeks()[1].GetStats()[0].GetValue(); value != "2.5" {
			t.Errorf("stat value = %q, want %q", value, "2.5")
		}
	})

	t.Run("player missing", func(t *testing.T) {
		got, found, err := mirror.Player(ctx, "00-0000000")
		if err != nil {
			t.Fatalf("Player: %v", err)
		}
		if found {
			t.Error("Player: found=true for a key never written")
		}
		if got != nil {
			t.Errorf("Player = %v, want nil", got)
		}
	})

	t.Run("game round trip", func(t *testing.T) {
		final := finalGame()
		scheduled := &messages.Game{
			GameId:   "2024_18_BUF_NE",
			Season:   2024,
			GameType: "REG",
			Week:     18,
			AwayTeam: "BUF",
			HomeTeam: "NE",
			Status:   messages.GameStatusScheduled,
		}

		if err := mirror.PutGames(ctx, []*messages.Game{final, scheduled}); err != nil {
			t.Fatalf("PutGames: %v", err)
		}

		for _, want := range []*messages.Game{final, scheduled} {
			got, found, err := mirror.Game(ctx, want.GetGameId())
			if err != nil {
				t.Fatalf("Game %s: %v", want.GetGameId(), err)
			}
			if !found {
				t.Fatalf("Game %s: found=false after PutGames", want.GetGameId())
			}
			if !proto.Equal(got, want) {
				t.Errorf("Game %s = %v, want %v", want.GetGameId(), got, want)
			}
		}

		got, _, err := mirror.Game(ctx, scheduled.GetGameId())
		if err != nil {
			t.Fatalf("Game: %v", err)
		}
		if got.HomeScore != nil {
			t.Errorf("scheduled game home_score = %d, want absent", got.GetHomeScore())
		}
	})

	t.Run("game missing", func(t *testing.T) {
		_, found, err := mirror.Game(ctx, "1999_01_XXX_YYY")
		if err != nil {
			t.Fatalf("Game: %v", err)
		}
		if found {
			t.Error("Game: found=true for a key never written")
		}
	})

	t.Run("empty batches", func(t *testing.T) {
		if err := mirror.PutPlayers(ctx, nil); err != nil {
			t.Errorf("PutPlayers(nil): %v", err)
		}
		if err := mirror.PutGames(ctx, nil); err != nil {
			t.Errorf("PutGames(nil): %v", err)
		}
	})

	t.Run("missing keys rejected", func(t *testing.T) {
		batch := []*messages.PlayerState{playerState("00-0039999", "1"), {PlayerId: ""}}
		if err := mirror.PutPlayers(ctx, batch); err == nil {
			t.Error("PutPlayers accepted a state without player_id")
		}

		_, found, err := mirror.Player(ctx, "00-0039999")
		if err != nil {
			t.Fatalf("Player: %v", err)
		}
		if found {
			t.Error("Player: the valid state of a rejected batch was written")
		}

		if err := mirror.PutGames(ctx, []*messages.Game{nil}); err == nil {
			t.Error("PutGames accepted a nil game")
		}
	})
}

func TestMirrorReconnectsAfterRestart(t *testing.T) {
	member := hazelcasttest.StartMember(t)
	clusterChanged := make(chan struct{}, 1)
	mirror := openMirror(t, member, func() {
		select {
		case clusterChanged <- struct{}{}:
		default:
		}
	})
	ctx := context.Background()
	state := playerState("00-0033873", "0", "-2", "18.58", "0.02")
	game := finalGame()

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{state}); err != nil {
		t.Fatalf("PutPlayers before Stop: %v", err)
	}
	if err := mirror.PutGames(ctx, []*messages.Game{game}); err != nil {
		t.Fatalf("PutGames before Stop: %v", err)
	}

	member.Stop()

	stopped := time.Now()
	err := callWithin(t, func() error {
		return mirror.PutPlayers(ctx, []*messages.PlayerState{state})
	})
	if err == nil {
		t.Fatal("PutPlayers succeeded while the member was down")
	}
	t.Logf("PutPlayers failed %s after Stop: %v", time.Since(stopped).Round(time.Millisecond), err)
	if !errors.Is(err, hazelcast.ErrDisconnected) {
		t.Errorf("PutPlayers error %v does not wrap ErrDisconnected", err)
	}
	if mirror.Connected() {
		t.Error("Connected() = true after a call failed with ErrDisconnected")
	}

	// A read while disconnected fails with ErrDisconnected without waiting
	// for the operation timeout.
	if _, _, err := mirror.Player(ctx, state.GetPlayerId()); !errors.Is(err, hazelcast.ErrDisconnected) {
		t.Errorf("Player while disconnected: error %v does not wrap ErrDisconnected", err)
	}

	member.Start()

	// The client reconnects in the background, so read until a call works.
	restarted := time.Now()
	var found bool
	deadline := time.Now().Add(hangTimeout)
	for {
		_, found, err = mirror.Player(ctx, state.GetPlayerId())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Player still failing %s after Start: %v", hangTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("first read worked %s after Start", time.Since(restarted).Round(time.Millisecond))

	if found {
		t.Error("Player: found=true on a restarted, empty member")
	}
	// A read works only once the client announced the connection, so
	// Connected is true by now; the loop guards that order.
	for !mirror.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("Connected() still false after a read worked")
		}
		time.Sleep(50 * time.Millisecond)
	}

	select {
	case <-clusterChanged:
	case <-time.After(hangTimeout):
		t.Error("OnClusterChanged not called after the member restarted")
	}

	if err := mirror.PutPlayers(ctx, []*messages.PlayerState{state}); err != nil {
		t.Fatalf("PutPlayers after restart: %v", err)
	}
	if err := mirror.PutGames(ctx, []*messages.Game{game}); err != nil {
		t.Fatalf("PutGames after restart: %v", err)
	}

	gotState, found, err := mirror.Player(ctx, state.GetPlayerId())
	if err != nil {
		t.Fatalf("Player after refill: %v", err)
	}
	if !found {
		t.Fatal("Player: found=false after refill")
	}
	if !proto.Equal(gotState, state) {
		t.Errorf("Player after refill = %v, want %v", gotState, state)
	}

	gotGame, found, err := mirror.Game(ctx, game.GetGameId())
	if err != nil {
		t.Fatalf("Game after refill: %v", err)
	}
	if !found {
		t.Fatal("Game: found=false after refill")
	}
	if !proto.Equal(gotGame, game) {
		t.Errorf("Game after refill = %v, want %v", gotGame, game)
	}
}

// callWithin runs call and fails the test if it has not returned after
// hangTimeout.
func callWithin(t *testing.T, call func() error) error {
	t.Helper()

	result := make(chan error, 1)
	go func() { result <- call() }()

	select {
	case err := <-result:
		return err
	case <-time.After(hangTimeout):
		t.Fatalf("call still running after %s", hangTimeout)
		return nil
	}
}
