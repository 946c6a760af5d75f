package scoring_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// tePremium is a PPR league with a tight-end premium and yardage bonuses.
const tePremium = `{
	"name": "te-premium",
	"base": "ppr",
	"position_overrides": {"TE": {"receptions": 1.5}},
	"bonuses": [
		{"stat": "receiving_yards", "at_least": 100, "points": 3},
		{"stat": "receiving_yards", "at_least": 150, "points": 3},
		{"stat": "rushing_yards", "at_least": "100", "points": "3"}
	]
}`

// kickers scores field goals by distance.
const kickers = `{
	"name": "kickers",
	"kicking": {
		"fg_bands": [
			{"min": 0, "max": 39, "points": 3},
			{"min": 40, "max": 49, "points": 4},
			{"min": 50, "points": 5}
		],
		"fg_missed": -1, "pat_made": 1, "pat_missed": -1
	}
}`

func parse(t *testing.T, text string) *scoring.RuleSet {
	t.Helper()
	ruleSet, err := scoring.ParseRuleSet([]byte(text))
	if err != nil {
		t.Fatalf("ParseRuleSet: %v", err)
	}
	return ruleSet
}

// playerWeek returns the row of one player-week from a real stats file.
func playerWeek(t *testing.T, file *nflverse.StatsFile, playerID string, week int32) *messages.PlayerWeek {
	t.Helper()
	for _, row := range file.Players {
		if row.PlayerId == playerID && row.Week == week {
			return row
		}
	}
	t.Fatalf("player_id %s week %d not found", playerID, week)
	return nil
}

func TestTEPremiumRealWeek(t *testing.T) {
	ruleSet := parse(t, tePremium)
	file := readStatsFile(t, "stats_player/stats_player_week_2024.csv.gz")

	// George Kittle, SF vs DAL, 2024 week 8: 6 receptions, 128
	// receiving_yards, 1 receiving_td, no rushing.
	kittle := playerWeek(t, file, "00-0033288", 8)
	if kittle.Position != "TE" {
		t.Fatalf("position = %s, want TE", kittle.Position)
	}

	// 128 × 0.1 = 12.8 receiving_yards, + 1 × 6 receiving_tds, + 6 × 1.5
	// receptions (TE premium) = 27.8, + 3 for receiving_yards >= 100
	// (not >= 150) = 30.8.
	got, err := ruleSet.ScoreRow(kittle)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "30.8" {
		t.Errorf("TE: got %s, want 30.8", got)
	}

	scorer, err := scoring.NewScorer(scoring.PPR, ruleSet)
	if err != nil {
		t.Fatal(err)
	}
	points, err := scorer.ScoreRow(nil, kittle)
	if err != nil {
		t.Fatal(err)
	}
	// nflverse's fantasy_points_ppr of the row is 24.8.
	if points[0].String() != "24.8" || points[1].String() != "30.8" {
		t.Errorf("Scorer: got %v, want [24.8 30.8]", points)
	}

	// The same stats as a WR: 1 point per reception, so 24.8 + 3 = 27.8.
	asWR, err := ruleSet.ScorePosition("WR", scoring.RowLookup(kittle))
	if err != nil {
		t.Fatal(err)
	}
	if asWR.String() != "27.8" {
		t.Errorf("WR: got %s, want 27.8", asWR)
	}
}

func TestBonusThresholdInclusiveTiers(t *testing.T) {
	ruleSet := parse(t, tePremium)

	tests := []struct{ receivingYards, want string }{
		{"99", "9.9"},
		{"100", "13"},      // 10 + 3: at least 100 includes 100
		{"149.5", "17.95"}, // 14.95 + 3
		{"150", "21"},      // 15 + 3 + 3: both tiers add
		{"-3", "-0.3"},
	}
	for _, test := range tests {
		got, err := ruleSet.ScorePosition("WR", scoring.RowLookup(row("receiving_yards", test.receivingYards)))
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != test.want {
			t.Errorf("receiving_yards %s: got %s, want %s", test.receivingYards, got, test.want)
		}
	}
}

