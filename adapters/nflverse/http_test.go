package nflverse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

// fixedClock is a messages.Clock that always returns the same time.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

func (c fixedClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// newTestdataServer serves the testdata files under their release paths.
// override replaces the response of one path with a status code and body.
func newTestdataServer(t *testing.T, override map[string]func(http.ResponseWriter)) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/")
		if respond, ok := override[path]; ok {
			respond(w)
			return
		}

		data, err := os.ReadFile(filepath.Join(testdataDir, filepath.FromSlash(path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(server.Close)
	return server
}

func TestHTTPSourceLoad(t *testing.T) {
	server := newTestdataServer(t, nil)
	source := NewHTTPSource(server.URL, server.Client(), nil)

	tests := []struct {
		name        string
		now         time.Time
		season      int32
		week        int32
		games       int
		playerWeeks int
	}{
		{"finished 2024 season", easternTime(2025, 1, 20, 12, 0), 2024, 22, 285, 18959},
		{"2025 week 16", easternTime(2025, 12, 20, 12, 0), 2025, 16, 272, 19399},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			snapshot, err := source.Load(context.Background(), test.now)
			if err != nil {
				t.Fatal(err)
			}

			if snapshot.Season != test.season || snapshot.Week != test.week {
				t.Errorf("season, week = %d, %d, want %d, %d", snapshot.Season, snapshot.Week, test.season, test.week)
			}
			if len(snapshot.Games) != test.games {
				t.Errorf("games = %d, want %d", len(snapshot.Games), test.games)
			}
			if len(snapshot.PlayerWeeks) != test.playerWeeks {
				t.Errorf("player rows = %d, want %d", len(snapshot.PlayerWeeks), test.playerWeeks)
			}
			if len(snapshot.TeamWeeks) != 22 {
				t.Errorf("team rows = %d, want 22", len(snapshot.TeamWeeks))
			}
		})
	}
}

func TestHTTPSourceZeroNowUsesClock(t *testing.T) {
	server := newTestdataServer(t, nil)
	source := NewHTTPSource(server.URL+"/", server.Client(), fixedClock{now: easternTime(2024, 10, 1, 12, 0)})

	snapshot, err := source.Load(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if snapshot.Season != 2024 {
		t.Errorf("season = %d, want 2024 from the clock", snapshot.Season)
	}
}

func TestHTTPSourceErrors(t *testing.T) {
	stats := readTestdataBytes(t, "stats_player/stats_player_week_2024.csv.gz")
	respond := func(code int, body []byte) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.WriteHeader(code)
			_, _ = w.Write(body)
		}
	}
	statsPath := "stats_player/stats_player_week_2024.csv.gz"
	january2025 := easternTime(2025, 1, 20, 12, 0)

	tests := []struct {
		name          string
		override      map[string]func(http.ResponseWriter)
		now           time.Time
		notPublished  bool
		errorContains []string
	}{
		{
			name:          "stats not published",
			now:           easternTime(2026, 9, 20, 12, 0),
			notPublished:  true,
			errorContains: []string{"load stats 2026", "stats_player_week_2026.csv.gz", "404"},
		},
		{
			name:          "stats server error",
			override:      map[string]func(http.ResponseWriter){statsPath: respond(http.StatusInternalServerError, nil)},
			now:           january2025,
			errorContains: []string{"load stats 2024", statsPath, "500"},
		},
		{
			name:          "schedule not found",
			override:      map[string]func(http.ResponseWriter){"schedules/games.csv": respond(http.StatusNotFound, nil)},
			now:           january2025,
			errorContains: []string{"load schedule", "schedules/games.csv", "404"},
		},
		{
			name:          "truncated gzip",
			override:      map[string]func(http.ResponseWriter){statsPath: respond(http.StatusOK, stats[:len(stats)/3])},
			now:           january2025,
			errorContains: []string{"load stats 2024", statsPath, "unexpected EOF"},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			server := newTestdataServer(t, test.override)
			source := NewHTTPSource(server.URL, server.Client(), nil)

			snapshot, err := source.Load(context.Background(), test.now)
			if err == nil {
				t.Fatalf("want an error, got a snapshot of season %d", snapshot.Season)
			}
			if got := errors.Is(err, messages.ErrNotPublished); got != test.notPublished {
				t.Errorf("errors.Is(err, ErrNotPublished) = %v, want %v (err: %v)", got, test.notPublished, err)
			}
			for _, want := range test.errorContains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestHTTPSourceDefaults(t *testing.T) {
	source := NewHTTPSource("", nil, nil)

	if source.baseURL != DefaultBaseURL {
		t.Errorf("base URL = %q, want %q", source.baseURL, DefaultBaseURL)
	}
	if source.client == nil || source.client.Timeout == 0 {
		t.Error("default client has no timeout")
	}
	if _, ok := source.clock.(messages.SystemClock); !ok {
		t.Errorf("clock = %T, want messages.SystemClock", source.clock)
	}
}
