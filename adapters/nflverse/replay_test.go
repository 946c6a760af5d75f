package nflverse

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

var replayDir = filepath.Join("..", "..", "testdata", "replay", "2024")

func newTestReplay(t *testing.T) *Replay {
	t.Helper()
	replay, err := NewReplay(replayDir)
	if err != nil {
		t.Fatal(err)
	}
	return replay
}

// weekKickoffs returns the first and last kickoff of each week of games.
func weekKickoffs(games []*messages.Game) (first, last map[int32]time.Time) {
	first, last = map[int32]time.Time{}, map[int32]time.Time{}
	for _, game := range games {
		kickoff := time.Unix(game.GetKickoffUnix(), 0)
		if current, ok := first[game.GetWeek()]; !ok || kickoff.Before(current) {
			first[game.GetWeek()] = kickoff
		}
		if current, ok := last[game.GetWeek()]; !ok || kickoff.After(current) {
			last[game.GetWeek()] = kickoff
		}
	}
	return first, last
}

func TestReplayRevealsWeeksInOrder(t *testing.T) {
	replay := newTestReplay(t)
	ctx := context.Background()

	if replay.Season() != 2024 {
		t.Fatalf("season = %d, want 2024", replay.Season())
	}
	if replay.RevealedWeek() != 0 {
		t.Errorf("revealed week before Load = %d, want 0", replay.RevealedWeek())
	}
	if got := len(replay.Roster()); got != 3195 {
		t.Errorf("roster entries = %d, want 3195", got)
	}

	stats := readStatsTestdata(t, "stats_player/stats_player_week_2024.csv.gz")
	playersPerWeek := map[int32]int{}
	for _, row := range stats.Players {
		playersPerWeek[row.GetWeek()]++
	}
	schedule := readScheduleTestdata(t, "schedules/games.csv")
	var games2024 []*messages.Game
	for _, game := range schedule {
		if game.GetSeason() == 2024 {
			games2024 = append(games2024, game)
		}
	}
	firstKickoff, lastKickoff := weekKickoffs(games2024)

	wantStart := firstKickoff[1].Add(-10 * time.Minute)
	if !replay.Now().Equal(wantStart) {
		t.Errorf("clock before Load = %s, want %s", replay.Now(), wantStart)
	}

	wantPlayers := 0
	var previous *messages.Snapshot
	for week := int32(1); week <= 22; week++ {
		snapshot, err := replay.Load(ctx, time.Time{})
		if err != nil {
			t.Fatalf("Load %d: %v", week, err)
		}
		previous = snapshot

		if replay.RevealedWeek() != week {
			t.Errorf("Load %d: revealed week = %d", week, replay.RevealedWeek())
		}
		if snapshot.Season != 2024 {
			t.Errorf("Load %d: season = %d, want 2024", week, snapshot.Season)
		}
		wantWeek := min(week+1, 22)
		if snapshot.Week != wantWeek {
			t.Errorf("Load %d: snapshot week = %d, want %d", week, snapshot.Week, wantWeek)
		}

		wantPlayers += playersPerWeek[week]
		if len(snapshot.PlayerWeeks) != wantPlayers {
			t.Errorf("Load %d: player rows = %d, want %d", week, len(snapshot.PlayerWeeks), wantPlayers)
		}
		for _, row := range snapshot.PlayerWeeks {
			if row.GetWeek() > week {
				t.Fatalf("Load %d: player row of week %d", week, row.GetWeek())
			}
		}
		for _, row := range snapshot.TeamWeeks {
			if row.GetWeek() > week {
				t.Fatalf("Load %d: team row of week %d", week, row.GetWeek())
			}
		}

		if len(snapshot.Games) != 285 {
			t.Errorf("Load %d: games = %d, want 285", week, len(snapshot.Games))
		}
		for _, game := range snapshot.Games {
			revealed := game.GetWeek() <= week
			final := game.GetStatus() == messages.GameStatusFinal
			hasScore := game.AwayScore != nil && game.HomeScore != nil
			if revealed != final || revealed != hasScore {
				t.Fatalf("Load %d: game %s of week %d has status %s and scores %v-%v",
					week, game.GetGameId(), game.GetWeek(), game.GetStatus(), game.AwayScore, game.HomeScore)
			}
		}

		wantClock := lastKickoff[22].Add(6 * time.Hour)
		if week < 22 {
			wantClock = firstKickoff[week+1].Add(-10 * time.Minute)
		}
		if !replay.Now().Equal(wantClock) {
			t.Errorf("Load %d: clock = %s, want %s", week, replay.Now(), wantClock)
		}
	}

	if len(previous.TeamWeeks) != 22 {
		t.Errorf("team rows after the last week = %d, want 22", len(previous.TeamWeeks))
	}

	clock := replay.Now()
	again, err := replay.Load(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if replay.RevealedWeek() != 22 || !replay.Now().Equal(clock) {
		t.Errorf("Load after the last week: revealed %d, clock %s, want 22 and %s", replay.RevealedWeek(), replay.Now(), clock)
	}
	if again.Week != previous.Week || len(again.PlayerWeeks) != len(previous.PlayerWeeks) || len(again.Games) != len(previous.Games) {
		t.Errorf("Load after the last week changed the snapshot")
	}
	for i := range again.Games {
		if !proto.Equal(again.Games[i], previous.Games[i]) {
			t.Fatalf("game %s changed after the last week", again.Games[i].GetGameId())
		}
	}
}

func TestReplayGamesAreCopies(t *testing.T) {
	replay := newTestReplay(t)

	first, err := replay.Load(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	first.Games[0].HomeTeam = "changed"

	second, err := replay.Load(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if second.Games[0].GetHomeTeam() == "changed" {
		t.Error("a change to a returned game reached the next snapshot")
	}
}

func TestReplayConcurrentNowAndLoad(t *testing.T) {
	replay := newTestReplay(t)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 5 {
			if _, err := replay.Load(context.Background(), time.Time{}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 1000 {
			_ = replay.Now()
			_ = replay.RevealedWeek()
		}
	}()
	wg.Wait()

	if replay.RevealedWeek() != 5 {
		t.Errorf("revealed week = %d, want 5", replay.RevealedWeek())
	}
}

func TestReplayCanceledContext(t *testing.T) {
	replay := newTestReplay(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if _, err := replay.Load(ctx, time.Time{}); err == nil {
		t.Fatal("want an error for a canceled context")
	}
	if replay.RevealedWeek() != 0 {
		t.Errorf("revealed week = %d, want 0 after a failed Load", replay.RevealedWeek())
	}
}

func TestReplayAfterFuncRunsInRealTime(t *testing.T) {
	replay := newTestReplay(t)

	fired := make(chan struct{})
	replay.AfterFunc(time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc did not fire")
	}

	stop := replay.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
	if !stop() {
		t.Error("stop = false, want true before the timer fired")
	}
}

func TestNewReplayInvalidDirectories(t *testing.T) {
	empty := t.TempDir()

	two := t.TempDir()
	for _, name := range []string{"stats_player_week_2023.csv.gz", "stats_player_week_2024.csv.gz"} {
		if err := os.WriteFile(filepath.Join(two, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	noSchedule := t.TempDir()
	data := readTestdataBytes(t, "stats_player/stats_player_week_2024.csv.gz")
	if err := os.WriteFile(filepath.Join(noSchedule, "stats_player_week_2024.csv.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, dir, want string }{
		{"missing directory", filepath.Join(empty, "absent"), "absent"},
		{"no stats file", empty, "found 0 files"},
		{"two stats files", two, "found 2 files"},
		{"no games.csv", noSchedule, "games.csv"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := NewReplay(test.dir)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), test.want) {
				t.Errorf("error %q does not contain %q", err, test.want)
			}
		})
	}
}

func TestReplayRevealsRostersAndInjuries(t *testing.T) {
	replay := newTestReplay(t)
	injuries, err := ReadInjuries(openTestdata(t, "injuries/injuries_2024.csv"), "injuries_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	injuriesPerWeek := map[int32]int{}
	for _, injury := range injuries {
		injuriesPerWeek[injury.GetWeek()]++
	}

	wantInjuries := 0
	for week := int32(1); week <= 12; week++ {
		snapshot, err := replay.Load(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		wantInjuries += injuriesPerWeek[week]

		if len(snapshot.Rosters) != 3195 {
			t.Errorf("week %d: roster rows = %d, want 3195", week, len(snapshot.Rosters))
		}
		if len(snapshot.Injuries) != wantInjuries {
			t.Errorf("week %d: injuries = %d, want %d", week, len(snapshot.Injuries), wantInjuries)
		}
		for _, injury := range snapshot.Injuries {
			if injury.GetWeek() > week {
				t.Fatalf("week %d: injury of week %d revealed early", week, injury.GetWeek())
			}
		}

		// The file has weeks 1-3 and 5-10.
		wantAvailable := week != 4 && week <= 10
		if snapshot.InjuriesAvailable != wantAvailable {
			t.Errorf("week %d: InjuriesAvailable = %v, want %v", week, snapshot.InjuriesAvailable, wantAvailable)
		}
	}
}
