package nflverse

import (
	"strings"
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

func readScheduleTestdata(t testing.TB, name string) []*messages.Game {
	t.Helper()
	games, err := ReadSchedule(openTestdata(t, name), name)
	if err != nil {
		t.Fatalf("ReadSchedule(%s): %v", name, err)
	}
	return games
}

func gamesByID(games []*messages.Game) map[string]*messages.Game {
	byID := make(map[string]*messages.Game, len(games))
	for _, game := range games {
		byID[game.GetGameId()] = game
	}
	return byID
}

func TestReadScheduleSnapshots(t *testing.T) {
	tests := []struct {
		name     string
		unplayed int
	}{
		{"schedules/games.csv", 48},
		{"schedules/2025-12-01/games.csv", 79},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			games := readScheduleTestdata(t, test.name)

			if len(games) != 842 {
				t.Errorf("games = %d, want 842", len(games))
			}
			perSeason := map[int32]int{}
			unplayed := 0
			for _, game := range games {
				perSeason[game.GetSeason()]++
				if game.GetStatus() == messages.GameStatusScheduled {
					unplayed++
					if game.AwayScore != nil || game.HomeScore != nil {
						t.Errorf("scheduled game %s has a score", game.GetGameId())
					}
				}
				if game.GetKickoffUnix() == 0 {
					t.Errorf("game %s has no kickoff", game.GetGameId())
				}
			}
			if perSeason[2023] != 285 || perSeason[2024] != 285 || perSeason[2025] != 272 {
				t.Errorf("games per season = %v, want 2023:285 2024:285 2025:272", perSeason)
			}
			if unplayed != test.unplayed {
				t.Errorf("unplayed games = %d, want %d", unplayed, test.unplayed)
			}
		})
	}
}

func TestReadScheduleKickoffAcrossDST(t *testing.T) {
	games := gamesByID(readScheduleTestdata(t, "schedules/games.csv"))

	tests := []struct {
		gameID string
		want   time.Time
	}{
		// 2024-10-27 13:00 EDT (UTC-4), before daylight saving time ended.
		{"2024_08_PHI_CIN", time.Date(2024, 10, 27, 17, 0, 0, 0, time.UTC)},
		// 2024-11-03 13:00 EST (UTC-5): daylight saving time ended at 02:00 that day.
		{"2024_09_DAL_ATL", time.Date(2024, 11, 3, 18, 0, 0, 0, time.UTC)},
		// 2024-11-10 09:30 EST, the Munich game.
		{"2024_10_NYG_CAR", time.Date(2024, 11, 10, 14, 30, 0, 0, time.UTC)},
		// 2025-02-09 18:30 EST, Super Bowl LIX belongs to season 2024.
		{"2024_22_KC_PHI", time.Date(2025, 2, 9, 23, 30, 0, 0, time.UTC)},
	}
	for _, test := range tests {
		game := games[test.gameID]
		if game == nil {
			t.Errorf("game %s not found", test.gameID)
			continue
		}
		if got := time.Unix(game.GetKickoffUnix(), 0).UTC(); !got.Equal(test.want) {
			t.Errorf("%s kickoff = %s, want %s", test.gameID, got, test.want)
		}
	}
}

func TestReadScheduleFinalTieAndUnplayed(t *testing.T) {
	games := gamesByID(readScheduleTestdata(t, "schedules/games.csv"))

	tie := games["2025_04_GB_DAL"]
	if tie.GetStatus() != messages.GameStatusFinal {
		t.Errorf("tie status = %q, want final", tie.GetStatus())
	}
	if tie.AwayScore == nil || tie.HomeScore == nil || tie.GetAwayScore() != 40 || tie.GetHomeScore() != 40 {
		t.Errorf("tie scores = %v-%v, want 40-40", tie.AwayScore, tie.HomeScore)
	}
	if !tie.GetOvertime() {
		t.Error("tie overtime = false, want true")
	}
	if tie.GetAwayTeam() != "GB" || tie.GetHomeTeam() != "DAL" || tie.GetGameType() != "REG" || tie.GetWeek() != 4 {
		t.Errorf("tie = %v", tie)
	}
	if tie.GetLocation() != "Home" {
		t.Errorf("location = %q, want Home", tie.GetLocation())
	}

	unplayed := games["2025_18_NO_ATL"]
	if unplayed.GetStatus() != messages.GameStatusScheduled {
		t.Errorf("unplayed status = %q, want scheduled", unplayed.GetStatus())
	}
	if unplayed.AwayScore != nil || unplayed.HomeScore != nil {
		t.Errorf("unplayed scores = %v-%v, want nil", unplayed.AwayScore, unplayed.HomeScore)
	}
	if unplayed.GetOvertime() {
		t.Error("unplayed overtime = true, want false")
	}

	overtime := 0
	for _, game := range games {
		if game.GetOvertime() {
			overtime++
		}
	}
	if overtime != 42 {
		t.Errorf("overtime games = %d, want 42", overtime)
	}
}

const scheduleHeader = "game_id,season,game_type,week,gameday,weekday,gametime,away_team,away_score,home_team,home_score,location,result,total,overtime\n"

