package actors

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/espn"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// espnFixtures and nflverseFixtures are testdata/espn and testdata/nflverse
// at the repository root.
var (
	espnFixtures     = filepath.Join("..", "testdata", "espn")
	nflverseFixtures = filepath.Join("..", "testdata", "nflverse")
)

// detBufSchedule is the schedule row of the DET @ BUF fixture game (ESPN
// event 401872932, 2026 week 2), which no schedule in testdata covers,
// written in nflverse's games.csv form.
const detBufSchedule = `game_id,season,game_type,week,away_team,home_team,espn
2026_02_DET_BUF,2026,REG,2,DET,BUF,401872932
`

// testIDMap returns an IDMapLoader over testdata's schedule (2023 to 2025)
// plus the extra rows, and the 2024 roster, the only one with espn_id.
func testIDMap(t *testing.T, extra ...string) IDMapLoader {
	t.Helper()
	games := readFile(t, filepath.Join(nflverseFixtures, "schedules", "games.csv"), espn.ReadScheduleGames)
	for i, text := range extra {
		more, err := espn.ReadScheduleGames(strings.NewReader(text), fmt.Sprintf("extra schedule %d", i))
		if err != nil {
			t.Fatal(err)
		}
		games = append(games, more...)
	}
	roster := readFile(t, filepath.Join(nflverseFixtures, "rosters", "roster_2024.csv"), nflverse.ReadRoster)

	ids, err := espn.NewIDMap(games, roster)
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context, int32) (*espn.IDMap, error) { return ids, nil }
}

