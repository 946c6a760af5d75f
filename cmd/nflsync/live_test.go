package main

import (
	"encoding/json"
	"testing"
	"time"
)

// TestServeLiveReplayShowsGameMoving runs the server with the saved ESPN
// scoreboards of DET @ BUF (2026 week 2) as the live source, beside the
// 2024 nflverse replay, and follows the game until it is final.
func TestServeLiveReplayShowsGameMoving(t *testing.T) {
	address, _ := startServer(t, t.TempDir(), "1", map[string]string{
		"NFL_SYNC_LIVE_SOURCE":           "replay:../../testdata/espn/scoreboard-events",
		"NFL_SYNC_LIVE_INTERVAL_SECONDS": "1",
	})
	conn := dial(t, address, `{"action":"subscribe_game","game_id":"2026_02_DET_BUF"}`)

	type game struct {
		Status      string `json:"status"`
		AwayScore   *int   `json:"away_score"`
		HomeScore   *int   `json:"home_score"`
		Provisional bool   `json:"provisional"`
	}
	var last game
	for last.Status != "final" {
		if err := conn.SetReadDeadline(time.Now().Add(60 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, payload, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var message struct {
			Type   string            `json:"type"`
			Items  []json.RawMessage `json:"items"`
			Deltas []json.RawMessage `json:"deltas"`
		}
		if err := json.Unmarshal(payload, &message); err != nil {
			t.Fatalf("decode %s: %v", payload, err)
		}
		if message.Type != "ACK" && message.Type != "SNAPSHOT" && message.Type != "GAME_SCORES" {
			t.Fatalf("unexpected message %s", payload)
		}
		items := append(message.Items, message.Deltas...)
		for _, item := range items {
			if err := json.Unmarshal(item, &last); err != nil {
				t.Fatalf("decode %s: %v", item, err)
			}
			if !last.Provisional {
				t.Errorf("game %+v is not provisional, want ESPN's provisional game", last)
			}
		}
	}
	if last.AwayScore == nil || last.HomeScore == nil || *last.AwayScore != 31 || *last.HomeScore != 41 {
		t.Errorf("final game %+v, want DET 31 BUF 41", last)
	}
}
