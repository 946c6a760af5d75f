package actors

// The player actor owns one player's last seen weekly stats rows, one per
// season and week, and is the only place where changes to them are found.
//
// It takes:
//   - *messages.ObservePlayer from the fetcher: the player's rows of one poll.
//     It replies *messages.DiffDone with the number of deltas.
//
// It sends:
//   - *messages.PlayerStatsDelta to the scorer, once per changed player-week.

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
)

// seasonWeek keys a player's rows.
type seasonWeek struct {
	season int32
	week   int32
}

type playerActor struct {
	playerID string
	scorer   *actor.PID
	now      func() time.Time
	weeks    map[seasonWeek]*messages.PlayerWeek
}

func newPlayerProps(playerID string, scorer *actor.PID, now func() time.Time) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &playerActor{playerID: playerID, scorer: scorer, now: now, weeks: make(map[seasonWeek]*messages.PlayerWeek)}
	})
}

func (a *playerActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *messages.ObservePlayer:
		deltas := a.observe(ctx, message)
		ctx.Respond(&messages.DiffDone{Cycle: message.GetCycle(), Deltas: int32(deltas)})
	}
}

// observe compares each row with the last one seen for its week, stores the
// rows that changed and sends one delta per changed week.
func (a *playerActor) observe(ctx actor.Context, message *messages.ObservePlayer) int {
	deltas := 0
	for _, row := range message.GetWeeks() {
		key := seasonWeek{season: row.GetSeason(), week: row.GetWeek()}
		previous, seen := a.weeks[key]

		var changes []*messages.FieldChange
		if seen {
			changes = diffPlayerWeek(previous, row)
			if len(changes) == 0 {
				continue
			}
		}

		a.weeks[key] = row
		deltas++
		ctx.Send(a.scorer, &messages.PlayerStatsDelta{
			Current:          row,
			Changes:          changes,
			FirstSeen:        !seen,
			Correction:       seen && isEarlierWeek(key, message.GetCurrentSeason(), message.GetCurrentWeek()),
			DetectedUnixNano: a.now().UnixNano(),
		})
	}
	return deltas
}

// isEarlierWeek reports whether key is before the current season and week.
func isEarlierWeek(key seasonWeek, currentSeason, currentWeek int32) bool {
	if key.season != currentSeason {
		return key.season < currentSeason
	}
	return key.week < currentWeek
}
