package actors

import (
	"testing"

	"github.com/nflsync/nflsync/messages"
)

func stat(name, value string) *messages.Stat {
	return &messages.Stat{Name: name, Value: value}
}

// TestDiffStatsEveryKindOfChange diffs two sorted stat lists that share some
// Stat pointers, differ in one value and each have a stat the other lacks.
func TestDiffStatsEveryKindOfChange(t *testing.T) {
	shared := stat("carries", "12")
	previous := []*messages.Stat{stat("attempts", "30"), shared, stat("passing_yards", "250"), stat("targets", "3")}
	current := []*messages.Stat{shared, stat("passing_yards", "251"), stat("receptions", "2"), stat("targets", "3")}

	changes := appendStatChanges(nil, previous, current)

	want := []struct {
		field             string
		previous, current *string
	}{
		{"attempts", stringPointer("30"), nil},
		{"passing_yards", stringPointer("250"), stringPointer("251")},
		{"receptions", nil, stringPointer("2")},
	}
	if len(changes) != len(want) {
		t.Fatalf("got %d changes %v, want %d", len(changes), changes, len(want))
	}
	for i, change := range changes {
		if change.GetField() != want[i].field {
			t.Errorf("change %d field = %q, want %q", i, change.GetField(), want[i].field)
		}
		if !equalPointers(change.Previous, want[i].previous) {
			t.Errorf("change %d (%s) previous = %v, want %v", i, change.GetField(), change.Previous, want[i].previous)
		}
		if !equalPointers(change.Current, want[i].current) {
			t.Errorf("change %d (%s) current = %v, want %v", i, change.GetField(), change.Current, want[i].current)
		}
	}
}

// TestDiffStatsOneSideEmpty checks that every stat of a one-sided list is
// a change from or to null.
func TestDiffStatsOneSideEmpty(t *testing.T) {
	stats := []*messages.Stat{stat("attempts", "30"), stat("carries", "12")}

	if got := appendStatChanges(nil, nil, stats); len(got) != 2 || got[0].Previous != nil || got[1].GetCurrent() != "12" {
		t.Errorf("diff from nothing = %v, want 2 changes from null", got)
	}
	if got := appendStatChanges(nil, stats, nil); len(got) != 2 || got[0].Current != nil || got[1].GetPrevious() != "12" {
		t.Errorf("diff to nothing = %v, want 2 changes to null", got)
	}
	if got := appendStatChanges(nil, stats, []*messages.Stat{stat("attempts", "30"), stat("carries", "12")}); len(got) != 0 {
		t.Errorf("diff of equal values in distinct Stats = %v, want none", got)
	}
}

func equalPointers(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
