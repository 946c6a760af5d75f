package mongo

import (
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

func playerWeek(playerID string, season, week int32, stats ...string) *messages.PlayerWeek {
	pw := &messages.PlayerWeek{
		Season:            season,
		Week:              week,
		SeasonType:        "REG",
		PlayerId:          playerID,
		PlayerName:        "P.Mahomes",
		PlayerDisplayName: "Patrick Mahomes",
		Position:          "QB",
		Team:              "KC",
		OpponentTeam:      "BAL",
		GameId:            fmt.Sprintf("%d_%02d_BAL_KC", season, week),
	}
	for i := 0; i+1 < len(stats); i += 2 {
		pw.Stats = append(pw.Stats, &messages.Stat{Name: stats[i], Value: stats[i+1]})
	}

	return pw
}

func TestStoreUpsertTwiceKeepsOneDocument(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	first := []*messages.PlayerWeek{
		playerWeek("00-0033873", 2024, 1, "passing_yards", "291"),
		playerWeek("00-0033873", 2024, 2, "passing_yards", "262"),
	}
	if err := store.UpsertPlayerWeeks(ctx, first); err != nil {
		t.Fatalf("first upsert: %v", err)
	}

	second := []*messages.PlayerWeek{
		playerWeek("00-0033873", 2024, 1, "passing_yards", "292"),
		playerWeek("00-0033873", 2024, 2, "passing_yards", "262"),
	}
	if err := store.UpsertPlayerWeeks(ctx, second); err != nil {
		t.Fatalf("second upsert: %v", err)
	}

	if got := countDocuments(t, store, collectionPlayerWeeks, nil); got != 2 {
		t.Errorf("player_weeks has %d documents, want 2", got)
	}

	state, found, err := store.Player(ctx, "00-0033873")
	if err != nil || !found {
		t.Fatalf("Player: found=%v err=%v", found, err)
	}
	if got := state.Weeks[0].Stats[0].Value; got != "292" {
		t.Errorf("week 1 passing_yards = %q, want the second upsert's 292", got)
	}
}

func TestStoreUpsertCollapsesRepeatedKey(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	games := []*messages.Game{
		{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1, Status: messages.GameStatusScheduled},
		{GameId: "2024_01_GB_PHI", Season: 2024, Week: 1, Status: messages.GameStatusScheduled},
		{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1, Status: messages.GameStatusFinal},
	}
	if err := store.UpsertGames(ctx, games); err != nil {
		t.Fatalf("UpsertGames: %v", err)
	}

	if got := countDocuments(t, store, collectionGames, nil); got != 2 {
		t.Errorf("games has %d documents, want 2", got)
	}

	game, found, err := store.Game(ctx, "2024_01_BAL_KC")
	if err != nil || !found {
		t.Fatalf("Game: found=%v err=%v", found, err)
	}
	if game.Status != messages.GameStatusFinal {
		t.Errorf("status = %q, want the last row's %q", game.Status, messages.GameStatusFinal)
	}
}

func TestStoreUniqueIndexesRejectDuplicates(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	cases := []struct {
		collection string
		document   bson.D
	}{
		{collectionPlayers, bson.D{{Key: "gsis_id", Value: "00-0033873"}}},
		{collectionGames, bson.D{{Key: "game_id", Value: "2024_01_BAL_KC"}}},
		{collectionPlayerWeeks, bson.D{{Key: "season", Value: int32(2024)}, {Key: "week", Value: int32(1)}, {Key: "player_id", Value: "00-0033873"}}},
		{collectionInjuries, bson.D{{Key: "season", Value: int32(2024)}, {Key: "week", Value: int32(1)}, {Key: "gsis_id", Value: "00-0033873"}}},
		{collectionLeagues, bson.D{{Key: "league_id", Value: "league-1"}}},
	}

	for _, tc := range cases {
		t.Run(tc.collection, func(t *testing.T) {
			collection := store.db.Collection(tc.collection)
			if _, err := collection.InsertOne(ctx, tc.document); err != nil {
				t.Fatalf("first insert: %v", err)
			}

			_, err := collection.InsertOne(ctx, tc.document)
			if !mongodriver.IsDuplicateKeyError(err) {
				t.Errorf("second insert error = %v, want a duplicate key error", err)
			}
		})
	}
}

func TestStoreDecimalRoundTrip(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	week := playerWeek("00-0036442", 2024, 3,
		"fantasy_points", "18.58",
		"fumbles_lost", "0",
		"passing_epa", "0.02",
		"rushing_yards", "-2",
		"total_yards", "1234567.891",
	)
	if err := store.UpsertPlayerWeeks(ctx, []*messages.PlayerWeek{week}); err != nil {
		t.Fatalf("UpsertPlayerWeeks: %v", err)
	}

	state, found, err := store.Player(ctx, "00-0036442")
	if err != nil || !found {
		t.Fatalf("Player: found=%v err=%v", found, err)
	}
	if len(state.Weeks) != 1 {
		t.Fatalf("Player returned %d weeks, want 1", len(state.Weeks))
	}
	if !proto.Equal(state.Weeks[0], week) {
		t.Errorf("round trip changed the player-week:\n got %v\nwant %v", state.Weeks[0], week)
	}

	var raw bson.Raw
	err = store.db.Collection(collectionPlayerWeeks).FindOne(ctx, bson.D{{Key: "player_id", Value: "00-0036442"}}).Decode(&raw)
	if err != nil {
		t.Fatalf("read raw document: %v", err)
	}
	stats, ok := raw.Lookup("stats").StringValueOK()
	if !ok {
		t.Fatalf("stats is stored as %v, want a string", raw.Lookup("stats").Type)
	}
	want := `{"fantasy_points":"18.58","fumbles_lost":"0","passing_epa":"0.02","rushing_yards":"-2","total_yards":"1234567.891"}`
	if stats != want {
		t.Errorf("stats = %s, want %s (decimal strings, keys sorted)", stats, want)
	}
}

func TestStorePlayerSortsWeeks(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	weeks := []*messages.PlayerWeek{
		playerWeek("00-0033873", 2024, 10, "passing_yards", "1"),
		playerWeek("00-0033873", 2023, 18, "passing_yards", "2"),
		playerWeek("00-0033873", 2024, 2, "passing_yards", "3"),
		playerWeek("00-0033873", 2023, 1, "passing_yards", "4"),
		playerWeek("00-0036442", 2024, 1, "passing_yards", "5"),
	}
	if err := store.UpsertPlayerWeeks(ctx, weeks); err != nil {
		t.Fatalf("UpsertPlayerWeeks: %v", err)
	}

	state, found, err := store.Player(ctx, "00-0033873")
	if err != nil || !found {
		t.Fatalf("Player: found=%v err=%v", found, err)
	}
	if state.PlayerId != "00-0033873" {
		t.Errorf("player_id = %q, want 00-0033873", state.PlayerId)
	}

	want := [][2]int32{{2023, 1}, {2023, 18}, {2024, 2}, {2024, 10}}
	if len(state.Weeks) != len(want) {
		t.Fatalf("Player returned %d weeks, want %d", len(state.Weeks), len(want))
	}
	for i, w := range want {
		if state.Weeks[i].Season != w[0] || state.Weeks[i].Week != w[1] {
			t.Errorf("week %d is season %d week %d, want season %d week %d",
				i, state.Weeks[i].Season, state.Weeks[i].Week, w[0], w[1])
		}
	}

	_, found, err = store.Player(ctx, "00-0000000")
	if err != nil {
		t.Fatalf("Player of unknown player_id: %v", err)
	}
	if found {
		t.Error("Player of unknown player_id: found=true, want false")
	}
}

func TestStoreGameFoundAndNotFound(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	awayScore, homeScore := int32(20), int32(27)
	played := &messages.Game{
		GameId: "2024_01_BAL_KC", Season: 2024, GameType: "REG", Week: 1,
		AwayTeam: "BAL", HomeTeam: "KC", AwayScore: &awayScore, HomeScore: &homeScore,
		KickoffUnix: 1725582600, Status: messages.GameStatusFinal, Location: "Home",
	}
	scheduled := &messages.Game{
		GameId: "2024_18_KC_DEN", Season: 2024, GameType: "REG", Week: 18,
		AwayTeam: "KC", HomeTeam: "DEN", Status: messages.GameStatusScheduled, Location: "Home",
	}
	if err := store.UpsertGames(ctx, []*messages.Game{played, scheduled}); err != nil {
		t.Fatalf("UpsertGames: %v", err)
	}

	for _, want := range []*messages.Game{played, scheduled} {
		got, found, err := store.Game(ctx, want.GameId)
		if err != nil || !found {
			t.Fatalf("Game %s: found=%v err=%v", want.GameId, found, err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("Game %s:\n got %v\nwant %v", want.GameId, got, want)
		}
	}

	_, found, err := store.Game(ctx, "1999_01_XXX_YYY")
	if err != nil {
		t.Fatalf("Game of unknown game_id: %v", err)
	}
	if found {
		t.Error("Game of unknown game_id: found=true, want false")
	}
}

func TestStoreRosterAndInjuries(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	entries := []*messages.RosterEntry{
		{Season: 2024, GsisId: "00-0033873", FullName: "Patrick Mahomes", Team: "KC", Position: "QB", Status: "ACT", EspnId: "3139477", Week: 1, JerseyNumber: "15"},
	}
	for range 2 {
		if err := store.UpsertRoster(ctx, entries); err != nil {
			t.Fatalf("UpsertRoster: %v", err)
		}
	}
	if got := countDocuments(t, store, collectionPlayers, bson.D{{Key: "gsis_id", Value: "00-0033873"}, {Key: "jersey_number", Value: "15"}}); got != 1 {
		t.Errorf("players has %d documents of gsis_id 00-0033873, want 1", got)
	}

	injuries := []*messages.Injury{
		{Season: 2024, Week: 5, GsisId: "00-0033873", FullName: "Patrick Mahomes", Team: "KC", Position: "QB", ReportStatus: "Questionable", ReportPrimaryInjury: "Ankle", PracticeStatus: "Limited", DateModified: "2024-10-04T20:01:02Z"},
		{Season: 2024, Week: 6, GsisId: "00-0033873", FullName: "Patrick Mahomes", Team: "KC", Position: "QB"},
	}
	for range 2 {
		if err := store.UpsertInjuries(ctx, injuries); err != nil {
			t.Fatalf("UpsertInjuries: %v", err)
		}
	}
	if got := countDocuments(t, store, collectionInjuries, nil); got != 2 {
		t.Errorf("injuries has %d documents, want 2", got)
	}
	if got := countDocuments(t, store, collectionInjuries, bson.D{{Key: "week", Value: 5}, {Key: "report_primary_injury", Value: "Ankle"}}); got != 1 {
		t.Errorf("injuries has %d documents of week 5 with an ankle injury, want 1", got)
	}
}

func TestStoreInsertSyncRun(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	run := messages.SyncRun{
		StartedAt:   time.Date(2024, 9, 8, 17, 5, 0, 123_000_000, time.UTC),
		Duration:    1500 * time.Millisecond,
		Season:      2024,
		Week:        1,
		OK:          true,
		PlayerRows:  1203,
		GameRows:    272,
		Deltas:      17,
		Quarantined: 2,
	}
	if err := store.InsertSyncRun(ctx, run); err != nil {
		t.Fatalf("InsertSyncRun: %v", err)
	}
	if err := store.InsertSyncRun(ctx, run); err != nil {
		t.Fatalf("second InsertSyncRun: %v", err)
	}

	if got := countDocuments(t, store, collectionSyncRuns, nil); got != 2 {
		t.Errorf("sync_runs has %d documents, want 2 (one per call)", got)
	}

	var document syncRunDocument
	if err := store.db.Collection(collectionSyncRuns).FindOne(ctx, bson.D{}).Decode(&document); err != nil {
		t.Fatalf("read sync run: %v", err)
	}
	if !document.StartedAt.Equal(run.StartedAt) {
		t.Errorf("started_at = %v, want %v", document.StartedAt, run.StartedAt)
	}
	if document.DurationMS != 1500 {
		t.Errorf("duration_ms = %d, want 1500", document.DurationMS)
	}
	if document.Season != 2024 || document.Week != 1 || !document.OK {
		t.Errorf("season, week, ok = %d, %d, %v, want 2024, 1, true", document.Season, document.Week, document.OK)
	}
	if document.PlayerRows != 1203 || document.GameRows != 272 || document.Deltas != 17 || document.Quarantined != 2 {
		t.Errorf("counts = %+v, want player_rows 1203, game_rows 272, deltas 17, quarantined 2", document)
	}
}

func TestStoreRejectsInvalidRows(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	cases := map[string]*messages.PlayerWeek{
		"missing player_id": playerWeek("", 2024, 1, "passing_yards", "1"),
		"dotted stat name":  playerWeek("00-0033873", 2024, 1, "passing.yards", "1"),
		"dollar stat name":  playerWeek("00-0033873", 2024, 1, "$passing_yards", "1"),
		"empty stat name":   playerWeek("00-0033873", 2024, 1, "", "1"),
		"duplicate stat":    playerWeek("00-0033873", 2024, 1, "passing_yards", "1", "passing_yards", "2"),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			good := playerWeek("00-0036442", 2024, 1, "passing_yards", "1")
			err := store.UpsertPlayerWeeks(ctx, []*messages.PlayerWeek{good, bad})
			if err == nil {
				t.Fatal("UpsertPlayerWeeks returned no error")
			}
			t.Logf("error: %v", err)

			if got := countDocuments(t, store, collectionPlayerWeeks, nil); got != 0 {
				t.Errorf("player_weeks has %d documents after a rejected call, want 0", got)
			}
		})
	}

	if err := store.UpsertGames(ctx, []*messages.Game{{Season: 2024}}); err == nil {
		t.Error("UpsertGames of a game without game_id returned no error")
	}
	if err := store.UpsertRoster(ctx, []*messages.RosterEntry{{Season: 2024}}); err == nil {
		t.Error("UpsertRoster of an entry without gsis_id returned no error")
	}
	if err := store.UpsertInjuries(ctx, []*messages.Injury{{Season: 2024}}); err == nil {
		t.Error("UpsertInjuries of an injury without gsis_id returned no error")
	}
}

