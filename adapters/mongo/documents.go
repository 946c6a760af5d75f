package mongo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/nflsync/nflsync/messages"
)

// Documents of each collection. Field names are the nflverse column names
// that the messages use too. The _id of an upserted document is its
// natural key as a string (see documentID). FerretDB v1.24.2 with SQLite
// pushes only a filter on a string or ObjectID _id down to SQLite, and
// for any other filter it reads and decodes the whole collection.

type playerWeekDocument struct {
	ID string `bson:"_id"`

	Season            int32  `bson:"season"`
	Week              int32  `bson:"week"`
	SeasonType        string `bson:"season_type"`
	PlayerID          string `bson:"player_id"`
	PlayerName        string `bson:"player_name"`
	PlayerDisplayName string `bson:"player_display_name"`
	Position          string `bson:"position"`
	Team              string `bson:"team"`
	OpponentTeam      string `bson:"opponent_team"`
	GameID            string `bson:"game_id"`

	// Stats is a JSON object that maps each stat name to its canonical
	// decimal string, keys sorted. One string field instead of a
	// sub-document with a field per stat makes FerretDB's SQLite handler
	// about ten times faster on these 100-field rows (measured: 1,000
	// inserts in 0.2 s instead of 2 s).
	Stats statsField `bson:"stats"`
}

type gameDocument struct {
	ID string `bson:"_id"`

	GameID   string `bson:"game_id"`
	Season   int32  `bson:"season"`
	GameType string `bson:"game_type"`
	Week     int32  `bson:"week"`
	AwayTeam string `bson:"away_team"`
	HomeTeam string `bson:"home_team"`

	// AwayScore and HomeScore are null until the game has been played.
	AwayScore *int32 `bson:"away_score"`
	HomeScore *int32 `bson:"home_score"`

	KickoffUnix int64  `bson:"kickoff_unix"`
	Status      string `bson:"status"`
	Overtime    bool   `bson:"overtime"`
	Location    string `bson:"location"`
}

type rosterDocument struct {
	ID string `bson:"_id"`

	GSISID       string `bson:"gsis_id"`
	Season       int32  `bson:"season"`
	Week         int32  `bson:"week"`
	FullName     string `bson:"full_name"`
	Team         string `bson:"team"`
	Position     string `bson:"position"`
	Status       string `bson:"status"`
	ESPNID       string `bson:"espn_id"`
	JerseyNumber string `bson:"jersey_number"`
}

type injuryDocument struct {
	ID string `bson:"_id"`

	Season              int32  `bson:"season"`
	Week                int32  `bson:"week"`
	GSISID              string `bson:"gsis_id"`
	FullName            string `bson:"full_name"`
	Team                string `bson:"team"`
	Position            string `bson:"position"`
	ReportStatus        string `bson:"report_status"`
	ReportPrimaryInjury string `bson:"report_primary_injury"`
	PracticeStatus      string `bson:"practice_status"`
	DateModified        string `bson:"date_modified"`
}

type syncRunDocument struct {
	ID primitive.ObjectID `bson:"_id"`

	// StartedAt is stored as a BSON date, which keeps milliseconds.
	StartedAt   time.Time `bson:"started_at"`
	DurationMS  int64     `bson:"duration_ms"`
	Season      int32     `bson:"season"`
	Week        int32     `bson:"week"`
	OK          bool      `bson:"ok"`
	Error       string    `bson:"error"`
	PlayerRows  int64     `bson:"player_rows"`
	GameRows    int64     `bson:"game_rows"`
	Deltas      int64     `bson:"deltas"`
	Quarantined int64     `bson:"quarantined"`
}

