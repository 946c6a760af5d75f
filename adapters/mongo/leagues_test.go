package mongo

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

func testLeague(id string) *messages.League {
	return &messages.League{
		Id:          id,
		Name:        "Office league",
		Season:      2024,
		Format:      "playoffs",
		Weeks:       []int32{19, 20, 21, 22},
		RuleSetJson: `{"name":"te-premium","base":"ppr","position_overrides":{"TE":{"receptions":"1.50"}}}`,
		Teams: []*messages.LeagueTeam{
			{Id: "a", Name: "Team A", Owner: "ann", Roster: []string{"00-0033873", "00-0033288"},
				Lineups: []*messages.LeagueLineup{{Week: 19, Starters: []string{"00-0033873"}}}},
			{Id: "b", Name: "Team B", Roster: []string{}},
		},
	}
}

func TestLeagueRoundTrip(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	league := testLeague("office")
	if err := store.UpsertLeague(ctx, league); err != nil {
		t.Fatalf("UpsertLeague: %v", err)
	}

	changed := testLeague("office")
	changed.Name = "Renamed"
	changed.Teams = changed.Teams[:1]
	if err := store.UpsertLeague(ctx, changed); err != nil {
		t.Fatalf("UpsertLeague again: %v", err)
	}
	if err := store.UpsertLeague(ctx, testLeague("second")); err != nil {
		t.Fatalf("UpsertLeague second: %v", err)
	}

	leagues, err := store.Leagues(ctx)
	if err != nil {
		t.Fatalf("Leagues: %v", err)
	}
	if len(leagues) != 2 {
		t.Fatalf("Leagues returned %d leagues, want 2", len(leagues))
	}
	if !proto.Equal(leagues[0], changed) {
		t.Errorf("stored league = %v, want %v", leagues[0], changed)
	}
	// The rule set's decimal string "1.50" comes back as written.
	if leagues[0].GetRuleSetJson() != league.GetRuleSetJson() {
		t.Errorf("rule set = %s, want %s", leagues[0].GetRuleSetJson(), league.GetRuleSetJson())
	}
	if got := countDocuments(t, store, collectionLeagues, nil); got != 2 {
		t.Errorf("leagues has %d documents, want 2", got)
	}

	if err := store.DeleteLeague(ctx, "office"); err != nil {
		t.Fatalf("DeleteLeague: %v", err)
	}
	if err := store.DeleteLeague(ctx, "office"); err != nil {
		t.Fatalf("DeleteLeague of a deleted league: %v", err)
	}
	leagues, err = store.Leagues(ctx)
	if err != nil {
		t.Fatalf("Leagues after delete: %v", err)
	}
	if len(leagues) != 1 || leagues[0].GetId() != "second" {
		t.Errorf("after delete: %v, want only league second", leagues)
	}
}

func TestLeagueWithoutIDRejected(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	if err := store.UpsertLeague(testContext(t), &messages.League{Name: "x"}); err == nil {
		t.Fatal("UpsertLeague without id: got nil error")
	}
	if got := countDocuments(t, store, collectionLeagues, nil); got != 0 {
		t.Errorf("leagues has %d documents, want 0", got)
	}
}

func TestKnownPlayerReadsRoster(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	err := store.UpsertRoster(ctx, []*messages.RosterEntry{{Season: 2024, GsisId: "00-0033873", FullName: "Patrick Mahomes", Team: "KC"}})
	if err != nil {
		t.Fatalf("UpsertRoster: %v", err)
	}

	known, err := store.KnownPlayer(ctx, "00-0033873")
	if err != nil || !known {
		t.Errorf("KnownPlayer(00-0033873) = %v, %v, want true", known, err)
	}
	known, err = store.KnownPlayer(ctx, "00-9999999")
	if err != nil || known {
		t.Errorf("KnownPlayer(00-9999999) = %v, %v, want false", known, err)
	}
}
