package messages

// Column names of nflverse's weekly player stats files. The nflverse reader
// maps every file onto these names, and rule sets may weight any numeric
// one, so both take them from here.

// StatsColumns are the columns of the current stats_player_week_<season>
// file, in file order.
var StatsColumns = []string{
	"player_id", "player_name", "player_display_name", "position", "position_group", "headshot_url",
	"season", "week", "season_type", "game_id", "team", "opponent_team",
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
	"fg_missed_60_", "fg_made_list", "fg_missed_list", "fg_blocked_list", "fg_made_distance",
	"fg_missed_distance", "fg_blocked_distance", "pat_made", "pat_att", "pat_missed",
	"pat_blocked", "pat_pct", "gwfg_made", "gwfg_att", "gwfg_missed", "gwfg_blocked",
	"gwfg_distance", "pt_att", "pt_blocked", "pt_long", "pt_yards", "pt_inside_20",
	"pt_out_of_bounds", "pt_downed", "pt_touchback", "pt_fair_caught", "pt_returned",
	"pt_return_yards", "pt_return_tds", "pt_net_yards", "fantasy_points", "fantasy_points_ppr",
}

// OlderStatsColumns are the columns of the older player_stats_<season> file
// that the current format does not have, with the current name each maps
// to. dakota has no current counterpart and keeps its name.
var OlderStatsColumns = map[string]string{
	"recent_team":   "team",
	"interceptions": "passing_interceptions",
	"sacks":         "sacks_suffered",
	"sack_yards":    "sack_yards_lost",
	"dakota":        "dakota",
}

// TextStatsColumns are the known non-identity columns whose values are text.
// The *_list columns are ";"-separated field goal distances.
var TextStatsColumns = map[string]bool{
	"position_group":  true,
	"headshot_url":    true,
	"fg_made_list":    true,
	"fg_missed_list":  true,
	"fg_blocked_list": true,
}

// IdentityStatsColumns are the columns that become PlayerWeek fields rather
// than stats.
var IdentityStatsColumns = map[string]bool{
	"player_id": true, "player_name": true, "player_display_name": true, "position": true,
	"team": true, "opponent_team": true, "game_id": true, "season": true, "week": true,
	"season_type": true,
}

// NumericStatsColumns returns the known columns that hold numbers: every
// column of both formats that is neither identity nor text, under its
// current name, in file order with dakota last.
func NumericStatsColumns() []string {
	var columns []string
	for _, column := range StatsColumns {
		if !IdentityStatsColumns[column] && !TextStatsColumns[column] {
			columns = append(columns, column)
		}
	}
	for older, current := range OlderStatsColumns {
		if older == current {
			columns = append(columns, current)
		}
	}
	return columns
}
