package nflverse

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/shopspring/decimal"
)

// parquetBatchRows is how many rows one ReadRows call decodes.
const parquetBatchRows = 512

// openParquetTable opens a parquet file for reading by column name, as
// openTable does for CSV. Every top-level leaf column becomes a field of the
// record, named by the column name, and values become the strings that
// nflverse's CSV writer (R data.table::fwrite) prints for them:
//
//   - null, NaN and ±Inf are "" (NA in the CSV files)
//   - INT32 and INT64 in decimal, DECIMAL columns with their scale
//   - DOUBLE and FLOAT with 15 significant digits, as fwrite does, so that
//     float noise is rounded away by the same rule as in CSV
//   - DATE as 2006-01-02 and TIMESTAMP as 2006-01-02T15:04:05Z in UTC
//   - BOOLEAN as TRUE or FALSE, and strings and byte arrays as they are
//
// Columns inside groups are named by their dotted path, and only the first
// value of a repeated column is read. nflverse files have neither.
//
// A malformed file is an error. parquet-go may panic on some damaged
// inputs; those panics are recovered and returned as errors. A file whose
// footer or page headers declare more than its bytes back is rejected
// before any row is read, because parquet-go allocates what they declare.
func openParquetTable(r io.ReaderAt, size int64, name string) (t *table, err error) {
	defer recoverParquet(name, &err)

	if err := checkParquetFooter(r, size); err != nil {
		return nil, fmt.Errorf("read %s: parquet: %w", name, err)
	}
	file, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("read %s: parquet: %w", name, err)
	}
	if err := checkParquetPages(file, r, size); err != nil {
		return nil, fmt.Errorf("read %s: parquet: %w", name, err)
	}

	reader := &parquetRecords{name: name, groups: file.RowGroups()}
	columns := make(map[string]int)
	for i, path := range file.Schema().Columns() {
		column := strings.TrimSpace(strings.TrimPrefix(strings.Join(path, "."), "\ufeff"))
		if _, ok := columns[column]; !ok {
			columns[column] = i
		}

		leaf, ok := file.Schema().Lookup(path...)
		if !ok || leaf.ColumnIndex != i {
			return nil, fmt.Errorf("read %s: parquet: schema column %q has no leaf %d", name, column, i)
		}
		format, err := parquetFormatter(leaf.Node.Type())
		if err != nil {
			return nil, fmt.Errorf("read %s: parquet: column %s: %w", name, column, err)
		}
		reader.formats = append(reader.formats, format)
	}
	reader.record = make([]string, len(reader.formats))

	return &table{name: name, reader: reader, columns: columns, closer: reader, unit: "row"}, nil
}

// recoverParquet turns a panic of parquet-go into an error of the reader.
func recoverParquet(name string, err *error) {
	if recovered := recover(); recovered != nil {
		*err = fmt.Errorf("read %s: parquet: invalid file (reader panicked: %v)", name, recovered)
	}
}

// parquetRecords reads the rows of every row group in file order as
// records. It implements recordReader and io.Closer.
type parquetRecords struct {
	name    string
	groups  []parquet.RowGroup
	formats []func(parquet.Value) string

	group  int          // index of the next row group to open
	rows   parquet.Rows // rows of the current row group, nil between groups
	batch  []parquet.Row
	next   int   // index in batch of the next row
	count  int   // rows in batch
	row    int64 // 1-based number of the last row returned
	record []string
}

// Read returns the next row as a record, or io.EOF after the last row of
// the last row group.
func (p *parquetRecords) Read() (record []string, err error) {
	defer recoverParquet(p.name, &err)

	for p.next >= p.count {
		if err := p.fill(); err != nil {
			return nil, err
		}
	}

	row := p.batch[p.next]
	p.next++
	p.row++

	clear(p.record)
	for _, value := range row {
		column := value.Column()
		if column < 0 || column >= len(p.record) || value.RepetitionLevel() > 0 || value.IsNull() {
			continue
		}
		p.record[column] = p.formats[column](value)
	}
	return p.record, nil
}

