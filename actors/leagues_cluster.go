package actors

// The cluster side of the leagues directory: the definitions that the
// virtual league actors of a node start from, the broadcast of edits to the
// other members, and the placement of league actors.

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// maxEditAttempts bounds how often the directory applies one edit when the
// league's actor keeps rejecting it because edits through other nodes
// changed the league in between. Each attempt is one round trip to the
// actor and one store write.
const maxEditAttempts = 3

// LeagueBroadcast hands a league change made through this node to the
// leagues directories of the other members. The directory calls it from
// its Receive, so it must not block. Sending to a remote PID only queues,
// so it may do that.
type LeagueBroadcast func(change *messages.LeagueChanged)

// SetBroadcast makes the directory pass every change made through it to
// broadcast, after the league's actor stored it. A nil broadcast removes it.
func (l *Leagues) SetBroadcast(broadcast LeagueBroadcast) {
	if broadcast == nil {
		l.broadcast.Store(nil)
		return
	}
	l.broadcast.Store(&broadcast)
}

// leagueDefinitions is the directory's copy of every definition, shared
// with the virtual league actors of its node. Only the directory writes it.
// A virtual actor reads its own when it starts, without asking the
// directory, which may be waiting for that actor's reply. It is safe for
// concurrent use.
type leagueDefinitions struct {
	mu      sync.RWMutex
	leagues map[string]*messages.League
}

func newLeagueDefinitions() *leagueDefinitions {
	return &leagueDefinitions{leagues: make(map[string]*messages.League)}
}

// get returns the definition of leagueID, or nil. The caller must not
// modify it.
func (d *leagueDefinitions) get(leagueID string) *messages.League {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.leagues[leagueID]
}

func (d *leagueDefinitions) set(league *messages.League) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.leagues[league.GetId()] = league
}

func (d *leagueDefinitions) remove(leagueID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.leagues, leagueID)
}

// leagueConflict is a LeagueApply that the league's actor rejected because
// its definition differs from the one the edit started from, or because a
// league to create already exists. current is the actor's definition.
type leagueConflict struct {
	err     error
	current *messages.League
}

func (c *leagueConflict) Error() string { return c.err.Error() }

func (c *leagueConflict) Unwrap() error { return c.err }

func leagueUnplaced(leagueID string) *LeagueError {
	return &LeagueError{Code: LeagueErrorUnavailable,
		Message: fmt.Sprintf("no cluster member took league %q's actor in time: retry the request", leagueID)}
}

// leaguePID returns the actor of leagueID: the child standalone, the
// located virtual actor in a cluster, or nil when it cannot be placed now.
func (a *leaguesActor) leaguePID(leagueID string) *actor.PID {
	if a.config.Placement != nil {
		return a.config.Placement.Locate(leagueID, KindLeague)
	}
	return a.leagues[leagueID].pidOrNil()
}

// leaguePIDs returns leaguePID of each id, in the order of ids. In a
// cluster the lookups run in parallel, because after a topology change
// each is a request to the owning member.
func (a *leaguesActor) leaguePIDs(ids []string) []*actor.PID {
	if a.config.Placement != nil {
		return locateAll(a.config.Placement, ids, KindLeague, func(id string) string { return id })
	}

	pids := make([]*actor.PID, len(ids))
	for i, id := range ids {
		pids[i] = a.leagues[id].pidOrNil()
	}
	return pids
}

// forgetLeague handles a located league actor that was gone when a message
// arrived. The cluster activates a new one on the next message, and that
// one recomputes from the stored player states.
func (a *leaguesActor) forgetLeague(target *actor.PID) {
	if a.config.Placement == nil || target == nil {
		return
	}
	a.config.Placement.Forget(target)
	a.config.Logger.Warn("league actor was gone, it is activated again on its next message", "actor", target.GetId())
}

