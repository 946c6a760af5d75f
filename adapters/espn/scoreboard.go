package espn

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Live game status values of LiveGame.Status. Scheduled and final equal
// messages.GameStatusScheduled and messages.GameStatusFinal.
const (
	StatusScheduled  = "scheduled"
	StatusInProgress = "in_progress"
	StatusHalftime   = "halftime"
	StatusEndPeriod  = "end_period" // the clock reached 0:00 at the end of Q1 or Q3, or of regulation
	StatusDelayed    = "delayed"
	StatusSuspended  = "suspended"
	StatusFinal      = "final"
	StatusPostponed  = "postponed"
	StatusCanceled   = "canceled"
)

// espnStatus is the mapping of one ESPN status.type.name: the LiveGame
// status and the status.type.state that ESPN pairs with the name.
type espnStatus struct {
	status string
	state  string
}

// espnStatuses maps ESPN's status.type.name values to LiveGame statuses.
// The names and states seen in saved NFL responses are STATUS_SCHEDULED
// (pre), STATUS_IN_PROGRESS and STATUS_HALFTIME (in) and STATUS_FINAL
// (post). A name that is not here, or a state that does not match, skips
// the event, because a guessed status would be a wrong value.
//
// NOTE: the other names and their states follow ESPN's naming but appear in
// no saved response, so they are unverified.
var espnStatuses = map[string]espnStatus{
	"STATUS_SCHEDULED":   {StatusScheduled, "pre"},
	"STATUS_IN_PROGRESS": {StatusInProgress, "in"},
	"STATUS_HALFTIME":    {StatusHalftime, "in"},
	"STATUS_END_PERIOD":  {StatusEndPeriod, "in"},
	"STATUS_DELAYED":     {StatusDelayed, "in"},
	"STATUS_RAIN_DELAY":  {StatusDelayed, "in"},
	"STATUS_SUSPENDED":   {StatusSuspended, "in"},
	"STATUS_FINAL":       {StatusFinal, "post"},
	"STATUS_FINAL_OT":    {StatusFinal, "post"},
	"STATUS_POSTPONED":   {StatusPostponed, "post"},
	"STATUS_CANCELED":    {StatusCanceled, "post"},
}

// espnTeams maps the ESPN team abbreviations that differ from nflverse's.
var espnTeams = map[string]string{
	"WSH": "WAS",
	"LAR": "LA",
}

// nflverseTeam returns the nflverse abbreviation of an ESPN team
// abbreviation.
func nflverseTeam(espnAbbreviation string) string {
	if team, ok := espnTeams[espnAbbreviation]; ok {
		return team
	}
	return espnAbbreviation
}

// LiveGame is the state of one game in one scoreboard response. Every
// number in it comes from ESPN and is provisional: nflverse's files replace
// it when they are published.
//
// Situation fields (Possession, Down, Distance, YardLine, DownDistanceText)
// are nil when ESPN omits them. ESPN omits possession after a timeout,
// after a score, at halftime and at times at the start of a quarter, and
// omits down and distance in the same moments. nil means "not reported",
// not "nobody": a consumer that diffs two LiveGames must not report a
// situation field that became nil as a change unless Status changed too.
type LiveGame struct {
	// GameID is the nflverse game_id. GamesFromScoreboard sets it;
	// ParseScoreboard leaves it empty.
	GameID string

	// EspnID is ESPN's event id.
	EspnID string

	// Season, Week and GameType come from the schedule row of GameID.
	// ParseScoreboard leaves them zero.
	Season   int32
	Week     int32
	GameType string

	// AwayTeam and HomeTeam are nflverse abbreviations (LA, WAS), converted
	// from ESPN's (LAR, WSH).
	AwayTeam string
	HomeTeam string

	// Status is one of the Status constants.
	Status string

	// Quarter is ESPN's status.period: 1 to 4, 5 and up in overtime. nil
	// before kickoff.
	Quarter *int32

	// Clock is ESPN's status.displayClock ("5:49"), the time left in the
	// quarter. It is set only while the game is in progress, at halftime or
	// at the end of a quarter.
	Clock *string

	// AwayScore and HomeScore are nil before kickoff.
	AwayScore *int32
	HomeScore *int32

	// Possession is the nflverse abbreviation of the team with the ball.
	Possession *string

	// Down is 1 to 4, Distance the yards to go, YardLine ESPN's
	// situation.yardLine: the ball's distance in yards from the home team's
	// goal line. They are set only when ESPN reports the down and distance
	// text, because ESPN leaves stale values in down and distance after a
	// score and at halftime.
	Down     *int32
	Distance *int32
	YardLine *int32

	// DownDistanceText is ESPN's situation.downDistanceText, such as
	// "2nd & 13 at DET 16" or "4th & 6 at 50".
	DownDistanceText *string

	// Provisional is always true. It marks the game as live data from ESPN
	// for consumers that also see nflverse games.
	Provisional bool
}

