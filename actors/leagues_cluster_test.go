package actors

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

// fakePlacement places every league actor in one actor system, as a
// cluster whose members all share it would: the first Locate of an
// identity spawns the kind's props with that cluster identity.
type fakePlacement struct {
	system *actor.ActorSystem
	props  *actor.Props // the KindLeague props of the node that owns every league

	mu      sync.Mutex
	pids    map[string]*actor.PID
	located []string
	// unplaced counts, per identity, how many more Locate calls return
	// nil, as when the owner does not reply.
	unplaced map[string]int
}

func newFakePlacement(system *actor.ActorSystem) *fakePlacement {
	return &fakePlacement{system: system, pids: make(map[string]*actor.PID), unplaced: make(map[string]int)}
}

func (p *fakePlacement) Locate(identity, kind string) *actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()

	p.located = append(p.located, identity)
	if kind != KindLeague || p.props == nil {
		return nil
	}
	if p.unplaced[identity] > 0 {
		p.unplaced[identity]--
		return nil
	}
	if pid := p.pids[identity]; pid != nil {
		return pid
	}
	pid := p.system.Root.Spawn(cluster.WithClusterIdentity(p.props, cluster.NewClusterIdentity(identity, kind)))
	p.pids[identity] = pid
	return pid
}

func (p *fakePlacement) Forget(pid *actor.PID) {
	p.mu.Lock()
	defer p.mu.Unlock()

	for identity, placed := range p.pids {
		if placed.Equal(pid) {
			delete(p.pids, identity)
		}
	}
}

// kill stops the identity's actor, as the death of its member would, so
// that the next Locate activates a new one.
func (p *fakePlacement) kill(t *testing.T, identity string) {
	t.Helper()
	p.mu.Lock()
	pid := p.pids[identity]
	delete(p.pids, identity)
	p.mu.Unlock()

	if pid == nil {
		t.Fatalf("no actor placed for %s", identity)
	}
	if err := p.system.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}

func (p *fakePlacement) locatedCount(identity string) int {
	p.mu.Lock()
	defer p.mu.Unlock()

	count := 0
	for _, located := range p.located {
		if located == identity {
			count++
		}
	}
	return count
}

// memoryLeagueStore keeps leagues in memory and counts the writes.
type memoryLeagueStore struct {
	mu      sync.Mutex
	leagues map[string]*messages.League
	upserts int
	deletes int
}

func newMemoryLeagueStore() *memoryLeagueStore {
	return &memoryLeagueStore{leagues: make(map[string]*messages.League)}
}

func (s *memoryLeagueStore) Leagues(context.Context) ([]*messages.League, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var leagues []*messages.League
	for _, league := range s.leagues {
		leagues = append(leagues, proto.Clone(league).(*messages.League))
	}
	return leagues, nil
}

func (s *memoryLeagueStore) UpsertLeague(_ context.Context, league *messages.League) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leagues[league.GetId()] = proto.Clone(league).(*messages.League)
	s.upserts++
	return nil
}

func (s *memoryLeagueStore) DeleteLeague(_ context.Context, leagueID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leagues, leagueID)
	s.deletes++
	return nil
}

func (s *memoryLeagueStore) writes() (upserts, deletes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upserts, s.deletes
}

// clusterLeagueFixture is a leagueFixture whose directory places the league
// actors with a fakePlacement, as one node of a cluster.
type clusterLeagueFixture struct {
	*leagueFixture
	placement   *fakePlacement
	activations *Activations
	store       *memoryLeagueStore
}

func newClusterLeagueFixture(t *testing.T) *clusterLeagueFixture {
	t.Helper()
	f := &leagueFixture{system: actor.NewActorSystem(), hub: NewHub(), received: make(chan []byte, 100)}
	t.Cleanup(f.system.Shutdown)
	f.keeper = NewStateKeeper(inmem.New(), nil, nil, nil)

	var err error
	if f.registry, err = NewRuleSetRegistry(scoring.Presets()...); err != nil {
		t.Fatal(err)
	}
	c := &clusterLeagueFixture{leagueFixture: f, placement: newFakePlacement(f.system),
		activations: NewActivations(nil), store: newMemoryLeagueStore()}
	c.leagues = c.startNode(t, f.hub, f.registry)
	c.placement.props = c.leagues.Kinds[KindLeague]
	return c
}

// startNode starts another leagues directory that shares the placement and
// the store, as the directory of another node would.
func (c *clusterLeagueFixture) startNode(t *testing.T, hub *Hub, registry *RuleSetRegistry) *Leagues {
	t.Helper()
	leagues, err := StartLeagues(context.Background(), c.system, LeaguesConfig{Hub: hub, State: c.keeper,
		Registry: registry, Store: c.store, Placement: c.placement, Activations: c.activations})
	if err != nil {
		t.Fatal(err)
	}
	return leagues
}

