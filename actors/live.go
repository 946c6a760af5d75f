package actors

// The live poller actor owns the polling of ESPN's scoreboard and
// summaries, which give scores, clock and stats while a game is played,
// days before nflverse publishes them. It owns the ID map from ESPN ids to
// nflverse ids, the last ESPN status of each event, and the set of ESPN ids
// already reported as unmapped or rejected. It polls every Interval while
// a game of the current week is in its live window (from the fetcher's
// SyncFinished) or ESPN reports one in progress, once at start, and not
// otherwise. Requests run in a goroutine, off its mailbox.
//
// It takes:
//   - liveAttach from Live.Attach: the fetcher and scorer of the pipeline.
//   - *messages.SyncFinished from the fetcher (as a cycle listener): the
//     current week's game timings.
//   - livePollDue from its own timer, and livePollResult from its poll
//     goroutine.
//
// It sends:
//   - *messages.ObserveLiveGame to the game actor of each mapped game that
//     ESPN reports started, when it differs from the last one sent.
//   - *messages.ObserveLivePlayer to the player actor of each mapped athlete
//     of the summary of a game in progress, and of a game that became final
//     since the last poll (one last summary).
//
// The game and player actors are the fetcher's children, found by the
// names the fetcher gives them ("game-<game_id>", "player-<gsis_id>"). An
// actor the fetcher has not started yet is started under that same name,
// so that each game and player keeps a single owner: the fetcher reuses it
// when it spawns the name later (and logs that it did).
//
// TODO: actors imports adapters/espn for the scoreboard and summary types;
// a port in messages would keep the layering, at the cost of copying them.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/adapters/espn"
	"github.com/nflsync/nflsync/messages"
	"github.com/nflsync/nflsync/metrics"
)

const (
	// livePollTimeout bounds one poll: the scoreboard, the ID map and the
	// summaries.
	livePollTimeout = time.Minute

	// liveIDMapMaxAge is how long an ID map is used before it is loaded
	// again, so that players added to the roster map during the season.
	liveIDMapMaxAge = 6 * time.Hour
)

// SummarySource returns the summary (boxscore) of one ESPN event.
// *espn.Client implements it.
type SummarySource interface {
	Summary(ctx context.Context, espnEventID string) (*espn.Summary, error)
}

// IDMapLoader loads the map from ESPN ids to nflverse ids for a season:
// the schedule with its espn column and the roster with espn_id.
type IDMapLoader func(ctx context.Context, season int32) (*espn.IDMap, error)

// LiveConfig configures StartLive.
type LiveConfig struct {
	Scoreboards espn.ScoreboardSource

	// Summaries is nil when no player stats are read live, as in a replay
	// of saved scoreboards.
	Summaries SummarySource

	LoadIDs IDMapLoader

	Hub   *Hub
	State *StateKeeper

	// Clock tells the time of the game timings. Polls are timed on the
	// wall clock.
	Clock messages.Clock

	// Interval is the time between polls while a game is live.
	Interval time.Duration

	// Metrics records requests and rejected events; nil records into a
	// registry nobody serves.
	Metrics *metrics.Metrics
	Logger  *slog.Logger

	// onPoll, when set, is called after each poll result is handled.
	// Tests use it.
	onPoll func()
}

// Live is the running live poller.
type Live struct {
	pid *actor.PID
}

// liveAttach gives the poller the pipeline's fetcher and scorer.
type liveAttach struct {
	fetcher *actor.PID
	scorer  *actor.PID
}

// livePollDue is the poll timer firing.
type livePollDue struct{}

// livePollResult carries one poll's responses back into the actor.
type livePollResult struct {
	board    *espn.Scoreboard
	boardErr error

	// ids is the ID map the poll used, newly loaded when loaded is true.
	ids    *espn.IDMap
	loaded bool
	idsErr error

	summaries   []*espn.Summary
	summaryErrs map[string]error // by ESPN event id
}

// StartLive spawns the live poller. Pass Live.PID among the pipeline's
// CycleListeners, then call Attach with the started pipeline: the first
// poll runs then.
func StartLive(system *actor.ActorSystem, config LiveConfig) (*Live, error) {
	if config.Scoreboards == nil || config.LoadIDs == nil || config.Hub == nil || config.State == nil || config.Clock == nil {
		return nil, fmt.Errorf("start live poller: scoreboards, ID map loader, hub, state and clock are required")
	}
	if config.Interval <= 0 {
		return nil, fmt.Errorf("start live poller: interval must be positive, got %s", config.Interval)
	}
	if config.Logger == nil {
		config.Logger = slog.Default()
	}
	if config.Metrics == nil {
		config.Metrics = metrics.New()
	}

	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &liveActor{
			LiveConfig: config,
			sent:       make(map[string]*messages.Game),
			statuses:   make(map[string]string),
			reported:   make(map[string]bool),
		}
	}))
	return &Live{pid: pid}, nil
}

