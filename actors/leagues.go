package actors

// The leagues directory actor owns the set of leagues on its node: a copy
// of every definition, the index player_id → leagues whose rosters have the
// player, and, standalone, the id → league actor PID map. It is the only
// one on its node that changes a definition, one request at a time.
//
// Standalone, it is the parent of the league actors. In a cluster they are
// virtual actors (KindLeague) that its Placement locates on whichever
// member owns them, and every node's directory has every definition. It
// loads them from the store at start, and each directory sends the edits
// made through it to the others as LeagueChanged. The league actor checks
// each edit against the definition that the edit started from, so that two
// edits of one league through two nodes never undo each other.
//
// It takes:
//   - leaguesEdit (a request) from Leagues. It applies the edit to a copy,
//     validates it and checks that every newly rostered player is known.
//     Then the league's actor persists and applies it, and the directory
//     updates its index and the rule set registry, hands the change to the
//     broadcast and replies. When the actor rejects the edit as a conflict,
//     the directory takes the actor's definition and edits that instead, at
//     most maxEditAttempts times in all.
//   - leaguesGet and leaguesList (requests): it replies from its copies.
//   - *messages.LeagueBoardRequest and *messages.LeagueSnapshotRequest
//     (requests): it forwards them to the league's actor, which replies to
//     the requester.
//   - *messages.PlayerUpdate from the scorer: it forwards the update to the
//     actors of the leagues that roster the player, and to no other.
//   - *messages.SyncFinished from the scorer, which forwards it after the
//     updates of the cycle: it sends *messages.LeaguePollEnded to every
//     league actor. A league that missed one of the cycle's updates, because
//     it could not be placed, is asked to recompute.
//   - *messages.LeagueChanged from another node, through the league relay:
//     it updates its copy, index and registry, and writes nothing.
//   - *actor.DeadLetterResponse when a located league actor was gone: it
//     drops the PID with Placement.Forget. The actor that the cluster
//     activates next recomputes from the stored player states, so it misses
//     no change.
//
// It sends *messages.LeagueApply and *messages.LeagueRemove to league
// actors and waits for their replies. A store write thus holds up the
// directory, which is acceptable for admin edits but delays forwarding
// while it lasts. Its other messages to league actors name its own PID,
// with this node's address, as the sender, so that a dead letter comes
// back.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// DefaultLeagueRequestTimeout bounds one Leagues call when its context has
// no earlier deadline. It covers a store write, which retries for up to
// about 28 s when the server is down (see adapters/mongo).
const DefaultLeagueRequestTimeout = 40 * time.Second

// LeagueStore persists league definitions, one document per league id.
// adapters/mongo implements it. Only a league's own actor writes its
// document.
type LeagueStore interface {
	// Leagues returns every stored league.
	Leagues(ctx context.Context) ([]*messages.League, error)

	// UpsertLeague replaces or inserts the league with the same id.
	UpsertLeague(ctx context.Context, league *messages.League) error

	// DeleteLeague deletes the league; deleting a missing one is no error.
	DeleteLeague(ctx context.Context, leagueID string) error
}

// LeaguesConfig configures StartLeagues.
type LeaguesConfig struct {
	Hub   *Hub
	State *StateKeeper

	// Store persists leagues; nil keeps them in memory only.
	Store LeagueStore

	// Registry receives every league's rule set.
	Registry *RuleSetRegistry

	// KnownPlayer reports whether a gsis_id names a real player, for
	// rejecting unknown roster entries. Nil accepts the players that the
	// StateKeeper has, that is players with at least one stats row.
	KnownPlayer func(ctx context.Context, playerID string) (bool, error)

	// Placement, when set, makes the league actors cluster kinds that it
	// locates, instead of the directory's children. Register the props of
	// Leagues.Kinds with the cluster that Placement uses, send the
	// directory the other members' LeagueChanged messages, and set
	// Leagues.SetBroadcast.
	Placement Placement

	// Activations lists the virtual actors active on this node. Nil makes
	// an empty registry that no gauge follows.
	Activations *Activations

	Logger *slog.Logger
}

