package espn

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/messages"
)

// Summary is the boxscore of one parsed summary response.
type Summary struct {
	// EspnID is the event id, from header.id.
	EspnID string

	// Status is the game status mapped as in a scoreboard. It is empty when
	// the header has no status.
	Status string

	// Teams are the boxscore's teams in response order.
	Teams []BoxscoreTeam

	// Skipped are the athletes whose stats did not parse. They are left out
	// of Teams as a whole, so that no player gets a partial stat line.
	Skipped []SkippedPlayer
}

// BoxscoreTeam is one team's players in a summary boxscore.
type BoxscoreTeam struct {
	// Team is the nflverse abbreviation.
	Team    string
	Players []BoxscorePlayer
}

// BoxscorePlayer is one athlete's stat line, merged over the boxscore's
// groups (passing, rushing, receiving and so on).
type BoxscorePlayer struct {
	EspnID string
	Name   string

	// Stats are nflverse stat columns with canonical decimal strings,
	// sorted by name.
	Stats []*messages.Stat
}

// SkippedPlayer is a boxscore athlete whose stats were not used, and why.
type SkippedPlayer struct {
	EspnID string
	Name   string
	Team   string
	Reason string
}

// statColumns maps a boxscore group name and one of its keys to the nflverse
// weekly stats columns that the value fills. A key whose value is "a/b" or
// "a-b" fills two columns. A leading "-" on a column negates the value:
// nflverse's sack_yards_lost is zero or negative while ESPN's is positive.
//
// Keys, not labels, are matched, because labels such as YDS and TD repeat
// across groups. Keys without an nflverse column of the same meaning are
// ignored: averages, longs other than fg_long, QBR, passer rating and the
// punting group. So are totalTackles and soloTackles, because nflverse
// splits tackles into solo, with assist and assists, and ESPN's solo count
// is larger than def_tackles_solo. tacklesForLoss is ignored because it
// differs from def_tackles_for_loss in the 2023 week 2 GB @ ATL boxscore.
// fumblesRecovered is ignored because nflverse splits own and opponent
// recoveries, and interceptionTouchdowns because def_tds is filled from
// defensiveTouchdowns.
var statColumns = map[string]map[string][]string{
	"passing": {
		"completions/passingAttempts": {"completions", "attempts"},
		"passingYards":                {"passing_yards"},
		"passingTouchdowns":           {"passing_tds"},
		"interceptions":               {"passing_interceptions"},
		"sacks-sackYardsLost":         {"sacks_suffered", "-sack_yards_lost"},
	},
	"rushing": {
		"rushingAttempts":   {"carries"},
		"rushingYards":      {"rushing_yards"},
		"rushingTouchdowns": {"rushing_tds"},
	},
	"receiving": {
		"receptions":          {"receptions"},
		"receivingYards":      {"receiving_yards"},
		"receivingTouchdowns": {"receiving_tds"},
		"receivingTargets":    {"targets"},
	},
	"fumbles": {
		// TODO: nflverse scores fumbles lost per play type
		// (rushing_fumbles_lost, receiving_fumbles_lost, sack_fumbles_lost).
		// ESPN's boxscore gives one total, so fantasy points from ESPN miss
		// the -2 per lost fumble until nflverse publishes the split.
		"fumbles":     {"fumbles_total"},
		"fumblesLost": {"fumbles_lost_total"},
	},
	"defensive": {
		"sacks":               {"def_sacks"},
		"passesDefended":      {"def_pass_defended"},
		"QBHits":              {"def_qb_hits"},
		"defensiveTouchdowns": {"def_tds"},
	},
	"interceptions": {
		"interceptions":     {"def_interceptions"},
		"interceptionYards": {"def_interception_yards"},
	},
	"kickReturns": {
		"kickReturns":          {"kickoff_returns"},
		"kickReturnYards":      {"kickoff_return_yards"},
		"kickReturnTouchdowns": {"+special_teams_tds"},
	},
	"puntReturns": {
		"puntReturns":          {"punt_returns"},
		"puntReturnYards":      {"punt_return_yards"},
		"puntReturnTouchdowns": {"+special_teams_tds"},
	},
	"kicking": {
		"fieldGoalsMade/fieldGoalAttempts":   {"fg_made", "fg_att"},
		"longFieldGoalMade":                  {"fg_long"},
		"extraPointsMade/extraPointAttempts": {"pat_made", "pat_att"},
	},
}

// statNumber is the form of one boxscore number, such as "151", "-2" or
// "0.5" (half sacks).
var statNumber = regexp.MustCompile(`^-?[0-9]{1,5}(\.[0-9]{1,2})?$`)

// maxBoxscoreAthletes bounds the athletes of one group. A team dresses 48
// players.
const maxBoxscoreAthletes = 200

