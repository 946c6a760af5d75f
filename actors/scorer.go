package actors

// The scorer actor computes fantasy points. It reads the rule sets in force
// from a RuleSetRegistry (the presets and every league's distinct rule set)
// and owns nothing else, so several scorers could share the load.
//
// It takes:
//   - *messages.PlayerStatsDelta from player actors.
//   - *messages.SyncFinished from the fetcher, when a leagues directory is
//     set: it forwards the report after the cycle's updates.
//
// It sends:
//   - a PLAYER_UPDATE message (encoded once, with points under every base
//     rule set and the points before the change) to the sessions subscribed
//     to the player, through the hub.
//   - the *messages.PlayerUpdate with points under every rule set of the
//     registry, and each SyncFinished, to the leagues directory.

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

type scorerActor struct {
	registry *RuleSetRegistry
	hub      *Hub
	metrics  *metrics.Metrics
	logger   *slog.Logger

	// leagues is the leagues directory; nil sends nothing to leagues.
	leagues *actor.PID
}

func newScorerProps(registry *RuleSetRegistry, hub *Hub, leagues *actor.PID, recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &scorerActor{registry: registry, hub: hub, leagues: leagues, metrics: recorder, logger: logger}
	})
}

func (a *scorerActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *messages.PlayerStatsDelta:
		a.score(ctx, message)

	case *messages.SyncFinished:
		if a.leagues != nil {
			ctx.Send(a.leagues, message)
		}
	}
}

func (a *scorerActor) score(ctx actor.Context, delta *messages.PlayerStatsDelta) {
	row := delta.GetCurrent()
	a.metrics.Deltas.WithLabelValues(metrics.DeltaPlayerStats).Inc()

	started := time.Now()
	update, err := scoreDelta(a.registry.Scorer(), delta)
	a.metrics.ScoringDuration.Observe(time.Since(started).Seconds())
	if err != nil {
		a.logger.Error("score player-week failed", "player_id", row.GetPlayerId(),
			"season", row.GetSeason(), "week", row.GetWeek(), "error", err)
		return
	}

	if a.leagues != nil {
		ctx.Send(a.leagues, update)
	}

	// Most players have no follower: encoding is the costliest step of a
	// poll, so it is skipped for streams nobody ever subscribed to.
	stream := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, row.GetPlayerId())
	if !a.hub.Active(stream) {
		return
	}

	// PLAYER_UPDATE carries the base rule sets only; the leagues' rule
	// sets reach their league streams.
	public := update
	if base := a.registry.BaseCount(); len(update.Points) > base {
		public = &messages.PlayerUpdate{Delta: delta, Points: update.Points[:base]}
	}
	payload, err := messages.EncodePlayerUpdate(public)
	if err != nil {
		a.logger.Error("encode PLAYER_UPDATE failed", "player_id", row.GetPlayerId(), "error", err)
		return
	}
	a.hub.Publish(ctx, stream, payload)
}

// scoreDelta computes the points of the delta's current row under every rule
// set, and the points before the change unless the row is new. Both use the
// row's position, so that position weights (a TE premium) apply.
func scoreDelta(scorer *scoring.Scorer, delta *messages.PlayerStatsDelta) (*messages.PlayerUpdate, error) {
	position := delta.GetCurrent().GetPosition()
	current := scoring.RowLookup(delta.GetCurrent())
	points, err := scorer.ScorePosition(nil, position, current)
	if err != nil {
		return nil, err
	}

	var before []decimal.Decimal
	if !delta.GetFirstSeen() {
		before, err = scorer.ScorePosition(nil, position, previousLookup(current, delta.GetChanges()))
		if err != nil {
			return nil, err
		}
	}

	update := &messages.PlayerUpdate{Delta: delta, Points: make([]*messages.Points, 0, len(points))}
	for i, ruleSet := range scorer.RuleSets() {
		scored := &messages.Points{RuleSet: ruleSet.Name, Points: scoring.FormatPoints(points[i])}
		if before != nil {
			scored.PreviousPoints = stringPointer(scoring.FormatPoints(before[i]))
		}
		update.Points = append(update.Points, scored)
	}
	return update, nil
}

// previousLookup returns the stats as they were before changes: the previous
// value of a changed stat, else the current one.
func previousLookup(current scoring.Lookup, changes []*messages.FieldChange) scoring.Lookup {
	return func(stat string) (string, bool) {
		for _, change := range changes {
			if change.GetField() == stat {
				return change.GetPrevious(), change.Previous != nil
			}
		}
		return current(stat)
	}
}
