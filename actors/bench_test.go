package actors

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

const stats2025Path = "../testdata/nflverse/stats_player/stats_player_week_2025.csv.gz"

// weekCSV returns the header and the rows of one week of the real 2025
// weekly stats file as CSV text, relabelled as week asWeek. Week 2's rows
// relabelled as week 1 change nearly every stat of week 1's players, which
// gives the diff and the scorer real work.
func weekCSV(b testing.TB, week, asWeek string) []byte {
	b.Helper()
	file, err := os.Open(stats2025Path)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	reader, err := gzip.NewReader(file)
	if err != nil {
		b.Fatal(err)
	}

	var out bytes.Buffer
	scanner := bufio.NewScanner(reader)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	scanner.Scan()
	header := scanner.Text()
	out.WriteString(header + "\n")

	// season,week,season_type is unique in a row: ids and names come before.
	marker := ",2025," + week + ",REG,"
	for scanner.Scan() {
		line := scanner.Text()
		if strings.Contains(line, marker) {
			out.WriteString(strings.Replace(line, marker, ",2025,"+asWeek+",REG,", 1) + "\n")
		}
	}
	if err := scanner.Err(); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

// parsingSource parses the next CSV of its list on every Load, as a real
// poll does, and cycles through the list. It keeps the errors it returned.
type parsingSource struct {
	files [][]byte
	next  int

	mu     sync.Mutex
	failed []string
}

func (s *parsingSource) Load(context.Context, time.Time) (*messages.Snapshot, error) {
	data := s.files[s.next%len(s.files)]
	s.next++

	file, err := nflverse.ReadPlayerStats(bytes.NewReader(data), "week.csv")
	if err != nil {
		s.mu.Lock()
		s.failed = append(s.failed, err.Error())
		s.mu.Unlock()
		return nil, err
	}
	return &messages.Snapshot{Season: 2025, Week: 2, PlayerWeeks: file.Players, TeamWeeks: file.Teams}, nil
}

func (s *parsingSource) errors() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.failed, "; ")
}

// runCycle runs one sync cycle and waits until the scorer has handled every
// delta it produced.
func runCycle(b *testing.B, system *actor.ActorSystem, pipeline *Pipeline) *messages.SyncFinished {
	result, err := system.Root.RequestFuture(pipeline.Fetcher, &messages.Tick{}, time.Minute).Result()
	if err != nil {
		b.Fatal(err)
	}

	// Player actors send their deltas before they reply to the fetcher, so
	// the deltas are in the scorer's mailbox ahead of this Touch.
	if _, err := system.Root.RequestFuture(pipeline.Scorer, &actor.Touch{}, time.Minute).Result(); err != nil {
		b.Fatal(err)
	}
	return result.(*messages.SyncFinished)
}

func startBenchPipeline(b *testing.B, source messages.Source) (*actor.ActorSystem, *Pipeline) {
	b.Helper()
	// Quiet loggers keep the benchmark lines readable.
	quiet := slog.New(slog.DiscardHandler)
	system := actor.NewActorSystemWithConfig(actor.Configure(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet })))
	pipeline, err := StartPipeline(system, PipelineConfig{
		Logger:            quiet,
		Source:            source,
		Clock:             messages.SystemClock{},
		Hub:               NewHub(),
		State:             NewStateKeeper(inmem.New(), nil, nil, nil),
		RuleSets:          scoring.Presets(),
		LiveInterval:      time.Minute,
		OffseasonInterval: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pipeline.Stop(system) })
	return system, pipeline
}

// BenchmarkIngestWeek parses, diffs and scores one real week per
// iteration: the real week 1 of 2025 alternating with week 2's rows
// relabelled as week 1, so every iteration changes most players. Mirror
// writes are batched in the background and not waited for.
func BenchmarkIngestWeek(b *testing.B) {
	source := &parsingSource{files: [][]byte{weekCSV(b, "1", "1"), weekCSV(b, "2", "1")}}
	system, pipeline := startBenchPipeline(b, source)
	runCycle(b, system, pipeline)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		runCycle(b, system, pipeline)
	}
	b.ReportMetric(float64(len(source.files[0])), "csv-bytes")
}

// BenchmarkIdlePoll runs sync cycles where nothing changed: the same week
// parsed again. It measures parsing plus the actors' comparison.
func BenchmarkIdlePoll(b *testing.B) {
	source := &parsingSource{files: [][]byte{weekCSV(b, "1", "1")}}
	system, pipeline := startBenchPipeline(b, source)
	runCycle(b, system, pipeline)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		runCycle(b, system, pipeline)
	}
}

// parsedSource returns the next snapshot of its list on every Load and
// cycles through the list, so a benchmark can time the actors alone.
type parsedSource struct {
	snapshots []*messages.Snapshot
	next      int
}

func (s *parsedSource) Load(context.Context, time.Time) (*messages.Snapshot, error) {
	snapshot := s.snapshots[s.next%len(s.snapshots)]
	s.next++
	return snapshot, nil
}