// PID returns the poller's PID, for PipelineConfig.CycleListeners.
func (l *Live) PID() *actor.PID { return l.pid }

// Attach hands the poller the pipeline whose game and player actors it
// feeds, and starts polling.
func (l *Live) Attach(system *actor.ActorSystem, pipeline *Pipeline) {
	system.Root.Send(l.pid, liveAttach{fetcher: pipeline.Fetcher, scorer: pipeline.Scorer})
}

// Stop stops the poller. The game and player actors it started stop with
// the actor system.
func (l *Live) Stop(system *actor.ActorSystem) {
	_ = system.Root.StopFuture(l.pid).Wait()
}

type liveActor struct {
	LiveConfig

	fetcher *actor.PID
	scorer  *actor.PID

	// season, week and timings are the current week from the last
	// successful SyncFinished.
	season  int32
	week    int32
	timings []*messages.GameTiming

	ids       *espn.IDMap
	idsSeason int32
	idsLoaded time.Time

	// sent is the last game sent to each game actor, by game_id.
	sent map[string]*messages.Game

	// statuses is the ESPN status of each event of the last scoreboard,
	// by ESPN event id.
	statuses map[string]string

	// reported are the ESPN ids already logged as unmapped or rejected,
	// so that each is logged and counted once.
	reported map[string]bool

	polling bool
	timer   *time.Timer
}

func (a *liveActor) Receive(ctx actor.Context) {
	switch message := ctx.Message().(type) {
	case liveAttach:
		a.fetcher, a.scorer = message.fetcher, message.scorer
		a.poll(ctx)

	case *messages.SyncFinished:
		if !message.GetOk() {
			return
		}
		a.season, a.week, a.timings = message.GetSeason(), message.GetWeek(), message.GetGames()
		if a.timer == nil && !a.polling && a.fetcher != nil && a.due() {
			a.poll(ctx)
		}

	case livePollDue:
		a.timer = nil
		a.poll(ctx)

	case livePollResult:
		a.polling = false
		a.handle(ctx, message)
		if a.due() {
			a.schedule(ctx)
		}
		if a.onPoll != nil {
			a.onPoll()
		}

	case *actor.Stopping:
		if a.timer != nil {
			a.timer.Stop()
		}
	}
}

// due reports whether ESPN reports a game in progress, or a game of the
// current week is in its live window and ESPN has not reported it over.
func (a *liveActor) due() bool {
	for _, status := range a.statuses {
		if inProgress(status) {
			return true
		}
	}

	now := a.Clock.Now()
	for _, game := range a.timings {
		if game.GetFinal() || game.GetKickoffUnix() == 0 {
			continue
		}
		kickoff := time.Unix(game.GetKickoffUnix(), 0)
		if now.Before(kickoff.Add(-liveWindowLead)) || !now.Before(kickoff.Add(liveWindowMax)) {
			continue
		}
		if status, known := a.gameStatus(game.GetGameId()); !known || !over(status) {
			return true
		}
	}
	return false
}

// gameStatus returns ESPN's last status of a game by its game_id.
func (a *liveActor) gameStatus(gameID string) (string, bool) {
	if game, ok := a.sent[gameID]; ok {
		return game.GetStatus(), true
	}
	return "", false
}

// inProgress reports whether an ESPN status is one of a game being played.
func inProgress(status string) bool {
	switch status {
	case espn.StatusInProgress, espn.StatusHalftime, espn.StatusEndPeriod, espn.StatusDelayed, espn.StatusSuspended:
		return true
	}
	return false
}

// over reports whether an ESPN status ends a game's live window.
func over(status string) bool {
	return status == espn.StatusFinal || status == espn.StatusPostponed || status == espn.StatusCanceled
}

func (a *liveActor) schedule(ctx actor.Context) {
	if a.timer != nil {
		a.timer.Stop()
	}
	system, self := ctx.ActorSystem(), ctx.Self()
	a.timer = time.AfterFunc(a.Interval, func() { system.Root.Send(self, livePollDue{}) })
}

// poll starts one poll in a goroutine unless one is running.
func (a *liveActor) poll(ctx actor.Context) {
	if a.polling || a.fetcher == nil {
		return
	}
	a.polling = true

	previous := make(map[string]string, len(a.statuses))
	for id, status := range a.statuses {
		previous[id] = status
	}
	ids := a.ids
	if ids != nil && time.Since(a.idsLoaded) > liveIDMapMaxAge {
		ids = nil
	}
	idsSeason := a.idsSeason
	scoreboards, summaries, loadIDs := a.Scoreboards, a.Summaries, a.LoadIDs
	system, self := ctx.ActorSystem(), ctx.Self()
	go func() {
		pollCtx, cancel := context.WithTimeout(context.Background(), livePollTimeout)
		defer cancel()

		system.Root.Send(self, fetchLive(pollCtx, scoreboards, summaries, loadIDs, ids, idsSeason, previous))
	}()
}

