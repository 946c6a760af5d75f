package actors

// Validation of league definitions: the formats, the limits and the checks
// that a definition passes before a league actor takes it.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// League formats, the values of League.Format.
const (
	LeagueFormatRegular  = "regular"  // weeks 1-18
	LeagueFormatPlayoffs = "playoffs" // weeks 19-22
)

// Limits of a league definition. They bound the work of one league actor
// and the size of a LEADERBOARD_UPDATE; no real fantasy league comes near.
const (
	maxLeagueTeams  = 64
	maxTeamRoster   = 100
	maxLeagueName   = 200
	minLeagueSeason = 1999 // the first season of nflverse weekly stats
	maxLeagueSeason = 2100
)

var (
	leagueIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	playerIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)
)

// Codes of LeagueError.
const (
	LeagueErrorInvalidField = "invalid_field"
	LeagueErrorNotFound     = "not_found"
	LeagueErrorConflict     = "conflict"
	LeagueErrorUnavailable  = "unavailable"
)

// LeagueError is a rejected league request. Field is the path of the
// invalid field in the request's JSON, such as "teams[2].id", or "" when no
// one field is at fault.
type LeagueError struct {
	Code    string
	Field   string
	Message string
}

func (e *LeagueError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func invalidField(field, format string, args ...any) *LeagueError {
	return &LeagueError{Code: LeagueErrorInvalidField, Field: field, Message: fmt.Sprintf(format, args...)}
}

// FormatWeeks returns the first and last week of a league format: 1-18 for
// regular, 19-22 for playoffs, and ok=false for an unknown format.
func FormatWeeks(format string) (first, last int32, ok bool) {
	switch format {
	case LeagueFormatRegular:
		return 1, 18, true
	case LeagueFormatPlayoffs:
		return 19, 22, true
	default:
		return 0, 0, false
	}
}

// NormalizeLeague fills the defaults of a league in place: the regular
// format, every week of the format when weeks is empty, and weeks sorted.
func NormalizeLeague(league *messages.League) {
	if league.Format == "" {
		league.Format = LeagueFormatRegular
	}
	if len(league.Weeks) == 0 {
		if first, last, ok := FormatWeeks(league.Format); ok {
			for week := first; week <= last; week++ {
				league.Weeks = append(league.Weeks, week)
			}
		}
	}
	slices.Sort(league.Weeks)
}

// LeagueRuleSet returns the rule set of a league: its preset, or its custom
// rule set parsed by scoring.ParseRuleSet.
func LeagueRuleSet(league *messages.League) (*scoring.RuleSet, error) {
	if league.GetScoringPreset() != "" {
		return scoring.Preset(league.GetScoringPreset())
	}
	return scoring.ParseRuleSet([]byte(league.GetRuleSetJson()))
}

// ValidateLeague checks a normalized league and returns its rule set, or a
// *LeagueError naming the first invalid field by its JSON path. It does not
// check that the rostered players exist; the directory does, because that
// needs the stored state.
func ValidateLeague(league *messages.League) (*scoring.RuleSet, error) {
	if !leagueIDPattern.MatchString(league.GetId()) {
		return nil, invalidField("id", "invalid league id %q: use 1 to 64 letters, digits, '-' or '_'", league.GetId())
	}
	if err := validateName("name", league.GetName(), true); err != nil {
		return nil, err
	}
	if season := league.GetSeason(); season < minLeagueSeason || season > maxLeagueSeason {
		return nil, invalidField("season", "invalid season %d: use a year from %d to %d", season, minLeagueSeason, maxLeagueSeason)
	}
	if err := validateWeeks(league); err != nil {
		return nil, err
	}

	ruleSet, err := validateScoring(league)
	if err != nil {
		return nil, err
	}

	if len(league.GetTeams()) > maxLeagueTeams {
		return nil, invalidField("teams", "%d teams: a league has at most %d", len(league.GetTeams()), maxLeagueTeams)
	}
	teamIDs := make(map[string]int)
	playerTeams := make(map[string]string)
	for i, team := range league.GetTeams() {
		if err := validateTeam(league, i, team, teamIDs, playerTeams); err != nil {
			return nil, err
		}
	}
	return ruleSet, nil
}

func validateName(field, name string, required bool) error {
	if required && strings.TrimSpace(name) == "" {
		return invalidField(field, "missing %s", field)
	}
	if len(name) > maxLeagueName {
		return invalidField(field, "%s has %d bytes: at most %d", field, len(name), maxLeagueName)
	}
	return nil
}

func validateWeeks(league *messages.League) error {
	first, last, ok := FormatWeeks(league.GetFormat())
	if !ok {
		return invalidField("format", "invalid format %q: use %q (weeks 1-18) or %q (weeks 19-22)",
			league.GetFormat(), LeagueFormatRegular, LeagueFormatPlayoffs)
	}

	seen := make(map[int32]bool)
	for i, week := range league.GetWeeks() {
		field := fmt.Sprintf("weeks[%d]", i)
		if week < 1 || week > 22 {
			return invalidField(field, "invalid week %d: weeks are 1 to 22", week)
		}
		if week < first || week > last {
			return invalidField(field, "week %d is not a week of a %s league (%d-%d)", week, league.GetFormat(), first, last)
		}
		if seen[week] {
			return invalidField(field, "week %d appears twice", week)
		}
		seen[week] = true
	}
	return nil
}

func validateScoring(league *messages.League) (*scoring.RuleSet, error) {
	preset, custom := league.GetScoringPreset(), league.GetRuleSetJson()
	if preset == "" && custom == "" {
		return nil, invalidField("rule_set", "missing rule_set: give a preset name (%s) or a custom rule set object",
			strings.Join(scoring.PresetNames(), ", "))
	}
	if preset != "" && custom != "" {
		return nil, invalidField("rule_set", "give either a preset name or a custom rule set, not both")
	}

	ruleSet, err := LeagueRuleSet(league)
	if err == nil {
		return ruleSet, nil
	}
	if fieldErr, ok := err.(*scoring.FieldError); ok {
		return nil, invalidField("rule_set."+fieldErr.Field, "%s", fieldErr.Reason)
	}
	return nil, invalidField("rule_set", "%v", err)
}

// validateTeam checks team i and records its id and players in teamIDs and
// playerTeams, so that a later team cannot repeat them.
func validateTeam(league *messages.League, i int, team *messages.LeagueTeam, teamIDs map[string]int, playerTeams map[string]string) error {
	path := fmt.Sprintf("teams[%d]", i)
	if !leagueIDPattern.MatchString(team.GetId()) {
		return invalidField(path+".id", "invalid team id %q: use 1 to 64 letters, digits, '-' or '_'", team.GetId())
	}
	if other, ok := teamIDs[team.GetId()]; ok {
		return invalidField(path+".id", "duplicate team id %q: teams[%d] has it too", team.GetId(), other)
	}
	teamIDs[team.GetId()] = i
	if err := validateName(path+".name", team.GetName(), true); err != nil {
		return err
	}
	if err := validateName(path+".owner", team.GetOwner(), false); err != nil {
		return err
	}

	if len(team.GetRoster()) > maxTeamRoster {
		return invalidField(path+".roster", "%d players: a roster has at most %d", len(team.GetRoster()), maxTeamRoster)
	}
	rostered := make(map[string]bool, len(team.GetRoster()))
	for j, playerID := range team.GetRoster() {
		field := fmt.Sprintf("%s.roster[%d]", path, j)
		if !playerIDPattern.MatchString(playerID) {
			return invalidField(field, "invalid player_id %q: use the player's gsis_id, such as 00-0033873", playerID)
		}
		if other, ok := playerTeams[playerID]; ok {
			return invalidField(field, "player_id %s is already on team %q of this league", playerID, other)
		}
		playerTeams[playerID] = team.GetId()
		rostered[playerID] = true
	}

	lineupWeeks := make(map[int32]bool)
	for k, lineup := range team.GetLineups() {
		lineupPath := fmt.Sprintf("%s.lineups[%d]", path, k)
		if !slices.Contains(league.GetWeeks(), lineup.GetWeek()) {
			return invalidField(lineupPath+".week", "week %d is not one of the league's weeks %v", lineup.GetWeek(), league.GetWeeks())
		}
		if lineupWeeks[lineup.GetWeek()] {
			return invalidField(lineupPath+".week", "team %q has two lineups for week %d", team.GetId(), lineup.GetWeek())
		}
		lineupWeeks[lineup.GetWeek()] = true

		starters := make(map[string]bool)
		for m, playerID := range lineup.GetStarters() {
			field := fmt.Sprintf("%s.starters[%d]", lineupPath, m)
			if !rostered[playerID] {
				return invalidField(field, "player_id %q is not on team %q's roster", playerID, team.GetId())
			}
			if starters[playerID] {
				return invalidField(field, "player_id %s starts twice", playerID)
			}
			starters[playerID] = true
		}
	}
	return nil
}
