package actors

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// TestBadFilesKeepLastGoodState polls a real week, then a truncated gzip, a
// file without a required column and a file of garbage, then the real week
// again: each bad poll fails with an error that names the problem, nothing
// is sent, and the last poll finds nothing new because the state was kept.
func TestBadFilesKeepLastGoodState(t *testing.T) {
	week := weekCSV(t, "1", "1")

	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write(week); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	truncated := compressed.Bytes()[:compressed.Len()/2]

	header, rest, _ := bytes.Cut(week, []byte("\n"))
	withoutColumn := append([]byte(strings.Replace(string(header), "receptions", "catches", 1)+"\n"), rest...)

	garbage := bytes.Repeat([]byte{0x00, 0xff, 0x13, '"', ',', '\n'}, 2000)

	source := &parsingSource{files: [][]byte{week, truncated, withoutColumn, garbage, week}}
	fixture := startTestPipelineWith(t, PipelineConfig{Source: source})
	mahomes := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0033873"))

	if report := fixture.sync(t); !report.GetOk() {
		t.Fatalf("first poll of the real week failed")
	}
	waitFor(t, "week 1 of the followed player", func() bool { return len(mahomes.messages(t)) == 1 })

	for _, name := range []string{"truncated gzip", "missing column", "garbage"} {
		if report := fixture.sync(t); report.GetOk() {
			t.Errorf("poll of a %s reported ok", name)
		}
	}
	for _, want := range []string{"gzip", "receptions", "week.csv"} {
		if !strings.Contains(source.errors(), want) {
			t.Errorf("errors %q do not mention %q", source.errors(), want)
		}
	}

	if report := fixture.sync(t); !report.GetOk() {
		t.Fatalf("poll of the real week after the bad files failed")
	}
	time.Sleep(100 * time.Millisecond)
	if got := len(mahomes.messages(t)); got != 1 {
		t.Errorf("followed player got %d messages, want 1: bad polls or the repeat must send nothing", got)
	}
}
