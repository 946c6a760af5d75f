package actors

// The league actor owns one fantasy league: its definition, the points of
// every rostered player's counted weeks under the league's rule set, and
// each team's total. It is the only writer of the league's document in the
// store.
//
// It runs either as a child of the leagues directory (standalone) or as the
// cluster kind KindLeague, whose identity is the league id, on the member
// that the cluster's identity lookup places it on. A virtual actor that
// starts takes its definition from this node's directory, which has every
// league's, and recomputes every team from the stored player states. So the
// league of a node that died continues on a survivor.
//
// It takes:
//   - *messages.LeagueApply (a request) from a leagues directory: a new
//     definition. It rejects a create or a stale base as a conflict. It
//     writes the definition to the store when asked to, then recomputes
//     every team from the stored player states and replies with a
//     *messages.LeagueReply.
//   - *messages.LeagueRemove (a request) from a directory: it deletes the
//     league's document, drops its definition and replies. The directory
//     then stops it when it is its child; a virtual actor stays idle until
//     the cluster moves or stops it.
//   - *messages.PlayerUpdate from the polling node's directory, for a player
//     that one of its teams rosters. It takes the points under the league's
//     rule set and recomputes only that player's team. When the scorer did
//     not have the rule set yet, the actor scores the row itself.
//   - *messages.LeaguePollEnded from that directory after each sync cycle.
//   - *messages.LeagueDefinitionRequest (a request) from a directory that
//     heard of a change made through another node: it replies with its
//     definition in a *messages.LeagueReply.
//   - *messages.LeagueBoardRequest and *messages.LeagueSnapshotRequest
//     (requests): it replies with its leaderboard, as a *messages.LeagueBoard
//     or as the items of a SNAPSHOT.
//
// It sends, on the league stream StreamKey(STREAM_KIND_LEAGUE, id) through
// the hub: at most one PLAYER_STATS per poll with the poll's changes to its
// rostered players (only the stats that its rule set scores), and a LEADERBOARD_UPDATE after a poll or an edit that
// changed the leaderboard.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// leagueStoreTimeout bounds one write of a league document.
const leagueStoreTimeout = 30 * time.Second

// leagueActorConfig is the configuration that the directory gives each
// league actor.
type leagueActorConfig struct {
	hub      *Hub
	state    *StateKeeper
	store    LeagueStore // nil persists nothing
	registry *RuleSetRegistry

	// definitions is the directory's copy of every definition, from which
	// a virtual actor takes its own when it starts. It is nil for the
	// directory's children.
	definitions *leagueDefinitions

	logger *slog.Logger
}

type leagueActor struct {
	leagueActorConfig

	league  *messages.League
	ruleSet *scoring.RuleSet
	// scorerName is the name under which the scorer's PlayerUpdate points
	// carry the league's rule set (RuleSetRegistry.NameOf).
	scorerName string
	// scoredStats are the stat columns that the rule set scores, the only
	// ones a PLAYER_STATS item carries.
	scoredStats map[string]bool
	// ownScorer scores rows that arrive without the league's points.
	ownScorer *scoring.Scorer
	stream    string

	weeks map[int32]bool
	// teamOf maps each rostered player to the index of their team.
	teamOf map[string]int
	// starters[teamWeek] is a team's lineup for a week; a missing key means
	// no lineup, so the whole roster counts.
	starters map[teamWeek]map[string]bool
	// points are the rounded points of each rostered player's weeks of the
	// league's season that the league counts.
	points map[string]map[int32]decimal.Decimal
	totals []decimal.Decimal
	// stale marks the teams whose totals miss a change that observe took.
	// rows recomputes them, so a poll that changes many of a team's
	// players sums the team once rather than once per change.
	stale []bool

	// published is the leaderboard of the last LEADERBOARD_UPDATE.
	published []messages.LeaderboardRow
	// pending are this poll's changes for the next PLAYER_STATS.
	pending []*messages.LeaguePlayerStats
}

type teamWeek struct {
	team int
	week int32
}

func newLeagueProps(config leagueActorConfig) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &leagueActor{leagueActorConfig: config}
	})
}

