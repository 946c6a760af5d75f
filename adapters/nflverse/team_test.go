package nflverse

import "testing"

func TestFranchiseKey(t *testing.T) {
	tests := map[string]string{
		"OAK": "LV", "LV": "LV",
		"SD": "LAC", "LAC": "LAC",
		"STL": "LA", "LA": "LA", "LAR": "LA",
		"JAC": "JAX", "WSH": "WAS",
		" kc ": "KC", "": "",
	}
	for team, want := range tests {
		if got := FranchiseKey(team); got != want {
			t.Errorf("FranchiseKey(%q) = %q, want %q", team, got, want)
		}
	}
}