// BenchmarkIdlePollActors is BenchmarkIdlePoll without the parsing: the
// same week, parsed twice before the timer starts, alternates, so every
// poll brings new row messages with the same values, as a real poll of an
// unchanged file does.
func BenchmarkIdlePollActors(b *testing.B) {
	week := weekCSV(b, "1", "1")
	source := &parsedSource{}
	for range 2 {
		file, err := nflverse.ReadPlayerStats(bytes.NewReader(week), "week.csv")
		if err != nil {
			b.Fatal(err)
		}
		source.snapshots = append(source.snapshots,
			&messages.Snapshot{Season: 2025, Week: 2, PlayerWeeks: file.Players, TeamWeeks: file.Teams})
	}
	system, pipeline := startBenchPipeline(b, source)
	runCycle(b, system, pipeline)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		runCycle(b, system, pipeline)
	}
}

// BenchmarkIngestSeason parses, diffs and scores the whole real 2025
// weekly stats file (19,421 rows, 145 columns) into fresh actors, so every
// row is new: the work of a first poll. Starting and stopping the actors is
// not timed.
func BenchmarkIngestSeason(b *testing.B) {
	data, err := os.ReadFile(stats2025Path)
	if err != nil {
		b.Fatal(err)
	}
	source := &parsingSource{files: [][]byte{data}}

	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		system, pipeline := startBenchPipeline(b, source)
		b.StartTimer()

		runCycle(b, system, pipeline)

		// b.Loop fails when it is called with the timer stopped, so the
		// timer runs again before the next iteration.
		b.StopTimer()
		pipeline.Stop(system)
		system.Shutdown()
		b.StartTimer()
	}
}

// BenchmarkParseWeek parses the real week 1 of 2025 alone, so that
// BenchmarkIdlePoll minus this is the actors' share of an idle poll.
func BenchmarkParseWeek(b *testing.B) {
	source := &parsingSource{files: [][]byte{weekCSV(b, "1", "1")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := source.Load(context.Background(), time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlayerActorMemory reports the heap that player actors hold after
// the whole real 2025 season was ingested: per actor in all (its rows
// included, which share identical values) and per actor with no row, the
// protoactor process and mailbox alone.
func BenchmarkPlayerActorMemory(b *testing.B) {
	data, err := os.ReadFile(stats2025Path)
	if err != nil {
		b.Fatal(err)
	}

	// The timer runs through each iteration, so that b.Loop measures its
	// real cost (seconds) and runs one or two iterations at the default
	// -benchtime. With the timer stopped it measured no time and kept
	// adding iterations. The time per op is not a figure of interest.
	for b.Loop() {
		source := &parsingSource{files: [][]byte{data}}
		before := heapLive()
		system, pipeline := startBenchPipeline(b, source)
		runCycle(b, system, pipeline)
		players := countPlayers(source)
		withRows := heapLive() - before

		// The empty actors get player_ids that the season does not have,
		// so they rehydrate nothing and hold no row.
		emptyState := NewStateKeeper(inmem.New(), nil, nil, nil)
		emptyBefore := heapLive()
		spawned := make([]*actor.PID, 0, players)
		for i := range players {
			playerID := "empty-" + strconv.Itoa(i)
			props := newPlayerProps(playerID, pipeline.Scorer, nil, emptyState, time.Now, slog.Default(), nil)
			pid, err := system.Root.SpawnNamed(props, "player-"+playerID)
			if err != nil {
				b.Fatal(err)
			}
			spawned = append(spawned, pid)
		}

		// An actor replies to Touch after it handled Started, so every
		// actor has rehydrated before the heap is measured.
		for _, pid := range spawned {
			if _, err := system.Root.RequestFuture(pid, &actor.Touch{}, time.Minute).Result(); err != nil {
				b.Fatal(err)
			}
		}
		spawned = nil
		empty := heapLive() - emptyBefore

		b.ReportMetric(float64(withRows)/float64(players), "bytes/player-with-rows")
		b.ReportMetric(float64(empty)/float64(players), "bytes/empty-actor")
		pipeline.Stop(system)
		system.Shutdown()
		b.StartTimer()
	}
}

// heapLive returns the bytes of live heap objects after a full collection.
func heapLive() uint64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

func countPlayers(source *parsingSource) int {
	file, err := nflverse.ReadPlayerStats(bytes.NewReader(source.files[0]), "season.csv")
	if err != nil {
		return 1
	}
	players := make(map[string]bool)
	for _, row := range file.Players {
		players[row.GetPlayerId()] = true
	}
	return len(players)
}

// BenchmarkHubItemRecords measures the memory of the hub's item records for
// one season when no player has a subscriber: 2,000 players with 18 weeks
// each, every change skipped by the scorer and recorded. It reports the
// heap per record, which includes each player's stream state.
func BenchmarkHubItemRecords(b *testing.B) {
	const players, weeks = 2000, 18
	streams := make([]string, players)
	for i := range streams {
		streams[i] = StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-"+strconv.Itoa(1000000+i))
	}
	detected := time.Now().UnixNano()

	var perRecord float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		hub := NewHub()
		for _, stream := range streams {
			for week := int32(1); week <= weeks; week++ {
				hub.activeOrSkip(stream, itemVersion{key: playerItem(2025, week), detected: detected})
			}
		}

		runtime.GC()
		runtime.ReadMemStats(&after)
		perRecord = float64(after.HeapAlloc-before.HeapAlloc) / (players * weeks)
		runtime.KeepAlive(hub)
	}
	b.ReportMetric(perRecord, "B/record")
}