func TestStoreUpsertManyBatches(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	const players = 2*batchSize + 7
	weeks := make([]*messages.PlayerWeek, 0, players)
	for i := range players {
		weeks = append(weeks, playerWeek(fmt.Sprintf("00-%07d", i), 2024, 1, "receptions", fmt.Sprint(i%13)))
	}

	if err := store.UpsertPlayerWeeks(ctx, weeks); err != nil {
		t.Fatalf("UpsertPlayerWeeks: %v", err)
	}

	if got := countDocuments(t, store, collectionPlayerWeeks, nil); got != players {
		t.Errorf("player_weeks has %d documents, want %d", got, players)
	}
}

// TestStoreReplacesManyDocuments stores more than 100 player-weeks twice
// with new values, so that the second upsert replaces every document.
// Embedded FerretDB holds one of its 100 SQLite connections per statement
// of an update command until the command ends, so this hangs if the
// replacements go out in one command.
func TestStoreReplacesManyDocuments(t *testing.T) {
	store := openTestStore(t, testServerURI(t), defaultStoreConfig)
	ctx := testContext(t)

	const players = 2*replaceBatchSize + 11
	for _, receptions := range []string{"1", "2"} {
		weeks := make([]*messages.PlayerWeek, 0, players)
		for i := range players {
			weeks = append(weeks, playerWeek(fmt.Sprintf("00-%07d", i), 2024, 1, "receptions", receptions))
		}
		if err := store.UpsertPlayerWeeks(ctx, weeks); err != nil {
			t.Fatalf("UpsertPlayerWeeks with receptions %s: %v", receptions, err)
		}
	}

	state, found, err := store.Player(ctx, fmt.Sprintf("00-%07d", players-1))
	if err != nil || !found {
		t.Fatalf("Player: found=%v err=%v", found, err)
	}
	if got := state.GetWeeks()[0].GetStats()[0].GetValue(); got != "2" {
		t.Errorf("receptions = %s after the second upsert, want 2", got)
	}
}

func TestOpenTwiceKeepsIndexes(t *testing.T) {
	uri := testServerURI(t)
	store := openTestStore(t, uri, defaultStoreConfig)
	ctx := testContext(t)

	again, err := Open(ctx, uri, store.db.Name())
	if err != nil {
		t.Fatalf("second Open of database %s: %v", store.db.Name(), err)
	}
	defer func() { _ = again.Close(ctx) }()

	if err := again.UpsertGames(ctx, []*messages.Game{{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1}}); err != nil {
		t.Errorf("UpsertGames after the second Open: %v", err)
	}
}