func (a *leagueActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		a.activate(ctx)

	case *messages.LeagueApply:
		ctx.Respond(a.applyRequest(ctx, message))

	case *messages.LeagueRemove:
		ctx.Respond(leagueReplyOf(a.remove(message.GetLeagueId())))

	case *messages.PlayerUpdate:
		a.observe(message)

	case *messages.LeaguePollEnded:
		if message.GetRecompute() && a.league != nil {
			a.recomputeAll()
		}
		a.publishPollEnd(ctx)

	case *messages.LeagueBoardRequest:
		ctx.Respond(a.board())

	case *messages.LeagueSnapshotRequest:
		ctx.Respond(a.snapshot())

	case *messages.LeagueDefinitionRequest:
		ctx.Respond(&messages.LeagueReply{Current: a.league})
	}
}

// activate gives a virtual actor the definition that this node's directory
// has for its identity and recomputes every team. A league that the
// directory does not have yet is new, and its LeagueApply follows.
//
// The board that counts as published is the newest LEADERBOARD_UPDATE of
// the stream in this node's hub, which relays every node's, so that the
// next poll announces the changes that a stopped activation took but never
// published. When the hub has none, the current board counts as published,
// as at start-up.
//
// NOTE: the hub keeps a stream's last HistoryMaxMessages messages within
// HistoryMaxBytes, so a few large PLAYER_STATS after the last
// LEADERBOARD_UPDATE push it out, and a node that joined after it never had
// it. The clients of the league then miss the changes until the next one.
func (a *leagueActor) activate(ctx actor.Context) {
	if a.definitions == nil {
		return
	}
	league := a.definitions.get(clusterIdentity(ctx))
	if league == nil {
		return
	}
	rules, err := compileLeagueRules(league)
	if err != nil {
		a.logger.Error("activate league failed", "league_id", league.GetId(), "error", err)
		return
	}

	a.take(league, rules)
	a.recomputeAll()
	if a.published = a.lastPublished(); a.published == nil {
		a.published = a.rows()
	}
}

// applyRequest handles a LeagueApply: it rejects a conflicting one, and
// applies the others.
func (a *leagueActor) applyRequest(ctx actor.Context, message *messages.LeagueApply) *messages.LeagueReply {
	if a.league != nil && message.GetCreate() {
		return &messages.LeagueReply{ErrorCode: LeagueErrorConflict, ErrorField: "id",
			ErrorMessage: fmt.Sprintf("league %q already exists", a.league.GetId()), Current: a.league}
	}
	if a.league != nil && message.GetBase() != nil && !proto.Equal(message.GetBase(), a.league) {
		return &messages.LeagueReply{ErrorCode: LeagueErrorConflict,
			ErrorMessage: fmt.Sprintf("league %q changed through another node during this edit", a.league.GetId()),
			Current:      a.league}
	}
	return leagueReplyOf(a.apply(ctx, message.GetLeague(), message.GetPersist()))
}

// apply persists (when asked) and takes a new definition, then recomputes
// every team from the stored player states.
func (a *leagueActor) apply(ctx actor.Context, league *messages.League, persist bool) error {
	rules, err := compileLeagueRules(league)
	if err != nil {
		return err
	}

	if persist && a.store != nil {
		storeCtx, cancel := context.WithTimeout(context.Background(), leagueStoreTimeout)
		defer cancel()
		if err := a.store.UpsertLeague(storeCtx, league); err != nil {
			return fmt.Errorf("store league %s: %w", league.GetId(), err)
		}
	}

	a.take(league, rules)
	a.recomputeAll()
	if a.published != nil || persist {
		// An edit shows at once. At start-up the first board is only
		// remembered, so a restart does not announce every league.
		a.publishLeaderboard(ctx)
	} else {
		// The board at start was never sent, so nothing changed since
		// the board that clients last saw.
		a.published = a.rows()
		for i := range a.published {
			a.published[i].Change = scoring.FormatPoints(decimal.Zero)
		}
	}
	return nil
}

// leagueRules are a league's rule set and a scorer of it alone.
type leagueRules struct {
	ruleSet *scoring.RuleSet
	scorer  *scoring.Scorer
}

