package actors

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

// leagueFixture runs a leagues directory over an in-memory StateKeeper and
// collects what the hub publishes on one league stream.
type leagueFixture struct {
	system   *actor.ActorSystem
	hub      *Hub
	keeper   *StateKeeper
	registry *RuleSetRegistry
	leagues  *Leagues
	received chan []byte
}

func newLeagueFixture(t *testing.T) *leagueFixture {
	t.Helper()
	f := &leagueFixture{system: actor.NewActorSystem(), hub: NewHub(), received: make(chan []byte, 100)}
	t.Cleanup(f.system.Shutdown)
	f.keeper = NewStateKeeper(inmem.New(), nil, nil, nil)

	var err error
	if f.registry, err = NewRuleSetRegistry(scoring.Presets()...); err != nil {
		t.Fatal(err)
	}
	f.leagues, err = StartLeagues(context.Background(), f.system, LeaguesConfig{Hub: f.hub, State: f.keeper, Registry: f.registry})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// follow subscribes a collector to the league's stream.
func (f *leagueFixture) follow(leagueID string) {
	collector := f.system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch message := ctx.Message().(type) {
		case *StreamMessage:
			f.received <- message.Payload
		case *StreamBatch:
			for _, item := range message.Messages {
				f.received <- item.Payload
			}
		}
	}))
	f.hub.Subscribe(StreamKey(messages.StreamKind_STREAM_KIND_LEAGUE, leagueID), collector)
}

func (f *leagueFixture) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case payload := <-f.received:
		var message map[string]any
		if err := json.Unmarshal(payload, &message); err != nil {
			t.Fatal(err)
		}
		return message
	case <-time.After(10 * time.Second):
		t.Fatal("no message on the league stream within 10s")
		return nil
	}
}

func row(playerID, position string, week int32, receptions string) *messages.PlayerWeek {
	return &messages.PlayerWeek{Season: 2024, Week: week, PlayerId: playerID, Position: position,
		Stats: []*messages.Stat{{Name: "receptions", Value: receptions}}}
}

func (f *leagueFixture) put(rows ...*messages.PlayerWeek) {
	for _, week := range rows {
		f.keeper.PutPlayer(&messages.PlayerState{PlayerId: week.GetPlayerId(), Weeks: []*messages.PlayerWeek{week}}, nil)
	}
}

// scored sends the directory a change scored as the scorer would.
func (f *leagueFixture) scored(t *testing.T, week *messages.PlayerWeek) {
	t.Helper()
	update, err := scoreDelta(f.registry.Scorer(), &messages.PlayerStatsDelta{Current: week, FirstSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	f.system.Root.Send(f.leagues.PID(), update)
}

func TestLeagueBoardRanksTiesAndLineups(t *testing.T) {
	f := newLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "5"), row("p3", "TE", 1, "4"), row("p4", "WR", 1, "9"))

	_, err := f.leagues.Create(context.Background(), &messages.League{
		Id: "l", Name: "L", Season: 2024, Weeks: []int32{1, 2}, ScoringPreset: "ppr",
		Teams: []*messages.LeagueTeam{
			{Id: "a", Name: "A", Roster: []string{"p1"}},
			{Id: "b", Name: "B", Roster: []string{"p2"}},
			// p4 sits in week 1, so only p3's 4 receptions count.
			{Id: "c", Name: "C", Roster: []string{"p3", "p4"},
				Lineups: []*messages.LeagueLineup{{Week: 1, Starters: []string{"p3"}}}},
		},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}

	board, err := f.leagues.Leaderboard(context.Background(), "l")
	if err != nil {
		t.Fatal(err)
	}
	want := []messages.LeaderboardRow{
		{Rank: 1, TeamID: "a", TeamName: "A", Points: "5.00", Change: "0.00"},
		{Rank: 1, TeamID: "b", TeamName: "B", Points: "5.00", Change: "0.00"},
		{Rank: 3, TeamID: "c", TeamName: "C", Points: "4.00", Change: "0.00"},
	}
	for i := range want {
		if board.Rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, board.Rows[i], want[i])
		}
	}
}