// twoTeams is a PPR league over weeks 1 and 2 in which team a rosters p1
// and team b rosters p2.
func twoTeams(leagueID string) *messages.League {
	return &messages.League{Id: leagueID, Name: "L", Season: 2024, Weeks: []int32{1, 2}, ScoringPreset: "ppr",
		Teams: []*messages.LeagueTeam{{Id: "a", Name: "A", Roster: []string{"p1"}}, {Id: "b", Name: "B", Roster: []string{"p2"}}}}
}

// putWeeks stores rows, all of one player, as that player's state.
func (f *leagueFixture) putWeeks(rows ...*messages.PlayerWeek) {
	f.keeper.PutPlayer(&messages.PlayerState{PlayerId: rows[0].GetPlayerId(), Weeks: rows}, nil)
}

// expectBoard reads league messages until a LEADERBOARD_UPDATE and checks
// its top row.
func (f *leagueFixture) expectBoard(t *testing.T, teamID, points, change string) {
	t.Helper()
	for {
		message := f.next(t)
		if message["type"] != messages.TypeLeaderboardUpdate {
			continue
		}
		top := message["rows"].([]any)[0].(map[string]any)
		if top["team_id"] != teamID || top["points"] != points || top["change"] != change {
			t.Fatalf("top row %v, want team %s with %s, change %s", top, teamID, points, change)
		}
		return
	}
}

func TestClusterLeaguesRouteToPlacedActors(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"))
	if _, err := f.leagues.Create(context.Background(), twoTeams("l")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := f.activations.Count(KindLeague); got != 1 {
		t.Fatalf("%d league actors active, want the one that Create placed", got)
	}
	f.follow("l")

	// An update of p2 and the end of the poll reach the placed actor,
	// which publishes the poll's PLAYER_STATS and the new leaderboard.
	located := f.placement.locatedCount("l")
	f.scored(t, row("p2", "WR", 2, "3"))
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})

	stats := f.next(t)
	if stats["type"] != messages.TypePlayerStats {
		t.Fatalf("first message %v, want PLAYER_STATS", stats["type"])
	}
	f.expectBoard(t, "b", "7.00", "3.00")
	if got := f.placement.locatedCount("l") - located; got != 2 {
		t.Errorf("the update and the poll end located the league %d times, want 2", got)
	}

	board, err := f.leagues.Leaderboard(context.Background(), "l")
	if err != nil {
		t.Fatal(err)
	}
	if len(board.Rows) != 2 || board.Rows[0].TeamID != "b" || board.Rows[0].Points != "7.00" {
		t.Errorf("Leaderboard rows %+v, want b with 7.00 first", board.Rows)
	}
	items, err := f.leagues.Snapshot(context.Background(), messages.StreamKind_STREAM_KIND_LEAGUE, "l",
		f.hub.Seq(StreamKey(messages.StreamKind_STREAM_KIND_LEAGUE, "l")))
	if err != nil || len(items) != 2 {
		t.Errorf("Snapshot: %d items, error %v, want 2 rows", len(items), err)
	}
	if got := f.activations.Count(KindLeague); got != 1 {
		t.Errorf("%d league actors active, want 1", got)
	}
}

