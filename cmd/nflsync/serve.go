package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/httpapi"
	"github.com/nflsync/nflsync/adapters/membership"
	"github.com/nflsync/nflsync/adapters/mongo"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/adapters/websocket"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
	"github.com/nflsync/nflsync/web"
)

// shutdownTimeout bounds the graceful stop of the HTTP server.
const shutdownTimeout = 10 * time.Second

// errClusterIsolated stops a cluster node that lost the majority of its
// peers after it had one. protoactor's member list blocks every member that
// failed a health check, by member id and for the life of the process, so
// the node could never see those peers again. The exit lets the supervisor
// restart it with a new member id, which the peers accept once the network
// is back.
var errClusterIsolated = errors.New("cut off from the majority of the cluster's peers, " +
	"which block this member for good: exiting so that a restart rejoins with a new member id")

// runServe runs the server until SIGINT or SIGTERM.
func runServe(args []string, getenv func(string) string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "nflsync serve: unexpected arguments %q; configure it with NFL_SYNC_* variables\n", args)
		return 2
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "nflsync serve: %v\n", err)
		return 2
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)
	raiseOpenFileLimit(logger)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := serve(ctx, cfg, logger, nil); err != nil {
		logger.Error("nflsync stopped with an error", "error", err)
		return 1
	}
	return 0
}

// serve starts every component, serves until ctx is done and stops them in
// reverse order. When ready is not nil it receives the listener's address
// once the server accepts connections.
func serve(ctx context.Context, cfg *config, logger *slog.Logger, ready chan<- string) error {
	ctx, stopServe := context.WithCancelCause(ctx)
	defer stopServe(nil)

	stopPprof, err := startPprof(cfg.PprofAddr, logger)
	if err != nil {
		return fmt.Errorf("listen for pprof on NFL_SYNC_PPROF_ADDR %s: %w", cfg.PprofAddr, err)
	}
	defer stopPprof()

	recorder := metrics.New()
	source, clock, err := openSource(cfg, recorder)
	if err != nil {
		return err
	}
	recorder.ClusterMembers.Set(1)
	readiness := metrics.NewReadiness(metrics.DependencySource, metrics.DependencyStore, metrics.DependencyMirror)

	// The fetcher forwards Remirror to every player and game actor. The
	// mirror can report a loss before the pipeline exists, so the PID is
	// read when the report comes.
	var fetcher atomic.Pointer[actor.PID]
	var system *actor.ActorSystem
	remirror := func() {
		if pid := fetcher.Load(); pid != nil {
			logger.Warn("mirror lost its contents, refilling it")
			system.Root.Send(pid, &messages.Remirror{})
		}
	}

	state, closeState, err := openState(ctx, cfg, logger, recorder, remirror)
	if err != nil {
		return err
	}
	defer closeState()
	readiness.SetStoreConnected(true)
	readiness.SetMirrorConnected(true)

	if replay, ok := source.(*nflverse.Replay); ok {
		resumeReplay(ctx, replay, state.store, logger)
	}
	stopKeeper := runInBackground(state.keeper.Run)
	defer stopKeeper()
	stopRows := runInBackground(state.rows.Run)
	defer stopRows()

	protoactorLogger := slog.New(newRepeatLimiter(logger.Handler())).With("component", "protoactor")
	system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return protoactorLogger
	}))
	// A cluster member's Stop shuts the actor system down itself, after
	// the pipeline stopped.
	var node *membership.Node
	defer func() {
		if node != nil {
			node.Stop()
		}
		if !system.IsStopped() {
			system.Shutdown()
		}
	}()

	hub := actors.NewHub()
	registry, err := actors.NewRuleSetRegistry(scoring.Presets()...)
	if err != nil {
		return err
	}

	// In a cluster the player, game and league actors are virtual actors
	// that the placement locates on the member that owns them.
	var placement *membership.Placement
	var actorPlacement actors.Placement
	if cfg.ClusterName != "" {
		placement = membership.NewPlacement()
		actorPlacement = placement
	}
	activations := actors.NewActivations(recorder.VirtualActors)

	leagues, err := startLeagues(ctx, system, hub, state, registry, source, actorPlacement, activations, logger)
	if err != nil {
		return err
	}
	defer leagues.Stop()

	listeners := []*actor.PID{spawnReadinessListener(system, readiness)}
	live, err := startLive(system, cfg, hub, state.keeper, recorder, clock, logger)
	if err != nil {
		return err
	}
	if live != nil {
		listeners = append(listeners, live.PID())
	}

	pipeline, err := actors.StartPipeline(system, actors.PipelineConfig{
		Source:            source,
		Clock:             clock,
		Hub:               hub,
		State:             state.keeper,
		Store:             state.store,
		Metrics:           recorder,
		RuleSets:          scoring.Presets(),
		Registry:          registry,
		Leagues:           leagues.PID(),
		LiveInterval:      cfg.Interval,
		OffseasonInterval: cfg.OffseasonInterval,
		Polling:           cfg.Enabled && cfg.ClusterName == "",
		Placement:         actorPlacement,
		Activations:       activations,
		Logger:            logger,
		CycleListeners:    listeners,
	})
	if err != nil {
		return err
	}
	defer pipeline.Stop(system)
	if cfg.Enabled && cfg.ClusterName == "" {
		recorder.Polling.Set(1)
	}
	if live != nil {
		live.Attach(system, pipeline)
		defer live.Stop(system)
	}
	fetcher.Store(pipeline.Fetcher)
	pipeline.Snapshots.Leagues = leagues

	sessions := websocket.NewHandler(system, hub, websocket.Options{
		AllowedOrigins: websocket.ParseAllowedOrigins(cfg.AllowedOrigins),
		AuthSecret:     []byte(cfg.AuthSecret),
		Snapshotter:    pipeline.Snapshots,
		Metrics:        recorder.Sessions(),

		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP,
		ConnectionRate:      float64(cfg.ConnectionRate),
		ConnectionBurst:     cfg.ConnectionBurst,
	})

	if cfg.ClusterName != "" {
		state.keeper.SetMirrorWriteThroughObserver(recorder.SetMirrorWriteThroughPaused)
		state.keeper.SetMirrorWriteThrough(true)

		// Until the node reaches a majority of the cluster it gets no
		// changes, so WebSocket upgrades are rejected.
		sessions.Isolate(1, cfg.ClusterSize)
		if node, err = joinCluster(ctx, cfg, system, hub, pipeline, leagues, placement, sessions, source, state.store,
			recorder, readiness, stopServe, logger); err != nil {
			return err
		}
		// Leaving the cluster first lets another node take over polling
		// while this one stops.
		defer node.Leave()
	}

	api := httpapi.NewHandler(leagues, httpapi.Options{AdminAPIKey: cfg.AdminAPIKey, Logger: logger})
	if err := serveHTTP(ctx, cfg, logger, ready, sessions, api, recorder, readiness); err != nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, errClusterIsolated) {
		return cause
	}
	return nil
}

