package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
const (
	statsFile2025    = "../../testdata/nflverse/stats_player/stats_player_week_2025.csv.gz"
	oldStatsFile2024 = "../../testdata/nflverse/player_stats/player_stats_2024.csv"
)

// runScoreOK runs `nflsync score` with args and returns its CSV records
// without the header.
func runScoreOK(t *testing.T, args ...string) [][]string {
	t.Helper()

	var stdout, stderr bytes.Buffer
	if code := runScore(args, &stdout, &stderr); code != 0 {
		t.Fatalf("runScore(%q) = %d, want 0; stderr: %s", args, code, stderr.String())
	}

	records, err := csv.NewReader(&stdout).ReadAll()
	if err != nil {
		t.Fatalf("parse output CSV: %v", err)
	}
	if len(records) == 0 {
		t.Fatal("output is empty, want a header line")
	}
	if got := strings.Join(records[0], ","); got != "player_id,season,week,points" {
		t.Fatalf("header = %q, want player_id,season,week,points", got)
	}
	return records[1:]
}

func readPlayers(t *testing.T, path string) []*messages.PlayerWeek {
	t.Helper()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	file, err := nflverse.ReadPlayerStats(f, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return file.Players
}

// referenceCents returns nflverse's value of a fantasy points column rounded
// to cents, which removes its float noise.
func referenceCents(t *testing.T, row *messages.PlayerWeek, column string) decimal.Decimal {
	t.Helper()

	text, ok := scoring.RowLookup(row)(column)
	if !ok {
		t.Fatalf("player_id %s week %d: %s is null", row.PlayerId, row.Week, column)
	}
	return decimal.RequireFromString(text).Round(2)
}

// checkScoreOutput checks that records are the player rows in file order and
// that each row's points equal want(row) to the cent.
func checkScoreOutput(t *testing.T, records [][]string, players []*messages.PlayerWeek,
	ruleSet string, want func(*messages.PlayerWeek) decimal.Decimal) {
	t.Helper()

	if len(records) != len(players) {
		t.Fatalf("%s: got %d rows, want %d player rows", ruleSet, len(records), len(players))
	}

	mismatches := 0
	for i, record := range records {
		row := players[i]
		key := []string{row.PlayerId, strconv.Itoa(int(row.Season)), strconv.Itoa(int(row.Week))}
		if strings.Join(record[:3], ",") != strings.Join(key, ",") {
			t.Fatalf("%s: row %d is %q, want key %q", ruleSet, i+1, record, key)
		}

		points := record[3]
		expected := want(row).StringFixed(2)
		if points != expected {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("%s: player_id %s week %d: points %s, want %s", ruleSet, row.PlayerId, row.Week, points, expected)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%s: %d of %d rows differ from nflverse", ruleSet, mismatches, len(records))
	}
}

func TestScoreSeason2025MatchesNflverse(t *testing.T) {
	players := readPlayers(t, statsFile2025)
	if len(players) != 19399 {
		t.Fatalf("read %d player rows, want 19399 (19421 rows less 22 team rows)", len(players))
	}

	standard := func(row *messages.PlayerWeek) decimal.Decimal {
		return referenceCents(t, row, "fantasy_points")
	}
	fullPPR := func(row *messages.PlayerWeek) decimal.Decimal {
		return referenceCents(t, row, "fantasy_points_ppr")
	}
	half := func(row *messages.PlayerWeek) decimal.Decimal {
		return standard(row).Add(fullPPR(row)).Div(decimal.NewFromInt(2))
	}

	checkScoreOutput(t, runScoreOK(t, "--stats", statsFile2025, "--rules", "standard"), players, "standard", standard)
	checkScoreOutput(t, runScoreOK(t, "--stats", statsFile2025, "--rules", "half-ppr"), players, "half-ppr", half)
	checkScoreOutput(t, runScoreOK(t, "--stats", statsFile2025, "--rules", "ppr"), players, "ppr", fullPPR)
}

func TestScoreOldFormatMatchesNflverse(t *testing.T) {
	players := readPlayers(t, oldStatsFile2024)

	records := runScoreOK(t, "-stats", oldStatsFile2024, "-rules", "ppr")
	checkScoreOutput(t, records, players, "ppr", func(row *messages.PlayerWeek) decimal.Decimal {
		return referenceCents(t, row, "fantasy_points_ppr")
	})
}

func TestScoreDefaultsToStandard(t *testing.T) {
	withDefault := runScoreOK(t, "--stats", oldStatsFile2024)
	standard := runScoreOK(t, "--stats", oldStatsFile2024, "--rules", "standard")
	fullPPR := runScoreOK(t, "--stats", oldStatsFile2024, "--rules", "ppr")

	if len(withDefault) != len(standard) {
		t.Fatalf("default rules: %d rows, standard: %d rows", len(withDefault), len(standard))
	}
	for i := range withDefault {
		if strings.Join(withDefault[i], ",") != strings.Join(standard[i], ",") {
			t.Fatalf("row %d: default rules %q, standard %q", i+1, withDefault[i], standard[i])
		}
	}

	differs := false
	for i := range standard {
		if standard[i][3] != fullPPR[i][3] {
			differs = true
			break
		}
	}
	if !differs {
		t.Error("standard and PPR output are identical, want PPR to add receptions")
	}
}

func TestScoreUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no arguments", nil, "missing --stats"},
		{"unknown rule set", []string{"--stats", statsFile2025, "--rules", "ppr6"}, "valid names are standard, half-ppr, ppr"},
		{"extra argument", []string{"--stats", statsFile2025, "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--season", "2025"}, "flag provided but not defined"},
		{"flag without value", []string{"--stats"}, "flag needs an argument"},
	}

	for _, test := range tests {
		var stdout, stderr bytes.Buffer
		code := runScore(test.args, &stdout, &stderr)
		if code != 2 {
			t.Errorf("%s: exit code %d, want 2", test.name, code)
		}
		if !strings.Contains(stderr.String(), test.stderr) {
			t.Errorf("%s: stderr %q does not contain %q", test.name, stderr.String(), test.stderr)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: stdout %q, want empty", test.name, stdout.String())
		}
	}
}

func TestScoreHelpExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runScore([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "Usage: nflsync score") {
		t.Errorf("stderr %q does not contain the usage line", stderr.String())
	}
}

func TestScoreReadErrors(t *testing.T) {
	directory := t.TempDir()
	missing := filepath.Join(directory, "missing.csv")

	wrongHeader := filepath.Join(directory, "wrong_header.csv")
	if err := os.WriteFile(wrongHeader, []byte("foo,bar\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	badNumber := filepath.Join(directory, "bad_number.csv")
	writeBadNumberFile(t, badNumber)

	for path, reason := range map[string]string{
		missing:     "no such file",
		wrongHeader: "missing required columns",
		badNumber:   `"lots"`,
	} {
		var stdout, stderr bytes.Buffer
		code := runScore([]string{"--stats", path}, &stdout, &stderr)
		if code != 1 {
			t.Errorf("%s: exit code %d, want 1; stderr: %s", filepath.Base(path), code, stderr.String())
		}
		if !strings.Contains(stderr.String(), path) {
			t.Errorf("%s: stderr %q does not name the file", filepath.Base(path), stderr.String())
		}
		if !strings.Contains(stderr.String(), reason) {
			t.Errorf("%s: stderr %q does not contain %q", filepath.Base(path), stderr.String(), reason)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: stdout %q, want empty", filepath.Base(path), stdout.String())
		}
	}
}

// writeBadNumberFile writes the header and first row of the real 2024 file
// in the older format with passing_yards set to a word.
func writeBadNumberFile(t *testing.T, path string) {
	t.Helper()

	f, err := os.Open(oldStatsFile2024)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	reader := csv.NewReader(f)
	header, err := reader.Read()
	if err != nil {
		t.Fatal(err)
	}
	record, err := reader.Read()
	if err != nil {
		t.Fatal(err)
	}

	column := slices.Index(header, "passing_yards")
	if column < 0 {
		t.Fatal("passing_yards column not found")
	}
	record[column] = "lots"

	var content bytes.Buffer
	writer := csv.NewWriter(&content)
	if err := writer.WriteAll([][]string{header, record}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
