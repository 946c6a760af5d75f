package scoring_test

import (
	"testing"

	"github.com/nflsync/nflsync/actors/scoring"
)

// TestFormatRowMatchesScoreRow formats every row of a real season under
// the presets, a custom rule set equal to PPR (a shared plan) and a TE
// premium, and compares with FormatPoints over ScoreRow.
func TestFormatRowMatchesScoreRow(t *testing.T) {
	file := readStatsFile(t, "stats_player/stats_player_week_2025.csv.gz")
	ruleSets := append(scoring.Presets(),
		parse(t, `{"name": "league-a", "base": "ppr"}`), parse(t, tePremium))
	scorer, err := scoring.NewScorer(ruleSets...)
	if err != nil {
		t.Fatal(err)
	}

	var texts []string
	for _, week := range file.Players {
		points, err := scorer.ScoreRow(nil, week)
		if err != nil {
			t.Fatal(err)
		}
		texts, err = scorer.FormatRow(texts[:0], week)
		if err != nil {
			t.Fatal(err)
		}

		if len(texts) != len(points) {
			t.Fatalf("player_id %s week %d: %d texts for %d rule sets", week.PlayerId, week.Week, len(texts), len(points))
		}
		for i, text := range texts {
			if want := scoring.FormatPoints(points[i]); text != want {
				t.Errorf("player_id %s week %d %s: FormatRow %s, want %s",
					week.PlayerId, week.Week, ruleSets[i].Name, text, want)
			}
		}
	}
}

// TestFormatRowInvalidValue fails like ScoreRow and leaves dst as it was.
func TestFormatRowInvalidValue(t *testing.T) {
	scorer, err := scoring.NewScorer(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	week := row("passing_yards", "12x")

	texts, err := scorer.FormatRow([]string{"kept"}, week)
	if err == nil {
		t.Fatal("FormatRow of an invalid value returned no error")
	}
	if len(texts) != 1 || texts[0] != "kept" {
		t.Errorf("FormatRow changed dst to %q on error", texts)
	}
}
