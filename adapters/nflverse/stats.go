package nflverse

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// StatsFile is one weekly player stats file.
//
// Stat messages of integer and text values are shared between rows that
// have the same value in the same column (86% of a season's values are "0"),
// so a season's file needs one Stat allocation per distinct value rather
// than per value. They are also shared with the files read before, so that
// the player actors find an unchanged stat by comparing pointers. Treat
// every message in a StatsFile as read-only, and proto.Clone one before
// changing it.
type StatsFile struct {
	Players     []*messages.PlayerWeek // one per (season, week, player_id)
	Teams       []*messages.TeamWeek   // rows with empty player_id and empty position (team rows)
	Quarantined int                    // rows dropped: empty/NA player_id on a row that is not a team row, invalid season/week
	Duplicates  int                    // identical duplicate player-week rows collapsed into one
	Conflicts   int                    // conflicting duplicate rows: flagged; the first row in file order wins, never summed
}

// Weeks outside this range are invalid and their rows are quarantined.
// Regular season weeks are 1-18 and postseason weeks 19-22 since 2021.
const (
	minWeek = 1
	maxWeek = 22
)

// Seasons outside this range are invalid. nflverse data starts in 1999.
const (
	minSeason = 1999
	maxSeason = 2200
)

// ReadPlayerStats reads a weekly player stats file, plain or gzip: the
// current stats_player_week_<season> format or the older
// player_stats_<season> one, whose columns it renames to the current names.
// name is the file name used in errors.
//
// Team rows (empty player_id and position) go to Teams. Rows with a missing
// key are counted in Quarantined and dropped. A repeated (season, week,
// player_id) key keeps the first row and is counted in Duplicates when the
// rows are equal and in Conflicts when they differ. Team rows are keyed by
// (season, week, team) and counted the same way.
//
// A header without a required column, a value that is neither a number nor
// null in a numeric column, and a malformed CSV or gzip stream are errors.
func ReadPlayerStats(r io.Reader, name string) (*StatsFile, error) {
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readPlayerStats(t)
}

// ReadPlayerStatsParquet reads the parquet form of the same file. It returns the same
// messages as ReadPlayerStats for the same data; see openParquetTable for how
// parquet values become CSV fields.
func ReadPlayerStatsParquet(r io.ReaderAt, size int64, name string) (*StatsFile, error) {
	t, err := openParquetTable(r, size, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readPlayerStats(t)
}

func readPlayerStats(t *table) (*StatsFile, error) {
	if err := t.requireColumns("player stats", requiredStatsColumns); err != nil {
		return nil, err
	}

	// readRow copies every string that a row keeps, so the CSV reader
	// need not copy each record.
	if reader, ok := t.reader.(*csvReader); ok {
		reader.transient = true
	}
	plan := newStatsPlan(t)
	defer plan.release()

	file := &StatsFile{}
	// A season's file has about 19,000 player rows.
	players := make(map[playerWeekKey]*messages.PlayerWeek, 1<<14)
	teams := make(map[teamWeekKey]*messages.TeamWeek)
	for {
		record, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}

		if err := plan.readRow(t, record, file, players, teams); err != nil {
			return nil, err
		}
	}
	return file, nil
}

// requiredStatsColumns are the key columns, the team and every column of the
// fantasy points formula, with their older names as alternatives.
var requiredStatsColumns = [][]string{
	{"player_id"}, {"season"}, {"week"}, {"team", "recent_team"},
	{"passing_yards"}, {"passing_tds"}, {"passing_interceptions", "interceptions"},
	{"rushing_yards"}, {"rushing_tds"}, {"receiving_yards"}, {"receiving_tds"},
	{"receptions"}, {"special_teams_tds"},
	{"passing_2pt_conversions"}, {"rushing_2pt_conversions"}, {"receiving_2pt_conversions"},
	{"sack_fumbles_lost"}, {"rushing_fumbles_lost"}, {"receiving_fumbles_lost"},
}

var knownStatsColumns = func() map[string]bool {
	known := make(map[string]bool, len(messages.StatsColumns)+len(messages.OlderStatsColumns))
	for _, column := range messages.StatsColumns {
		known[column] = true
	}
	for column := range messages.OlderStatsColumns {
		known[column] = true
	}
	return known
}()

type playerWeekKey struct {
	season, week int32
	playerID     string
}

type teamWeekKey struct {
	season, week int32
	team         string
}