type summaryJSON struct {
	Header *struct {
		ID           string `json:"id"`
		Competitions []struct {
			Status *statusJSON `json:"status"`
		} `json:"competitions"`
	} `json:"header"`
	Boxscore *struct {
		Players []struct {
			Team struct {
				Abbreviation string `json:"abbreviation"`
			} `json:"team"`
			Statistics []struct {
				Name     string            `json:"name"`
				Keys     []string          `json:"keys"`
				Athletes []json.RawMessage `json:"athletes"`
			} `json:"statistics"`
		} `json:"players"`
	} `json:"boxscore"`
}

type athleteJSON struct {
	Athlete struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	} `json:"athlete"`
	Stats []string `json:"stats"`
}

// ParseSummary parses the body of a summary response into per-player stat
// lines with nflverse column names.
//
// A body without header.id or boxscore.players is an error. An athlete
// whose entry or numbers do not parse is left out and listed in Skipped.
//
// NOTE: a passer's passing_yards is gross, as in nflverse. ESPN's team
// passing total is net of sack yards and is not read.
func ParseSummary(body []byte) (*Summary, error) {
	var document summaryJSON
	if err := json.Unmarshal(body, &document); err != nil {
		return nil, fmt.Errorf("parse summary: %w", err)
	}
	if document.Header == nil || !isESPNID(document.Header.ID) {
		return nil, errors.New("parse summary: missing or invalid header.id")
	}
	if document.Boxscore == nil || document.Boxscore.Players == nil {
		return nil, fmt.Errorf("parse summary %s: missing boxscore.players", document.Header.ID)
	}

	summary := &Summary{EspnID: document.Header.ID}
	if len(document.Header.Competitions) == 1 && document.Header.Competitions[0].Status != nil {
		name := document.Header.Competitions[0].Status.Type.Name
		mapped, ok := espnStatuses[name]
		if !ok {
			return nil, fmt.Errorf("parse summary %s: unknown status.type.name %q", summary.EspnID, name)
		}
		summary.Status = mapped.status
	}

	for _, teamJSON := range document.Boxscore.Players {
		team := nflverseTeam(teamJSON.Team.Abbreviation)
		if team == "" {
			return nil, fmt.Errorf("parse summary %s: boxscore team without abbreviation", summary.EspnID)
		}

		lines := newStatLines()
		for _, group := range teamJSON.Statistics {
			columns, known := statColumns[group.Name]
			if !known {
				continue
			}
			if len(group.Athletes) > maxBoxscoreAthletes {
				return nil, fmt.Errorf("parse summary %s: team %s group %s has %d athletes, expected at most %d",
					summary.EspnID, team, group.Name, len(group.Athletes), maxBoxscoreAthletes)
			}
			for _, raw := range group.Athletes {
				lines.add(group.Name, group.Keys, columns, raw)
			}
		}

		players, skipped := lines.result(team)
		summary.Teams = append(summary.Teams, BoxscoreTeam{Team: team, Players: players})
		summary.Skipped = append(summary.Skipped, skipped...)
	}
	return summary, nil
}

// statLines collects one team's athletes over the boxscore groups.
type statLines struct {
	order   []string // ESPN ids in first-seen order
	names   map[string]string
	stats   map[string]map[string]decimal.Decimal
	invalid map[string]string // ESPN id to the first reason it failed
}

func newStatLines() *statLines {
	return &statLines{
		names:   make(map[string]string),
		stats:   make(map[string]map[string]decimal.Decimal),
		invalid: make(map[string]string),
	}
}

// add reads one athlete entry of a group.
func (l *statLines) add(groupName string, keys []string, columns map[string][]string, raw json.RawMessage) {
	var entry athleteJSON
	err := json.Unmarshal(raw, &entry)
	id, name := entry.Athlete.ID, entry.Athlete.DisplayName
	if err != nil || !isESPNID(id) {
		if !isESPNID(id) {
			// An entry without a valid id is reported under the empty id.
			id = ""
		}
		l.see(id, name)
		l.fail(id, fmt.Sprintf("group %s: invalid athlete entry %s", groupName, printable(raw)))
		return
	}

	l.see(id, name)
	if len(entry.Stats) != len(keys) {
		l.fail(id, fmt.Sprintf("group %s: %d stats for %d keys", groupName, len(entry.Stats), len(keys)))
		return
	}

	for i, key := range keys {
		targets, ok := columns[key]
		if !ok {
			continue
		}
		if err := l.set(id, key, entry.Stats[i], targets); err != nil {
			l.fail(id, fmt.Sprintf("group %s: %v", groupName, err))
			return
		}
	}
}

// see records an athlete on first sight.
func (l *statLines) see(id, name string) {
	if _, seen := l.names[id]; !seen {
		l.order = append(l.order, id)
		l.names[id] = name
		l.stats[id] = make(map[string]decimal.Decimal)
	}
	if l.names[id] == "" {
		l.names[id] = name
	}
}

// fail marks an athlete invalid, keeping the first reason.
func (l *statLines) fail(id, reason string) {
	if _, failed := l.invalid[id]; !failed {
		l.invalid[id] = reason
	}
}

