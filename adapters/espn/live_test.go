package espn

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLiveReplayDetroitAtBuffalo(t *testing.T) {
	ids := newTestIDMap(t, detBufSchedule)

	// Listed out of time order on purpose: the replay sorts by capturedAt.
	names := []string{
		"event-401872932-final-q4.json",
		"event-401872932-in_progress-q3.json",
		"event-401872932-in_progress-q2.json",
		"event-401872932-in_progress-q4.json",
		"event-401872932-halftime-q2.json",
	}
	var paths []string
	for _, name := range names {
		paths = append(paths, filepath.Join(fixtures, "scoreboard-events", name))
	}
	replay, err := ReadLiveReplay(paths...)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	var previous *LiveGame
	var changes []string
	for poll := 1; poll <= len(names)+1; poll++ {
		board, err := replay.Scoreboard(ctx, ScoreboardQuery{})
		if err != nil {
			t.Fatalf("poll %d: %v", poll, err)
		}
		if got, want := board.NotModified, poll > len(names); got != want {
			t.Errorf("poll %d: NotModified = %v, want %v", poll, got, want)
		}
		games, unmapped, err := GamesFromScoreboard(board, ids)
		if err != nil {
			t.Fatalf("poll %d: %v", poll, err)
		}
		if len(unmapped) != 0 || len(games) != 1 {
			t.Fatalf("poll %d: %d games, unmapped %v, want the one game", poll, len(games), unmapped)
		}
		game := games[0]
		if game.GameID != "2026_02_DET_BUF" || !game.Provisional {
			t.Fatalf("poll %d: game %s provisional %v", poll, game.GameID, game.Provisional)
		}

		if previous == nil {
			changes = append(changes, "first: "+game.Status+" "+number(game.AwayScore)+"-"+number(game.HomeScore))
		} else {
			for _, change := range diffGames(previous, game) {
				changes = append(changes, board.CapturedAt.Format(time.TimeOnly)+" "+change)
			}
		}
		previous = game
	}

	want := []string{
		"first: in_progress 7-21",
		// Halftime: ESPN drops possession and down and distance.
		"01:52:16 status: in_progress -> halftime",
		"01:52:16 clock: 3:01 -> 0:00",
		"01:52:16 away_score: 7 -> 10",
		"01:52:16 home_score: 21 -> 27",
		"01:52:16 possession: BUF -> null",
		"01:52:16 down: 2 -> null",
		"01:52:16 distance: 13 -> null",
		"01:52:16 yard_line: 84 -> null",
		"01:52:16 down_distance_text: 2nd & 13 at DET 16 -> null",
		// Q3 kickoff: down and distance return, possession does not.
		"02:07:18 status: halftime -> in_progress",
		"02:07:18 quarter: 2 -> 3",
		"02:07:18 clock: 0:00 -> 15:00",
		"02:07:18 down: null -> 1",
		"02:07:18 distance: null -> 10",
		"02:07:18 yard_line: null -> 74",
		"02:07:18 down_distance_text: null -> 1st & 10 at DET 26",
		"02:37:24 quarter: 3 -> 4",
		"02:37:24 away_score: 10 -> 17",
		"02:37:24 home_score: 27 -> 34",
		"02:37:24 possession: null -> DET",
		"02:37:24 yard_line: 74 -> 32",
		"02:37:24 down_distance_text: 1st & 10 at DET 26 -> 1st & 10 at BUF 32",
		"03:31:48 status: in_progress -> final",
		"03:31:48 clock: 15:00 -> null",
		"03:31:48 away_score: 17 -> 31",
		"03:31:48 home_score: 34 -> 41",
		"03:31:48 possession: DET -> null",
		"03:31:48 down: 1 -> null",
		"03:31:48 distance: 10 -> null",
		"03:31:48 yard_line: 32 -> null",
		"03:31:48 down_distance_text: 1st & 10 at BUF 32 -> null",
	}
	if !slices.Equal(changes, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}

	// Each score and status change appears once, in order, ending at final.
	var scoresAndStatus []string
	for _, change := range changes {
		if strings.Contains(change, "score:") || strings.Contains(change, "status:") {
			scoresAndStatus = append(scoresAndStatus, change[len("01:52:16 "):])
		}
	}
	wantScoresAndStatus := []string{
		"status: in_progress -> halftime", "away_score: 7 -> 10", "home_score: 21 -> 27",
		"status: halftime -> in_progress",
		"away_score: 10 -> 17", "home_score: 27 -> 34",
		"status: in_progress -> final", "away_score: 17 -> 31", "home_score: 34 -> 41",
	}
	if !slices.Equal(scoresAndStatus, wantScoresAndStatus) {
		t.Errorf("score and status changes = %q, want %q", scoresAndStatus, wantScoresAndStatus)
	}
	if previous.Status != StatusFinal || previous.Overtime() {
		t.Errorf("last game status %s overtime %v, want final without overtime", previous.Status, previous.Overtime())
	}
}

