package metrics

import "github.com/nflsync/nflsync/messages"

// Outcome values of Metrics.SyncCycles.
const (
	// SyncOK is a cycle that loaded a snapshot and finished the diff.
	SyncOK = "ok"

	// SyncError is a cycle whose load failed. The actors keep their state.
	SyncError = "error"

	// SyncNotPublished is a cycle that found the season's files not
	// published yet (messages.ErrNotPublished), which is no error.
	SyncNotPublished = "not_published"

	// SyncSkipped is a tick that arrived while the previous cycle still
	// ran.
	SyncSkipped = "skipped"
)

// SyncOutcomes lists every SyncCycles outcome.
var SyncOutcomes = []string{SyncOK, SyncError, SyncNotPublished, SyncSkipped}

// Source values of the source label.
const (
	SourceNflverse = "nflverse"
	SourceESPN     = "espn"
)

// Sources lists every source label value.
var Sources = []string{SourceNflverse, SourceESPN}

// Outcome values of Metrics.SourceRequests.
const (
	// RequestOK is a 2xx response whose body was read in full.
	RequestOK = "ok"

	// RequestNotModified is a 304 response to a conditional request.
	RequestNotModified = "not_modified"

	// RequestNotFound is a 404, which for nflverse usually means a file
	// of a season that is not published yet.
	RequestNotFound = "not_found"

	// RequestRateLimited is a 429, or a 403 that carries a rate-limit
	// header.
	RequestRateLimited = "rate_limited"

	// RequestServerError is a 5xx response.
	RequestServerError = "server_error"

	// RequestNetworkError is a request that got no response: DNS, connect,
	// TLS, timeout or a body cut off mid-read.
	RequestNetworkError = "network_error"

	// RequestInvalid is a response whose body could not be parsed, or an
	// unexpected status not covered above.
	RequestInvalid = "invalid"
)

// RequestOutcomes lists every SourceRequests outcome. The source-failing
// alert counts rate_limited, server_error, network_error and invalid as
// failures.
var RequestOutcomes = []string{
	RequestOK, RequestNotModified, RequestNotFound, RequestRateLimited,
	RequestServerError, RequestNetworkError, RequestInvalid,
}

// Kind values of Metrics.Deltas.
const (
	DeltaPlayerStats = "player_stats"
	DeltaGame        = "game"
	DeltaRoster      = "roster"
	DeltaInjury      = "injury"
	DeltaLeaderboard = "leaderboard"
)

// DeltaKinds lists every Deltas kind.
var DeltaKinds = []string{DeltaPlayerStats, DeltaGame, DeltaRoster, DeltaInjury, DeltaLeaderboard}

// Reason values of Metrics.RowsRejected.
const (
	// RejectMissingKey is a roster or injury row without a gsis_id.
	RejectMissingKey = "missing_key"

	// RejectDuplicate is a row whose key repeats an earlier row of the
	// same file, collapsed into that row.
	RejectDuplicate = "duplicate"

	// RejectInvalidValue is a row with a value that does not parse, such
	// as a non-numeric stat.
	RejectInvalidValue = "invalid_value"
)

// RejectReasons lists every RowsRejected reason.
var RejectReasons = []string{RejectMissingKey, RejectDuplicate, RejectInvalidValue}

// Kind values of Metrics.Subscriptions.
const (
	SubscriptionPlayer     = "player"
	SubscriptionGame       = "game"
	SubscriptionLeague     = "league"
	SubscriptionScoreboard = "scoreboard"
)

// SubscriptionKinds lists every Subscriptions kind.
var SubscriptionKinds = []string{SubscriptionPlayer, SubscriptionGame, SubscriptionLeague, SubscriptionScoreboard}

// MessageTypes lists the server message types that New pre-initializes in
// MessagesSent and MessagesDropped. They are the "type" values of
// messages/wire.go, and a new server message type belongs here too.
var MessageTypes = []string{messages.TypePlayerUpdate, messages.TypeGameScores, messages.TypeAck, messages.TypeError}

// Operation values of Metrics.MirrorErrors, one per method of
// messages.Mirror.
const (
	MirrorPutPlayers = "put_players"
	MirrorGetPlayer  = "get_player"
	MirrorPutGames   = "put_games"
	MirrorGetGame    = "get_game"
)

// MirrorOperations lists every MirrorErrors operation.
var MirrorOperations = []string{MirrorPutPlayers, MirrorGetPlayer, MirrorPutGames, MirrorGetGame}

// Operation values of Metrics.StoreErrors, one per method of
// messages.Store plus index creation at startup.
const (
	StoreUpsertPlayerWeeks = "upsert_player_weeks"
	StoreFindPlayer        = "find_player"
	StoreUpsertGames       = "upsert_games"
	StoreFindGame          = "find_game"
	StoreUpsertRoster      = "upsert_roster"
	StoreUpsertInjuries    = "upsert_injuries"
	StoreInsertSyncRun     = "insert_sync_run"
	StoreCreateIndexes     = "create_indexes"
)

// StoreOperations lists every StoreErrors operation.
var StoreOperations = []string{
	StoreUpsertPlayerWeeks, StoreFindPlayer, StoreUpsertGames, StoreFindGame,
	StoreUpsertRoster, StoreUpsertInjuries, StoreInsertSyncRun, StoreCreateIndexes,
}

// Actor values of Metrics.ActorRestarts.
const (
	ActorScheduler = "scheduler"
	ActorFetcher   = "fetcher"
	ActorPlayer    = "player"
	ActorGame      = "game"
	ActorScorer    = "scorer"
	ActorSession   = "session"
	ActorLeague    = "league"
)

// ActorKinds lists every ActorRestarts actor kind.
var ActorKinds = []string{ActorScheduler, ActorFetcher, ActorPlayer, ActorGame, ActorScorer, ActorSession, ActorLeague}

// VirtualActorKinds lists the kind values of Metrics.VirtualActors: the
// cluster kinds of player, game and league actors.
var VirtualActorKinds = []string{"player", "game", "league"}
