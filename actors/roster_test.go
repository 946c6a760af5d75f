package actors

import (
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

func TestRosterAndInjuryChanges(t *testing.T) {
	const playerID = "00-0000001"
	first := snapshotOf(2, playerWeek(playerID, 1, "receptions", "1"))
	first.Rosters = []*messages.RosterEntry{{Season: 2024, GsisId: playerID, FullName: "Test Player", Team: "KC", Position: "WR", Status: "ACT"}}
	first.Injuries = []*messages.Injury{{Season: 2024, Week: 2, GsisId: playerID, Team: "KC", ReportStatus: "Questionable"}}
	first.InjuriesAvailable = true

	// The second poll has no injuries file: nothing changes.
	unavailable := cloneSnapshot(first)
	unavailable.Rosters = first.Rosters
	unavailable.InjuriesAvailable = false

	// The third poll moves the player to injured reserve and rules him out.
	changed := cloneSnapshot(first)
	changed.Rosters = []*messages.RosterEntry{{Season: 2024, GsisId: playerID, FullName: "Test Player", Team: "KC", Position: "WR", Status: "RES"}}
	changed.Injuries = []*messages.Injury{{Season: 2024, Week: 2, GsisId: playerID, Team: "KC", ReportStatus: "Out"}}
	changed.InjuriesAvailable = true

	source := &scriptedSource{results: []sourceResult{{snapshot: first}, {snapshot: unavailable}, {snapshot: changed}}}
	fixture := startTestPipeline(t, source)
	sink := fixture.subscribe(StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, playerID))

	for range 3 {
		if report := fixture.sync(t); !report.GetOk() {
			t.Fatalf("cycle failed: %v", report)
		}
	}
	// First poll: PLAYER_UPDATE, ROSTER_UPDATE, INJURY_UPDATE; third poll:
	// ROSTER_UPDATE and INJURY_UPDATE.
	waitFor(t, "five messages", func() bool { return len(sink.messages(t)) == 5 })
	time.Sleep(100 * time.Millisecond)

	received := sink.messages(t)
	if len(received) != 5 {
		t.Fatalf("received %d messages, want 5", len(received))
	}
	byType := map[string][]map[string]any{}
	for _, message := range received {
		kind := message["type"].(string)
		byType[kind] = append(byType[kind], message["data"].(map[string]any))
	}
	if got := len(byType[messages.TypeRosterUpdate]); got != 2 {
		t.Fatalf("ROSTER_UPDATE count = %d, want 2", got)
	}
	if got := len(byType[messages.TypeInjuryUpdate]); got != 2 {
		t.Fatalf("INJURY_UPDATE count = %d, want 2", got)
	}

	roster := byType[messages.TypeRosterUpdate][1]
	if roster["status"] != "RES" {
		t.Errorf("roster status = %v, want RES", roster["status"])
	}
	if previous := roster["previous"].(map[string]any); previous["status"] != "ACT" || len(previous) != 1 {
		t.Errorf("roster previous = %v, want only status ACT", previous)
	}

	injury := byType[messages.TypeInjuryUpdate][1]
	if injury["report_status"] != "Out" {
		t.Errorf("injury report_status = %v, want Out", injury["report_status"])
	}
	if previous := injury["previous"].(map[string]any); previous["report_status"] != "Questionable" {
		t.Errorf("injury previous = %v, want report_status Questionable", previous)
	}
}
