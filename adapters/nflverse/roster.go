package nflverse

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/nflsync/nflsync/messages"
)

var requiredRosterColumns = [][]string{
	{"season"}, {"gsis_id"}, {"full_name"}, {"team"}, {"position"}, {"status"},
}

// ReadRoster reads a season roster file (roster_<season>.csv), plain or
// gzip. name is the file name used in errors and logs.
//
// Rows with an empty gsis_id have no key, so they are skipped. The number
// skipped is logged once per file at info level. The espn_id, week and
// jersey_number columns are optional, and an empty week is 0.
func ReadRoster(r io.Reader, name string) ([]*messages.RosterEntry, error) {
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readRoster(t)
}

// ReadRosterParquet reads the parquet form of the same file. It returns the same
// messages as ReadRoster for the same data; see openParquetTable for how
// parquet values become CSV fields.
func ReadRosterParquet(r io.ReaderAt, size int64, name string) ([]*messages.RosterEntry, error) {
	t, err := openParquetTable(r, size, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readRoster(t)
}

func readRoster(t *table) ([]*messages.RosterEntry, error) {
	if err := t.requireColumns("roster", requiredRosterColumns); err != nil {
		return nil, err
	}
	season := t.index("season")
	gsisID := t.index("gsis_id")
	fullName := t.index("full_name")
	team := t.index("team")
	position := t.index("position")
	status := t.index("status")
	espnID := t.index("espn_id")
	week := t.index("week")
	jerseyNumber := t.index("jersey_number")

	var entries []*messages.RosterEntry
	skipped := 0
	for {
		record, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}

		entry := &messages.RosterEntry{
			GsisId:       nullableText(record, gsisID),
			FullName:     nullableText(record, fullName),
			Team:         nullableText(record, team),
			Position:     nullableText(record, position),
			Status:       nullableText(record, status),
			EspnId:       nullableText(record, espnID),
			JerseyNumber: nullableText(record, jerseyNumber),
		}
		if entry.GsisId == "" {
			skipped++
			continue
		}

		if entry.Season, err = parseColumnNumber(t, record, season, "season", minSeason, maxSeason); err != nil {
			return nil, fmt.Errorf("read roster %w", err)
		}
		if week >= 0 && !isNull(field(record, week)) {
			if entry.Week, err = parseColumnNumber(t, record, week, "week", 0, maxWeek); err != nil {
				return nil, fmt.Errorf("read roster %w", err)
			}
		}
		entries = append(entries, entry)
	}

	if skipped > 0 {
		slog.Info("skipped roster rows without gsis_id", "file", t.name, "rows", skipped)
	}
	return entries, nil
}

// parseColumnNumber parses an integer column and returns an error naming
// the file, line and column when it is not within [minimum, maximum].
func parseColumnNumber(t *table, record []string, column int, header string, minimum, maximum int64) (int32, error) {
	value := field(record, column)
	n, ok := parseKeyNumber(value, minimum, maximum)
	if !ok {
		return 0, fmt.Errorf("%s: %s, column %s: invalid value %q, expected an integer from %d to %d",
			t.name, t.position(column), header, value, minimum, maximum)
	}
	return n, nil
}
