package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const (
	mahomesID      = "00-0033873"
	denverAtKCWeek = 10
	denverAtKCID   = "2024_10_DEN_KC"
)

type serverMessage struct {
	Type  string            `json:"type"`
	Data  json.RawMessage   `json:"data"`
	Items []json.RawMessage `json:"items"`

	Deltas []struct {
		GameID    string `json:"game_id"`
		AwayScore *int   `json:"away_score"`
		HomeScore *int   `json:"home_score"`
		Status    string `json:"status"`
	} `json:"deltas"`
}

type playerUpdate struct {
	PlayerID string            `json:"player_id"`
	Week     int               `json:"week"`
	Team     string            `json:"team"`
	Points   map[string]string `json:"points"`
}

// startReplayServer runs `nflsync serve` in-process on the 2024 replay with
// a one-second interval and a fresh data directory, and returns its address.
func startReplayServer(t *testing.T) string {
	t.Helper()
	address, _ := startServer(t, t.TempDir(), "1", nil)
	return address
}

// startServer runs `nflsync serve` in-process on the 2024 replay over
// dataDir with the given interval in seconds and any extra NFL_SYNC_*
// settings. It returns the address and a function that stops the server
// gracefully; the test's cleanup stops it too.
func startServer(t *testing.T, dataDir, intervalSeconds string, extra map[string]string) (string, func()) {
	t.Helper()
	settings := map[string]string{
		"NFL_SYNC_SOURCE":           "replay:../../testdata/replay/2024",
		"NFL_SYNC_INTERVAL_SECONDS": intervalSeconds,
		"NFL_SYNC_LISTEN_ADDR":      "127.0.0.1:0",
		"NFL_SYNC_DATA_DIR":         dataDir,
	}
	for name, value := range extra {
		settings[name] = value
	}
	cfg, err := loadConfig(func(name string) string { return settings[name] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logOutput io.Writer = io.Discard
	if os.Getenv("NFL_SYNC_TEST_LOGS") != "" {
		logOutput = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logOutput, nil))
	go func() { done <- serve(ctx, cfg, logger, ready) }()

	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)

	select {
	case address := <-ready:
		return address, stop
	case err := <-done:
		t.Fatalf("serve stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve was not ready within 30s")
	}
	return "", stop
}

func dial(t *testing.T, address string, actions ...string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+address+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })

	for _, action := range actions {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(action)); err != nil {
			t.Fatalf("send %s: %v", action, err)
		}
	}
	return conn
}

func readMessage(t *testing.T, conn *websocket.Conn) serverMessage {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	_, payload, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var message serverMessage
	if err := json.Unmarshal(payload, &message); err != nil {
		t.Fatalf("decode %s: %v", payload, err)
	}
	return message
}

// TestServeReplayPushesSubscribedChanges runs the replay of the real 2024
// season and checks what two clients receive: one that follows Patrick
// Mahomes gets only his weekly updates, with points; one that follows
// Denver at Kansas City in week 10 gets its final score.
func TestServeReplayPushesSubscribedChanges(t *testing.T) {
	address := startReplayServer(t)
	player := dial(t, address, `{"action":"subscribe_player","player_id":"`+mahomesID+`"}`)
	game := dial(t, address, `{"action":"subscribe_game","game_id":"`+denverAtKCID+`"}`)

	if ack := readMessage(t, player); ack.Type != "ACK" {
		t.Fatalf("player client: first message %q, want ACK", ack.Type)
	}
	if ack := readMessage(t, game); ack.Type != "ACK" {
		t.Fatalf("game client: first message %q, want ACK", ack.Type)
	}

	// Game client: every message is about the subscribed game, and the
	// final score arrives when week 10 is revealed.
	for {
		message := readLiveMessage(t, game)
		if message.Type != "GAME_SCORES" {
			t.Fatalf("game client: got %q, want GAME_SCORES", message.Type)
		}
		if len(message.Deltas) != 1 || message.Deltas[0].GameID != denverAtKCID {
			t.Fatalf("game client: deltas %+v, want only %s", message.Deltas, denverAtKCID)
		}
		delta := message.Deltas[0]
		if delta.Status != "final" {
			continue
		}
		if delta.AwayScore == nil || *delta.AwayScore != 14 || delta.HomeScore == nil || *delta.HomeScore != 16 {
			t.Fatalf("final score %v-%v, want DEN 14 KC 16", delta.AwayScore, delta.HomeScore)
		}
		break
	}

	// Player client: by now weeks up to 10 are revealed; every update is
	// Mahomes's, weeks never repeat and each carries points per rule set.
	seenWeeks := map[int]bool{}
	for len(seenWeeks) < 3 {
		message := readLiveMessage(t, player)
		if message.Type != "PLAYER_UPDATE" {
			t.Fatalf("player client: got %q, want PLAYER_UPDATE", message.Type)
		}
		var update playerUpdate
		if err := json.Unmarshal(message.Data, &update); err != nil {
			t.Fatalf("decode PLAYER_UPDATE data: %v", err)
		}
		if update.PlayerID != mahomesID {
			t.Fatalf("player client: update for %s, want only %s", update.PlayerID, mahomesID)
		}
		if seenWeeks[update.Week] {
			t.Fatalf("player client: week %d sent twice", update.Week)
		}
		seenWeeks[update.Week] = true
		for _, ruleSet := range []string{"standard", "half-ppr", "ppr"} {
			if update.Points[ruleSet] == "" {
				t.Errorf("week %d: no %s points in %v", update.Week, ruleSet, update.Points)
			}
		}
	}
}

