package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

const snapshotTestPlayer = "00-0033873"

// snapshotFixture serves snapshots from an in-memory StateKeeper and the hub
// that a test publishes to in place of the scorer and the game actors, so
// that the test decides when a change that the mirror already has is
// published.
type snapshotFixture struct {
	system    *actor.ActorSystem
	hub       *Hub
	keeper    *StateKeeper
	scorer    *scoring.Scorer
	snapshots *Snapshots
}

func newSnapshotFixture(t *testing.T) *snapshotFixture {
	t.Helper()

	scorer, err := scoring.NewScorer(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	f := &snapshotFixture{system: newSessionTestSystem(t), hub: NewHub(), scorer: scorer}
	f.keeper = NewStateKeeper(inmem.New(), nil, nil, nil)
	f.snapshots = NewSnapshots(f.keeper, scorer, f.hub)
	return f
}

// quarterbackWeek returns a week-5 row of the test player.
func quarterbackWeek(team string, stats ...string) *messages.PlayerWeek {
	row := &messages.PlayerWeek{
		Season: 2024, Week: 5, SeasonType: "REG", PlayerId: snapshotTestPlayer, PlayerName: "P.Mahomes",
		Position: "QB", Team: team, OpponentTeam: "NO", GameId: "2024_05_KC_NO",
	}
	for i := 0; i+1 < len(stats); i += 2 {
		row.Stats = append(row.Stats, &messages.Stat{Name: stats[i], Value: stats[i+1]})
	}
	return row
}

// storeWeek does what a player actor does with a changed row: it writes the
// row, stamped with its detection time, to the StateKeeper, and returns the
// PLAYER_UPDATE that the scorer publishes later. previous is the row before
// the change, nil for a first-seen row. detectedAgo is how long before now
// the change was detected.
func (f *snapshotFixture) storeWeek(t *testing.T, previous, row *messages.PlayerWeek, detectedAgo time.Duration) Publication {
	t.Helper()

	detected := time.Now().Add(-detectedAgo).UnixNano()
	stored := stampPlayerWeek(row, detected)
	f.keeper.PutPlayer(&messages.PlayerState{PlayerId: row.GetPlayerId(), Weeks: []*messages.PlayerWeek{stored}}, nil)

	delta := &messages.PlayerStatsDelta{Current: stored, FirstSeen: previous == nil, DetectedUnixNano: detected}
	if previous != nil {
		delta.Changes = diffPlayerWeek(previous, row)
	}
	update, err := scoreDeltaFrom(f.scorer, delta, previous)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := messages.EncodePlayerUpdate(update)
	if err != nil {
		t.Fatal(err)
	}
	return Publication{
		Stream:  StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, row.GetPlayerId()),
		Payload: payload,
		version: itemVersion{key: playerItem(row.GetSeason(), row.GetWeek()), detected: detected},
	}
}

