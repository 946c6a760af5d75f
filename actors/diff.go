package actors

import (
	"slices"
	"strconv"

	"github.com/nflsync/nflsync/messages"
)

// diffPlayerWeek returns every field of a player-week row that differs
// between previous and current: the identity fields and each stat column.
// A stat that exists on one side only is a change from or to null.
func diffPlayerWeek(previous, current *messages.PlayerWeek) []*messages.FieldChange {
	var changes []*messages.FieldChange

	changes = appendTextChange(changes, "season_type", previous.GetSeasonType(), current.GetSeasonType())
	changes = appendTextChange(changes, "player_name", previous.GetPlayerName(), current.GetPlayerName())
	changes = appendTextChange(changes, "player_display_name", previous.GetPlayerDisplayName(), current.GetPlayerDisplayName())
	changes = appendTextChange(changes, "position", previous.GetPosition(), current.GetPosition())
	changes = appendTextChange(changes, "team", previous.GetTeam(), current.GetTeam())
	changes = appendTextChange(changes, "opponent_team", previous.GetOpponentTeam(), current.GetOpponentTeam())
	changes = appendTextChange(changes, "game_id", previous.GetGameId(), current.GetGameId())

	return appendStatChanges(changes, previous.GetStats(), current.GetStats())
}

// appendStatChanges merges two stat lists sorted by name and appends a change
// for each name whose value differs or exists on one side only.
//
// A first pass counts the changes, so that a row without any allocates
// nothing and the others allocate their changes in one block.
func appendStatChanges(changes []*messages.FieldChange, previous, current []*messages.Stat) []*messages.FieldChange {
	count := 0
	walkStatChanges(previous, current, func(string, *messages.Stat, *messages.Stat) { count++ })
	if count == 0 {
		return changes
	}

	block := make([]messages.FieldChange, count)
	values := make([]string, 2*count)
	changes = slices.Grow(changes, count)
	walkStatChanges(previous, current, func(field string, before, after *messages.Stat) {
		change := &block[0]
		block = block[1:]
		change.Field = field
		if before != nil {
			values[0] = before.GetValue()
			change.Previous = &values[0]
		}
		if after != nil {
			values[1] = after.GetValue()
			change.Current = &values[1]
		}
		values = values[2:]
		changes = append(changes, change)
	})
	return changes
}

// walkStatChanges calls change for each stat name of two lists sorted by
// name whose value differs or exists on one side only. A nil Stat is null.
//
// The nflverse reader shares one Stat between rows for most values, so the
// same pointer on both sides is checked first. Equal names are checked
// before their order, because most stats of a row keep their value.
func walkStatChanges(previous, current []*messages.Stat, change func(field string, before, after *messages.Stat)) {
	i, j := 0, 0
	for i < len(previous) && j < len(current) {
		before, after := previous[i], current[j]
		if before == after {
			i++
			j++
			continue
		}

		beforeName, afterName := before.GetName(), after.GetName()
		switch {
		case beforeName == afterName:
			if before.GetValue() != after.GetValue() {
				change(afterName, before, after)
			}
			i++
			j++

		case beforeName < afterName:
			change(beforeName, before, nil)
			i++

		default:
			change(afterName, nil, after)
			j++
		}
	}

	for ; i < len(previous); i++ {
		change(previous[i].GetName(), previous[i], nil)
	}
	for ; j < len(current); j++ {
		change(current[j].GetName(), nil, current[j])
	}
}

// diffGame returns every field of a game that differs between previous and
// current. Scores are nullable: an unplayed game has none.
func diffGame(previous, current *messages.Game) []*messages.FieldChange {
	var changes []*messages.FieldChange

	changes = appendTextChange(changes, "game_type", previous.GetGameType(), current.GetGameType())
	changes = appendTextChange(changes, "week", formatInt(int64(previous.GetWeek())), formatInt(int64(current.GetWeek())))
	changes = appendTextChange(changes, "away_team", previous.GetAwayTeam(), current.GetAwayTeam())
	changes = appendTextChange(changes, "home_team", previous.GetHomeTeam(), current.GetHomeTeam())
	changes = appendNullableChange(changes, "away_score", formatScore(previous.AwayScore), formatScore(current.AwayScore))
	changes = appendNullableChange(changes, "home_score", formatScore(previous.HomeScore), formatScore(current.HomeScore))
	changes = appendTextChange(changes, "kickoff_unix", formatInt(previous.GetKickoffUnix()), formatInt(current.GetKickoffUnix()))
	changes = appendTextChange(changes, "status", previous.GetStatus(), current.GetStatus())
	changes = appendTextChange(changes, "overtime", strconv.FormatBool(previous.GetOvertime()), strconv.FormatBool(current.GetOvertime()))
	changes = appendTextChange(changes, "location", previous.GetLocation(), current.GetLocation())

	return changes
}

func appendTextChange(changes []*messages.FieldChange, field, previous, current string) []*messages.FieldChange {
	if previous == current {
		return changes
	}
	return append(changes, &messages.FieldChange{Field: field, Previous: stringPointer(previous), Current: stringPointer(current)})
}

func appendNullableChange(changes []*messages.FieldChange, field string, previous, current *string) []*messages.FieldChange {
	if previous == nil && current == nil {
		return changes
	}
	if previous != nil && current != nil && *previous == *current {
		return changes
	}
	return append(changes, &messages.FieldChange{Field: field, Previous: previous, Current: current})
}

func formatScore(score *int32) *string {
	if score == nil {
		return nil
	}
	return stringPointer(strconv.Itoa(int(*score)))
}

func formatInt(value int64) string {
	return strconv.FormatInt(value, 10)
}

func stringPointer(value string) *string {
	return &value
}
