package scoring

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/messages"
)

// ScoreDefense returns the exact points of the team defense unit (DST) of
// team in one week under the rule set's Defense:
//   - each Defense.Weights stat summed over players, the team's player rows
//     of that week (every row, offense and special teams included, because
//     a returner's special_teams_tds and a coverage player's
//     fumble_recovery_opp belong to the unit),
//   - each Defense.TeamWeights stat of teamRow, the team-level row of that
//     week, which may be nil because most team-weeks have none,
//   - the Defense.PointsAllowed band of the opponent's score in game.
//
// The opponent's score is home_score or away_score of game, whichever is
// not the team's. game may be nil only when the rule set has no
// PointsAllowed bands. A game without scores yet adds no points-allowed
// points.
//
// Every row must belong to team, and every row, teamRow and game must have
// the same season and week. A mismatch, a value that is not a decimal
// number, and a rule set without Defense are errors.
func (r *RuleSet) ScoreDefense(team string, players []*messages.PlayerWeek, teamRow *messages.TeamWeek, game *messages.Game) (decimal.Decimal, error) {
	if r.Defense == nil {
		return decimal.Decimal{}, fmt.Errorf("rule set %s: no defense rules to score team %s", r.Name, team)
	}

	if err := checkDefenseRows(team, players, teamRow, game); err != nil {
		return decimal.Decimal{}, fmt.Errorf("rule set %s: score defense: %w", r.Name, err)
	}

	var total sum
	for _, row := range players {
		if err := addStats(&total, r.Defense.Weights, RowLookup(row)); err != nil {
			return decimal.Decimal{}, fmt.Errorf("rule set %s: score defense %s: player_id %s season %d week %d: %w",
				r.Name, team, row.GetPlayerId(), row.GetSeason(), row.GetWeek(), err)
		}
	}
	if teamRow != nil {
		if err := addStats(&total, r.Defense.TeamWeights, teamLookup(teamRow)); err != nil {
			return decimal.Decimal{}, fmt.Errorf("rule set %s: score defense %s: team row season %d week %d: %w",
				r.Name, team, teamRow.GetSeason(), teamRow.GetWeek(), err)
		}
	}

	if len(r.Defense.PointsAllowed) > 0 {
		if game == nil {
			return decimal.Decimal{}, fmt.Errorf("rule set %s: score defense %s: points_allowed needs the game", r.Name, team)
		}

		// NOTE: until the schedule carries the final score, a DST gets no
		// points-allowed points, so its total rises or falls by a band's
		// points when the score arrives.
		if allowed, ok := pointsAllowed(team, game); ok {
			for _, band := range r.Defense.PointsAllowed {
				if band.contains(allowed) {
					total.add(one, fromDecimal(band.Points))
					break
				}
			}
		}
	}

	return total.result(), nil
}

// addStats adds value × points for each weight whose stat is present.
func addStats(total *sum, weights []Weight, stats Lookup) error {
	for _, weight := range weights {
		text, ok := stats(weight.Stat)
		if !ok {
			continue
		}

		value, err := parseStat(weight.Stat, text)
		if err != nil {
			return err
		}
		total.add(value, fromDecimal(weight.Points))
	}
	return nil
}

// teamLookup returns a Lookup over the stats of a team row, sorted by name
// like a player row's.
func teamLookup(row *messages.TeamWeek) Lookup {
	stats := row.GetStats()
	return func(name string) (string, bool) {
		i, found := findStat(stats, name)
		if !found {
			return "", false
		}
		return stats[i].GetValue(), true
	}
}

// pointsAllowed returns the score of team's opponent in game, and false
// when the game has no score yet.
func pointsAllowed(team string, game *messages.Game) (int64, bool) {
	if game.HomeScore == nil || game.AwayScore == nil {
		return 0, false
	}
	if game.GetHomeTeam() == team {
		return int64(game.GetAwayScore()), true
	}
	return int64(game.GetHomeScore()), true
}

// checkDefenseRows checks that every input belongs to team and to one
// season and week.
func checkDefenseRows(team string, players []*messages.PlayerWeek, teamRow *messages.TeamWeek, game *messages.Game) error {
	if team == "" {
		return errors.New("missing team")
	}

	var season, week int32
	seen := false
	same := func(what string, s, w int32) error {
		if !seen {
			season, week, seen = s, w, true
			return nil
		}
		if s != season || w != week {
			return fmt.Errorf("%s is season %d week %d, want season %d week %d", what, s, w, season, week)
		}
		return nil
	}

	if game != nil {
		if game.GetHomeTeam() != team && game.GetAwayTeam() != team {
			return fmt.Errorf("team %s does not play in game_id %s (%s at %s)",
				team, game.GetGameId(), game.GetAwayTeam(), game.GetHomeTeam())
		}
		if err := same("game_id "+game.GetGameId(), game.GetSeason(), game.GetWeek()); err != nil {
			return err
		}
	}

	if teamRow != nil {
		if teamRow.GetTeam() != team {
			return fmt.Errorf("team row is for team %s, want %s", teamRow.GetTeam(), team)
		}
		if err := same("team row", teamRow.GetSeason(), teamRow.GetWeek()); err != nil {
			return err
		}
	}

	for _, row := range players {
		if row.GetTeam() != team {
			return fmt.Errorf("player_id %s is on team %s, want %s", row.GetPlayerId(), row.GetTeam(), team)
		}
		if err := same("player_id "+row.GetPlayerId(), row.GetSeason(), row.GetWeek()); err != nil {
			return err
		}
	}
	return nil
}
