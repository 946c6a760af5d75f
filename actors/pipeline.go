// Package actors holds nflsync's behaviour as protoactor-go actors: the
// scheduler ticks the fetcher, the fetcher routes each poll to one actor per
// player and per game, those find the changes, the scorer computes points,
// and the hub hands the encoded messages to the session actors that
// subscribed to them.
package actors

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// PipelineConfig configures StartPipeline.
type PipelineConfig struct {
	Source messages.Source
	Clock  messages.Clock
	Hub    *Hub

	// State keeps player and game state across actor restarts.
	State *StateKeeper

	// Store records each sync run; nil records nothing.
	Store messages.Store

	// Metrics records what the actors do; nil records into a registry
	// nobody serves.
	Metrics *metrics.Metrics

	// diffTimeout and playerHook are test seams, passed to the fetcher.
	diffTimeout time.Duration
	playerHook  func(playerID string)

	// CycleListeners receive a *messages.SyncFinished after every sync
	// cycle.
	CycleListeners []*actor.PID

	// RuleSets are the scoring rule sets that every PLAYER_UPDATE carries.
	RuleSets []*scoring.RuleSet

	// Registry, when set, is the scorer's registry of rule sets, shared with
	// the leagues directory; its base rule sets must be RuleSets. Nil makes
	// a registry of RuleSets alone.
	Registry *RuleSetRegistry

	// Leagues is the leagues directory (Leagues.PID). The scorer sends it
	// every scored update and, after them, every SyncFinished, so it must
	// not be among CycleListeners too. Nil serves no leagues.
	Leagues *actor.PID

	// LiveInterval is the polling interval while a game is live or about to
	// start; OffseasonInterval applies otherwise.
	LiveInterval      time.Duration
	OffseasonInterval time.Duration

	// Polling false starts no scheduler: nothing polls the source.
	Polling bool

	// Placement, when set, makes the player and game actors cluster kinds
	// that it locates, instead of the fetcher's children. Register the
	// props of Pipeline.Kinds with the cluster that Placement uses.
	Placement Placement

	// Activations lists the virtual actors active on this node; nil makes
	// an empty registry that no gauge follows.
	Activations *Activations

	Logger *slog.Logger
}

// Pipeline is the running set of top-level actors.
type Pipeline struct {
	Scheduler *actor.PID // nil when polling is off; read it before Lead or Follow
	Fetcher   *actor.PID
	Scorer    *actor.PID

	// Snapshots serves the snapshots that new subscribers get.
	Snapshots *Snapshots

	// Kinds are the props of the cluster kinds KindPlayer and KindGame,
	// for the cluster's configuration.
	Kinds map[string]*actor.Props

	// newScheduler makes the scheduler's props; mu guards Scheduler once
	// Lead and Follow run.
	newScheduler func() *actor.Props
	mu           sync.Mutex
}