func newPlayerWeekDocument(week *messages.PlayerWeek) (*playerWeekDocument, error) {
	if week.GetPlayerId() == "" {
		return nil, fmt.Errorf("player-week of season %d week %d: missing player_id", week.GetSeason(), week.GetWeek())
	}

	stats := make(map[string]string, len(week.GetStats()))
	for _, stat := range week.GetStats() {
		name := stat.GetName()
		if err := validateStatName(name); err != nil {
			return nil, fmt.Errorf("player-week season %d week %d player_id %s: %w", week.GetSeason(), week.GetWeek(), week.GetPlayerId(), err)
		}

		if _, seen := stats[name]; seen {
			return nil, fmt.Errorf("player-week season %d week %d player_id %s: duplicate stat %q", week.GetSeason(), week.GetWeek(), week.GetPlayerId(), name)
		}
		stats[name] = stat.GetValue()
	}

	// encoding/json writes map keys sorted, so equal rows give equal
	// strings.
	encoded, err := json.Marshal(stats)
	if err != nil {
		return nil, fmt.Errorf("player-week season %d week %d player_id %s: encode stats: %w", week.GetSeason(), week.GetWeek(), week.GetPlayerId(), err)
	}

	return &playerWeekDocument{
		ID:                documentID(week.GetSeason(), week.GetWeek(), week.GetPlayerId()),
		Season:            week.GetSeason(),
		Week:              week.GetWeek(),
		SeasonType:        week.GetSeasonType(),
		PlayerID:          week.GetPlayerId(),
		PlayerName:        week.GetPlayerName(),
		PlayerDisplayName: week.GetPlayerDisplayName(),
		Position:          week.GetPosition(),
		Team:              week.GetTeam(),
		OpponentTeam:      week.GetOpponentTeam(),
		GameID:            week.GetGameId(),
		Stats:             statsField(encoded),
	}, nil
}

// documentID returns the _id of a document keyed by season, week and a
// player's gsis_id, such as "2024/1/00-0033873".
func documentID(season, week int32, gsisID string) string {
	return fmt.Sprintf("%d/%d/%s", season, week, gsisID)
}

// validateStatName rejects names that cannot be a field of the stats
// sub-document or could not be queried by path.
func validateStatName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("invalid stat name: empty")
	case strings.Contains(name, "."), strings.HasPrefix(name, "$"), strings.ContainsRune(name, 0):
		return fmt.Errorf("invalid stat name %q: a stat name must not contain '.' or NUL or start with '$'", name)
	}

	return nil
}

func (d *playerWeekDocument) message() (*messages.PlayerWeek, error) {
	stats, err := decodeStats(string(d.Stats))
	if err != nil {
		return nil, fmt.Errorf("player-week season %d week %d player_id %s: stats are not a JSON object of decimal strings: %w", d.Season, d.Week, d.PlayerID, err)
	}

	return &messages.PlayerWeek{
		Season:            d.Season,
		Week:              d.Week,
		SeasonType:        d.SeasonType,
		PlayerId:          d.PlayerID,
		PlayerName:        d.PlayerName,
		PlayerDisplayName: d.PlayerDisplayName,
		Position:          d.Position,
		Team:              d.Team,
		OpponentTeam:      d.OpponentTeam,
		GameId:            d.GameID,
		Stats:             stats,
	}, nil
}

func newGameDocument(game *messages.Game) (*gameDocument, error) {
	if game.GetGameId() == "" {
		return nil, fmt.Errorf("game of season %d week %d: missing game_id", game.GetSeason(), game.GetWeek())
	}

	return &gameDocument{
		ID:          game.GetGameId(),
		GameID:      game.GetGameId(),
		Season:      game.GetSeason(),
		GameType:    game.GetGameType(),
		Week:        game.GetWeek(),
		AwayTeam:    game.GetAwayTeam(),
		HomeTeam:    game.GetHomeTeam(),
		AwayScore:   game.AwayScore,
		HomeScore:   game.HomeScore,
		KickoffUnix: game.GetKickoffUnix(),
		Status:      game.GetStatus(),
		Overtime:    game.GetOvertime(),
		Location:    game.GetLocation(),
	}, nil
}