func TestClusterLeagueEditsBroadcast(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"), row("p3", "WR", 1, "1"))

	changes := make(chan *messages.LeagueChanged, 10)
	relay := f.system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if change, ok := ctx.Message().(*messages.LeagueChanged); ok {
			changes <- change
		}
	}))
	f.leagues.SetBroadcast(func(change *messages.LeagueChanged) { f.system.Root.Send(relay, change) })
	next := func() *messages.LeagueChanged {
		t.Helper()
		select {
		case change := <-changes:
			return change
		case <-time.After(5 * time.Second):
			t.Fatal("no LeagueChanged at the relay within 5s")
			return nil
		}
	}

	if _, err := f.leagues.Create(context.Background(), twoTeams("l")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if change := next(); change.GetLeagueId() != "l" || len(change.GetLeague().GetTeams()) != 2 {
		t.Errorf("after Create the relay got %v, want league l with 2 teams", change)
	}

	if _, err := f.leagues.AddTeam(context.Background(), "l", &messages.LeagueTeam{Id: "c", Name: "C", Roster: []string{"p3"}}); err != nil {
		t.Fatalf("AddTeam: %v", err)
	}
	if change := next(); len(change.GetLeague().GetTeams()) != 3 {
		t.Errorf("after AddTeam the relay got %v, want league l with 3 teams", change)
	}

	// A rejected edit changes nothing and is not broadcast.
	if _, err := f.leagues.AddPlayer(context.Background(), "l", "c", "p1"); err == nil {
		t.Fatal("AddPlayer of a player on another team: no error")
	}

	if err := f.leagues.Delete(context.Background(), "l"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if change := next(); change.GetLeagueId() != "l" || change.GetLeague() != nil {
		t.Errorf("after Delete the relay got %v, want league l without a definition", change)
	}

	if upserts, deletes := f.store.writes(); upserts != 2 || deletes != 1 {
		t.Errorf("the league actor wrote %d upserts and %d deletes, want 2 and 1", upserts, deletes)
	}
	select {
	case change := <-changes:
		t.Errorf("unexpected broadcast %v", change)
	default:
	}
}

func TestClusterLeagueBroadcastUpdatesIndex(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "TE", 1, "4"), row("p2", "WR", 1, "2"))
	league := twoTeams("remote")
	league.ScoringPreset = ""
	league.RuleSetJson = `{"name":"te-premium","base":"ppr","position_overrides":{"TE":{"receptions":1.5}}}`

	// Another node created the league, and this node's directory only
	// receives the broadcast.
	f.system.Root.Send(f.leagues.PID(), &messages.LeagueChanged{LeagueId: "remote", League: league})
	got, err := f.leagues.Get(context.Background(), "remote")
	if err != nil {
		t.Fatalf("Get after LeagueChanged: %v", err)
	}
	if !proto.Equal(got, league) {
		t.Errorf("Get returned %v, want %v", got, league)
	}
	if rules := len(f.registry.Scorer().RuleSets()); rules != 4 {
		t.Errorf("scorer has %d rule sets, want 3 presets and the league's", rules)
	}
	if got := f.activations.Count(KindLeague); got != 0 {
		t.Errorf("%d league actors active before any message to the league, want 0", got)
	}

	// The index routes p1's update to the league's actor, which the
	// placement activates with the definition from this node's directory.
	f.follow("remote")
	f.scored(t, row("p1", "TE", 2, "2"))
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})
	f.expectBoard(t, "a", "9.00", "3.00")

	f.system.Root.Send(f.leagues.PID(), &messages.LeagueChanged{LeagueId: "remote"})
	if _, err := f.leagues.Get(context.Background(), "remote"); !isLeagueError(err, LeagueErrorNotFound) {
		t.Errorf("Get after the removal: error %v, want not_found", err)
	}
	if rules := len(f.registry.Scorer().RuleSets()); rules != 3 {
		t.Errorf("after the removal the scorer has %d rule sets, want the 3 presets", rules)
	}
	if upserts, deletes := f.store.writes(); upserts != 0 || deletes != 0 {
		t.Errorf("broadcasts wrote %d upserts and %d deletes to the store, want none", upserts, deletes)
	}
}

func TestClusterLeagueActivatesOnSurvivor(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"))
	f.follow("l")
	if _, err := f.leagues.Create(context.Background(), twoTeams("l")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	f.expectBoard(t, "a", "5.00", "5.00")

	// The league's member dies after its actor took a change of p2 that
	// it never published. The StateKeeper has the change, because player
	// actors write it before the scorer hears of it.
	f.placement.kill(t, "l")
	f.putWeeks(row("p2", "WR", 1, "4"), row("p2", "WR", 2, "3"))
	if got := f.activations.Count(KindLeague); got != 0 {
		t.Fatalf("%d league actors active after the kill, want 0", got)
	}

	// The next poll end activates the league again. It recomputes from
	// the StateKeeper and announces the change against the last board.
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})
	f.expectBoard(t, "b", "7.00", "3.00")
	if got := f.activations.Count(KindLeague); got != 1 {
		t.Errorf("%d league actors active, want the new activation", got)
	}
}

