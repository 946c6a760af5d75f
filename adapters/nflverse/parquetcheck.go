package nflverse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go v0.32.1 trusts the sizes and counts in page headers and RLE run
// headers: it allocates a page header's uncompressed_page_size before
// decompressing, one byte per declared value for each level stream, and
// decodes every RLE run to its full claimed length whatever the page's
// num_values declares. A file of a few hundred bytes can so make it allocate
// gigabytes. checkParquetPages reads every page once before parquet-go
// does and rejects a file whose claims its bytes do not back.
const (
	// maxCompressionRatio bounds a page's uncompressed_page_size relative
	// to its compressed_page_size, above minPageBudget. zstd can reach
	// about 32000:1 on a run of one byte, but pages that compress that well
	// are far smaller than minPageBudget in files written by Arrow or
	// parquet-go, whose default page sizes are 1 MiB and 256 KiB.
	maxCompressionRatio = 1024

	// minPageBudget is the uncompressed_page_size any page may declare
	// whatever its compressed size.
	minPageBudget = 16 << 20

	// decodeBytesPerValue estimates what parquet-go allocates per value of a
	// decoded page: a byte per definition and repetition level, and a
	// 4-byte offset or dictionary index.
	decodeBytesPerValue = 16

	// minDecodeBudget and decodeBudgetPerFileByte bound the estimated
	// memory of one decoded page per column of a row group, because
	// parquet-go keeps the current page of every column while it reads
	// rows. The estimate is the page's uncompressed size plus
	// decodeBytesPerValue per value. The floor admits small files whose
	// all-null or constant columns encode a million values in a few bytes.
	minDecodeBudget         = 256 << 20
	decodeBudgetPerFileByte = 64
)

// zstdDecoder decompresses pages for checkParquetPages. With
// WithDecodeAllCapLimit it stops at the capacity of the output buffer, so
// a page that decompresses to more than its header declares costs no more
// than the declared size.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true))
})

// pageChecker walks the pages of one column chunk.
type pageChecker struct {
	rowGroup int
	column   string
	codec    format.CompressionCodec
	leaf     parquet.LeafColumn

	// chunkValues and chunkUncompressed are the column chunk's num_values
	// and total_uncompressed_size from the file footer.
	chunkValues       int64
	chunkUncompressed int64

	page         int
	values       int64 // data page values seen so far in the chunk
	buffer       []byte
	peakEstimate int64 // largest estimated decode size of one data page
}

// checkParquetPages reads the page headers and level and dictionary-index
// runs of every column chunk of file, which r contains in size bytes. It
// returns an error naming the row group, column and page of the first
// claim that the file's bytes do not back.
func checkParquetPages(file *parquet.File, r io.ReaderAt, size int64) error {
	metadata := file.Metadata()
	paths := file.Schema().Columns()
	budget := max(int64(minDecodeBudget), decodeBudgetPerFileByte*size)

	var chunk []byte
	for g, rowGroup := range metadata.RowGroups {
		if len(rowGroup.Columns) != len(paths) {
			return fmt.Errorf("row group %d has %d column chunks, schema has %d leaf columns", g, len(rowGroup.Columns), len(paths))
		}

		var rowGroupEstimate int64
		for c, column := range rowGroup.Columns {
			leaf, ok := file.Schema().Lookup(paths[c]...)
			if !ok {
				return fmt.Errorf("row group %d: schema column %q has no leaf", g, strings.Join(paths[c], "."))
			}
			checker := &pageChecker{
				rowGroup:          g,
				column:            strings.Join(paths[c], "."),
				codec:             column.MetaData.Codec,
				leaf:              leaf,
				chunkValues:       column.MetaData.NumValues,
				chunkUncompressed: column.MetaData.TotalUncompressedSize,
			}

			var err error
			chunk, err = checker.readChunk(r, size, &column, chunk)
			if err != nil {
				return err
			}
			estimate, err := checker.checkChunk(chunk)
			if err != nil {
				return err
			}
			rowGroupEstimate += estimate
		}

		if rowGroupEstimate > budget {
			return fmt.Errorf("row group %d: decoding one page per column needs an estimated %d bytes, above the limit of %d bytes for a file of %d bytes",
				g, rowGroupEstimate, budget, size)
		}
	}
	return nil
}