// Leagues is the handle of the leagues directory actor: the league API of
// the REST adapter, and the Snapshotter of league streams. Its methods
// return a *LeagueError for a request that is invalid or names a missing
// league or team, and a wrapped error otherwise.
type Leagues struct {
	system    *actor.ActorSystem
	directory *actor.PID
	broadcast *atomic.Pointer[LeagueBroadcast] // shared with the directory
	hub       *Hub

	// Kinds are the props of the cluster kind KindLeague, for the
	// cluster's configuration.
	Kinds map[string]*actor.Props
}

var _ messages.Snapshotter = (*Leagues)(nil)

// StartLeagues reads every stored league, spawns the directory and
// registers the leagues' rule sets. Standalone it also spawns one actor per
// league, which computes its leaderboard from the stored player states. In
// a cluster each league's actor does that when the cluster activates it.
func StartLeagues(ctx context.Context, system *actor.ActorSystem, config LeaguesConfig) (*Leagues, error) {
	if config.Hub == nil || config.State == nil || config.Registry == nil {
		return nil, errors.New("start leagues: hub, state and registry are required")
	}
	if config.Logger == nil {
		config.Logger = slog.Default()
	}
	if config.KnownPlayer == nil {
		config.KnownPlayer = func(ctx context.Context, playerID string) (bool, error) {
			_, found, err := config.State.PeekPlayer(ctx, playerID)
			return found, err
		}
	}
	activations := config.Activations
	if activations == nil {
		activations = NewActivations(nil)
	}

	var stored []*messages.League
	if config.Store != nil {
		var err error
		if stored, err = config.Store.Leagues(ctx); err != nil {
			return nil, fmt.Errorf("start leagues: %w", err)
		}
	}

	childConfig := leagueActorConfig{hub: config.Hub, state: config.State, store: config.Store,
		registry: config.Registry, logger: config.Logger}
	kindConfig := childConfig
	kindConfig.definitions = newLeagueDefinitions()
	leagues := &Leagues{
		hub:       config.Hub,
		system:    system,
		broadcast: new(atomic.Pointer[LeagueBroadcast]),
		Kinds: map[string]*actor.Props{
			KindLeague: withActivation(newLeagueProps(kindConfig), KindLeague, activations),
		},
	}

	started := make(chan error, 1)
	directory := &leaguesActor{
		config:      config,
		stored:      stored,
		started:     started,
		childProps:  newLeagueProps(childConfig),
		definitions: kindConfig.definitions,
		broadcast:   leagues.broadcast,
		leagues:     make(map[string]*leagueEntry),
		players:     make(map[string]map[string]bool),
		missed:      make(map[string]bool),
	}
	leagues.directory = system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return directory }))
	if err := <-started; err != nil {
		system.Root.Stop(leagues.directory)
		return nil, fmt.Errorf("start leagues: %w", err)
	}
	return leagues, nil
}

// PID returns the directory actor, which takes the scorer's updates and
// the other members' LeagueChanged messages.
func (l *Leagues) PID() *actor.PID {
	return l.directory
}

// Stop stops the directory and, standalone, every league actor.
func (l *Leagues) Stop() {
	l.system.Root.Stop(l.directory)
}

// Get returns one league's definition.
func (l *Leagues) Get(ctx context.Context, leagueID string) (*messages.League, error) {
	reply, err := l.request(ctx, &leaguesGet{leagueID: leagueID})
	if err != nil {
		return nil, err
	}
	got := reply.(*leaguesReply)
	return got.league, got.err
}

// List returns every league's definition, sorted by id.
func (l *Leagues) List(ctx context.Context) ([]*messages.League, error) {
	reply, err := l.request(ctx, &leaguesList{})
	if err != nil {
		return nil, err
	}
	return reply.(*leaguesListReply).leagues, nil
}

