package actors

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// fakeClock is a Clock whose time moves only when the test calls Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	timer := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, timer)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		wasPending := !timer.stopped
		timer.stopped = true
		return wasPending
	}
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, timer := range c.timers {
		if !timer.stopped && !timer.at.After(c.now) {
			timer.stopped = true
			due = append(due, timer.f)
		}
	}
	c.mu.Unlock()

	for _, f := range due {
		f()
	}
}

// pendingDelay returns how far ahead the earliest pending timer is.
func (c *fakeClock) pendingDelay() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var earliest *fakeTimer
	for _, timer := range c.timers {
		if !timer.stopped && (earliest == nil || timer.at.Before(earliest.at)) {
			earliest = timer
		}
	}
	if earliest == nil {
		return 0, false
	}
	return earliest.at.Sub(c.now), true
}

// tickRecorder replaces the fetcher: it counts ticks and replies to each
// with a SyncFinished carrying the given games.
type tickRecorder struct {
	mu    sync.Mutex
	ticks int
	games []*messages.GameTiming
}

func (r *tickRecorder) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*messages.Tick); ok {
		r.mu.Lock()
		r.ticks++
		games := r.games
		r.mu.Unlock()
		ctx.Respond(&messages.SyncFinished{Ok: true, Games: games})
	}
}

func (r *tickRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ticks
}

func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSchedulerIntervals(t *testing.T) {
	start := time.Date(2024, 9, 8, 12, 0, 0, 0, time.UTC)
	kickoff := start.Add(2 * time.Hour)
	clock := newFakeClock(start)
	recorder := &tickRecorder{games: []*messages.GameTiming{{GameId: "2024_01_PIT_ATL", KickoffUnix: kickoff.Unix()}}}

	system := actor.NewActorSystem()
	fetcher := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return recorder }))
	scheduler := system.Root.Spawn(newSchedulerProps(clock, fetcher, time.Minute, time.Hour, metrics.New(), system.Logger()))
	t.Cleanup(func() { system.Root.Stop(scheduler) })

	// The first tick goes out at once.
	waitFor(t, "first tick", func() bool { return recorder.count() == 1 })

	// Two hours before kickoff the next poll waits for the live window,
	// capped by the offseason interval.
	waitFor(t, "offseason timer", func() bool {
		delay, ok := clock.pendingDelay()
		return ok && delay == time.Hour
	})

	// One hour later the live window opens in 45 minutes.
	clock.Advance(time.Hour)
	waitFor(t, "second tick", func() bool { return recorder.count() == 2 })
	waitFor(t, "timer until the live window", func() bool {
		delay, ok := clock.pendingDelay()
		return ok && delay == 45*time.Minute
	})

	// Inside the live window the scheduler polls at the live interval.
	clock.Advance(45 * time.Minute)
	waitFor(t, "third tick", func() bool { return recorder.count() == 3 })
	waitFor(t, "live timer", func() bool {
		delay, ok := clock.pendingDelay()
		return ok && delay == time.Minute
	})

	// Five hours after kickoff a game without a final score stops counting
	// as live.
	ticks := recorder.count()
	clock.Advance(kickoff.Add(liveWindowMax).Sub(clock.Now()))
	waitFor(t, "tick after the live window", func() bool { return recorder.count() == ticks+1 })
	waitFor(t, "offseason timer after the window", func() bool {
		delay, ok := clock.pendingDelay()
		return ok && delay == time.Hour
	})
}

func TestSchedulerFinalGameIsNotLive(t *testing.T) {
	start := time.Date(2024, 9, 8, 18, 0, 0, 0, time.UTC)
	clock := newFakeClock(start)
	recorder := &tickRecorder{games: []*messages.GameTiming{
		{GameId: "2024_01_PIT_ATL", KickoffUnix: start.Add(-time.Hour).Unix(), Final: true},
	}}

	system := actor.NewActorSystem()
	fetcher := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return recorder }))
	scheduler := system.Root.Spawn(newSchedulerProps(clock, fetcher, time.Minute, time.Hour, metrics.New(), system.Logger()))
	t.Cleanup(func() { system.Root.Stop(scheduler) })

	waitFor(t, "first tick", func() bool { return recorder.count() == 1 })
	waitFor(t, "offseason timer", func() bool {
		delay, ok := clock.pendingDelay()
		return ok && delay == time.Hour
	})
}

// failingRecorder replies to every tick with a failed SyncFinished.
type failingRecorder struct{ tickRecorder }

func (r *failingRecorder) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*messages.Tick); ok {
		r.mu.Lock()
		r.ticks++
		r.mu.Unlock()
		ctx.Respond(&messages.SyncFinished{Ok: false})
	}
}

func TestSchedulerRetriesFailedSyncWithBackoff(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
	recorder := &failingRecorder{}

	system := actor.NewActorSystem()
	fetcher := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return recorder }))
	scheduler := system.Root.Spawn(newSchedulerProps(clock, fetcher, time.Minute, time.Hour, metrics.New(), system.Logger()))
	t.Cleanup(func() { system.Root.Stop(scheduler) })

	// After each failure the wait doubles from the live interval, capped
	// by the offseason interval.
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		waitFor(t, fmt.Sprintf("tick %d", i+1), func() bool { return recorder.count() == i+1 })
		waitFor(t, fmt.Sprintf("retry timer of %s", want), func() bool {
			delay, ok := clock.pendingDelay()
			return ok && delay == want
		})
		clock.Advance(want)
	}
}