func compileLeagueRules(league *messages.League) (leagueRules, error) {
	ruleSet, err := LeagueRuleSet(league)
	if err != nil {
		return leagueRules{}, fmt.Errorf("league %s: %w", league.GetId(), err)
	}
	scorer, err := scoring.NewScorer(ruleSet)
	if err != nil {
		return leagueRules{}, fmt.Errorf("league %s: %w", league.GetId(), err)
	}
	return leagueRules{ruleSet: ruleSet, scorer: scorer}, nil
}

// take makes league the actor's definition and builds its lookups. It does
// not recompute the teams.
func (a *leagueActor) take(league *messages.League, rules leagueRules) {
	a.league = league
	a.ruleSet = rules.ruleSet
	a.scoredStats = rules.ruleSet.ScoredStats()
	a.scorerName = a.registry.NameOf(rules.ruleSet)
	a.ownScorer = rules.scorer
	a.stream = StreamKey(messages.StreamKind_STREAM_KIND_LEAGUE, league.GetId())
	a.index()
}

// index builds the lookups of the definition: counted weeks, each player's
// team and each lineup.
func (a *leagueActor) index() {
	a.weeks = make(map[int32]bool, len(a.league.GetWeeks()))
	for _, week := range a.league.GetWeeks() {
		a.weeks[week] = true
	}

	a.teamOf = make(map[string]int)
	a.starters = make(map[teamWeek]map[string]bool)
	for i, team := range a.league.GetTeams() {
		for _, playerID := range team.GetRoster() {
			a.teamOf[playerID] = i
		}
		for _, lineup := range team.GetLineups() {
			starters := make(map[string]bool, len(lineup.GetStarters()))
			for _, playerID := range lineup.GetStarters() {
				starters[playerID] = true
			}
			a.starters[teamWeek{team: i, week: lineup.GetWeek()}] = starters
		}
	}
}

// recomputeAll scores every rostered player's counted weeks from the
// StateKeeper, which has the newest state of every player.
//
// NOTE: it reads every rostered player again on each edit, one StateKeeper
// read each. That is a map lookup with the in-memory mirror but a network
// round trip each with Hazelcast.
func (a *leagueActor) recomputeAll() {
	a.points = make(map[string]map[int32]decimal.Decimal, len(a.teamOf))
	for playerID := range a.teamOf {
		state, found, err := a.state.PeekPlayer(context.Background(), playerID)
		if err != nil {
			a.logger.Error("read player state for league failed, counting 0 until the player changes",
				"league_id", a.league.GetId(), "player_id", playerID, "error", err)
			continue
		}
		if !found {
			continue
		}

		for _, row := range state.GetWeeks() {
			if row.GetSeason() != a.league.GetSeason() || !a.weeks[row.GetWeek()] {
				continue
			}
			points, err := a.ownScorer.ScorePosition(nil, row.GetPosition(), scoring.RowLookup(row))
			if err != nil {
				a.logger.Error("score player-week for league failed", "league_id", a.league.GetId(),
					"player_id", playerID, "season", row.GetSeason(), "week", row.GetWeek(), "error", err)
				continue
			}
			a.setPoints(playerID, row.GetWeek(), scoring.RoundPoints(points[0]))
		}
	}

	a.totals = make([]decimal.Decimal, len(a.league.GetTeams()))
	a.stale = make([]bool, len(a.league.GetTeams()))
	for i := range a.totals {
		a.recomputeTeam(i)
	}
}

func (a *leagueActor) setPoints(playerID string, week int32, points decimal.Decimal) {
	weeks := a.points[playerID]
	if weeks == nil {
		weeks = make(map[int32]decimal.Decimal)
		a.points[playerID] = weeks
	}
	weeks[week] = points
}

// recomputeTeam sums the team's counted points: each rostered player's
// points in each league week, only the starters in a week with a lineup.
func (a *leagueActor) recomputeTeam(team int) {
	total := decimal.Zero
	for _, playerID := range a.league.GetTeams()[team].GetRoster() {
		for week, points := range a.points[playerID] {
			if a.counts(team, playerID, week) {
				total = total.Add(points)
			}
		}
	}
	a.totals[team] = total
}

