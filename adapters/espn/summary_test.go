package espn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// readStats2023 returns nflverse's 2023 week 2 rows of game 2023_02_GB_ATL
// by player_id.
func readStats2023(t *testing.T) map[string]*messages.PlayerWeek {
	t.Helper()
	file, err := os.Open(filepath.Join(nflverseFixtures, "stats_player", "stats_player_week_2023.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	stats, err := nflverse.ReadPlayerStats(file, "stats_player_week_2023.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	rows := make(map[string]*messages.PlayerWeek)
	for _, row := range stats.Players {
		if row.GetGameId() == "2023_02_GB_ATL" {
			rows[row.GetPlayerId()] = row
		}
	}
	return rows
}

func statValue(row *messages.PlayerWeek, name string) (string, bool) {
	return scoring.RowLookup(row)(name)
}

// missingFromESPN are the PPR stats that ESPN's boxscore does not carry,
// with their PPR weight. A player's nflverse PPR points minus the points
// from ESPN's stats must equal the sum of these stats times their weights.
var missingFromESPN = map[string]decimal.Decimal{
	// ESPN's boxscore has no two-point conversions.
	"passing_2pt_conversions":   decimal.New(2, 0),
	"rushing_2pt_conversions":   decimal.New(2, 0),
	"receiving_2pt_conversions": decimal.New(2, 0),
	// ESPN gives fumbles lost as one total (fumbles_lost_total), which PPR
	// does not score; nflverse scores them per play type.
	"rushing_fumbles_lost":   decimal.New(-2, 0),
	"receiving_fumbles_lost": decimal.New(-2, 0),
	"sack_fumbles_lost":      decimal.New(-2, 0),
}

func TestSummaryPPRMatchesNflverse(t *testing.T) {
	summary, err := ParseSummary(readFixture(t, "summary/401547417_2023-wk2_ATL-GB_final.json"))
	if err != nil {
		t.Fatal(err)
	}
	if summary.EspnID != "401547417" || summary.Status != StatusFinal {
		t.Fatalf("summary %s status %s, want 401547417 final", summary.EspnID, summary.Status)
	}
	if len(summary.Skipped) != 0 {
		t.Fatalf("skipped players: %v", summary.Skipped)
	}

	// The schedule covers 2023, but the only roster in testdata with
	// espn_id is 2024's: 2023 players who were on no 2024 roster do not map.
	ids := newTestIDMap(t)
	weeks, unmapped, err := PlayerWeeksFromSummary(summary, ids)
	if err != nil {
		t.Fatal(err)
	}
	players := 0
	for _, team := range summary.Teams {
		players += len(team.Players)
	}
	t.Logf("coverage: %d of %d boxscore players map through roster_2024; unmapped: %v", len(weeks), players, unmapped)
	if len(weeks)+len(unmapped) != players {
		t.Errorf("%d mapped + %d unmapped, want %d players", len(weeks), len(unmapped), players)
	}
	for _, u := range unmapped {
		if u.Kind != "player" || u.EspnID == "" || u.Name == "" || u.Team == "" {
			t.Errorf("unmapped entry %+v lacks kind, id, name or team", u)
		}
	}

	nflverseRows := readStats2023(t)
	scored := 0
	for _, week := range weeks {
		if week.GetSeason() != 2023 || week.GetWeek() != 2 || week.GetSeasonType() != "REG" || week.GetGameId() != "2023_02_GB_ATL" {
			t.Errorf("%s: key %d/%d/%s/%s, want 2023/2/REG/2023_02_GB_ATL",
				week.GetPlayerId(), week.GetSeason(), week.GetWeek(), week.GetSeasonType(), week.GetGameId())
		}
		row, ok := nflverseRows[week.GetPlayerId()]
		if !ok {
			t.Errorf("%s (%s): no nflverse row for 2023_02_GB_ATL", week.GetPlayerId(), week.GetPlayerDisplayName())
			continue
		}
		if week.GetTeam() != row.GetTeam() || week.GetOpponentTeam() != row.GetOpponentTeam() {
			t.Errorf("%s: team %s vs %s, nflverse %s vs %s", week.GetPlayerId(),
				week.GetTeam(), week.GetOpponentTeam(), row.GetTeam(), row.GetOpponentTeam())
		}

		espnPoints, err := scoring.PPR.Score(scoring.RowLookup(week))
		if err != nil {
			t.Fatal(err)
		}
		nflversePoints, err := decimal.NewFromString(mustStat(t, row, "fantasy_points_ppr"))
		if err != nil {
			t.Fatal(err)
		}
		explained := decimal.Zero
		for stat, weight := range missingFromESPN {
			if value, ok := statValue(row, stat); ok {
				explained = explained.Add(decimal.RequireFromString(value).Mul(weight))
			}
		}
		if got, want := scoring.RoundPoints(espnPoints.Add(explained)), scoring.RoundPoints(nflversePoints); !got.Equal(want) {
			t.Errorf("%s (%s): ESPN PPR %s + stats ESPN lacks %s = %s, nflverse fantasy_points_ppr %s",
				week.GetPlayerId(), week.GetPlayerDisplayName(), espnPoints, explained, got, want)
		}
		if !espnPoints.IsZero() {
			scored++
		}

		// Every column read from ESPN equals nflverse's, scored or not.
		for _, stat := range week.GetStats() {
			if nflverseValue, _ := statValue(row, stat.GetName()); stat.GetValue() != nflverseValue {
				t.Errorf("%s (%s) %s: ESPN %s, nflverse %s", week.GetPlayerId(), week.GetPlayerDisplayName(),
					stat.GetName(), stat.GetValue(), nflverseValue)
			}
		}
	}
	if scored < 10 {
		t.Errorf("%d mapped players score PPR points, want at least 10 so that the comparison means something", scored)
	}
}

func mustStat(t *testing.T, row *messages.PlayerWeek, name string) string {
	t.Helper()
	value, ok := statValue(row, name)
	if !ok {
		t.Fatalf("%s: nflverse row has no %s", row.GetPlayerId(), name)
	}
	return value
}
