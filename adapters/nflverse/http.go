package nflverse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// DefaultBaseURL is the download address of nflverse release assets. A file's
// URL is <base>/<release tag>/<file name>.
const DefaultBaseURL = "https://github.com/nflverse/nflverse-data/releases/download"

// Format is the file format of the downloaded release assets. nflverse
// publishes each file in all three.
type Format string

const (
	FormatParquet Format = "parquet"
	FormatCSV     Format = "csv"
	FormatCSVGzip Format = "csv.gz"
)

// ParseFormat returns the Format named s ("parquet", "csv" or "csv.gz"); an
// empty s is FormatParquet.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", FormatParquet:
		return FormatParquet, nil
	case FormatCSV, FormatCSVGzip:
		return Format(s), nil
	}
	return "", fmt.Errorf("invalid nflverse format %q, expected parquet, csv or csv.gz", s)
}

// Request outcomes passed to Observer.RequestDone.
const (
	OutcomeOK           = "ok"            // 200, body read and parsed
	OutcomeNotModified  = "not_modified"  // 304 to a conditional GET
	OutcomeNotFound     = "not_found"     // 404
	OutcomeRateLimited  = "rate_limited"  // 429, or 403 with a rate limit header
	OutcomeServerError  = "server_error"  // 5xx
	OutcomeNetworkError = "network_error" // connect, timeout or body read error
	OutcomeInvalid      = "invalid"       // unparsable body, Content-Length mismatch, other status
)

// Observer receives the outcome of every HTTP request the source makes,
// retries included, for metrics. file is the path under the base URL, such
// as "stats_player/stats_player_week_2025.parquet" or
// "stats_player/timestamp.json", and bytes is the size of the body read.
// RequestDone is called from the goroutine that calls Load and must not
// block.
type Observer interface {
	RequestDone(file string, outcome string, bytes int64)
}

// ObserverFunc is an Observer that is a function.
type ObserverFunc func(file string, outcome string, bytes int64)

// RequestDone calls f.
func (f ObserverFunc) RequestDone(file string, outcome string, bytes int64) { f(file, outcome, bytes) }

// HTTPOptions configures an HTTPSource. Zero fields take the defaults in
// their comments.
type HTTPOptions struct {
	BaseURL string         // DefaultBaseURL
	Format  Format         // FormatParquet
	Clock   messages.Clock // messages.SystemClock; decides the season when Load gets a zero now

	// Client makes the requests. When nil, the source builds one whose
	// transport uses ConnectTimeout and ResponseHeaderTimeout. A caller's
	// client keeps its own transport, and RequestTimeout still applies.
	Client *http.Client

	Observer Observer // none

	ConnectTimeout        time.Duration // 10s: TCP connect (and TLS handshake)
	ResponseHeaderTimeout time.Duration // 30s: from request sent to response headers
	RequestTimeout        time.Duration // 2m: one attempt, body included

	MaxAttempts      int           // 4: attempts per file and poll, first one included
	RetryBaseDelay   time.Duration // 1s: backoff before the second attempt, doubled after each
	RetryMaxDelay    time.Duration // 30s: upper bound of one backoff
	MaxRateLimitWait time.Duration // 2m: longest Retry-After or X-RateLimit-Reset wait honoured

	MaxBodyBytes int64 // 512 MiB: larger bodies are rejected
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	setDefault := func(d *time.Duration, value time.Duration) {
		if *d <= 0 {
			*d = value
		}
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	if o.Clock == nil {
		o.Clock = messages.SystemClock{}
	}
	setDefault(&o.ConnectTimeout, 10*time.Second)
	setDefault(&o.ResponseHeaderTimeout, 30*time.Second)
	setDefault(&o.RequestTimeout, 2*time.Minute)
	setDefault(&o.RetryBaseDelay, time.Second)
	setDefault(&o.RetryMaxDelay, 30*time.Second)
	setDefault(&o.MaxRateLimitWait, 2*time.Minute)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 512 << 20
	}
	if o.Client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		transport.TLSHandshakeTimeout = o.ConnectTimeout
		transport.ResponseHeaderTimeout = o.ResponseHeaderTimeout
		o.Client = &http.Client{Transport: transport}
	}
	return o
}

