package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
)

// leagueIDOwnedBy returns a league id whose virtual actor the cluster of
// nodes places on owner. It computes the owner as protoactor's disthash
// identity lookup does: rendezvous hashing of the identity over the
// members' addresses.
func leagueIDOwnedBy(t *testing.T, nodes []*clusterNode, owner *clusterNode) string {
	t.Helper()

	var members cluster.Members
	for _, node := range nodes {
		host, portText, err := net.SplitHostPort(node.bindAddr)
		if err != nil {
			t.Fatal(err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, &cluster.Member{Host: host, Port: int32(port), Id: node.name, Kinds: []string{actors.KindLeague}})
	}
	rendezvous := cluster.NewRendezvous()
	rendezvous.UpdateMembers(members)

	for i := range 100 {
		leagueID := fmt.Sprintf("cluster-season-%d", i)
		if rendezvous.GetByClusterIdentity(cluster.NewClusterIdentity(leagueID, actors.KindLeague)) == owner.bindAddr {
			return leagueID
		}
	}
	t.Fatalf("no league id among 100 is placed on %s", owner.name)
	return ""
}

// leagueActorsMetric is the series of the virtual league actors active on a
// node.
const leagueActorsMetric = `nflsync_virtual_actors{kind="league"}`

// regularSeasonLeague builds a ten-team PPR league over the 2024 regular
// season (weeks 1-18): each team rosters the three players of one NFL team
// with the most regular-season PPR points in the replay's stats file. want
// is each team's expected total, the sum of nflverse's fantasy_points_ppr of
// its players' weeks, each week rounded to cents as the scorer rounds.
// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
func regularSeasonLeague(t *testing.T, leagueID string) (league map[string]any, want map[string]string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "replay", "2024", "stats_player_week_2024.csv.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := nflverse.ReadPlayerStats(f, path)
	if err != nil {
		t.Fatal(err)
	}

	totals := make(map[string]decimal.Decimal)
	nflTeams := make(map[string]string)
	for _, row := range file.Players {
		if row.GetSeason() != 2024 || row.GetWeek() < 1 || row.GetWeek() > 18 {
			continue
		}
		text, ok := scoring.RowLookup(row)("fantasy_points_ppr")
		if !ok {
			continue
		}
		points, err := decimal.NewFromString(text)
		if err != nil {
			t.Fatalf("player_id %s week %d: fantasy_points_ppr %q: %v", row.GetPlayerId(), row.GetWeek(), text, err)
		}
		totals[row.GetPlayerId()] = totals[row.GetPlayerId()].Add(points.Round(2))
		nflTeams[row.GetPlayerId()] = row.GetTeam()
	}

	var teams []map[string]any
	want = make(map[string]string)
	for _, nflTeam := range []string{"KC", "PHI", "BUF", "WAS", "BAL", "DET", "LA", "HOU", "PIT", "DEN"} {
		var players []string
		for playerID, team := range nflTeams {
			if team == nflTeam {
				players = append(players, playerID)
			}
		}
		sort.Slice(players, func(i, j int) bool {
			if c := totals[players[i]].Cmp(totals[players[j]]); c != 0 {
				return c > 0
			}
			return players[i] < players[j]
		})
		if len(players) < 3 {
			t.Fatalf("%s has %d players with regular-season rows, want at least 3", nflTeam, len(players))
		}
		roster := players[:3]

		sum := decimal.Zero
		for _, playerID := range roster {
			sum = sum.Add(totals[playerID])
		}
		teamID := strings.ToLower(nflTeam) + "-fans"
		want[teamID] = scoring.FormatPoints(sum)
		teams = append(teams, map[string]any{"id": teamID, "name": nflTeam + " fans", "roster": roster})
	}

	league = map[string]any{
		"id": leagueID, "name": "2024 regular season", "season": 2024, "format": "regular",
		"rule_set": "ppr", "teams": teams,
	}
	return league, want
}

// clusterLeagueCheck follows one league through a cluster: created through
// one node's REST API, read back through another's and followed by a
// WebSocket client on a third.
type clusterLeagueCheck struct {
	want     map[string]string
	follow   *clusterNode
	payloads <-chan []byte
}

// startClusterLeagueCheck creates regularSeasonLeague through create's REST
// API, checks that read's GET returns the same definition, and subscribes a
// WebSocket client on follow to the league. Start it early in the replay,
// so that the client gets the LEADERBOARD_UPDATE messages of later weeks,
// and on three different nodes, so that the edit, the broadcast of the
// definition and the relay of the messages all cross nodes. The client
// does not reconnect, so follow must stay up until wait returns.
func startClusterLeagueCheck(t *testing.T, leagueID string, create, read, follow *clusterNode) *clusterLeagueCheck {
	t.Helper()
	league, want := regularSeasonLeague(t, leagueID)

	status, body := request(t, create.address, http.MethodPost, "/api/v1/leagues", testAdminKey, league)
	if status != http.StatusCreated {
		t.Fatalf("create league on %s: status %d: %s", create.name, status, body)
	}
	var created map[string]any
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatalf("decode created league %s: %v", body, err)
	}

	// The definition reaches the other nodes' directories through the
	// league relay, so the first GET may come before it.
	var got map[string]any
	waitFor(t, 10*time.Second, "the league created on "+create.name+" is readable on "+read.name, func() bool {
		status, body := request(t, read.address, http.MethodGet, "/api/v1/leagues/"+leagueID, "", nil)
		return status == http.StatusOK && json.Unmarshal(body, &got) == nil
	})
	if !jsonEqual(t, got, created) {
		t.Fatalf("GET on %s returned %v, want the definition created on %s: %v", read.name, got, create.name, created)
	}

	dialer := websocket.Dialer{NetDialContext: follow.dial, HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.Dial("ws://"+follow.address+"/ws", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", follow.name, err)
	}
	t.Cleanup(func() { conn.Close() })
	subscribe := `{"action":"subscribe_league","league_id":"` + leagueID + `"}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(subscribe)); err != nil {
		t.Fatalf("subscribe on %s: %v", follow.name, err)
	}
	t.Logf("league %s created on %s, read on %s, followed on %s", leagueID, create.name, read.name, follow.name)
	return &clusterLeagueCheck{want: want, follow: follow, payloads: readInBackground(t, conn)}
}

// wait waits until the client gets a LEADERBOARD_UPDATE with every team's
// expected total, the board at the end of the replay, and checks that one
// league actor runs in the cluster.
func (c *clusterLeagueCheck) wait(t *testing.T, nodes []*clusterNode, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	var last []messages.LeaderboardRow
	for done := false; !done; {
		select {
		case payload, ok := <-c.payloads:
			if !ok {
				t.Fatalf("the league client's connection to %s ended before the final leaderboard; last board %+v",
					c.follow.name, last)
			}
			var message leagueMessage
			if err := json.Unmarshal(payload, &message); err != nil {
				t.Fatalf("decode %s: %v", payload, err)
			}
			if message.Type == messages.TypeLeaderboardUpdate {
				last = message.Rows
				done = boardMatches(message.Rows, c.want)
			}
		case <-deadline:
			t.Fatalf("no LEADERBOARD_UPDATE with the expected totals %v on %s within %s; last board %+v",
				c.want, c.follow.name, timeout, last)
		}
	}

	var actors map[string]float64
	waitFor(t, 30*time.Second, "one league actor runs in the cluster", func() bool {
		actors = leagueActors(nodes)
		var total float64
		for _, count := range actors {
			total += count
		}
		return total == 1
	})
	t.Logf("league actors at the end, by running node: %v", actors)
}

// leagueActors returns the number of virtual league actors on each running
// node.
func leagueActors(nodes []*clusterNode) map[string]float64 {
	counts := make(map[string]float64)
	for _, node := range nodes {
		if !closed(node.exited) {
			counts[node.name], _ = node.scrape(leagueActorsMetric)
		}
	}
	return counts
}

// jsonEqual reports whether two decoded JSON values encode equally.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	encodedA, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	encodedB, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(encodedA) == string(encodedB)
}
