package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStreamPositionReadsStamp(t *testing.T) {
	message := []byte(`{"type":"PLAYER_UPDATE","data":{"stream":"fake"},"stream":"player:00-0033873","seq":42,"epoch":"9f1c2a7b40d3e611"}`)

	stream, seq, ok := streamPosition(message)
	if !ok {
		t.Fatal("streamPosition returned ok=false")
	}
	if stream != "player:00-0033873" {
		t.Errorf("stream = %q, want player:00-0033873", stream)
	}
	if seq != 42 {
		t.Errorf("seq = %d, want 42", seq)
	}
}

func TestStreamPositionWithoutStamp(t *testing.T) {
	if _, _, ok := streamPosition([]byte(`{"type":"ACK","action":"subscribe_player"}`)); ok {
		t.Error("streamPosition returned ok=true for a message without stream and seq")
	}
}

func TestDetectedAtAndWeek(t *testing.T) {
	message := []byte(`{"type":"PLAYER_UPDATE","data":{"player_id":"00-0033873","season":2024,"week":10,` +
		`"detected_at":"2024-11-10T21:25:00.123456789Z"},"stream":"player:00-0033873","seq":3,"epoch":"e"}`)

	at, week, ok := detectedAt(message)
	if !ok {
		t.Fatal("detectedAt returned ok=false")
	}
	if want := time.Date(2024, 11, 10, 21, 25, 0, 123456789, time.UTC); !at.Equal(want) {
		t.Errorf("detected_at = %s, want %s", at, want)
	}
	if week != 10 {
		t.Errorf("week = %d, want 10", week)
	}
}

func TestMessageType(t *testing.T) {
	if got := messageType([]byte(`{"type":"SNAPSHOT","stream":"player:x"}`)); got != "SNAPSHOT" {
		t.Errorf("messageType = %q, want SNAPSHOT", got)
	}
	if got := messageType([]byte(`{"stream":"player:x"}`)); got != "" {
		t.Errorf("messageType without a leading type = %q, want empty", got)
	}
}

func TestClientCountsSeqGapsAndDuplicates(t *testing.T) {
	c := &client{streams: map[string]*streamState{"player:a": {ackSeq: 5, lastSeq: 5}}}
	now := time.Now()
	for _, seq := range []string{"6", "8", "8", "9"} {
		c.handleLive([]byte(`{"type":"PLAYER_UPDATE","stream":"player:a","seq":`+seq+`,"epoch":"e"}`), "PLAYER_UPDATE", now)
	}

	state := c.streams["player:a"]
	if state.received != 3 {
		t.Errorf("received = %d, want 3", state.received)
	}
	if state.missing != 1 {
		t.Errorf("missing = %d, want 1 (seq 7)", state.missing)
	}
	if state.duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", state.duplicates)
	}

	result := compareDelivery([]*client{c}, map[string]uint64{"player:a": 11})
	if result.expected != 6 || result.delivered != 3 || result.gaps != 1 || result.tail != 2 {
		t.Errorf("delivery = %+v, want expected 6, delivered 3, gaps 1, tail 2", result)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var latencies []time.Duration
	for i := 100; i >= 1; i-- {
		latencies = append(latencies, time.Duration(i)*time.Millisecond)
	}

	summary := summarize(latencies)
	if summary.p50 != 50*time.Millisecond {
		t.Errorf("p50 = %s, want 50ms", summary.p50)
	}
	if summary.p99 != 99*time.Millisecond {
		t.Errorf("p99 = %s, want 99ms", summary.p99)
	}
	if summary.worst != 100*time.Millisecond {
		t.Errorf("max = %s, want 100ms", summary.worst)
	}
}

func TestParseCPUTimeWithSpacesInName(t *testing.T) {
	stat := "1234 (nfl sync) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 1000000 500 18446744073709551615"

	cpu, err := parseCPUTime(stat)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 3*time.Second {
		t.Errorf("cpu = %s, want 3s (300 ticks)", cpu)
	}
}

