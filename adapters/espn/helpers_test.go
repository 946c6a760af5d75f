package espn

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// fixtures is testdata/espn at the repository root.
var fixtures = filepath.Join("..", "..", "testdata", "espn")

// nflverseFixtures is testdata/nflverse at the repository root.
var nflverseFixtures = filepath.Join("..", "..", "testdata", "nflverse")

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(fixtures, path))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// detBufSchedule is a schedule row for the DET @ BUF fixture game (ESPN event
// 401872932, 2026 week 2). The 2026 schedule is not in testdata, so the row
// is written here in nflverse's games.csv form, with the game_id built by
// nflverse's rule <season>_<week>_<away>_<home>.
const detBufSchedule = `game_id,season,game_type,week,away_team,home_team,espn
2026_02_DET_BUF,2026,REG,2,DET,BUF,401872932
`

// readSchedule reads testdata/nflverse/schedules/games.csv (seasons 2023 to
// 2025) plus the extra rows.
func readSchedule(t testing.TB, extra ...string) []ScheduleGame {
	t.Helper()
	file, err := os.Open(filepath.Join(nflverseFixtures, "schedules", "games.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	games, err := ReadScheduleGames(file, "games.csv")
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range extra {
		more, err := ReadScheduleGames(strings.NewReader(text), fmt.Sprintf("extra schedule %d", i))
		if err != nil {
			t.Fatal(err)
		}
		games = append(games, more...)
	}
	return games
}

// readRoster2024 reads testdata/nflverse/rosters/roster_2024.csv, the only
// roster in testdata with espn_id.
func readRoster2024(t testing.TB) []*messages.RosterEntry {
	t.Helper()
	file, err := os.Open(filepath.Join(nflverseFixtures, "rosters", "roster_2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	roster, err := nflverse.ReadRoster(file, "roster_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	return roster
}

func newTestIDMap(t testing.TB, extra ...string) *IDMap {
	t.Helper()
	ids, err := NewIDMap(readSchedule(t, extra...), readRoster2024(t))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// diffGames returns the changes from previous to current as
// "field: previous -> current" lines, with "null" for nil. A situation
// field (possession, down, distance, yard_line, down_distance_text) that
// becomes nil is a change only when the status changed too, because ESPN
// omits the situation after timeouts and scores: that is the rule LiveGame
// documents for consumers.
func diffGames(previous, current *LiveGame) []string {
	var changes []string
	add := func(field, before, after string) {
		if before != after {
			changes = append(changes, fmt.Sprintf("%s: %s -> %s", field, before, after))
		}
	}
	statusChanged := previous.Status != current.Status
	addSituation := func(field string, before, after *string) {
		if after == nil && !statusChanged {
			return
		}
		add(field, text(before), text(after))
	}

	add("status", previous.Status, current.Status)
	add("quarter", number(previous.Quarter), number(current.Quarter))
	add("clock", text(previous.Clock), text(current.Clock))
	add("away_score", number(previous.AwayScore), number(current.AwayScore))
	add("home_score", number(previous.HomeScore), number(current.HomeScore))
	addSituation("possession", previous.Possession, current.Possession)
	addSituation("down", numberText(previous.Down), numberText(current.Down))
	addSituation("distance", numberText(previous.Distance), numberText(current.Distance))
	addSituation("yard_line", numberText(previous.YardLine), numberText(current.YardLine))
	addSituation("down_distance_text", previous.DownDistanceText, current.DownDistanceText)
	return changes
}

func text(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func number(p *int32) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func numberText(p *int32) *string {
	if p == nil {
		return nil
	}
	s := fmt.Sprint(*p)
	return &s
}