// readChunk reads the bytes of a column chunk into buffer, after checking
// that they lie inside the file.
func (p *pageChecker) readChunk(r io.ReaderAt, size int64, column *format.ColumnChunk, buffer []byte) ([]byte, error) {
	metadata := &column.MetaData
	if column.CryptoMetadata.Value != nil || len(column.EncryptedColumnMetadata) > 0 {
		return nil, p.errorf("encrypted column chunks are not supported")
	}
	if column.FilePath != "" {
		return nil, p.errorf("column chunk is in another file %q, which is not supported", column.FilePath)
	}
	switch metadata.Codec {
	case format.Uncompressed, format.Snappy, format.Zstd, format.Gzip:
	default:
		return nil, p.errorf("compression codec %s is not supported, expected UNCOMPRESSED, SNAPPY, GZIP or ZSTD", metadata.Codec)
	}

	start := metadata.DataPageOffset
	if metadata.DictionaryPageOffset != 0 {
		start = metadata.DictionaryPageOffset
	}
	length := metadata.TotalCompressedSize
	if start < 4 || length < 0 || start > size || length > size-start {
		return nil, p.errorf("column chunk at offset %d with %d bytes lies outside the file of %d bytes", start, length, size)
	}
	if metadata.NumValues < 0 || metadata.TotalUncompressedSize < 0 {
		return nil, p.errorf("invalid column chunk: num_values %d, total_uncompressed_size %d", metadata.NumValues, metadata.TotalUncompressedSize)
	}

	if int64(cap(buffer)) < length {
		buffer = make([]byte, length)
	}
	buffer = buffer[:length]
	if _, err := r.ReadAt(buffer, start); err != nil {
		return nil, p.errorf("read column chunk: %w", err)
	}
	return buffer, nil
}

// checkChunk checks each page of a column chunk and returns the estimated
// memory to decode its dictionary and largest data page.
func (p *pageChecker) checkChunk(chunk []byte) (int64, error) {
	var protocol thrift.CompactProtocol
	var dictionaryEstimate int64

	for offset := 0; offset < len(chunk); p.page++ {
		reader := protocol.NewReaderFromBytes(chunk[offset:])
		var header format.PageHeader
		if err := thrift.NewDecoder(reader).Decode(&header); err != nil {
			return 0, p.errorf("invalid page header: %w", err)
		}
		offset += reader.BytesRead()

		compressed, uncompressed := int64(header.CompressedPageSize), int64(header.UncompressedPageSize)
		if compressed < 0 || compressed > int64(len(chunk)-offset) {
			return 0, p.errorf("compressed_page_size %d runs past the %d bytes left in the column chunk", compressed, len(chunk)-offset)
		}
		if uncompressed < 0 || uncompressed > p.chunkUncompressed {
			return 0, p.errorf("uncompressed_page_size %d is outside 0 to the column chunk's total_uncompressed_size %d", uncompressed, p.chunkUncompressed)
		}
		if limit := max(minPageBudget, maxCompressionRatio*compressed); uncompressed > limit {
			return 0, p.errorf("uncompressed_page_size %d is more than %d times compressed_page_size %d", uncompressed, maxCompressionRatio, compressed)
		}
		body := chunk[offset : offset+int(compressed)]
		offset += int(compressed)

		var err error
		switch header.Type {
		case format.DictionaryPage:
			dictionaryEstimate, err = p.checkDictionaryPage(&header, body)
		case format.DataPage:
			err = p.checkDataPageV1(&header, body)
		case format.DataPageV2:
			err = p.checkDataPageV2(&header, body)
		default:
			// parquet-go rejects other page types when it reaches them,
			// and their bytes were bounded above.
		}
		if err != nil {
			return 0, err
		}
	}
	return dictionaryEstimate + p.peakEstimate, nil
}

func (p *pageChecker) checkDictionaryPage(header *format.PageHeader, body []byte) (int64, error) {
	if !header.DictionaryPageHeader.Valid {
		return 0, p.errorf("dictionary page has no dictionary_page_header")
	}
	numValues := int64(header.DictionaryPageHeader.V.NumValues)
	if _, err := p.decompress(body, int(header.UncompressedPageSize)); err != nil {
		return 0, err
	}

	// Dictionary values are PLAIN encoded, so each takes at least the bytes
	// of its physical type: a bit for BOOLEAN, a 4-byte length prefix for
	// BYTE_ARRAY.
	var minBits int64 = 8
	switch typ := p.leaf.Node.Type(); typ.Kind() {
	case parquet.Boolean:
		minBits = 1
	case parquet.Int32, parquet.Float, parquet.ByteArray:
		minBits = 32
	case parquet.Int64, parquet.Double:
		minBits = 64
	case parquet.Int96:
		minBits = 96
	case parquet.FixedLenByteArray:
		minBits = 8 * int64(max(typ.Length(), 1))
	}
	uncompressed := int64(header.UncompressedPageSize)
	if numValues < 0 || numValues*minBits > 8*uncompressed {
		return 0, p.errorf("dictionary page claims %d values, but its %d uncompressed bytes hold at most %d",
			numValues, uncompressed, 8*uncompressed/minBits)
	}
	return uncompressed + decodeBytesPerValue*numValues, nil
}

