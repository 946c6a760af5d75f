package nflverse

import (
	"fmt"
	"io"
	"strconv"
	"time"
	_ "time/tzdata" // America/New_York must load on hosts without zoneinfo.

	"github.com/nflsync/nflsync/messages"
)

// eastern is US Eastern time, the zone of the schedule's gameday and
// gametime columns.
var eastern = mustLoadLocation("America/New_York")

func mustLoadLocation(name string) *time.Location {
	location, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return location
}

var requiredScheduleColumns = [][]string{
	{"game_id"}, {"season"}, {"game_type"}, {"week"}, {"gameday"}, {"gametime"},
	{"away_team"}, {"away_score"}, {"home_team"}, {"home_score"},
}

// ReadSchedule reads nflverse's schedule file (games.csv), plain or gzip.
// name is the file name used in errors.
//
// gameday and gametime are US Eastern wall-clock time and become
// KickoffUnix in UTC, correct across daylight saving changes. A game without
// a gametime or gameday has KickoffUnix 0 because its kickoff is unknown.
// A game with both scores is final, one without scores is scheduled and
// has nil scores. A row with only one score is an error. The overtime,
// location and result columns are optional.
func ReadSchedule(r io.Reader, name string) ([]*messages.Game, error) {
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readSchedule(t)
}

// ReadScheduleParquet reads the parquet form of the same file. It returns the same
// messages as ReadSchedule for the same data; see openParquetTable for how
// parquet values become CSV fields.
func ReadScheduleParquet(r io.ReaderAt, size int64, name string) ([]*messages.Game, error) {
	t, err := openParquetTable(r, size, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readSchedule(t)
}

func readSchedule(t *table) ([]*messages.Game, error) {
	if err := t.requireColumns("schedule", requiredScheduleColumns); err != nil {
		return nil, err
	}
	columns := scheduleColumns{
		gameID:    t.index("game_id"),
		season:    t.index("season"),
		gameType:  t.index("game_type"),
		week:      t.index("week"),
		gameday:   t.index("gameday"),
		gametime:  t.index("gametime"),
		awayTeam:  t.index("away_team"),
		awayScore: t.index("away_score"),
		homeTeam:  t.index("home_team"),
		homeScore: t.index("home_score"),
		location:  t.index("location"),
		overtime:  t.index("overtime"),
	}

	var games []*messages.Game
	for {
		record, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}

		game, err := columns.readGame(t, record)
		if err != nil {
			return nil, err
		}
		games = append(games, game)
	}
	return games, nil
}

type scheduleColumns struct {
	gameID, season, gameType, week, gameday, gametime            int
	awayTeam, awayScore, homeTeam, homeScore, location, overtime int
}

func (c scheduleColumns) readGame(t *table, record []string) (*messages.Game, error) {
	invalid := func(column int, header, value string) error {
		return fmt.Errorf("read schedule %s: %s, column %s: invalid value %q", t.name, t.position(column), header, value)
	}

	game := &messages.Game{
		GameId:   nullableText(record, c.gameID),
		GameType: nullableText(record, c.gameType),
		AwayTeam: nullableText(record, c.awayTeam),
		HomeTeam: nullableText(record, c.homeTeam),
		Location: nullableText(record, c.location),
		Status:   messages.GameStatusScheduled,
	}
	if game.GameId == "" {
		return nil, invalid(c.gameID, "game_id", field(record, c.gameID))
	}

	season, ok := parseKeyNumber(field(record, c.season), minSeason, maxSeason)
	if !ok {
		return nil, invalid(c.season, "season", field(record, c.season))
	}
	game.Season = season

	week, ok := parseKeyNumber(field(record, c.week), minWeek, maxWeek)
	if !ok {
		return nil, invalid(c.week, "week", field(record, c.week))
	}
	game.Week = week

	gameday := nullableText(record, c.gameday)
	gametime := nullableText(record, c.gametime)
	if gameday != "" && gametime != "" {
		kickoff, err := time.ParseInLocation("2006-01-02 15:04", gameday+" "+gametime, eastern)
		if err != nil {
			return nil, invalid(c.gametime, "gameday and gametime", gameday+" "+gametime)
		}
		game.KickoffUnix = kickoff.Unix()
	}

	awayScore := nullableText(record, c.awayScore)
	homeScore := nullableText(record, c.homeScore)
	switch {
	case awayScore == "" && homeScore == "":
	case awayScore == "" || homeScore == "":
		return nil, fmt.Errorf("read schedule %s: %s: game %s has away_score %q and home_score %q, expected both or neither",
			t.name, t.position(c.gameID), game.GameId, awayScore, homeScore)
	default:
		away, err := strconv.ParseInt(awayScore, 10, 32)
		if err != nil || away < 0 {
			return nil, invalid(c.awayScore, "away_score", awayScore)
		}
		home, err := strconv.ParseInt(homeScore, 10, 32)
		if err != nil || home < 0 {
			return nil, invalid(c.homeScore, "home_score", homeScore)
		}
		game.AwayScore = proto32(int32(away))
		game.HomeScore = proto32(int32(home))
		game.Status = messages.GameStatusFinal
	}

	game.Overtime = field(record, c.overtime) == "1"
	return game, nil
}

func proto32(n int32) *int32 { return &n }
