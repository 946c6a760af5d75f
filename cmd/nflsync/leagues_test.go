package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

const testAdminKey = "league-test-key"

// leagueServer is the setup of one in-process `nflsync serve` on the 2024
// replay with the admin API key set.
type leagueServer struct {
	dataDir         string
	intervalSeconds string
	polling         bool
}

// startLeagueServer runs a polling server on a new data directory and
// returns its address.
func startLeagueServer(t *testing.T, intervalSeconds string) string {
	t.Helper()
	address, _ := leagueServer{dataDir: t.TempDir(), intervalSeconds: intervalSeconds, polling: true}.start(t)
	return address
}

// start runs the server until the test ends or stop is called, and returns
// its address.
func (server leagueServer) start(t *testing.T) (address string, stop func()) {
	t.Helper()
	settings := map[string]string{
		"NFL_SYNC_SOURCE":           "replay:../../testdata/replay/2024",
		"NFL_SYNC_INTERVAL_SECONDS": server.intervalSeconds,
		"NFL_SYNC_ENABLED":          fmt.Sprint(server.polling),
		"NFL_SYNC_LISTEN_ADDR":      "127.0.0.1:0",
		"NFL_SYNC_DATA_DIR":         server.dataDir,
		"NFL_SYNC_ADMIN_API_KEY":    testAdminKey,
	}
	cfg, err := loadConfig(func(name string) string { return settings[name] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}

	var logOutput io.Writer = io.Discard
	if os.Getenv("NFL_SYNC_TEST_LOGS") != "" {
		logOutput = os.Stderr
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(logOutput, nil)), ready) }()
	var once sync.Once
	stop = func() {
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

// request sends one API request and returns the status and the body.
func request(t *testing.T, address, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	switch body := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(body)
	default:
		encoded, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}

	httpRequest, err := http.NewRequest(method, "http://"+address+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	httpRequest.Header.Set("Content-Type", "application/json")
	if key != "" {
		httpRequest.Header.Set("Authorization", "Bearer "+key)
	}
	response, err := http.DefaultClient.Do(httpRequest)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer response.Body.Close()
	payload, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, payload
}

func createLeague(t *testing.T, address string, league map[string]any) {
	t.Helper()
	status, body := request(t, address, http.MethodPost, "/api/v1/leagues", testAdminKey, league)
	if status != http.StatusCreated {
		t.Fatalf("create league %v: status %d: %s", league["id"], status, body)
	}
}

func leaderboard(t *testing.T, address, leagueID string) messages.LeaderboardUpdateMessage {
	t.Helper()
	status, body := request(t, address, http.MethodGet, "/api/v1/leagues/"+leagueID+"/leaderboard", "", nil)
	if status != http.StatusOK {
		t.Fatalf("leaderboard of %s: status %d: %s", leagueID, status, body)
	}
	var board messages.LeaderboardUpdateMessage
	if err := json.Unmarshal(body, &board); err != nil {
		t.Fatalf("decode leaderboard %s: %v", body, err)
	}
	return board
}

// waitForTotals polls the leaderboard until every team has its expected
// points, and fails with the last board after the deadline.
func waitForTotals(t *testing.T, address, leagueID string, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		board := leaderboard(t, address, leagueID)
		got := make(map[string]string, len(board.Rows))
		for _, row := range board.Rows {
			got[row.TeamID] = row.Points
		}
		if equalMaps(got, want) {
			return
		}
		if time.Now().After(deadline) {
			for team, points := range want {
				if got[team] != points {
					t.Errorf("league %s team %s: points %s, want %s", leagueID, team, got[team], points)
				}
			}
			t.Fatalf("league %s: totals did not reach the expected values", leagueID)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for key, value := range a {
		if b[key] != value {
			return false
		}
	}
	return true
}

// playoffReference reads the real 2024 weekly stats file and returns each
// player's nflverse fantasy_points_ppr per playoff week (19-22), rounded to
// cents, and the team of each player's playoff rows.
// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
func playoffReference(t *testing.T) (points map[string]map[int32]decimal.Decimal, teams map[string]string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "nflverse", "stats_player", "stats_player_week_2024.csv.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := nflverse.ReadPlayerStats(f, path)
	if err != nil {
		t.Fatal(err)
	}

	points = make(map[string]map[int32]decimal.Decimal)
	teams = make(map[string]string)
	for _, row := range file.Players {
		if row.GetSeason() != 2024 || row.GetWeek() < 19 {
			continue
		}
		text, ok := scoring.RowLookup(row)("fantasy_points_ppr")
		if !ok {
			continue
		}
		value, err := decimal.NewFromString(text)
		if err != nil {
			t.Fatalf("player_id %s week %d: fantasy_points_ppr %q: %v", row.GetPlayerId(), row.GetWeek(), text, err)
		}
		if points[row.GetPlayerId()] == nil {
			points[row.GetPlayerId()] = make(map[int32]decimal.Decimal)
		}
		points[row.GetPlayerId()][row.GetWeek()] = value.Round(2)
		teams[row.GetPlayerId()] = row.GetTeam()
	}
	return points, teams
}

// playoffLeague builds a 10-team playoff league: team i rosters the five
// players with the most playoff PPR points of one real playoff team.
func playoffLeague(t *testing.T, leagueID string) (league map[string]any, want map[string]string) {
	t.Helper()
	reference, nflTeams := playoffReference(t)
	playoffTeams := []string{"KC", "PHI", "BUF", "WAS", "BAL", "DET", "LA", "HOU", "PIT", "DEN"}

	var teams []map[string]any
	want = make(map[string]string)
	for _, nflTeam := range playoffTeams {
		var players []string
		totals := make(map[string]decimal.Decimal)
		for playerID, weeks := range reference {
			if nflTeams[playerID] != nflTeam {
				continue
			}
			players = append(players, playerID)
			for _, points := range weeks {
				totals[playerID] = totals[playerID].Add(points)
			}
		}
		sort.Slice(players, func(i, j int) bool {
			if c := totals[players[i]].Cmp(totals[players[j]]); c != 0 {
				return c > 0
			}
			return players[i] < players[j]
		})
		if len(players) < 5 {
			t.Fatalf("%s has %d players with playoff rows, want at least 5", nflTeam, len(players))
		}
		roster := players[:5]

		sum := decimal.Zero
		for _, playerID := range roster {
			sum = sum.Add(totals[playerID])
		}
		teamID := strings.ToLower(nflTeam) + "-fans"
		want[teamID] = scoring.FormatPoints(sum)
		teams = append(teams, map[string]any{"id": teamID, "name": nflTeam + " fans", "owner": "owner-" + teamID, "roster": roster})
	}

	league = map[string]any{
		"id": leagueID, "name": "2024 playoffs", "season": 2024, "format": "playoffs",
		"rule_set": "ppr", "teams": teams,
	}
	return league, want
}

const (
	kittleID = "00-0033288"

	// tePremium is a custom rule set: PPR with 1.5 points per reception for
	// tight ends, and threshold bonuses at 100 and 150 receiving_yards.
	tePremium = `{"name":"te-premium","base":"ppr",
		"position_overrides":{"TE":{"receptions":"1.5"}},
		"bonuses":[{"stat":"receiving_yards","at_least":100,"points":3},
		           {"stat":"receiving_yards","at_least":150,"points":5}]}`
)

// customLeague is a one-week league (2024 week 8) under tePremium. Team
// "kittle" rosters George Kittle; team "benched" rosters Patrick Mahomes
// with an empty week 8 lineup, so he scores nothing for it.
func customLeague(leagueID string) map[string]any {
	return map[string]any{
		"id": leagueID, "name": "TE premium", "season": 2024, "weeks": []int{8},
		"rule_set": json.RawMessage(tePremium),
		"teams": []map[string]any{
			{"id": "kittle", "name": "Kittle", "roster": []string{kittleID}},
			{"id": "benched", "name": "Benched", "roster": []string{mahomesID},
				"lineups": []map[string]any{{"week": 8, "starters": []string{}}}},
		},
	}
}

type leagueMessage struct {
	Type     string                    `json:"type"`
	Stream   string                    `json:"stream"`
	LeagueID string                    `json:"league_id"`
	RuleSet  string                    `json:"rule_set"`
	Rows     []messages.LeaderboardRow `json:"rows"`
	Players  []struct {
		TeamID   string            `json:"team_id"`
		Counted  bool              `json:"counted"`
		PlayerID string            `json:"player_id"`
		Week     int32             `json:"week"`
		Points   map[string]string `json:"points"`
	} `json:"players"`
	Items []json.RawMessage `json:"items"`
}

func readLeagueMessage(t *testing.T, conn *websocket.Conn) (leagueMessage, []byte) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, payload, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var message leagueMessage
	if err := json.Unmarshal(payload, &message); err != nil {
		t.Fatalf("decode %s: %v", payload, err)
	}
	return message, payload
}

// readInBackground reads every message of conn into the returned channel
// until the connection ends, when it closes the channel.
func readInBackground(t *testing.T, conn *websocket.Conn) <-chan []byte {
	t.Helper()
	payloads := make(chan []byte, 4096)
	go func() {
		defer close(payloads)
		for {
			_, payload, err := conn.ReadMessage()
			if err != nil {
				return
			}
			payloads <- payload
		}
	}()
	return payloads
}

// nextLeagueMessage decodes the next message that readInBackground read.
func nextLeagueMessage(t *testing.T, payloads <-chan []byte) (leagueMessage, []byte) {
	t.Helper()
	select {
	case payload, ok := <-payloads:
		if !ok {
			t.Fatal("the connection ended before the expected message")
		}
		var message leagueMessage
		if err := json.Unmarshal(payload, &message); err != nil {
			t.Fatalf("decode %s: %v", payload, err)
		}
		return message, payload
	case <-time.After(2 * time.Minute):
		t.Fatal("no message within 2 minutes")
	}
	return leagueMessage{}, nil
}

// TestLeaguesOnReplay builds two leagues through the REST API of a server
// replaying the real 2024 season, follows each with its own WebSocket
// client, and checks the totals against nflverse and a hand computation.
func TestLeaguesOnReplay(t *testing.T) {
	// The leagues are created on a server that does not poll, so that they
	// exist before the replay reveals week 8, however slow the store is.
	server := leagueServer{dataDir: t.TempDir(), intervalSeconds: "1"}
	setup, stopSetup := server.start(t)
	playoffs, playoffWant := playoffLeague(t, "playoffs")
	createLeague(t, setup, playoffs)
	createLeague(t, setup, customLeague("te-premium"))
	stopSetup()

	server.polling = true
	address, _ := server.start(t)

	// The playoff client is checked last; it reads from the start so that
	// its socket never fills while the other checks run, which would make
	// the server drop it as a stalled client.
	playoffMessages := readInBackground(t, dial(t, address, `{"action":"subscribe_league","league_id":"playoffs"}`))
	customClient := dial(t, address, `{"action":"subscribe_league","league_id":"te-premium"}`)

	// Client of the custom league: every message is about that league, and
	// it receives Kittle's week 8 in a PLAYER_STATS and the leaderboard
	// with his hand-computed points.
	t.Run("CustomRulesThroughLeague", func(t *testing.T) {
		var sawStats, sawBoard bool
		for !sawStats || !sawBoard {
			message, payload := readLeagueMessage(t, customClient)
			if message.Type == "ACK" {
				continue
			}
			if message.Stream != "league:te-premium" {
				t.Fatalf("custom league client got a message of stream %q: %s", message.Stream, payload)
			}
			if message.Type == "SNAPSHOT" {
				continue
			}
			if message.LeagueID != "te-premium" || message.RuleSet != "te-premium" {
				t.Fatalf("message of league %q rule set %q, want te-premium: %s", message.LeagueID, message.RuleSet, payload)
			}

			switch message.Type {
			case messages.TypePlayerStats:
				for _, player := range message.Players {
					if player.PlayerID != kittleID || player.Week != 8 {
						continue
					}
					// 128 receiving_yards × 0.1 = 12.8, + 1 receiving_td × 6,
					// + 6 receptions × 1.5 (TE premium) = 27.8, + 3 for
					// reaching 100 receiving_yards (not 150) = 30.8.
					if player.Points["te-premium"] != "30.80" || player.TeamID != "kittle" || !player.Counted {
						t.Errorf("Kittle week 8 in PLAYER_STATS: %+v, want 30.80 for team kittle, counted", player)
					}
					sawStats = true
				}
			case messages.TypeLeaderboardUpdate:
				for _, row := range message.Rows {
					if row.TeamID == "kittle" && row.Points == "30.80" {
						sawBoard = true
					}
				}
			default:
				t.Fatalf("unexpected message type %q: %s", message.Type, payload)
			}
		}

		waitForTotals(t, address, "te-premium", map[string]string{"kittle": "30.80", "benched": "0.00"})
	})

	// The playoff league's totals equal the sums of nflverse's
	// fantasy_points_ppr over weeks 19-22.
	t.Run("PlayoffTotalsMatchNflverse", func(t *testing.T) {
		waitForTotals(t, address, "playoffs", playoffWant)

		board := leaderboard(t, address, "playoffs")
		if len(board.Rows) != 10 {
			t.Fatalf("leaderboard has %d rows, want 10", len(board.Rows))
		}
		if !slices.Equal(board.Weeks, []int32{19, 20, 21, 22}) {
			t.Errorf("weeks %v, want 19-22", board.Weeks)
		}
		for i := 1; i < len(board.Rows); i++ {
			previous, _ := decimal.NewFromString(board.Rows[i-1].Points)
			current, _ := decimal.NewFromString(board.Rows[i].Points)
			if previous.LessThan(current) || board.Rows[i].Rank < board.Rows[i-1].Rank {
				t.Errorf("rows %d and %d are out of order: %+v, %+v", i-1, i, board.Rows[i-1], board.Rows[i])
			}
		}
	})

	// Client of the playoff league: by now the replay has revealed every
	// week, and nothing it received belongs to the other league.
	t.Run("ClientsGetOnlyTheirLeague", func(t *testing.T) {
		for {
			message, payload := nextLeagueMessage(t, playoffMessages)
			if message.Type == "ACK" {
				continue
			}
			if message.Stream != "league:playoffs" {
				t.Fatalf("playoff client got a message of stream %q: %s", message.Stream, payload)
			}
			if message.Type == "SNAPSHOT" {
				continue
			}
			if message.LeagueID != "playoffs" {
				t.Fatalf("playoff client got league %q: %s", message.LeagueID, payload)
			}
			for _, player := range message.Players {
				if player.PlayerID == kittleID || player.PlayerID == mahomesID && player.TeamID != "kc-fans" {
					t.Fatalf("playoff client got a player of the other league: %s", payload)
				}
			}
			if message.Type == messages.TypeLeaderboardUpdate && boardMatches(message.Rows, playoffWant) {
				break
			}
		}
	})
}

func boardMatches(rows []messages.LeaderboardRow, want map[string]string) bool {
	got := make(map[string]string, len(rows))
	for _, row := range rows {
		got[row.TeamID] = row.Points
	}
	return equalMaps(got, want)
}

// TestLeagueRejectsBadInput sends invalid requests and checks that each
// gets a 4xx naming the field, and that none changes the stored leagues.
func TestLeagueRejectsBadInput(t *testing.T) {
	address := startLeagueServer(t, "3600")
	createLeague(t, address, customLeague("office"))
	_, before := request(t, address, http.MethodGet, "/api/v1/leagues", "", nil)

	valid := `"id":"new","name":"New","season":2024,"rule_set":"ppr"`
	cases := []struct {
		name, method, path, key, body string
		status                        int
		field                         string
	}{
		{"unknown field", "POST", "/api/v1/leagues", testAdminKey, `{` + valid + `,"colour":"red"}`, 400, "colour"},
		{"unknown team field", "POST", "/api/v1/leagues", testAdminKey,
			`{` + valid + `,"teams":[{"id":"a","name":"A","captain":"x"}]}`, 400, "teams[0].captain"},
		{"wrong type", "POST", "/api/v1/leagues", testAdminKey, `{"id":"new","name":"New","season":"2024","rule_set":"ppr"}`, 400, "season"},
		{"wrong roster type", "POST", "/api/v1/leagues", testAdminKey,
			`{` + valid + `,"teams":[{"id":"a","name":"A","roster":"00-0033873"}]}`, 400, "teams[0].roster"},
		{"missing field", "POST", "/api/v1/leagues", testAdminKey, `{"id":"new","season":2024,"rule_set":"ppr"}`, 400, "name"},
		{"missing key", "POST", "/api/v1/leagues", "", `{` + valid + `}`, 401, ""},
		{"wrong key", "POST", "/api/v1/leagues", "not-the-key", `{` + valid + `}`, 401, ""},
		{"unknown player", "POST", "/api/v1/leagues", testAdminKey,
			`{` + valid + `,"teams":[{"id":"a","name":"A","roster":["` + mahomesID + `"]},{"id":"b","name":"B","roster":["00-9999999"]}]}`,
			400, "teams[1].roster[0]"},
		{"duplicate team id", "POST", "/api/v1/leagues", testAdminKey,
			`{` + valid + `,"teams":[{"id":"a","name":"A"},{"id":"b","name":"B"},{"id":"a","name":"C"}]}`, 400, "teams[2].id"},
		{"duplicate player", "POST", "/api/v1/leagues", testAdminKey,
			`{` + valid + `,"teams":[{"id":"a","name":"A","roster":["` + mahomesID + `"]},{"id":"b","name":"B","roster":["` + mahomesID + `"]}]}`,
			400, "teams[1].roster[0]"},
		{"week out of range", "POST", "/api/v1/leagues", testAdminKey, `{` + valid + `,"weeks":[0]}`, 400, "weeks[0]"},
		{"existing league", "POST", "/api/v1/leagues", testAdminKey, `{"id":"office","name":"Again","season":2024,"rule_set":"ppr"}`, 409, "id"},
		{"invalid JSON", "POST", "/api/v1/leagues", testAdminKey, `{"id":`, 400, ""},
		{"add duplicate team", "POST", "/api/v1/leagues/office/teams", testAdminKey, `{"id":"kittle","name":"Again"}`, 400, "id"},
		{"add unknown player", "POST", "/api/v1/leagues/office/teams/kittle/players", testAdminKey, `{"player_id":"00-9999999"}`, 400, "player_id"},
		{"add rostered player", "POST", "/api/v1/leagues/office/teams/kittle/players", testAdminKey, `{"player_id":"` + mahomesID + `"}`, 400, "player_id"},
		{"lineup of another team's player", "PUT", "/api/v1/leagues/office/teams/kittle/lineups/8", testAdminKey,
			`{"starters":["` + mahomesID + `"]}`, 400, "starters[0]"},
		{"lineup week not counted", "PUT", "/api/v1/leagues/office/teams/kittle/lineups/9", testAdminKey, `{"starters":[]}`, 400, "week"},
		{"unknown league", "DELETE", "/api/v1/leagues/nowhere", testAdminKey, ``, 404, "league_id"},
	}
	for _, c := range cases {
		status, body := request(t, address, c.method, c.path, c.key, c.body)
		if status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, status, c.status, body)
			continue
		}
		var got struct {
			Error struct{ Code, Field, Message string } `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("%s: decode %s: %v", c.name, body, err)
			continue
		}
		if got.Error.Field != c.field {
			t.Errorf("%s: field %q, want %q: %s", c.name, got.Error.Field, c.field, body)
		}
		if got.Error.Message == "" || got.Error.Code == "" {
			t.Errorf("%s: error without code or message: %s", c.name, body)
		}
	}

	_, after := request(t, address, http.MethodGet, "/api/v1/leagues", "", nil)
	if !bytes.Equal(before, after) {
		t.Errorf("rejected requests changed the leagues:\nbefore %s\nafter  %s", before, after)
	}
}
