package scoring_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// statsFiles are the real nflverse weekly player stats files in testdata:
// the current stats_player format and the older player_stats one.
// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
var statsFiles = []string{
	"stats_player/stats_player_week_2023.csv.gz",
	"stats_player/stats_player_week_2024.csv.gz",
	"stats_player/stats_player_week_2025.csv.gz",
	"player_stats/player_stats_2023.csv",
	"player_stats/player_stats_2024.csv",
}

func readStatsFile(tb testing.TB, name string) *nflverse.StatsFile {
	tb.Helper()

	path := filepath.Join("..", "..", "testdata", "nflverse", name)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()

	file, err := nflverse.ReadPlayerStats(f, name)
	if err != nil {
		tb.Fatal(err)
	}
	return file
}

// referencePoints returns nflverse's value of a fantasy points column rounded
// to cents, which removes its float noise. The presets make every total a
// multiple of 0.02, so the rounding mode does not matter here.
func referencePoints(t *testing.T, week *messages.PlayerWeek, column string) decimal.Decimal {
	t.Helper()

	text, ok := scoring.RowLookup(week)(column)
	if !ok {
		t.Fatalf("player_id %s season %d week %d: %s is null", week.PlayerId, week.Season, week.Week, column)
	}
	points, err := decimal.NewFromString(text)
	if err != nil {
		t.Fatalf("player_id %s season %d week %d: %s: %v", week.PlayerId, week.Season, week.Week, column, err)
	}
	return points.Round(2)
}

func TestPresetsMatchNflverseFiles(t *testing.T) {
	scorer, err := scoring.NewScorer(scoring.Standard, scoring.HalfPPR, scoring.PPR)
	if err != nil {
		t.Fatal(err)
	}
	two := decimal.NewFromInt(2)

	for _, name := range statsFiles {
		t.Run(filepath.Base(name), func(t *testing.T) {
			file := readStatsFile(t, name)
			if len(file.Players) < 5000 {
				t.Fatalf("read %d player rows, want at least 5000", len(file.Players))
			}

			mismatches := 0
			var points, viaLookup []decimal.Decimal
			for _, week := range file.Players {
				points, err = scorer.ScoreRow(points[:0], week)
				if err != nil {
					t.Fatal(err)
				}
				viaLookup, err = scorer.Score(viaLookup[:0], scoring.RowLookup(week))
				if err != nil {
					t.Fatal(err)
				}
				for i := range points {
					if !points[i].Equal(viaLookup[i]) {
						t.Errorf("player_id %s season %d week %d: ScoreRow got %s, Score got %s",
							week.PlayerId, week.Season, week.Week, points[i], viaLookup[i])
					}
				}

				standard := referencePoints(t, week, "fantasy_points")
				fullPPR := referencePoints(t, week, "fantasy_points_ppr")
				half := standard.Add(fullPPR).Div(two)
				for i, want := range []decimal.Decimal{standard, half, fullPPR} {
					got := scoring.RoundPoints(points[i])
					if !got.Equal(want) {
						mismatches++
						if mismatches <= 10 {
							t.Errorf("player_id %s season %d week %d %s: got %s, want %s",
								week.PlayerId, week.Season, week.Week, scorer.RuleSets()[i].Name, got, want)
						}
					}
				}
			}
			if mismatches > 0 {
				t.Errorf("%d mismatches in %d player rows", mismatches, len(file.Players))
			}
		})
	}
}

// BenchmarkScoreSeason scores every player row of the 2025 file under the
// three presets. Reading the file is not timed.
func BenchmarkScoreSeason(b *testing.B) {
	file := readStatsFile(b, "stats_player/stats_player_week_2025.csv.gz")
	scorer, err := scoring.NewScorer(scoring.Presets()...)
	if err != nil {
		b.Fatal(err)
	}

	points := make([]decimal.Decimal, 0, 3)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, week := range file.Players {
			points, err = scorer.ScoreRow(points[:0], week)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(file.Players)), "rows/op")
}