// isolatedStopTimeout bounds the stop of a node that lost its majority.
// Its state keeper finishes the store write in progress, which never is
// cut off mid-chunk and can take up to stateWriteTimeout (2 min) on a busy
// embedded FerretDB, and its clients are already gone. The bound stays under
// Kubernetes' default grace period of 30 s and leaves the final flush its
// 20 s.
//
// NOTE: store writes still queued when the bound ends are lost. The mirror
// has the rows, but the actors that take over rehydrate from it and do not
// write them to the store again.
const isolatedStopTimeout = 25 * time.Second

// exitAfter ends the process with status 1 if it still runs after timeout.
func exitAfter(timeout time.Duration, logger *slog.Logger) {
	time.AfterFunc(timeout, func() {
		logger.Error("stop after cluster isolation timed out, exiting", "timeout", timeout)
		os.Exit(1)
	})
}

// joinCluster joins the cluster that the NFL_SYNC_CLUSTER_* variables name.
// The pipeline polls only while this node is the cluster's polling node; a
// replay then continues from the week the last stored sync run revealed.
// sessions accepts WebSocket clients while the node reaches a majority of
// the cluster, and so does /readyz with the automanaged provider. When the
// node stops seeing one after it had one, sessions sends its clients
// NODE_STATUS and closes them, and stop ends the process with
// errClusterIsolated.
func joinCluster(ctx context.Context, cfg *config, system *actor.ActorSystem, hub *actors.Hub, pipeline *actors.Pipeline,
	leagues *actors.Leagues, placement *membership.Placement, sessions *websocket.Handler, source messages.Source,
	store messages.Store, recorder *metrics.Metrics, readiness *metrics.Readiness, stop context.CancelCauseFunc,
	logger *slog.Logger) (*membership.Node, error) {
	kinds := maps.Clone(pipeline.Kinds)
	maps.Copy(kinds, leagues.Kinds)

	// The kubernetes provider counts a pod as a member only once its
	// readiness probe passes, so /readyz cannot wait for a majority there:
	// no pod would ever become ready. It reports the source reached from
	// the start, and a node without a majority stays in the Service but
	// rejects WebSocket upgrades.
	quorumReadiness := cfg.ClusterProvider != membership.ProviderKubernetes
	if !quorumReadiness {
		readiness.SetSourceReached(true)
	}

	var hadQuorum atomic.Bool
	node, err := membership.Start(system, membership.Config{
		Name:         cfg.ClusterName,
		Provider:     cfg.ClusterProvider,
		BindAddr:     cfg.ClusterBindAddr,
		ProviderPort: cfg.ClusterProviderPort,
		Peers:        cfg.ClusterPeers,
		Size:         cfg.ClusterSize,
		Hub:          hub,
		Leagues:      leagues,
		Kinds:        kinds,
		Placement:    placement,
		Logger:       logger,

		// Only the polling node reaches the source, so the others count
		// it reached while they are part of a majority, and a node on
		// the small side of a partition leaves the load balancer.
		OnTopology: func(members int, quorum bool) {
			recorder.ClusterMembers.Set(float64(members))
			if quorumReadiness {
				readiness.SetSourceReached(quorum)
			}
			if quorum {
				hadQuorum.Store(true)
				sessions.Rejoin()
				return
			}

			sessions.Isolate(members, cfg.ClusterSize)
			if hadQuorum.Load() {
				logger.Error("cluster node isolated, stopping", "members", members,
					"size", cfg.ClusterSize, "error", errClusterIsolated)
				stop(errClusterIsolated)
				exitAfter(isolatedStopTimeout, logger)
			}
		},
		OnLeadership: func(leading bool) {
			if !leading {
				recorder.Polling.Set(0)
				pipeline.Follow(system)
				return
			}
			if !cfg.Enabled {
				return
			}
			if replay, ok := source.(*nflverse.Replay); ok {
				resumeReplay(ctx, replay, store, logger)
			}
			pipeline.Lead(system)
			recorder.Polling.Set(1)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("join cluster %s (NFL_SYNC_CLUSTER_NAME): %w", cfg.ClusterName, err)
	}
	return node, nil
}

// startLeagues starts the leagues directory over the stored leagues. A
// roster entry counts as a known player when the StateKeeper has the
// player's stats, the store's roster has the gsis_id, or the replay's
// roster file lists it. With a placement the league actors are the cluster
// kind actors.KindLeague.
func startLeagues(ctx context.Context, system *actor.ActorSystem, hub *actors.Hub, state *stateServices,
	registry *actors.RuleSetRegistry, source messages.Source, placement actors.Placement, activations *actors.Activations,
	logger *slog.Logger) (*actors.Leagues, error) {
	replayRoster := make(map[string]bool)
	if replay, ok := source.(*nflverse.Replay); ok {
		for _, entry := range replay.Roster() {
			replayRoster[entry.GetGsisId()] = true
		}
	}
	store, _ := state.store.(*mongo.Store)

	config := actors.LeaguesConfig{Hub: hub, State: state.keeper, Registry: registry, Logger: logger,
		Placement: placement, Activations: activations,
		KnownPlayer: func(ctx context.Context, playerID string) (bool, error) {
			if _, found, err := state.keeper.PeekPlayer(ctx, playerID); found || err != nil {
				return found, err
			}
			if replayRoster[playerID] || store == nil {
				return replayRoster[playerID], nil
			}
			return store.KnownPlayer(ctx, playerID)
		}}
	if store != nil {
		config.Store = store
	}
	return actors.StartLeagues(ctx, system, config)
}

// serveHTTP serves the public routes, and /metrics on NFL_SYNC_METRICS_ADDR
// when it is set (else on the public listener), until ctx is done. It closes
// the WebSocket sessions first, with a reconnect hint, then the listeners.
func serveHTTP(ctx context.Context, cfg *config, logger *slog.Logger, ready chan<- string,
	sessions *websocket.Handler, api http.Handler, recorder *metrics.Metrics, readiness *metrics.Readiness) error {
	mux := http.NewServeMux()
	mux.Handle(websocket.Path, sessions)
	mux.Handle(httpapi.Prefix, api)
	mux.Handle("/", web.StaticHandler())
	mux.Handle("/readyz", readiness)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})

	servers := []*http.Server{{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	addresses := []string{cfg.ListenAddr}
	if cfg.MetricsAddr == "" {
		mux.Handle(metrics.Path, recorder.Handler())
	} else {
		metricsMux := http.NewServeMux()
		metricsMux.Handle(metrics.Path, recorder.Handler())
		servers = append(servers, &http.Server{Handler: metricsMux, ReadHeaderTimeout: 10 * time.Second})
		addresses = append(addresses, cfg.MetricsAddr)
	}

	served := make(chan error, len(servers))
	var publicAddress string
	for i, server := range servers {
		listener, err := net.Listen("tcp", addresses[i])
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addresses[i], err)
		}
		defer listener.Close()
		if i == 0 {
			publicAddress = listener.Addr().String()
		}
		logger.Info("listening", "address", listener.Addr().String(), "metrics_here", i == len(servers)-1)
		go func() { served <- server.Serve(listener) }()
	}

	logger.Info("nflsync started", "listen_addr", publicAddress, "source", cfg.Source,
		"polling", cfg.Enabled, "interval", cfg.Interval, "offseason_interval", cfg.OffseasonInterval,
		"live_source", cfg.LiveSource, "live_interval", cfg.LiveInterval)
	if ready != nil {
		ready <- publicAddress
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}

	logger.Info("nflsync stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := sessions.Shutdown(shutdownCtx); err != nil {
		logger.Warn("WebSocket shutdown incomplete", "error", err)
	}
	for _, server := range servers {
		if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("HTTP shutdown incomplete", "error", err)
		}
	}
	return nil
}

