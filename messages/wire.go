package messages

import (
	"encoding/json"
	"time"
)

// Server message types sent to WebSocket clients in the "type" field.
const (
	TypePlayerUpdate = "PLAYER_UPDATE"
	TypeGameScores   = "GAME_SCORES"
	TypeAck          = "ACK"
	TypeError        = "ERROR"

	// League streams ("league:<id>") carry these two.
	TypePlayerStats       = "PLAYER_STATS"
	TypeLeaderboardUpdate = "LEADERBOARD_UPDATE"
)

// Error codes of ERROR messages.
const (
	ErrorCodeInvalidJSON   = "invalid_json"
	ErrorCodeUnknownAction = "unknown_action"
	ErrorCodeInvalidField  = "invalid_field"
)

// PlayerUpdateData is the "data" object of a PLAYER_UPDATE message.
type PlayerUpdateData struct {
	PlayerID     string            `json:"player_id"`
	PlayerName   string            `json:"player_name"`
	Position     string            `json:"position,omitempty"`
	Season       int32             `json:"season"`
	Week         int32             `json:"week"`
	SeasonType   string            `json:"season_type,omitempty"`
	Team         string            `json:"team"`
	OpponentTeam string            `json:"opponent_team,omitempty"`
	GameID       string            `json:"game_id,omitempty"`
	Stats        map[string]string `json:"stats"`
	// Previous holds the earlier value of each changed field; null means
	// the field had no value.
	Previous       map[string]*string `json:"previous"`
	Points         map[string]string  `json:"points"`
	PreviousPoints map[string]string  `json:"previous_points,omitempty"`
	FirstSeen      bool               `json:"first_seen"`
	Correction     bool               `json:"correction"`
	// Provisional is true for a live row read from ESPN, which nflverse's
	// row replaces when it is published.
	Provisional bool `json:"provisional"`
	// DetectedAt is when the change was seen. It is left out of snapshot
	// items, which are not changes.
	DetectedAt time.Time `json:"detected_at,omitzero"`
}

// GameScoreData is one entry of the "deltas" array of a GAME_SCORES message.
type GameScoreData struct {
	GameID    string    `json:"game_id"`
	Season    int32     `json:"season"`
	Week      int32     `json:"week"`
	GameType  string    `json:"game_type"`
	AwayTeam  string    `json:"away_team"`
	HomeTeam  string    `json:"home_team"`
	AwayScore *int32    `json:"away_score"`
	HomeScore *int32    `json:"home_score"`
	Status    string    `json:"status"`
	Overtime  bool      `json:"overtime"`
	Kickoff   time.Time `json:"kickoff,omitzero"` // left out when unknown

	// Live fields, from ESPN while the game is played; omitted when not
	// reported. Provisional is true while they and status and scores come
	// from ESPN rather than nflverse.
	Quarter          *int32  `json:"quarter,omitempty"`
	Clock            *string `json:"clock,omitempty"`
	Possession       *string `json:"possession,omitempty"`
	Down             *int32  `json:"down,omitempty"`
	Distance         *int32  `json:"distance,omitempty"`
	YardLine         *int32  `json:"yard_line,omitempty"`
	DownDistanceText *string `json:"down_distance_text,omitempty"`
	Provisional      bool    `json:"provisional"`

	// Previous holds the earlier value of each changed field.
	Previous  map[string]*string `json:"previous"`
	FirstSeen bool               `json:"first_seen"`
	// DetectedAt is left out of snapshot items, like PlayerUpdateData's.
	DetectedAt time.Time `json:"detected_at,omitzero"`
}

// LeaguePlayerStats is one item of a PLAYER_STATS message: a change to a
// rostered player's week, with points under the league's rule set only.
type LeaguePlayerStats struct {
	// TeamID is the league team whose roster has the player.
	TeamID string `json:"team_id"`

	// Counted reports whether the week counts for the team: it is one of
	// the league's weeks, and the player starts when the team has a lineup
	// for that week.
	Counted bool `json:"counted"`

	*PlayerUpdateData
}

// PlayerStatsMessage is the PLAYER_STATS message that a league stream
// carries at most once per poll, with the poll's changes to the league's
// rostered players. Points and previous_points of each item are keyed by
// RuleSet, the name of the league's rule set.
type PlayerStatsMessage struct {
	Type     string               `json:"type"`
	LeagueID string               `json:"league_id"`
	RuleSet  string               `json:"rule_set"`
	Players  []*LeaguePlayerStats `json:"players"`
}