func (p *pageChecker) checkDataPageV1(header *format.PageHeader, body []byte) error {
	if !header.DataPageHeader.Valid {
		return p.errorf("data page has no data_page_header")
	}
	page := &header.DataPageHeader.V
	numValues, err := p.countValues(page.NumValues, header.UncompressedPageSize)
	if err != nil {
		return err
	}

	// Levels of a version 1 page are inside the compressed data, each
	// stream behind a 4-byte little-endian length, repetition levels first.
	data, err := p.decompress(body, int(header.UncompressedPageSize))
	if err != nil {
		return err
	}
	streams := []struct {
		name     string
		maxLevel int
		encoding format.Encoding
	}{
		{"repetition level", p.leaf.MaxRepetitionLevel, page.RepetitionLevelEncoding},
		{"definition level", p.leaf.MaxDefinitionLevel, page.DefinitionLevelEncoding},
	}
	for _, stream := range streams {
		if stream.maxLevel == 0 {
			continue
		}
		if len(data) < 4 {
			return p.errorf("%s length prefix is missing", stream.name)
		}
		length := binary.LittleEndian.Uint32(data)
		if uint64(length) > uint64(len(data)-4) {
			return p.errorf("%s length %d runs past the %d bytes left in the page", stream.name, length, len(data)-4)
		}
		levels := data[4 : 4+length]
		data = data[4+length:]

		// BIT_PACKED levels decode to at most 8 values per byte, so only
		// the RLE hybrid's run lengths need a check.
		if stream.encoding == format.RLE {
			if err := p.checkRuns(stream.name, levels, bits.Len(uint(stream.maxLevel)), numValues); err != nil {
				return err
			}
		}
	}

	return p.checkDictionaryIndexes(page.Encoding, data, numValues)
}

func (p *pageChecker) checkDataPageV2(header *format.PageHeader, body []byte) error {
	if !header.DataPageHeaderV2.Valid {
		return p.errorf("data page v2 has no data_page_header_v2")
	}
	page := &header.DataPageHeaderV2.V
	numValues, err := p.countValues(page.NumValues, header.UncompressedPageSize)
	if err != nil {
		return err
	}

	// Levels of a version 2 page are uncompressed in front of the values,
	// with their byte lengths in the header.
	repetitionLength, definitionLength := int64(page.RepetitionLevelsByteLength), int64(page.DefinitionLevelsByteLength)
	if repetitionLength < 0 || definitionLength < 0 || repetitionLength+definitionLength > int64(len(body)) {
		return p.errorf("level byte lengths %d and %d do not fit in the page's %d bytes", repetitionLength, definitionLength, len(body))
	}
	if repetitionLength+definitionLength > int64(header.UncompressedPageSize) {
		return p.errorf("level byte lengths %d and %d exceed uncompressed_page_size %d", repetitionLength, definitionLength, header.UncompressedPageSize)
	}
	repetition := body[:repetitionLength]
	definition := body[repetitionLength : repetitionLength+definitionLength]
	values := body[repetitionLength+definitionLength:]

	if p.leaf.MaxRepetitionLevel > 0 {
		if err := p.checkRuns("repetition level", repetition, bits.Len(uint(p.leaf.MaxRepetitionLevel)), numValues); err != nil {
			return err
		}
	}
	if p.leaf.MaxDefinitionLevel > 0 {
		if err := p.checkRuns("definition level", definition, bits.Len(uint(p.leaf.MaxDefinitionLevel)), numValues); err != nil {
			return err
		}
	}

	valuesSize := int(header.UncompressedPageSize) - len(repetition) - len(definition)
	if !page.IsCompressed.Valid || page.IsCompressed.V {
		if values, err = p.decompress(values, valuesSize); err != nil {
			return err
		}
	} else if len(values) != valuesSize {
		return p.errorf("uncompressed values have %d bytes, page header declares %d", len(values), valuesSize)
	}
	return p.checkDictionaryIndexes(page.Encoding, values, numValues)
}

// countValues checks a data page's num_values against what is left of the
// column chunk's num_values, and records the page's estimated decode size.
func (p *pageChecker) countValues(numValues, uncompressed int32) (int64, error) {
	if numValues < 0 || int64(numValues) > p.chunkValues-p.values {
		return 0, p.errorf("page header declares %d values, but the column chunk has %d values left of %d",
			numValues, p.chunkValues-p.values, p.chunkValues)
	}
	p.values += int64(numValues)
	p.peakEstimate = max(p.peakEstimate, int64(uncompressed)+decodeBytesPerValue*int64(numValues))
	return int64(numValues), nil
}

