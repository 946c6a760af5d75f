package actors

// The scheduler actor owns the polling rhythm: when the next sync cycle runs.
// It polls at the live interval while a game of the current week is live or
// about to start, and at the offseason interval otherwise, waking early for
// the next kickoff window.
//
// It takes:
//   - *messages.SyncFinished from the fetcher: the current week's games, used
//     to pick the next interval.
//   - tickDue from its own timer.
//
// It sends:
//   - *messages.Tick to the fetcher.

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

const (
	// liveWindowLead is how long before kickoff a game counts as live, so
	// that the first poll of a game day runs before the first snap.
	liveWindowLead = 15 * time.Minute

	// liveWindowMax ends the live window of a game that never gets a final
	// score in the source; real games last about 3.5 hours with overtime.
	liveWindowMax = 5 * time.Hour

	// minimumTickDelay keeps a burst of SyncFinished messages from turning
	// into a burst of polls.
	minimumTickDelay = time.Second
)

// tickDue is the scheduler's timer firing. It never leaves the actor.
type tickDue struct{}

type schedulerActor struct {
	clock             messages.Clock
	fetcher           *actor.PID
	liveInterval      time.Duration
	offseasonInterval time.Duration
	metrics           *metrics.Metrics
	logger            *slog.Logger

	games     []*messages.GameTiming
	stopTimer func() bool

	// failures counts failed cycles in a row, for the retry backoff.
	failures int
}

func newSchedulerProps(clock messages.Clock, fetcher *actor.PID, liveInterval, offseasonInterval time.Duration,
	recorder *metrics.Metrics, logger *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &schedulerActor{
			clock:             clock,
			fetcher:           fetcher,
			liveInterval:      liveInterval,
			offseasonInterval: offseasonInterval,
			metrics:           recorder,
			logger:            logger,
		}
	})
}

func (a *schedulerActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case *actor.Started:
		ctx.Send(ctx.Self(), tickDue{})

	case tickDue:
		a.tick(ctx)

	case *messages.SyncFinished:
		// The interval runs from the end of the cycle, so a slow cycle
		// never overlaps the next one. A replay clock also jumps during
		// the cycle, which makes the tick's own time useless here.
		now := a.clock.Now()
		if !message.GetOk() {
			a.failures++
			a.schedule(ctx, now.Add(a.retryInterval(now)))
			return
		}
		a.failures = 0
		a.games = message.GetGames()
		a.schedule(ctx, now.Add(a.nextInterval(now)))

	case *actor.Stopping:
		if a.stopTimer != nil {
			a.stopTimer()
		}
	}
}

func (a *schedulerActor) tick(ctx actor.Context) {
	now := a.clock.Now()
	ctx.Request(a.fetcher, &messages.Tick{NowUnixNano: now.UnixNano()})

	// Until the fetcher reports back, assume the rhythm of the last known
	// schedule; SyncFinished reschedules.
	a.schedule(ctx, now.Add(a.nextInterval(now)))
}

// schedule replaces the pending timer with one that fires at the given time
// on the scheduler's clock.
func (a *schedulerActor) schedule(ctx actor.Context, at time.Time) {
	if a.stopTimer != nil {
		a.stopTimer()
	}

	delay := max(at.Sub(a.clock.Now()), minimumTickDelay)
	system, self := ctx.ActorSystem(), ctx.Self()
	a.stopTimer = a.clock.AfterFunc(delay, func() { system.Root.Send(self, tickDue{}) })
}

// retryInterval returns the wait after a failed cycle: the live interval
// doubled for each failure in a row, at most the regular interval. A source
// that is down at start-up, or a season not published yet, is tried again
// within minutes instead of after the offseason interval.
func (a *schedulerActor) retryInterval(now time.Time) time.Duration {
	regular := a.nextInterval(now)
	retry := a.liveInterval
	for i := 1; i < a.failures && retry < regular; i++ {
		retry *= 2
	}
	return min(retry, regular)
}

// nextInterval returns the live interval while a game is in its live window,
// else the time until the next live window opens, at most the offseason
// interval.
func (a *schedulerActor) nextInterval(now time.Time) time.Duration {
	interval := a.offseasonInterval
	live := 0
	defer func() { a.metrics.GamesLive.Set(float64(live)) }()

	for _, game := range a.games {
		if game.GetFinal() || game.GetKickoffUnix() == 0 {
			continue
		}

		kickoff := time.Unix(game.GetKickoffUnix(), 0)
		opens, closes := kickoff.Add(-liveWindowLead), kickoff.Add(liveWindowMax)
		if !now.Before(opens) && now.Before(closes) {
			live++
			interval = a.liveInterval
			continue
		}
		if opens.After(now) && live == 0 {
			interval = min(interval, opens.Sub(now))
		}
	}
	return interval
}