// Leaderboard returns a league's current LEADERBOARD_UPDATE message, with
// each change measured against the last one published.
func (l *Leagues) Leaderboard(ctx context.Context, leagueID string) (*messages.LeaderboardUpdateMessage, error) {
	reply, err := l.request(ctx, &messages.LeagueBoardRequest{LeagueId: leagueID})
	if err != nil {
		return nil, err
	}

	switch reply := reply.(type) {
	case *messages.LeagueBoard:
		if reply.GetLeagueId() == "" {
			return nil, leagueNotFound(leagueID)
		}
		return leaderboardMessage(reply), nil
	case *leaguesReply:
		return nil, reply.err
	default:
		return nil, fmt.Errorf("leaderboard of league %s: unexpected reply %T", leagueID, reply)
	}
}

// Snapshot returns a league stream's leaderboard rows, as
// messages.Snapshotter documents. Other stream kinds, unknown leagues and
// leagues whose actor cannot be reached now return no items.
func (l *Leagues) Snapshot(ctx context.Context, kind messages.StreamKind, id string, seq uint64) ([]json.RawMessage, error) {
	if kind != messages.StreamKind_STREAM_KIND_LEAGUE {
		return nil, nil
	}
	reply, err := l.request(ctx, &messages.LeagueSnapshotRequest{LeagueId: id})
	if failed, ok := reply.(*leaguesReply); ok {
		err = failed.err
	}
	var leagueErr *LeagueError
	if errors.As(err, &leagueErr) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}

	snapshot, ok := reply.(*messages.LeagueSnapshot)
	if !ok {
		return nil, fmt.Errorf("snapshot of league %s: unexpected reply %T", id, reply)
	}

	// The board was read before the messages, so a LEADERBOARD_UPDATE that
	// it already holds is among them, and that message carries the whole
	// board.
	changes, err := l.hub.changesAround(ctx, StreamKey(kind, id), seq, nil)
	if err != nil {
		return nil, fmt.Errorf("snapshot of league %s: %w", id, err)
	}
	if changes.carriedAfter(messages.TypeLeaderboardUpdate) {
		return nil, nil
	}
	items := make([]json.RawMessage, 0, len(snapshot.GetItems()))
	for _, item := range snapshot.GetItems() {
		items = append(items, item)
	}
	return items, nil
}

func (l *Leagues) edit(ctx context.Context, edit *leaguesEdit) (*messages.League, error) {
	reply, err := l.request(ctx, edit)
	if err != nil {
		return nil, err
	}
	got := reply.(*leaguesReply)
	return got.league, got.err
}

// request sends message to the directory and waits for the reply until
// ctx's deadline or DefaultLeagueRequestTimeout.
func (l *Leagues) request(ctx context.Context, message any) (any, error) {
	timeout := DefaultLeagueRequestTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("league request: %w", context.DeadlineExceeded)
	}

	reply, err := l.system.Root.RequestFuture(l.directory, message, timeout).Result()
	if err != nil {
		return nil, &LeagueError{Code: LeagueErrorUnavailable, Message: fmt.Sprintf("league request failed: %v", err)}
	}
	return reply, nil
}

func leagueNotFound(leagueID string) *LeagueError {
	return &LeagueError{Code: LeagueErrorNotFound, Field: "league_id", Message: fmt.Sprintf("league %q not found", leagueID)}
}

// leaguesEdit is one change to a league. apply receives a copy of the
// current definition (nil for create) and returns the new one, with an
// optional relabel function for the field paths of its errors.
type leaguesEdit struct {
	leagueID string
	create   bool
	remove   bool
	apply    func(current *messages.League) (*messages.League, func(string) string, error)
}

type leaguesGet struct{ leagueID string }

type leaguesList struct{}

type leaguesReply struct {
	league *messages.League
	err    error
}

type leaguesListReply struct{ leagues []*messages.League }

// leagueEntry is the directory's view of one league.
type leagueEntry struct {
	pid     *actor.PID // the league's actor standalone, nil in a cluster
	league  *messages.League
	ruleSet *scoring.RuleSet
}

type leaguesActor struct {
	config  LeaguesConfig
	stored  []*messages.League
	started chan<- error

	// childProps are the props of a league actor that the directory
	// spawns as its child, standalone.
	childProps *actor.Props
	// definitions is the copy of every definition that a virtual league
	// actor of this node reads when it starts. Only the directory writes
	// it.
	definitions *leagueDefinitions
	// broadcast, when set, hands the edits made through this directory to
	// the other members' directories.
	broadcast *atomic.Pointer[LeagueBroadcast]

	leagues map[string]*leagueEntry
	// players maps a gsis_id to the ids of the leagues that roster it.
	players map[string]map[string]bool
	// missed are the leagues that could not be given one of the current
	// cycle's updates. Their LeaguePollEnded requests a recompute.
	missed map[string]bool
}