// checkDictionaryIndexes checks the runs of a dictionary-encoded data
// page's values, which are a bit-width byte followed by RLE hybrid runs of
// dictionary indexes.
func (p *pageChecker) checkDictionaryIndexes(encoding format.Encoding, values []byte, numValues int64) error {
	if encoding != format.RLEDictionary && encoding != format.PlainDictionary {
		return nil
	}
	if len(values) == 0 {
		if numValues == 0 {
			return nil
		}
		return p.errorf("dictionary index bit width is missing")
	}
	bitWidth := int(values[0])
	if bitWidth > 32 {
		return p.errorf("dictionary index bit width %d is above 32", bitWidth)
	}
	return p.checkRuns("dictionary index", values[1:], bitWidth, numValues)
}

// checkRuns sums the value counts of the RLE/bit-packed hybrid runs in
// data without decoding them. It rejects a run header that overflows, a
// run that needs more bytes than data has, and counts that add up to more
// than numValues plus 8, which covers the at most 7 values that pad the
// last bit-packed group.
func (p *pageChecker) checkRuns(name string, data []byte, bitWidth int, numValues int64) error {
	var count int64
	for len(data) > 0 {
		header, n := binary.Uvarint(data)
		if n <= 0 || header > math.MaxUint32 {
			return p.errorf("%s run header overflows", name)
		}
		data = data[n:]

		var runValues, runBytes uint64
		if header&1 == 1 {
			// A bit-packed run of header>>1 groups of 8 values.
			runValues = (header >> 1) * 8
			runBytes = (header >> 1) * uint64(bitWidth)
		} else {
			// An RLE run repeats one value of ceil(bitWidth/8) bytes.
			runValues = header >> 1
			runBytes = uint64(bitWidth+7) / 8
		}
		count += int64(runValues)
		if count > numValues+8 {
			return p.errorf("%s runs claim at least %d values, page header declares %d", name, count, numValues)
		}
		if runBytes > uint64(len(data)) {
			return p.errorf("%s run needs %d bytes, %d are left", name, runBytes, len(data))
		}
		data = data[runBytes:]
	}
	return nil
}

// decompress returns body uncompressed with the chunk's codec, and an error
// unless that is exactly size bytes. For every codec but GZIP it allocates
// at most size bytes.
func (p *pageChecker) decompress(body []byte, size int) ([]byte, error) {
	var decoded []byte
	var err error
	switch p.codec {
	case format.Uncompressed:
		decoded = body
	case format.Snappy:
		var length int
		if length, err = snappy.DecodedLen(body); err == nil && length != size {
			return nil, p.errorf("snappy block decompresses to %d bytes, page header declares %d", length, size)
		}
		if err == nil {
			decoded, err = snappy.Decode(p.scratch(size), body)
		}
	case format.Zstd:
		var decoder *zstd.Decoder
		if decoder, err = zstdDecoder(); err == nil {
			decoded, err = decoder.DecodeAll(body, p.scratch(size)[:0])
		}
	default:
		// NOTE: GZIP output is not capped at size, but DEFLATE expands at
		// most about 1032:1, which bounds it by the compressed page.
		decoded, err = parquet.LookupCompressionCodec(p.codec).Decode(p.scratch(size)[:0], body)
	}

	if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return nil, p.errorf("page decompresses to more than the %d bytes its header declares", size)
	}
	if err != nil {
		return nil, p.errorf("decompress %s page: %w", p.codec, err)
	}
	if len(decoded) != size {
		return nil, p.errorf("page decompresses to %d bytes, page header declares %d", len(decoded), size)
	}
	return decoded, nil
}

// scratch returns a reused buffer of size bytes.
func (p *pageChecker) scratch(size int) []byte {
	if cap(p.buffer) < size {
		p.buffer = make([]byte, size)
	}
	return p.buffer[:size]
}

func (p *pageChecker) errorf(format string, args ...any) error {
	return fmt.Errorf("row group %d column %q page %d: %w", p.rowGroup, p.column, p.page, fmt.Errorf(format, args...))
}

// maxFooterDepth bounds the nesting of structs and containers in a
// parquet footer, so that a crafted footer cannot recurse without end.
const maxFooterDepth = 64

