package nflverse

import (
	"fmt"
	"io"

	"github.com/nflsync/nflsync/messages"
)

var requiredInjuryColumns = [][]string{
	{"season"}, {"week"}, {"gsis_id"}, {"full_name"}, {"team"}, {"position"},
	{"report_status"}, {"report_primary_injury"}, {"practice_status"}, {"date_modified"},
}

// ReadInjuries reads a season injuries file (injuries_<season>.csv), plain
// or gzip. name is the file name used in errors.
//
// Values are trimmed, so the file's newline-and-spaces placeholders become
// empty strings. The season type column is not read, so both its names
// (game_type in published files, season_type in the nflreadr dictionary)
// are accepted. Rows with an empty gsis_id have no key and are skipped.
func ReadInjuries(r io.Reader, name string) ([]*messages.Injury, error) {
	t, err := openTable(r, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readInjuries(t)
}

// ReadInjuriesParquet reads the parquet form of the same file. It returns the same
// messages as ReadInjuries for the same data; see openParquetTable for how
// parquet values become CSV fields.
func ReadInjuriesParquet(r io.ReaderAt, size int64, name string) ([]*messages.Injury, error) {
	t, err := openParquetTable(r, size, name)
	if err != nil {
		return nil, err
	}
	defer t.close()

	return readInjuries(t)
}

func readInjuries(t *table) ([]*messages.Injury, error) {
	if err := t.requireColumns("injuries", requiredInjuryColumns); err != nil {
		return nil, err
	}
	season := t.index("season")
	week := t.index("week")
	gsisID := t.index("gsis_id")
	fullName := t.index("full_name")
	team := t.index("team")
	position := t.index("position")
	reportStatus := t.index("report_status")
	reportPrimaryInjury := t.index("report_primary_injury")
	practiceStatus := t.index("practice_status")
	dateModified := t.index("date_modified")

	var injuries []*messages.Injury
	for {
		record, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}

		injury := &messages.Injury{
			GsisId:              nullableText(record, gsisID),
			FullName:            nullableText(record, fullName),
			Team:                nullableText(record, team),
			Position:            nullableText(record, position),
			ReportStatus:        nullableText(record, reportStatus),
			ReportPrimaryInjury: nullableText(record, reportPrimaryInjury),
			PracticeStatus:      nullableText(record, practiceStatus),
			DateModified:        nullableText(record, dateModified),
		}
		if injury.GsisId == "" {
			continue
		}

		if injury.Season, err = parseColumnNumber(t, record, season, "season", minSeason, maxSeason); err != nil {
			return nil, fmt.Errorf("read injuries %w", err)
		}
		if injury.Week, err = parseColumnNumber(t, record, week, "week", minWeek, maxWeek); err != nil {
			return nil, fmt.Errorf("read injuries %w", err)
		}
		injuries = append(injuries, injury)
	}
	return injuries, nil
}
