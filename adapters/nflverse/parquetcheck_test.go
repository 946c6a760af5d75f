package nflverse

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// twoColumnRow is a row of the files the guard tests patch: an optional string
// column, which has definition levels, and a dictionary-encoded one.
type twoColumnRow struct {
	Name *string `parquet:"name,optional"`
	Team string  `parquet:"team,dict"`
}

// writeTwoColumnParquet writes 100 rows with every third name null and three teams,
// in one row group of one page per column.
func writeTwoColumnParquet(t *testing.T, pageVersion int, codec compress.Codec) []byte {
	t.Helper()
	teams := []string{"KC", "BUF", "DET"}
	rows := make([]twoColumnRow, 100)
	for i := range rows {
		if i%3 != 0 {
			rows[i].Name = text("player")
		}
		rows[i].Team = teams[i%len(teams)]
	}

	var buffer bytes.Buffer
	writer := parquet.NewGenericWriter[twoColumnRow](&buffer, parquet.DataPageVersion(pageVersion), parquet.Compression(codec))
	if _, err := writer.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return buffer.Bytes()
}

// pageEdit changes the header and returns the new compressed bytes of a
// page. rewritePage sets compressed_page_size and the CRC to match them.
type pageEdit func(t *testing.T, header *format.PageHeader, body []byte) []byte

// rewritePage returns a copy of the parquet file data in which page
// pageIndex of the column chunk of row group 0 and column column is
// replaced by what edit makes of it. Because the new page header and
// bytes may be longer or shorter than the old ones, it moves every later
// byte and shifts the offsets in the footer to match. It leaves the page
// locations inside the offset index stale, which openParquetTable does not
// read.
func rewritePage(t *testing.T, data []byte, column, pageIndex int, edit pageEdit) []byte {
	t.Helper()
	var protocol thrift.CompactProtocol

	footerLength := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footerStart := len(data) - 8 - footerLength
	var metadata format.FileMetaData
	if err := thrift.Unmarshal(&protocol, data[footerStart:len(data)-8], &metadata); err != nil {
		t.Fatalf("decode footer: %v", err)
	}

	chunk := &metadata.RowGroups[0].Columns[column].MetaData
	pageStart := chunk.DataPageOffset
	if chunk.DictionaryPageOffset != 0 {
		pageStart = chunk.DictionaryPageOffset
	}
	var header format.PageHeader
	var headerLength int
	for page := 0; ; page++ {
		reader := protocol.NewReaderFromBytes(data[pageStart:])
		header = format.PageHeader{}
		if err := thrift.NewDecoder(reader).Decode(&header); err != nil {
			t.Fatalf("decode header of page %d: %v", page, err)
		}
		headerLength = reader.BytesRead()
		if page == pageIndex {
			break
		}
		pageStart += int64(headerLength) + int64(header.CompressedPageSize)
	}
	bodyStart := pageStart + int64(headerLength)
	pageEnd := bodyStart + int64(header.CompressedPageSize)

	body := edit(t, &header, bytes.Clone(data[bodyStart:pageEnd]))
	header.CompressedPageSize = int32(len(body))
	if header.CRC != 0 {
		header.CRC = int32(crc32.ChecksumIEEE(body))
	}
	newHeader, err := thrift.Marshal(&protocol, &header)
	if err != nil {
		t.Fatalf("encode page header: %v", err)
	}
	delta := int64(len(newHeader)+len(body)) - (pageEnd - pageStart)

	shift := func(offset *int64) {
		if *offset > pageStart {
			*offset += delta
		}
	}
	for g := range metadata.RowGroups {
		rowGroup := &metadata.RowGroups[g]
		shift(&rowGroup.FileOffset)
		for c := range rowGroup.Columns {
			columnChunk := &rowGroup.Columns[c]
			shift(&columnChunk.FileOffset)
			shift(&columnChunk.MetaData.DataPageOffset)
			shift(&columnChunk.MetaData.DictionaryPageOffset)
			shift(&columnChunk.MetaData.IndexPageOffset)
			shift(&columnChunk.MetaData.BloomFilterOffset)
			shift(&columnChunk.ColumnIndexOffset)
			shift(&columnChunk.OffsetIndexOffset)
		}
	}
	chunk.TotalCompressedSize += delta

	footer, err := thrift.Marshal(&protocol, &metadata)
	if err != nil {
		t.Fatalf("encode footer: %v", err)
	}
	var out bytes.Buffer
	out.Write(data[:pageStart])
	out.Write(newHeader)
	out.Write(body)
	out.Write(data[pageEnd:footerStart])
	out.Write(footer)
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(footer))))
	out.WriteString("PAR1")
	return out.Bytes()
}