// set stores the value of one key in its target columns. "--" is ESPN's
// null and stores nothing.
func (l *statLines) set(id, key, value string, targets []string) error {
	if value == "--" {
		return nil
	}

	parts := []string{value}
	if len(targets) == 2 {
		separator := "/"
		if strings.Contains(key, "-") {
			separator = "-"
		}
		first, second, found := strings.Cut(value, separator)
		if !found {
			return fmt.Errorf("key %s: invalid value %q, expected two numbers separated by %q", key, value, separator)
		}
		parts = []string{first, second}
	}

	for i, target := range targets {
		if !statNumber.MatchString(parts[i]) {
			return fmt.Errorf("key %s: invalid value %q", key, value)
		}
		number, err := decimal.NewFromString(parts[i])
		if err != nil {
			return fmt.Errorf("key %s: invalid value %q: %w", key, value, err)
		}

		column, sum := strings.CutPrefix(target, "+")
		column, negate := strings.CutPrefix(column, "-")
		if negate {
			number = number.Neg()
		}
		earlier, exists := l.stats[id][column]
		switch {
		case exists && sum:
			number = number.Add(earlier)
		case exists:
			return fmt.Errorf("key %s: column %s appears twice", key, column)
		}
		l.stats[id][column] = number
	}
	return nil
}

// result returns the valid players sorted by ESPN id and the skipped ones.
func (l *statLines) result(team string) ([]BoxscorePlayer, []SkippedPlayer) {
	var players []BoxscorePlayer
	var skipped []SkippedPlayer
	for _, id := range l.order {
		if reason, failed := l.invalid[id]; failed {
			skipped = append(skipped, SkippedPlayer{EspnID: id, Name: l.names[id], Team: team, Reason: reason})
			continue
		}

		stats := make([]*messages.Stat, 0, len(l.stats[id]))
		for name, value := range l.stats[id] {
			stats = append(stats, &messages.Stat{Name: name, Value: value.String()})
		}
		sort.Slice(stats, func(i, j int) bool { return stats[i].GetName() < stats[j].GetName() })
		players = append(players, BoxscorePlayer{EspnID: id, Name: l.names[id], Stats: stats})
	}

	sort.Slice(players, func(i, j int) bool { return lessID(players[i].EspnID, players[j].EspnID) })
	return players, skipped
}

// PlayerWeeksFromSummary returns the boxscore's players as nflverse
// player-weeks keyed by gsis_id, sorted by player_id. The game's season,
// week and teams come from the schedule row that ids maps the event to.
// Display name and position come from the roster.
//
// Athletes that ids does not map are left out and returned in unmapped,
// never matched by name. An event that is not in the schedule, a boxscore
// team that is not in the game, or two ESPN athletes with one gsis_id are
// errors.
func PlayerWeeksFromSummary(summary *Summary, ids *IDMap) (weeks []*messages.PlayerWeek, unmapped []UnmappedID, err error) {
	game, ok := ids.Game(summary.EspnID)
	if !ok {
		return nil, nil, fmt.Errorf("map summary: espn event %s is not in the schedule", summary.EspnID)
	}
	seasonType := "POST"
	if game.GameType == "REG" {
		seasonType = "REG"
	}

	seen := make(map[string]string) // gsis_id to ESPN id
	for _, team := range summary.Teams {
		var opponent string
		switch team.Team {
		case game.AwayTeam:
			opponent = game.HomeTeam
		case game.HomeTeam:
			opponent = game.AwayTeam
		default:
			return nil, nil, fmt.Errorf("map summary: boxscore team %s is not in game %s", team.Team, game.GameID)
		}

		for _, player := range team.Players {
			roster, ok := ids.players[player.EspnID]
			if !ok {
				unmapped = append(unmapped, UnmappedID{Kind: "player", EspnID: player.EspnID, Name: player.Name, Team: team.Team})
				continue
			}
			if other, dup := seen[roster.gsisID]; dup {
				return nil, nil, fmt.Errorf("map summary %s: gsis_id %s is both espn athlete %s and %s",
					game.GameID, roster.gsisID, other, player.EspnID)
			}
			seen[roster.gsisID] = player.EspnID

			displayName := roster.fullName
			if displayName == "" {
				displayName = player.Name
			}
			weeks = append(weeks, &messages.PlayerWeek{
				Season:            game.Season,
				Week:              game.Week,
				SeasonType:        seasonType,
				PlayerId:          roster.gsisID,
				PlayerDisplayName: displayName,
				Position:          roster.position,
				Team:              team.Team,
				OpponentTeam:      opponent,
				GameId:            game.GameID,
				Stats:             cloneStats(player.Stats),
			})
		}
	}

	sort.Slice(weeks, func(i, j int) bool { return weeks[i].GetPlayerId() < weeks[j].GetPlayerId() })
	return weeks, unmapped, nil
}

func cloneStats(stats []*messages.Stat) []*messages.Stat {
	clone := make([]*messages.Stat, len(stats))
	for i, stat := range stats {
		clone[i] = &messages.Stat{Name: stat.GetName(), Value: stat.GetValue()}
	}
	return clone
}