// LeaderboardRow is one team's row of a league leaderboard: an item of a
// LEADERBOARD_UPDATE and of a league stream's SNAPSHOT. Points is the sum
// over the league's weeks, a decimal string rounded to 2 places. Change is
// Points minus the team's points in the league's previous
// LEADERBOARD_UPDATE, or Points itself for a team that is new since then.
type LeaderboardRow struct {
	Rank     int    `json:"rank"`
	TeamID   string `json:"team_id"`
	TeamName string `json:"team_name"`
	Points   string `json:"points"`
	Change   string `json:"change"`
}

// LeaderboardUpdateMessage is the LEADERBOARD_UPDATE message, sent on a
// league stream after a poll or an edit that changed the leaderboard. Rows
// are sorted by rank, and tied teams share a rank (1, 1, 3).
type LeaderboardUpdateMessage struct {
	Type     string           `json:"type"`
	LeagueID string           `json:"league_id"`
	RuleSet  string           `json:"rule_set"`
	Season   int32            `json:"season"`
	Weeks    []int32          `json:"weeks"`
	Rows     []LeaderboardRow `json:"rows"`
}

type playerUpdateMessage struct {
	Type string            `json:"type"`
	Data *PlayerUpdateData `json:"data"`
}

type gameScoresMessage struct {
	Type   string           `json:"type"`
	Deltas []*GameScoreData `json:"deltas"`
}

