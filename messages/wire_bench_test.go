package messages

import (
	"fmt"
	"testing"
)

// sampleUpdate returns a scored player-week with 100 stats, about the size
// of a real row, and a change of two of them.
func sampleUpdate(firstSeen bool) *PlayerUpdate {
	row := &PlayerWeek{
		Season: 2024, Week: 10, SeasonType: "REG", PlayerId: "00-0033873", PlayerName: "P.Mahomes",
		PlayerDisplayName: "Patrick Mahomes", Position: "QB", Team: "KC", OpponentTeam: "DEN", GameId: "2024_10_DEN_KC",
	}
	for i := range 100 {
		row.Stats = append(row.Stats, &Stat{Name: fmt.Sprintf("stat_column_%03d", i), Value: "12"})
	}
	before := "9"
	delta := &PlayerStatsDelta{Current: row, FirstSeen: firstSeen, DetectedUnixNano: 1731258000000000000}
	if !firstSeen {
		delta.Changes = []*FieldChange{
			{Field: "stat_column_001", Previous: &before, Current: &row.Stats[1].Value},
			{Field: "stat_column_002", Previous: &before, Current: &row.Stats[2].Value},
		}
	}
	points := []*Points{
		{RuleSet: "standard", Points: "16.54"}, {RuleSet: "half-ppr", Points: "16.54"}, {RuleSet: "ppr", Points: "16.54"},
	}
	return &PlayerUpdate{Delta: delta, Points: points}
}

// BenchmarkEncodePlayerUpdate encodes a PLAYER_UPDATE and reports its size:
// the whole row for a player-week seen for the first time, and the changed
// stats, identity and points for a change.
func BenchmarkEncodePlayerUpdate(b *testing.B) {
	for _, firstSeen := range []bool{true, false} {
		name := "change"
		if firstSeen {
			name = "first-seen"
		}
		b.Run(name, func(b *testing.B) {
			update := sampleUpdate(firstSeen)
			var size int
			b.ReportAllocs()
			for b.Loop() {
				payload, err := EncodePlayerUpdate(update)
				if err != nil {
					b.Fatal(err)
				}
				size = len(payload)
			}
			b.ReportMetric(float64(size), "bytes/msg")
		})
	}
}