func (d *gameDocument) message() *messages.Game {
	return &messages.Game{
		GameId:      d.GameID,
		Season:      d.Season,
		GameType:    d.GameType,
		Week:        d.Week,
		AwayTeam:    d.AwayTeam,
		HomeTeam:    d.HomeTeam,
		AwayScore:   d.AwayScore,
		HomeScore:   d.HomeScore,
		KickoffUnix: d.KickoffUnix,
		Status:      d.Status,
		Overtime:    d.Overtime,
		Location:    d.Location,
	}
}

func newRosterDocument(entry *messages.RosterEntry) (*rosterDocument, error) {
	if entry.GetGsisId() == "" {
		return nil, fmt.Errorf("roster entry %q of season %d: missing gsis_id", entry.GetFullName(), entry.GetSeason())
	}

	return &rosterDocument{
		ID:           entry.GetGsisId(),
		GSISID:       entry.GetGsisId(),
		Season:       entry.GetSeason(),
		Week:         entry.GetWeek(),
		FullName:     entry.GetFullName(),
		Team:         entry.GetTeam(),
		Position:     entry.GetPosition(),
		Status:       entry.GetStatus(),
		ESPNID:       entry.GetEspnId(),
		JerseyNumber: entry.GetJerseyNumber(),
	}, nil
}

func newInjuryDocument(injury *messages.Injury) (*injuryDocument, error) {
	if injury.GetGsisId() == "" {
		return nil, fmt.Errorf("injury of %q in season %d week %d: missing gsis_id", injury.GetFullName(), injury.GetSeason(), injury.GetWeek())
	}

	return &injuryDocument{
		ID:                  documentID(injury.GetSeason(), injury.GetWeek(), injury.GetGsisId()),
		Season:              injury.GetSeason(),
		Week:                injury.GetWeek(),
		GSISID:              injury.GetGsisId(),
		FullName:            injury.GetFullName(),
		Team:                injury.GetTeam(),
		Position:            injury.GetPosition(),
		ReportStatus:        injury.GetReportStatus(),
		ReportPrimaryInjury: injury.GetReportPrimaryInjury(),
		PracticeStatus:      injury.GetPracticeStatus(),
		DateModified:        injury.GetDateModified(),
	}, nil
}

func newSyncRunDocument(run messages.SyncRun) *syncRunDocument {
	return &syncRunDocument{
		ID:          primitive.NewObjectID(),
		StartedAt:   run.StartedAt.UTC(),
		DurationMS:  run.Duration.Milliseconds(),
		Season:      run.Season,
		Week:        run.Week,
		OK:          run.OK,
		Error:       run.Error,
		PlayerRows:  int64(run.PlayerRows),
		GameRows:    int64(run.GameRows),
		Deltas:      int64(run.Deltas),
		Quarantined: int64(run.Quarantined),
	}
}

// statsField is the stats of a player-week as stored: a JSON object of
// decimal strings. Documents written before that format keep the stats as a
// sub-document of strings; UnmarshalBSONValue reads both, so an old data
// directory still loads.
type statsField string

// UnmarshalBSONValue reads a JSON string or a sub-document of strings.
func (f *statsField) UnmarshalBSONValue(kind bsontype.Type, data []byte) error {
	value := bson.RawValue{Type: kind, Value: data}
	if text, ok := value.StringValueOK(); ok {
		*f = statsField(text)
		return nil
	}

	document, ok := value.DocumentOK()
	if !ok {
		return fmt.Errorf("stats is a BSON %v, expected a string or a document", kind)
	}
	elements, err := document.Elements()
	if err != nil {
		return fmt.Errorf("read stats document: %w", err)
	}
	values := make(map[string]string, len(elements))
	for _, element := range elements {
		text, ok := element.Value().StringValueOK()
		if !ok {
			return fmt.Errorf("stat %q is a BSON %v, expected a decimal string", element.Key(), element.Value().Type)
		}
		values[element.Key()] = text
	}
	encoded, err := json.Marshal(values)
	if err != nil {
		return err
	}
	*f = statsField(encoded)
	return nil
}
