// Package nflverse reads nflverse's published files (weekly player stats,
// schedules, rosters, injuries), as CSV, gzipped CSV or parquet, into
// nflsync's messages and decides the current season and week. It also
// implements messages.Source twice: Replay replays a finished season from
// local files, and HTTPSource polls the published release files.
//
// HTTPSource downloads the current season's whole stats file, so every poll
// returns every week: the week just played, the current week, and any
// correction to an earlier week, which the actors turn into deltas.
//
// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
package nflverse

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// gzipMagic is the first two bytes of every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// table is a CSV or parquet file opened for reading by column name. Both
// formats yield records of trimmed-on-demand strings, so that every reader
// parses one representation and the formats produce the same messages.
type table struct {
	name    string
	reader  recordReader
	columns map[string]int
	closer  io.Closer

	// unit is what a record position counts in errors: "line" for CSV,
	// "row" for parquet.
	unit string
}

// recordReader is the part of *csv.Reader that table uses. csvReader and
// the parquet reader implement it.
type recordReader interface {
	// Read returns the next record or io.EOF. The slice may be reused.
	Read() ([]string, error)

	// FieldPos returns the position of field of the last record: the line
	// for CSV, the 1-based row for parquet.
	FieldPos(field int) (line, column int)
}

// openTable opens r as CSV, decompressing it first when it starts with the
// gzip magic bytes, and reads the header line. name is the file name used in
// errors. Records are reused between calls to next.
func openTable(r io.Reader, name string) (*table, error) {
	buffered := bufio.NewReaderSize(r, 64<<10)

	source := buffered
	var closer io.Closer
	magic, err := buffered.Peek(len(gzipMagic))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(magic) == len(gzipMagic) && magic[0] == gzipMagic[0] && magic[1] == gzipMagic[1] {
		gz, err := gzip.NewReader(buffered)
		if err != nil {
			return nil, fmt.Errorf("read %s: gzip: %w", name, err)
		}
		prefetch := newPrefetchReader(gzipErrorReader{gz})
		source = bufio.NewReaderSize(prefetch, 64<<10)
		closer = prefetch
	}

	reader := newCSVReader(source)

	header, err := reader.Read()
	if err != nil && closer != nil {
		_ = closer.Close()
	}
	if err == io.EOF {
		return nil, fmt.Errorf("read %s: empty file, expected a CSV header line", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: header: %w", name, err)
	}

	columns := make(map[string]int, len(header))
	for i, column := range header {
		column = strings.TrimSpace(strings.TrimPrefix(column, "\ufeff"))
		if _, ok := columns[column]; !ok {
			columns[column] = i
		}
	}
	return &table{name: name, reader: reader, columns: columns, closer: closer, unit: "line"}, nil
}

// gzipErrorReader marks errors of the gzip stream, such as a truncated file,
// so that they read as decompression errors rather than CSV errors.
type gzipErrorReader struct{ reader io.Reader }

func (g gzipErrorReader) Read(p []byte) (int, error) {
	n, err := g.reader.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decompress gzip (truncated or corrupt file?): %w", err)
	}
	return n, err
}

// next returns the next record, or io.EOF after the last one. The slice is
// reused by the following call.
func (t *table) next() ([]string, error) {
	record, err := t.reader.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	return record, nil
}

// position returns where field column of the last record is, such as
// "line 12" for CSV or "row 11" for parquet.
func (t *table) position(column int) string {
	line, _ := t.reader.FieldPos(max(column, 0))
	return t.unit + " " + strconv.Itoa(line)
}

// close stops the read-ahead of a gzip file or closes the parquet reader.
// It does not close the caller's reader.
func (t *table) close() {
	if t.closer != nil {
		_ = t.closer.Close()
	}
}

// index returns the position of the first column with one of names, or -1.
func (t *table) index(names ...string) int {
	for _, name := range names {
		if i, ok := t.columns[name]; ok {
			return i
		}
	}
	return -1
}

// requireColumns returns an error that names the file and every missing
// column when the header lacks any of required. Each entry of required lists
// alternative names of one column, such as {"team", "recent_team"}.
func (t *table) requireColumns(kind string, required [][]string) error {
	var missing []string
	for _, alternatives := range required {
		if t.index(alternatives...) >= 0 {
			continue
		}
		description := alternatives[0]
		if len(alternatives) > 1 {
			description += " (or " + strings.Join(alternatives[1:], " or ") + ")"
		}
		missing = append(missing, description)
	}
	if len(missing) == 0 {
		return nil
	}

	sort.Strings(missing)
	return fmt.Errorf("read %s %s: missing required columns: %s", kind, t.name, strings.Join(missing, ", "))
}

// field returns the trimmed value of column i of record, or "" when i < 0.
func field(record []string, i int) string {
	if i < 0 {
		return ""
	}

	value := record[i]
	if value == "" {
		return value
	}
	first, last := value[0], value[len(value)-1]
	if first > ' ' && first < utf8.RuneSelf && last > ' ' && last < utf8.RuneSelf {
		// Most values start and end with a visible ASCII character, so they
		// need no trim.
		return value
	}
	return strings.TrimSpace(value)
}

// isNull reports whether a trimmed value is null: empty or NA.
func isNull(value string) bool {
	return value == "" || value == "NA"
}