// fill reads the next batch of rows, opening the next row group when the
// current one is done. It returns io.EOF after the last row group.
//
// parquet-go trusts the sizes and run lengths in a file, so
// openParquetTable runs checkParquetFooter and checkParquetPages first.
// TODO: those checks bound what one decoded page per column costs by an
// estimate of parquet-go's allocations, not by measuring them, and a GZIP
// page's output is bounded only by DEFLATE's ratio of about 1032:1.
func (p *parquetRecords) fill() error {
	if p.rows == nil {
		if p.group >= len(p.groups) {
			return io.EOF
		}
		p.rows = p.groups[p.group].Rows()
		p.group++
	}
	if p.batch == nil {
		p.batch = make([]parquet.Row, parquetBatchRows)
	}

	n, err := p.rows.ReadRows(p.batch)
	p.next, p.count = 0, n
	if errors.Is(err, io.EOF) {
		closeErr := p.rows.Close()
		p.rows = nil
		if closeErr != nil {
			return fmt.Errorf("read %s: parquet: row group %d: %w", p.name, p.group-1, closeErr)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: parquet: row group %d: %w", p.name, p.group-1, err)
	}
	if n == 0 {
		return fmt.Errorf("read %s: parquet: row group %d: no rows read and no error", p.name, p.group-1)
	}
	return nil
}

// FieldPos returns the 1-based number of the last row read.
func (p *parquetRecords) FieldPos(int) (int, int) { return int(p.row), 0 }

// Close releases the rows of the current row group.
func (p *parquetRecords) Close() error {
	if p.rows == nil {
		return nil
	}
	err := p.rows.Close()
	p.rows = nil
	return err
}

// parquetFormatter returns the function that prints a non-null value of a
// column of type typ as nflverse's CSV writer would.
func parquetFormatter(typ parquet.Type) (func(parquet.Value) string, error) {
	var logical format.LogicalTypeValue
	if lt := typ.LogicalType(); lt != nil {
		logical = lt.Value
	}
	if decimalType, ok := logical.(*format.DecimalType); ok && (decimalType.Scale < 0 || decimalType.Scale > 38) {
		return nil, fmt.Errorf("invalid DECIMAL scale %d, expected 0 to 38", decimalType.Scale)
	}

	switch typ.Kind() {
	case parquet.Boolean:
		return formatBoolean, nil
	case parquet.Int32:
		switch logical := logical.(type) {
		case *format.DateType:
			return formatDate, nil
		case *format.DecimalType:
			scale := logical.Scale
			return func(v parquet.Value) string { return decimal.New(int64(v.Int32()), -scale).String() }, nil
		case *format.IntType:
			if !logical.IsSigned {
				return func(v parquet.Value) string { return strconv.FormatUint(uint64(v.Uint32()), 10) }, nil
			}
		}
		return func(v parquet.Value) string { return strconv.FormatInt(int64(v.Int32()), 10) }, nil
	case parquet.Int64:
		switch logical := logical.(type) {
		case *format.TimestampType:
			unit := time.Microsecond
			if logical.Unit.Value != nil {
				unit = logical.Unit.Value.Duration()
			}
			return func(v parquet.Value) string { return formatTimestamp(v.Int64(), unit) }, nil
		case *format.DecimalType:
			scale := logical.Scale
			return func(v parquet.Value) string { return decimal.New(v.Int64(), -scale).String() }, nil
		case *format.IntType:
			if !logical.IsSigned {
				return func(v parquet.Value) string { return strconv.FormatUint(v.Uint64(), 10) }, nil
			}
		}
		return func(v parquet.Value) string { return strconv.FormatInt(v.Int64(), 10) }, nil
	case parquet.Float:
		return func(v parquet.Value) string { return formatDouble(float64(v.Float())) }, nil
	case parquet.Double:
		return func(v parquet.Value) string { return formatDouble(v.Double()) }, nil
	default:
		// BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY and the deprecated INT96.
		return func(v parquet.Value) string { return string(v.ByteArray()) }, nil
	}
}

func formatBoolean(v parquet.Value) string {
	if v.Boolean() {
		return "TRUE"
	}
	return "FALSE"
}

// formatDouble prints f with 15 significant digits, the precision of
// fwrite, or "" for NaN and ±Inf, which are no stat values.
func formatDouble(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// formatDate prints a DATE value, days since 1970-01-01.
func formatDate(v parquet.Value) string {
	return time.Unix(int64(v.Int32())*86400, 0).UTC().Format(time.DateOnly)
}

// formatTimestamp prints a TIMESTAMP value of the given unit in UTC, with
// fractional seconds only when it has them.
func formatTimestamp(n int64, unit time.Duration) string {
	perSecond := int64(time.Second / unit)
	seconds, fraction := n/perSecond, n%perSecond
	if fraction < 0 {
		seconds--
		fraction += perSecond
	}
	return time.Unix(seconds, fraction*int64(unit)).UTC().Format("2006-01-02T15:04:05.999999999Z")
}
