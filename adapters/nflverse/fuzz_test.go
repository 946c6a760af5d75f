package nflverse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/nflsync/nflsync/messages"
)

// The fuzz targets check that no input makes a reader panic, and that what
// a reader accepts has keys. Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzReadPlayerStatsParquet$' -fuzztime 20s ./adapters/nflverse
//
// Seeds are the f.Add calls below and testdata/fuzz/<target>/.

// smallStatsRow is one row of a small stats file in nflverse's parquet
// types, with every required column and a double.
type smallStatsRow struct {
	PlayerID                *string `parquet:"player_id,optional"`
	PlayerName              *string `parquet:"player_name,optional"`
	Position                *string `parquet:"position,optional"`
	Season                  int32   `parquet:"season"`
	Week                    int32   `parquet:"week"`
	Team                    string  `parquet:"team"`
	PassingYards            *int32  `parquet:"passing_yards,optional"`
	PassingTDs              int32   `parquet:"passing_tds"`
	PassingInterceptions    int32   `parquet:"passing_interceptions"`
	RushingYards            int32   `parquet:"rushing_yards"`
	RushingTDs              int32   `parquet:"rushing_tds"`
	ReceivingYards          int32   `parquet:"receiving_yards"`
	ReceivingTDs            int32   `parquet:"receiving_tds"`
	Receptions              int32   `parquet:"receptions"`
	SpecialTeamsTDs         int32   `parquet:"special_teams_tds"`
	Passing2ptConversions   int32   `parquet:"passing_2pt_conversions"`
	Rushing2ptConversions   int32   `parquet:"rushing_2pt_conversions"`
	Receiving2ptConversions int32   `parquet:"receiving_2pt_conversions"`
	SackFumblesLost         int32   `parquet:"sack_fumbles_lost"`
	RushingFumblesLost      int32   `parquet:"rushing_fumbles_lost"`
	ReceivingFumblesLost    int32   `parquet:"receiving_fumbles_lost"`
	FantasyPoints           float64 `parquet:"fantasy_points"`
	Extra                   int64   `parquet:"unknown_extra"`
}

func text(s string) *string { return &s }
func int32p(n int32) *int32 { return &n }

// smallStatsParquet returns a parquet stats file with one row per row
// group: a player row, an identical duplicate, a conflicting duplicate, a
// team row, a row with an NA player_id and a UTF-8 name with float noise.
func smallStatsParquet(t testing.TB) []byte {
	t.Helper()
	rows := []smallStatsRow{
		{PlayerID: text("00-1"), PlayerName: text("A One"), Position: text("QB"), Season: 2024, Week: 1, Team: "KC", PassingYards: int32p(250), FantasyPoints: 12.5},
		{PlayerID: text("00-1"), PlayerName: text("A One"), Position: text("QB"), Season: 2024, Week: 1, Team: "KC", PassingYards: int32p(250), FantasyPoints: 12.5, Extra: 7},
		{PlayerID: text("00-1"), PlayerName: text("A One"), Position: text("QB"), Season: 2024, Week: 1, Team: "KC", PassingYards: int32p(999), FantasyPoints: 40},
		{Season: 2024, Week: 1, Team: "KC", SackFumblesLost: 1},
		{PlayerID: text("NA"), PlayerName: text("B Two"), Position: text("WR"), Season: 2024, Week: 1, Team: "KC"},
		{PlayerID: text("00-3"), PlayerName: text("Audric Estimé"), Position: text("RB"), Season: 2024, Week: 2, Team: "DEN", FantasyPoints: 0.020000000000000052},
	}

	var buffer bytes.Buffer
	writer := parquet.NewGenericWriter[smallStatsRow](&buffer, parquet.MaxRowsPerRowGroup(1))
	if _, err := writer.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return buffer.Bytes()
}