func TestClusterLeagueUnplacedUpdateRecomputes(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"))
	if _, err := f.leagues.Create(context.Background(), twoTeams("l")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	f.follow("l")

	// The owner does not reply when p2's update is located, so the
	// directory cannot deliver it. The poll end requests a recompute.
	f.placement.mu.Lock()
	f.placement.unplaced["l"] = 1
	f.placement.mu.Unlock()
	f.putWeeks(row("p2", "WR", 1, "4"), row("p2", "WR", 2, "3"))
	f.scored(t, row("p2", "WR", 2, "3"))
	f.system.Root.Send(f.leagues.PID(), &messages.SyncFinished{Ok: true})

	f.expectBoard(t, "b", "7.00", "3.00")
}

func TestClusterLeagueEditConflictRetries(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "WR", 1, "5"), row("p2", "WR", 1, "4"), row("p3", "WR", 1, "3"), row("p4", "WR", 1, "2"))
	registry2, err := NewRuleSetRegistry(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	node2 := f.startNode(t, NewHub(), registry2)

	created, err := f.leagues.Create(context.Background(), twoTeams("l"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	f.system.Root.Send(node2.PID(), &messages.LeagueChanged{LeagueId: "l", League: created})

	// Node 1 adds team c and node 2 does not hear of it before it adds
	// team d to the definition it has.
	if _, err := f.leagues.AddTeam(context.Background(), "l", &messages.LeagueTeam{Id: "c", Name: "C", Roster: []string{"p3"}}); err != nil {
		t.Fatalf("AddTeam on node 1: %v", err)
	}
	edited, err := node2.AddTeam(context.Background(), "l", &messages.LeagueTeam{Id: "d", Name: "D", Roster: []string{"p4"}})
	if err != nil {
		t.Fatalf("AddTeam on node 2: %v", err)
	}
	var teams []string
	for _, team := range edited.GetTeams() {
		teams = append(teams, team.GetId())
	}
	if !slices.Equal(teams, []string{"a", "b", "c", "d"}) {
		t.Errorf("teams after both edits %v, want a, b, c, d", teams)
	}
	board, err := node2.Leaderboard(context.Background(), "l")
	if err != nil {
		t.Fatal(err)
	}
	if len(board.Rows) != 4 {
		t.Errorf("the league actor's board has %d rows, want 4", len(board.Rows))
	}

	// A create of an id that another node created is a conflict, and node
	// 2 then has that node's definition.
	other := twoTeams("m")
	if _, err := f.leagues.Create(context.Background(), other); err != nil {
		t.Fatalf("Create m on node 1: %v", err)
	}
	clash := twoTeams("m")
	clash.Name = "Clash"
	_, err = node2.Create(context.Background(), clash)
	var leagueErr *LeagueError
	if !errors.As(err, &leagueErr) || leagueErr.Code != LeagueErrorConflict || leagueErr.Field != "id" {
		t.Fatalf("Create m on node 2: error %v, want a conflict on id", err)
	}
	if got, err := node2.Get(context.Background(), "m"); err != nil || got.GetName() != "L" {
		t.Errorf("node 2's m after the conflict: %v, %v, want node 1's definition", got, err)
	}
}

func isLeagueError(err error, code string) bool {
	var leagueErr *LeagueError
	return errors.As(err, &leagueErr) && leagueErr.Code == code
}

func TestHubLastPayload(t *testing.T) {
	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)
	hub := NewHub()

	hub.Publish(system.Root, "league:l", []byte(`{"type":"LEADERBOARD_UPDATE","n":1}`))
	hub.Publish(system.Root, "league:l", []byte(`{"type":"LEADERBOARD_UPDATE","n":2}`))
	hub.Publish(system.Root, "league:l", []byte(`{"type":"PLAYER_STATS"}`))

	if got := string(hub.LastPayload("league:l", "LEADERBOARD_UPDATE")); !strings.Contains(got, `"n":2`) {
		t.Errorf("LastPayload = %s, want the second LEADERBOARD_UPDATE", got)
	}
	if got := hub.LastPayload("league:l", "GAME_SCORES"); got != nil {
		t.Errorf("LastPayload of a type never published = %s, want nil", got)
	}
	if got := hub.LastPayload("league:x", "LEADERBOARD_UPDATE"); got != nil {
		t.Errorf("LastPayload of an unknown stream = %s, want nil", got)
	}
}

// TestClusterLeagueStaleBroadcastKeepsNewer has the directory receive the
// broadcast of an older definition after a newer edit, as two quick edits
// through two nodes can arrive. The directory must keep the definition of
// the league's actor, the only writer.
func TestClusterLeagueStaleBroadcastKeepsNewer(t *testing.T) {
	f := newClusterLeagueFixture(t)
	f.put(row("p1", "TE", 1, "4"), row("p2", "WR", 1, "2"), row("p3", "RB", 1, "1"))
	older, err := f.leagues.Create(context.Background(), twoTeams("l"))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := f.leagues.AddPlayer(context.Background(), "l", "a", "p3")
	if err != nil {
		t.Fatal(err)
	}

	f.system.Root.Send(f.leagues.PID(), &messages.LeagueChanged{LeagueId: "l", League: older})
	got, err := f.leagues.Get(context.Background(), "l")
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, newer) {
		t.Errorf("after a stale broadcast Get returned %v, want the newer definition %v", got, newer)
	}
}