// StartPipeline spawns the scorer, the fetcher and, when polling is on, the
// scheduler, which sends the first tick at once. It returns an error for an
// incomplete configuration.
func StartPipeline(system *actor.ActorSystem, config PipelineConfig) (*Pipeline, error) {
	if config.Source == nil || config.Clock == nil || config.Hub == nil || config.State == nil {
		return nil, fmt.Errorf("start pipeline: source, clock, hub and state are required")
	}
	if config.LiveInterval <= 0 || config.OffseasonInterval <= 0 {
		return nil, fmt.Errorf("start pipeline: intervals must be positive, got live %s and offseason %s",
			config.LiveInterval, config.OffseasonInterval)
	}
	logger := config.Logger
	if logger == nil {
		logger = slog.Default()
	}
	recorder := config.Metrics
	if recorder == nil {
		recorder = metrics.New()
	}

	scorer, err := scoring.NewScorer(config.RuleSets...)
	if err != nil {
		return nil, fmt.Errorf("start pipeline: %w", err)
	}

	registry := config.Registry
	if registry == nil {
		if registry, err = NewRuleSetRegistry(config.RuleSets...); err != nil {
			return nil, fmt.Errorf("start pipeline: %w", err)
		}
	}

	pipeline := &Pipeline{Snapshots: NewSnapshots(config.State, scorer, config.Hub)}
	pipeline.Scorer = system.Root.Spawn(newScorerProps(registry, config.Hub, config.Leagues, recorder, logger))
	listeners := config.CycleListeners
	if config.Leagues != nil {
		// The scorer forwards SyncFinished to the leagues after the
		// cycle's updates, which are in its mailbox by then.
		listeners = append(slices.Clone(listeners), pipeline.Scorer)
	}
	scoring := &deltaScorer{registry: registry, metrics: recorder, logger: logger}
	activations := config.Activations
	if activations == nil {
		activations = NewActivations(nil)
	}
	pipeline.Kinds = map[string]*actor.Props{
		KindPlayer: withActivation(newPlayerKindProps(scoring, config.State, logger), KindPlayer, activations),
		KindGame:   withActivation(newGameKindProps(config.Hub, config.State, recorder, logger), KindGame, activations),
	}
	pipeline.Fetcher = system.Root.Spawn(newFetcherProps(fetcherConfig{
		source:  config.Source,
		clock:   config.Clock,
		scorer:  pipeline.Scorer,
		scoring: scoring,
		hub:     config.Hub,
		state:   config.State,
		store:   config.Store,
		metrics: recorder,
		logger:  logger,

		snapshots:   pipeline.Snapshots,
		listeners:   listeners,
		diffTimeout: config.diffTimeout,
		playerHook:  config.playerHook,
		placement:   config.Placement,
		activations: activations,
	}))

	pipeline.newScheduler = func() *actor.Props {
		return newSchedulerProps(config.Clock, pipeline.Fetcher, config.LiveInterval, config.OffseasonInterval, recorder, logger)
	}
	if config.Polling {
		pipeline.Scheduler = system.Root.Spawn(pipeline.newScheduler())
	}
	return pipeline, nil
}

// releaseTimeout bounds the wait for the fetcher to stop its children.
const releaseTimeout = time.Minute

// Lead makes this node the one that polls, for a cluster whose member
// chosen to poll changed to this node. The fetcher's children are stopped
// first, so that the next cycle's actors rehydrate from the mirror what the
// previous polling node wrote. With a Placement those are the roster and
// injury actors only: the virtual player and game actors stay where the
// cluster placed them, because each is the only writer of its own state.
// Leading twice is the same as leading once.
func (p *Pipeline) Lead(system *actor.ActorSystem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Scheduler != nil {
		return
	}

	p.release(system)
	p.Scheduler = system.Root.Spawn(p.newScheduler())
}

// Follow stops this node's polling: the scheduler, then the fetcher's
// children, whose state would grow old while another node polls. A cycle
// in progress finishes. Following twice is the same as
// following once.
func (p *Pipeline) Follow(system *actor.ActorSystem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Scheduler == nil {
		return
	}

	if err := system.Root.StopFuture(p.Scheduler).Wait(); err != nil {
		system.Logger().Warn("scheduler did not stop in time", "error", err)
	}
	p.Scheduler = nil
	p.release(system)
}

func (p *Pipeline) release(system *actor.ActorSystem) {
	if _, err := system.Root.RequestFuture(p.Fetcher, releaseChildren{}, releaseTimeout).Result(); err != nil {
		system.Logger().Warn("fetcher did not release its actors in time", "error", err)
	}
}

// Stop stops the pipeline's actors, the scheduler first so that no new
// cycle starts.
//
// It waits until each has stopped, children included, so that no actor
// reads or writes state after the caller closes the store and the mirror.
func (p *Pipeline) Stop(system *actor.ActorSystem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pid := range []*actor.PID{p.Scheduler, p.Fetcher, p.Scorer} {
		if pid == nil {
			continue
		}
		if err := system.Root.StopFuture(pid).Wait(); err != nil {
			system.Logger().Warn("actor did not stop in time", "actor", pid.GetId(), "error", err)
		}
	}
}