func (a *leaguesActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		a.started <- a.load(ctx)

	case *messages.PlayerUpdate:
		a.forwardUpdate(ctx, message)

	case *messages.SyncFinished:
		a.endPoll(ctx)

	case *actor.DeadLetterResponse:
		a.forgetLeague(message.GetTarget())

	case *leaguesEdit:
		league, err := a.edit(ctx, message)
		ctx.Respond(&leaguesReply{league: league, err: err})

	case *leaguesGet:
		entry, ok := a.leagues[message.leagueID]
		if !ok {
			ctx.Respond(&leaguesReply{err: leagueNotFound(message.leagueID)})
			return
		}
		ctx.Respond(&leaguesReply{league: proto.Clone(entry.league).(*messages.League)})

	case *leaguesList:
		leagues := make([]*messages.League, 0, len(a.leagues))
		for _, id := range slices.Sorted(maps.Keys(a.leagues)) {
			leagues = append(leagues, proto.Clone(a.leagues[id].league).(*messages.League))
		}
		ctx.Respond(&leaguesListReply{leagues: leagues})

	case *messages.LeagueBoardRequest:
		a.forwardRequest(ctx, message.GetLeagueId(), &messages.LeagueBoard{})

	case *messages.LeagueSnapshotRequest:
		a.forwardRequest(ctx, message.GetLeagueId(), &messages.LeagueSnapshot{})

	case *messages.LeagueChanged:
		a.adopt(message.GetLeagueId(), a.currentDefinition(ctx, message))
	}
}

// load takes every stored league. A stored league that no longer
// validates is logged and left out, and its document stays. Standalone
// each league gets its actor now. In a cluster the cluster activates it on
// first use.
func (a *leaguesActor) load(ctx actor.Context) error {
	for _, league := range a.stored {
		ruleSet, err := ValidateLeague(league)
		if err != nil {
			a.config.Logger.Error("stored league is invalid, not loaded", "league_id", league.GetId(), "error", err)
			continue
		}
		if a.config.Placement != nil {
			a.record(league, ruleSet, nil)
			continue
		}
		if err := a.install(ctx, league, ruleSet, &messages.LeagueApply{League: league}); err != nil {
			return err
		}
	}
	a.stored = nil

	if err := a.updateRegistry(); err != nil {
		return err
	}
	a.config.Logger.Info("leagues loaded", "leagues", len(a.leagues))
	return nil
}

// forwardUpdate sends a scored update to the actor of every league that
// rosters its player.
func (a *leaguesActor) forwardUpdate(ctx actor.Context, update *messages.PlayerUpdate) {
	for leagueID := range a.players[update.GetDelta().GetCurrent().GetPlayerId()] {
		pid := a.leaguePID(leagueID)
		if pid == nil {
			a.missed[leagueID] = true
			continue
		}
		ctx.RequestWithCustomSender(pid, update, addressable(ctx, ctx.Self()))
	}
}

// endPoll sends every league actor the end of the cycle, after the
// cycle's updates.
func (a *leaguesActor) endPoll(ctx actor.Context) {
	ids := slices.Sorted(maps.Keys(a.leagues))
	pids := a.leaguePIDs(ids)
	self := addressable(ctx, ctx.Self())

	unplaced := 0
	for i, leagueID := range ids {
		if pids[i] == nil {
			unplaced++
			continue
		}
		ctx.RequestWithCustomSender(pids[i], &messages.LeaguePollEnded{Recompute: a.missed[leagueID]}, self)
		delete(a.missed, leagueID)
	}
	if unplaced > 0 || len(a.missed) > 0 {
		a.config.Logger.Warn("league actors could not be placed and recompute at a later poll end",
			"leagues", unplaced, "missed_updates", len(a.missed))
	}
}

