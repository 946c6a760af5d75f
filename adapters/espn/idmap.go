package espn

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/nflsync/nflsync/messages"
)

// ScheduleGame is the part of one schedule row (nflverse games.csv) that
// links an ESPN event to an nflverse game.
type ScheduleGame struct {
	GameID   string
	Season   int32
	Week     int32
	GameType string // REG, WC, DIV, CON or SB
	AwayTeam string
	HomeTeam string

	// EspnID is the schedule's espn column: the ESPN event id. Empty when
	// the column is null.
	EspnID string
}

// ReadScheduleGames reads nflverse's schedule file (games.csv), plain or
// gzip, keeping the columns that the ID map needs. name is the file name
// used in errors.
//
// nflverse.ReadSchedule returns messages.Game, which has no field for the
// espn column, so this package reads that column itself.
func ReadScheduleGames(r io.Reader, name string) ([]ScheduleGame, error) {
	reader, closeReader, err := openCSV(r, name)
	if err != nil {
		return nil, err
	}
	defer closeReader()

	header, err := reader.Read()
	if err != nil {
		return nil, fmt.Errorf("read schedule %s: header: %w", name, err)
	}
	columns := make(map[string]int, len(header))
	for i, column := range header {
		column = strings.TrimSpace(strings.TrimPrefix(column, "\ufeff"))
		if _, ok := columns[column]; !ok {
			columns[column] = i
		}
	}
	var missing []string
	for _, column := range []string{"game_id", "season", "week", "game_type", "away_team", "home_team", "espn"} {
		if _, ok := columns[column]; !ok {
			missing = append(missing, column)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("read schedule %s: missing required columns: %s", name, strings.Join(missing, ", "))
	}

	var games []ScheduleGame
	for {
		record, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read schedule %s: %w", name, err)
		}
		line, _ := reader.FieldPos(0)
		value := func(column string) string {
			text := strings.TrimSpace(record[columns[column]])
			if text == "NA" {
				return ""
			}
			return text
		}

		game := ScheduleGame{
			GameID:   value("game_id"),
			GameType: value("game_type"),
			AwayTeam: value("away_team"),
			HomeTeam: value("home_team"),
			EspnID:   value("espn"),
		}
		if game.GameID == "" {
			return nil, fmt.Errorf("read schedule %s: line %d: missing game_id", name, line)
		}
		season, err := strconv.ParseInt(value("season"), 10, 32)
		if err != nil || season < 1920 {
			return nil, fmt.Errorf("read schedule %s: line %d: invalid season %q", name, line, value("season"))
		}
		week, err := strconv.ParseInt(value("week"), 10, 32)
		if err != nil || week < 1 || week > 30 {
			return nil, fmt.Errorf("read schedule %s: line %d: invalid week %q", name, line, value("week"))
		}
		if game.EspnID != "" && !isESPNID(game.EspnID) {
			return nil, fmt.Errorf("read schedule %s: line %d: game %s has invalid espn %q, expected digits",
				name, line, game.GameID, game.EspnID)
		}
		game.Season = int32(season)
		game.Week = int32(week)
		games = append(games, game)
	}
	return games, nil
}

// openCSV opens r as CSV, decompressing it first when it starts with the
// gzip magic bytes. The returned function releases the gzip reader.
func openCSV(r io.Reader, name string) (*csv.Reader, func(), error) {
	buffered := bufio.NewReader(r)
	magic, err := buffered.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}

	var source io.Reader = buffered
	closeReader := func() {}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(buffered)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: gzip: %w", name, err)
		}
		source = gz
		closeReader = func() { _ = gz.Close() }
	}

	reader := csv.NewReader(source)
	reader.ReuseRecord = true
	return reader, closeReader, nil
}

