// Package actors holds nflsync's behaviour as protoactor-go actors: the
// scheduler ticks the fetcher, the fetcher routes each poll to one actor per
// player and per game, those find the changes, the scorer computes points,
// and the hub hands the encoded messages to the session actors that
// subscribed to them.
package actors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/messages"
)

// PipelineConfig configures StartPipeline.
type PipelineConfig struct {
	Source messages.Source
	Clock  messages.Clock
	Hub    *Hub

	// RuleSets are the scoring rule sets that every PLAYER_UPDATE carries.
	RuleSets []*scoring.RuleSet

	// LiveInterval is the polling interval while a game is live or about to
	// start; OffseasonInterval applies otherwise.
	LiveInterval      time.Duration
	OffseasonInterval time.Duration

	// Polling false starts no scheduler: nothing polls the source.
	Polling bool

	Logger *slog.Logger
}

// Pipeline is the running set of top-level actors.
type Pipeline struct {
	Scheduler *actor.PID // nil when polling is off
	Fetcher   *actor.PID
	Scorer    *actor.PID
}

// StartPipeline spawns the scorer, the fetcher and, when polling is on, the
// scheduler, which sends the first tick at once. It returns an error for an
// incomplete configuration.
func StartPipeline(system *actor.ActorSystem, config PipelineConfig) (*Pipeline, error) {
	if config.Source == nil || config.Clock == nil || config.Hub == nil {
		return nil, fmt.Errorf("start pipeline: source, clock and hub are required")
	}
	if config.LiveInterval <= 0 || config.OffseasonInterval <= 0 {
		return nil, fmt.Errorf("start pipeline: intervals must be positive, got live %s and offseason %s",
			config.LiveInterval, config.OffseasonInterval)
	}
	logger := config.Logger
	if logger == nil {
		logger = slog.Default()
	}

	scorer, err := scoring.NewScorer(config.RuleSets...)
	if err != nil {
		return nil, fmt.Errorf("start pipeline: %w", err)
	}

	pipeline := &Pipeline{}
	pipeline.Scorer = system.Root.Spawn(newScorerProps(scorer, config.Hub, logger))
	pipeline.Fetcher = system.Root.Spawn(newFetcherProps(config.Source, config.Clock, pipeline.Scorer, config.Hub, logger))

	if config.Polling {
		pipeline.Scheduler = system.Root.Spawn(newSchedulerProps(config.Clock, pipeline.Fetcher,
			config.LiveInterval, config.OffseasonInterval, logger))
	}
	return pipeline, nil
}

// Stop stops the pipeline's actors, the scheduler first so that no new
// cycle starts.
func (p *Pipeline) Stop(system *actor.ActorSystem) {
	if p.Scheduler != nil {
		system.Root.Stop(p.Scheduler)
	}
	system.Root.Stop(p.Fetcher)
	system.Root.Stop(p.Scorer)
}