// HTTPSource is a messages.Source that downloads nflverse's release files
// the way nflreadpy loads them: schedules/games, and for the current
// season stats_player/stats_player_week_<season>, rosters/roster_<season>
// and injuries/injuries_<season>, in the configured Format.
//
// Polling is cheap. Each release tag publishes timestamp.json, and a data
// file is requested only when its tag's last_updated changed since the file
// was last downloaded. That request is a conditional GET (If-None-Match,
// If-Modified-Since). When nothing changed no data file moves, and Load
// returns the same parsed rows as before, so the actors see no change. The
// source keeps the last good parse of every file it uses in memory.
//
// The stats file holds the whole season, so every Load returns every week:
// the week just played as well as the current one, and a stat correction to
// any earlier week reaches the actors as a delta.
//
// Faults: requests time out (see HTTPOptions), 5xx and network errors are
// retried with exponential backoff and full jitter, and 429 or a rate
// limited 403 waits for Retry-After or X-RateLimit-Reset. Redirects, such
// as GitHub's to its asset host, are followed with the conditional headers
// kept. A 404 of the stats file means the season is not published yet, and
// Load returns an error wrapping messages.ErrNotPublished. Every other
// failure to download or parse fails the whole Load and changes no cached
// file, so the next good poll returns the data of the last good one.
//
// Rows are never removed. A file that suddenly has zero rows keeps its
// previous rows and adds a Snapshot warning, because the actors treat a
// missing row as unchanged, not deleted.
//
// The returned PlayerWeeks, TeamWeeks, Rosters and Injuries are shared
// between Loads and must be treated as read-only. Games are copies.
type HTTPSource struct {
	options HTTPOptions

	mu    sync.Mutex
	files map[string]*cachedFile // by path under the base URL
}

// cachedFile is the last good download of one file.
type cachedFile struct {
	etag         string
	lastModified string
	stamp        string // last_updated of the file's release when it was downloaded or revalidated
	value        any    // parsed content
	rows         int
	lastRows     any // the last parsed content that had rows, or nil
}

// NewHTTPSource returns a parquet source under baseURL (DefaultBaseURL when
// empty) that uses client (the default client of HTTPOptions when nil) and
// clock (messages.SystemClock when nil).
func NewHTTPSource(baseURL string, client *http.Client, clock messages.Clock) *HTTPSource {
	source, err := NewHTTPSourceWithOptions(HTTPOptions{BaseURL: baseURL, Client: client, Clock: clock})
	if err != nil {
		// Unreachable: only an invalid Format fails, and none is given.
		panic(err)
	}
	return source
}

// NewHTTPSourceWithOptions returns a source configured by options. The only
// error is an invalid Format.
func NewHTTPSourceWithOptions(options HTTPOptions) (*HTTPSource, error) {
	format, err := ParseFormat(string(options.Format))
	if err != nil {
		return nil, err
	}
	options.Format = format

	return &HTTPSource{options: options.withDefaults(), files: make(map[string]*cachedFile)}, nil
}