func readFile[T any](t *testing.T, path string, read func(r io.Reader, name string) (T, error)) T {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	value, err := read(file, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return value
}

// liveFixture is a pipeline without polling plus a live poller whose polls
// the test triggers one by one.
type liveFixture struct {
	*pipelineFixture
	live  *Live
	polls atomic.Int32
}

func startTestLive(t *testing.T, source messages.Source, scoreboards espn.ScoreboardSource, summaries SummarySource, ids IDMapLoader) *liveFixture {
	t.Helper()
	system := actor.NewActorSystem()
	hub := NewHub()
	state := NewStateKeeper(inmem.New(), nil, nil, nil)
	pipeline, err := StartPipeline(system, PipelineConfig{
		Source:            source,
		Clock:             messages.SystemClock{},
		Hub:               hub,
		State:             state,
		RuleSets:          scoring.Presets(),
		LiveInterval:      time.Minute,
		OffseasonInterval: time.Hour,
	})
	if err != nil {
		t.Fatalf("StartPipeline: %v", err)
	}
	t.Cleanup(func() { pipeline.Stop(system) })
	fixture := &liveFixture{pipelineFixture: &pipelineFixture{system: system, pipeline: pipeline, hub: hub}}

	live, err := StartLive(system, LiveConfig{
		Scoreboards: scoreboards,
		Summaries:   summaries,
		LoadIDs:     ids,
		Hub:         hub,
		State:       state,
		Clock:       messages.SystemClock{},
		// Longer than any test: the test triggers every poll after the
		// first.
		Interval: time.Hour,
		onPoll:   func() { fixture.polls.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Stop(fixture.system) })
	fixture.live = live
	return fixture
}

// poll runs the first poll (by attaching the pipeline) or the next one, and
// waits until its result is handled.
func (f *liveFixture) poll(t *testing.T) {
	t.Helper()
	want := f.polls.Load() + 1
	if want == 1 {
		f.live.Attach(f.system, f.pipeline)
	} else {
		f.system.Root.Send(f.live.PID(), livePollDue{})
	}
	waitFor(t, fmt.Sprintf("poll %d", want), func() bool { return f.polls.Load() == want })
}

// settle waits for messages sent by the last poll to pass through the game,
// player and scorer actors before a test counts exactly.
func settle() { time.Sleep(200 * time.Millisecond) }

// gameDeltas returns the GAME_SCORES deltas that a collector received, in
// order.
func gameDeltas(t *testing.T, sink *collector) []map[string]any {
	t.Helper()
	var deltas []map[string]any
	for _, message := range sink.messages(t) {
		if message["type"] != messages.TypeGameScores {
			t.Fatalf("message type %v, want %s", message["type"], messages.TypeGameScores)
		}
		for _, delta := range message["deltas"].([]any) {
			deltas = append(deltas, delta.(map[string]any))
		}
	}
	return deltas
}

// changedFields returns the sorted keys of a delta's "previous" object.
func changedFields(delta map[string]any) []string {
	previous, _ := delta["previous"].(map[string]any)
	fields := make([]string, 0, len(previous))
	for field := range previous {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	return fields
}

func field(delta map[string]any, name string) string {
	value, ok := delta[name]
	if !ok || value == nil {
		return "null"
	}
	return fmt.Sprint(value)
}

func TestLiveReplayDetroitAtBuffalo(t *testing.T) {
	var paths []string
	for _, name := range []string{
		"event-401872932-final-q4.json",
		"event-401872932-in_progress-q2.json",
		"event-401872932-halftime-q2.json",
		"event-401872932-in_progress-q3.json",
		"event-401872932-in_progress-q4.json",
	} {
		paths = append(paths, filepath.Join(espnFixtures, "scoreboard-events", name))
	}
	replay, err := espn.ReadLiveReplay(paths...)
	if err != nil {
		t.Fatal(err)
	}

	fixture := startTestLive(t, &scriptedSource{results: []sourceResult{{snapshot: &messages.Snapshot{}}}},
		replay, nil, testIDMap(t, detBufSchedule))
	game := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_GAME, "2026_02_DET_BUF"))
	scoreboard := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, ScoreboardID))

	// Five snapshots, then the replay repeats the last one.
	for range 6 {
		fixture.poll(t)
	}
	settle()

	deltas := gameDeltas(t, game)
	var got []string
	for i, delta := range deltas {
		if delta["provisional"] != true || delta["game_id"] != "2026_02_DET_BUF" {
			t.Errorf("delta %d: game %v provisional %v, want 2026_02_DET_BUF provisional", i, delta["game_id"], delta["provisional"])
		}
		line := fmt.Sprintf("%s %s-%s q%s %s", field(delta, "status"), field(delta, "away_score"),
			field(delta, "home_score"), field(delta, "quarter"), field(delta, "clock"))
		got = append(got, line+" changed "+strings.Join(changedFields(delta), ","))
	}
	want := []string{
		"in_progress 7-21 q2 3:01 changed ",
		"halftime 10-27 q2 0:00 changed away_score,clock,distance,down,down_distance_text,home_score,possession,status,yard_line",
		"in_progress 10-27 q3 15:00 changed clock,distance,down,down_distance_text,quarter,status,yard_line",
		"in_progress 17-34 q4 15:00 changed away_score,down_distance_text,home_score,possession,quarter,yard_line",
		"final 31-41 q4 null changed away_score,clock,distance,down,down_distance_text,home_score,possession,status,yard_line",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("GAME_SCORES deltas:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Each score and status change once, in order, ending at final.
	var scoresAndStatus []string
	for i, delta := range deltas[1:] {
		previous := delta["previous"].(map[string]any)
		for _, name := range []string{"status", "away_score", "home_score"} {
			if before, changed := previous[name]; changed {
				scoresAndStatus = append(scoresAndStatus, fmt.Sprintf("%s %v -> %s", name, before, field(deltas[i+1], name)))
			}
		}
	}
	wantScoresAndStatus := []string{
		"status in_progress -> halftime", "away_score 7 -> 10", "home_score 21 -> 27",
		"status halftime -> in_progress",
		"away_score 10 -> 17", "home_score 27 -> 34",
		"status in_progress -> final", "away_score 17 -> 31", "home_score 34 -> 41",
	}
	if !slices.Equal(scoresAndStatus, wantScoresAndStatus) {
		t.Errorf("score and status changes = %q, want %q", scoresAndStatus, wantScoresAndStatus)
	}

	// The scoreboard stream carries the game, since ESPN lists only the
	// current week's games.
	if got := len(gameDeltas(t, scoreboard)); got != len(want) {
		t.Errorf("scoreboard stream got %d deltas, want %d", got, len(want))
	}
}

func TestLiveScoreboardSnapshots52SecondsApart(t *testing.T) {
	var boards []*espn.Scoreboard
	for _, name := range []string{"2025-wk14_2025-12-07T185945Z_in.json", "2025-wk14_2025-12-07T190037Z_in.json"} {
		body, err := os.ReadFile(filepath.Join(espnFixtures, "scoreboard", name))
		if err != nil {
			t.Fatal(err)
		}
		board, err := espn.ParseScoreboard(body)
		if err != nil {
			t.Fatal(err)
		}
		// The recorded responses carry no capture time: it is the
		// response Date in the file name.
		if board.CapturedAt, err = time.Parse("20060102T150405Z", strings.NewReplacer("-", "", ":", "").Replace(name[len("2025-wk14_"):len(name)-len("_in.json")])); err != nil {
			t.Fatal(err)
		}
		boards = append(boards, board)
	}
	replay, err := espn.NewLiveReplay(boards)
	if err != nil {
		t.Fatal(err)
	}

	fixture := startTestLive(t, &scriptedSource{results: []sourceResult{{snapshot: &messages.Snapshot{}}}},
		replay, nil, testIDMap(t))
	gameIDs := []string{
		"2025_14_SEA_ATL", "2025_14_CIN_BUF", "2025_14_TEN_CLE", "2025_14_WAS_MIN", "2025_14_MIA_NYJ",
		"2025_14_NO_TB", "2025_14_IND_JAX", "2025_14_PIT_BAL", "2025_14_DAL_DET",
		"2025_14_DEN_LV", "2025_14_CHI_GB", "2025_14_LA_ARI", "2025_14_HOU_KC", "2025_14_PHI_LAC",
	}
	sinks := make(map[string]*collector)
	for _, gameID := range gameIDs {
		sinks[gameID] = fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_GAME, gameID))
	}

	fixture.poll(t)
	settle()
	first := make(map[string]int)
	for gameID, sink := range sinks {
		first[gameID] = len(gameDeltas(t, sink))
	}
	fixture.poll(t)
	settle()

	// The changes between the two snapshots, as the adapter's own test
	// lists them field by field.
	wantChanged := map[string][]string{
		"2025_14_SEA_ATL": {"clock", "distance", "down", "down_distance_text", "possession", "yard_line"},
		"2025_14_CIN_BUF": {"down", "down_distance_text", "yard_line"},
		"2025_14_TEN_CLE": {"clock", "distance", "down", "down_distance_text", "possession", "yard_line"},
		"2025_14_WAS_MIN": {"clock", "distance", "down", "down_distance_text", "possession", "yard_line"},
		"2025_14_MIA_NYJ": {"clock", "distance", "down", "down_distance_text", "possession", "yard_line"},
		// A field goal: ESPN drops possession and down and distance,
		// which is not a change by itself.
		"2025_14_NO_TB":   {"clock", "home_score"},
		"2025_14_IND_JAX": {"distance", "down", "down_distance_text", "yard_line"},
	}
	for _, gameID := range gameIDs {
		deltas := gameDeltas(t, sinks[gameID])
		second := deltas[first[gameID]:]

		// Started games were announced by the first poll; games not
		// started yet are nflverse's to announce.
		started := gameID != "2025_14_DEN_LV" && gameID != "2025_14_CHI_GB" && gameID != "2025_14_LA_ARI" &&
			gameID != "2025_14_HOU_KC" && gameID != "2025_14_PHI_LAC"
		if want := map[bool]int{true: 1, false: 0}[started]; first[gameID] != want {
			t.Errorf("%s: %d GAME_SCORES after the first snapshot, want %d", gameID, first[gameID], want)
		}

		fields, changed := wantChanged[gameID]
		if !changed {
			if len(second) != 0 {
				t.Errorf("%s: %d GAME_SCORES after the second snapshot, want none: %v", gameID, len(second), second)
			}
			continue
		}
		if len(second) != 1 {
			t.Errorf("%s: %d GAME_SCORES after the second snapshot, want 1", gameID, len(second))
			continue
		}
		if got := changedFields(second[0]); !slices.Equal(got, fields) {
			t.Errorf("%s: changed %q, want %q", gameID, got, fields)
		}
	}
}