// isESPNID reports whether id has the form of an ESPN id: 1 to 12 ASCII
// digits. Ids such as "5529.0", written by tools that read the column as a
// float, are rejected rather than repaired.
func isESPNID(id string) bool {
	if id == "" || len(id) > 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// rosterPlayer is the identity of one gsis_id taken from the roster.
type rosterPlayer struct {
	gsisID   string
	fullName string
	position string
}

// IDMap links ESPN ids to nflverse ids: ESPN event ids to game_id through the
// schedule's espn column, and ESPN athlete ids to gsis_id through the
// roster's espn_id column. It never matches by name. An IDMap is read-only
// after NewIDMap, so it is safe for concurrent use.
type IDMap struct {
	games   map[string]ScheduleGame // by ESPN event id
	players map[string]rosterPlayer // by ESPN athlete id

	// ambiguous are ESPN athlete ids that the roster gives to more than one
	// gsis_id. They are not mapped.
	ambiguous map[string][]string
}

// NewIDMap builds the map from schedule rows and roster entries of any
// seasons. Schedule rows without an espn id and roster entries without an
// espn_id are ignored. Two games with one ESPN event id are an error,
// because the schedule is wrong. An espn_id that two gsis_ids share in the
// roster maps to neither and is listed by AmbiguousPlayers.
func NewIDMap(games []ScheduleGame, roster []*messages.RosterEntry) (*IDMap, error) {
	m := &IDMap{
		games:     make(map[string]ScheduleGame, len(games)),
		players:   make(map[string]rosterPlayer, len(roster)),
		ambiguous: make(map[string][]string),
	}

	for _, game := range games {
		if game.EspnID == "" {
			continue
		}
		if !isESPNID(game.EspnID) {
			return nil, fmt.Errorf("build ID map: game %s has invalid espn id %q", game.GameID, game.EspnID)
		}
		if earlier, ok := m.games[game.EspnID]; ok && earlier.GameID != game.GameID {
			return nil, fmt.Errorf("build ID map: espn event %s is both game %s and game %s", game.EspnID, earlier.GameID, game.GameID)
		}
		m.games[game.EspnID] = game
	}

	for _, entry := range roster {
		espnID := strings.TrimSpace(entry.GetEspnId())
		if espnID == "" || entry.GetGsisId() == "" || !isESPNID(espnID) {
			continue
		}
		if others, ok := m.ambiguous[espnID]; ok {
			if !contains(others, entry.GetGsisId()) {
				m.ambiguous[espnID] = append(others, entry.GetGsisId())
			}
			continue
		}
		earlier, ok := m.players[espnID]
		if ok && earlier.gsisID != entry.GetGsisId() {
			m.ambiguous[espnID] = []string{earlier.gsisID, entry.GetGsisId()}
			delete(m.players, espnID)
			continue
		}
		if ok {
			// Another row of the same player, such as a later week.
			continue
		}
		m.players[espnID] = rosterPlayer{
			gsisID:   entry.GetGsisId(),
			fullName: entry.GetFullName(),
			position: entry.GetPosition(),
		}
	}
	return m, nil
}

func contains(values []string, value string) bool {
	for _, v := range values {
		if v == value {
			return true
		}
	}
	return false
}

// Game returns the schedule row of an ESPN event id.
func (m *IDMap) Game(espnEventID string) (ScheduleGame, bool) {
	game, ok := m.games[espnEventID]
	return game, ok
}

// Player returns the gsis_id of an ESPN athlete id.
func (m *IDMap) Player(espnAthleteID string) (gsisID string, ok bool) {
	player, ok := m.players[espnAthleteID]
	return player.gsisID, ok
}

// AmbiguousPlayers returns the ESPN athlete ids that the roster gives to
// more than one gsis_id, sorted. They do not map.
func (m *IDMap) AmbiguousPlayers() []string {
	ids := make([]string, 0, len(m.ambiguous))
	for id := range m.ambiguous {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Len returns the number of games and players that map.
func (m *IDMap) Len() (games, players int) {
	return len(m.games), len(m.players)
}

// UnmappedID is an ESPN id that the IDMap does not map, with the name ESPN
// gives it so that an operator can fix the roster or schedule.
type UnmappedID struct {
	Kind   string // "game" or "player"
	EspnID string
	Name   string // event short name ("DET @ BUF") or athlete display name
	Team   string // team abbreviation for a player, as ESPN writes it
}