// forwardRequest forwards a board or snapshot request to the league's
// actor, which replies to the requester. It replies unknown itself for a
// league it does not have.
func (a *leaguesActor) forwardRequest(ctx actor.Context, leagueID string, unknown proto.Message) {
	if _, ok := a.leagues[leagueID]; !ok {
		ctx.Respond(unknown)
		return
	}
	pid := a.leaguePID(leagueID)
	if pid == nil {
		ctx.Respond(&leaguesReply{err: leagueUnplaced(leagueID)})
		return
	}
	ctx.Forward(pid)
}

// edit applies one change and returns the new definition. When the
// league's actor rejects the edit because another node changed the league
// meanwhile, it takes the actor's definition and applies the change to that.
func (a *leaguesActor) edit(ctx actor.Context, edit *leaguesEdit) (*messages.League, error) {
	for attempt := 1; ; attempt++ {
		league, err := a.editOnce(ctx, edit)
		var conflict *leagueConflict
		if !errors.As(err, &conflict) {
			return league, err
		}

		a.adopt(edit.leagueID, conflict.current)
		if edit.create || attempt == maxEditAttempts {
			return nil, conflict.err
		}
		a.config.Logger.Info("league changed through another node during an edit, editing it again",
			"league_id", edit.leagueID, "attempt", attempt)
	}
}

// editOnce applies one change to the directory's copy of the league.
func (a *leaguesActor) editOnce(ctx actor.Context, edit *leaguesEdit) (*messages.League, error) {
	entry, exists := a.leagues[edit.leagueID]
	switch {
	case edit.create && exists:
		return nil, &LeagueError{Code: LeagueErrorConflict, Field: "id", Message: fmt.Sprintf("league %q already exists", edit.leagueID)}
	case !edit.create && !exists:
		return nil, leagueNotFound(edit.leagueID)
	case edit.remove:
		return nil, a.remove(ctx, entry)
	}

	var current *messages.League
	if exists {
		current = proto.Clone(entry.league).(*messages.League)
	}
	league, relabel, err := edit.apply(current)
	if err != nil {
		return nil, err
	}
	if relabel == nil {
		relabel = func(path string) string { return path }
	}

	// apply may have changed current in place, so the players already in
	// the league come from the directory's own copy.
	var before *messages.League
	if exists {
		before = entry.league
	}
	ruleSet, err := ValidateLeague(league)
	if err == nil && league.GetScoringPreset() == "" && slices.Contains(scoring.PresetNames(), ruleSet.Name) {
		// Stored leagues are loaded without this check, so one created
		// before it still loads.
		err = invalidField("rule_set.name", "name %q is a preset's name, so clients could not tell this rule set "+
			"from the preset: choose another name, or give the preset name alone", ruleSet.Name)
	}
	if err == nil {
		err = a.checkKnownPlayers(league, before)
	}
	if err != nil {
		var leagueErr *LeagueError
		if errors.As(err, &leagueErr) {
			leagueErr.Field = relabel(leagueErr.Field)
		}
		return nil, err
	}

	apply := &messages.LeagueApply{League: league, Persist: true, Create: edit.create}
	if exists {
		apply.Base = entry.league
	}
	if err := a.install(ctx, league, ruleSet, apply); err != nil {
		return nil, err
	}
	if err := a.updateRegistry(); err != nil {
		// The league is stored and scored by its own actor meanwhile.
		a.config.Logger.Error("update rule set registry failed", "league_id", league.GetId(), "error", err)
	}
	a.broadcastChange(league.GetId(), league)
	return proto.Clone(league).(*messages.League), nil
}

// checkKnownPlayers rejects a rostered player that is not in current and
// that KnownPlayer does not know.
func (a *leaguesActor) checkKnownPlayers(league, current *messages.League) error {
	old := make(map[string]bool)
	for _, team := range current.GetTeams() {
		for _, playerID := range team.GetRoster() {
			old[playerID] = true
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), stateReadTimeout)
	defer cancel()
	for i, team := range league.GetTeams() {
		for j, playerID := range team.GetRoster() {
			if old[playerID] {
				continue
			}
			known, err := a.config.KnownPlayer(ctx, playerID)
			if err != nil {
				return &LeagueError{Code: LeagueErrorUnavailable, Message: fmt.Sprintf("look up player_id %s: %v", playerID, err)}
			}
			if !known {
				return invalidField(fmt.Sprintf("teams[%d].roster[%d]", i, j),
					"unknown player_id %q: no roster entry or stats row has this gsis_id", playerID)
			}
		}
	}
	return nil
}

