package actors

import (
	"slices"
	"testing"

	"github.com/nflsync/nflsync/messages"
)

// TestGroupByPlayerKeepsOrder groups interleaved rows of three players and
// checks the order of groups and of rows within each group.
func TestGroupByPlayerKeepsOrder(t *testing.T) {
	var rows []*messages.PlayerWeek
	for week, playerID := range []string{"b", "a", "b", "c", "a", "b"} {
		rows = append(rows, &messages.PlayerWeek{PlayerId: playerID, Week: int32(week)})
	}

	groups := groupByPlayer(rows, 0)

	want := map[string][]int32{"b": {0, 2, 5}, "a": {1, 4}, "c": {3}}
	order := []string{"b", "a", "c"}
	if len(groups) != len(order) {
		t.Fatalf("got %d groups, want %d", len(groups), len(order))
	}
	for i, group := range groups {
		playerID := group[0].GetPlayerId()
		if playerID != order[i] {
			t.Errorf("group %d is player %s, want %s", i, playerID, order[i])
		}
		var weeks []int32
		for _, row := range group {
			if row.GetPlayerId() != playerID {
				t.Errorf("group of %s contains a row of %s", playerID, row.GetPlayerId())
			}
			weeks = append(weeks, row.GetWeek())
		}
		if !slices.Equal(weeks, want[playerID]) {
			t.Errorf("player %s rows are weeks %v, want %v", playerID, weeks, want[playerID])
		}
	}
}
