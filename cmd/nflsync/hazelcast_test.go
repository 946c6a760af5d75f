package main

import (
	"context"
	"testing"
	"time"

	"github.com/nflsync/nflsync/adapters/hazelcast"
	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcasttest"
)

// TestServeSurvivesHazelcastRestart kills the Hazelcast member mid-replay
// and starts it again: the server keeps pushing every week without a gap,
// and the restarted member's maps are refilled from the actors' state.
// Mirror writes have a flush loop of their own, so the refill does not wait
// behind the slower player-week writes to embedded FerretDB.
func TestServeSurvivesHazelcastRestart(t *testing.T) {
	const joshAllenID = "00-0034857"
	member := hazelcasttest.StartMember(t)

	address, _ := startServer(t, t.TempDir(), "2", map[string]string{
		"NFL_SYNC_HAZELCAST_ADDRESSES":    member.Address(),
		"NFL_SYNC_HAZELCAST_CLUSTER_NAME": hazelcasttest.ClusterName,
	})
	client := dial(t, address, `{"action":"subscribe_player","player_id":"`+joshAllenID+`"}`)
	if ack := readMessage(t, client); ack.Type != "ACK" {
		t.Fatalf("got %q, want ACK", ack.Type)
	}

	// Weeks arrive in order, one update each; the member dies after
	// week 2 and comes back after week 5.
	lastWeek := 0
	for lastWeek < 8 {
		update := readPlayerUpdate(t, client)
		if update.PlayerID != joshAllenID {
			t.Fatalf("update for %s, want only %s", update.PlayerID, joshAllenID)
		}
		if lastWeek != 0 && update.Week != lastWeek+1 {
			t.Fatalf("week %d after week %d: a week was lost or sent twice", update.Week, lastWeek)
		}
		lastWeek = update.Week

		switch lastWeek {
		case 2:
			member.Stop()
		case 5:
			member.Start()
		}
	}

	// The restarted member starts empty; the server refills it.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	mirror, err := hazelcast.Open(ctx, hazelcast.Config{
		Addresses:   []string{member.Address()},
		ClusterName: hazelcasttest.ClusterName,
	})
	if err != nil {
		t.Fatalf("open a second Hazelcast client: %v", err)
	}
	defer mirror.Close(context.Background())

	// The refill waits for the client to notice the new cluster and for
	// the mirror lane's next flush.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		state, found, err := mirror.Player(ctx, joshAllenID)
		if err == nil && found && len(state.GetWeeks()) >= 8 && state.Weeks[0].GetWeek() == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted member was not refilled: found=%v weeks=%d err=%v", found, len(state.GetWeeks()), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
