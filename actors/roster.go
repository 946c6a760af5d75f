package actors

// The roster actor owns the last seen roster row of every player (team,
// position, status such as ACT, RES or CUT, jersey number) and the injury
// actor owns the last seen injury report of every player and week. Both
// find changes the way player actors do, field by field.
//
// The roster actor takes:
//   - *messages.ObserveRosters from the fetcher, replying *messages.DiffDone.
//
// The injury actor takes:
//   - *messages.ObserveInjuries from the fetcher, replying
//     *messages.DiffDone. A poll without an injuries file changes nothing:
//     the last known statuses stay and nobody is reported healthy.
//
// Both send a ROSTER_UPDATE or INJURY_UPDATE message (encoded once) to the
// sessions that follow the player, through the hub, and hand the changed
// rows to the StateKeeper, which writes them to the store in batches. They
// are the only source of those documents.

import (
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// fieldValue is one named field of a row, for diffing rows of any kind.
type fieldValue struct {
	name  string
	value string
}

func rosterFields(entry *messages.RosterEntry) []fieldValue {
	return []fieldValue{
		{"full_name", entry.GetFullName()},
		{"team", entry.GetTeam()},
		{"position", entry.GetPosition()},
		{"status", entry.GetStatus()},
		{"jersey_number", entry.GetJerseyNumber()},
		{"espn_id", entry.GetEspnId()},
	}
}

func injuryFields(injury *messages.Injury) []fieldValue {
	return []fieldValue{
		{"full_name", injury.GetFullName()},
		{"team", injury.GetTeam()},
		{"position", injury.GetPosition()},
		{"report_status", injury.GetReportStatus()},
		{"report_primary_injury", injury.GetReportPrimaryInjury()},
		{"practice_status", injury.GetPracticeStatus()},
		{"date_modified", injury.GetDateModified()},
	}
}

// diffFields returns the changes between two field lists of the same kind
// of row.
func diffFields(previous, current []fieldValue) []*messages.FieldChange {
	var changes []*messages.FieldChange
	for i := range current {
		changes = appendTextChange(changes, current[i].name, previous[i].value, current[i].value)
	}
	return changes
}

// rowTracker is the diff state that the roster and injury actors share:
// the last rows by key, and how to publish and store a changed row.
type rowTracker[Row any] struct {
	kind    string // metrics.DeltaRoster or metrics.DeltaInjury
	fields  func(Row) []fieldValue
	player  func(Row) string
	encode  func(row Row, changes []*messages.FieldChange, firstSeen bool) ([]byte, error)
	persist func(rows []Row) // queues changed rows for the store

	hub     *Hub
	metrics *metrics.Metrics
	logger  *slog.Logger
	rows    map[string]Row
}

// observe diffs each row with the last one under the same key, publishes
// the changes in one batch and returns the changed rows, which the caller
// stores after it has replied to the fetcher.
func (t *rowTracker[Row]) observe(ctx actor.Context, rows []Row, key func(Row) string) []Row {
	var changed []Row
	var publications []Publication
	for _, row := range rows {
		rowKey := key(row)
		previous, seen := t.rows[rowKey]

		var changes []*messages.FieldChange
		if seen {
			changes = diffFields(t.fields(previous), t.fields(row))
			if len(changes) == 0 {
				continue
			}
		}

		t.rows[rowKey] = row
		changed = append(changed, row)
		if publication, ok := t.publication(row, changes, !seen); ok {
			publications = append(publications, publication)
		}
	}
	if len(publications) > 0 {
		t.hub.PublishBatch(ctx, publications)
	}

	t.metrics.Deltas.WithLabelValues(t.kind).Add(float64(len(changed)))
	return changed
}

// publication encodes the change of one row for its player's stream. It
// returns false when the player's stream is not active (Hub.Active) or the
// encoding failed.
func (t *rowTracker[Row]) publication(row Row, changes []*messages.FieldChange, firstSeen bool) (Publication, bool) {
	stream := StreamKey(messages.StreamKind_STREAM_KIND_PLAYER, t.player(row))
	if !t.hub.Active(stream) {
		return Publication{}, false
	}

	payload, err := t.encode(row, changes, firstSeen)
	if err != nil {
		t.logger.Error("encode row change failed", "kind", t.kind, "player_id", t.player(row), "error", err)
		return Publication{}, false
	}
	return Publication{Stream: stream, Payload: payload}, true
}

// store hands the changed rows to the StateKeeper.
func (t *rowTracker[Row]) store(rows []Row) {
	if len(rows) > 0 {
		t.persist(rows)
	}
}

type rosterActor struct {
	state   *StateKeeper
	tracker *rowTracker[*messages.RosterEntry]
}

func newRosterProps(hub *Hub, state *StateKeeper, recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		tracker := &rowTracker[*messages.RosterEntry]{
			kind:    metrics.DeltaRoster,
			fields:  rosterFields,
			player:  (*messages.RosterEntry).GetGsisId,
			encode:  messages.EncodeRosterUpdate,
			persist: state.PutRosters,
			hub:     hub,
			metrics: recorder,
			logger:  logger,
			rows:    make(map[string]*messages.RosterEntry),
		}
		return &rosterActor{state: state, tracker: tracker}
	})
}

func (a *rosterActor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		// Rows stored by an earlier run are known, not new: a restart
		// neither announces nor rewrites them.
		// NOTE: after a panic the preloaded rows are gone, so a restarted
		// roster actor announces every row once again.
		a.tracker.rows = a.state.TakeRosters()
	}
	if message, ok := ctx.Message().(*messages.ObserveRosters); ok {
		changed := a.tracker.observe(ctx, message.GetEntries(), (*messages.RosterEntry).GetGsisId)
		ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(len(changed))})
		a.tracker.store(changed)
	}
}

type injuryActor struct {
	state   *StateKeeper
	tracker *rowTracker[*messages.Injury]

	// unavailableWeek is the last week reported without an injuries file,
	// so that it is logged once.
	unavailableWeek int32
}

func newInjuryProps(hub *Hub, state *StateKeeper, recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		tracker := &rowTracker[*messages.Injury]{
			kind:    metrics.DeltaInjury,
			fields:  injuryFields,
			player:  (*messages.Injury).GetGsisId,
			encode:  messages.EncodeInjuryUpdate,
			persist: state.PutInjuries,
			hub:     hub,
			metrics: recorder,
			logger:  logger,
			rows:    make(map[string]*messages.Injury),
		}
		return &injuryActor{state: state, tracker: tracker}
	})
}

func injuryKey(injury *messages.Injury) string {
	return fmt.Sprintf("%d/%d/%s", injury.GetSeason(), injury.GetWeek(), injury.GetGsisId())
}

func (a *injuryActor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		a.tracker.rows = a.state.TakeInjuries()
	}
	message, ok := ctx.Message().(*messages.ObserveInjuries)
	if !ok {
		return
	}

	var changed []*messages.Injury
	if message.GetAvailable() {
		changed = a.tracker.observe(ctx, message.GetInjuries(), injuryKey)
	} else if message.GetCurrentWeek() != a.unavailableWeek {
		a.unavailableWeek = message.GetCurrentWeek()
		a.tracker.logger.Warn("injuries unavailable, keeping the last known statuses",
			"season", message.GetCurrentSeason(), "week", message.GetCurrentWeek())
	}
	ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(len(changed))})
	a.tracker.store(changed)
}
