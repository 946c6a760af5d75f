package mongo

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nflsync/nflsync/messages"
)

// referenceStats decodes a stats field with encoding/json alone.
func referenceStats(text string) (map[string]string, error) {
	var values map[string]string
	err := json.Unmarshal([]byte(text), &values)
	return values, err
}

// checkDecodeStats fails when decodeStats disagrees with encoding/json on
// text: both must fail, or both must give the same stats, sorted by name.
func checkDecodeStats(t *testing.T, text string) {
	t.Helper()
	want, wantErr := referenceStats(text)
	got, err := decodeStats(text)

	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeStats(%q) error = %v, encoding/json error = %v", text, err, wantErr)
	}
	if err != nil {
		return
	}
	if want == nil && text != "null" {
		t.Fatalf("encoding/json decoded %q to nil", text)
	}
	if len(got) != len(want) {
		t.Fatalf("decodeStats(%q) has %d stats, want %d", text, len(got), len(want))
	}
	if !slices.IsSortedFunc(got, func(a, b *messages.Stat) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatalf("decodeStats(%q) is not sorted by name", text)
	}
	for _, stat := range got {
		if value, ok := want[stat.GetName()]; !ok || value != stat.GetValue() {
			t.Fatalf("decodeStats(%q) has %s=%q, encoding/json %q (present %v)", text, stat.GetName(), stat.GetValue(), value, ok)
		}
	}
}

var decodeStatsCases = []string{
	`{}`,
	`{"passing_yards":"250","receptions":"0"}`,
	`{"fg_made_list":"33;47","rushing_yards":"-2.5"}`,
	`{"b":"1","a":"2"}`,         // unsorted keys
	`{"a":"1","a":"2"}`,         // duplicate key: the last one wins
	`{ "a" : "1" }`,             // whitespace
	`{"a":"x\"y","b":"\u0041"}`, // escapes
	`{"a":1}`,                   // a number value
	`{"a":null}`,                // a null value
	`{"a":"1",}`,                // trailing comma
	`{"a":"1"`,                  // unterminated
	`{"a""1"}`,                  // missing colon
	`{"é":"1"}`,                 // non-ASCII key
	"{\"a\":\"\xff\"}",          // invalid UTF-8
	`[]`,
	`null`,
	``,
	`{"a":"1"}{"b":"2"}`,
}

func TestDecodeStatsMatchesEncodingJSON(t *testing.T) {
	for _, text := range decodeStatsCases {
		checkDecodeStats(t, text)
	}
}

func TestDecodeStatsReadsStoredRows(t *testing.T) {
	week := playerWeek("00-0033873", 2024, 1, "passing_yards", "18.58")
	week.Stats = append(week.Stats,
		&messages.Stat{Name: "fg_made_list", Value: "33;47"},
		&messages.Stat{Name: "receptions", Value: "0"})

	document, err := newPlayerWeekDocument(week)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scanPlainStats(string(document.Stats)); !ok {
		t.Errorf("stored stats %s did not take the scan path", document.Stats)
	}
	checkDecodeStats(t, string(document.Stats))
}

func FuzzDecodeStats(f *testing.F) {
	for _, text := range decodeStatsCases {
		f.Add(text)
	}
	f.Fuzz(checkDecodeStats)
}
