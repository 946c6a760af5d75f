// parseGeneral is adapted from readRecord in Go's encoding/csv (Go 1.26):
// Copyright 2011 The Go Authors. All rights reserved. Use of that source
// code is governed by the BSD-style license in LICENSE.golang beside this
// file.

package nflverse

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"unsafe"
)

// csvReader reads RFC 4180 CSV records like a csv.Reader with its default
// settings and ReuseRecord set: the same records, the same *csv.ParseError
// values and the same field positions. It is faster on nflverse's files
// because most records take a fast path, which reads a record that fits one
// line and has no doubled or misplaced quote in a single scan. Any other
// record goes through parseGeneral, adapted from encoding/csv's readRecord
// (see the notice at the top of this file).
//
// Like csv.Reader, it copies each record into one new string, so the
// fields may be kept after the next Read, unless transient is set.
type csvReader struct {
	reader  *bufio.Reader
	numLine int

	// fieldsPerRecord is the field count of the first record, which every
	// later record must have.
	fieldsPerRecord int

	// transient makes Read return strings that alias its buffers and are
	// valid only until the next Read, which saves a copy and an
	// allocation per record. The caller must copy what it keeps.
	transient bool

	rawBuffer      []byte
	recordBuffer   []byte
	fieldIndexes   []int
	fieldBounds    []int // start and end of each field in the line, for parseSimple
	fieldPositions []csvPosition
	record         []string
}

// csvPosition is the 1-based line and byte column where a field starts.
type csvPosition struct {
	line, column int
}

func newCSVReader(reader *bufio.Reader) *csvReader {
	return &csvReader{reader: reader}
}

// Read returns the next record or io.EOF. The slice is reused by the next
// call, but its strings are not.
func (r *csvReader) Read() ([]string, error) {
	line, errRead := r.readNonEmptyLine()
	if errRead == io.EOF {
		return nil, io.EOF
	}

	recordLine := r.numLine
	r.recordBuffer = r.recordBuffer[:0]
	r.fieldIndexes = r.fieldIndexes[:0]
	r.fieldBounds = r.fieldBounds[:0]
	r.fieldPositions = r.fieldPositions[:0]

	err := errRead
	simple := r.parseSimple(line)
	switch {
	case simple && r.transient:
		r.setRecordFromBounds(line)

	case simple:
		// The fast path parsed the record: copy its fields into one
		// buffer, as parseGeneral does.
		for i := 0; i < len(r.fieldBounds); i += 2 {
			r.recordBuffer = append(r.recordBuffer, line[r.fieldBounds[i]:r.fieldBounds[i+1]]...)
			r.fieldIndexes = append(r.fieldIndexes, len(r.recordBuffer))
		}
		r.setRecordFromBuffer()

	default:
		r.fieldPositions = r.fieldPositions[:0]
		err = r.parseGeneral(line, errRead, recordLine)
		r.setRecordFromBuffer()
	}

	if r.fieldsPerRecord == 0 {
		r.fieldsPerRecord = len(r.record)
	} else if len(r.record) != r.fieldsPerRecord && err == nil {
		err = &csv.ParseError{StartLine: recordLine, Line: recordLine, Column: 1, Err: csv.ErrFieldCount}
	}
	return r.record, err
}

// setRecordFromBuffer sets the record's fields to the parts of
// recordBuffer that fieldIndexes end.
func (r *csvReader) setRecordFromBuffer() {
	// One string holds every field of the record, as in encoding/csv,
	// unless the strings are transient.
	var text string
	if r.transient {
		text = unsafe.String(unsafe.SliceData(r.recordBuffer), len(r.recordBuffer))
	} else {
		text = string(r.recordBuffer)
	}

	r.record = slices.Grow(r.record[:0], len(r.fieldIndexes))[:len(r.fieldIndexes)]
	start := 0
	for i, end := range r.fieldIndexes {
		r.record[i] = text[start:end]
		start = end
	}
}

// setRecordFromBounds sets the record's fields to transient strings over
// the parts of line that fieldBounds delimit.
func (r *csvReader) setRecordFromBounds(line []byte) {
	fields := len(r.fieldBounds) / 2
	r.record = slices.Grow(r.record[:0], fields)[:fields]
	for i := range fields {
		start, end := r.fieldBounds[2*i], r.fieldBounds[2*i+1]
		r.record[i] = ""
		if end > start {
			r.record[i] = unsafe.String(&line[start], end-start)
		}
	}
}

// FieldPos returns the line and column where field of the last record
// starts. Like csv.Reader.FieldPos, it panics when field is out of range.
func (r *csvReader) FieldPos(field int) (line, column int) {
	if field < 0 || field >= len(r.fieldPositions) {
		panic("out of range index passed to FieldPos")
	}
	position := r.fieldPositions[field]
	return position.line, position.column
}

// readNonEmptyLine returns the next line that is not empty, with its line
// ending normalized to "\n".
func (r *csvReader) readNonEmptyLine() ([]byte, error) {
	for {
		line, err := r.readLine()
		if err == nil && len(line) == lengthNL(line) {
			continue
		}
		return line, err
	}
}

