package nflverse

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// parquetDir holds parquet copies of the CSV test files, written by
// scripts/parquet/make.sh.
var parquetDir = filepath.Join("..", "..", "testdata", "parquet")

func readParquetTestdata[T any](t testing.TB, name string, read func(r *bytes.Reader, size int64, name string) (T, error)) T {
	t.Helper()
	data := readFileBytes(t, filepath.Join(parquetDir, name))
	result, err := read(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return result
}

// equalMessages reports the first difference between two message lists.
func equalMessages[M proto.Message](got, want []M) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if any(got[i]) == any(want[i]) {
			continue
		}
		if !proto.Equal(got[i], want[i]) {
			return fmt.Errorf("message %d differs:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	return nil
}

func TestParquetMatchesCSVPlayerStats(t *testing.T) {
	fromCSV := readStatsTestdata(t, "stats_player/stats_player_week_2024.csv.gz")
	fromParquet := readParquetTestdata(t, "stats_player/stats_player_week_2024.parquet",
		func(r *bytes.Reader, size int64, name string) (*StatsFile, error) {
			return ReadPlayerStatsParquet(r, size, name)
		})

	if err := equalMessages(fromParquet.Players, fromCSV.Players); err != nil {
		t.Errorf("player rows: %v", err)
	}
	if err := equalMessages(fromParquet.Teams, fromCSV.Teams); err != nil {
		t.Errorf("team rows: %v", err)
	}
	if fromParquet.Quarantined != fromCSV.Quarantined || fromParquet.Duplicates != fromCSV.Duplicates ||
		fromParquet.Conflicts != fromCSV.Conflicts {
		t.Errorf("parquet counts %d, %d, %d differ from CSV counts %d, %d, %d",
			fromParquet.Quarantined, fromParquet.Duplicates, fromParquet.Conflicts,
			fromCSV.Quarantined, fromCSV.Duplicates, fromCSV.Conflicts)
	}
}

func TestParquetMatchesCSVSchedule(t *testing.T) {
	fromCSV, err := readFile(filepath.Join("..", "..", "testdata", "replay", "2024", "games.csv"), ReadSchedule)
	if err != nil {
		t.Fatal(err)
	}
	fromParquet := readParquetTestdata(t, "schedules/games.parquet",
		func(r *bytes.Reader, size int64, name string) ([]*messages.Game, error) {
			return ReadScheduleParquet(r, size, name)
		})

	if err := equalMessages(fromParquet, fromCSV); err != nil {
		t.Error(err)
	}
}

func TestParquetMatchesCSVRoster(t *testing.T) {
	fromCSV, err := ReadRoster(openTestdata(t, "rosters/roster_2024.csv"), "roster_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	fromParquet := readParquetTestdata(t, "rosters/roster_2024.parquet",
		func(r *bytes.Reader, size int64, name string) ([]*messages.RosterEntry, error) {
			return ReadRosterParquet(r, size, name)
		})

	if err := equalMessages(fromParquet, fromCSV); err != nil {
		t.Error(err)
	}
}

func TestParquetMatchesCSVInjuries(t *testing.T) {
	fromCSV, err := ReadInjuries(openTestdata(t, "injuries/injuries_2024.csv"), "injuries_2024.csv")
	if err != nil {
		t.Fatal(err)
	}
	fromParquet := readParquetTestdata(t, "injuries/injuries_2024.parquet",
		func(r *bytes.Reader, size int64, name string) ([]*messages.Injury, error) {
			return ReadInjuriesParquet(r, size, name)
		})

	if err := equalMessages(fromParquet, fromCSV); err != nil {
		t.Error(err)
	}
	if len(fromCSV) == 0 || !strings.HasSuffix(fromCSV[0].GetDateModified(), "Z") {
		t.Errorf("date_modified of the first row = %q, want a UTC timestamp", fromCSV[0].GetDateModified())
	}
}
