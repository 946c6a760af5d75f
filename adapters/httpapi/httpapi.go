// Package httpapi serves nflsync's REST API under /api/v1 with net/http:
// fantasy leagues, their teams, rosters and lineups, and their
// leaderboards. docs/openapi.yaml describes every route.
//
// Bodies are JSON. A rejected request changes nothing and gets
//
//	{"error":{"code":"invalid_field","field":"teams[2].id","message":"..."}}
//
// with a 4xx status; field is left out when no one field is at fault.
// Reads are public. Writes need the admin API key
// (NFL_SYNC_ADMIN_API_KEY) as "Authorization: Bearer <key>", and are
// rejected with 503 while no key is configured.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// Prefix is the path prefix of every route; mount the handler there.
const Prefix = "/api/v1/"

// maxBodyBytes bounds a request body. A league of 64 teams with 100
// players each and a lineup per week is far below it.
const maxBodyBytes = 4 << 20

// Error codes of the "error" object, beyond actors' LeagueError codes.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnauthorized         = "unauthorized"
	CodeAdminKeyMissing      = "admin_key_not_configured"
	CodeInternal             = "internal"
)

// Leagues is the league service the API calls; *actors.Leagues implements
// it. Its methods return *actors.LeagueError for rejected requests.
type Leagues interface {
	Create(ctx context.Context, league *messages.League) (*messages.League, error)
	Replace(ctx context.Context, league *messages.League) (*messages.League, error)
	Delete(ctx context.Context, leagueID string) error
	Get(ctx context.Context, leagueID string) (*messages.League, error)
	List(ctx context.Context) ([]*messages.League, error)
	AddTeam(ctx context.Context, leagueID string, team *messages.LeagueTeam) (*messages.League, error)
	RemoveTeam(ctx context.Context, leagueID, teamID string) (*messages.League, error)
	AddPlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error)
	RemovePlayer(ctx context.Context, leagueID, teamID, playerID string) (*messages.League, error)
	SetLineup(ctx context.Context, leagueID, teamID string, week int32, starters []string) (*messages.League, error)
	RemoveLineup(ctx context.Context, leagueID, teamID string, week int32) (*messages.League, error)
	Leaderboard(ctx context.Context, leagueID string) (*messages.LeaderboardUpdateMessage, error)
}

var _ Leagues = (*actors.Leagues)(nil)

// Options configures NewHandler.
type Options struct {
	// AdminAPIKey authorizes writes. Empty rejects every write with 503.
	AdminAPIKey string

	// Logger receives errors that are not the client's fault. Nil uses
	// slog.Default().
	Logger *slog.Logger
}

// Route is one method and path pattern that the handler serves, in the
// syntax of http.ServeMux.
type Route struct {
	Method  string
	Pattern string
	write   bool
	handle  func(*api, http.ResponseWriter, *http.Request) error
}

// Routes returns every route of the API.
func Routes() []Route {
	const (
		leagues = "/api/v1/leagues"
		league  = leagues + "/{league_id}"
		team    = league + "/teams/{team_id}"
	)
	return []Route{
		{Method: http.MethodGet, Pattern: leagues, handle: (*api).listLeagues},
		{Method: http.MethodPost, Pattern: leagues, write: true, handle: (*api).createLeague},
		{Method: http.MethodGet, Pattern: league, handle: (*api).getLeague},
		{Method: http.MethodPut, Pattern: league, write: true, handle: (*api).replaceLeague},
		{Method: http.MethodDelete, Pattern: league, write: true, handle: (*api).deleteLeague},
		{Method: http.MethodGet, Pattern: league + "/leaderboard", handle: (*api).leaderboard},
		{Method: http.MethodPost, Pattern: league + "/teams", write: true, handle: (*api).addTeam},
		{Method: http.MethodDelete, Pattern: team, write: true, handle: (*api).removeTeam},
		{Method: http.MethodPost, Pattern: team + "/players", write: true, handle: (*api).addPlayer},
		{Method: http.MethodDelete, Pattern: team + "/players/{player_id}", write: true, handle: (*api).removePlayer},
		{Method: http.MethodPut, Pattern: team + "/lineups/{week}", write: true, handle: (*api).setLineup},
		{Method: http.MethodDelete, Pattern: team + "/lineups/{week}", write: true, handle: (*api).removeLineup},
	}
}