// Load polls the schedule, decides the current season and week at now (the
// source's clock when now is zero), then polls that season's stats, roster
// and injuries files.
//
// A 404 of the stats file returns an error wrapping
// messages.ErrNotPublished. A 404 of the roster file leaves Rosters nil
// with a warning. A 404 or an empty injuries file sets InjuriesAvailable to
// false. Any other failure of any file fails the whole Load.
func (s *HTTPSource) Load(ctx context.Context, now time.Time) (*messages.Snapshot, error) {
	if now.IsZero() {
		now = s.options.Clock.Now()
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	poll := &poll{source: s, stamps: make(map[string]string), used: make(map[string]bool)}
	snapshot := &messages.Snapshot{}

	schedule, err := pollFile(ctx, poll, "schedules", "games", ReadSchedule, ReadScheduleParquet, rowCount)
	if err != nil {
		return nil, fmt.Errorf("load schedule: %w", err)
	}
	snapshot.Warnings = append(snapshot.Warnings, schedule.warnings...)

	season := CurrentSeason(now, schedule.value)
	for _, game := range schedule.value {
		if game.GetSeason() == season {
			snapshot.Games = append(snapshot.Games, cloneGame(game))
		}
	}
	snapshot.Season = season
	snapshot.Week = CurrentWeek(season, snapshot.Games, now)

	if err := poll.stats(ctx, snapshot); err != nil {
		return nil, err
	}
	if err := poll.roster(ctx, snapshot); err != nil {
		return nil, err
	}
	if err := poll.injuries(ctx, snapshot); err != nil {
		return nil, err
	}

	// Files of other seasons are no longer needed.
	for path := range s.files {
		if !poll.used[path] {
			delete(s.files, path)
		}
	}
	return snapshot, nil
}

// poll is the state of one Load.
type poll struct {
	source *HTTPSource
	stamps map[string]string // last_updated by release tag, read once per poll
	used   map[string]bool   // cached paths this poll used
}

func (p *poll) stats(ctx context.Context, snapshot *messages.Snapshot) error {
	season := snapshot.Season
	name := fmt.Sprintf("stats_player_week_%d", season)
	stats, err := pollFile(ctx, p, "stats_player", name, ReadPlayerStats, ReadPlayerStatsParquet,
		func(f *StatsFile) int { return len(f.Players) + len(f.Teams) })
	if isNotFound(err) {
		return fmt.Errorf("load stats %d: %w: %w", season, err, messages.ErrNotPublished)
	}
	if err != nil {
		return fmt.Errorf("load stats %d: %w", season, err)
	}

	snapshot.PlayerWeeks = stats.value.Players
	snapshot.TeamWeeks = stats.value.Teams
	snapshot.Quarantined = stats.value.Quarantined
	snapshot.Conflicts = stats.value.Conflicts
	snapshot.Warnings = append(snapshot.Warnings, stats.warnings...)
	if stats.value.Conflicts > 0 {
		snapshot.Warnings = append(snapshot.Warnings, fmt.Sprintf(
			"%s: %d player-weeks appear more than once with different values; the first row in file order was kept",
			name, stats.value.Conflicts))
	}
	return nil
}

func (p *poll) roster(ctx context.Context, snapshot *messages.Snapshot) error {
	season := snapshot.Season
	name := fmt.Sprintf("roster_%d", season)
	roster, err := pollFile(ctx, p, "rosters", name, ReadRoster, ReadRosterParquet, rowCount)
	if isNotFound(err) {
		snapshot.Warnings = append(snapshot.Warnings, fmt.Sprintf(
			"%s is not published yet; the last known rosters stay", name))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load roster %d: %w", season, err)
	}

	snapshot.Rosters = roster.value
	snapshot.Warnings = append(snapshot.Warnings, roster.warnings...)
	if len(roster.value) == 0 {
		snapshot.Rosters = nil
	}
	return nil
}

func (p *poll) injuries(ctx context.Context, snapshot *messages.Snapshot) error {
	season := snapshot.Season
	name := fmt.Sprintf("injuries_%d", season)
	injuries, err := pollFile(ctx, p, "injuries", name, ReadInjuries, ReadInjuriesParquet, rowCount)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load injuries %d: %w", season, err)
	}

	// An empty injuries file is reported as unavailable rather than
	// replaced by its previous rows, so that the actors keep the last known
	// statuses instead of marking every player healthy.
	snapshot.Warnings = append(snapshot.Warnings, injuries.warnings...)
	if len(injuries.value) > 0 && len(injuries.warnings) == 0 {
		snapshot.Injuries = injuries.value
		snapshot.InjuriesAvailable = true
	}
	return nil
}

func cloneGame(game *messages.Game) *messages.Game {
	clone := &messages.Game{
		GameId:      game.GetGameId(),
		Season:      game.GetSeason(),
		GameType:    game.GetGameType(),
		Week:        game.GetWeek(),
		AwayTeam:    game.GetAwayTeam(),
		HomeTeam:    game.GetHomeTeam(),
		KickoffUnix: game.GetKickoffUnix(),
		Status:      game.GetStatus(),
		Overtime:    game.GetOvertime(),
		Location:    game.GetLocation(),
	}
	if game.AwayScore != nil {
		clone.AwayScore = proto32(game.GetAwayScore())
	}
	if game.HomeScore != nil {
		clone.HomeScore = proto32(game.GetHomeScore())
	}
	return clone
}

// isNotFound reports whether err is a 404 response.
func isNotFound(err error) bool {
	var status *statusError
	return errors.As(err, &status) && status.code == http.StatusNotFound
}

var _ messages.Source = (*HTTPSource)(nil)

func rowCount[T any](rows []T) int { return len(rows) }
