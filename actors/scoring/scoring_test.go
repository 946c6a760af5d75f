package scoring_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// row builds a player-week with the given name, value pairs, sorted by name
// as the nflverse reader sorts them.
func row(pairs ...string) *messages.PlayerWeek {
	week := &messages.PlayerWeek{Season: 2025, Week: 1, PlayerId: "00-0000001"}
	for i := 0; i+1 < len(pairs); i += 2 {
		week.Stats = append(week.Stats, &messages.Stat{Name: pairs[i], Value: pairs[i+1]})
	}
	slices.SortFunc(week.Stats, func(a, b *messages.Stat) int { return strings.Compare(a.Name, b.Name) })
	return week
}

func score(t *testing.T, ruleSet *scoring.RuleSet, week *messages.PlayerWeek) decimal.Decimal {
	t.Helper()
	points, err := ruleSet.Score(scoring.RowLookup(week))
	if err != nil {
		t.Fatalf("%s: Score: %v", ruleSet.Name, err)
	}
	return points
}

func TestPresetEachTerm(t *testing.T) {
	tests := []struct {
		stat, value             string
		standard, half, fullPPR string
	}{
		{"passing_yards", "100", "4", "4", "4"},
		{"passing_yards", "263", "10.52", "10.52", "10.52"},
		{"passing_tds", "2", "8", "8", "8"},
		{"passing_interceptions", "1", "-2", "-2", "-2"},
		{"passing_2pt_conversions", "1", "2", "2", "2"},
		{"sack_fumbles_lost", "1", "-2", "-2", "-2"},
		{"rushing_yards", "7", "0.7", "0.7", "0.7"},
		{"rushing_yards", "-5", "-0.5", "-0.5", "-0.5"},
		{"rushing_tds", "1", "6", "6", "6"},
		{"rushing_2pt_conversions", "1", "2", "2", "2"},
		{"rushing_fumbles_lost", "2", "-4", "-4", "-4"},
		{"receiving_yards", "13", "1.3", "1.3", "1.3"},
		{"receiving_tds", "1", "6", "6", "6"},
		{"receiving_2pt_conversions", "1", "2", "2", "2"},
		{"receiving_fumbles_lost", "1", "-2", "-2", "-2"},
		{"special_teams_tds", "1", "6", "6", "6"},
		{"receptions", "5", "0", "2.5", "5"},
		// Columns outside the formula score nothing.
		{"fumbles_lost_total", "1", "0", "0", "0"},
		{"fantasy_points", "20", "0", "0", "0"},
		{"fg_made", "3", "0", "0", "0"},
		{"def_sacks", "1.5", "0", "0", "0"},
	}

	for _, test := range tests {
		week := row(test.stat, test.value)
		for _, want := range []struct {
			ruleSet *scoring.RuleSet
			points  string
		}{
			{scoring.Standard, test.standard},
			{scoring.HalfPPR, test.half},
			{scoring.PPR, test.fullPPR},
		} {
			got := score(t, want.ruleSet, week)
			if got.String() != want.points {
				t.Errorf("%s %s=%s: got %s, want %s", want.ruleSet.Name, test.stat, test.value, got, want.points)
			}
		}
	}
}

func TestScoreWholeRow(t *testing.T) {
	week := row(
		"passing_yards", "263", "passing_tds", "2", "passing_interceptions", "1",
		"rushing_yards", "41", "rushing_tds", "1", "receptions", "1", "receiving_yards", "-3",
		"completions", "22", "attempts", "31", "passing_epa", "5.72915816358011",
	)

	// 10.52 + 8 - 2 + 4.1 + 6 - 0.3, plus 0, 0.5 or 1 per reception.
	for ruleSet, want := range map[*scoring.RuleSet]string{
		scoring.Standard: "26.32",
		scoring.HalfPPR:  "26.82",
		scoring.PPR:      "27.32",
	} {
		got := score(t, ruleSet, week)
		if got.String() != want {
			t.Errorf("%s: got %s, want %s", ruleSet.Name, got, want)
		}
	}
}