// readLine reads one line like encoding/csv: "\r\n" becomes "\n", and a
// "\r" before the end of the input is dropped.
func (r *csvReader) readLine() ([]byte, error) {
	line, err := r.reader.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.rawBuffer = append(r.rawBuffer[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.reader.ReadSlice('\n')
			r.rawBuffer = append(r.rawBuffer, line...)
		}
		line = r.rawBuffer
	}

	size := len(line)
	if size > 0 && err == io.EOF {
		err = nil
		if line[size-1] == '\r' {
			line = line[:size-1]
		}
	}
	r.numLine++

	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// parseSimple finds the fields of a record that fits line, whose quoted
// fields contain no quote and end with their closing quote before a comma
// or the end of the line. It appends the start and end of each field to
// fieldBounds and its position to fieldPositions. It reports false for any
// other record, and then clears fieldBounds.
func (r *csvReader) parseSimple(line []byte) bool {
	if !r.findSimpleFields(line) {
		r.fieldBounds = r.fieldBounds[:0]
		return false
	}
	return true
}

func (r *csvReader) findSimpleFields(line []byte) bool {
	body := line[:len(line)-lengthNL(line)]
	i := 0
	for {
		if i < len(body) && body[i] == '"' {
			end := bytes.IndexByte(body[i+1:], '"')
			if end < 0 {
				// The field goes on past this line or is not closed.
				return false
			}
			end += i + 1
			next := end + 1
			if next < len(body) && body[next] != ',' {
				// A doubled quote or a quote inside the field.
				return false
			}

			r.fieldBounds = append(r.fieldBounds, i+1, end)
			r.fieldPositions = append(r.fieldPositions, csvPosition{line: r.numLine, column: i + 1})
			if next >= len(body) {
				return true
			}
			i = next + 1
			continue
		}

		end := i
		for end < len(body) && body[end] != ',' {
			if body[end] == '"' {
				// A bare quote, which parseGeneral reports.
				return false
			}
			end++
		}

		r.fieldBounds = append(r.fieldBounds, i, end)
		r.fieldPositions = append(r.fieldPositions, csvPosition{line: r.numLine, column: i + 1})
		if end == len(body) {
			return true
		}
		i = end + 1
	}
}

// parseGeneral parses the record that starts with line, reading more lines
// for a quoted field that spans them. It follows encoding/csv's readRecord
// with a comma separator, strict quotes and no comments. It returns the
// parse error, else the error of the last line read, which may be nil.
func (r *csvReader) parseGeneral(line []byte, errRead error, recordLine int) error {
	const quoteLen = len(`"`)
	const commaLen = len(",")
	position := csvPosition{line: r.numLine, column: 1}

parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				return &csv.ParseError{StartLine: recordLine, Line: r.numLine, Column: position.column + j, Err: csv.ErrBareQuote}
			}

			r.recordBuffer = append(r.recordBuffer, field...)
			r.fieldIndexes = append(r.fieldIndexes, len(r.recordBuffer))
			r.fieldPositions = append(r.fieldPositions, position)
			if i < 0 {
				return errRead
			}
			line = line[i+commaLen:]
			position.column += i + commaLen
			continue parseField
		}

		fieldPosition := position
		line = line[quoteLen:]
		position.column += quoteLen
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				r.recordBuffer = append(r.recordBuffer, line[:i]...)
				line = line[i+quoteLen:]
				position.column += i + quoteLen

				switch {
				case len(line) > 0 && line[0] == '"':
					// A doubled quote is one quote of the field.
					r.recordBuffer = append(r.recordBuffer, '"')
					line = line[quoteLen:]
					position.column += quoteLen

				case len(line) > 0 && line[0] == ',':
					line = line[commaLen:]
					position.column += commaLen
					r.fieldIndexes = append(r.fieldIndexes, len(r.recordBuffer))
					r.fieldPositions = append(r.fieldPositions, fieldPosition)
					continue parseField

				case lengthNL(line) == len(line):
					r.fieldIndexes = append(r.fieldIndexes, len(r.recordBuffer))
					r.fieldPositions = append(r.fieldPositions, fieldPosition)
					return errRead

				default:
					return &csv.ParseError{StartLine: recordLine, Line: r.numLine, Column: position.column - quoteLen, Err: csv.ErrQuote}
				}

			case len(line) > 0:
				// The field goes on in the next line.
				r.recordBuffer = append(r.recordBuffer, line...)
				if errRead != nil {
					return errRead
				}
				position.column += len(line)
				line, errRead = r.readLine()
				if len(line) > 0 {
					position.line++
					position.column = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}

			default:
				// The input ended inside the quoted field.
				if errRead == nil {
					return &csv.ParseError{StartLine: recordLine, Line: position.line, Column: position.column, Err: csv.ErrQuote}
				}
				r.fieldIndexes = append(r.fieldIndexes, len(r.recordBuffer))
				r.fieldPositions = append(r.fieldPositions, fieldPosition)
				return errRead
			}
		}
	}
}

// lengthNL returns 1 when line ends with "\n", else 0.
func lengthNL(line []byte) int {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		return 1
	}
	return 0
}