func TestReadPlayerStatsParquetRowRules(t *testing.T) {
	data := smallStatsParquet(t)

	var first *StatsFile
	for read := 1; read <= 3; read++ {
		file, err := ReadPlayerStatsParquet(bytes.NewReader(data), int64(len(data)), "small.parquet")
		if err != nil {
			t.Fatal(err)
		}

		if len(file.Players) != 2 || len(file.Teams) != 1 {
			t.Fatalf("players, teams = %d, %d, want 2, 1", len(file.Players), len(file.Teams))
		}
		if file.Duplicates != 1 || file.Conflicts != 1 || file.Quarantined != 1 {
			t.Errorf("duplicates, conflicts, quarantined = %d, %d, %d, want 1, 1, 1",
				file.Duplicates, file.Conflicts, file.Quarantined)
		}
		if got, _ := statValue(file.Players[0], "passing_yards"); got != "250" {
			t.Errorf("read %d: passing_yards = %q, want 250 from the first row in file order", read, got)
		}
		second := file.Players[1]
		if second.GetPlayerName() != "Audric Estimé" {
			t.Errorf("player_name = %q, want Audric Estimé", second.GetPlayerName())
		}
		if got, _ := statValue(second, "fantasy_points"); got != "0.02" {
			t.Errorf("fantasy_points = %q, want 0.02 without float noise", got)
		}
		if _, ok := statValue(second, "passing_yards"); ok {
			t.Error("null passing_yards became a stat")
		}

		if first == nil {
			first = file
			continue
		}
		if err := equalMessages(file.Players, first.Players); err != nil {
			t.Errorf("read %d differs from read 1: %v", read, err)
		}
	}
}

func TestReadPlayerStatsParquetMissingColumn(t *testing.T) {
	type row struct {
		PlayerID string `parquet:"player_id"`
		Season   int32  `parquet:"season"`
	}
	var buffer bytes.Buffer
	if err := parquet.Write(&buffer, []row{{"00-1", 2024}}); err != nil {
		t.Fatal(err)
	}

	_, err := ReadPlayerStatsParquet(bytes.NewReader(buffer.Bytes()), int64(buffer.Len()), "short.parquet")
	if err == nil || !strings.Contains(err.Error(), "missing required columns") || !strings.Contains(err.Error(), "week") {
		t.Errorf("error = %v, want one naming the missing week column", err)
	}
}

func TestReadParquetMalformed(t *testing.T) {
	data := smallStatsParquet(t)
	tests := map[string][]byte{
		"empty":       nil,
		"truncated":   data[:len(data)/2],
		"csv":         []byte(statsHeader),
		"magic only":  []byte("PAR1PAR1"),
		"bad footer":  append(append([]byte("PAR1"), bytes.Repeat([]byte{0xff}, 64)...), "PAR1"...),
		"no trailing": data[:len(data)-1],
	}
	for name, input := range tests {
		_, err := ReadPlayerStatsParquet(bytes.NewReader(input), int64(len(input)), "broken.parquet")
		if err == nil {
			t.Errorf("%s: want an error", name)
			continue
		}
		if !strings.Contains(err.Error(), "broken.parquet") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

// csvSeed returns the header and first lines of a test file.
func csvSeed(t testing.TB, name string, lines int) []byte {
	t.Helper()
	content := readTestdataBytes(t, name)
	if strings.HasSuffix(name, ".gz") {
		content = gunzip(t, content)
	}
	parts := strings.SplitAfterN(string(content), "\n", lines+2)
	return []byte(strings.Join(parts[:min(lines+1, len(parts))], ""))
}

func FuzzReadPlayerStats(f *testing.F) {
	f.Add(csvSeed(f, "stats_player/stats_player_week_2024.csv.gz", 5))
	f.Add(csvSeed(f, "player_stats/player_stats_2024.csv", 3))
	f.Add([]byte(statsHeader + "00-1,A One,QB,2024,1,KC,250,2,NA,,0,0,0,0,0,0,0,0,0,0,0,0.0299999999999999,x\n"))
	f.Add(gzipBytes(f, []byte(statsHeader+",,,2024,1,KC,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,,\n")))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadPlayerStats(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		checkStatsFile(t, file)
	})
}

func FuzzReadPlayerStatsParquet(f *testing.F) {
	f.Add(smallStatsParquet(f))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadPlayerStatsParquet(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
		if err != nil {
			return
		}
		checkStatsFile(t, file)
	})
}