// requestLeague sends a LeagueApply or LeagueRemove to the actor of
// leagueID and returns the error of its reply. In a cluster a located actor
// that was gone is forgotten and located once more.
func (a *leaguesActor) requestLeague(ctx actor.Context, leagueID string, pid *actor.PID, message proto.Message) error {
	for attempt := 1; ; attempt++ {
		reply, err := ctx.RequestFuture(pid, message, DefaultLeagueRequestTimeout).Result()
		if err == nil {
			return leagueRequestError(leagueID, reply)
		}
		if a.config.Placement == nil || !errors.Is(err, actor.ErrDeadLetter) || attempt == 2 {
			return fmt.Errorf("league actor of %s did not reply: %w", leagueID, err)
		}

		a.config.Placement.Forget(pid)
		if pid = a.config.Placement.Locate(leagueID, KindLeague); pid == nil {
			return leagueUnplaced(leagueID)
		}
	}
}

// leagueRequestError returns the error of a league actor's reply, a
// *leagueConflict when the reply carries the actor's definition.
func leagueRequestError(leagueID string, reply any) error {
	leagueReply, ok := reply.(*messages.LeagueReply)
	if !ok {
		return fmt.Errorf("league actor of %s: unexpected reply %T", leagueID, reply)
	}
	err := leagueReplyError(leagueReply)
	if err != nil && leagueReply.GetCurrent() != nil {
		return &leagueConflict{err: err, current: leagueReply.GetCurrent()}
	}
	return err
}

// leagueDefinitionTimeout bounds the read of a league actor's definition
// after a change made through another node.
const leagueDefinitionTimeout = 5 * time.Second

// currentDefinition returns the definition that the league's actor has now,
// nil for a removed league. Broadcasts of two quick edits made through two
// nodes can arrive in either order, so the broadcast's own definition may be
// older than one this directory already has. The league's actor is the only
// writer, so its definition is the newest, and the last broadcast to arrive
// reads it after every edit it announces. When the actor does not reply, or
// has no definition, the broadcast's definition is taken.
func (a *leaguesActor) currentDefinition(ctx actor.Context, change *messages.LeagueChanged) *messages.League {
	// A removal is taken as sent, and so is the first definition this
	// directory hears of, which needs no ordering and must not activate
	// an actor that has no definition yet.
	if _, known := a.leagues[change.GetLeagueId()]; !known || change.GetLeague() == nil {
		return change.GetLeague()
	}

	pid := a.leaguePID(change.GetLeagueId())
	if pid == nil {
		return change.GetLeague()
	}

	request := &messages.LeagueDefinitionRequest{LeagueId: change.GetLeagueId()}
	reply, err := ctx.RequestFuture(pid, request, leagueDefinitionTimeout).Result()
	leagueReply, ok := reply.(*messages.LeagueReply)
	if err != nil || !ok {
		a.config.Logger.Warn("read league definition failed, taking the one another node sent",
			"league_id", change.GetLeagueId(), "error", err)
		return change.GetLeague()
	}

	// An actor without a definition was removed, or was activated on a
	// node whose directory has not heard of the league yet. The broadcast
	// shows which of the two happened.
	if leagueReply.GetCurrent() == nil {
		return change.GetLeague()
	}
	return leagueReply.GetCurrent()
}

// adopt takes a definition that a league actor stored through another
// node, or that a conflict returned: it updates the directory's copy, the
// index and the rule set registry, and writes nothing to the store. A nil
// league means that the league was deleted.
func (a *leaguesActor) adopt(leagueID string, league *messages.League) {
	if league == nil {
		if _, exists := a.leagues[leagueID]; !exists {
			return
		}
		a.drop(leagueID)
	} else {
		ruleSet, err := LeagueRuleSet(league)
		if err != nil {
			a.config.Logger.Error("league from another node has an invalid rule set, not taken",
				"league_id", league.GetId(), "error", err)
			return
		}
		a.record(league, ruleSet, a.leagues[league.GetId()].pidOrNil())
	}

	if err := a.updateRegistry(); err != nil {
		a.config.Logger.Error("update rule set registry failed", "league_id", leagueID, "error", err)
	}
}

// broadcastChange hands a change made through this directory to the other
// members. A nil league means that the league was deleted.
func (a *leaguesActor) broadcastChange(leagueID string, league *messages.League) {
	if broadcast := a.broadcast.Load(); broadcast != nil {
		(*broadcast)(&messages.LeagueChanged{LeagueId: leagueID, League: league})
	}
}
