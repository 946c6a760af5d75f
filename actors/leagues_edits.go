package actors

// The edits of the Leagues API. Each builds a leaguesEdit, which the leagues
// directory applies to a copy of the league's current definition.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// Create adds a league. Its id must be new. It returns the stored
// definition, with defaults filled in.
func (l *Leagues) Create(ctx context.Context, league *messages.League) (*messages.League, error) {
	league = proto.Clone(league).(*messages.League)
	NormalizeLeague(league)
	return l.edit(ctx, &leaguesEdit{leagueID: league.GetId(), create: true,
		apply: func(*messages.League) (*messages.League, func(string) string, error) {
			return league, nil, nil
		}})
}

// Replace replaces a league's whole definition.
func (l *Leagues) Replace(ctx context.Context, league *messages.League) (*messages.League, error) {
	league = proto.Clone(league).(*messages.League)
	NormalizeLeague(league)
	return l.edit(ctx, &leaguesEdit{leagueID: league.GetId(),
		apply: func(*messages.League) (*messages.League, func(string) string, error) {
			return league, nil, nil
		}})
}

// Delete deletes a league and stops its actor.
func (l *Leagues) Delete(ctx context.Context, leagueID string) error {
	_, err := l.edit(ctx, &leaguesEdit{leagueID: leagueID, remove: true})
	return err
}

// AddTeam adds a team to a league. A field error names the field of the
// team ("id", "roster[0]").
func (l *Leagues) AddTeam(ctx context.Context, leagueID string, team *messages.LeagueTeam) (*messages.League, error) {
	team = proto.Clone(team).(*messages.LeagueTeam)
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			league.Teams = append(league.Teams, team)
			return league, stripPrefix(fmt.Sprintf("teams[%d].", len(league.Teams)-1)), nil
		}})
}

// RemoveTeam removes a team from a league.
func (l *Leagues) RemoveTeam(ctx context.Context, leagueID, teamID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			league.Teams = slices.Delete(league.Teams, i, i+1)
			return league, nil, nil
		}})
}

// AddPlayer adds a player to a team's roster. A field error names
// "player_id".
func (l *Leagues) AddPlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			for _, other := range league.Teams {
				if slices.Contains(other.GetRoster(), playerID) {
					return nil, nil, invalidField("player_id", "player_id %s is already on team %q of this league", playerID, other.GetId())
				}
			}
			team := league.Teams[i]
			team.Roster = append(team.Roster, playerID)
			field := fmt.Sprintf("teams[%d].roster[%d]", i, len(team.Roster)-1)
			return league, func(path string) string {
				if path == field {
					return "player_id"
				}
				return path
			}, nil
		}})
}

// RemovePlayer removes a player from a team's roster and from the team's
// lineups.
func (l *Leagues) RemovePlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			j := slices.Index(team.Roster, playerID)
			if j < 0 {
				return nil, nil, &LeagueError{Code: LeagueErrorNotFound, Field: "player_id",
					Message: fmt.Sprintf("player_id %s is not on team %q's roster", playerID, teamID)}
			}
			team.Roster = slices.Delete(team.Roster, j, j+1)
			for _, lineup := range team.Lineups {
				lineup.Starters = slices.DeleteFunc(lineup.Starters, func(id string) bool { return id == playerID })
			}
			return league, nil, nil
		}})
}

// SetLineup sets a team's starters for one week, replacing an earlier
// lineup of that week. A field error names "week" or "starters[i]".
func (l *Leagues) SetLineup(ctx context.Context, leagueID, teamID string, week int32, starters []string) (*messages.League, error) {
	starters = slices.Clone(starters)
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			team.Lineups = slices.DeleteFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool {
				return lineup.GetWeek() == week
			})
			team.Lineups = append(team.Lineups, &messages.LeagueLineup{Week: week, Starters: starters})
			slices.SortFunc(team.Lineups, func(a, b *messages.LeagueLineup) int { return int(a.GetWeek() - b.GetWeek()) })
			k := slices.IndexFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool { return lineup.GetWeek() == week })
			return league, stripPrefix(fmt.Sprintf("teams[%d].lineups[%d].", i, k)), nil
		}})
}

// RemoveLineup removes a team's lineup of one week, so that its whole
// roster counts that week.
func (l *Leagues) RemoveLineup(ctx context.Context, leagueID, teamID string, week int32) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			before := len(team.Lineups)
			team.Lineups = slices.DeleteFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool {
				return lineup.GetWeek() == week
			})
			if len(team.Lineups) == before {
				return nil, nil, &LeagueError{Code: LeagueErrorNotFound, Field: "week",
					Message: fmt.Sprintf("team %q has no lineup for week %d", teamID, week)}
			}
			return league, nil, nil
		}})
}

func teamIndex(league *messages.League, teamID string) (int, error) {
	i := slices.IndexFunc(league.GetTeams(), func(team *messages.LeagueTeam) bool { return team.GetId() == teamID })
	if i < 0 {
		return 0, &LeagueError{Code: LeagueErrorNotFound, Field: "team_id",
			Message: fmt.Sprintf("team %q not found in league %q", teamID, league.GetId())}
	}
	return i, nil
}

// stripPrefix returns a relabel function that turns the league path of an
// edited part ("teams[3].id") into the path in the request ("id").
func stripPrefix(prefix string) func(string) string {
	return func(path string) string {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			return rest
		}
		return path
	}
}