func (a *leagueActor) counts(team int, playerID string, week int32) bool {
	if !a.weeks[week] {
		return false
	}
	starters, hasLineup := a.starters[teamWeek{team: team, week: week}]
	return !hasLineup || starters[playerID]
}

// observe takes one scored change of a player that the league rosters.
func (a *leagueActor) observe(update *messages.PlayerUpdate) {
	if a.league == nil {
		return
	}
	row := update.GetDelta().GetCurrent()
	team, rostered := a.teamOf[row.GetPlayerId()]
	if !rostered || row.GetSeason() != a.league.GetSeason() {
		return
	}

	scored := a.leaguePoints(update)
	if scored == nil {
		return
	}

	if a.weeks[row.GetWeek()] {
		points, err := decimal.NewFromString(scored.GetPoints())
		if err != nil {
			a.logger.Error("invalid points in player update", "league_id", a.league.GetId(),
				"player_id", row.GetPlayerId(), "week", row.GetWeek(), "error", err)
			return
		}
		a.setPoints(row.GetPlayerId(), row.GetWeek(), points)
		a.stale[team] = true
	}

	// The item keeps the stats that decide the league's points, and of a
	// first-seen row only the non-zero ones with no previous values, which
	// are all null. The player's own stream carries every changed stat.
	// Sending them all to every session of a league made a poll's
	// PLAYER_STATS of 150 first-seen rows about 350 KB (56 KB now,
	// measured by loadgen).
	firstSeen := update.GetDelta().GetFirstSeen()
	keep := func(stat, value string) bool {
		return a.scoredStats[stat] && !(firstSeen && value == "0")
	}
	item := messages.NewPlayerUpdateDataOf(&messages.PlayerUpdate{Delta: update.GetDelta(), Points: []*messages.Points{scored}}, keep)
	if firstSeen {
		clear(item.Previous)
	}
	a.pending = append(a.pending, &messages.LeaguePlayerStats{
		TeamID:           a.league.GetTeams()[team].GetId(),
		Counted:          a.counts(team, row.GetPlayerId(), row.GetWeek()),
		PlayerUpdateData: item,
	})
}

// leaguePoints returns the update's points under the league's rule set,
// renamed to the league's rule set name. When the scorer scored the row
// before it had the league's rule set, the actor scores it itself.
func (a *leagueActor) leaguePoints(update *messages.PlayerUpdate) *messages.Points {
	for _, points := range update.GetPoints() {
		if points.GetRuleSet() == a.scorerName {
			return &messages.Points{RuleSet: a.ruleSet.Name, Points: points.GetPoints(), PreviousPoints: points.PreviousPoints}
		}
	}

	own, err := scoreDelta(a.ownScorer, update.GetDelta())
	if err != nil {
		row := update.GetDelta().GetCurrent()
		a.logger.Error("score player-week for league failed", "league_id", a.league.GetId(),
			"player_id", row.GetPlayerId(), "season", row.GetSeason(), "week", row.GetWeek(), "error", err)
		return nil
	}
	return own.GetPoints()[0]
}

// rows returns the current leaderboard, with each change measured against
// the last published board.
func (a *leagueActor) rows() []messages.LeaderboardRow {
	for team, stale := range a.stale {
		if stale {
			a.recomputeTeam(team)
			a.stale[team] = false
		}
	}

	before := make(map[string]decimal.Decimal, len(a.published))
	for _, row := range a.published {
		before[row.TeamID], _ = decimal.NewFromString(row.Points)
	}

	teams := a.league.GetTeams()
	order := make([]int, len(teams))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		if c := a.totals[y].Cmp(a.totals[x]); c != 0 {
			return c
		}
		return cmp.Compare(teams[x].GetId(), teams[y].GetId())
	})

	rows := make([]messages.LeaderboardRow, 0, len(teams))
	for position, i := range order {
		rank := position + 1
		if position > 0 && a.totals[i].Equal(a.totals[order[position-1]]) {
			rank = rows[position-1].Rank
		}
		rows = append(rows, messages.LeaderboardRow{
			Rank:     rank,
			TeamID:   teams[i].GetId(),
			TeamName: teams[i].GetName(),
			Points:   scoring.FormatPoints(a.totals[i]),
			Change:   scoring.FormatPoints(a.totals[i].Sub(before[teams[i].GetId()])),
		})
	}
	return rows
}