// Overtime reports whether the game is in or went to overtime.
func (g *LiveGame) Overtime() bool {
	return g.Quarter != nil && *g.Quarter > 4
}

// Scoreboard is one parsed scoreboard response.
type Scoreboard struct {
	// Season, SeasonType (1 preseason, 2 regular season, 3 postseason) and
	// Week are the response's season and week objects, 0 when absent.
	Season     int32
	SeasonType int32
	Week       int32

	// CapturedAt is the capturedAt time of a saved response, zero for a
	// response from ESPN. LiveReplay orders snapshots by it.
	CapturedAt time.Time

	// Games are the events that parsed, sorted by EspnID, with GameID empty.
	Games []*LiveGame

	// Skipped are the events that did not parse, with the reason.
	Skipped []SkippedEvent

	// NotModified is true when the server returned 304 Not Modified and the
	// Scoreboard was parsed from the cached body of an earlier response.
	NotModified bool
}

// SkippedEvent is a scoreboard event that was not used, and why.
type SkippedEvent struct {
	EspnID string // empty when the event had no readable id
	Reason string
}

// maxScoreboardEvents bounds the events of one response. A week has at most
// 16 games. The bound stops a garbage response from growing memory.
const maxScoreboardEvents = 1000

type scoreboardJSON struct {
	CapturedAt *string `json:"capturedAt"`
	Season     *struct {
		Year int32 `json:"year"`
		Type int32 `json:"type"`
	} `json:"season"`
	Week *struct {
		Number int32 `json:"number"`
	} `json:"week"`
	Events *[]json.RawMessage `json:"events"`
}

type eventJSON struct {
	ID           string            `json:"id"`
	ShortName    string            `json:"shortName"`
	Status       *statusJSON       `json:"status"`
	Competitions []competitionJSON `json:"competitions"`
}