// fetchLive fetches the scoreboard, the ID map when ids is nil or of
// another season, and the summaries of the games in progress and of the
// games that were in progress at the previous poll.
func fetchLive(ctx context.Context, scoreboards espn.ScoreboardSource, summaries SummarySource, loadIDs IDMapLoader,
	ids *espn.IDMap, idsSeason int32, previous map[string]string) livePollResult {
	var result livePollResult
	result.board, result.boardErr = scoreboards.Scoreboard(ctx, espn.ScoreboardQuery{})
	if result.boardErr != nil {
		return result
	}

	result.ids = ids
	if ids == nil || idsSeason != result.board.Season {
		result.ids, result.idsErr = loadIDs(ctx, result.board.Season)
		result.loaded = result.idsErr == nil
	}

	if summaries == nil {
		return result
	}
	result.summaryErrs = make(map[string]error)
	for _, game := range result.board.Games {
		if !inProgress(game.Status) && !inProgress(previous[game.EspnID]) {
			continue
		}
		if result.ids != nil {
			if _, mapped := result.ids.Game(game.EspnID); !mapped {
				continue
			}
		}
		summary, err := summaries.Summary(ctx, game.EspnID)
		if err != nil {
			result.summaryErrs[game.EspnID] = err
			continue
		}
		result.summaries = append(result.summaries, summary)
	}
	return result
}

// handle counts and logs a poll's outcome and sends its games and players
// to their actors.
func (a *liveActor) handle(ctx actor.Context, result livePollResult) {
	a.countRequest(result.board, result.boardErr)
	if result.boardErr != nil {
		a.Logger.Warn("espn scoreboard poll failed, live state kept", "error", result.boardErr)
		return
	}
	for _, skipped := range result.board.Skipped {
		a.reject(metrics.RejectInvalidValue, "event:"+skipped.EspnID+":"+skipped.Reason,
			"espn scoreboard event rejected", "espn_id", skipped.EspnID, "reason", skipped.Reason)
	}

	if result.idsErr != nil {
		a.Logger.Error("load espn ID map failed, live games not sent", "season", result.board.Season, "error", result.idsErr)
		return
	}
	if result.loaded {
		a.ids, a.idsSeason, a.idsLoaded = result.ids, result.board.Season, time.Now()
		games, players := a.ids.Len()
		a.Logger.Info("espn ID map loaded", "season", result.board.Season, "games", games, "players", players)
	}

	a.observeGames(ctx, result.board)

	for id, err := range result.summaryErrs {
		a.countRequest(nil, err)
		a.Logger.Warn("espn summary poll failed", "espn_id", id, "error", err)
	}
	for _, summary := range result.summaries {
		a.countRequest(nil, nil)
		a.observePlayers(ctx, summary)
	}
}

// observeGames sends each mapped game that has started to its game actor
// when it differs from the last one sent.
func (a *liveActor) observeGames(ctx actor.Context, board *espn.Scoreboard) {
	games, unmapped, err := espn.GamesFromScoreboard(board, a.ids)
	if err != nil {
		a.Metrics.RowsRejected.WithLabelValues(metrics.RejectInvalidValue).Inc()
		a.Logger.Error("espn scoreboard does not match the schedule, poll ignored", "error", err)
		return
	}
	a.reportUnmapped(unmapped)

	a.statuses = make(map[string]string, len(board.Games))
	for _, event := range board.Games {
		a.statuses[event.EspnID] = event.Status
	}
	for _, live := range games {
		if live.Status == espn.StatusScheduled {
			// Nothing that nflverse's schedule row does not say already.
			continue
		}
		game := liveGameMessage(live)
		if previous, ok := a.sent[game.GetGameId()]; ok && proto.Equal(previous, game) {
			continue
		}
		a.sent[game.GetGameId()] = game

		gameID := game.GetGameId()
		pid := a.child(ctx, "game-"+gameID, func() *actor.Props {
			return newGameProps(gameID, a.Hub, a.State, a.Metrics, a.Clock.Now, a.Logger)
		})
		// ESPN's scoreboard lists the current week's games only.
		ctx.Send(pid, &messages.ObserveLiveGame{Game: game, CurrentSeason: game.GetSeason(), CurrentWeek: game.GetWeek()})
	}
}

