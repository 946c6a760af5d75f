package actors

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

// scriptedSource returns its results in order, repeating the last one.
type scriptedSource struct {
	mu      sync.Mutex
	results []sourceResult
}

type sourceResult struct {
	snapshot *messages.Snapshot
	err      error
}

func (s *scriptedSource) Load(context.Context, time.Time) (*messages.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	result := s.results[0]
	if len(s.results) > 1 {
		s.results = s.results[1:]
	}
	return result.snapshot, result.err
}

// collector subscribes to streams like a session actor and keeps every
// payload it receives.
type collector struct {
	mu       sync.Mutex
	payloads [][]byte
}

func (c *collector) Receive(ctx actor.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()

	switch message := ctx.Message().(type) {
	case *StreamMessage:
		c.payloads = append(c.payloads, message.Payload)

	case *StreamBatch:
		for _, batched := range message.Messages {
			c.payloads = append(c.payloads, batched.Payload)
		}
	}
}

func (c *collector) messages(t *testing.T) []map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	decoded := make([]map[string]any, 0, len(c.payloads))
	for _, payload := range c.payloads {
		var message map[string]any
		if err := json.Unmarshal(payload, &message); err != nil {
			t.Fatalf("decode payload %s: %v", payload, err)
		}
		decoded = append(decoded, message)
	}
	return decoded
}

type pipelineFixture struct {
	system   *actor.ActorSystem
	pipeline *Pipeline
	hub      *Hub
}

func startTestPipeline(t *testing.T, source messages.Source) *pipelineFixture {
	t.Helper()
	return startTestPipelineWith(t, PipelineConfig{Source: source})
}

// startTestPipelineWith fills in the defaults of config that tests do not
// set and starts the pipeline.
func startTestPipelineWith(t *testing.T, config PipelineConfig) *pipelineFixture {
	t.Helper()
	system := actor.NewActorSystem()
	hub := NewHub()
	config.Clock = messages.SystemClock{}
	config.Hub = hub
	if config.State == nil {
		config.State = NewStateKeeper(inmem.New(), nil, nil, nil)
	}
	config.RuleSets = scoring.Presets()
	config.LiveInterval, config.OffseasonInterval = time.Minute, time.Hour
	pipeline, err := StartPipeline(system, config)
	if err != nil {
		t.Fatalf("StartPipeline: %v", err)
	}
	t.Cleanup(func() { pipeline.Stop(system) })
	return &pipelineFixture{system: system, pipeline: pipeline, hub: hub}
}

// subscribe spawns a collector subscribed to the given streams.
func (f *pipelineFixture) subscribe(streams ...string) *collector {
	sink := &collector{}
	pid := f.system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sink }))
	for _, stream := range streams {
		f.hub.Subscribe(stream, pid)
	}
	return sink
}

// sync runs one cycle and returns the fetcher's report.
func (f *pipelineFixture) sync(t *testing.T) *messages.SyncFinished {
	t.Helper()
	result, err := f.system.Root.RequestFuture(f.pipeline.Fetcher, &messages.Tick{}, 10*time.Second).Result()
	if err != nil {
		t.Fatalf("sync cycle: %v", err)
	}
	return result.(*messages.SyncFinished)
}

func playerWeek(playerID string, week int32, stats ...string) *messages.PlayerWeek {
	row := &messages.PlayerWeek{
		Season: 2024, Week: week, SeasonType: "REG", PlayerId: playerID, PlayerName: "P." + playerID,
		Position: "WR", Team: "KC", OpponentTeam: "BAL", GameId: "2024_01_BAL_KC",
	}
	for i := 0; i+1 < len(stats); i += 2 {
		row.Stats = append(row.Stats, &messages.Stat{Name: stats[i], Value: stats[i+1]})
	}
	return row
}

func snapshotOf(week int32, rows ...*messages.PlayerWeek) *messages.Snapshot {
	home, away := int32(27), int32(20)
	return &messages.Snapshot{
		Season: 2024,
		Week:   week,
		Games: []*messages.Game{{
			GameId: "2024_01_BAL_KC", Season: 2024, Week: 1, GameType: "REG", AwayTeam: "BAL", HomeTeam: "KC",
			AwayScore: &away, HomeScore: &home, Status: messages.GameStatusFinal, KickoffUnix: 1725582000,
		}},
		PlayerWeeks: rows,
	}
}