// statsPlan is the column layout of one file header and the interned stats.
type statsPlan struct {
	playerID, playerName, playerDisplayName, position    int
	team, opponentTeam, gameID, season, week, seasonType int

	columns []*statColumn    // sorted by stat name
	slab    []*messages.Stat // backing array of the rows' Stats slices

	// release hands the shared value tables back; see borrowStatValues.
	release func()
}

// statColumn is one header column that becomes a Stat.
type statColumn struct {
	name   string // stat name, the current column name
	header string // column name in the file
	index  int
	text   bool
	negate bool // sack_yards is positive, sack_yards_lost is zero or negative

	*statValues
}

func newStatsPlan(t *table) *statsPlan {
	plan := &statsPlan{
		playerID:          t.index("player_id"),
		playerName:        t.index("player_name"),
		playerDisplayName: t.index("player_display_name"),
		position:          t.index("position"),
		team:              t.index("team", "recent_team"),
		opponentTeam:      t.index("opponent_team"),
		gameID:            t.index("game_id"),
		season:            t.index("season"),
		week:              t.index("week"),
		seasonType:        t.index("season_type"),
	}
	valuesOf, release := borrowStatValues()
	plan.release = release

	byName := make(map[string]*statColumn)
	for header, index := range t.columns {
		if !knownStatsColumns[header] || messages.IdentityStatsColumns[header] {
			continue
		}

		name, older := messages.OlderStatsColumns[header]
		if !older {
			name = header
		}
		if messages.IdentityStatsColumns[name] {
			continue
		}
		if existing, ok := byName[name]; ok && existing.header == name {
			// The current column wins over its older name.
			continue
		}

		values := valuesOf(header, name)
		byName[name] = &statColumn{
			name:       values.zero.GetName(),
			header:     header,
			index:      index,
			text:       messages.TextStatsColumns[name],
			negate:     header == "sack_yards",
			statValues: values,
		}
	}

	for _, column := range byName {
		plan.columns = append(plan.columns, column)
	}
	sort.Slice(plan.columns, func(i, j int) bool { return plan.columns[i].name < plan.columns[j].name })
	return plan
}

// readRow adds one record to file.
func (p *statsPlan) readRow(t *table, record []string, file *StatsFile,
	players map[playerWeekKey]*messages.PlayerWeek, teams map[teamWeekKey]*messages.TeamWeek) error {
	playerID := nullableText(record, p.playerID)
	position := nullableText(record, p.position)
	team := nullableText(record, p.team)
	season, seasonOK := parseKeyNumber(field(record, p.season), minSeason, maxSeason)
	week, weekOK := parseKeyNumber(field(record, p.week), minWeek, maxWeek)

	teamRow := playerID == "" && position == ""
	if !seasonOK || !weekOK || (playerID == "" && !teamRow) || (teamRow && team == "") {
		file.Quarantined++
		return nil
	}

	stats, err := p.readStats(t, record)
	if err != nil {
		return err
	}

	if teamRow {
		texts := [...]string{team, nullableText(record, p.opponentTeam), nullableText(record, p.gameID)}
		ownStrings(texts[:])
		row := &messages.TeamWeek{
			Season:       season,
			Week:         week,
			Team:         texts[0],
			OpponentTeam: texts[1],
			GameId:       texts[2],
			Stats:        stats,
		}
		key := teamWeekKey{season: season, week: week, team: row.Team}
		if first, ok := teams[key]; ok {
			countRepeat(file, proto.Equal(first, row))
			return nil
		}
		teams[key] = row
		file.Teams = append(file.Teams, row)
		return nil
	}

	texts := [...]string{
		nullableText(record, p.seasonType), playerID, nullableText(record, p.playerName),
		nullableText(record, p.playerDisplayName), position, team,
		nullableText(record, p.opponentTeam), nullableText(record, p.gameID),
	}
	ownStrings(texts[:])
	row := &messages.PlayerWeek{
		Season:            season,
		Week:              week,
		SeasonType:        texts[0],
		PlayerId:          texts[1],
		PlayerName:        texts[2],
		PlayerDisplayName: texts[3],
		Position:          texts[4],
		Team:              texts[5],
		OpponentTeam:      texts[6],
		GameId:            texts[7],
		Stats:             stats,
	}
	key := playerWeekKey{season: season, week: week, playerID: row.PlayerId}
	if first, ok := players[key]; ok {
		countRepeat(file, proto.Equal(first, row))
		return nil
	}
	players[key] = row
	file.Players = append(file.Players, row)
	return nil
}

