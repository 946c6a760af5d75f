package nflverse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// DefaultBaseURL is the download address of nflverse release assets. A file's
// URL is <base>/<release tag>/<file name>.
const DefaultBaseURL = "https://github.com/nflverse/nflverse-data/releases/download"

// defaultHTTPTimeout bounds one download when the caller passes no client.
const defaultHTTPTimeout = 2 * time.Minute

// HTTPSource is a messages.Source that downloads nflverse's schedule and the
// current season's weekly player stats on every Load.
//
// TODO: every Load downloads both files in full. Conditional GETs (ETag,
// If-Modified-Since), retries with backoff and the parquet form of the files
// are not implemented yet.
type HTTPSource struct {
	baseURL string
	client  *http.Client
	clock   messages.Clock
}

// NewHTTPSource returns a source that reads the release assets under
// baseURL (DefaultBaseURL when empty). A nil client means an http.Client
// with a 2-minute timeout, and a nil clock means messages.SystemClock.
func NewHTTPSource(baseURL string, client *http.Client, clock messages.Clock) *HTTPSource {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if clock == nil {
		clock = messages.SystemClock{}
	}
	return &HTTPSource{baseURL: strings.TrimSuffix(baseURL, "/"), client: client, clock: clock}
}

// Load downloads schedules/games.csv, decides the current season and week
// at now (the source's clock when now is zero), then downloads
// stats_player/stats_player_week_<season>.csv.gz. A 404 on the stats file
// returns an error wrapping messages.ErrNotPublished. Any other failure of
// either file fails the whole Load.
func (s *HTTPSource) Load(ctx context.Context, now time.Time) (*messages.Snapshot, error) {
	if now.IsZero() {
		now = s.clock.Now()
	}

	schedule, err := fetch(ctx, s, "schedules/games.csv", ReadSchedule)
	if err != nil {
		return nil, fmt.Errorf("load schedule: %w", err)
	}

	season := CurrentSeason(now, schedule)
	var games []*messages.Game
	for _, game := range schedule {
		if game.GetSeason() == season {
			games = append(games, game)
		}
	}

	statsPath := fmt.Sprintf("stats_player/stats_player_week_%d.csv.gz", season)
	stats, err := fetch(ctx, s, statsPath, ReadPlayerStats)
	var status *statusError
	if errors.As(err, &status) && status.code == http.StatusNotFound {
		return nil, fmt.Errorf("load stats %d: %w: %w", season, err, messages.ErrNotPublished)
	}
	if err != nil {
		return nil, fmt.Errorf("load stats %d: %w", season, err)
	}

	return &messages.Snapshot{
		Season:      season,
		Week:        CurrentWeek(season, games, now),
		Games:       games,
		PlayerWeeks: stats.Players,
		TeamWeeks:   stats.Teams,
		Quarantined: stats.Quarantined,
	}, nil
}

// fetch downloads path under the source's base URL and parses the body
// while it streams in.
func fetch[T any](ctx context.Context, s *HTTPSource, path string, read func(r io.Reader, name string) (T, error)) (T, error) {
	var zero T
	url := s.baseURL + "/" + path

	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return zero, err
	}
	response, err := s.client.Do(request)
	if err != nil {
		return zero, err
	}
	defer response.Body.Close()

	if response.StatusCode < 200 || response.StatusCode > 299 {
		return zero, &statusError{url: url, status: response.Status, code: response.StatusCode}
	}

	result, err := read(response.Body, url)
	if err != nil {
		return zero, err
	}
	return result, nil
}

// statusError is a response with a status code other than 2xx.
type statusError struct {
	url    string
	status string
	code   int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: unexpected status %s", e.url, e.status)
}

var _ messages.Source = (*HTTPSource)(nil)