type api struct {
	leagues Leagues
	// keyHash is the SHA-256 of the admin API key, nil when none is set.
	keyHash []byte
	logger  *slog.Logger
}

// NewHandler returns the API's handler. Mount it at Prefix.
func NewHandler(leagues Leagues, options Options) http.Handler {
	a := &api{leagues: leagues, logger: options.Logger}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	if options.AdminAPIKey != "" {
		sum := sha256.Sum256([]byte(options.AdminAPIKey))
		a.keyHash = sum[:]
	}

	mux := http.NewServeMux()
	for _, route := range Routes() {
		mux.HandleFunc(route.Method+" "+route.Pattern, a.serve(route))
	}
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, actors.LeagueErrorNotFound, "",
			fmt.Sprintf("no route %s %s: docs/openapi.yaml lists the routes", r.Method, r.URL.Path))
	})
	return mux
}

func (a *api) serve(route Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if route.write && !a.authorize(w, r) {
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}

		if err := route.handle(a, w, r); err != nil {
			a.writeFailure(w, r, err)
		}
	}
}

// authorize checks the admin API key and writes the error when it fails.
// The keys are compared as SHA-256 sums in constant time, so neither the
// key's bytes nor its length show in the timing.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) bool {
	if a.keyHash == nil {
		writeError(w, http.StatusServiceUnavailable, CodeAdminKeyMissing, "",
			"league writes are disabled: set NFL_SYNC_ADMIN_API_KEY on the server and send it as \"Authorization: Bearer <key>\"")
		return false
	}

	// The scheme is case-insensitive (RFC 9110, section 11.1).
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	found = found && strings.EqualFold(scheme, "Bearer")
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if !found || subtle.ConstantTimeCompare(sum[:], a.keyHash) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nflsync"`)
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "",
			"missing or invalid admin API key: send \"Authorization: Bearer <NFL_SYNC_ADMIN_API_KEY>\"")
		return false
	}
	return true
}

// writeFailure writes the error of a handler: a request error as 4xx, a
// failure of the server as 5xx, logged.
func (a *api) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	var fieldErr *fieldError
	var leagueErr *actors.LeagueError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &fieldErr):
		writeError(w, http.StatusBadRequest, actors.LeagueErrorInvalidField, fieldErr.field, fieldErr.message)

	case errors.As(err, new(*unsupportedMediaType)):
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "", err.Error())

	case errors.Is(err, errInvalidJSON):
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "", err.Error())

	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, CodeInvalidJSON, "",
			fmt.Sprintf("request body larger than %d bytes", tooLarge.Limit))

	case errors.As(err, &leagueErr):
		status := map[string]int{
			actors.LeagueErrorInvalidField: http.StatusBadRequest,
			actors.LeagueErrorNotFound:     http.StatusNotFound,
			actors.LeagueErrorConflict:     http.StatusConflict,
			actors.LeagueErrorUnavailable:  http.StatusServiceUnavailable,
		}[leagueErr.Code]
		if status == 0 {
			status = http.StatusBadRequest
		}
		if status >= 500 {
			a.logger.Error("league request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		writeError(w, status, leagueErr.Code, leagueErr.Field, leagueErr.Message)

	default:
		a.logger.Error("league request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "", err.Error())
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, field, message string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Field: field, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// decodeRequest checks the media type and decodes the body.
func decodeRequest(r *http.Request, expected *shape, target any) error {
	if contentType := r.Header.Get("Content-Type"); contentType != "" {
		mediaType, _, err := mime.ParseMediaType(contentType)
		if err != nil || mediaType != "application/json" {
			return &unsupportedMediaType{contentType: contentType}
		}
	}
	return decodeBody(r.Body, expected, target)
}

type unsupportedMediaType struct{ contentType string }

func (e *unsupportedMediaType) Error() string {
	return fmt.Sprintf("unsupported Content-Type %q: send application/json", e.contentType)
}

func weekParameter(r *http.Request) (int32, error) {
	week, err := strconv.ParseInt(r.PathValue("week"), 10, 32)
	if err != nil || week < 1 || week > 22 {
		return 0, &fieldError{field: "week", message: fmt.Sprintf("invalid week %q in the path: use 1 to 22", r.PathValue("week"))}
	}
	return int32(week), nil
}
