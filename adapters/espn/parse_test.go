package espn

import (
	"strings"
	"testing"

	"github.com/nflsync/nflsync/messages"
)

// liveEvent is a minimal in-progress scoreboard event. Tests replace parts
// of it to build odd shapes.
const liveEvent = `{"id":"401772792","status":{"clock":558.0,"displayClock":"9:18","period":2,
"type":{"name":"STATUS_IN_PROGRESS","state":"in"}},"competitions":[{"competitors":[
{"homeAway":"home","score":"7","team":{"id":"27","abbreviation":"TB"}},
{"homeAway":"away","score":"7","team":{"id":"18","abbreviation":"NO"}}],
"situation":{"down":4,"distance":5,"yardLine":77,"downDistanceText":"4th & 5 at NO 23","possession":"27"}}]}`

func parseOne(t *testing.T, event string) (*LiveGame, []SkippedEvent) {
	t.Helper()
	board, err := ParseScoreboard([]byte(`{"events":[` + event + `]}`))
	if err != nil {
		t.Fatalf("ParseScoreboard: %v", err)
	}
	if len(board.Games) == 1 {
		return board.Games[0], board.Skipped
	}
	return nil, board.Skipped
}

func TestParseScoreboardLiveEvent(t *testing.T) {
	game, skipped := parseOne(t, liveEvent)
	if game == nil {
		t.Fatalf("event skipped: %v", skipped)
	}
	if game.Status != StatusInProgress || number(game.Quarter) != "2" || text(game.Clock) != "9:18" {
		t.Errorf("status %s quarter %s clock %s", game.Status, number(game.Quarter), text(game.Clock))
	}
	if game.AwayTeam != "NO" || game.HomeTeam != "TB" || number(game.AwayScore) != "7" || number(game.HomeScore) != "7" {
		t.Errorf("teams %s %s scores %s %s", game.AwayTeam, game.HomeTeam, number(game.AwayScore), number(game.HomeScore))
	}
	if text(game.Possession) != "TB" || number(game.Down) != "4" || number(game.Distance) != "5" || number(game.YardLine) != "77" {
		t.Errorf("possession %s down %s distance %s yard line %s",
			text(game.Possession), number(game.Down), number(game.Distance), number(game.YardLine))
	}
	if !game.Provisional {
		t.Error("Provisional = false, want true")
	}
}

func TestParseScoreboardSkipsOddEvents(t *testing.T) {
	cases := []struct {
		name, old, new, reason string
	}{
		{"score as number", `"score":"7","team":{"id":"27"`, `"score":7,"team":{"id":"27"`, "invalid score 7"},
		{"score with letters", `"score":"7","team":{"id":"27"`, `"score":"7a","team":{"id":"27"`, `invalid score "7a"`},
		{"negative score", `"score":"7","team":{"id":"27"`, `"score":"-1","team":{"id":"27"`, `invalid score "-1"`},
		{"empty score in game", `"score":"7","team":{"id":"27"`, `"score":"","team":{"id":"27"`, `invalid score ""`},
		{"missing score", `"score":"7",`, ``, "invalid score (missing)"},
		{"unknown status", `STATUS_IN_PROGRESS`, `STATUS_SOMETHING_NEW`, `unknown status.type.name "STATUS_SOMETHING_NEW"`},
		{"status with wrong state", `"state":"in"`, `"state":"post"`, `expected state "in"`},
		{"possession of a third team", `"possession":"27"`, `"possession":"99"`, `situation.possession "99" is neither team`},
		{"down out of range", `"down":4`, `"down":7`, "invalid or missing down"},
		{"garbage clock", `"displayClock":"9:18"`, `"displayClock":"soon"`, `invalid status.displayClock "soon"`},
		{"period as text", `"period":2`, `"period":"2"`, "cannot unmarshal"},
		{"missing period", `"period":2,`, ``, "invalid or missing status.period"},
		{"one competitor", `,
{"homeAway":"away","score":"7","team":{"id":"18","abbreviation":"NO"}}`, ``, "1 competitors, expected 2"},
		{"two home teams", `"homeAway":"away"`, `"homeAway":"home"`, "two home competitors"},
		{"id with letters", `"id":"401772792"`, `"id":"40177x"`, `invalid id "40177x"`},
		{"missing status", `"status":{"clock":558.0,"displayClock":"9:18","period":2,
"type":{"name":"STATUS_IN_PROGRESS","state":"in"}},`, ``, "missing status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event := strings.Replace(liveEvent, c.old, c.new, 1)
			if event == liveEvent {
				t.Fatalf("case did not change the event: %q not found", c.old)
			}
			game, skipped := parseOne(t, event)
			if game != nil {
				t.Fatalf("event parsed to %+v, want it skipped", game)
			}
			if len(skipped) != 1 || !strings.Contains(skipped[0].Reason, c.reason) {
				t.Errorf("skipped = %+v, want one reason containing %q", skipped, c.reason)
			}
		})
	}
}