func TestScoreNullStatsCountZero(t *testing.T) {
	for _, ruleSet := range scoring.Presets() {
		got := score(t, ruleSet, row())
		if !got.IsZero() {
			t.Errorf("%s: empty row scored %s, want 0", ruleSet.Name, got)
		}
		if text := scoring.FormatPoints(got); text != "0.00" {
			t.Errorf("%s: FormatPoints = %q, want 0.00", ruleSet.Name, text)
		}
	}
}

func TestScoreNegativeTotal(t *testing.T) {
	week := row("rushing_yards", "-3", "rushing_fumbles_lost", "1", "passing_interceptions", "2")

	got := score(t, scoring.Standard, week)
	if got.String() != "-6.3" {
		t.Errorf("got %s, want -6.3", got)
	}
	if text := scoring.FormatPoints(got); text != "-6.30" {
		t.Errorf("FormatPoints = %q, want -6.30", text)
	}
}

func TestScoreInvalidValue(t *testing.T) {
	for _, value := range []string{"", "-", "abc", "1.2.3", "NA", "12yd"} {
		_, err := scoring.PPR.Score(scoring.RowLookup(row("rushing_yards", value)))
		if err == nil {
			t.Errorf("value %q: got no error", value)
			continue
		}
		if !strings.Contains(err.Error(), "rushing_yards") {
			t.Errorf("value %q: error %q does not name the stat", value, err)
		}
		if !strings.Contains(err.Error(), `"`+value+`"`) {
			t.Errorf("value %q: error %q does not quote the value", value, err)
		}
	}
}

func TestScoreIgnoresInvalidUnweightedValue(t *testing.T) {
	got := score(t, scoring.Standard, row("headshot_url", "https://example.com/a.png", "rushing_tds", "1"))
	if got.String() != "6" {
		t.Errorf("got %s, want 6", got)
	}
}

func TestFormatPointsRoundsHalfUp(t *testing.T) {
	tests := []struct{ points, want string }{
		{"1.305", "1.31"},
		{"-1.305", "-1.30"}, // toward positive infinity, unlike decimal.Round
		{"1.315", "1.32"},
		{"-1.315", "-1.31"},
		{"1.304", "1.30"},
		{"-1.304", "-1.30"},
		{"1.306", "1.31"},
		{"-1.306", "-1.31"},
		{"0.005", "0.01"},
		{"-0.005", "0.00"},
		{"-0.004", "0.00"},
		{"-0.006", "-0.01"},
		{"18.58", "18.58"},
		{"-1.3", "-1.30"},
		{"2", "2.00"},
		{"0", "0.00"},
		{"0.0200000000000001", "0.02"},
		{"123456789012345678901.995", "123456789012345678902.00"},
	}

	for _, test := range tests {
		got := scoring.FormatPoints(decimal.RequireFromString(test.points))
		if got != test.want {
			t.Errorf("FormatPoints(%s) = %q, want %q", test.points, got, test.want)
		}
	}
}

func TestScoreCustomHalfCentRounding(t *testing.T) {
	ruleSet := &scoring.RuleSet{Name: "half-cent", Weights: []scoring.Weight{
		{Stat: "targets", Points: decimal.RequireFromString("0.005")},
		{Stat: "rushing_yards", Points: decimal.RequireFromString("0.1")},
	}}

	tests := []struct{ targets, rushingYards, exact, formatted string }{
		{"1", "13", "1.305", "1.31"},
		{"1", "-14", "-1.395", "-1.39"},
		{"3", "0", "0.015", "0.02"},
		{"-1", "0", "-0.005", "0.00"},
	}
	for _, test := range tests {
		got := score(t, ruleSet, row("targets", test.targets, "rushing_yards", test.rushingYards))
		if got.String() != test.exact {
			t.Errorf("targets %s rushing_yards %s: got %s, want %s", test.targets, test.rushingYards, got, test.exact)
		}
		if text := scoring.FormatPoints(got); text != test.formatted {
			t.Errorf("targets %s rushing_yards %s: FormatPoints = %q, want %q", test.targets, test.rushingYards, text, test.formatted)
		}
	}
}