// observePlayers sends each mapped athlete's stat line to its player actor.
func (a *liveActor) observePlayers(ctx actor.Context, summary *espn.Summary) {
	for _, skipped := range summary.Skipped {
		a.reject(metrics.RejectInvalidValue, "athlete:"+skipped.EspnID,
			"espn boxscore athlete rejected", "espn_id", skipped.EspnID, "name", skipped.Name, "team", skipped.Team, "reason", skipped.Reason)
	}

	weeks, unmapped, err := espn.PlayerWeeksFromSummary(summary, a.ids)
	if err != nil {
		a.Metrics.RowsRejected.WithLabelValues(metrics.RejectInvalidValue).Inc()
		a.Logger.Error("espn summary does not match the schedule or roster, ignored", "espn_id", summary.EspnID, "error", err)
		return
	}
	a.reportUnmapped(unmapped)

	for _, week := range weeks {
		playerID := week.GetPlayerId()
		pid := a.child(ctx, "player-"+playerID, func() *actor.Props {
			return newPlayerProps(playerID, a.scorer, nil, a.State, a.Clock.Now, a.Logger, nil)
		})
		ctx.Send(pid, &messages.ObserveLivePlayer{
			PlayerId: playerID, Week: week, CurrentSeason: week.GetSeason(), CurrentWeek: week.GetWeek(),
		})
	}
}

// reportUnmapped logs and counts each unmapped ESPN id once.
func (a *liveActor) reportUnmapped(unmapped []espn.UnmappedID) {
	sort.Slice(unmapped, func(i, j int) bool { return unmapped[i].EspnID < unmapped[j].EspnID })
	for _, id := range unmapped {
		a.reject(metrics.RejectMissingKey, id.Kind+":"+id.EspnID,
			"espn id has no nflverse id, ignored", "kind", id.Kind, "espn_id", id.EspnID, "name", id.Name, "team", id.Team)
	}
}

// reject logs and counts a rejected ESPN row the first time key is seen.
func (a *liveActor) reject(reason, key, text string, attributes ...any) {
	if a.reported[key] {
		return
	}
	a.reported[key] = true
	a.Metrics.RowsRejected.WithLabelValues(reason).Inc()
	a.Logger.Warn(text, attributes...)
}

// child returns the fetcher's child actor of that name, starting it under
// the same name when the fetcher has not.
func (a *liveActor) child(ctx actor.Context, name string, props func() *actor.Props) *actor.PID {
	system := ctx.ActorSystem()
	id := a.fetcher.GetId() + "/" + name
	if _, exists := system.ProcessRegistry.GetLocal(id); exists {
		return actor.NewPID(system.Address(), id)
	}

	// On an error the fetcher spawned the name meanwhile, and pid is its
	// actor.
	pid, _ := system.Root.SpawnNamed(props(), id)
	return pid
}

// countRequest counts one ESPN request by outcome.
func (a *liveActor) countRequest(board *espn.Scoreboard, err error) {
	outcome := requestOutcome(err)
	if board != nil && board.NotModified {
		outcome = metrics.RequestNotModified
		a.Metrics.SourceNotModified.WithLabelValues(metrics.SourceESPN).Inc()
	}
	a.Metrics.SourceRequests.WithLabelValues(metrics.SourceESPN, outcome).Inc()
}

// requestOutcome classifies a request error as a metrics.Request* value.
// An error that is neither an HTTP status nor a network failure is a
// response that did not parse.
func requestOutcome(err error) string {
	var status *espn.StatusError
	var network net.Error
	var address *url.Error
	switch {
	case err == nil:
		return metrics.RequestOK
	case errors.As(err, &status) && status.StatusCode == http.StatusNotFound:
		return metrics.RequestNotFound
	case errors.As(err, &status) && status.StatusCode == http.StatusTooManyRequests:
		return metrics.RequestRateLimited
	case errors.As(err, &status) && status.StatusCode >= 500:
		return metrics.RequestServerError
	case errors.As(err, &status):
		return metrics.RequestInvalid
	case errors.As(err, &network), errors.As(err, &address), errors.Is(err, context.DeadlineExceeded):
		return metrics.RequestNetworkError
	default:
		return metrics.RequestInvalid
	}
}

// liveGameMessage converts a mapped LiveGame to a provisional Game.
func liveGameMessage(live *espn.LiveGame) *messages.Game {
	return &messages.Game{
		GameId:           live.GameID,
		Season:           live.Season,
		GameType:         live.GameType,
		Week:             live.Week,
		AwayTeam:         live.AwayTeam,
		HomeTeam:         live.HomeTeam,
		AwayScore:        live.AwayScore,
		HomeScore:        live.HomeScore,
		Status:           live.Status,
		Overtime:         live.Overtime(),
		Quarter:          live.Quarter,
		Clock:            live.Clock,
		Possession:       live.Possession,
		Down:             live.Down,
		Distance:         live.Distance,
		YardLine:         live.YardLine,
		DownDistanceText: live.DownDistanceText,
		Provisional:      true,
	}
}
