package nflverse

import "strings"

// franchiseKeys maps team codes of relocated or renamed franchises, and
// older spellings, to the code nflverse uses for the franchise today.
var franchiseKeys = map[string]string{
	"OAK": "LV",  // Oakland Raiders, Las Vegas since 2020
	"SD":  "LAC", // San Diego Chargers, Los Angeles since 2017
	"STL": "LA",  // St. Louis Rams, Los Angeles since 2016
	"LAR": "LA",  // the Rams' code outside nflverse
	"JAC": "JAX", // Jacksonville's older code
	"WSH": "WAS", // Washington's code outside nflverse
}

// FranchiseKey returns one key per franchise across seasons for a team
// code: OAK and LV give LV, SD and LAC give LAC, STL and LA give LA. Other
// codes are returned trimmed and in upper case.
//
// Rows keep the team they were recorded for: PlayerWeek.Team, TeamWeek.Team
// and the schedule's team codes are never rewritten, so a 2019 Raiders row
// keeps OAK. Use FranchiseKey where one identity per franchise is needed,
// such as grouping a team's seasons.
func FranchiseKey(team string) string {
	team = strings.ToUpper(strings.TrimSpace(team))
	if key, ok := franchiseKeys[team]; ok {
		return key
	}
	return team
}
