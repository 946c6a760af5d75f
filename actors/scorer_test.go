package actors

import (
	"bytes"
	"testing"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// TestScoreFromPreviousRowMatchesChanges scores real week-to-week changes
// of every player of week 1 both ways: from the previous row, as player
// actors do, and from the changes alone, as the scorer does. The points
// before the change must be equal.
func TestScoreFromPreviousRowMatchesChanges(t *testing.T) {
	first, err := nflverse.ReadPlayerStats(bytes.NewReader(weekCSV(t, "1", "1")), "week1.csv")
	if err != nil {
		t.Fatal(err)
	}
	second, err := nflverse.ReadPlayerStats(bytes.NewReader(weekCSV(t, "2", "1")), "week2.csv")
	if err != nil {
		t.Fatal(err)
	}
	scorer, err := scoring.NewScorer(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}

	previousRows := make(map[string]*messages.PlayerWeek)
	for _, row := range first.Players {
		previousRows[row.GetPlayerId()] = row
	}

	compared := 0
	for _, row := range second.Players {
		previous, ok := previousRows[row.GetPlayerId()]
		if !ok {
			continue
		}
		delta := &messages.PlayerStatsDelta{Current: row, Changes: diffPlayerWeek(previous, row)}

		fromChanges, err := scoreDelta(scorer, delta)
		if err != nil {
			t.Fatalf("player_id %s: score from changes: %v", row.GetPlayerId(), err)
		}
		fromPrevious, err := scoreDeltaFrom(scorer, delta, previous)
		if err != nil {
			t.Fatalf("player_id %s: score from previous row: %v", row.GetPlayerId(), err)
		}

		for i := range fromChanges.Points {
			want, got := fromChanges.Points[i], fromPrevious.Points[i]
			if got.GetPoints() != want.GetPoints() {
				t.Errorf("player_id %s %s points = %s, want %s", row.GetPlayerId(), want.GetRuleSet(), got.GetPoints(), want.GetPoints())
			}
			if got.GetPreviousPoints() != want.GetPreviousPoints() {
				t.Errorf("player_id %s %s previous points = %s, want %s",
					row.GetPlayerId(), want.GetRuleSet(), got.GetPreviousPoints(), want.GetPreviousPoints())
			}
		}
		compared++
	}
	if compared < 500 {
		t.Errorf("compared %d players, want at least 500 in both weeks", compared)
	}
}
