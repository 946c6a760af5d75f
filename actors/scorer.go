package actors

// The scorer actor publishes fantasy points. Player actors that the fetcher
// spawns score their own deltas, so that scoring runs on every core, and
// send the scorer the scored update. Deltas from other player actors (the
// live poller's) are scored here. It reads the rule sets in force from a
// RuleSetRegistry (the presets and every league's distinct rule set) and
// owns nothing else.
//
// It takes:
//   - *messages.PlayerUpdate from player actors: a delta with its points.
//   - *messages.PlayerStatsDelta from player actors that do not score.
//   - *messages.PublishPlayerUpdates (a request) from virtual player actors
//     of a cluster, which may run on other nodes: their scored updates of
//     one poll. It replies *messages.PlayerUpdatesPublished once they are
//     published here and every other node's hub relay received them.
//   - *messages.SyncFinished from the fetcher, when a leagues directory is
//     set: it forwards the report after the cycle's updates.
//   - *flushPublications, which a timer sends it: it publishes the
//     PLAYER_UPDATEs collected since the last batch in one
//     Hub.PublishBatch. A SyncFinished publishes them at once.
//
// It sends:
//   - a PLAYER_UPDATE message (encoded once, with points under every base
//     rule set and the points before the change) to the sessions subscribed
//     to the player, through the hub. For a player without subscribers it
//     encodes nothing and only records in the hub that the change was skipped.
//   - the *messages.PlayerUpdate with points under every rule set of the
//     registry, and each SyncFinished, to the leagues directory.

import (
	"log/slog"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

type scorerActor struct {
	deltaScorer
	hub *Hub

	// leagues is the leagues directory; nil sends nothing to leagues.
	leagues *actor.PID

	// publications are the PLAYER_UPDATEs not yet published. The first
	// one starts a timer that sends flushPublications after
	// publicationDelay, so the updates of a burst reach each session in
	// a few batches.
	publications []Publication
	flushQueued  bool

	// confirmations are the PublishPlayerUpdates requesters waiting for
	// the publications queued before their request.
	confirmations []*actor.PID
}

// flushPublications makes the scorer publish its collected PLAYER_UPDATEs.
type flushPublications struct{}

// publicationDelay is the longest a PLAYER_UPDATE waits to be published
// with the updates that follow it, unless the cycle ends first. Each batch
// costs a session one mailbox message and one write to its client, so a
// longer delay saves CPU in a burst and adds up to that much latency.
// NOTE: 20 ms is a guess within the 100 ms latency target, not a measured
// optimum.
const publicationDelay = 20 * time.Millisecond

// maxPublicationBatch bounds one Hub.PublishBatch call, and with it how
// long the batch holds the hub's shard locks.
const maxPublicationBatch = 2048

func newScorerProps(registry *RuleSetRegistry, hub *Hub, leagues *actor.PID, recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &scorerActor{
			deltaScorer: deltaScorer{registry: registry, metrics: recorder, logger: logger},
			hub:         hub,
			leagues:     leagues,
		}
	})
}

func (a *scorerActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *messages.PlayerUpdate:
		a.publish(ctx, message)

	case *messages.PlayerStatsDelta:
		if update, ok := a.score(message, nil); ok {
			a.publish(ctx, update)
		}

	case *messages.PublishPlayerUpdates:
		for _, update := range message.GetUpdates() {
			a.publish(ctx, update)
		}
		a.confirmAfterFlush(ctx, ctx.Sender())

	case *messages.SyncFinished:
		// The cycle's PLAYER_UPDATEs are published before its report
		// moves on, as they were when each was published at once.
		a.flush(ctx)
		if a.leagues != nil {
			ctx.Send(a.leagues, message)
		}

	case *flushPublications:
		a.flushQueued = false
		a.flush(ctx)

	case *actor.Stopping:
		a.flush(ctx)
	}
}

// queuePublication collects one PLAYER_UPDATE for the next batch.
func (a *scorerActor) queuePublication(ctx actor.Context, publication Publication) {
	a.publications = append(a.publications, publication)
	if len(a.publications) >= maxPublicationBatch {
		a.flush(ctx)
		return
	}

	if !a.flushQueued {
		a.flushQueued = true
		root, self := ctx.ActorSystem().Root, ctx.Self()
		time.AfterFunc(publicationDelay, func() { root.Send(self, &flushPublications{}) })
	}
}

// confirmAfterFlush replies PlayerUpdatesPublished to requester once the
// updates queued so far are published: at once when none is queued.
func (a *scorerActor) confirmAfterFlush(ctx actor.Context, requester *actor.PID) {
	if requester == nil {
		return
	}
	a.confirmations = append(a.confirmations, requester)
	if len(a.publications) == 0 {
		a.flush(ctx)
	}
}

func (a *scorerActor) flush(ctx actor.Context) {
	if len(a.publications) > 0 {
		a.hub.PublishBatch(ctx, a.publications)
		a.publications = nil
	}

	if len(a.confirmations) == 0 {
		return
	}
	requesters := a.confirmations
	a.confirmations = nil
	go a.confirm(ctx.ActorSystem(), requesters)
}

