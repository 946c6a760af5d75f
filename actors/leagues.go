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
	"strings"
	"sync"
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

// RuleSetRegistry is the set of rule sets that the scorer computes: the
// base rule sets (the presets) followed by one rule set per distinct
// Fingerprint among the leagues' rule sets. The leagues directory replaces
// it when leagues change; the scorer reads it for every delta. It is safe
// for concurrent use.
type RuleSetRegistry struct {
	base      []*scoring.RuleSet
	baseNames map[string]string // Fingerprint → base rule set name
	current   atomic.Pointer[scoring.Scorer]
	mu        sync.Mutex // serializes SetLeagueRuleSets
}

// NewRuleSetRegistry returns a registry of the base rule sets alone.
func NewRuleSetRegistry(base ...*scoring.RuleSet) (*RuleSetRegistry, error) {
	scorer, err := scoring.NewScorer(base...)
	if err != nil {
		return nil, fmt.Errorf("rule set registry: %w", err)
	}

	registry := &RuleSetRegistry{base: slices.Clone(base), baseNames: make(map[string]string, len(base))}
	for _, ruleSet := range base {
		if _, ok := registry.baseNames[ruleSet.Fingerprint()]; !ok {
			registry.baseNames[ruleSet.Fingerprint()] = ruleSet.Name
		}
	}
	registry.current.Store(scorer)
	return registry, nil
}

// Scorer returns the current scorer. Its first BaseCount rule sets are the
// base ones.
func (r *RuleSetRegistry) Scorer() *scoring.Scorer {
	return r.current.Load()
}

// BaseCount returns the number of base rule sets.
func (r *RuleSetRegistry) BaseCount() int {
	return len(r.base)
}

// NameOf returns the name under which the registry's scorer reports points
// of ruleSet: the name of the base rule set with the same Fingerprint, else
// "custom-" and the first 16 hex digits of the Fingerprint. Equal rule sets
// of different leagues thus share one name and are computed once.
func (r *RuleSetRegistry) NameOf(ruleSet *scoring.RuleSet) string {
	fingerprint := ruleSet.Fingerprint()
	if name, ok := r.baseNames[fingerprint]; ok {
		return name
	}
	return "custom-" + fingerprint[:16]
}

// SetLeagueRuleSets makes the scorer compute the base rule sets and each
// distinct rule set of ruleSets.
func (r *RuleSetRegistry) SetLeagueRuleSets(ruleSets []*scoring.RuleSet) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	all := slices.Clone(r.base)
	names := make(map[string]bool)
	for _, ruleSet := range ruleSets {
		name := r.NameOf(ruleSet)
		if _, isBase := r.baseNames[ruleSet.Fingerprint()]; isBase || names[name] {
			continue
		}
		names[name] = true
		renamed := *ruleSet
		renamed.Name = name
		all = append(all, &renamed)
	}

	scorer, err := scoring.NewScorer(all...)
	if err != nil {
		return fmt.Errorf("rule set registry: %w", err)
	}
	r.current.Store(scorer)
	return nil
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
	hub       *Hub
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
	return &Leagues{system: system, directory: directory, hub: config.Hub}, nil
}

// PID returns the directory actor, which takes the scorer's updates.
func (l *Leagues) PID() *actor.PID {
	return l.directory
}

// Stop stops the directory and every league actor.
func (l *Leagues) Stop() {
	l.system.Root.Stop(l.directory)
}

// Create adds a league. Its id must be new. It returns the stored
// definition, with defaults filled in.
func (l *Leagues) Create(ctx context.Context, league *messages.League) (*messages.League, error) {
	league = proto.Clone(league).(*messages.League)
	NormalizeLeague(league)
	return l.edit(ctx, &leaguesEdit{leagueID: league.GetId(), create: true,
		apply: func(*messages.League) (*messages.League, func(string) string, error) {
			return league, nil, nil
		}})
}

// Replace replaces a league's whole definition.
func (l *Leagues) Replace(ctx context.Context, league *messages.League) (*messages.League, error) {
	league = proto.Clone(league).(*messages.League)
	NormalizeLeague(league)
	return l.edit(ctx, &leaguesEdit{leagueID: league.GetId(),
		apply: func(*messages.League) (*messages.League, func(string) string, error) {
			return league, nil, nil
		}})
}

// Delete deletes a league and stops its actor.
func (l *Leagues) Delete(ctx context.Context, leagueID string) error {
	_, err := l.edit(ctx, &leaguesEdit{leagueID: leagueID, remove: true})
	return err
}

// AddTeam adds a team to a league. A field error names the field of the
// team ("id", "roster[0]").
func (l *Leagues) AddTeam(ctx context.Context, leagueID string, team *messages.LeagueTeam) (*messages.League, error) {
	team = proto.Clone(team).(*messages.LeagueTeam)
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			league.Teams = append(league.Teams, team)
			return league, stripPrefix(fmt.Sprintf("teams[%d].", len(league.Teams)-1)), nil
		}})
}

// RemoveTeam removes a team from a league.
func (l *Leagues) RemoveTeam(ctx context.Context, leagueID, teamID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			league.Teams = slices.Delete(league.Teams, i, i+1)
			return league, nil, nil
		}})
}