type statusJSON struct {
	DisplayClock string `json:"displayClock"`
	Period       *int32 `json:"period"`
	Type         struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"type"`
}

type competitionJSON struct {
	Competitors []competitorJSON `json:"competitors"`
	Situation   *situationJSON   `json:"situation"`
}

type competitorJSON struct {
	HomeAway string          `json:"homeAway"`
	Score    json.RawMessage `json:"score"`
	Team     struct {
		ID           string `json:"id"`
		Abbreviation string `json:"abbreviation"`
	} `json:"team"`
}

type situationJSON struct {
	Down             *int32 `json:"down"`
	Distance         *int32 `json:"distance"`
	YardLine         *int32 `json:"yardLine"`
	DownDistanceText string `json:"downDistanceText"`
	Possession       string `json:"possession"`
}

// ParseScoreboard parses the body of a scoreboard response. It also accepts
// a saved response with a top-level capturedAt time.
//
// A body that is not a JSON object with an events array is an error. An
// event that does not have the expected shape is skipped and listed in
// Skipped with the reason, so that one odd event does not hide the others.
// Two events with the same id are an error.
func ParseScoreboard(body []byte) (*Scoreboard, error) {
	var document scoreboardJSON
	if err := json.Unmarshal(body, &document); err != nil {
		return nil, fmt.Errorf("parse scoreboard: %w", err)
	}
	if document.Events == nil {
		return nil, errors.New("parse scoreboard: missing events array")
	}
	if len(*document.Events) > maxScoreboardEvents {
		return nil, fmt.Errorf("parse scoreboard: %d events, expected at most %d", len(*document.Events), maxScoreboardEvents)
	}

	board := &Scoreboard{}
	if document.Season != nil {
		board.Season = document.Season.Year
		board.SeasonType = document.Season.Type
	}
	if document.Week != nil {
		board.Week = document.Week.Number
	}
	if document.CapturedAt != nil {
		capturedAt, err := time.Parse(time.RFC3339Nano, *document.CapturedAt)
		if err != nil {
			return nil, fmt.Errorf("parse scoreboard: invalid capturedAt %q: %w", *document.CapturedAt, err)
		}
		board.CapturedAt = capturedAt
	}

	seen := make(map[string]bool, len(*document.Events))
	for i, raw := range *document.Events {
		game, err := parseEvent(raw)
		if err != nil {
			board.Skipped = append(board.Skipped, SkippedEvent{EspnID: eventID(raw), Reason: fmt.Sprintf("event %d: %v", i, err)})
			continue
		}
		if seen[game.EspnID] {
			return nil, fmt.Errorf("parse scoreboard: event %s appears twice", game.EspnID)
		}
		seen[game.EspnID] = true
		board.Games = append(board.Games, game)
	}

	sort.Slice(board.Games, func(i, j int) bool { return lessID(board.Games[i].EspnID, board.Games[j].EspnID) })
	return board, nil
}

// lessID orders ESPN ids numerically: shorter digit strings first.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// eventID returns the id of an event that failed to parse, or "".
func eventID(raw json.RawMessage) string {
	var event struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &event) != nil || !isESPNID(event.ID) {
		return ""
	}
	return event.ID
}

// scoreText is the form of a score: ESPN sends scores as JSON strings of
// decimal digits.
var scoreText = regexp.MustCompile(`^[0-9]{1,3}$`)

// clockText is the form of status.displayClock, such as "15:00" or "0:07".
var clockText = regexp.MustCompile(`^[0-9]{1,2}:[0-5][0-9]$`)

// parseEvent parses one element of a scoreboard's events array.
func parseEvent(raw json.RawMessage) (*LiveGame, error) {
	var event eventJSON
	if err := json.Unmarshal(raw, &event); err != nil {
		return nil, err
	}
	if !isESPNID(event.ID) {
		return nil, fmt.Errorf("invalid id %q", event.ID)
	}
	if event.Status == nil {
		return nil, fmt.Errorf("event %s: missing status", event.ID)
	}
	if len(event.Competitions) != 1 {
		return nil, fmt.Errorf("event %s: %d competitions, expected 1", event.ID, len(event.Competitions))
	}
	competition := event.Competitions[0]

	mapped, ok := espnStatuses[event.Status.Type.Name]
	if !ok {
		return nil, fmt.Errorf("event %s: unknown status.type.name %q", event.ID, event.Status.Type.Name)
	}
	if mapped.state != event.Status.Type.State {
		return nil, fmt.Errorf("event %s: status %s with state %q, expected state %q",
			event.ID, event.Status.Type.Name, event.Status.Type.State, mapped.state)
	}
	game := &LiveGame{EspnID: event.ID, Status: mapped.status, Provisional: true}
	played := mapped.state != "pre"

	if err := game.setTeams(competition.Competitors, played); err != nil {
		return nil, fmt.Errorf("event %s: %w", event.ID, err)
	}
	if err := game.setClock(event.Status, mapped.state); err != nil {
		return nil, fmt.Errorf("event %s: %w", event.ID, err)
	}
	if err := game.setSituation(competition, mapped.state); err != nil {
		return nil, fmt.Errorf("event %s: %w", event.ID, err)
	}
	return game, nil
}

// setTeams reads the home and away competitors. Scores are read only once
// the game has started, because ESPN sends "0" or "" before kickoff.
func (g *LiveGame) setTeams(competitors []competitorJSON, played bool) error {
	if len(competitors) != 2 {
		return fmt.Errorf("%d competitors, expected 2", len(competitors))
	}

	for _, competitor := range competitors {
		team := nflverseTeam(competitor.Team.Abbreviation)
		if team == "" || competitor.Team.ID == "" {
			return fmt.Errorf("competitor %q: missing team id or abbreviation", competitor.HomeAway)
		}

		var score *int32
		if played {
			parsed, err := parseScore(competitor.Score)
			if err != nil {
				return fmt.Errorf("competitor %s: %w", team, err)
			}
			score = &parsed
		}

		switch competitor.HomeAway {
		case "home":
			if g.HomeTeam != "" {
				return errors.New("two home competitors")
			}
			g.HomeTeam, g.HomeScore = team, score
		case "away":
			if g.AwayTeam != "" {
				return errors.New("two away competitors")
			}
			g.AwayTeam, g.AwayScore = team, score
		default:
			return fmt.Errorf("competitor %s: invalid homeAway %q", team, competitor.HomeAway)
		}
	}
	return nil
}

// parseScore parses a score, which must be a JSON string of 1 to 3 digits.
func parseScore(raw json.RawMessage) (int32, error) {
	var text string
	if len(raw) == 0 || json.Unmarshal(raw, &text) != nil {
		return 0, fmt.Errorf("invalid score %s, expected a string of digits", printable(raw))
	}
	if !scoreText.MatchString(text) {
		return 0, fmt.Errorf("invalid score %q, expected digits", text)
	}
	score, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid score %q: %w", text, err)
	}
	return int32(score), nil
}

// printable returns raw JSON for an error message, cut to 40 bytes.
func printable(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(missing)"
	}
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// setClock reads the quarter and the clock.
func (g *LiveGame) setClock(status *statusJSON, state string) error {
	if state == "pre" {
		return nil
	}

	if status.Period == nil || *status.Period < 1 || *status.Period > 20 {
		return fmt.Errorf("invalid or missing status.period for state %q", state)
	}
	quarter := *status.Period
	g.Quarter = &quarter

	if state == "in" {
		if !clockText.MatchString(status.DisplayClock) {
			return fmt.Errorf("invalid status.displayClock %q", status.DisplayClock)
		}
		clock := status.DisplayClock
		g.Clock = &clock
	}
	return nil
}

// setSituation reads possession, down and distance, which ESPN sends only
// while a game is in progress.
func (g *LiveGame) setSituation(competition competitionJSON, state string) error {
	situation := competition.Situation
	if state != "in" || situation == nil {
		return nil
	}

	if situation.Possession != "" {
		var team string
		for _, competitor := range competition.Competitors {
			if competitor.Team.ID == situation.Possession {
				team = nflverseTeam(competitor.Team.Abbreviation)
			}
		}
		if team == "" {
			return fmt.Errorf("situation.possession %q is neither team", situation.Possession)
		}
		g.Possession = &team
	}

	if situation.DownDistanceText == "" {
		return nil
	}
	if situation.Down == nil || *situation.Down < 1 || *situation.Down > 4 {
		return fmt.Errorf("situation %q: invalid or missing down", situation.DownDistanceText)
	}
	if situation.Distance == nil || *situation.Distance < 0 || *situation.Distance > 100 {
		return fmt.Errorf("situation %q: invalid or missing distance", situation.DownDistanceText)
	}
	if situation.YardLine == nil || *situation.YardLine < 0 || *situation.YardLine > 100 {
		return fmt.Errorf("situation %q: invalid or missing yardLine", situation.DownDistanceText)
	}
	down, distance, yardLine, text := *situation.Down, *situation.Distance, *situation.YardLine, situation.DownDistanceText
	g.Down, g.Distance, g.YardLine, g.DownDistanceText = &down, &distance, &yardLine, &text
	return nil
}

// GamesFromScoreboard returns the games of a parsed scoreboard with their
// nflverse game_id, season, week and game type from ids, sorted by game_id.
// The result is a new slice of new LiveGames, so the same inputs always give
// equal outputs and callers may diff them.
//
// An event that ids does not map is left out and returned in unmapped. An
// event whose teams differ from its schedule row is an error, because then
// the schedule or the ID map is wrong.
func GamesFromScoreboard(board *Scoreboard, ids *IDMap) (games []*LiveGame, unmapped []UnmappedID, err error) {
	for _, parsed := range board.Games {
		row, ok := ids.Game(parsed.EspnID)
		if !ok {
			unmapped = append(unmapped, UnmappedID{
				Kind:   "game",
				EspnID: parsed.EspnID,
				Name:   parsed.AwayTeam + " @ " + parsed.HomeTeam,
			})
			continue
		}
		if row.AwayTeam != parsed.AwayTeam || row.HomeTeam != parsed.HomeTeam {
			return nil, nil, fmt.Errorf("map scoreboard: espn event %s is %s @ %s, but its game %s is %s @ %s",
				parsed.EspnID, parsed.AwayTeam, parsed.HomeTeam, row.GameID, row.AwayTeam, row.HomeTeam)
		}

		game := parsed.clone()
		game.GameID = row.GameID
		game.Season = row.Season
		game.Week = row.Week
		game.GameType = row.GameType
		games = append(games, game)
	}

	sort.Slice(games, func(i, j int) bool { return games[i].GameID < games[j].GameID })
	return games, unmapped, nil
}

// clone returns a deep copy of g.
func (g *LiveGame) clone() *LiveGame {
	c := *g
	c.Quarter = cloneValue(g.Quarter)
	c.Clock = cloneValue(g.Clock)
	c.AwayScore = cloneValue(g.AwayScore)
	c.HomeScore = cloneValue(g.HomeScore)
	c.Possession = cloneValue(g.Possession)
	c.Down = cloneValue(g.Down)
	c.Distance = cloneValue(g.Distance)
	c.YardLine = cloneValue(g.YardLine)
	c.DownDistanceText = cloneValue(g.DownDistanceText)
	return &c
}

func cloneValue[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