func countRepeat(file *StatsFile, equal bool) {
	if equal {
		file.Duplicates++
	} else {
		file.Conflicts++
	}
}

// readStats returns the non-null stats of record, sorted by name. The slice
// is carved out of a shared block with its capacity equal to its length, so
// an append by the caller copies it.
func (p *statsPlan) readStats(t *table, record []string) ([]*messages.Stat, error) {
	if cap(p.slab)-len(p.slab) < len(p.columns) {
		p.slab = make([]*messages.Stat, 0, max(len(p.columns), 1<<16))
	}
	start := len(p.slab)

	for _, column := range p.columns {
		value := field(record, column.index)
		if isNull(value) {
			continue
		}
		if value == "0" && !column.text {
			// The most common value, checked here to save a call.
			p.slab = append(p.slab, column.zero)
			continue
		}

		stat, err := column.stat(value)
		if err != nil {
			p.slab = p.slab[:start]
			return nil, fmt.Errorf("read player stats %s: %s, column %s: %w",
				t.name, t.position(column.index), column.header, err)
		}
		p.slab = append(p.slab, stat)
	}

	end := len(p.slab)
	if end == start {
		return nil, nil
	}
	return p.slab[start:end:end], nil
}

// stat returns the Stat of a non-null trimmed value, shared with earlier
// rows that had the same value where that saves memory.
func (c *statColumn) stat(value string) (*messages.Stat, error) {
	if c.text {
		return c.interned(value)
	}

	if value == "0" {
		return c.zero, nil
	}
	if n, ok := smallNumber(value); ok {
		// Most non-zero values are small counts and yards, so an array
		// lookup replaces the map lookup.
		if c.small[n] == nil {
			stat, err := c.newStat(strings.Clone(value))
			if err != nil {
				return nil, err
			}
			c.small[n] = stat
		}
		return c.small[n], nil
	}
	if strings.IndexByte(value, '.') >= 0 {
		// Decimals such as EPA are mostly unique, so interning them would
		// cost a map insert and save nothing.
		return c.newStat(strings.Clone(value))
	}
	return c.interned(value)
}

func (c *statColumn) interned(value string) (*messages.Stat, error) {
	if stat, ok := c.values[value]; ok {
		return stat, nil
	}

	owned := strings.Clone(value)
	stat, err := c.newStat(owned)
	if err != nil {
		return nil, err
	}
	c.values[owned] = stat
	return stat, nil
}

// newStat returns a new Stat of a value that the caller owns: a copy of a
// transient record field.
func (c *statColumn) newStat(value string) (*messages.Stat, error) {
	if c.text {
		return &messages.Stat{Name: c.name, Value: value}, nil
	}

	canonical, ok := canonicalNumber(value)
	if !ok {
		return nil, fmt.Errorf("invalid number %q", value)
	}
	if c.negate {
		canonical = negateCanonical(canonical)
	}
	return &messages.Stat{Name: c.name, Value: canonical}, nil
}

// smallNumber parses "1" to "99" without leading zeros.
func smallNumber(value string) (int, bool) {
	switch {
	case len(value) == 1 && value[0] >= '1' && value[0] <= '9':
		return int(value[0] - '0'), true
	case len(value) == 2 && value[0] >= '1' && value[0] <= '9' && value[1] >= '0' && value[1] <= '9':
		return int(value[0]-'0')*10 + int(value[1]-'0'), true
	}
	return 0, false
}

// ownStrings replaces texts with copies that share one new allocation,
// because the record's strings are transient.
func ownStrings(texts []string) {
	size := 0
	for _, text := range texts {
		size += len(text)
	}
	if size == 0 {
		return
	}

	var builder strings.Builder
	builder.Grow(size)
	for _, text := range texts {
		builder.WriteString(text)
	}

	all := builder.String()
	offset := 0
	for i, text := range texts {
		texts[i] = all[offset : offset+len(text)]
		offset += len(text)
	}
}

// nullableText returns the trimmed text of column i, or "" when it is null.
func nullableText(record []string, i int) string {
	value := field(record, i)
	if isNull(value) {
		return ""
	}
	return value
}

// parseKeyNumber parses an integer key column such as season or week and
// reports whether it lies within [minimum, maximum].
func parseKeyNumber(value string, minimum, maximum int64) (int32, bool) {
	n, err := strconv.ParseInt(value, 10, 32)
	if err != nil || n < minimum || n > maximum {
		return 0, false
	}
	return int32(n), true
}
