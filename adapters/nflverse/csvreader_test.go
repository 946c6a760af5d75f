package nflverse

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// compareWithEncodingCSV reads input with csvReader, with copied and with
// transient strings, and with a csv.Reader (ReuseRecord set) until the
// first error or the end, and fails on any difference in records, errors
// or field positions.
func compareWithEncodingCSV(t *testing.T, input []byte) {
	t.Helper()
	for _, transient := range []bool{false, true} {
		compareReaders(t, input, transient)
	}
}

func compareReaders(t *testing.T, input []byte, transient bool) {
	t.Helper()
	want := csv.NewReader(bufio.NewReaderSize(bytes.NewReader(input), 64<<10))
	want.ReuseRecord = true
	got := newCSVReader(bufio.NewReaderSize(bytes.NewReader(input), 64<<10))
	got.transient = transient

	for record := 1; ; record++ {
		wantRecord, wantErr := want.Read()
		gotRecord, gotErr := got.Read()

		if !slices.Equal(gotRecord, wantRecord) {
			t.Fatalf("input %q (transient %t) record %d = %q, want %q", input, transient, record, gotRecord, wantRecord)
		}
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("input %q record %d error = %v, want %v", input, record, gotErr, wantErr)
		}
		for field := range wantRecord {
			wantLine, wantColumn := want.FieldPos(field)
			gotLine, gotColumn := got.FieldPos(field)
			if gotLine != wantLine || gotColumn != wantColumn {
				t.Fatalf("input %q record %d field %d at line %d column %d, want line %d column %d",
					input, record, field, gotLine, gotColumn, wantLine, wantColumn)
			}
		}

		var parseError *csv.ParseError
		if wantErr != nil && !(errors.As(wantErr, &parseError) && parseError.Err == csv.ErrFieldCount) {
			return
		}
	}
}

func TestCSVReaderEdgeCases(t *testing.T) {
	inputs := []string{
		"",
		"\n",
		"a,b,c\n1,2,3\n",
		"a,b,c\r\n1,2,3\r\n",
		"a,b,c\n1,2,3",
		"a,b,c\n1,2,3\r",
		"a,b\n\n\n1,2\n",
		"a,b\n1,2,3\n4,5\n",
		"a,b\n1\n",
		"a,b,\n1,,\n",
		`a,"b,c",d` + "\n",
		`"",""` + "\n",
		`"a""b",c` + "\n",
		`"a"b,c` + "\n",
		`a"b,c` + "\n",
		`a,b"` + "\n",
		`"multi` + "\nline\",x\n1,2\n",
		`"open,field` + "\n",
		`"open`,
		`"a",`,
		`"a"` + "\r\n" + `"b"` + "\r\n",
		"x\ry,z\n",
		"\"a\"\r",
		"a,\"b\r\nc\",d\n",
		"h1,h2\n\"q\" ,x\n",
		"é,ü\n\"ñ\",ß\n",
	}
	for _, input := range inputs {
		compareWithEncodingCSV(t, []byte(input))
	}
}

// TestCSVReaderRandomInputs compares both readers on random text made of
// the characters that matter to CSV.
func TestCSVReaderRandomInputs(t *testing.T) {
	alphabet := []byte{'a', 'b', ',', ',', '"', '"', '\n', '\r', ' '}
	random := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		input := make([]byte, random.IntN(40))
		for i := range input {
			input[i] = alphabet[random.IntN(len(alphabet))]
		}
		compareWithEncodingCSV(t, input)
	}
}

// TestCSVReaderRealFiles compares both readers on every CSV test file.
func TestCSVReaderRealFiles(t *testing.T) {
	files := map[string][]byte{
		"stats 2025":        gunzip(t, readTestdataBytes(t, "stats_player/stats_player_week_2025.csv.gz")),
		"player stats 2024": readTestdataBytes(t, "player_stats/player_stats_2024.csv"),
		"roster 2024":       readTestdataBytes(t, "rosters/roster_2024.csv"),
		"injuries 2024":     readTestdataBytes(t, "injuries/injuries_2024.csv"),
		"games":             readTestdataBytes(t, "schedules/games.csv"),
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			compareWithEncodingCSV(t, content)
		})
	}
}

// TestCSVReaderLongLine reads a record longer than the bufio buffer.
func TestCSVReaderLongLine(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 200<<10)
	input := append(append([]byte("a,b\n"), long...), []byte(",\"y\"\n1,2\n")...)
	compareWithEncodingCSV(t, input)
}

func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("a,b\n\"c\",\"d\"\"e\"\n"))
	f.Add([]byte("a\n\"b\nc\"\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		compareWithEncodingCSV(t, input)
	})
}