func TestListeningInodesMatchesPort(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0
   1: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0
   2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 100 0 0 10 0
`
	inodes, err := listeningInodes(bufio.NewScanner(strings.NewReader(table)), 8080)
	if err != nil {
		t.Fatal(err)
	}
	if len(inodes) != 1 || inodes[0] != "4242" {
		t.Errorf("inodes = %v, want [4242]", inodes)
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	for _, raw := range []string{"ws://127.0.0.1:8080/ws", "ws://localhost:9000/ws", "ws://127.1.2.3:80/ws"} {
		if _, err := checkLoopbackURL(raw); err != nil {
			t.Errorf("checkLoopbackURL(%q) = %v, want nil", raw, err)
		}
	}
	for _, raw := range []string{"ws://10.0.0.1:8080/ws", "ws://example.com/ws", "wss://127.0.0.1/ws", "ws://[::1]:8080/ws"} {
		if _, err := checkLoopbackURL(raw); err == nil {
			t.Errorf("checkLoopbackURL(%q) = nil, want an error", raw)
		}
	}
}

func TestBurstReplayLimitsLaterWeeks(t *testing.T) {
	from := filepath.Join("..", "..", "testdata", "replay", "2024")
	out := t.TempDir()

	chosen, err := writeBurstReplay(from, out, 300)
	if err != nil {
		t.Fatalf("writeBurstReplay: %v", err)
	}
	if len(chosen) != 300 {
		t.Fatalf("chose %d players, want 300", len(chosen))
	}
	keep := make(map[string]bool)
	for _, id := range chosen {
		keep[id] = true
	}

	original, err := readCSV(filepath.Join(from, "stats_player_week_2024.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	derived, err := readCSV(filepath.Join(out, "stats_player_week_2024.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countWeek(derived, "1"), countWeek(original, "1"); got != want {
		t.Errorf("week 1 has %d rows, want all %d", got, want)
	}
	for _, week := range []string{"2", "3"} {
		if got := countWeek(derived, week); got != 300 {
			t.Errorf("week %s has %d rows, want 300", week, got)
		}
	}

	injuries, err := readCSV(filepath.Join(out, "injuries_2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	idColumn, weekColumn := slices.Index(injuries.header, "gsis_id"), slices.Index(injuries.header, "week")
	for _, record := range injuries.records {
		if record[weekColumn] != "1" && !keep[record[idColumn]] {
			t.Fatalf("injury row of week %s for %s, a player outside the burst", record[weekColumn], record[idColumn])
		}
	}
	for _, name := range []string{"games.csv", "roster_2024.csv", "burst_players.txt"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("derived replay lacks %s: %v", name, err)
		}
	}
}

func TestBurstReplayRejectsTooManyPlayers(t *testing.T) {
	_, err := writeBurstReplay(filepath.Join("..", "..", "testdata", "replay", "2024"), t.TempDir(), 100000)
	if err == nil || !strings.Contains(err.Error(), "fewer than the 100000 requested") {
		t.Fatalf("err = %v, want an error naming the 100000 requested players", err)
	}
}

func countWeek(table *csvTable, week string) int {
	column := slices.Index(table.header, "week")
	count := 0
	for _, record := range table.records {
		if record[column] == week {
			count++
		}
	}
	return count
}

func TestPlanLeaguesRostersDistinct(t *testing.T) {
	ids := make([]string, 400)
	for i := range ids {
		ids[i] = fmt.Sprintf("00-%07d", i)
	}

	leagues, err := planLeagues(1, ids, 3)
	if err != nil {
		t.Fatalf("planLeagues: %v", err)
	}
	if len(leagues) != 3 {
		t.Fatalf("planned %d leagues, want 3", len(leagues))
	}
	for _, league := range leagues {
		if len(league.rosters) != teamsPerLeague {
			t.Fatalf("league %s has %d teams, want %d", league.id, len(league.rosters), teamsPerLeague)
		}
		seen := make(map[string]bool)
		for _, roster := range league.rosters {
			if len(roster) != rosterSize {
				t.Fatalf("league %s has a roster of %d, want %d", league.id, len(roster), rosterSize)
			}
			for _, id := range roster {
				if seen[id] {
					t.Fatalf("league %s rosters %s twice", league.id, id)
				}
				seen[id] = true
			}
		}
	}
	if slices.Equal(leagues[0].rosters[0], leagues[1].rosters[0]) {
		t.Errorf("leagues load-0 and load-1 have the same first roster %v", leagues[0].rosters[0])
	}

	if _, err := planLeagues(1, ids[:149], 1); err == nil {
		t.Errorf("planLeagues with 149 players succeeded, want an error")
	}
}

func TestSessionLeagueSpreadsTeams(t *testing.T) {
	seen := make(map[[2]int]bool)
	for i := range 4 * teamsPerLeague {
		league, team := sessionLeague(i, 4)
		seen[[2]int{league, team}] = true
	}
	if len(seen) != 4*teamsPerLeague {
		t.Errorf("%d sessions took %d distinct teams, want one each", 4*teamsPerLeague, len(seen))
	}
}

func TestBurstReplayRejectsOutInsideFrom(t *testing.T) {
	from := t.TempDir()
	for _, out := range []string{from, filepath.Join(from, "copy"), from + "/."} {
		_, err := writeBurstReplay(from, out, 10)
		if err == nil || !strings.Contains(err.Error(), "inside it") {
			t.Errorf("writeBurstReplay(%q, %q) error = %v, want one that rejects -out inside -from", from, out, err)
		}
	}
}

func TestStatsPlayersRosterOnlyFirstWeek(t *testing.T) {
	source, err := readStatsPlayers(filepath.Join("..", "..", "testdata", "replay", "2024", "stats_player_week_2024.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}

	// Week 1 has 1,041 rows, one of them without a player_id.
	rosterable := source.rosterableIDs()
	if len(rosterable) != 1040 {
		t.Errorf("%d rosterable players, want the 1,040 players of week 1", len(rosterable))
	}
	// Z. Gonzalez first plays in week 10, so a replay server at week 1
	// rejects a league that rosters him.
	if !slices.Contains(source.ids, "00-0033862") {
		t.Fatalf("00-0033862 is missing from the stats file's ids")
	}
	if slices.Contains(rosterable, "00-0033862") {
		t.Errorf("00-0033862, first seen in week 10, is rosterable")
	}
}