func TestLiveGameMergePrecedence(t *testing.T) {
	replay, err := espn.ReadLiveReplay(
		filepath.Join(espnFixtures, "scoreboard-events", "event-401872932-in_progress-q2.json"),
		filepath.Join(espnFixtures, "scoreboard-events", "event-401872932-final-q4.json"))
	if err != nil {
		t.Fatal(err)
	}

	kickoff := time.Date(2026, 9, 18, 0, 15, 0, 0, time.UTC).Unix()
	scheduled := &messages.Game{GameId: "2026_02_DET_BUF", Season: 2026, Week: 2, GameType: "REG", AwayTeam: "DET",
		HomeTeam: "BUF", KickoffUnix: kickoff, Status: messages.GameStatusScheduled, Location: "Home"}
	away, home := int32(31), int32(41)
	final := proto.Clone(scheduled).(*messages.Game)
	final.AwayScore, final.HomeScore, final.Status = &away, &home, messages.GameStatusFinal
	snapshot := func(game *messages.Game) sourceResult {
		return sourceResult{snapshot: &messages.Snapshot{Season: 2026, Week: 2, Games: []*messages.Game{proto.Clone(game).(*messages.Game)}}}
	}
	source := &scriptedSource{results: []sourceResult{snapshot(scheduled), snapshot(scheduled), snapshot(final), snapshot(final)}}

	fixture := startTestLive(t, source, replay, nil, testIDMap(t, detBufSchedule))
	game := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_GAME, "2026_02_DET_BUF"))

	// nflverse's schedule row, then ESPN's live game, then the same
	// schedule row again: it must not flip the game back to scheduled.
	fixture.sync(t)
	fixture.poll(t)
	settle()
	fixture.sync(t)
	settle()
	deltas := gameDeltas(t, game)
	if len(deltas) != 2 {
		t.Fatalf("%d GAME_SCORES, want the schedule row and the live game: %v", len(deltas), deltas)
	}
	live := deltas[1]
	if live["status"] != "in_progress" || live["provisional"] != true {
		t.Errorf("live delta %v, want in_progress and provisional", live)
	}
	if kickoffText := field(live, "kickoff"); kickoffText != "2026-09-18T00:15:00Z" {
		t.Errorf("live kickoff %s, want the schedule row's", kickoffText)
	}

	// ESPN's final, then nflverse's final: nflverse wins, and the only
	// change is that the game is no longer provisional and has no quarter.
	fixture.poll(t)
	settle()
	fixture.sync(t)
	settle()
	fixture.sync(t)
	settle()
	deltas = gameDeltas(t, game)
	if len(deltas) != 4 {
		t.Fatalf("%d GAME_SCORES, want 4: %v", len(deltas), deltas)
	}
	if espnFinal := deltas[2]; espnFinal["status"] != "final" || espnFinal["provisional"] != true {
		t.Errorf("ESPN final delta %v, want final and provisional", espnFinal)
	}
	nflverseFinal := deltas[3]
	if nflverseFinal["status"] != "final" || nflverseFinal["provisional"] != false || field(nflverseFinal, "away_score") != "31" {
		t.Errorf("nflverse final delta %v, want final 31-41, not provisional", nflverseFinal)
	}
	if got := changedFields(nflverseFinal); !slices.Equal(got, []string{"provisional", "quarter"}) {
		t.Errorf("nflverse final changed %q, want provisional and quarter", got)
	}
}