func TestReadScheduleEmptyGametime(t *testing.T) {
	input := scheduleHeader + "1999_01_MIN_ATL,1999,REG,1,1999-09-12,Sunday,,MIN,17,ATL,14,Home,-3,31,0\n"

	games, err := ReadSchedule(strings.NewReader(input), "games.csv")
	if err != nil {
		t.Fatal(err)
	}
	if games[0].GetKickoffUnix() != 0 {
		t.Errorf("kickoff = %d, want 0 without gametime", games[0].GetKickoffUnix())
	}
}

func TestReadScheduleInvalidRows(t *testing.T) {
	tests := []struct {
		name, row, want string
	}{
		{"one score", "2024_01_A_B,2024,REG,1,2024-09-08,Sunday,13:00,A,10,B,,Home,,,\n", "away_score"},
		{"bad score", "2024_01_A_B,2024,REG,1,2024-09-08,Sunday,13:00,A,x,B,3,Home,,,\n", "away_score"},
		{"bad week", "2024_01_A_B,2024,REG,w,2024-09-08,Sunday,13:00,A,,B,,Home,,,\n", "week"},
		{"bad time", "2024_01_A_B,2024,REG,1,2024-09-08,Sunday,1 PM,A,,B,,Home,,,\n", "gametime"},
		{"no game_id", ",2024,REG,1,2024-09-08,Sunday,13:00,A,,B,,Home,,,\n", "game_id"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := ReadSchedule(strings.NewReader(scheduleHeader+test.row), "games.csv")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, want := range []string{"games.csv", "line 2", test.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %s", err, want)
				}
			}
		})
	}
}

func TestReadScheduleMissingColumns(t *testing.T) {
	_, err := ReadSchedule(strings.NewReader("game_id,season,week\n"), "games.csv")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"games.csv", "gameday", "gametime", "away_score", "home_team"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestReadRoster2024(t *testing.T) {
	entries, err := ReadRoster(openTestdata(t, "rosters/roster_2024.csv"), "roster_2024.csv")
	if err != nil {
		t.Fatal(err)
	}

	// 3,196 rows, one of them without gsis_id.
	if len(entries) != 3195 {
		t.Errorf("entries = %d, want 3195", len(entries))
	}
	statuses := map[string]int{}
	var estime *messages.RosterEntry
	for _, entry := range entries {
		statuses[entry.GetStatus()]++
		if entry.GetGsisId() == "00-0039373" {
			estime = entry
		}
	}
	if statuses["ACT"] != 1572 || statuses["RES"] != 313 || statuses["INA"] != 178 {
		t.Errorf("statuses = %v, want ACT 1572, RES 313, INA 178", statuses)
	}

	if estime == nil {
		t.Fatal("gsis_id 00-0039373 not found")
	}
	want := &messages.RosterEntry{
		Season: 2024, GsisId: "00-0039373", FullName: "Audric Estimé", Team: "DEN", Position: "RB",
		Status: "ACT", EspnId: "4569682", Week: 8, JerseyNumber: "23",
	}
	if estime.String() != want.String() {
		t.Errorf("entry = %v, want %v", estime, want)
	}
}

func TestReadInjuries2024(t *testing.T) {
	injuries, err := ReadInjuries(openTestdata(t, "injuries/injuries_2024.csv"), "injuries_2024.csv")
	if err != nil {
		t.Fatal(err)
	}

	if len(injuries) != 3238 {
		t.Errorf("injuries = %d, want 3238", len(injuries))
	}
	weeks := map[int32]bool{}
	for _, injury := range injuries {
		weeks[injury.GetWeek()] = true
		if strings.ContainsAny(injury.GetPracticeStatus(), "\n") || strings.ContainsAny(injury.GetPosition(), "\n") {
			t.Fatalf("value with a newline: %v", injury)
		}
	}
	if weeks[4] || len(weeks) != 9 {
		t.Errorf("weeks = %v, want 1-3 and 5-10", weeks)
	}

	first := injuries[0]
	want := &messages.Injury{
		Season: 2024, Week: 1, GsisId: "00-0035629", FullName: "Jonah Williams", Team: "ARI", Position: "T",
		ReportStatus: "Out", ReportPrimaryInjury: "Knee", PracticeStatus: "", DateModified: "2024-09-08T18:35:57Z",
	}
	if first.String() != want.String() {
		t.Errorf("first injury = %v, want %v", first, want)
	}
}

func TestReadInjuriesSeasonTypeColumn(t *testing.T) {
	input := "season,season_type,team,week,gsis_id,position,full_name,report_primary_injury,report_status,practice_status,date_modified\n" +
		"2025,REG,KC,3,00-1,WR,A One,Ankle,Questionable,\"Limited Participation in Practice \",2025-09-19T20:00:00Z\n"

	injuries, err := ReadInjuries(strings.NewReader(input), "injuries_2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(injuries) != 1 || injuries[0].GetPracticeStatus() != "Limited Participation in Practice" {
		t.Errorf("injuries = %v", injuries)
	}
}