// hugeRun is an RLE run of 2^30 copies of the one-byte value 1: the
// uvarint run header 2^30<<1 followed by the value.
var hugeRun = append(binary.AppendUvarint(nil, 1<<31), 1)

// replaceDefinitionLevels makes the definition levels of a data page one
// hugeRun, on a page of an optional column whose levels come first.
func replaceDefinitionLevels(t *testing.T, header *format.PageHeader, body []byte) []byte {
	switch header.Type {
	case format.DataPage:
		// The levels lead the uncompressed page behind a 4-byte length.
		length := binary.LittleEndian.Uint32(body)
		body = append(binary.LittleEndian.AppendUint32(nil, uint32(len(hugeRun))), append(hugeRun, body[4+length:]...)...)
		header.UncompressedPageSize = int32(len(body))
	case format.DataPageV2:
		// The levels lead the page uncompressed, with their length in the
		// header, and the uncompressed size counts them.
		page := &header.DataPageHeaderV2.V
		values := body[page.DefinitionLevelsByteLength:]
		header.UncompressedPageSize += int32(len(hugeRun)) - page.DefinitionLevelsByteLength
		page.DefinitionLevelsByteLength = int32(len(hugeRun))
		body = append(bytes.Clone(hugeRun), values...)
	default:
		t.Fatalf("page type %s, want a data page", header.Type)
	}
	return body
}

// replaceDictionaryIndexes makes the dictionary indexes of a data page of
// a required column one hugeRun after the bit-width byte, compressing the
// page again with codec.
func replaceDictionaryIndexes(codec compress.Codec) pageEdit {
	return func(t *testing.T, header *format.PageHeader, body []byte) []byte {
		values, err := codec.Decode(nil, body)
		if err != nil {
			t.Fatalf("decompress page: %v", err)
		}
		if len(values) == 0 || values[0] == 0 {
			t.Fatalf("page values %x do not start with a dictionary index bit width", values)
		}
		values = append([]byte{values[0]}, hugeRun...)
		header.UncompressedPageSize = int32(len(values))

		body, err = codec.Encode(nil, values)
		if err != nil {
			t.Fatalf("compress page: %v", err)
		}
		return body
	}
}

func declareHugeUncompressedSize(t *testing.T, header *format.PageHeader, body []byte) []byte {
	header.UncompressedPageSize = math.MaxInt32
	return body
}

