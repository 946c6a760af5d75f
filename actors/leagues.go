package actors

// The leagues directory actor owns the set of leagues: the id → league
// actor PID map, a copy of every definition, and the index player_id →
// leagues whose rosters have the player. It is the parent of the league
// actors and the only one that changes a definition, one request at a
// time, so two edits of one league never race.
//
// It takes:
//   - leaguesEdit (a request) from Leagues. It applies the edit to a copy,
//     validates it and checks that every newly rostered player is known.
//     Then the league's actor persists and applies it, and the directory
//     updates its index and the rule set registry and replies.
//   - leaguesGet and leaguesList (requests): it replies from its copies.
//   - *leagueBoardRequest: it forwards the request to the league's actor.
//   - *messages.PlayerUpdate from the scorer: it forwards the update to the
//     actors of the leagues that roster the player, and to no other.
//   - *messages.SyncFinished from the scorer, which forwards it after the
//     updates of the cycle: it sends leaguePollEnded to every league actor.
//
// It sends leagueApply and leagueRemove to league actors and waits for
// their replies. A store write thus holds up the directory, which is
// acceptable for admin edits but delays forwarding while it lasts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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

	Logger *slog.Logger
}

// Leagues is the handle of the leagues directory actor: the league API of
// the REST adapter, and the Snapshotter of league streams. Its methods
// return a *LeagueError for a request that is invalid or names a missing
// league or team, and a wrapped error otherwise.
type Leagues struct {
	system    *actor.ActorSystem
	directory *actor.PID
}

var _ messages.Snapshotter = (*Leagues)(nil)

// StartLeagues reads every stored league, spawns the directory and one
// actor per league, computes each leaderboard from the stored player states
// and registers the leagues' rule sets.
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

	var stored []*messages.League
	if config.Store != nil {
		var err error
		if stored, err = config.Store.Leagues(ctx); err != nil {
			return nil, fmt.Errorf("start leagues: %w", err)
		}
	}

	started := make(chan error, 1)
	directory := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &leaguesActor{config: config, stored: stored, started: started,
			leagues: make(map[string]*leagueEntry), players: make(map[string]map[string]bool)}
	}))
	if err := <-started; err != nil {
		system.Root.Stop(directory)
		return nil, fmt.Errorf("start leagues: %w", err)
	}
	return &Leagues{system: system, directory: directory}, nil
}

// PID returns the directory actor, which takes the scorer's updates.
func (l *Leagues) PID() *actor.PID {
	return l.directory
}

// Stop stops the directory and every league actor.
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
	reply, err := l.request(ctx, &leagueBoardRequest{leagueID: leagueID})
	if err != nil {
		return nil, err
	}
	board := reply.(*leagueBoard)
	if board.leagueID == "" {
		return nil, leagueNotFound(leagueID)
	}
	return &messages.LeaderboardUpdateMessage{
		Type:     messages.TypeLeaderboardUpdate,
		LeagueID: board.leagueID,
		RuleSet:  board.ruleSet,
		Season:   board.season,
		Weeks:    board.weeks,
		Rows:     board.rows,
	}, nil
}

// Snapshot returns a league stream's leaderboard rows, as
// messages.Snapshotter documents. Other stream kinds and unknown leagues
// return no items.
func (l *Leagues) Snapshot(ctx context.Context, kind messages.StreamKind, id string) ([]json.RawMessage, error) {
	if kind != messages.StreamKind_STREAM_KIND_LEAGUE {
		return nil, nil
	}
	board, err := l.Leaderboard(ctx, id)
	var leagueErr *LeagueError
	if errors.As(err, &leagueErr) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}

	items := make([]json.RawMessage, 0, len(board.Rows))
	for _, row := range board.Rows {
		item, err := json.Marshal(row)
		if err != nil {
			return nil, fmt.Errorf("snapshot of league %s: %w", id, err)
		}
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
	pid     *actor.PID
	league  *messages.League
	ruleSet *scoring.RuleSet
}