// ErrorMessage is the ERROR message sent for a client message that nflsync
// cannot act on. The connection stays open.
type ErrorMessage struct {
	Type  string      `json:"type"`
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the "error" object of an ERROR message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AckMessage acknowledges a client action.
type AckMessage struct {
	Type     string `json:"type"`
	Action   string `json:"action"`
	PlayerID string `json:"player_id,omitempty"`
	GameID   string `json:"game_id,omitempty"`
	LeagueID string `json:"league_id,omitempty"`
}

// NewPlayerUpdateData converts a scored delta to its JSON form.
func NewPlayerUpdateData(update *PlayerUpdate) *PlayerUpdateData {
	return NewPlayerUpdateDataOf(update, nil)
}

// NewPlayerUpdateDataOf converts a scored delta to its JSON form with only
// the stats for which keep returns true, in Stats and in Previous. keep is
// called with each stat's name and current value ("" when it has none). A
// nil keep keeps every stat, as NewPlayerUpdateData does.
func NewPlayerUpdateDataOf(update *PlayerUpdate, keep func(stat, value string) bool) *PlayerUpdateData {
	delta := update.GetDelta()
	row := delta.GetCurrent()

	data := &PlayerUpdateData{
		PlayerID:     row.GetPlayerId(),
		PlayerName:   row.GetPlayerName(),
		Position:     row.GetPosition(),
		Season:       row.GetSeason(),
		Week:         row.GetWeek(),
		SeasonType:   row.GetSeasonType(),
		Team:         row.GetTeam(),
		OpponentTeam: row.GetOpponentTeam(),
		GameID:       row.GetGameId(),
		Stats:        currentStats(row, delta, keep),
		Previous:     keptPrevious(delta.GetChanges(), keep),
		Points:       make(map[string]string, len(update.GetPoints())),
		FirstSeen:    delta.GetFirstSeen(),
		Correction:   delta.GetCorrection(),
		Provisional:  delta.GetProvisional(),
		DetectedAt:   detectedAt(delta.GetDetectedUnixNano()),
	}
	for _, points := range update.GetPoints() {
		data.Points[points.GetRuleSet()] = points.GetPoints()
		if points.PreviousPoints != nil {
			if data.PreviousPoints == nil {
				data.PreviousPoints = make(map[string]string, len(update.GetPoints()))
			}
			data.PreviousPoints[points.GetRuleSet()] = points.GetPreviousPoints()
		}
	}
	return data
}

// EncodePlayerUpdate returns the PLAYER_UPDATE message for a scored delta.
func EncodePlayerUpdate(update *PlayerUpdate) ([]byte, error) {
	return json.Marshal(playerUpdateMessage{Type: TypePlayerUpdate, Data: NewPlayerUpdateData(update)})
}

// NewGameScoreData converts a game delta to its JSON form.
func NewGameScoreData(delta *GameDelta) *GameScoreData {
	game := delta.GetCurrent()
	return &GameScoreData{
		GameID:    game.GetGameId(),
		Season:    game.GetSeason(),
		Week:      game.GetWeek(),
		GameType:  game.GetGameType(),
		AwayTeam:  game.GetAwayTeam(),
		HomeTeam:  game.GetHomeTeam(),
		AwayScore: game.AwayScore,
		HomeScore: game.HomeScore,
		Status:    game.GetStatus(),
		Overtime:  game.GetOvertime(),
		Kickoff:   kickoff(game.GetKickoffUnix()),

		Quarter:          game.Quarter,
		Clock:            game.Clock,
		Possession:       game.Possession,
		Down:             game.Down,
		Distance:         game.Distance,
		YardLine:         game.YardLine,
		DownDistanceText: game.DownDistanceText,
		Provisional:      game.GetProvisional(),

		Previous:   previousValues(delta.GetChanges()),
		FirstSeen:  delta.GetFirstSeen(),
		DetectedAt: detectedAt(delta.GetDetectedUnixNano()),
	}
}

// EncodeGameScores returns one GAME_SCORES message carrying the given deltas.
func EncodeGameScores(deltas ...*GameDelta) ([]byte, error) {
	message := gameScoresMessage{Type: TypeGameScores, Deltas: make([]*GameScoreData, 0, len(deltas))}
	for _, delta := range deltas {
		message.Deltas = append(message.Deltas, NewGameScoreData(delta))
	}
	return json.Marshal(message)
}

// EncodeError returns an ERROR message.
func EncodeError(code, text string) []byte {
	payload, err := json.Marshal(ErrorMessage{Type: TypeError, Error: ErrorDetail{Code: code, Message: text}})
	if err != nil {
		// Marshaling two strings cannot fail.
		panic(err)
	}
	return payload
}

// currentStats returns every stat of a player-week seen for the first time,
// and only the changed stats otherwise: a client already has the rest from
// the snapshot or an earlier message, and a change message stays small. A
// stat that became null is absent here and null in "previous".
func currentStats(row *PlayerWeek, delta *PlayerStatsDelta, keep func(stat, value string) bool) map[string]string {
	if delta.GetFirstSeen() {
		stats := make(map[string]string, sizeHint(len(row.GetStats()), keep))
		for _, stat := range row.GetStats() {
			if keep == nil || keep(stat.GetName(), stat.GetValue()) {
				stats[stat.GetName()] = stat.GetValue()
			}
		}
		return stats
	}

	stats := make(map[string]string, sizeHint(len(delta.GetChanges()), keep))
	for _, change := range delta.GetChanges() {
		if change.Current != nil && (keep == nil || keep(change.GetField(), change.GetCurrent())) {
			stats[change.GetField()] = change.GetCurrent()
		}
	}
	return stats
}

// keptPrevious returns the earlier value of each changed stat that keep
// keeps (every one when keep is nil).
func keptPrevious(changes []*FieldChange, keep func(stat, value string) bool) map[string]*string {
	if keep == nil {
		return previousValues(changes)
	}
	previous := make(map[string]*string)
	for _, change := range changes {
		if keep(change.GetField(), change.GetCurrent()) {
			previous[change.GetField()] = change.Previous
		}
	}
	return previous
}

// sizeHint is the capacity for a map of up to n stats: n when every stat is
// kept, else none. A filter such as a rule set's scored stats keeps a small
// share, and a map sized for all of them costs more to allocate and clear
// than it saves.
func sizeHint(n int, keep func(stat, value string) bool) int {
	if keep == nil {
		return n
	}
	return 0
}

func previousValues(changes []*FieldChange) map[string]*string {
	previous := make(map[string]*string, len(changes))
	for _, change := range changes {
		previous[change.GetField()] = change.Previous
	}
	return previous
}

// detectedAt returns the detection time of a delta, or the zero time, which
// the JSON encoding leaves out, for a delta without one (a snapshot item).
func detectedAt(unixNano int64) time.Time {
	if unixNano == 0 {
		return time.Time{}
	}
	return time.Unix(0, unixNano).UTC()
}

// kickoff returns a game's kickoff time, or the zero time, which the JSON
// encoding leaves out, when the source gave none.
func kickoff(unix int64) time.Time {
	if unix == 0 {
		return time.Time{}
	}
	return time.Unix(unix, 0).UTC()
}
