package nflverse

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflsync/nflsync/messages"
)

// testdataDir is the repository's copy of real nflverse files.
var testdataDir = filepath.Join("..", "..", "testdata", "nflverse")

func openTestdata(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readTestdataBytes(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readStatsTestdata(t testing.TB, name string) *StatsFile {
	t.Helper()
	file, err := ReadPlayerStats(openTestdata(t, name), name)
	if err != nil {
		t.Fatalf("ReadPlayerStats(%s): %v", name, err)
	}
	return file
}

func findPlayerWeek(file *StatsFile, playerID string, week int32) *messages.PlayerWeek {
	for _, row := range file.Players {
		if row.GetPlayerId() == playerID && row.GetWeek() == week {
			return row
		}
	}
	return nil
}

// statValue returns the value of the named stat and whether it is present.
func statValue(row *messages.PlayerWeek, name string) (string, bool) {
	for _, stat := range row.GetStats() {
		if stat.GetName() == name {
			return stat.GetValue(), true
		}
	}
	return "", false
}

func TestReadPlayerStatsCurrentFiles(t *testing.T) {
	tests := []struct {
		name    string
		season  int32
		players int
	}{
		{"stats_player/stats_player_week_2023.csv.gz", 2023, 18621},
		{"stats_player/stats_player_week_2024.csv.gz", 2024, 18959},
		{"stats_player/stats_player_week_2025.csv.gz", 2025, 19399},
	}
	for _, test := range tests {
		t.Run(filepath.Base(test.name), func(t *testing.T) {
			file := readStatsTestdata(t, test.name)

			if got := len(file.Players); got != test.players {
				t.Errorf("players = %d, want %d", got, test.players)
			}
			if got := len(file.Teams); got != 22 {
				t.Errorf("team rows = %d, want 22", got)
			}
			if file.Quarantined != 0 || file.Duplicates != 0 || file.Conflicts != 0 {
				t.Errorf("quarantined, duplicates, conflicts = %d, %d, %d, want 0, 0, 0",
					file.Quarantined, file.Duplicates, file.Conflicts)
			}

			weeks := map[int32]bool{}
			for _, row := range file.Players {
				if row.GetSeason() != test.season {
					t.Fatalf("row %s week %d has season %d", row.GetPlayerId(), row.GetWeek(), row.GetSeason())
				}
				if row.GetPlayerId() == "" {
					t.Fatalf("player row without player_id: %v", row)
				}
				weeks[row.GetWeek()] = true

				for i := 1; i < len(row.GetStats()); i++ {
					if row.Stats[i-1].GetName() >= row.Stats[i].GetName() {
						t.Fatalf("stats of %s week %d not sorted: %s before %s", row.GetPlayerId(), row.GetWeek(),
							row.Stats[i-1].GetName(), row.Stats[i].GetName())
					}
				}
			}
			if len(weeks) != 22 {
				t.Errorf("weeks = %d, want 22", len(weeks))
			}

			for _, row := range file.Teams {
				if row.GetTeam() == "" || row.GetGameId() == "" {
					t.Errorf("team row without team or game_id: %v", row)
				}
			}
		})
	}
}

func TestReadPlayerStatsIdentityAndText(t *testing.T) {
	file := readStatsTestdata(t, "stats_player/stats_player_week_2024.csv.gz")

	row := findPlayerWeek(file, "00-0023459", 1)
	if row == nil {
		t.Fatal("Aaron Rodgers 2024 week 1 not found")
	}
	if row.GetPlayerDisplayName() != "Aaron Rodgers" || row.GetTeam() != "NYJ" || row.GetPosition() != "QB" {
		t.Errorf("identity = %q %q %q, want Aaron Rodgers NYJ QB", row.GetPlayerDisplayName(), row.GetTeam(), row.GetPosition())
	}
	if row.GetSeasonType() != "REG" || row.GetGameId() == "" || row.GetOpponentTeam() == "" {
		t.Errorf("season_type, game_id, opponent_team = %q %q %q", row.GetSeasonType(), row.GetGameId(), row.GetOpponentTeam())
	}
	for _, identity := range []string{"player_id", "season", "week", "team", "game_id", "position"} {
		if _, ok := statValue(row, identity); ok {
			t.Errorf("identity column %s is also a stat", identity)
		}
	}
	if got, _ := statValue(row, "position_group"); got != "QB" {
		t.Errorf("position_group = %q, want QB", got)
	}
	if got, _ := statValue(row, "headshot_url"); !strings.HasPrefix(got, "https://") {
		t.Errorf("headshot_url = %q, want a URL", got)
	}

	// Real digits beyond the 10th place are kept as written.
	if got, _ := statValue(row, "passing_epa"); got != "3.25828279805137" {
		t.Errorf("passing_epa = %q, want 3.25828279805137", got)
	}
	if got, _ := statValue(row, "sack_yards_lost"); got != "-5" {
		t.Errorf("sack_yards_lost = %q, want -5", got)
	}
}

func TestReadPlayerStatsFloatNoise(t *testing.T) {
	file := readStatsTestdata(t, "stats_player/stats_player_week_2025.csv.gz")

	row := findPlayerWeek(file, "00-0040691", 16)
	if row == nil {
		t.Fatal("00-0040691 2025 week 16 not found")
	}
	if got, _ := statValue(row, "fantasy_points"); got != "0.02" {
		t.Errorf("fantasy_points = %q, want 0.02 (file has 0.0200000000000001)", got)
	}
}

func TestReadPlayerStatsFieldGoalLists(t *testing.T) {
	file := readStatsTestdata(t, "stats_player/stats_player_week_2025.csv.gz")

	lists, multiple := 0, 0
	for _, row := range file.Players {
		value, ok := statValue(row, "fg_made_list")
		if !ok {
			continue
		}

		lists++
		if strings.Contains(value, ";") {
			multiple++
		}
		if strings.Contains(value, ",") {
			t.Fatalf("fg_made_list = %q, want ;-separated", value)
		}
	}
	if lists != 476 {
		t.Errorf("rows with fg_made_list = %d, want 476", lists)
	}
	if multiple != 301 {
		t.Errorf("rows with several made field goals = %d, want 301", multiple)
	}
}

func TestReadPlayerStatsOlderFormat(t *testing.T) {
	tests := []struct {
		name    string
		players int
	}{
		{"player_stats/player_stats_2023.csv", 5653},
		{"player_stats/player_stats_2024.csv", 5597},
	}
	for _, test := range tests {
		t.Run(filepath.Base(test.name), func(t *testing.T) {
			file := readStatsTestdata(t, test.name)

			if got := len(file.Players); got != test.players {
				t.Errorf("players = %d, want %d", got, test.players)
			}
			if got := len(file.Teams); got != 0 {
				t.Errorf("team rows = %d, want 0", got)
			}
			if file.Quarantined != 0 || file.Duplicates != 0 || file.Conflicts != 0 {
				t.Errorf("quarantined, duplicates, conflicts = %d, %d, %d, want 0, 0, 0",
					file.Quarantined, file.Duplicates, file.Conflicts)
			}
		})
	}

	file := readStatsTestdata(t, "player_stats/player_stats_2024.csv")
	row := findPlayerWeek(file, "00-0023459", 1)
	if row == nil {
		t.Fatal("Aaron Rodgers 2024 week 1 not found")
	}
	want := map[string]string{
		"passing_interceptions": "1",
		"sacks_suffered":        "1",
		"sack_yards_lost":       "-5",
		"passing_yards":         "167",
		"dakota":                "0.0665742775606359",
	}
	for name, value := range want {
		if got, _ := statValue(row, name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	for _, old := range []string{"interceptions", "sacks", "sack_yards", "recent_team"} {
		if _, ok := statValue(row, old); ok {
			t.Errorf("older column name %s is a stat, want it renamed", old)
		}
	}
	if row.GetTeam() != "NYJ" {
		t.Errorf("team = %q, want NYJ from recent_team", row.GetTeam())
	}
	if row.GetGameId() != "" {
		t.Errorf("game_id = %q, want empty: the older format has none", row.GetGameId())
	}
}

// statsHeader is the header of a small synthetic stats file with every
// required column.
const statsHeader = "player_id,player_name,position,season,week,team,passing_yards,passing_tds," +
	"passing_interceptions,rushing_yards,rushing_tds,receiving_yards,receiving_tds,receptions," +
	"special_teams_tds,passing_2pt_conversions,rushing_2pt_conversions,receiving_2pt_conversions," +
	"sack_fumbles_lost,rushing_fumbles_lost,receiving_fumbles_lost,passing_epa,unknown_extra\n"

func TestReadPlayerStatsRowRules(t *testing.T) {
	input := statsHeader +
		// A plain row with NA, empty, noise and an unknown column.
		"00-1,A One,QB,2024,1,KC,250,2,NA,,0,0,0,0,0,0,0,0,0,0,0,0.0299999999999999,x\n" +
		// An identical duplicate and a conflicting one: the first row wins.
		"00-1,A One,QB,2024,1,KC,250,2,NA,,0,0,0,0,0,0,0,0,0,0,0,0.0299999999999999,y\n" +
		"00-1,A One,QB,2024,1,KC,999,2,NA,,0,0,0,0,0,0,0,0,0,0,0,0.03,x\n" +
		// A team row, an empty player_id with a position, NA player_id, bad week and season.
		",,,2024,1,KC,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,,\n" +
		",B Two,WR,2024,1,KC,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,\n" +
		"NA,B Two,WR,2024,1,KC,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,\n" +
		"00-2,C Three,RB,2024,23,KC,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,\n" +
		"00-2,C Three,RB,20x4,2,KC,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,\n" +
		// UTF-8 and padding survive; 007 and -0 are canonical.
		"  00-3 ,Audric Estimé,RB,2024,2,DEN,007,-0,0.50,1e2,0,0,0,0,0,0,0,0,0,0,0,-1.25,\n"

	file, err := ReadPlayerStats(strings.NewReader(input), "rules.csv")
	if err != nil {
		t.Fatal(err)
	}

	if len(file.Players) != 2 {
		t.Fatalf("players = %d, want 2", len(file.Players))
	}
	if len(file.Teams) != 1 {
		t.Errorf("team rows = %d, want 1", len(file.Teams))
	}
	if file.Quarantined != 4 {
		t.Errorf("quarantined = %d, want 4", file.Quarantined)
	}
	if file.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", file.Duplicates)
	}
	if file.Conflicts != 1 {
		t.Errorf("conflicts = %d, want 1", file.Conflicts)
	}

	first := file.Players[0]
	if got, _ := statValue(first, "passing_yards"); got != "250" {
		t.Errorf("passing_yards = %q, want 250 from the first row", got)
	}
	if got, _ := statValue(first, "passing_epa"); got != "0.03" {
		t.Errorf("passing_epa = %q, want 0.03", got)
	}
	for _, null := range []string{"passing_interceptions", "rushing_yards", "unknown_extra"} {
		if value, ok := statValue(first, null); ok {
			t.Errorf("%s = %q, want absent", null, value)
		}
	}
	if got := len(first.GetStats()); got != 14 {
		t.Errorf("stats = %d, want 14", got)
	}

	team := file.Teams[0]
	if team.GetTeam() != "KC" || team.GetWeek() != 1 {
		t.Errorf("team row = %s week %d, want KC week 1", team.GetTeam(), team.GetWeek())
	}

	second := file.Players[1]
	if second.GetPlayerId() != "00-3" || second.GetPlayerName() != "Audric Estimé" {
		t.Errorf("player = %q %q, want 00-3 Audric Estimé", second.GetPlayerId(), second.GetPlayerName())
	}
	want := map[string]string{
		"passing_yards":         "7",
		"passing_tds":           "0",
		"passing_interceptions": "0.5",
		"rushing_yards":         "100",
		"passing_epa":           "-1.25",
	}
	for name, value := range want {
		if got, _ := statValue(second, name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}

func TestReadPlayerStatsMissingColumns(t *testing.T) {
	header := strings.NewReplacer("passing_tds,", "", "receptions,", "", "team,", "").Replace(statsHeader)

	_, err := ReadPlayerStats(strings.NewReader(header), "short.csv")
	if err == nil {
		t.Fatal("want an error for missing columns")
	}
	for _, want := range []string{"short.csv", "passing_tds", "receptions", "team (or recent_team)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestReadPlayerStatsInvalidNumber(t *testing.T) {
	input := statsHeader + "00-1,A One,QB,2024,1,KC,12x,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"

	_, err := ReadPlayerStats(strings.NewReader(input), "bad.csv")
	if err == nil {
		t.Fatal("want an error for an invalid number")
	}
	for _, want := range []string{"bad.csv", "line 2", "passing_yards", `"12x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
}

func TestReadPlayerStatsMalformedInput(t *testing.T) {
	stats := readTestdataBytes(t, "stats_player/stats_player_week_2025.csv.gz")
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"truncated gzip", stats[:len(stats)/2], "decompress gzip"},
		{"gzip header only", stats[:12], "decompress gzip"},
		{"garbage after gzip", append(append([]byte{}, stats...), 'x', 'y'), "decompress gzip"},
		{"garbage bytes", []byte("\x00\x01\x02garbage\xff\xfe\nmore\x00\n"), "missing required columns"},
		{"field count", []byte(statsHeader + "00-1,A,QB,2024,1\n"), "wrong number of fields"},
		{"empty", nil, "empty file"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := ReadPlayerStats(bytes.NewReader(test.input), "broken.csv.gz")
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), "broken.csv.gz") {
				t.Errorf("error %q does not name the file", err)
			}
			if !strings.Contains(err.Error(), test.want) {
				t.Errorf("error %q does not contain %q", err, test.want)
			}
		})
	}
}

func TestReadPlayerStatsPlainAndGzipEqual(t *testing.T) {
	var compressed bytes.Buffer
	gz := gzip.NewWriter(&compressed)
	if _, err := gz.Write(readTestdataBytes(t, "player_stats/player_stats_2024.csv")); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}

	fromGzip, err := ReadPlayerStats(&compressed, "player_stats_2024.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	plain := readStatsTestdata(t, "player_stats/player_stats_2024.csv")
	if len(fromGzip.Players) != len(plain.Players) {
		t.Errorf("gzip players = %d, plain players = %d", len(fromGzip.Players), len(plain.Players))
	}
}

func TestCanonicalNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-5", "-5"},
		{"-0", "0"},
		{"-0.0", "0"},
		{"007", "7"},
		{"1.50", "1.5"},
		{"2.000", "2"},
		{"0.0200000000000001", "0.02"},
		{"0.0299999999999999", "0.03"},
		{"-0.0299999999999999", "-0.03"},
		{"9.99999999999999", "10"},
		{"3.25828279805137", "3.25828279805137"},
		{"-0.532817420363426", "-0.532817420363426"},
		{"1e-05", "0.00001"},
		{"1.5E3", "1500"},
		{"+4", "4"},
		{".5", "0.5"},
	}
	for _, test := range tests {
		got, ok := canonicalNumber(test.in)
		if !ok || got != test.want {
			t.Errorf("canonicalNumber(%q) = %q, %v, want %q", test.in, got, ok, test.want)
		}
	}

	for _, invalid := range []string{"abc", "1.2.3", "NaN", "Inf", "-", "1,5", "12x", "1e999999999", "1e-200"} {
		if got, ok := canonicalNumber(invalid); ok {
			t.Errorf("canonicalNumber(%q) = %q, want invalid", invalid, got)
		}
	}
}

func BenchmarkReadPlayerStats2025(b *testing.B) {
	data := readTestdataBytes(b, "stats_player/stats_player_week_2025.csv.gz")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))

	for b.Loop() {
		file, err := ReadPlayerStats(bytes.NewReader(data), "stats_player_week_2025.csv.gz")
		if err != nil {
			b.Fatal(err)
		}
		if len(file.Players) != 19399 {
			b.Fatalf("players = %d", len(file.Players))
		}
	}
}

func readFileBytes(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