// runInBackground runs loop in a goroutine and returns a function that
// cancels it and waits for it to return.
func runInBackground(loop func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		loop(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// spawnReadinessListener spawns an actor that marks the source reached after
// the first successful sync cycle.
func spawnReadinessListener(system *actor.ActorSystem, readiness *metrics.Readiness) *actor.PID {
	return system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if report, ok := ctx.Message().(*messages.SyncFinished); ok && report.GetOk() {
			readiness.SetSourceReached(true)
		}
	}))
}

// openSource builds the source that NFL_SYNC_SOURCE names, with the clock the
// scheduler follows: the replay's own clock for a replay, the wall clock
// otherwise. Every HTTP request the nflverse source makes is counted in
// recorder.
func openSource(cfg *config, recorder *metrics.Metrics) (messages.Source, messages.Clock, error) {
	if dir, ok := strings.CutPrefix(cfg.Source, sourceReplayPrefix); ok {
		replay, err := nflverse.NewReplay(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("open replay source %s: %w", dir, err)
		}
		return replay, replay, nil
	}

	format, err := nflverse.ParseFormat(cfg.NflverseFormat)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid NFL_SYNC_NFLVERSE_FORMAT: %w", err)
	}
	clock := messages.SystemClock{}
	source, err := nflverse.NewHTTPSourceWithOptions(nflverse.HTTPOptions{
		BaseURL: valueOr(cfg.NflverseBaseURL, nflverse.DefaultBaseURL),
		Format:  format,
		Clock:   clock,
		Observer: nflverse.ObserverFunc(func(_, outcome string, bytes int64) {
			recorder.SourceRequests.WithLabelValues(metrics.SourceNflverse, outcome).Inc()
			recorder.SourceBytes.WithLabelValues(metrics.SourceNflverse).Add(float64(bytes))
			if outcome == nflverse.OutcomeNotModified {
				recorder.SourceNotModified.WithLabelValues(metrics.SourceNflverse).Inc()
			}
		}),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open nflverse source: %w", err)
	}
	return source, clock, nil
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	// loadConfig has validated the level.
	_ = level.UnmarshalText([]byte(cfg.LogLevel))

	options := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, options))
	}
	return slog.New(slog.NewTextHandler(w, options))
}