func TestScoreboardSnapshots52SecondsApart(t *testing.T) {
	ids := newTestIDMap(t)

	first, err := ParseScoreboard(readFixture(t, "scoreboard/2025-wk14_2025-12-07T185945Z_in.json"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParseScoreboard(readFixture(t, "scoreboard/2025-wk14_2025-12-07T190037Z_in.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Skipped) != 0 || len(second.Skipped) != 0 {
		t.Fatalf("skipped events: %v, %v", first.Skipped, second.Skipped)
	}
	if first.Season != 2025 || first.SeasonType != 2 || first.Week != 14 {
		t.Errorf("season %d type %d week %d, want 2025 type 2 week 14", first.Season, first.SeasonType, first.Week)
	}

	before, unmapped, err := GamesFromScoreboard(first, ids)
	if err != nil || len(unmapped) != 0 {
		t.Fatalf("map first snapshot: unmapped %v, error %v", unmapped, err)
	}
	after, unmapped, err := GamesFromScoreboard(second, ids)
	if err != nil || len(unmapped) != 0 {
		t.Fatalf("map second snapshot: unmapped %v, error %v", unmapped, err)
	}
	if len(before) != 14 || len(after) != 14 {
		t.Fatalf("%d and %d games, want 14 each", len(before), len(after))
	}

	got := map[string][]string{}
	for i := range before {
		if before[i].GameID != after[i].GameID {
			t.Fatalf("game %d: %s then %s, want the same order", i, before[i].GameID, after[i].GameID)
		}
		if changes := diffGames(before[i], after[i]); len(changes) > 0 {
			got[before[i].GameID] = changes
		}
	}

	want := map[string][]string{
		"2025_14_SEA_ATL": {
			"clock: 6:00 -> 5:49", "possession: SEA -> ATL", "down: 4 -> 1", "distance: 8 -> 10",
			"yard_line: 64 -> 12", "down_distance_text: 4th & 8 at SEA 36 -> 1st & 10 at ATL 12",
		},
		"2025_14_CIN_BUF": {
			"down: 2 -> 1", "yard_line: 43 -> 10",
			"down_distance_text: 2nd & 10 at BUF 43 -> 1st & Goal at BUF 10",
		},
		"2025_14_TEN_CLE": {
			"clock: 11:48 -> 11:39", "possession: TEN -> CLE", "down: 4 -> 1", "distance: 6 -> 10",
			"yard_line: 50 -> 9", "down_distance_text: 4th & 6 at 50 -> 1st & 10 at CLE 9",
		},
		"2025_14_WAS_MIN": {
			"clock: 1:51 -> 1:45", "possession: MIN -> WAS", "down: 4 -> 1", "distance: 20 -> 10",
			"yard_line: 24 -> 66", "down_distance_text: 4th & 20 at MIN 24 -> 1st & 10 at WSH 34",
		},
		"2025_14_MIA_NYJ": {
			"clock: 12:33 -> 11:45", "possession: NYJ -> MIA", "down: 4 -> 1", "distance: 4 -> 10",
			"yard_line: 19 -> 59", "down_distance_text: 4th & 4 at NYJ 19 -> 1st & 10 at MIA 41",
		},
		// TB scored a field goal. ESPN then drops possession and down and
		// distance, which is not a change by itself.
		"2025_14_NO_TB": {"clock: 9:18 -> 9:11", "home_score: 7 -> 10"},
		// The situation appears after an official timeout.
		"2025_14_IND_JAX": {
			"down: null -> 1", "distance: null -> 10", "yard_line: null -> 73",
			"down_distance_text: null -> 1st & 10 at IND 27",
		},
	}
	for gameID, changes := range want {
		if !slices.Equal(got[gameID], changes) {
			t.Errorf("%s changes = %q, want %q", gameID, got[gameID], changes)
		}
	}
	for gameID, changes := range got {
		if _, expected := want[gameID]; !expected {
			t.Errorf("%s changes = %q, want none", gameID, changes)
		}
	}

	// Games that did not change: PIT @ BAL stood at an official timeout,
	// five games had not started and DAL @ DET was final.
	for _, gameID := range []string{"2025_14_PIT_BAL", "2025_14_DEN_LV", "2025_14_CHI_GB", "2025_14_LA_ARI",
		"2025_14_HOU_KC", "2025_14_PHI_LAC", "2025_14_DAL_DET"} {
		if _, changed := got[gameID]; changed {
			t.Errorf("%s changed, want no change", gameID)
		}
	}
}

func TestGamesFromScoreboardIsDeterministic(t *testing.T) {
	ids := newTestIDMap(t)
	body := readFixture(t, "scoreboard/2025-wk14_2025-12-07T185945Z_in.json")

	board, err := ParseScoreboard(body)
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := GamesFromScoreboard(board, ids)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := GamesFromScoreboard(board, ids)
	if err != nil {
		t.Fatal(err)
	}

	for i := range first {
		if first[i] == second[i] {
			t.Fatalf("game %s: same pointer twice, want a new LiveGame per call", first[i].GameID)
		}
		if diff := diffGames(first[i], second[i]); len(diff) > 0 || first[i].GameID != second[i].GameID {
			t.Errorf("game %s differs between calls: %q", first[i].GameID, diff)
		}
	}
	if !slices.IsSortedFunc(first, func(a, b *LiveGame) int { return strings.Compare(a.GameID, b.GameID) }) {
		t.Error("games are not sorted by game_id")
	}
}