func TestPresetByName(t *testing.T) {
	for name, want := range map[string]*scoring.RuleSet{
		"standard": scoring.Standard,
		"half-ppr": scoring.HalfPPR,
		"ppr":      scoring.PPR,
	} {
		got, err := scoring.Preset(name)
		if err != nil {
			t.Errorf("Preset(%q): %v", name, err)
			continue
		}
		if got != want {
			t.Errorf("Preset(%q) = %s, want %s", name, got.Name, want.Name)
		}
	}
}

func TestPresetUnknownName(t *testing.T) {
	_, err := scoring.Preset("PPR6")
	if err == nil {
		t.Fatal("Preset(PPR6): got no error")
	}
	for _, part := range []string{`"PPR6"`, "standard", "half-ppr", "ppr"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %s", err, part)
		}
	}
}

func TestPresetsValidate(t *testing.T) {
	for _, ruleSet := range scoring.Presets() {
		if err := ruleSet.Validate(); err != nil {
			t.Errorf("%s: %v", ruleSet.Name, err)
		}
	}
}

func TestScorerMatchesRuleSetScore(t *testing.T) {
	scorer, err := scoring.NewScorer(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	week := row("passing_yards", "301", "passing_tds", "3", "receptions", "3", "receiving_yards", "22",
		"sack_fumbles_lost", "1", "rushing_yards", "-2")

	points, err := scorer.ScoreRow(nil, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 3 {
		t.Fatalf("got %d results, want 3", len(points))
	}
	for i, ruleSet := range scorer.RuleSets() {
		want := score(t, ruleSet, week)
		if !points[i].Equal(want) {
			t.Errorf("%s: Scorer got %s, RuleSet.Score got %s", ruleSet.Name, points[i], want)
		}
	}
}

func TestScorerAppendsToDst(t *testing.T) {
	scorer, err := scoring.NewScorer(scoring.PPR)
	if err != nil {
		t.Fatal(err)
	}

	dst := []decimal.Decimal{decimal.NewFromInt(99)}
	dst, err = scorer.ScoreRow(dst, row("receptions", "4"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dst) != 2 || dst[0].String() != "99" || dst[1].String() != "4" {
		t.Errorf("got %v, want [99 4]", dst)
	}
}

func TestScorerRowErrorNamesRow(t *testing.T) {
	scorer, err := scoring.NewScorer(scoring.Standard)
	if err != nil {
		t.Fatal(err)
	}

	dst := []decimal.Decimal{decimal.NewFromInt(1)}
	got, err := scorer.ScoreRow(dst, row("passing_tds", "two"))
	if err == nil {
		t.Fatal("got no error")
	}
	for _, part := range []string{"00-0000001", "2025", "week 1", "passing_tds", `"two"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %s", err, part)
		}
	}
	if len(got) != 1 {
		t.Errorf("dst grew to %d elements on error, want 1", len(got))
	}
}

func TestNewScorerRejectsInvalidRuleSets(t *testing.T) {
	one := decimal.NewFromInt(1)
	tests := map[string][]*scoring.RuleSet{
		"nil rule set":   {nil},
		"no name":        {{Weights: []scoring.Weight{{Stat: "receptions", Points: one}}}},
		"empty stat":     {{Name: "custom", Weights: []scoring.Weight{{Stat: "", Points: one}}}},
		"duplicate stat": {{Name: "custom", Weights: []scoring.Weight{{Stat: "receptions", Points: one}, {Stat: "receptions", Points: one}}}},
		"duplicate name": {scoring.PPR, {Name: "ppr"}},
	}

	for name, ruleSets := range tests {
		if _, err := scoring.NewScorer(ruleSets...); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

func TestRowLookupFindsEachStat(t *testing.T) {
	week := row("attempts", "30", "passing_tds", "1", "receptions", "2", "rushing_yards", "20", "wopr", "0.51")

	lookup := scoring.RowLookup(week)
	for _, stat := range week.Stats {
		value, ok := lookup(stat.Name)
		if !ok {
			t.Errorf("lookup(%s) not found", stat.Name)
			continue
		}
		if value != stat.Value {
			t.Errorf("lookup(%s) = %q, want %q", stat.Name, value, stat.Value)
		}
	}
	for _, name := range []string{"aaa", "completions", "receiving_yards", "zzz"} {
		if value, ok := lookup(name); ok {
			t.Errorf("lookup(%s) = %q, want not found", name, value)
		}
	}
}
