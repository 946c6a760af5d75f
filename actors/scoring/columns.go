package scoring

import (
	"slices"
	"strings"
)

// numericStats are the numeric stat columns of the weekly player stats file,
// under the names the nflverse reader gives them: every column of the current
// stats_player_week_<season> format that is neither an identity column
// (player_id, season, team, ...) nor text, plus dakota from the older
// player_stats_<season> format. The older format's other columns are renamed
// by the reader (recent_team, interceptions, sacks, sack_yards) and reach
// scoring under their current names.
var numericStats = []string{
	"completions", "attempts", "passing_yards", "passing_tds", "passing_interceptions",
	"sacks_suffered", "sack_yards_lost", "sack_fumbles", "sack_fumbles_lost",
	"passing_air_yards", "passing_yards_after_catch", "passing_first_downs", "passing_epa",
	"passing_cpoe", "passing_2pt_conversions", "pacr",
	"passing_10", "passing_16", "passing_20", "passing_40",
	"carries", "rushing_yards", "rushing_tds", "rushing_fumbles", "rushing_fumbles_lost",
	"rushing_first_downs", "rushing_epa", "rushing_2pt_conversions",
	"rushing_10", "rushing_12", "rushing_20", "rushing_40",
	"receptions", "targets", "receiving_yards", "receiving_tds", "receiving_fumbles",
	"receiving_fumbles_lost", "receiving_air_yards", "receiving_yards_after_catch",
	"receiving_first_downs", "receiving_epa", "receiving_2pt_conversions",
	"receiving_10", "receiving_16", "receiving_20", "receiving_40",
	"racr", "target_share", "air_yards_share", "wopr", "special_teams_tds",
	"def_tackles_solo", "def_tackles_with_assist", "def_tackle_assists", "def_tackles_for_loss",
	"def_tackles_for_loss_yards", "def_fumbles_forced", "def_sacks", "def_sack_yards",
	"def_qb_hits", "def_interceptions", "def_interception_yards", "def_pass_defended",
	"def_tds", "def_fumbles", "def_safeties", "misc_yards",
	"fumble_recovery_own", "fumble_recovery_yards_own", "fumble_recovery_opp",
	"fumble_recovery_yards_opp", "fumble_recovery_tds", "penalties", "penalty_yards",
	"fumbles_forced_by_opp", "fumbles_not_forced", "fumbles_out_of_bounds", "fumbles_total",
	"fumbles_lost_total", "punt_returns", "punt_return_yards", "kickoff_returns",
	"kickoff_return_yards", "fg_made", "fg_att", "fg_missed", "fg_blocked", "fg_long", "fg_pct",
	"fg_made_0_19", "fg_made_20_29", "fg_made_30_39", "fg_made_40_49", "fg_made_50_59", "fg_made_60_",
	"fg_missed_0_19", "fg_missed_20_29", "fg_missed_30_39", "fg_missed_40_49", "fg_missed_50_59",
	"fg_missed_60_", "fg_made_distance", "fg_missed_distance", "fg_blocked_distance",
	"pat_made", "pat_att", "pat_missed", "pat_blocked", "pat_pct",
	"gwfg_made", "gwfg_att", "gwfg_missed", "gwfg_blocked", "gwfg_distance",
	"pt_att", "pt_blocked", "pt_long", "pt_yards", "pt_inside_20",
	"pt_out_of_bounds", "pt_downed", "pt_touchback", "pt_fair_caught", "pt_returned",
	"pt_return_yards", "pt_return_tds", "pt_net_yards", "fantasy_points", "fantasy_points_ppr",
	"dakota",
}

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