// cloneSnapshot deep-copies the rows, as every real poll parses new ones.
func cloneSnapshot(snapshot *messages.Snapshot) *messages.Snapshot {
	clone := *snapshot
	clone.PlayerWeeks = nil
	for _, row := range snapshot.PlayerWeeks {
		clone.PlayerWeeks = append(clone.PlayerWeeks, proto.Clone(row).(*messages.PlayerWeek))
	}
	clone.Games = nil
	for _, game := range snapshot.Games {
		clone.Games = append(clone.Games, proto.Clone(game).(*messages.Game))
	}
	return &clone
}

func TestPipelineDeltasOnlyForChanges(t *testing.T) {
	first := snapshotOf(2,
		playerWeek("00-0000001", 1, "receiving_yards", "50", "receptions", "4"),
		playerWeek("00-0000002", 1, "rushing_yards", "80"),
	)
	corrected := cloneSnapshot(first)
	corrected.PlayerWeeks[0].Stats[0].Value = "62"

	source := &scriptedSource{results: []sourceResult{
		{snapshot: first},
		{snapshot: cloneSnapshot(first)},
		{err: errors.New("truncated gzip")},
		{snapshot: corrected},
	}}
	fixture := startTestPipeline(t, source)
	player := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0000001"))
	game := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_GAME, "2024_01_BAL_KC"))

	// First poll: every row is new.
	if report := fixture.sync(t); !report.GetOk() {
		t.Fatalf("first cycle failed: %v", report)
	}
	waitFor(t, "first PLAYER_UPDATE", func() bool { return len(player.messages(t)) == 1 })
	waitFor(t, "first GAME_SCORES", func() bool { return len(game.messages(t)) == 1 })

	// Second poll, same data: nothing is sent.
	fixture.sync(t)

	// Third poll fails: no deltas, state kept.
	if report := fixture.sync(t); report.GetOk() {
		t.Fatalf("failed load reported ok: %v", report)
	}

	// Fourth poll corrects week 1 while week 2 is current.
	fixture.sync(t)
	waitFor(t, "correction", func() bool { return len(player.messages(t)) == 2 })

	// Give stray messages a moment to arrive before counting exactly.
	time.Sleep(100 * time.Millisecond)
	updates := player.messages(t)
	if len(updates) != 2 {
		t.Fatalf("PLAYER_UPDATE count = %d, want 2", len(updates))
	}
	if got := len(game.messages(t)); got != 1 {
		t.Fatalf("GAME_SCORES count = %d, want 1", got)
	}

	data := updates[1]["data"].(map[string]any)
	if data["correction"] != true {
		t.Errorf("correction = %v, want true", data["correction"])
	}
	previous := data["previous"].(map[string]any)
	if previous["receiving_yards"] != "50" || len(previous) != 1 {
		t.Errorf("previous = %v, want only receiving_yards 50", previous)
	}
	points := data["points"].(map[string]any)
	if points["ppr"] != "10.20" || points["standard"] != "6.20" || points["half-ppr"] != "8.20" {
		t.Errorf("points = %v, want standard 6.20, half-ppr 8.20, ppr 10.20", points)
	}
	previousPoints := data["previous_points"].(map[string]any)
	if previousPoints["ppr"] != "9.00" {
		t.Errorf("previous ppr points = %v, want 9.00", previousPoints["ppr"])
	}
}

func TestPipelineSessionGetsOnlyItsPlayer(t *testing.T) {
	snapshot := snapshotOf(1,
		playerWeek("00-0000001", 1, "receptions", "1"),
		playerWeek("00-0000002", 1, "receptions", "2"),
		playerWeek("00-0000003", 1, "receptions", "3"),
	)
	fixture := startTestPipeline(t, &scriptedSource{results: []sourceResult{{snapshot: snapshot}}})
	sink := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, "00-0000002"))

	fixture.sync(t)
	waitFor(t, "PLAYER_UPDATE", func() bool { return len(sink.messages(t)) == 1 })
	time.Sleep(100 * time.Millisecond)

	received := sink.messages(t)
	if len(received) != 1 {
		t.Fatalf("received %d messages, want 1", len(received))
	}
	data := received[0]["data"].(map[string]any)
	if data["player_id"] != "00-0000002" || received[0]["type"] != messages.TypePlayerUpdate {
		t.Errorf("message = %v, want PLAYER_UPDATE for 00-0000002", received[0])
	}
}

func TestPipelineRejectsBadConfig(t *testing.T) {
	system := actor.NewActorSystem()
	_, err := StartPipeline(system, PipelineConfig{Hub: NewHub(), Clock: messages.SystemClock{}})
	if err == nil {
		t.Fatal("StartPipeline without a source succeeded")
	}
}