func TestKickerRealWeeks(t *testing.T) {
	ruleSet := parse(t, kickers)
	file := readStatsFile(t, "stats_player/stats_player_week_2024.csv.gz")

	tests := []struct {
		name     string
		playerID string
		week     int32
		want     string
	}{
		// Matt Prater, ARI at BUF: fg_made_list 29;31, pat_made 2.
		// 3 + 3 for two kicks of 0-39 yards, + 2 × 1 = 8.
		{"Matt Prater", "00-0023853", 1, "8"},
		// Justin Tucker, BAL vs PHI: fg_made_list 34;50, fg_missed 2
		// (47;53), pat_made 1, pat_missed 1. 3 (34) + 5 (50) - 2 + 1 - 1 = 6.
		{"Justin Tucker", "00-0029597", 13, "6"},
	}
	for _, test := range tests {
		week := playerWeek(t, file, test.playerID, test.week)
		got, err := ruleSet.ScoreRow(week)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if got.String() != test.want {
			t.Errorf("%s week %d: got %s, want %s", test.name, test.week, got, test.want)
		}
	}
}

func TestKickerDistanceListErrors(t *testing.T) {
	ruleSet := parse(t, kickers)

	tests := []struct {
		name, made, list, want string
	}{
		{"invalid token", "2", "29;x", `"29;x"`},
		{"decimal distance", "1", "29.5", `"29.5"`},
		{"count mismatch", "3", "29;31", "fg_made is 3"},
	}
	for _, test := range tests {
		_, err := ruleSet.Score(scoring.RowLookup(row("fg_made", test.made, "fg_made_list", test.list)))
		if err == nil {
			t.Errorf("%s: got no error", test.name)
			continue
		}
		if !strings.Contains(err.Error(), "fg_made_list") || !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: error %q does not name fg_made_list and %s", test.name, err, test.want)
		}
	}

	// An empty or absent list is no field goals.
	for _, week := range []*messages.PlayerWeek{row("fg_made", "0", "fg_made_list", ""), row()} {
		got, err := ruleSet.Score(scoring.RowLookup(week))
		if err != nil || !got.IsZero() {
			t.Errorf("no field goals: got %s, %v, want 0", got, err)
		}
	}
}

// teamWeek returns a team's player rows, team row and game of one real week.
func teamWeek(t *testing.T, file *nflverse.StatsFile, games []*messages.Game, team string, week int32) ([]*messages.PlayerWeek, *messages.TeamWeek, *messages.Game) {
	t.Helper()

	var players []*messages.PlayerWeek
	for _, row := range file.Players {
		if row.Team == team && row.Week == week {
			players = append(players, row)
		}
	}
	var teamRow *messages.TeamWeek
	for _, row := range file.Teams {
		if row.Team == team && row.Week == week {
			teamRow = row
		}
	}
	for _, game := range games {
		if game.Season == players[0].Season && game.Week == week && (game.HomeTeam == team || game.AwayTeam == team) {
			return players, teamRow, game
		}
	}
	t.Fatalf("no game for %s week %d", team, week)
	return nil, nil, nil
}

func readSchedule(t *testing.T) []*messages.Game {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "nflverse", "schedules", "games.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	games, err := nflverse.ReadSchedule(f, "games.csv")
	if err != nil {
		t.Fatal(err)
	}
	return games
}