func TestLeaguePollSendsOneBatch(t *testing.T) {
	f := newLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "5"))
	_, err := f.leagues.Create(context.Background(), &messages.League{
		Id: "l", Name: "L", Season: 2024, Weeks: []int32{1, 2}, ScoringPreset: "ppr",
		Teams: []*messages.LeagueTeam{{Id: "a", Name: "A", Roster: []string{"p1"}}, {Id: "b", Name: "B", Roster: []string{"p2"}}},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	f.follow("l")

	// Two weeks of p2 and a player nobody rosters, then the poll ends.
	// Week 2 also has a column that PPR does not score.
	week2 := row("p2", "WR", 2, "3")
	week2.Stats = append(week2.Stats, &messages.Stat{Name: "targets", Value: "5"}, &messages.Stat{Name: "receiving_tds", Value: "0"})
	f.scored(t, week2)
	f.scored(t, row("p2", "WR", 3, "7"))
	f.scored(t, row("p9", "WR", 2, "9"))
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})

	stats := f.next(t)
	if stats["type"] != messages.TypePlayerStats {
		t.Fatalf("first message %v, want PLAYER_STATS", stats["type"])
	}
	players := stats["players"].([]any)
	if len(players) != 2 {
		t.Fatalf("PLAYER_STATS has %d players, want p2's weeks 2 and 3", len(players))
	}
	week2Stats := players[0].(map[string]any)["stats"].(map[string]any)
	if len(week2Stats) != 1 || week2Stats["receptions"] != "3" {
		t.Errorf("week 2 item stats %v, want only receptions 3, the one non-zero stat PPR scores", week2Stats)
	}
	if previous := players[0].(map[string]any)["previous"].(map[string]any); len(previous) != 0 {
		t.Errorf("first-seen week 2 item previous %v, want empty", previous)
	}
	week3 := players[1].(map[string]any)
	if week3["player_id"] != "p2" || week3["counted"] != false || week3["points"].(map[string]any)["ppr"] != "7.00" {
		t.Errorf("week 3 item %v, want p2 with 7.00 PPR, not counted", week3)
	}

	board := f.next(t)
	if board["type"] != messages.TypeLeaderboardUpdate {
		t.Fatalf("second message %v, want LEADERBOARD_UPDATE", board["type"])
	}
	top := board["rows"].([]any)[0].(map[string]any)
	if top["team_id"] != "b" || top["points"] != "8.00" || top["change"] != "3.00" {
		t.Errorf("top row %v, want team b with 8.00, change 3.00", top)
	}

	// A poll without changes sends nothing.
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})
	select {
	case payload := <-f.received:
		t.Errorf("empty poll sent %s", payload)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestLeagueSnapshotIsThePublishedBoard checks that a league's SNAPSHOT
// holds the board of its last LEADERBOARD_UPDATE up to the ACK's seq: not
// the changes of a poll that is not over, and nothing when a
// LEADERBOARD_UPDATE after the seq brings the whole board.
func TestLeagueSnapshotIsThePublishedBoard(t *testing.T) {
	f := newLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"))
	_, err := f.leagues.Create(context.Background(), &messages.League{
		Id: "l", Name: "L", Season: 2024, Weeks: []int32{1, 2}, ScoringPreset: "ppr",
		Teams: []*messages.LeagueTeam{{Id: "a", Name: "A", Roster: []string{"p1"}}, {Id: "b", Name: "B", Roster: []string{"p2"}}},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	f.follow("l")
	const stream = "league:l"
	snapshot := func(seq uint64) []messages.LeaderboardRow {
		t.Helper()
		items, err := f.leagues.Snapshot(context.Background(), messages.StreamKind_STREAM_KIND_LEAGUE, "l", seq)
		if err != nil {
			t.Fatalf("Snapshot at seq %d: %v", seq, err)
		}
		rows := make([]messages.LeaderboardRow, len(items))
		for i, item := range items {
			if err := json.Unmarshal(item, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		return rows
	}

	created := f.hub.Seq(stream)
	if rows := snapshot(created); len(rows) != 2 || rows[0].TeamID != "a" || rows[0].Points != "5.00" {
		t.Errorf("SNAPSHOT after the create = %+v, want a 5.00 first", rows)
	}

	// Week 2 of p2 arrives, but the poll is not over.
	f.scored(t, row("p2", "WR", 2, "3"))
	if rows := snapshot(created); len(rows) != 2 || rows[0].TeamID != "a" || rows[1].Points != "4.00" {
		t.Errorf("SNAPSHOT during the poll = %+v, want the published board with b at 4.00", rows)
	}

	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})
	for message := f.next(t); message["type"] != messages.TypeLeaderboardUpdate; message = f.next(t) {
	}
	if rows := snapshot(created); len(rows) != 0 {
		t.Errorf("SNAPSHOT at the seq before the LEADERBOARD_UPDATE = %+v, want none: the message brings the board", rows)
	}
	rows := snapshot(f.hub.Seq(stream))
	if len(rows) != 2 || rows[0].TeamID != "b" || rows[0].Points != "7.00" || rows[0].Change != "3.00" {
		t.Errorf("SNAPSHOT after the LEADERBOARD_UPDATE = %+v, want b first with 7.00, change 3.00", rows)
	}
}

func TestRegistrySharesEqualRuleSets(t *testing.T) {
	f := newLeagueFixture(t)
	f.put(row("p1", "TE", 1, "4"), row("p2", "TE", 1, "4"))
	custom := func(name string) string {
		return `{"name":"` + name + `","base":"ppr","position_overrides":{"TE":{"receptions":1.5}}}`
	}
	for i, name := range []string{"first", "second"} {
		_, err := f.leagues.Create(context.Background(), &messages.League{
			Id: name, Name: name, Season: 2024, RuleSetJson: custom(name),
			Teams: []*messages.LeagueTeam{{Id: "a", Name: "A", Roster: []string{[]string{"p1", "p2"}[i]}}},
		})
		if err != nil {
			t.Fatalf("Create %s: %v", name, err)
		}
	}

	if got := len(f.registry.Scorer().RuleSets()); got != 4 {
		t.Errorf("scorer has %d rule sets, want 3 presets and 1 shared custom", got)
	}
	board, err := f.leagues.Leaderboard(context.Background(), "second")
	if err != nil {
		t.Fatal(err)
	}
	if board.RuleSet != "second" || board.Rows[0].Points != "6.00" {
		t.Errorf("board %+v, want rule set second and 6.00 (4 TE receptions × 1.5)", board)
	}

	if err := f.leagues.Delete(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	if err := f.leagues.Delete(context.Background(), "second"); err != nil {
		t.Fatal(err)
	}
	if got := len(f.registry.Scorer().RuleSets()); got != 3 {
		t.Errorf("after deletes the scorer has %d rule sets, want the 3 presets", got)
	}
}

func TestCustomRuleSetRejectsPresetName(t *testing.T) {
	f := newLeagueFixture(t)
	f.put(row("p1", "TE", 1, "4"))

	_, err := f.leagues.Create(context.Background(), &messages.League{
		Id: "fake", Name: "Fake PPR", Season: 2024, RuleSetJson: `{"name":"ppr","base":"standard"}`,
		Teams: []*messages.LeagueTeam{{Id: "a", Name: "A", Roster: []string{"p1"}}},
	})
	var leagueErr *LeagueError
	if !errors.As(err, &leagueErr) || leagueErr.Field != "rule_set.name" {
		t.Fatalf("Create with a custom rule set named ppr: error %v, want a LeagueError on rule_set.name", err)
	}
}