// readAllParquet reads every row of a parquet file with openParquetTable,
// as the readers of each dataset do.
func readAllParquet(data []byte) error {
	table, err := openParquetTable(bytes.NewReader(data), int64(len(data)), "crafted.parquet")
	if err != nil {
		return err
	}
	defer table.closer.Close()
	for {
		if _, err := table.reader.Read(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestCheckParquetPagesRejectsCraftedPages(t *testing.T) {
	tests := []struct {
		name        string
		pageVersion int
		codec       compress.Codec
		column      int
		page        int
		edit        pageEdit
		want        []string
	}{
		{"level run v1", 1, &parquet.Uncompressed, 0, 0, replaceDefinitionLevels,
			[]string{`row group 0 column "name" page 0`, "definition level runs claim at least 1073741824 values, page header declares 100"}},
		{"level run v2", 2, &parquet.Zstd, 0, 0, replaceDefinitionLevels,
			[]string{`row group 0 column "name" page 0`, "definition level runs claim at least 1073741824 values, page header declares 100"}},
		{"dictionary index run v1", 1, &parquet.Uncompressed, 1, 1, replaceDictionaryIndexes(&parquet.Uncompressed),
			[]string{`row group 0 column "team" page 1`, "dictionary index runs claim at least 1073741824 values, page header declares 100"}},
		{"dictionary index run v2", 2, &parquet.Zstd, 1, 1, replaceDictionaryIndexes(&parquet.Zstd),
			[]string{`row group 0 column "team" page 1`, "dictionary index runs claim at least 1073741824 values, page header declares 100"}},
		{"uncompressed size data page", 2, &parquet.Zstd, 0, 0, declareHugeUncompressedSize,
			[]string{`row group 0 column "name" page 0`, "uncompressed_page_size 2147483647"}},
		{"uncompressed size dictionary page", 1, &parquet.Snappy, 1, 0, declareHugeUncompressedSize,
			[]string{`row group 0 column "team" page 0`, "uncompressed_page_size 2147483647"}},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			original := writeTwoColumnParquet(t, test.pageVersion, test.codec)
			if err := readAllParquet(original); err != nil {
				t.Fatalf("unpatched file: %v", err)
			}
			crafted := rewritePage(t, original, test.column, test.page, test.edit)

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := readAllParquet(crafted)
			runtime.ReadMemStats(&after)

			// Without the guard each of these files makes parquet-go
			// allocate at least 1 GiB.
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 16<<20 {
				t.Errorf("reading the file allocated %d bytes, want at most 16 MiB", allocated)
			}
			if err == nil {
				t.Fatal("crafted file was read without error")
			}
			for _, want := range test.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if !strings.HasPrefix(err.Error(), "read crafted.parquet: parquet: ") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestCheckParquetPagesAcceptsCodecs(t *testing.T) {
	codecs := []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Zstd}
	for _, pageVersion := range []int{1, 2} {
		for _, codec := range codecs {
			data := writeTwoColumnParquet(t, pageVersion, codec)
			if err := readAllParquet(data); err != nil {
				t.Errorf("page version %d, codec %s: %v", pageVersion, codec, err)
			}
		}
	}
}

func TestCheckParquetPagesRejectsLZ4(t *testing.T) {
	data := writeTwoColumnParquet(t, 2, &parquet.Lz4Raw)

	err := readAllParquet(data)
	if err == nil || !strings.Contains(err.Error(), "compression codec LZ4_RAW is not supported") {
		t.Errorf("error = %v, want one naming the unsupported codec LZ4_RAW", err)
	}
}

func TestCheckParquetPagesRejectsWrongDecompressedSize(t *testing.T) {
	original := writeTwoColumnParquet(t, 1, &parquet.Zstd)
	crafted := rewritePage(t, original, 0, 0, func(t *testing.T, header *format.PageHeader, body []byte) []byte {
		header.UncompressedPageSize--
		return body
	})

	err := readAllParquet(crafted)
	if err == nil || !strings.Contains(err.Error(), `row group 0 column "name" page 0: page decompresses to more than`) {
		t.Errorf("error = %v, want one saying the page decompresses to more than its header declares", err)
	}
}

func TestCheckParquetFooterRejectsHugeList(t *testing.T) {
	// The footer is a FileMetaData whose field 1, version, is the i32 2
	// and whose field 2, schema, is a list that declares 2^24 structs
	// but holds none. parquet-go allocates about 1.6 GB for the list
	// before it finds the bytes missing.
	footer := []byte{0x15, 0x04, 0x19, 0xfc}
	footer = binary.AppendUvarint(footer, 1<<24)
	footer = append(footer, 0x00, 0x00)
	data := append([]byte("PAR1"), footer...)
	data = binary.LittleEndian.AppendUint32(data, uint32(len(footer)))
	data = append(data, "PAR1"...)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := readAllParquet(data)
	runtime.ReadMemStats(&after)

	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("reading the file allocated %d bytes, want at most 1 MiB", allocated)
	}
	want := "read crafted.parquet: parquet: invalid footer at byte 8: container declares 16777216 elements, but only 2 bytes are left"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestCheckParquetFooterAcceptsWrittenFiles(t *testing.T) {
	for _, pageVersion := range []int{1, 2} {
		data := writeTwoColumnParquet(t, pageVersion, &parquet.Zstd)
		if err := checkParquetFooter(bytes.NewReader(data), int64(len(data))); err != nil {
			t.Errorf("page version %d: %v", pageVersion, err)
		}
	}
	data := smallStatsParquet(t)
	if err := checkParquetFooter(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Errorf("small stats file: %v", err)
	}
}