func TestDefenseRealTeamWeeks(t *testing.T) {
	file := readStatsFile(t, "stats_player/stats_player_week_2024.csv.gz")
	games := readSchedule(t)
	standard := &scoring.RuleSet{Name: "dst", Defense: scoring.StandardDefense()}

	// CHI beat TEN 24-17 in week 1 of 2024. CHI's player rows: def_sacks 2
	// (Darrell Taylor) + 1 (Gervon Dexter Sr.) = 3, def_interceptions 1
	// (Jaylon Johnson) + 1 (Tyrique Stevenson) = 2, fumble_recovery_opp 1
	// (T.J. Edwards), def_tds 1 (Stevenson), special_teams_tds 1 (Jonathan
	// Owens). 3 × 1 + 2 × 2 + 1 × 2 + 1 × 6 + 1 × 6 = 21, + 1 for 17 points
	// allowed (14-20) = 22.
	players, teamRow, game := teamWeek(t, file, games, "CHI", 1)
	got, err := standard.ScoreDefense("CHI", players, teamRow, game)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "22" {
		t.Errorf("CHI week 1: got %s, want 22", got)
	}

	// BAL lost 20-27 at KC in week 1. def_sacks 0.5 + 1 + 0.5 = 2,
	// def_interceptions 1 (Roquan Smith): 2 + 2 = 4, + 0 for 27 allowed
	// (21-27). BAL's team row has def_safeties 1, which StandardDefense
	// leaves out.
	players, teamRow, game = teamWeek(t, file, games, "BAL", 1)
	if teamRow == nil {
		t.Fatal("BAL week 1: no team row")
	}
	got, err = standard.ScoreDefense("BAL", players, teamRow, game)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "4" {
		t.Errorf("BAL week 1: got %s, want 4", got)
	}

	// A league that does weight the team row's def_safeties: 4 + 1 × 2 = 6.
	withTeamRow := &scoring.RuleSet{Name: "dst-team", Defense: scoring.StandardDefense()}
	withTeamRow.Defense.TeamWeights = []scoring.Weight{{Stat: "def_safeties", Points: decimal.NewFromInt(2)}}
	got, err = withTeamRow.ScoreDefense("BAL", players, teamRow, game)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "6" {
		t.Errorf("BAL week 1 with team row: got %s, want 6", got)
	}
}

func TestDefenseRejectsMismatchedRows(t *testing.T) {
	standard := &scoring.RuleSet{Name: "dst", Defense: scoring.StandardDefense()}
	home, away := int32(24), int32(17)
	game := &messages.Game{GameId: "2024_01_TEN_CHI", Season: 2024, Week: 1, HomeTeam: "CHI", AwayTeam: "TEN", HomeScore: &home, AwayScore: &away}
	player := func(team string, week int32) *messages.PlayerWeek {
		return &messages.PlayerWeek{Season: 2024, Week: week, PlayerId: "00-0000001", Team: team}
	}

	tests := []struct {
		name    string
		team    string
		players []*messages.PlayerWeek
		teamRow *messages.TeamWeek
		game    *messages.Game
		want    string
	}{
		{"player of another team", "CHI", []*messages.PlayerWeek{player("TEN", 1)}, nil, game, "on team TEN"},
		{"player of another week", "CHI", []*messages.PlayerWeek{player("CHI", 2)}, nil, game, "week 2"},
		{"team not in game", "GB", nil, nil, game, "does not play"},
		{"team row of another team", "CHI", nil, &messages.TeamWeek{Season: 2024, Week: 1, Team: "TEN"}, game, "team row"},
		{"no game for points allowed", "CHI", nil, nil, nil, "points_allowed needs the game"},
		{"invalid value", "CHI", []*messages.PlayerWeek{{Season: 2024, Week: 1, PlayerId: "00-0000002", Team: "CHI",
			Stats: []*messages.Stat{{Name: "def_sacks", Value: "two"}}}}, nil, game, `"two"`},
	}
	for _, test := range tests {
		_, err := standard.ScoreDefense(test.team, test.players, test.teamRow, test.game)
		if err == nil {
			t.Errorf("%s: got no error", test.name)
			continue
		}
		if !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: error %q does not contain %q", test.name, err, test.want)
		}
	}

	if _, err := scoring.PPR.ScoreDefense("CHI", nil, nil, game); err == nil {
		t.Error("PPR has no defense rules: got no error")
	}
}