// summarySource returns saved summaries by ESPN event id.
type summarySource map[string]*espn.Summary

func (s summarySource) Summary(_ context.Context, id string) (*espn.Summary, error) {
	summary, ok := s[id]
	if !ok {
		return nil, fmt.Errorf("no summary %s", id)
	}
	return summary, nil
}

// fixedScoreboard returns the same scoreboard on every call.
type fixedScoreboard struct{ board *espn.Scoreboard }

func (s fixedScoreboard) Scoreboard(context.Context, espn.ScoreboardQuery) (*espn.Scoreboard, error) {
	return s.board, nil
}

func TestLiveProvisionalPlayerThenNflverse(t *testing.T) {
	// Jordan Love's nflverse row differs from ESPN's: it has more columns.
	const jordanLove = "00-0036264"
	body, err := os.ReadFile(filepath.Join(espnFixtures, "summary", "401547417_2023-wk2_ATL-GB_final.json"))
	if err != nil {
		t.Fatal(err)
	}
	summary, err := espn.ParseSummary(body)
	if err != nil {
		t.Fatal(err)
	}
	// The summary is final; the scoreboard shows the game in progress, so
	// that the poller reads the summary.
	quarter, clock, zero := int32(4), "2:00", int32(0)
	board := &espn.Scoreboard{Season: 2023, SeasonType: 2, Week: 2, Games: []*espn.LiveGame{{
		EspnID: "401547417", AwayTeam: "GB", HomeTeam: "ATL", Status: espn.StatusInProgress,
		Quarter: &quarter, Clock: &clock, AwayScore: &zero, HomeScore: &zero, Provisional: true,
	}}}

	ids := testIDMap(t)
	idMap, _ := ids(context.Background(), 2023)
	espnRows, _, err := espn.PlayerWeeksFromSummary(summary, idMap)
	if err != nil {
		t.Fatal(err)
	}
	// Another player's row, which nflverse then publishes unchanged.
	var unchanged *messages.PlayerWeek
	for _, row := range espnRows {
		if row.GetPlayerId() != jordanLove && unchanged == nil {
			unchanged = proto.Clone(row).(*messages.PlayerWeek)
		}
	}
	if unchanged == nil {
		t.Fatal("the summary has no mapped player besides Jordan Love")
	}
	unchangedRow := unchanged.GetPlayerId()

	stats := readFile(t, filepath.Join(nflverseFixtures, "stats_player", "stats_player_week_2023.csv.gz"), nflverse.ReadPlayerStats)
	var loveRow *messages.PlayerWeek
	for _, row := range stats.Players {
		if row.GetPlayerId() == jordanLove && row.GetWeek() == 2 {
			loveRow = row
		}
	}
	if loveRow == nil {
		t.Fatal("no nflverse 2023 week 2 row for Jordan Love")
	}
	published := &messages.Snapshot{Season: 2023, Week: 3, PlayerWeeks: []*messages.PlayerWeek{loveRow, unchanged}}

	fixture := startTestLive(t, &scriptedSource{results: []sourceResult{{snapshot: published}}},
		fixedScoreboard{board}, summarySource{"401547417": summary}, ids)
	love := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, jordanLove))
	other := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, unchangedRow))

	// Two polls of the same summary: one provisional row each.
	fixture.poll(t)
	fixture.poll(t)
	settle()
	for name, sink := range map[string]*collector{"Jordan Love": love, unchangedRow: other} {
		updates := sink.messages(t)
		if len(updates) != 1 {
			t.Fatalf("%s: %d PLAYER_UPDATE after two polls, want 1", name, len(updates))
		}
		data := updates[0]["data"].(map[string]any)
		if data["provisional"] != true || data["first_seen"] != true {
			t.Errorf("%s: provisional %v first_seen %v, want both true", name, data["provisional"], data["first_seen"])
		}
	}
	provisional := love.messages(t)[0]["data"].(map[string]any)
	if got := provisional["stats"].(map[string]any)["passing_yards"]; got != "151" {
		t.Errorf("provisional passing_yards %v, want 151 (gross, not net of sacks)", got)
	}

	// nflverse publishes week 2: twice, so that a repeat adds nothing.
	fixture.sync(t)
	fixture.sync(t)
	settle()

	updates := love.messages(t)
	if len(updates) != 2 {
		t.Fatalf("Jordan Love: %d PLAYER_UPDATE, want the provisional row and one correction", len(updates))
	}
	correction := updates[1]["data"].(map[string]any)
	if correction["provisional"] != false || correction["correction"] != true || correction["first_seen"] != false {
		t.Errorf("correction provisional %v correction %v first_seen %v, want false, true, false",
			correction["provisional"], correction["correction"], correction["first_seen"])
	}
	previous := correction["previous"].(map[string]any)
	if len(previous) == 0 {
		t.Error("correction has no previous values, want the differences")
	}
	provisionalStats := provisional["stats"].(map[string]any)
	for name, before := range previous {
		want, isStat := provisionalStats[name]
		switch {
		case name == "player_name":
			// ESPN's row has the roster's display name only.
		case isStat && before != want:
			t.Errorf("previous %s = %v, want the provisional value %v", name, before, want)
		case !isStat && before != nil:
			t.Errorf("previous %s = %v, want null: ESPN has no such stat", name, before)
		}
	}
	if _, ok := previous["passing_yards"]; ok {
		t.Error("passing_yards changed, want ESPN's gross yards to equal nflverse's")
	}
	previousPoints := correction["previous_points"].(map[string]any)
	for ruleSet, points := range provisional["points"].(map[string]any) {
		if previousPoints[ruleSet] != points {
			t.Errorf("%s previous_points %v, want the provisional points %v", ruleSet, previousPoints[ruleSet], points)
		}
	}
	t.Logf("Jordan Love PPR: provisional %v, nflverse %v", previousPoints["ppr"], correction["points"].(map[string]any)["ppr"])

	// The unchanged row: one message that only clears provisional.
	updates = other.messages(t)
	if len(updates) != 2 {
		t.Fatalf("%s: %d PLAYER_UPDATE, want the provisional row and one final", unchangedRow, len(updates))
	}
	final := updates[1]["data"].(map[string]any)
	if final["provisional"] != false || final["correction"] != false || len(final["previous"].(map[string]any)) != 0 ||
		len(final["stats"].(map[string]any)) != 0 {
		t.Errorf("final of an unchanged row = %v, want provisional false, no correction, no changes", final)
	}

	// A later poll of ESPN for a week nflverse has published sends nothing.
	fixture.poll(t)
	settle()
	if got := len(love.messages(t)); got != 2 {
		t.Errorf("Jordan Love: %d PLAYER_UPDATE after ESPN polled again, want 2", got)
	}
}