// relayConfirmTimeout bounds the wait for the other nodes to confirm that
// they received the relayed updates. A node that misses it is dead or cut
// off, and the topology drops it within a few seconds.
const relayConfirmTimeout = 5 * time.Second

// confirm replies PlayerUpdatesPublished to requesters once every other
// node's hub relay received what this hub relayed so far. It runs in its
// own goroutine, because the wait is a network round trip.
func (a *scorerActor) confirm(system *actor.ActorSystem, requesters []*actor.PID) {
	reply := &messages.PlayerUpdatesPublished{}
	if err := a.hub.WaitRelayed(relayConfirmTimeout); err != nil {
		reply.Error = err.Error()
		a.logger.Warn("other nodes did not confirm the relayed player updates, their players keep the old rows",
			"players", len(requesters), "error", err)
	}
	for _, requester := range requesters {
		system.Root.Send(requester, reply)
	}
}

// deltaScorer scores player-week deltas under the registry's rule sets. The
// scorer actor and the player actors share one, which is safe for
// concurrent use.
type deltaScorer struct {
	registry *RuleSetRegistry
	metrics  *metrics.Metrics
	logger   *slog.Logger
}

// score returns the delta with its points. previous is the row the delta
// was found against, or nil when the caller does not have it. A row that
// fails to score is logged and reported as false, so that it is not
// published.
func (s *deltaScorer) score(delta *messages.PlayerStatsDelta, previous *messages.PlayerWeek) (*messages.PlayerUpdate, bool) {
	started := time.Now()
	update, err := scoreDeltaFrom(s.registry.Scorer(), delta, previous)
	s.metrics.ScoringDuration.Observe(time.Since(started).Seconds())
	if err != nil {
		row := delta.GetCurrent()
		s.logger.Error("score player-week failed", "player_id", row.GetPlayerId(),
			"season", row.GetSeason(), "week", row.GetWeek(), "error", err)
		return nil, false
	}
	return update, true
}

// publish sends a scored update to the leagues directory and, as
// PLAYER_UPDATE, to the player's stream.
func (a *scorerActor) publish(ctx actor.Context, update *messages.PlayerUpdate) {
	delta := update.GetDelta()
	row := delta.GetCurrent()
	a.metrics.Deltas.WithLabelValues(metrics.DeltaPlayerStats).Inc()

	if a.leagues != nil {
		ctx.Send(a.leagues, update)
	}

	// Most players have no follower: encoding is the costliest step of a
	// poll, so it is skipped for streams that never had a subscriber. The
	// hub records a skipped change as published.
	stream := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, row.GetPlayerId())
	version := itemVersion{key: playerItem(row.GetSeason(), row.GetWeek()), detected: delta.GetDetectedUnixNano()}
	if !a.hub.activeOrSkip(stream, version) {
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
	a.queuePublication(ctx, Publication{Stream: stream, Payload: payload, version: version})
}

// scoreDelta computes the points of the delta's current row under every rule
// set, and the points before the change unless the row is new. Both use the
// row's position, so that position weights (a TE premium) apply.
func scoreDelta(scorer *scoring.Scorer, delta *messages.PlayerStatsDelta) (*messages.PlayerUpdate, error) {
	return scoreDeltaFrom(scorer, delta, nil)
}

// scoreDeltaFrom is scoreDelta with the row the delta was found against,
// when not nil. The points before the change are then the points of its
// stats, which equal the current stats with the changes undone, and need
// no search through the changes.
func scoreDeltaFrom(scorer *scoring.Scorer, delta *messages.PlayerStatsDelta, previous *messages.PlayerWeek) (*messages.PlayerUpdate, error) {
	current := delta.GetCurrent()
	ruleSets := scorer.RuleSetCount()
	var buffer [8]string // the presets twice, without an allocation
	texts, err := scorer.FormatRow(buffer[:0], current)
	if err != nil {
		return nil, err
	}

	switch {
	case delta.GetFirstSeen():

	case previous != nil:
		texts, err = scorer.FormatRow(texts, &messages.PlayerWeek{
			Season:   current.GetSeason(),
			Week:     current.GetWeek(),
			PlayerId: current.GetPlayerId(),
			Position: current.GetPosition(),
			Stats:    previous.GetStats(),
		})

	default:
		var before []decimal.Decimal
		lookup := previousLookup(scoring.RowLookup(current), delta.GetChanges())
		before, err = scorer.ScorePosition(nil, current.GetPosition(), lookup)
		for _, points := range before {
			texts = append(texts, scoring.FormatPoints(points))
		}
	}
	if err != nil {
		return nil, err
	}

	// texts has the points of each rule set, then the points before the
	// change unless the row is new. One allocation holds every Points
	// message of the update and one every previous value.
	var previousPoints []string
	if len(texts) > ruleSets {
		previousPoints = slices.Clone(texts[ruleSets:])
	}
	scored := make([]messages.Points, ruleSets)
	update := &messages.PlayerUpdate{Delta: delta, Points: make([]*messages.Points, ruleSets)}
	for i := range ruleSets {
		scored[i].RuleSet = scorer.RuleSetName(i)
		scored[i].Points = texts[i]
		if previousPoints != nil {
			scored[i].PreviousPoints = &previousPoints[i]
		}
		update.Points[i] = &scored[i]
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