func checkStatsFile(t *testing.T, file *StatsFile) {
	t.Helper()
	for _, row := range file.Players {
		if row.GetPlayerId() == "" || row.GetPlayerId() == "NA" {
			t.Fatalf("player row stored under key %q", row.GetPlayerId())
		}
	}
	for _, row := range file.Teams {
		if row.GetTeam() == "" {
			t.Fatal("team row without team")
		}
	}
}

func FuzzReadSchedule(f *testing.F) {
	f.Add(csvSeed(f, "schedules/games.csv", 4))
	f.Add([]byte("game_id,season,game_type,week,gameday,gametime,away_team,away_score,home_team,home_score\n" +
		"2024_01_A_B,2024,REG,1,2024-09-08,13:00,A,,B,\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		games, err := ReadSchedule(bytes.NewReader(data), "fuzz.csv")
		if err == nil {
			checkGames(t, games)
		}
	})
}

func FuzzReadScheduleParquet(f *testing.F) {
	f.Add(readFileBytes(f, filepath.Join(parquetDir, "schedules", "games.parquet")))

	f.Fuzz(func(t *testing.T, data []byte) {
		games, err := ReadScheduleParquet(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
		if err == nil {
			checkGames(t, games)
		}
	})
}

func checkGames(t *testing.T, games []*messages.Game) {
	t.Helper()
	for _, game := range games {
		if game.GetGameId() == "" {
			t.Fatal("game without game_id")
		}
		if (game.AwayScore == nil) != (game.HomeScore == nil) {
			t.Fatalf("game %s has one score", game.GetGameId())
		}
	}
}

func FuzzReadRoster(f *testing.F) {
	f.Add(csvSeed(f, "rosters/roster_2024.csv", 3))

	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ReadRoster(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		for _, entry := range entries {
			if entry.GetGsisId() == "" {
				t.Fatal("roster entry without gsis_id")
			}
		}
	})
}

func FuzzReadInjuries(f *testing.F) {
	f.Add(csvSeed(f, "injuries/injuries_2024.csv", 3))

	f.Fuzz(func(t *testing.T, data []byte) {
		injuries, err := ReadInjuries(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		for _, injury := range injuries {
			if injury.GetGsisId() == "" {
				t.Fatal("injury without gsis_id")
			}
		}
	})
}

// TestWriteFuzzSeeds writes the committed seed corpus when
// NFLSYNC_WRITE_FUZZ_SEEDS is set. It is skipped otherwise.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("NFLSYNC_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set NFLSYNC_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}

	seeds := map[string][]byte{
		"FuzzReadPlayerStats/real-rows":         csvSeed(t, "stats_player/stats_player_week_2025.csv.gz", 3),
		"FuzzReadPlayerStats/older-format":      csvSeed(t, "player_stats/player_stats_2023.csv", 2),
		"FuzzReadPlayerStatsParquet/small":      smallStatsParquet(t),
		"FuzzReadPlayerStatsParquet/truncated":  smallStatsParquet(t)[:600],
		"FuzzReadSchedule/unplayed-games":       csvSeed(t, "schedules/2025-12-01/games.csv", 3),
		"FuzzReadScheduleParquet/header-only":   []byte("PAR1"),
		"FuzzReadRoster/utf8-names":             csvSeed(t, "rosters/roster_2024.csv", 5),
		"FuzzReadInjuries/newline-placeholders": csvSeed(t, "injuries/injuries_2024.csv", 1),
	}
	for name, data := range seeds {
		path := filepath.Join("testdata", "fuzz", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkReadPlayerStatsParquet2024(b *testing.B) {
	data := readFileBytes(b, filepath.Join(parquetDir, "stats_player", "stats_player_week_2024.parquet"))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))

	for b.Loop() {
		file, err := ReadPlayerStatsParquet(bytes.NewReader(data), int64(len(data)), "stats_player_week_2024.parquet")
		if err != nil {
			b.Fatal(err)
		}
		if len(file.Players) != 18959 {
			b.Fatalf("players = %d", len(file.Players))
		}
	}
}
