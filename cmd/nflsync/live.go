package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/adapters/espn"
	"github.com/nflsync/nflsync/adapters/nflverse"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

// idDownloadTimeout bounds the download of one schedule or roster file for
// the ESPN ID map.
const idDownloadTimeout = 2 * time.Minute

// startLive starts the live poller that NFL_SYNC_LIVE_SOURCE names, or
// returns nil when it is off.
//
//   - espn polls ESPN at NFL_SYNC_ESPN_BASE_URL. ESPN ids map to nflverse ids
//     through the schedule (espn column) and the roster (espn_id) of the
//     nflverse replay directory when NFL_SYNC_SOURCE is a replay, else
//     downloaded as CSV from NFL_SYNC_NFLVERSE_BASE_URL.
//   - replay:DIR plays the saved scoreboards DIR/*.json in capture order,
//     one per poll, without summaries. An event that the schedule does not
//     have gets the game_id that nflverse's rule gives it,
//     <season>_<week>_<away>_<home>, so that a demo can show a game that no
//     nflverse file has.
func startLive(system *actor.ActorSystem, cfg *config, hub *actors.Hub, state *actors.StateKeeper,
	recorder *metrics.Metrics, clock messages.Clock, logger *slog.Logger) (*actors.Live, error) {
	live := actors.LiveConfig{
		Hub:      hub,
		State:    state,
		Clock:    clock,
		Interval: cfg.LiveInterval,
		Metrics:  recorder,
		Logger:   logger,
	}
	nflverseFiles := nflverseIDFiles(cfg)

	switch dir, replay := strings.CutPrefix(cfg.LiveSource, liveReplayPrefix); {
	case cfg.LiveSource == liveSourceOff:
		return nil, nil

	case replay:
		scoreboards, extra, err := readLiveReplay(dir)
		if err != nil {
			return nil, err
		}
		live.Scoreboards = scoreboards
		live.LoadIDs = func(ctx context.Context, season int32) (*espn.IDMap, error) {
			games, roster, err := nflverseFiles(ctx, season)
			if err != nil {
				return nil, err
			}
			return espn.NewIDMap(withReplayGames(games, extra), roster)
		}

	default:
		client, err := espn.NewClient(espn.Config{BaseURL: valueOr(cfg.ESPNBaseURL, espn.DefaultBaseURL)})
		if err != nil {
			return nil, fmt.Errorf("invalid NFL_SYNC_ESPN_BASE_URL: %w", err)
		}
		live.Scoreboards, live.Summaries = client, client
		live.LoadIDs = func(ctx context.Context, season int32) (*espn.IDMap, error) {
			games, roster, err := nflverseFiles(ctx, season)
			if err != nil {
				return nil, err
			}
			return espn.NewIDMap(games, roster)
		}
	}
	return actors.StartLive(system, live)
}

// readLiveReplay reads the saved scoreboards DIR/*.json and returns their
// replay and one schedule row per event, with the game_id of nflverse's rule.
func readLiveReplay(dir string) (*espn.LiveReplay, []espn.ScheduleGame, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		return nil, nil, fmt.Errorf("open live replay %s: no *.json scoreboards found", dir)
	}
	sort.Strings(paths)

	var boards []*espn.Scoreboard
	var games []espn.ScheduleGame
	for _, path := range paths {
		body, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open live replay: %w", err)
		}
		board, err := espn.ParseScoreboard(body)
		if err != nil {
			return nil, nil, fmt.Errorf("open live replay %s: %w", path, err)
		}
		boards = append(boards, board)

		gameType := "REG"
		if board.SeasonType == 3 {
			gameType = "POST"
		}
		for _, game := range board.Games {
			games = append(games, espn.ScheduleGame{
				GameID:   fmt.Sprintf("%d_%02d_%s_%s", board.Season, board.Week, game.AwayTeam, game.HomeTeam),
				Season:   board.Season,
				Week:     board.Week,
				GameType: gameType,
				AwayTeam: game.AwayTeam,
				HomeTeam: game.HomeTeam,
				EspnID:   game.EspnID,
			})
		}
	}

	replay, err := espn.NewLiveReplay(boards)
	if err != nil {
		return nil, nil, fmt.Errorf("open live replay %s: %w", dir, err)
	}
	return replay, games, nil
}

// withReplayGames adds the replay's rows whose ESPN event the schedule does
// not have.
func withReplayGames(games, extra []espn.ScheduleGame) []espn.ScheduleGame {
	known := make(map[string]bool, len(games))
	for _, game := range games {
		known[game.EspnID] = true
	}
	for _, game := range extra {
		if !known[game.EspnID] {
			known[game.EspnID] = true
			games = append(games, game)
		}
	}
	return games
}

// nflverseIDFiles returns a function that reads the schedule and a season's
// roster for the ESPN ID map: from the nflverse replay directory when
// NFL_SYNC_SOURCE is a replay (every roster_*.csv in it, since a replay
// holds one season), else from nflverse's CSV release files.
func nflverseIDFiles(cfg *config) func(ctx context.Context, season int32) ([]espn.ScheduleGame, []*messages.RosterEntry, error) {
	if dir, ok := strings.CutPrefix(cfg.Source, sourceReplayPrefix); ok {
		return func(context.Context, int32) ([]espn.ScheduleGame, []*messages.RosterEntry, error) {
			games, err := readLocal(filepath.Join(dir, "games.csv"), espn.ReadScheduleGames)
			if err != nil {
				return nil, nil, err
			}
			rosterPaths, _ := filepath.Glob(filepath.Join(dir, "roster_*.csv"))
			var roster []*messages.RosterEntry
			for _, path := range rosterPaths {
				entries, err := readLocal(path, nflverse.ReadRoster)
				if err != nil {
					return nil, nil, err
				}
				roster = append(roster, entries...)
			}
			return games, roster, nil
		}
	}

	baseURL := strings.TrimSuffix(valueOr(cfg.NflverseBaseURL, nflverse.DefaultBaseURL), "/")
	client := &http.Client{Timeout: idDownloadTimeout}
	return func(ctx context.Context, season int32) ([]espn.ScheduleGame, []*messages.RosterEntry, error) {
		games, err := download(ctx, client, baseURL+"/schedules/games.csv", espn.ReadScheduleGames)
		if err != nil {
			return nil, nil, err
		}
		roster, err := download(ctx, client, fmt.Sprintf("%s/rosters/roster_%d.csv", baseURL, season), nflverse.ReadRoster)
		var status *downloadStatusError
		if errors.As(err, &status) && status.code == http.StatusNotFound {
			// Early in a season: games map, players wait for the roster.
			slog.Warn("roster not published yet, espn players do not map", "season", season)
			return games, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		return games, roster, nil
	}
}

func readLocal[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	file, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("read %s for the espn ID map: %w", path, err)
	}
	defer file.Close()
	return read(file, filepath.Base(path))
}

type downloadStatusError struct {
	url  string
	code int
}

func (e *downloadStatusError) Error() string {
	return fmt.Sprintf("GET %s: unexpected status %d", e.url, e.code)
}

// download fetches one CSV file and parses it with read.
func download[T any](ctx context.Context, client *http.Client, address string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return zero, err
	}
	response, err := client.Do(request)
	if err != nil {
		return zero, fmt.Errorf("download %s for the espn ID map: %w", address, err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return zero, &downloadStatusError{url: address, code: response.StatusCode}
	}
	return read(response.Body, filepath.Base(address))
}