func TestParseScoreboardBeforeKickoff(t *testing.T) {
	event := strings.NewReplacer(
		`"name":"STATUS_IN_PROGRESS","state":"in"`, `"name":"STATUS_SCHEDULED","state":"pre"`,
		`"score":"7"`, `"score":""`,
	).Replace(liveEvent)
	game, skipped := parseOne(t, event)
	if game == nil {
		t.Fatalf("event skipped: %v", skipped)
	}
	if game.Status != StatusScheduled || game.Quarter != nil || game.Clock != nil || game.AwayScore != nil ||
		game.HomeScore != nil || game.Possession != nil || game.Down != nil {
		t.Errorf("scheduled game = %+v, want status only", game)
	}
}

func TestParseScoreboardRejectsBadBodies(t *testing.T) {
	for name, body := range map[string]string{
		"empty":               ``,
		"not JSON":            `<html>rate limited</html>`,
		"array":               `[]`,
		"no events":           `{"leagues":[]}`,
		"events not an array": `{"events":{}}`,
		"duplicate event":     `{"events":[` + liveEvent + `,` + liveEvent + `]}`,
		"bad capturedAt":      `{"capturedAt":"yesterday","events":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if board, err := ParseScoreboard([]byte(body)); err == nil {
				t.Errorf("ParseScoreboard = %+v, want an error", board)
			}
		})
	}
}

func TestGamesFromScoreboardUnmappedAndMismatch(t *testing.T) {
	board, err := ParseScoreboard([]byte(`{"events":[` + liveEvent + `]}`))
	if err != nil {
		t.Fatal(err)
	}

	empty, err := NewIDMap(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	games, unmapped, err := GamesFromScoreboard(board, empty)
	if err != nil {
		t.Fatal(err)
	}
	if len(games) != 0 || len(unmapped) != 1 || unmapped[0] != (UnmappedID{Kind: "game", EspnID: "401772792", Name: "NO @ TB"}) {
		t.Errorf("games %v unmapped %+v, want the event unmapped", games, unmapped)
	}

	swapped, err := NewIDMap([]ScheduleGame{{GameID: "2025_14_TB_NO", Season: 2025, Week: 14, GameType: "REG",
		AwayTeam: "TB", HomeTeam: "NO", EspnID: "401772792"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := GamesFromScoreboard(board, swapped); err == nil {
		t.Error("teams that differ from the schedule row: no error")
	}
}

func TestNewIDMap(t *testing.T) {
	ids := newTestIDMap(t)
	games, players := ids.Len()
	if games != 842 {
		t.Errorf("%d games map, want every row of games.csv (842)", games)
	}
	if players < 2000 {
		t.Errorf("%d players map, want the 2024 roster's espn_ids (over 2000)", players)
	}
	if game, ok := ids.Game("401547417"); !ok || game.GameID != "2023_02_GB_ATL" || game.Week != 2 {
		t.Errorf("event 401547417 = %+v, %v, want 2023_02_GB_ATL", game, ok)
	}
	if gsisID, ok := ids.Player("4036378"); !ok || gsisID != "00-0036264" {
		t.Errorf("athlete 4036378 (Jordan Love) = %q, %v, want 00-0036264", gsisID, ok)
	}

	shared, err := NewIDMap(nil, []*messages.RosterEntry{
		{GsisId: "00-1", EspnId: "100"}, {GsisId: "00-2", EspnId: "100"}, {GsisId: "00-3", EspnId: "5529.0"},
		{GsisId: "00-4", EspnId: "200"}, {GsisId: "00-4", EspnId: "200", Week: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := shared.Player("100"); ok {
		t.Error("espn_id 100 of two gsis_ids maps, want it ambiguous")
	}
	if got := shared.AmbiguousPlayers(); len(got) != 1 || got[0] != "100" {
		t.Errorf("AmbiguousPlayers = %v, want [100]", got)
	}
	if _, ok := shared.Player("5529"); ok {
		t.Error("espn_id 5529.0 maps, want it rejected")
	}
	if gsisID, ok := shared.Player("200"); !ok || gsisID != "00-4" {
		t.Errorf("espn_id 200 = %q, %v, want 00-4", gsisID, ok)
	}

	_, err = NewIDMap([]ScheduleGame{{GameID: "a", EspnID: "1"}, {GameID: "b", EspnID: "1"}}, nil)
	if err == nil {
		t.Error("two games with one espn id: no error")
	}
}

func TestReadScheduleGamesErrors(t *testing.T) {
	for name, text := range map[string]string{
		"missing espn column": "game_id,season,game_type,week,away_team,home_team\nx,2023,REG,1,A,B\n",
		"float espn id":       "game_id,season,game_type,week,away_team,home_team,espn\nx,2023,REG,1,A,B,401547417.0\n",
		"bad week":            "game_id,season,game_type,week,away_team,home_team,espn\nx,2023,REG,w,A,B,1\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadScheduleGames(strings.NewReader(text), name); err == nil {
				t.Error("no error")
			}
		})
	}

	games, err := ReadScheduleGames(strings.NewReader(
		"game_id,season,game_type,week,away_team,home_team,espn\nx,2023,REG,1,A,B,NA\n"), "na")
	if err != nil || len(games) != 1 || games[0].EspnID != "" {
		t.Errorf("NA espn: games %+v error %v, want one game without espn id", games, err)
	}
}

func TestParseSummaryOddAthletes(t *testing.T) {
	body := `{"header":{"id":"1","competitions":[{"status":{"type":{"name":"STATUS_IN_PROGRESS","state":"in"}}}]},
"boxscore":{"players":[{"team":{"abbreviation":"LAR"},"statistics":[
{"name":"passing","keys":["completions/passingAttempts","passingYards","sacks-sackYardsLost","adjQBR"],"athletes":[
 {"athlete":{"id":"10","displayName":"Good Passer"},"stats":["3/5","40","2-13","--"]},
 {"athlete":{"id":"11","displayName":"Bad Ratio"},"stats":["3","40","0-0","--"]},
 {"athlete":{"id":"12","displayName":"Short Row"},"stats":["3/5"]},
 {"athlete":{"id":"13","displayName":"Number Stats"},"stats":[3,40,"0-0","--"]},
 {"athlete":{"displayName":"No Id"},"stats":["1/1","1","0-0","--"]}]},
{"name":"rushing","keys":["rushingAttempts","rushingYards"],"athletes":[
 {"athlete":{"id":"10","displayName":"Good Passer"},"stats":["2","-3"]},
 {"athlete":{"id":"14","displayName":"Garbage Yards"},"stats":["2","1e3"]}]},
{"name":"kickReturns","keys":["kickReturnTouchdowns"],"athletes":[{"athlete":{"id":"15","displayName":"Returner"},"stats":["1"]}]},
{"name":"puntReturns","keys":["puntReturnTouchdowns"],"athletes":[{"athlete":{"id":"15","displayName":"Returner"},"stats":["1"]}]}
]}]}}`
	summary, err := ParseSummary([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if summary.Status != StatusInProgress || len(summary.Teams) != 1 || summary.Teams[0].Team != "LA" {
		t.Fatalf("summary = %+v", summary)
	}

	players := summary.Teams[0].Players
	if len(players) != 2 || players[0].EspnID != "10" || players[1].EspnID != "15" {
		t.Fatalf("players = %+v, want Good Passer and Returner", players)
	}
	want := map[string]string{
		"attempts": "5", "carries": "2", "completions": "3", "passing_yards": "40",
		"rushing_yards": "-3", "sack_yards_lost": "-13", "sacks_suffered": "2",
	}
	got := map[string]string{}
	for _, stat := range players[0].Stats {
		got[stat.GetName()] = stat.GetValue()
	}
	if len(got) != len(want) {
		t.Errorf("stats = %v, want %v", got, want)
	}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s = %q, want %q", name, got[name], value)
		}
	}
	if len(players[1].Stats) != 1 || players[1].Stats[0].GetName() != "special_teams_tds" || players[1].Stats[0].GetValue() != "2" {
		t.Errorf("returner stats = %v, want special_teams_tds 2 (kick plus punt return)", players[1].Stats)
	}

	skipped := map[string]string{}
	for _, s := range summary.Skipped {
		skipped[s.EspnID] = s.Reason
	}
	for _, id := range []string{"11", "12", "13", "14", ""} {
		if _, ok := skipped[id]; !ok {
			t.Errorf("athlete %q not skipped; skipped = %v", id, skipped)
		}
	}
}

func TestParseSummaryRejectsBadBodies(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":       `{`,
		"no header":      `{"boxscore":{"players":[]}}`,
		"no boxscore":    `{"header":{"id":"1"}}`,
		"unknown status": `{"header":{"id":"1","competitions":[{"status":{"type":{"name":"X"}}}]},"boxscore":{"players":[]}}`,
		"no team":        `{"header":{"id":"1"},"boxscore":{"players":[{"statistics":[]}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if summary, err := ParseSummary([]byte(body)); err == nil {
				t.Errorf("ParseSummary = %+v, want an error", summary)
			}
		})
	}
}