func TestDefenseGameWithoutScore(t *testing.T) {
	standard := &scoring.RuleSet{Name: "dst", Defense: scoring.StandardDefense()}
	game := &messages.Game{GameId: "2025_01_TEN_CHI", Season: 2025, Week: 1, HomeTeam: "CHI", AwayTeam: "TEN"}
	players := []*messages.PlayerWeek{{Season: 2025, Week: 1, PlayerId: "00-0000001", Team: "CHI",
		Stats: []*messages.Stat{{Name: "def_sacks", Value: "1.5"}}}}

	got, err := standard.ScoreDefense("CHI", players, nil, game)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "1.5" {
		t.Errorf("got %s, want 1.5 (no points-allowed band before the score)", got)
	}
}

func TestParseRuleSetValidation(t *testing.T) {
	tests := []struct {
		name, json, field string
	}{
		{"empty name", `{"name": ""}`, "name"},
		{"unknown base", `{"name": "x", "base": "ppr6"}`, "base"},
		{"unknown stat", `{"name": "x", "multipliers": {"rushing_yard": 0.1}}`, "multipliers.rushing_yard"},
		{"text stat", `{"name": "x", "multipliers": {"headshot_url": 1}}`, "multipliers.headshot_url"},
		{"list stat", `{"name": "x", "multipliers": {"fg_made_list": 1}}`, "multipliers.fg_made_list"},
		{"lower-case position", `{"name": "x", "position_overrides": {"te": {"receptions": 1.5}}}`, "position_overrides.te"},
		{"unknown position stat", `{"name": "x", "position_overrides": {"TE": {"recepts": 1.5}}}`, "position_overrides.TE.recepts"},
		{"negative at_least", `{"name": "x", "bonuses": [{"stat": "rushing_yards", "at_least": -5, "points": 3}]}`, "bonuses[0].at_least"},
		{"zero at_least", `{"name": "x", "bonuses": [{"stat": "rushing_yards", "at_least": 0, "points": 3}]}`, "bonuses[0].at_least"},
		{"missing at_least", `{"name": "x", "bonuses": [{"stat": "rushing_yards", "points": 3}]}`, "bonuses[0].at_least"},
		{"duplicate bonus", `{"name": "x", "bonuses": [{"stat": "rushing_yards", "at_least": 100, "points": 3}, {"stat": "rushing_yards", "at_least": "100.0", "points": 2}]}`, "bonuses[1]"},
		{"bonus unknown stat", `{"name": "x", "bonuses": [{"stat": "yards", "at_least": 100, "points": 3}]}`, "bonuses[0].stat"},
		{"too many places", `{"name": "x", "multipliers": {"passing_yards": "0.00000000001"}}`, "multipliers.passing_yards"},
		{"too large", `{"name": "x", "multipliers": {"passing_yards": 1e10}}`, "multipliers.passing_yards"},
		{"inverted band", `{"name": "x", "kicking": {"fg_bands": [{"min": 0, "max": 39, "points": 3}, {"min": 49, "max": 40, "points": 4}, {"min": 50, "points": 5}]}}`, "kicking.fg_bands[1].max"},
		{"overlapping bands", `{"name": "x", "kicking": {"fg_bands": [{"min": 0, "max": 40, "points": 3}, {"min": 40, "points": 4}]}}`, "kicking.fg_bands[1].min"},
		{"gap between bands", `{"name": "x", "kicking": {"fg_bands": [{"min": 0, "max": 39, "points": 3}, {"min": 41, "points": 4}]}}`, "kicking.fg_bands[1].min"},
		{"bands not from 0", `{"name": "x", "kicking": {"fg_bands": [{"min": 20, "points": 3}]}}`, "kicking.fg_bands[0].min"},
		{"last band closed", `{"name": "x", "kicking": {"fg_bands": [{"min": 0, "max": 39, "points": 3}]}}`, "kicking.fg_bands[0].max"},
		{"two open bands", `{"name": "x", "kicking": {"fg_bands": [{"min": 0, "points": 3}, {"min": 40, "points": 4}]}}`, "kicking.fg_bands[1].min"},
		{"missing band min", `{"name": "x", "kicking": {"fg_bands": [{"points": 3}]}}`, "kicking.fg_bands[0].min"},
		{"kicking and multiplier", `{"name": "x", "multipliers": {"pat_made": 1}, "kicking": {"pat_made": 1}}`, "kicking.pat_made"},
		{"defense unknown stat", `{"name": "x", "defense": {"multipliers": {"sacks": 1}}}`, "defense.multipliers.sacks"},
		{"points allowed gap", `{"name": "x", "defense": {"points_allowed": [{"min": 0, "max": 0, "points": 10}, {"min": 7, "points": 0}]}}`, "defense.points_allowed[1].min"},
	}

	for _, test := range tests {
		_, err := scoring.ParseRuleSet([]byte(test.json))
		if err == nil {
			t.Errorf("%s: got no error", test.name)
			continue
		}
		var fieldErr *scoring.FieldError
		if !errors.As(err, &fieldErr) {
			t.Errorf("%s: error %q is not a *FieldError", test.name, err)
			continue
		}
		if fieldErr.Field != test.field {
			t.Errorf("%s: field = %q, want %q (error %q)", test.name, fieldErr.Field, test.field, err)
		}
	}
}