type leaguesActor struct {
	config  LeaguesConfig
	stored  []*messages.League
	started chan<- error

	leagues map[string]*leagueEntry
	// players maps a gsis_id to the ids of the leagues that roster it.
	players map[string]map[string]bool
}

func (a *leaguesActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		a.started <- a.load(ctx)

	case *messages.PlayerUpdate:
		for leagueID := range a.players[message.GetDelta().GetCurrent().GetPlayerId()] {
			ctx.Send(a.leagues[leagueID].pid, message)
		}

	case *messages.SyncFinished:
		for _, entry := range a.leagues {
			ctx.Send(entry.pid, &leaguePollEnded{})
		}

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

	case *leagueBoardRequest:
		entry, ok := a.leagues[message.leagueID]
		if !ok {
			ctx.Respond(&leagueBoard{})
			return
		}
		ctx.Forward(entry.pid)
	}
}

// load spawns an actor for each stored league. A stored league that no
// longer validates is logged and left out, and its document stays.
func (a *leaguesActor) load(ctx actor.Context) error {
	for _, league := range a.stored {
		ruleSet, err := ValidateLeague(league)
		if err != nil {
			a.config.Logger.Error("stored league is invalid, not loaded", "league_id", league.GetId(), "error", err)
			continue
		}
		if err := a.install(ctx, league, ruleSet, false); err != nil {
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

// edit applies one change and returns the new definition.
func (a *leaguesActor) edit(ctx actor.Context, edit *leaguesEdit) (*messages.League, error) {
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

	if err := a.install(ctx, league, ruleSet, true); err != nil {
		return nil, err
	}
	if err := a.updateRegistry(); err != nil {
		// The league is stored and scored by its own actor meanwhile.
		a.config.Logger.Error("update rule set registry failed", "league_id", league.GetId(), "error", err)
	}
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

// install has the league's actor (spawned when new) take the definition,
// then updates the directory's copy and the player index.
func (a *leaguesActor) install(ctx actor.Context, league *messages.League, ruleSet *scoring.RuleSet, persist bool) error {
	entry, exists := a.leagues[league.GetId()]
	pid := entry.pidOrNil()
	if !exists {
		pid = ctx.Spawn(newLeagueProps(leagueActorConfig{
			hub: a.config.Hub, state: a.config.State, store: a.config.Store, logger: a.config.Logger,
		}))
	}

	apply := &leagueApply{league: league, ruleSet: ruleSet, scorerName: a.config.Registry.NameOf(ruleSet), persist: persist}
	if err := a.requestLeague(ctx, pid, apply); err != nil {
		if !exists {
			ctx.Stop(pid)
		}
		return err
	}

	if exists {
		a.unindex(entry.league)
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
	return nil
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

func (a *leaguesActor) remove(ctx actor.Context, entry *leagueEntry) error {
	if err := a.requestLeague(ctx, entry.pid, &leagueRemove{}); err != nil {
		return err
	}
	ctx.Stop(entry.pid)
	a.unindex(entry.league)
	delete(a.leagues, entry.league.GetId())
	if err := a.updateRegistry(); err != nil {
		a.config.Logger.Error("update rule set registry failed", "league_id", entry.league.GetId(), "error", err)
	}
	return nil
}

// requestLeague sends a request to a league actor and waits for its
// leagueReply.
func (a *leaguesActor) requestLeague(ctx actor.Context, pid *actor.PID, message any) error {
	reply, err := ctx.RequestFuture(pid, message, DefaultLeagueRequestTimeout).Result()
	if err != nil {
		return fmt.Errorf("league actor did not reply: %w", err)
	}
	return reply.(*leagueReply).err
}

func (a *leaguesActor) updateRegistry() error {
	ruleSets := make([]*scoring.RuleSet, 0, len(a.leagues))
	for _, entry := range a.leagues {
		ruleSets = append(ruleSets, entry.ruleSet)
	}
	return a.config.Registry.SetLeagueRuleSets(ruleSets)
}
