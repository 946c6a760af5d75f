package scoring

import (
	"slices"
	"strings"

	"github.com/nflsync/nflsync/messages"
)

// numericStats are the numeric stat columns of the weekly player stats file,
// under the names the nflverse reader gives them (older names such as
// interceptions arrive renamed).
var numericStats = messages.NumericStatsColumns()

// fgMadeList is the text column of ";"-separated distances of the made
// field goals, in whole yards, such as "29;31".
const fgMadeList = "fg_made_list"

var numericStatSet = func() map[string]bool {
	set := make(map[string]bool, len(numericStats))
	for _, stat := range numericStats {
		set[stat] = true
	}
	return set
}()

// NumericStats returns the names of the numeric stat columns of the weekly
// player stats file, sorted. A rule set may weight any of them. Text columns
// (position_group, headshot_url and the fg_*_list distance lists) and
// identity columns (player_id, season, week, team, ...) are not stats to
// weight.
func NumericStats() []string {
	stats := slices.Clone(numericStats)
	slices.Sort(stats)
	return stats
}

// IsNumericStat reports whether stat is one of NumericStats.
func IsNumericStat(stat string) bool {
	return numericStatSet[stat]
}

// closestStats returns up to three numeric stat names nearest to name by
// edit distance, for an error message. It returns none when nothing is
// close.
func closestStats(name string) []string {
	type candidate struct {
		stat     string
		distance int
	}

	limit := max(2, len(name)/3)
	var candidates []candidate
	for _, stat := range numericStats {
		distance := editDistance(name, stat)
		if distance <= limit || (len(name) >= 4 && strings.Contains(stat, name)) {
			candidates = append(candidates, candidate{stat, distance})
		}
	}
	slices.SortStableFunc(candidates, func(a, b candidate) int {
		if a.distance != b.distance {
			return a.distance - b.distance
		}
		return strings.Compare(a.stat, b.stat)
	})

	var names []string
	for _, c := range candidates[:min(3, len(candidates))] {
		names = append(names, c.stat)
	}
	return names
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}

	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