// AddPlayer adds a player to a team's roster. A field error names
// "player_id".
func (l *Leagues) AddPlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			for _, other := range league.Teams {
				if slices.Contains(other.GetRoster(), playerID) {
					return nil, nil, invalidField("player_id", "player_id %s is already on team %q of this league", playerID, other.GetId())
				}
			}
			team := league.Teams[i]
			team.Roster = append(team.Roster, playerID)
			field := fmt.Sprintf("teams[%d].roster[%d]", i, len(team.Roster)-1)
			return league, func(path string) string {
				if path == field {
					return "player_id"
				}
				return path
			}, nil
		}})
}

// RemovePlayer removes a player from a team's roster and from the team's
// lineups.
func (l *Leagues) RemovePlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			j := slices.Index(team.Roster, playerID)
			if j < 0 {
				return nil, nil, &LeagueError{Code: LeagueErrorNotFound, Field: "player_id",
					Message: fmt.Sprintf("player_id %s is not on team %q's roster", playerID, teamID)}
			}
			team.Roster = slices.Delete(team.Roster, j, j+1)
			for _, lineup := range team.Lineups {
				lineup.Starters = slices.DeleteFunc(lineup.Starters, func(id string) bool { return id == playerID })
			}
			return league, nil, nil
		}})
}

// SetLineup sets a team's starters for one week, replacing an earlier
// lineup of that week. A field error names "week" or "starters[i]".
func (l *Leagues) SetLineup(ctx context.Context, leagueID, teamID string, week int32, starters []string) (*messages.League, error) {
	starters = slices.Clone(starters)
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			team.Lineups = slices.DeleteFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool {
				return lineup.GetWeek() == week
			})
			team.Lineups = append(team.Lineups, &messages.LeagueLineup{Week: week, Starters: starters})
			slices.SortFunc(team.Lineups, func(a, b *messages.LeagueLineup) int { return int(a.GetWeek() - b.GetWeek()) })
			k := slices.IndexFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool { return lineup.GetWeek() == week })
			return league, stripPrefix(fmt.Sprintf("teams[%d].lineups[%d].", i, k)), nil
		}})
}

// RemoveLineup removes a team's lineup of one week, so that its whole
// roster counts that week.
func (l *Leagues) RemoveLineup(ctx context.Context, leagueID, teamID string, week int32) (*messages.League, error) {
	return l.edit(ctx, &leaguesEdit{leagueID: leagueID,
		apply: func(league *messages.League) (*messages.League, func(string) string, error) {
			i, err := teamIndex(league, teamID)
			if err != nil {
				return nil, nil, err
			}
			team := league.Teams[i]
			before := len(team.Lineups)
			team.Lineups = slices.DeleteFunc(team.Lineups, func(lineup *messages.LeagueLineup) bool {
				return lineup.GetWeek() == week
			})
			if len(team.Lineups) == before {
				return nil, nil, &LeagueError{Code: LeagueErrorNotFound, Field: "week",
					Message: fmt.Sprintf("team %q has no lineup for week %d", teamID, week)}
			}
			return league, nil, nil
		}})
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

// Snapshot returns a league stream's leaderboard rows at seq, as
// messages.Snapshotter documents: the rows of the league's last
// LEADERBOARD_UPDATE, and none when the stream carried a LEADERBOARD_UPDATE
// after seq, because that message carries the whole board. Other stream
// kinds and unknown leagues return no items.
func (l *Leagues) Snapshot(ctx context.Context, kind messages.StreamKind, id string, seq uint64) ([]json.RawMessage, error) {
	if kind != messages.StreamKind_STREAM_KIND_LEAGUE {
		return nil, nil
	}
	reply, err := l.request(ctx, &leagueBoardRequest{leagueID: id, published: true})
	var leagueErr *LeagueError
	if errors.As(err, &leagueErr) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	board := reply.(*leagueBoard)
	if board.leagueID == "" {
		return nil, nil
	}

	// The board was read before the messages, so a LEADERBOARD_UPDATE
	// that it already holds is among them.
	changes, err := l.hub.changesAround(ctx, StreamKey(kind, id), seq, nil)
	if err != nil {
		return nil, fmt.Errorf("snapshot of league %s: %w", id, err)
	}
	if changes.carriedAfter(messages.TypeLeaderboardUpdate) {
		return nil, nil
	}

	items := make([]json.RawMessage, 0, len(board.rows))
	for _, row := range board.rows {
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

func teamIndex(league *messages.League, teamID string) (int, error) {
	i := slices.IndexFunc(league.GetTeams(), func(team *messages.LeagueTeam) bool { return team.GetId() == teamID })
	if i < 0 {
		return 0, &LeagueError{Code: LeagueErrorNotFound, Field: "team_id",
			Message: fmt.Sprintf("team %q not found in league %q", teamID, league.GetId())}
	}
	return i, nil
}

func leagueNotFound(leagueID string) *LeagueError {
	return &LeagueError{Code: LeagueErrorNotFound, Field: "league_id", Message: fmt.Sprintf("league %q not found", leagueID)}
}

// stripPrefix returns a relabel function that turns the league path of an
// edited part ("teams[3].id") into the path in the request ("id").
func stripPrefix(prefix string) func(string) string {
	return func(path string) string {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			return rest
		}
		return path
	}
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