// install has the league's actor take the definition with apply, then
// updates the directory's copy and the player index. Standalone it spawns
// the actor of a new league.
func (a *leaguesActor) install(ctx actor.Context, league *messages.League, ruleSet *scoring.RuleSet, apply *messages.LeagueApply) error {
	entry, exists := a.leagues[league.GetId()]
	pid := entry.pidOrNil()
	spawned := false
	switch {
	case a.config.Placement != nil:
		if pid = a.config.Placement.Locate(league.GetId(), KindLeague); pid == nil {
			return leagueUnplaced(league.GetId())
		}
	case !exists:
		pid = ctx.Spawn(a.childProps)
		spawned = true
	}

	if err := a.requestLeague(ctx, league.GetId(), pid, apply); err != nil {
		if spawned {
			ctx.Stop(pid)
		}
		return err
	}

	a.record(league, ruleSet, pid)
	return nil
}

// record makes league the directory's copy, indexes its players and
// shares it with the virtual league actors. pid is the standalone league
// actor, nil in a cluster.
func (a *leaguesActor) record(league *messages.League, ruleSet *scoring.RuleSet, pid *actor.PID) {
	if entry, exists := a.leagues[league.GetId()]; exists {
		a.unindex(entry.league)
	}
	if a.config.Placement != nil {
		pid = nil
	}
	a.leagues[league.GetId()] = &leagueEntry{pid: pid, league: league, ruleSet: ruleSet}
	for _, team := range league.GetTeams() {
		for _, playerID := range team.GetRoster() {
			if a.players[playerID] == nil {
				a.players[playerID] = make(map[string]bool)
			}
			a.players[playerID][league.GetId()] = true
		}
	}
	a.definitions.set(league)
}

func (e *leagueEntry) pidOrNil() *actor.PID {
	if e == nil {
		return nil
	}
	return e.pid
}

func (a *leaguesActor) unindex(league *messages.League) {
	for _, team := range league.GetTeams() {
		for _, playerID := range team.GetRoster() {
			delete(a.players[playerID], league.GetId())
			if len(a.players[playerID]) == 0 {
				delete(a.players, playerID)
			}
		}
	}
}

// remove has the league's actor delete the league's document, then drops
// the league from the directory and broadcasts the removal to the other
// members.
func (a *leaguesActor) remove(ctx actor.Context, entry *leagueEntry) error {
	leagueID := entry.league.GetId()
	pid := entry.pid
	if a.config.Placement != nil {
		if pid = a.config.Placement.Locate(leagueID, KindLeague); pid == nil {
			return leagueUnplaced(leagueID)
		}
	}
	if err := a.requestLeague(ctx, leagueID, pid, &messages.LeagueRemove{LeagueId: leagueID}); err != nil {
		return err
	}

	if a.config.Placement == nil {
		ctx.Stop(pid)
	}
	a.drop(leagueID)
	if err := a.updateRegistry(); err != nil {
		a.config.Logger.Error("update rule set registry failed", "league_id", leagueID, "error", err)
	}
	a.broadcastChange(leagueID, nil)
	return nil
}

// drop removes a league from the directory's copy and index.
func (a *leaguesActor) drop(leagueID string) {
	if entry, exists := a.leagues[leagueID]; exists {
		a.unindex(entry.league)
	}
	delete(a.leagues, leagueID)
	delete(a.missed, leagueID)
	a.definitions.remove(leagueID)
}

func (a *leaguesActor) updateRegistry() error {
	ruleSets := make([]*scoring.RuleSet, 0, len(a.leagues))
	for _, entry := range a.leagues {
		ruleSets = append(ruleSets, entry.ruleSet)
	}
	return a.config.Registry.SetLeagueRuleSets(ruleSets)
}