// publishLeaderboard sends a LEADERBOARD_UPDATE when a team's rank, name or
// points differ from the last one sent, or a team came or went.
func (a *leagueActor) publishLeaderboard(ctx actor.Context) {
	if payload, ok := a.leaderboardPayload(); ok {
		a.hub.Publish(ctx, a.stream, payload)
	}
}

// leaderboardPayload encodes the LEADERBOARD_UPDATE that publishLeaderboard
// sends and records its rows as published. ok is false when there is none
// to send.
func (a *leagueActor) leaderboardPayload() (payload []byte, ok bool) {
	if a.league == nil {
		return nil, false
	}
	rows := a.rows()
	if a.published != nil && sameBoard(rows, a.published) {
		return nil, false
	}

	payload, err := json.Marshal(messages.LeaderboardUpdateMessage{
		Type:     messages.TypeLeaderboardUpdate,
		LeagueID: a.league.GetId(),
		RuleSet:  a.ruleSet.Name,
		Season:   a.league.GetSeason(),
		Weeks:    a.league.GetWeeks(),
		Rows:     rows,
	})
	if err != nil {
		a.logger.Error("encode LEADERBOARD_UPDATE failed", "league_id", a.league.GetId(), "error", err)
		return nil, false
	}
	a.published = rows
	return payload, true
}

func sameBoard(rows, published []messages.LeaderboardRow) bool {
	if len(rows) != len(published) {
		return false
	}
	for i := range rows {
		now, then := rows[i], published[i]
		if now.Rank != then.Rank || now.TeamID != then.TeamID || now.TeamName != then.TeamName || now.Points != then.Points {
			return false
		}
	}
	return true
}

// publishPollEnd sends the poll's PLAYER_STATS and, when the leaderboard
// changed, a LEADERBOARD_UPDATE, in that order and in one Hub.PublishBatch,
// so that each session of the league gets both in one write.
func (a *leagueActor) publishPollEnd(ctx actor.Context) {
	var batch []Publication
	if payload, ok := a.playerStatsPayload(); ok {
		batch = append(batch, Publication{Stream: a.stream, Payload: payload})
	}
	if payload, ok := a.leaderboardPayload(); ok {
		batch = append(batch, Publication{Stream: a.stream, Payload: payload})
	}
	if len(batch) > 0 {
		a.hub.PublishBatch(ctx, batch)
	}
}

// playerStatsPayload encodes the poll's changes as one PLAYER_STATS, sorted
// by team, player_id and week, and clears them. ok is false when there is
// none to send.
func (a *leagueActor) playerStatsPayload() (payload []byte, ok bool) {
	if a.league == nil || len(a.pending) == 0 {
		return nil, false
	}
	players := a.pending
	a.pending = nil
	slices.SortStableFunc(players, func(x, y *messages.LeaguePlayerStats) int {
		return cmp.Or(cmp.Compare(x.TeamID, y.TeamID), cmp.Compare(x.PlayerID, y.PlayerID),
			cmp.Compare(x.Season, y.Season), cmp.Compare(x.Week, y.Week))
	})

	payload, err := json.Marshal(messages.PlayerStatsMessage{
		Type:     messages.TypePlayerStats,
		LeagueID: a.league.GetId(),
		RuleSet:  a.ruleSet.Name,
		Players:  players,
	})
	if err != nil {
		a.logger.Error("encode PLAYER_STATS failed", "league_id", a.league.GetId(), "error", err)
		return nil, false
	}
	return payload, true
}

// remove deletes the league's document and drops the definition, so that
// a create of the same id can follow.
func (a *leagueActor) remove(leagueID string) error {
	if a.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), leagueStoreTimeout)
		defer cancel()
		if err := a.store.DeleteLeague(ctx, leagueID); err != nil {
			return fmt.Errorf("delete league %s: %w", leagueID, err)
		}
	}

	a.league, a.published, a.pending = nil, nil, nil
	return nil
}
