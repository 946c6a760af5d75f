package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/adapters/websocket"
	"github.com/nflsync/nflsync/messages"
)

// shutdownTimeout bounds the graceful stop of the HTTP server.
const shutdownTimeout = 10 * time.Second

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
	source, clock, err := openSource(cfg)
	if err != nil {
		return err
	}

	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return logger.With("component", "protoactor")
	}))
	defer system.Shutdown()

	hub := actors.NewHub()
	pipeline, err := actors.StartPipeline(system, actors.PipelineConfig{
		Source:            source,
		Clock:             clock,
		Hub:               hub,
		RuleSets:          scoring.Presets(),
		LiveInterval:      cfg.Interval,
		OffseasonInterval: cfg.OffseasonInterval,
		Polling:           cfg.Enabled,
		Logger:            logger,
	})
	if err != nil {
		return err
	}
	defer pipeline.Stop(system)

	mux := http.NewServeMux()
	mux.Handle("/ws", websocket.NewHandler(system, hub, websocket.Options{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})

	listener, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (NFL_SYNC_LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	logger.Info("nflsync started", "listen_addr", listener.Addr().String(), "source", cfg.Source,
		"polling", cfg.Enabled, "interval", cfg.Interval, "offseason_interval", cfg.OffseasonInterval)
	if ready != nil {
		ready <- listener.Addr().String()
	}

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}

	logger.Info("nflsync stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("HTTP shutdown incomplete", "error", err)
	}
	return nil
}

// openSource builds the source that NFL_SYNC_SOURCE names, with the clock the
// scheduler follows: the replay's own clock for a replay, the wall clock
// otherwise.
func openSource(cfg *config) (messages.Source, messages.Clock, error) {
	if dir, ok := strings.CutPrefix(cfg.Source, sourceReplayPrefix); ok {
		replay, err := nflverse.NewReplay(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("open replay source %s: %w", dir, err)
		}
		return replay, replay, nil
	}

	baseURL := valueOr(cfg.NflverseBaseURL, nflverse.DefaultBaseURL)
	clock := messages.SystemClock{}
	return nflverse.NewHTTPSource(baseURL, &http.Client{}, clock), clock, nil
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}

	options := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, options))
	}
	return slog.New(slog.NewTextHandler(w, options))
}