func TestParseRuleSetSuggestsStats(t *testing.T) {
	_, err := scoring.ParseRuleSet([]byte(`{"name": "x", "multipliers": {"rushing_yard": 0.1}}`))
	if err == nil || !strings.Contains(err.Error(), "did you mean rushing_yards") {
		t.Errorf("error %v does not suggest rushing_yards", err)
	}
}

func TestParseRuleSetRejectsMalformedJSON(t *testing.T) {
	tests := map[string]string{
		"unknown field":         `{"name": "x", "multiplier": {"receptions": 1}}`,
		"unknown bonus field":   `{"name": "x", "bonuses": [{"stat": "rushing_yards", "at_least": 100, "points": 3, "tier": 1}]}`,
		"NaN string":            `{"name": "x", "multipliers": {"receptions": "NaN"}}`,
		"infinity string":       `{"name": "x", "multipliers": {"receptions": "Infinity"}}`,
		"null number":           `{"name": "x", "multipliers": {"receptions": null}}`,
		"boolean number":        `{"name": "x", "multipliers": {"receptions": true}}`,
		"fractional band bound": `{"name": "x", "kicking": {"fg_bands": [{"min": 0.5, "points": 3}]}}`,
		"trailing data":         `{"name": "x"} {"name": "y"}`,
		"not an object":         `[]`,
		"huge exponent":         `{"name": "x", "multipliers": {"receptions": 1e99999}}`,
	}
	for name, text := range tests {
		if _, err := scoring.ParseRuleSet([]byte(text)); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

func TestRuleSetJSONRoundTrip(t *testing.T) {
	text := `{"name": "everything", "base": "half-ppr",
		"multipliers": {"passing_tds": 6, "receptions": "0.75", "sack_fumbles_lost": 0, "targets": 0.1},
		"position_overrides": {"TE": {"receptions": 1.5}, "QB": {"rushing_yards": 0.2}},
		"bonuses": [{"stat": "rushing_yards", "at_least": 100, "points": 3}, {"stat": "rushing_yards", "at_least": 200, "points": 3}],
		"kicking": {"fg_bands": [{"min": 0, "max": 39, "points": 3}, {"min": 40, "max": 49, "points": 4}, {"min": 50, "points": 5}],
			"fg_missed": -1, "pat_made": 1, "pat_missed": -1},
		"defense": {"multipliers": {"def_sacks": 1, "def_interceptions": 2}, "team_multipliers": {"def_safeties": 2},
			"points_allowed": [{"min": 0, "max": 0, "points": 10}, {"min": 1, "points": 0}]}}`
	first := parse(t, text)

	data, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	second := parse(t, string(data))

	again, err := json.Marshal(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("second marshal differs:\n%s\n%s", data, again)
	}
	if first.Fingerprint() != second.Fingerprint() {
		t.Error("fingerprint changed in the round trip")
	}

	// The stored form keeps the base and only the changed multipliers.
	for _, part := range []string{`"base":"half-ppr"`, `"passing_tds":6`, `"receptions":0.75`, `"sack_fumbles_lost":0`, `"targets":0.1`} {
		if !strings.Contains(string(data), part) {
			t.Errorf("JSON %s does not contain %s", data, part)
		}
	}
	if strings.Contains(string(data), `"passing_yards"`) {
		t.Errorf("JSON %s repeats the base weight passing_yards", data)
	}

	// Parsed weights are exact: the base's passing_yards, and 0.75 per
	// reception instead of the base's 0.5.
	for stat, want := range map[string]string{"passing_yards": "0.04", "receptions": "0.75", "sack_fumbles_lost": "0"} {
		index := slices.IndexFunc(second.Weights, func(w scoring.Weight) bool { return w.Stat == stat })
		if index < 0 {
			t.Errorf("%s: no weight", stat)
			continue
		}
		if got := second.Weights[index].Points.String(); got != want {
			t.Errorf("%s: got %s, want %s", stat, got, want)
		}
	}
}

func TestPresetJSONRoundTrip(t *testing.T) {
	for _, preset := range scoring.Presets() {
		data, err := json.Marshal(preset)
		if err != nil {
			t.Fatal(err)
		}
		parsed := parse(t, string(data))
		if parsed.Fingerprint() != preset.Fingerprint() {
			t.Errorf("%s: fingerprint changed in the round trip (JSON %s)", preset.Name, data)
		}
	}
}

func TestFingerprintIdentity(t *testing.T) {
	same := []*scoring.RuleSet{
		scoring.PPR,
		parse(t, `{"name": "league-a", "base": "ppr"}`),
		parse(t, `{"name": "league-b", "base": "standard", "multipliers": {"receptions": "1.00"}}`),
		parse(t, `{"name": "league-c", "base": "ppr", "multipliers": {"targets": 0}, "position_overrides": {"TE": {"receptions": 1}}}`),
	}
	for _, ruleSet := range same[1:] {
		if ruleSet.Fingerprint() != scoring.PPR.Fingerprint() {
			t.Errorf("%s: fingerprint differs from ppr", ruleSet.Name)
		}
	}

	different := []*scoring.RuleSet{
		scoring.Standard,
		scoring.HalfPPR,
		parse(t, tePremium),
		parse(t, `{"name": "x", "base": "ppr", "bonuses": [{"stat": "rushing_yards", "at_least": 100, "points": 3}]}`),
		parse(t, `{"name": "x", "base": "ppr", "bonuses": [{"stat": "rushing_yards", "at_least": 101, "points": 3}]}`),
	}
	seen := map[string]string{scoring.PPR.Fingerprint(): scoring.PPR.Name}
	for _, ruleSet := range different {
		fingerprint := ruleSet.Fingerprint()
		if other, ok := seen[fingerprint]; ok {
			t.Errorf("%s and %s have the same fingerprint", ruleSet.Name, other)
		}
		seen[fingerprint] = ruleSet.Name
	}
}

// TestCustomPPRMatchesPresetOnFile scores a real season under the PPR preset
// and under rule sets parsed from JSON that score alike, so the Scorer
// shares one plan, plus the TE premium, which must add points only for TE
// rows.
func TestCustomPPRMatchesPresetOnFile(t *testing.T) {
	file := readStatsFile(t, "stats_player/stats_player_week_2024.csv.gz")
	custom := parse(t, `{"name": "league-a", "base": "ppr"}`)
	premium := parse(t, tePremium)
	scorer, err := scoring.NewScorer(scoring.PPR, custom, premium)
	if err != nil {
		t.Fatal(err)
	}

	var points []decimal.Decimal
	for _, week := range file.Players {
		points, err = scorer.ScoreRow(points[:0], week)
		if err != nil {
			t.Fatal(err)
		}
		if !points[0].Equal(points[1]) {
			t.Fatalf("player_id %s week %d: ppr %s, league-a %s", week.PlayerId, week.Week, points[0], points[1])
		}
		if points[2].LessThan(points[0]) {
			t.Errorf("player_id %s week %d: te-premium %s is less than ppr %s", week.PlayerId, week.Week, points[2], points[0])
		}

		want, err := premium.ScoreRow(week)
		if err != nil {
			t.Fatal(err)
		}
		if !points[2].Equal(want) {
			t.Errorf("player_id %s week %d: Scorer %s, RuleSet.ScoreRow %s", week.PlayerId, week.Week, points[2], want)
		}
	}
}

// TestNumericStatsCoverFiles checks NumericStats against the stats that the
// nflverse reader produces from every real file: each stat is numeric
// unless it is one of the known text columns.
func TestNumericStatsCoverFiles(t *testing.T) {
	text := map[string]bool{"position_group": true, "headshot_url": true,
		"fg_made_list": true, "fg_missed_list": true, "fg_blocked_list": true}

	seen := make(map[string]bool)
	for _, name := range statsFiles {
		file := readStatsFile(t, name)
		for _, week := range file.Players {
			for _, stat := range week.Stats {
				seen[stat.Name] = true
			}
		}
	}

	for stat := range seen {
		if text[stat] == scoring.IsNumericStat(stat) {
			t.Errorf("stat %s: IsNumericStat = %v, text column = %v", stat, scoring.IsNumericStat(stat), text[stat])
		}
	}
	for _, stat := range scoring.NumericStats() {
		if !seen[stat] {
			t.Errorf("NumericStats lists %s, which no file has", stat)
		}
	}
	if !slices.IsSorted(scoring.NumericStats()) {
		t.Error("NumericStats is not sorted")
	}
}

func TestScoredStatsDecidePoints(t *testing.T) {
	file := readStatsFile(t, "stats_player/stats_player_week_2025.csv.gz")
	ruleSets := []*scoring.RuleSet{scoring.Standard, scoring.HalfPPR, scoring.PPR, parse(t, tePremium), parse(t, kickers)}

	for _, ruleSet := range ruleSets {
		scored := ruleSet.ScoredStats()
		for _, row := range file.Players {
			want, err := ruleSet.ScoreRow(row)
			if err != nil {
				t.Fatalf("%s: score %s week %d: %v", ruleSet.Name, row.GetPlayerId(), row.GetWeek(), err)
			}

			// The row without every stat outside ScoredStats must score the same.
			trimmed := &messages.PlayerWeek{PlayerId: row.GetPlayerId(), Position: row.GetPosition(), Week: row.GetWeek()}
			for _, stat := range row.GetStats() {
				if scored[stat.GetName()] {
					trimmed.Stats = append(trimmed.Stats, stat)
				}
			}
			got, err := ruleSet.ScoreRow(trimmed)
			if err != nil {
				t.Fatalf("%s: score trimmed %s week %d: %v", ruleSet.Name, row.GetPlayerId(), row.GetWeek(), err)
			}
			if !got.Equal(want) {
				t.Fatalf("%s: %s week %d scores %s with only ScoredStats, want %s", ruleSet.Name, row.GetPlayerId(), row.GetWeek(), got, want)
			}
		}
	}

	ppr, standard := scoring.PPR.ScoredStats(), scoring.Standard.ScoredStats()
	if !ppr["receptions"] || !ppr["passing_yards"] {
		t.Errorf("PPR scored stats %v lack receptions or passing_yards", ppr)
	}
	if standard["receptions"] {
		t.Errorf("standard scored stats include receptions, which standard does not score")
	}
	if ppr["headshot_url"] || ppr["fantasy_points"] {
		t.Errorf("PPR scored stats include a column that is not scored: %v", ppr)
	}
}