// snapshotItemOf returns the SNAPSHOT item of row, decoded, as a snapshot
// taken with row in the mirror and no message pending has it.
func (f *snapshotFixture) snapshotItemOf(t *testing.T, row *messages.PlayerWeek) map[string]any {
	t.Helper()

	update, err := scoreDelta(f.scorer, &messages.PlayerStatsDelta{Current: row, FirstSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	item, err := json.Marshal(messages.NewPlayerUpdateData(update))
	if err != nil {
		t.Fatal(err)
	}
	return decodeSessionTestJSON(t, item)
}

// subscribe starts a session with the fixture's Snapshots, subscribes it to
// the test player and waits for the ACK.
func (f *snapshotFixture) subscribe(t *testing.T, kind messages.StreamKind, id string) *fakeSessionConn {
	t.Helper()

	conn := &fakeSessionConn{}
	session := f.system.Root.Spawn(NewSessionProps(f.hub, conn, SessionConfig{Snapshotter: f.snapshots}))
	f.system.Root.Send(session, &messages.Subscribe{Kind: kind, Id: id})
	sessionTestEventually(t, "the ACK", func() bool { return len(conn.sent()) >= 1 })
	return conn
}

// checkPositions checks that the connection got an ACK and a SNAPSHOT at
// seq, followed by messages of seq+1, seq+2, … with no gap and no repeat.
func checkPositions(t *testing.T, decoded []sessionTestMessage, seq uint64) {
	t.Helper()

	if len(decoded) < 2 {
		t.Fatalf("got %s, want an ACK and a SNAPSHOT first", describeSessionTestMessages(decoded))
	}
	if decoded[0].Type != messages.TypeAck || decoded[0].Seq != seq {
		t.Errorf("first message %s at seq %d, want ACK at seq %d", decoded[0].Type, decoded[0].Seq, seq)
	}
	if decoded[1].Type != TypeSnapshot || decoded[1].Seq != seq {
		t.Errorf("second message %s at seq %d, want SNAPSHOT at seq %d", decoded[1].Type, decoded[1].Seq, seq)
	}
	for i, message := range decoded[2:] {
		if want := seq + uint64(i) + 1; message.Seq != want {
			t.Errorf("message %d (%s) has seq %d, want %d", i+3, message.Type, message.Seq, want)
		}
	}
}

// checkNotSentYet checks, after a pause, that the connection has only its
// ACK: the SNAPSHOT must wait for a version that the hub has not published.
func checkNotSentYet(t *testing.T, conn *fakeSessionConn) {
	t.Helper()

	time.Sleep(50 * time.Millisecond)
	if sent := decodeSessionTestMessages(t, conn.sent()); len(sent) != 1 {
		t.Errorf("before the publication the connection got %s, want only the ACK", describeSessionTestMessages(sent))
	}
}

func snapshotWeeks(t *testing.T, snapshot sessionTestMessage) map[float64]map[string]any {
	t.Helper()

	weeks := make(map[float64]map[string]any)
	for _, item := range snapshot.Items {
		decoded := decodeSessionTestJSON(t, item)
		weeks[decoded["week"].(float64)] = decoded
	}
	return weeks
}

// TestSnapshotLeavesOutWeekPublishedAfterAck has the mirror hold a new week
// whose PLAYER_UPDATE is published only after the session subscribed. The
// SNAPSHOT must leave the week out, and the message then brings it.
func TestSnapshotLeavesOutWeekPublishedAfterAck(t *testing.T) {
	f := newSnapshotFixture(t)
	update := f.storeWeek(t, nil, quarterbackWeek("KC", "passing_yards", "262"), 0)

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	checkNotSentYet(t, conn)
	f.hub.PublishBatch(f.system.Root, []Publication{update})
	sessionTestEventually(t, "ACK, SNAPSHOT and PLAYER_UPDATE", func() bool { return len(conn.sent()) == 3 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 0)
	if len(decoded[1].Items) != 0 {
		t.Errorf("SNAPSHOT items %s, want none: week 5 comes with the message at seq 1", decoded[1].Items)
	}
	if decoded[2].Type != messages.TypePlayerUpdate {
		t.Errorf("third message %s, want PLAYER_UPDATE", decoded[2].Type)
	}
}

// TestSnapshotTurnsBackCorrectionPublishedAfterAck has the mirror hold a
// correction of a week that the stream already carried, published only
// after the session subscribed. The SNAPSHOT must hold the week as before
// the correction, which the message then brings.
func TestSnapshotTurnsBackCorrectionPublishedAfterAck(t *testing.T) {
	f := newSnapshotFixture(t)
	before := quarterbackWeek("KC", "passing_tds", "1", "passing_yards", "200")
	f.hub.PublishBatch(f.system.Root, []Publication{f.storeWeek(t, nil, before, time.Second)})

	// The correction changes a stat and the team, removes a stat and adds
	// one.
	after := quarterbackWeek("KAN", "passing_yards", "262", "rushing_yards", "15")
	correction := f.storeWeek(t, before, after, 0)

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	checkNotSentYet(t, conn)
	f.hub.PublishBatch(f.system.Root, []Publication{correction})
	sessionTestEventually(t, "ACK, SNAPSHOT and PLAYER_UPDATE", func() bool { return len(conn.sent()) == 3 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 1)
	got := snapshotWeeks(t, decoded[1])[5]
	if want := f.snapshotItemOf(t, before); !reflect.DeepEqual(got, want) {
		t.Errorf("SNAPSHOT week 5 = %v,\nwant the week before the correction %v", got, want)
	}
	if decoded[2].Type != messages.TypePlayerUpdate {
		t.Errorf("third message %s, want PLAYER_UPDATE", decoded[2].Type)
	}
}

// TestSnapshotTurnsBackReplacedProvisionalRow has the stream carry a
// provisional row from ESPN, then the mirror hold nflverse's row of the
// week, which the stream carries only after the session subscribed. At the
// ACK's seq the stream had the provisional row, so the SNAPSHOT holds it,
// marked provisional, and the replacement follows.
func TestSnapshotTurnsBackReplacedProvisionalRow(t *testing.T) {
	f := newSnapshotFixture(t)
	live := quarterbackWeek("KC", "passing_yards", "250")
	detected := time.Now().Add(-time.Second).UnixNano()
	update, err := scoreDelta(f.scorer, &messages.PlayerStatsDelta{Current: live, FirstSeen: true, Provisional: true, DetectedUnixNano: detected})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := messages.EncodePlayerUpdate(update)
	if err != nil {
		t.Fatal(err)
	}
	f.hub.PublishBatch(f.system.Root, []Publication{{
		Stream: "player:" + snapshotTestPlayer, Payload: payload, version: itemVersion{key: playerItem(2024, 5), detected: detected},
	}})
	replacement := f.storeWeek(t, live, quarterbackWeek("KC", "passing_yards", "262"), 0)

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	checkNotSentYet(t, conn)
	f.hub.PublishBatch(f.system.Root, []Publication{replacement})
	sessionTestEventually(t, "ACK, SNAPSHOT and PLAYER_UPDATE", func() bool { return len(conn.sent()) == 3 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 1)
	want := f.snapshotItemOf(t, live)
	want["provisional"] = true
	if got := snapshotWeeks(t, decoded[1])[5]; !reflect.DeepEqual(got, want) {
		t.Errorf("SNAPSHOT week 5 = %v,\nwant the provisional row %v", got, want)
	}
}

// TestSnapshotHasWeekPublishedBeforeAck is the case without a race: the
// SNAPSHOT holds the week, and no message repeats it.
func TestSnapshotHasWeekPublishedBeforeAck(t *testing.T) {
	f := newSnapshotFixture(t)
	row := quarterbackWeek("KC", "passing_yards", "262")
	f.hub.PublishBatch(f.system.Root, []Publication{f.storeWeek(t, nil, row, 0)})

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	sessionTestEventually(t, "ACK and SNAPSHOT", func() bool { return len(conn.sent()) == 2 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 1)
	if got, want := snapshotWeeks(t, decoded[1])[5], f.snapshotItemOf(t, row); !reflect.DeepEqual(got, want) {
		t.Errorf("SNAPSHOT week 5 = %v, want %v", got, want)
	}
}

// TestSnapshotDoesNotWaitForSettledVersions covers the versions that no
// message will carry, or that cannot be compared with the hub's clock: one
// that the scorer skipped because the player had no subscriber, one older
// than inFlightLimit whose message was lost, one dated in the future by a
// replay clock, and one from before the hub started. Each is served from
// the mirror at once.
func TestSnapshotDoesNotWaitForSettledVersions(t *testing.T) {
	tests := []struct {
		name      string
		ago       time.Duration
		skip      bool
		beforeHub bool
	}{
		{name: "skipped", skip: true},
		{name: "lost", ago: inFlightLimit + time.Second},
		{name: "dated by another clock", ago: -inFlightLimit - time.Minute},
		{name: "older than the hub", ago: -time.Hour, beforeHub: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			f := newSnapshotFixture(t)
			row := quarterbackWeek("KC", "passing_yards", "262")
			if test.beforeHub {
				// A version stamped before the hub started.
				f.hub = NewHub()
				f.hub.startedUnixNano = time.Now().Add(time.Minute).UnixNano()
				f.snapshots = NewSnapshots(f.keeper, f.scorer, f.hub)
				test.ago = 0
			}
			update := f.storeWeek(t, nil, row, test.ago)
			if test.skip && f.hub.activeOrSkip(update.Stream, update.version) {
				t.Fatal("activeOrSkip reported a stream without subscribers active")
			}

			ctx, cancel := context.WithTimeout(context.Background(), inFlightLimit/2)
			defer cancel()
			items, err := f.snapshots.Snapshot(ctx, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer, 0)
			if err != nil {
				t.Fatalf("Snapshot waited for a version that no message will carry: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("Snapshot returned %d items, want week 5", len(items))
			}
			if got, want := decodeSessionTestJSON(t, items[0]), f.snapshotItemOf(t, row); !reflect.DeepEqual(got, want) {
				t.Errorf("SNAPSHOT week 5 = %v, want %v", got, want)
			}
		})
	}
}

// TestSnapshotOfRelayedChanges is the cluster case: the changes reach this
// hub through PublishRelayed, after the session subscribed, while the
// shared mirror already has them. A game's SNAPSHOT leaves the game out,
// and a player's holds the week as before the correction.
func TestSnapshotOfRelayedChanges(t *testing.T) {
	f := newSnapshotFixture(t)
	relayed := &relayRecorder{}
	f.hub.SetRelay(relayed.relay)

	t.Run("game", func(t *testing.T) {
		game := &messages.Game{GameId: "2024_05_KC_NO", Season: 2024, Week: 5, AwayTeam: "KC", HomeTeam: "NO", Status: "scheduled"}
		detected := time.Now().UnixNano()
		f.keeper.PutGame(stampGame(game, detected))
		payload, err := messages.EncodeGameScores(&messages.GameDelta{Current: game, FirstSeen: true, DetectedUnixNano: detected})
		if err != nil {
			t.Fatal(err)
		}

		conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_GAME, game.GetGameId())
		checkNotSentYet(t, conn)
		f.hub.PublishRelayed(f.system.Root, "game:"+game.GetGameId(), payload)
		sessionTestEventually(t, "ACK, SNAPSHOT and GAME_SCORES", func() bool { return len(conn.sent()) == 3 })

		decoded := decodeSessionTestMessages(t, conn.sent())
		checkPositions(t, decoded, 0)
		if len(decoded[1].Items) != 0 {
			t.Errorf("SNAPSHOT items %s, want none: the game comes with the message at seq 1", decoded[1].Items)
		}
		if decoded[2].Type != messages.TypeGameScores {
			t.Errorf("third message %s, want GAME_SCORES", decoded[2].Type)
		}
	})

	t.Run("player", func(t *testing.T) {
		before := quarterbackWeek("KC", "passing_yards", "200")
		f.hub.PublishRelayed(f.system.Root, "player:"+snapshotTestPlayer, f.storeWeek(t, nil, before, time.Second).Payload)
		after := quarterbackWeek("KC", "passing_yards", "262")
		correction := f.storeWeek(t, before, after, 0)

		conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
		checkNotSentYet(t, conn)
		f.hub.PublishRelayed(f.system.Root, correction.Stream, correction.Payload)
		sessionTestEventually(t, "ACK, SNAPSHOT and PLAYER_UPDATE", func() bool { return len(conn.sent()) == 3 })

		decoded := decodeSessionTestMessages(t, conn.sent())
		checkPositions(t, decoded, 1)
		if got, want := snapshotWeeks(t, decoded[1])[5], f.snapshotItemOf(t, before); !reflect.DeepEqual(got, want) {
			t.Errorf("SNAPSHOT week 5 = %v,\nwant the week before the correction %v", got, want)
		}
	})

	if got := relayed.count(); got != 0 {
		t.Errorf("relayed %d payloads, want 0: relayed payloads are not relayed again", got)
	}
}

// TestRevertPlayerUpdateRestoresPreviousRow turns each kind of change of a
// row back: a changed stat, a stat that became null, a new stat and each
// identity field that diffPlayerWeek compares.
func TestRevertPlayerUpdateRestoresPreviousRow(t *testing.T) {
	f := newSnapshotFixture(t)
	before := quarterbackWeek("KC", "passing_tds", "1", "passing_yards", "200")
	after := quarterbackWeek("KAN", "passing_yards", "262", "rushing_yards", "15")
	after.SeasonType, after.PlayerName, after.PlayerDisplayName = "POST", "Pat Mahomes", "Patrick Mahomes"
	after.Position, after.OpponentTeam, after.GameId = "RB", "TB", "2024_05_KC_TB"

	delta := &messages.PlayerStatsDelta{Current: after, Changes: diffPlayerWeek(before, after)}
	update, err := scoreDeltaFrom(f.scorer, delta, before)
	if err != nil {
		t.Fatal(err)
	}
	current, err := scoreDelta(f.scorer, &messages.PlayerStatsDelta{Current: after, FirstSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	item := messages.NewPlayerUpdateData(current)
	revertPlayerUpdate(item, messages.NewPlayerUpdateData(update))

	encoded, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decodeSessionTestJSON(t, encoded), f.snapshotItemOf(t, before); !reflect.DeepEqual(got, want) {
		t.Errorf("reverted item = %v,\nwant %v", got, want)
	}
}

// followerModel is one connection's view of a player: the stats of each
// week, built from its SNAPSHOT and the PLAYER_UPDATEs after it.
type followerModel struct {
	weeks    map[int32]map[string]string
	seq      uint64
	problems []string
}

// apply takes one connection's messages in order and records each break of
// the protocol's promises as a problem. The breaks are a seq out of order,
// a PLAYER_UPDATE that repeats a week of the SNAPSHOT, and one whose
// previous values differ from what the connection holds.
func (m *followerModel) apply(t *testing.T, payloads [][]byte) {
	t.Helper()

	for i, message := range decodeSessionTestMessages(t, payloads) {
		switch message.Type {
		case messages.TypeAck:
			m.seq = message.Seq

		case TypeSnapshot:
			if message.Seq != m.seq {
				m.problems = append(m.problems, fmt.Sprintf("SNAPSHOT at seq %d after an ACK at seq %d", message.Seq, m.seq))
			}
			for _, item := range message.Items {
				var data messages.PlayerUpdateData
				if err := json.Unmarshal(item, &data); err != nil {
					t.Fatal(err)
				}
				m.weeks[data.Week] = data.Stats
			}

		case messages.TypePlayerUpdate:
			if message.Seq != m.seq+1 {
				m.problems = append(m.problems, fmt.Sprintf("PLAYER_UPDATE at seq %d after seq %d", message.Seq, m.seq))
			}
			m.seq = message.Seq
			var update struct {
				Data messages.PlayerUpdateData `json:"data"`
			}
			if err := json.Unmarshal(payloads[i], &update); err != nil {
				t.Fatal(err)
			}
			m.change(&update.Data)
		}
	}
}

func (m *followerModel) change(data *messages.PlayerUpdateData) {
	stats, known := m.weeks[data.Week]
	if data.FirstSeen {
		if known {
			m.problems = append(m.problems, fmt.Sprintf("week %d: the SNAPSHOT had it, and a first-seen PLAYER_UPDATE repeats it", data.Week))
		}
		m.weeks[data.Week] = data.Stats
		return
	}

	if !known {
		m.problems = append(m.problems, fmt.Sprintf("week %d: a PLAYER_UPDATE changes a week the connection does not have", data.Week))
		return
	}
	for field, previous := range data.Previous {
		value, has := stats[field]
		if previous == nil && has || previous != nil && (!has || value != *previous) {
			m.problems = append(m.problems, fmt.Sprintf(
				"week %d: a PLAYER_UPDATE says %s was %v while the connection holds %q, so the SNAPSHOT was ahead",
				data.Week, field, previous, value))
		}
		if _, set := data.Stats[field]; !set {
			delete(stats, field)
		}
	}
	for field, value := range data.Stats {
		stats[field] = value
	}
}

// TestSnapshotAndMessagesAgreeUnderLoad runs the pipeline, whose player
// actors write the mirror before the scorer publishes, while sessions
// subscribe during the cycles. Each cycle adds a week and corrects the one
// before. Every connection must get each change once and end with the
// mirror's weeks.
func TestSnapshotAndMessagesAgreeUnderLoad(t *testing.T) {
	const players = 300
	const cycles = 8
	playerID := func(i int) string { return fmt.Sprintf("00-%07d", i) }

	var results []sourceResult
	for cycle := int32(1); cycle <= cycles; cycle++ {
		var rows []*messages.PlayerWeek
		for i := range players {
			for week := int32(1); week <= cycle; week++ {
				yards := 10 * week
				if cycle > week {
					yards++
				}
				rows = append(rows, playerWeek(playerID(i), week, "receiving_yards", strconv.Itoa(int(yards)), "receptions", "3"))
			}
		}
		results = append(results, sourceResult{snapshot: snapshotOf(cycle, rows...)})
	}
	keeper := NewStateKeeper(inmem.New(), nil, nil, nil)
	fixture := startTestPipelineWith(t, PipelineConfig{Source: &scriptedSource{results: results}, State: keeper})

	// Sessions subscribe to the players in turn while the cycles run.
	type follower struct {
		playerID string
		conn     *fakeSessionConn
	}
	var followers []follower
	done := make(chan struct{})
	subscribed := make(chan struct{})
	go func() {
		defer close(subscribed)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			conn := &fakeSessionConn{}
			session := fixture.system.Root.Spawn(NewSessionProps(fixture.hub, conn, SessionConfig{Snapshotter: fixture.pipeline.Snapshots}))
			fixture.system.Root.Send(session, &messages.Subscribe{Kind: messages.StreamKind_STREAM_KIND_PLAYER, Id: playerID(i % players)})
			followers = append(followers, follower{playerID: playerID(i % players), conn: conn})
			time.Sleep(200 * time.Microsecond)
		}
	}()
	for range cycles {
		fixture.sync(t)
	}
	close(done)
	<-subscribed
	t.Logf("%d connections subscribed during %d cycles", len(followers), cycles)

	for _, follower := range followers {
		state, _, err := keeper.PeekPlayer(context.Background(), follower.playerID)
		if err != nil {
			t.Fatal(err)
		}
		want := make(map[int32]map[string]string)
		for _, row := range state.GetWeeks() {
			stats := make(map[string]string)
			for _, stat := range row.GetStats() {
				stats[stat.GetName()] = stat.GetValue()
			}
			want[row.GetWeek()] = stats
		}

		// The last messages may still be on their way.
		var model *followerModel
		deadline := time.Now().Add(10 * time.Second)
		for {
			model = &followerModel{weeks: make(map[int32]map[string]string)}
			model.apply(t, follower.conn.sent())
			if reflect.DeepEqual(model.weeks, want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		for _, problem := range model.problems {
			t.Errorf("follower of %s: %s", follower.playerID, problem)
		}
		if !reflect.DeepEqual(model.weeks, want) {
			t.Errorf("follower of %s ends with %v, want the mirror's %v", follower.playerID, model.weeks, want)
		}
	}
}

// TestSnapshotRollsForwardUnkeptChanges has the stream carry a first-seen
// week and a correction of it that the mirror does not have, as when a
// player actor's changes were published but never confirmed. The SNAPSHOT
// must hold the corrected week, because no later message carries it again
// to this session.
func TestSnapshotRollsForwardUnkeptChanges(t *testing.T) {
	f := newSnapshotFixture(t)
	before := quarterbackWeek("KC", "passing_tds", "1", "passing_yards", "200")
	after := quarterbackWeek("KAN", "passing_yards", "262", "rushing_yards", "15")
	first := f.storeWeek(t, nil, before, 2*time.Second)
	correction := f.storeWeek(t, before, after, time.Second)
	f.hub.PublishBatch(f.system.Root, []Publication{first, correction})

	// The mirror lost both: the actor kept neither.
	f.keeper.PutPlayer(&messages.PlayerState{PlayerId: snapshotTestPlayer}, nil)

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	sessionTestEventually(t, "ACK and SNAPSHOT", func() bool { return len(conn.sent()) == 2 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 2)
	weeks := snapshotWeeks(t, decoded[1])
	if len(weeks) != 1 {
		t.Fatalf("SNAPSHOT has %d weeks, want week 5 only", len(weeks))
	}
	if got, want := weeks[5], f.snapshotItemOf(t, after); !reflect.DeepEqual(got, want) {
		t.Errorf("SNAPSHOT week 5 = %v, want the corrected row %v", got, want)
	}
}

// TestSnapshotRollsForwardCorrectionOverOlderMirror has the mirror hold a
// week as first seen while the stream also carried its correction.
func TestSnapshotRollsForwardCorrectionOverOlderMirror(t *testing.T) {
	f := newSnapshotFixture(t)
	before := quarterbackWeek("KC", "passing_tds", "1", "passing_yards", "200")
	after := quarterbackWeek("KAN", "passing_yards", "262", "rushing_yards", "15")
	first := f.storeWeek(t, nil, before, 2*time.Second)
	correction := f.storeWeek(t, before, after, time.Second)
	f.hub.PublishBatch(f.system.Root, []Publication{first, correction})

	// The mirror keeps the first version only.
	f.keeper.PutPlayer(&messages.PlayerState{PlayerId: snapshotTestPlayer, Weeks: []*messages.PlayerWeek{
		stampPlayerWeek(before, first.version.detected),
	}}, nil)

	conn := f.subscribe(t, messages.StreamKind_STREAM_KIND_PLAYER, snapshotTestPlayer)
	sessionTestEventually(t, "ACK and SNAPSHOT", func() bool { return len(conn.sent()) == 2 })

	decoded := decodeSessionTestMessages(t, conn.sent())
	checkPositions(t, decoded, 2)
	if got, want := snapshotWeeks(t, decoded[1])[5], f.snapshotItemOf(t, after); !reflect.DeepEqual(got, want) {
		t.Errorf("SNAPSHOT week 5 = %v, want the corrected row %v", got, want)
	}
}