// readLiveMessage reads the next message that is not a SNAPSHOT page, a
// ROSTER_UPDATE or an INJURY_UPDATE.
func readLiveMessage(t *testing.T, conn *websocket.Conn) serverMessage {
	t.Helper()
	for {
		message := readMessage(t, conn)
		switch message.Type {
		case "SNAPSHOT", "ROSTER_UPDATE", "INJURY_UPDATE":
			// A player's stream also carries roster and injury changes;
			// these tests follow stats and scores.
		default:
			return message
		}
	}
}

// readPlayerUpdate reads the next live message, which must be a
// PLAYER_UPDATE.
func readPlayerUpdate(t *testing.T, conn *websocket.Conn) playerUpdate {
	t.Helper()
	message := readLiveMessage(t, conn)
	if message.Type != "PLAYER_UPDATE" {
		t.Fatalf("got %q, want PLAYER_UPDATE", message.Type)
	}
	var update playerUpdate
	if err := json.Unmarshal(message.Data, &update); err != nil {
		t.Fatalf("decode PLAYER_UPDATE data: %v", err)
	}
	return update
}

// TestServeRestartAnnouncesOnlyNewWeeks replays through week 5, stops the
// server and starts it again on the same data directory: the second run
// sends nothing about weeks 1-5 and week 6 exactly once.
func TestServeRestartAnnouncesOnlyNewWeeks(t *testing.T) {
	const joshAllenID = "00-0034857"
	dataDir := t.TempDir()
	subscribe := `{"action":"subscribe_player","player_id":"` + joshAllenID + `"}`

	// First run: wait for week 5, then stop. The two-second interval
	// leaves time to stop before week 6 is revealed.
	address, stop := startServer(t, dataDir, "2", nil)
	first := dial(t, address, subscribe)
	if ack := readMessage(t, first); ack.Type != "ACK" {
		t.Fatalf("first run: got %q, want ACK", ack.Type)
	}
	for {
		update := readPlayerUpdate(t, first)
		if update.Week == 5 {
			break
		}
	}
	stop()

	// Second run on the same data directory.
	address, _ = startServer(t, dataDir, "2", nil)
	second := dial(t, address, subscribe)
	if ack := readMessage(t, second); ack.Type != "ACK" {
		t.Fatalf("second run: got %q, want ACK", ack.Type)
	}

	// The snapshot on subscribe comes from the stored state: weeks 1-5.
	snapshot := readMessage(t, second)
	if snapshot.Type != "SNAPSHOT" {
		t.Fatalf("second run: got %q after the ACK, want SNAPSHOT", snapshot.Type)
	}
	var snapshotWeeks []int
	for _, item := range snapshot.Items {
		var week playerUpdate
		if err := json.Unmarshal(item, &week); err != nil {
			t.Fatalf("decode SNAPSHOT item: %v", err)
		}
		snapshotWeeks = append(snapshotWeeks, week.Week)
	}
	if len(snapshotWeeks) != 5 || snapshotWeeks[0] != 1 || snapshotWeeks[4] != 5 {
		t.Fatalf("second run: SNAPSHOT weeks %v, want 1 through 5", snapshotWeeks)
	}

	update := readPlayerUpdate(t, second)
	if update.Week != 6 {
		t.Fatalf("second run: first update is week %d, want 6 (weeks 1-5 are stored)", update.Week)
	}
	update = readPlayerUpdate(t, second)
	if update.Week != 7 {
		t.Fatalf("second run: update after week 6 is week %d, want 7 (week 6 only once)", update.Week)
	}

	// A client that subscribes after the player's actor has taken over
	// the stored state still gets every week in its snapshot.
	late := dial(t, address, subscribe)
	if ack := readMessage(t, late); ack.Type != "ACK" {
		t.Fatalf("late client: got %q, want ACK", ack.Type)
	}
	lateSnapshot := readMessage(t, late)
	if lateSnapshot.Type != "SNAPSHOT" || len(lateSnapshot.Items) < 7 {
		t.Fatalf("late client: got %s with %d items, want a SNAPSHOT of at least weeks 1-7",
			lateSnapshot.Type, len(lateSnapshot.Items))
	}
}