// checkParquetFooter scans the thrift compact encoding of the file footer
// before parquet.OpenFile decodes it, and rejects a list, set or map that
// declares more elements than the bytes left in the footer could hold.
// parquet-go v0.32.1 allocates a slice of the declared length first, so a
// 20-byte file declaring 2^24 schema elements made it allocate 1.6 GB.
// A footer without the PAR1 magic or with an impossible length is left to
// parquet.OpenFile to reject.
func checkParquetFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return nil
	}
	var trailer [8]byte
	if _, err := r.ReadAt(trailer[:], size-8); err != nil {
		return fmt.Errorf("read footer length: %w", err)
	}
	length := int64(binary.LittleEndian.Uint32(trailer[:4]))
	if string(trailer[4:]) != "PAR1" || length > size-12 {
		return nil
	}

	footer := make([]byte, length)
	if _, err := r.ReadAt(footer, size-8-length); err != nil {
		return fmt.Errorf("read footer: %w", err)
	}
	scanner := footerScanner{data: footer}
	if err := scanner.skipStruct(0); err != nil {
		return fmt.Errorf("invalid footer at byte %d: %w", scanner.offset, err)
	}
	return nil
}

// footerScanner walks thrift compact protocol values without decoding them.
type footerScanner struct {
	data   []byte
	offset int
}

func (s *footerScanner) readByte() (byte, error) {
	if s.offset >= len(s.data) {
		return 0, io.ErrUnexpectedEOF
	}
	b := s.data[s.offset]
	s.offset++
	return b, nil
}

func (s *footerScanner) readUvarint() (uint64, error) {
	value, n := binary.Uvarint(s.data[s.offset:])
	if n <= 0 {
		return 0, errors.New("truncated or overflowing varint")
	}
	s.offset += n
	return value, nil
}

// skip advances past n bytes.
func (s *footerScanner) skip(n uint64) error {
	if n > uint64(len(s.data)-s.offset) {
		return fmt.Errorf("%d bytes declared, %d left", n, len(s.data)-s.offset)
	}
	s.offset += int(n)
	return nil
}

func (s *footerScanner) skipStruct(depth int) error {
	if depth > maxFooterDepth {
		return fmt.Errorf("values nest deeper than %d", maxFooterDepth)
	}
	for {
		header, err := s.readByte()
		if err != nil {
			return err
		}
		if header == 0 {
			return nil
		}

		// A zero field id delta means the id follows as a varint.
		if header>>4 == 0 {
			if _, err := s.readUvarint(); err != nil {
				return err
			}
		}
		if err := s.skipValue(header&0x0f, true, depth+1); err != nil {
			return err
		}
	}
}

// skipValue advances past one value of compact type typ. A boolean field
// keeps its value in the field header, but a boolean list element takes a
// byte.
func (s *footerScanner) skipValue(typ byte, inField bool, depth int) error {
	switch typ {
	case 1, 2: // BOOLEAN_TRUE, BOOLEAN_FALSE
		if inField {
			return nil
		}
		return s.skip(1)
	case 3: // BYTE
		return s.skip(1)
	case 4, 5, 6: // I16, I32, I64 as zigzag varints
		_, err := s.readUvarint()
		return err
	case 7: // DOUBLE
		return s.skip(8)
	case 8: // BINARY
		length, err := s.readUvarint()
		if err != nil {
			return err
		}
		return s.skip(length)
	case 9, 10: // LIST, SET
		header, err := s.readByte()
		if err != nil {
			return err
		}
		count := uint64(header >> 4)
		if count == 15 {
			if count, err = s.readUvarint(); err != nil {
				return err
			}
		}
		return s.skipElements(count, 1, []byte{header & 0x0f}, depth)
	case 11: // MAP
		count, err := s.readUvarint()
		if err != nil || count == 0 {
			return err
		}
		types, err := s.readByte()
		if err != nil {
			return err
		}
		return s.skipElements(count, 2, []byte{types >> 4, types & 0x0f}, depth)
	case 12: // STRUCT
		return s.skipStruct(depth)
	default:
		return fmt.Errorf("unknown thrift compact type %d", typ)
	}
}

// skipElements advances past count elements of a container, each made of
// one value per type in types. Every compact value takes at least one byte,
// so a count above the bytes left is rejected before any element is read.
func (s *footerScanner) skipElements(count uint64, bytesPerElement uint64, types []byte, depth int) error {
	if left := uint64(len(s.data) - s.offset); count > left/bytesPerElement {
		return fmt.Errorf("container declares %d elements, but only %d bytes are left", count, left)
	}
	if depth > maxFooterDepth {
		return fmt.Errorf("values nest deeper than %d", maxFooterDepth)
	}
	for range count {
		for _, typ := range types {
			if err := s.skipValue(typ, false, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
