package nflverse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// fixedClock is a messages.Clock that always returns the same time.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

func (c fixedClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// january2025 is after the 2024 season's Super Bowl week began: season
// 2024, week 22.
var january2025 = easternTime(2025, 1, 20, 12, 0)

// testOptions are HTTPOptions with short timeouts and retry delays.
func testOptions(base string, format Format, observer Observer) HTTPOptions {
	return HTTPOptions{
		BaseURL:               base,
		Format:                format,
		Observer:              observer,
		ConnectTimeout:        time.Second,
		ResponseHeaderTimeout: 2 * time.Second,
		RequestTimeout:        10 * time.Second,
		MaxAttempts:           3,
		RetryBaseDelay:        time.Millisecond,
		RetryMaxDelay:         10 * time.Millisecond,
		MaxRateLimitWait:      5 * time.Second,
	}
}

func newTestSource(t *testing.T, options HTTPOptions) *HTTPSource {
	t.Helper()
	source, err := NewHTTPSourceWithOptions(options)
	if err != nil {
		t.Fatal(err)
	}
	return source
}

func mustLoad(t *testing.T, source *HTTPSource, now time.Time) *messages.Snapshot {
	t.Helper()
	snapshot, err := source.Load(context.Background(), now)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return snapshot
}

// requireSameSnapshot fails unless got has the rows of want.
func requireSameSnapshot(t *testing.T, got, want *messages.Snapshot) {
	t.Helper()
	if got.Season != want.Season || got.Week != want.Week {
		t.Errorf("season, week = %d, %d, want %d, %d", got.Season, got.Week, want.Season, want.Week)
	}
	if err := equalMessages(got.Games, want.Games); err != nil {
		t.Errorf("games: %v", err)
	}
	if err := equalMessages(got.PlayerWeeks, want.PlayerWeeks); err != nil {
		t.Errorf("player rows: %v", err)
	}
	if err := equalMessages(got.TeamWeeks, want.TeamWeeks); err != nil {
		t.Errorf("team rows: %v", err)
	}
	if err := equalMessages(got.Rosters, want.Rosters); err != nil {
		t.Errorf("rosters: %v", err)
	}
	if err := equalMessages(got.Injuries, want.Injuries); err != nil {
		t.Errorf("injuries: %v", err)
	}
	if got.InjuriesAvailable != want.InjuriesAvailable {
		t.Errorf("InjuriesAvailable = %v, want %v", got.InjuriesAvailable, want.InjuriesAvailable)
	}
}

func TestHTTPSourceLoadFormats(t *testing.T) {
	release := newFakeRelease(t)

	var snapshots []*messages.Snapshot
	for _, format := range []Format{FormatParquet, FormatCSV, FormatCSVGzip} {
		t.Run(string(format), func(t *testing.T) {
			source := newTestSource(t, testOptions(release.server.URL, format, nil))
			snapshot := mustLoad(t, source, january2025)

			if snapshot.Season != 2024 || snapshot.Week != 22 {
				t.Errorf("season, week = %d, %d, want 2024, 22", snapshot.Season, snapshot.Week)
			}
			if len(snapshot.Games) != 285 {
				t.Errorf("games = %d, want 285", len(snapshot.Games))
			}
			if len(snapshot.PlayerWeeks) != 18959 || len(snapshot.TeamWeeks) != 22 {
				t.Errorf("player rows, team rows = %d, %d, want 18959, 22", len(snapshot.PlayerWeeks), len(snapshot.TeamWeeks))
			}
			if len(snapshot.Rosters) != 3195 {
				t.Errorf("roster rows = %d, want 3195 (one row has no gsis_id)", len(snapshot.Rosters))
			}
			if !snapshot.InjuriesAvailable || len(snapshot.Injuries) == 0 {
				t.Errorf("injuries = %d, available %v, want rows", len(snapshot.Injuries), snapshot.InjuriesAvailable)
			}
			if snapshot.Conflicts != 0 || snapshot.Quarantined != 0 || len(snapshot.Warnings) != 0 {
				t.Errorf("conflicts, quarantined, warnings = %d, %d, %q, want none",
					snapshot.Conflicts, snapshot.Quarantined, snapshot.Warnings)
			}
			snapshots = append(snapshots, snapshot)
		})
	}

	for i := 1; i < len(snapshots); i++ {
		requireSameSnapshot(t, snapshots[i], snapshots[0])
	}
}

func TestHTTPSourceSeason2025Week16(t *testing.T) {
	release := newFakeRelease(t)
	release.setFile("stats_player/stats_player_week_2025.csv.gz", readTestdataBytes(t, "stats_player/stats_player_week_2025.csv.gz"))
	source := newTestSource(t, testOptions(release.server.URL, FormatCSVGzip, nil))

	snapshot := mustLoad(t, source, easternTime(2025, 12, 20, 12, 0))

	if snapshot.Season != 2025 || snapshot.Week != 16 {
		t.Errorf("season, week = %d, %d, want 2025, 16", snapshot.Season, snapshot.Week)
	}
	if len(snapshot.Games) != 272 || len(snapshot.PlayerWeeks) != 19399 {
		t.Errorf("games, player rows = %d, %d, want 272, 19399", len(snapshot.Games), len(snapshot.PlayerWeeks))
	}
	if snapshot.Rosters != nil || snapshot.InjuriesAvailable {
		t.Errorf("rosters = %d rows, injuries available = %v, want nil and false: neither 2025 file is published",
			len(snapshot.Rosters), snapshot.InjuriesAvailable)
	}
	if len(snapshot.Warnings) != 1 || !strings.Contains(snapshot.Warnings[0], "roster_2025") {
		t.Errorf("warnings = %q, want one about roster_2025", snapshot.Warnings)
	}
}

func TestHTTPSourceZeroNowUsesClock(t *testing.T) {
	release := newFakeRelease(t)
	options := testOptions(release.server.URL+"/", FormatParquet, nil)
	options.Clock = fixedClock{now: easternTime(2024, 10, 1, 12, 0)}
	source := newTestSource(t, options)

	snapshot := mustLoad(t, source, time.Time{})
	if snapshot.Season != 2024 {
		t.Errorf("season = %d, want 2024 from the clock", snapshot.Season)
	}
}

func TestHTTPSourceConditionalGet(t *testing.T) {
	release := newFakeRelease(t)
	observer := &recordingObserver{}
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, observer))

	first := mustLoad(t, source, january2025)
	for _, request := range release.dataRequests() {
		if request.status != http.StatusOK || request.bytes == 0 {
			t.Errorf("first poll: %s answered %d with %d bytes, want 200 with data", request.path, request.status, request.bytes)
		}
	}

	// A new timestamp makes the source request every file again, and each
	// returns 304.
	release.resetRequests()
	release.touch()
	second := mustLoad(t, source, january2025)

	requests := release.dataRequests()
	if len(requests) != 4 {
		t.Errorf("data requests = %d, want 4", len(requests))
	}
	for _, request := range requests {
		if request.status != http.StatusNotModified || request.bytes != 0 {
			t.Errorf("second poll: %s answered %d with %d bytes, want 304 with none", request.path, request.status, request.bytes)
		}
		if request.header.Get("If-None-Match") == "" || request.header.Get("If-Modified-Since") == "" {
			t.Errorf("second poll: %s sent no conditional headers: %v", request.path, request.header)
		}
	}
	requireSameSnapshot(t, second, first)
	if observer.count("stats_player/stats_player_week_2024.parquet", OutcomeNotModified) != 1 {
		t.Errorf("observer outcomes = %q, want one not_modified for the stats file", observer.outcomes)
	}
}

func TestHTTPSourceUnchangedPollsDownloadNothing(t *testing.T) {
	release := newFakeRelease(t)
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, nil))
	first := mustLoad(t, source, january2025)
	release.resetRequests()

	for range 50 {
		snapshot := mustLoad(t, source, january2025)
		if len(snapshot.PlayerWeeks) != len(first.PlayerWeeks) || &snapshot.PlayerWeeks[0] != &first.PlayerWeeks[0] {
			t.Fatal("an unchanged poll returned other player rows than the first poll")
		}
	}

	if requests := release.dataRequests(); len(requests) != 0 {
		t.Errorf("data requests in 50 unchanged polls = %d, want 0 (first: %s)", len(requests), requests[0].path)
	}
	stamps := release.requestsOf("stats_player/timestamp.json")
	if len(stamps) != 50 {
		t.Errorf("timestamp.json requests of stats_player = %d, want 50", len(stamps))
	}
	for _, request := range stamps {
		if request.status != http.StatusNotModified {
			t.Fatalf("timestamp.json answered %d, want 304", request.status)
		}
	}
}

func TestHTTPSourceNotPublished(t *testing.T) {
	release := newFakeRelease(t)
	observer := &recordingObserver{}
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, observer))

	snapshot, err := source.Load(context.Background(), easternTime(2026, 9, 20, 12, 0))
	if !errors.Is(err, messages.ErrNotPublished) {
		t.Fatalf("Load = %v, %v, want an error wrapping ErrNotPublished", snapshot, err)
	}
	for _, want := range []string{"load stats 2026", "stats_player_week_2026.parquet", "404"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got := observer.count("stats_player/stats_player_week_2026.parquet", OutcomeNotFound); got != 1 {
		t.Errorf("not_found outcomes = %d, want 1 (a 404 is not retried)", got)
	}
}

// brokenCase makes one file misbehave.
type brokenCase struct {
	name    string
	path    string
	handler func(release *fakeRelease) http.HandlerFunc
	options func(*HTTPOptions)
	want    []string // substrings of the error
}

func respond(code int, body string) func(*fakeRelease) http.HandlerFunc {
	return func(*fakeRelease) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}
	}
}

func TestHTTPSourceFailuresKeepState(t *testing.T) {
	statsPath := "stats_player/stats_player_week_2024.parquet"
	tests := []brokenCase{
		{
			name: "server error", path: statsPath, handler: respond(http.StatusBadGateway, "bad gateway"),
			want: []string{"load stats 2024", statsPath, "502"},
		},
		{
			name: "schedule not found", path: "schedules/games.parquet", handler: respond(http.StatusNotFound, ""),
			want: []string{"load schedule", "games.parquet", "404"},
		},
		{
			name: "forbidden", path: statsPath, handler: respond(http.StatusForbidden, "no"),
			want: []string{"403"},
		},
		{
			name: "truncated body", path: statsPath,
			handler: func(release *fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					content := release.file(statsPath)
					w.Header().Set("Content-Length", strconv.Itoa(len(content)))
					_, _ = w.Write(content[:len(content)/2])
				}
			},
			want: []string{"load stats 2024", statsPath, "unexpected EOF"},
		},
		{
			name: "truncated parquet without length", path: statsPath,
			handler: func(release *fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Transfer-Encoding", "chunked")
					_, _ = w.Write(release.file(statsPath)[:len(release.file(statsPath))/2])
				}
			},
			want: []string{"load stats 2024", statsPath, "parquet"},
		},
		{
			name: "garbled body", path: statsPath, handler: respond(http.StatusOK, "<html>rate limit page</html>"),
			want: []string{"load stats 2024", statsPath, "parquet"},
		},
		{
			name: "garbled roster", path: "rosters/roster_2024.parquet",
			handler: func(release *fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					garbled := append([]byte(nil), release.file("rosters/roster_2024.parquet")...)
					for i := 4; i < len(garbled)-8; i += 97 {
						garbled[i] ^= 0x5a
					}
					_, _ = w.Write(garbled)
				}
			},
			want: []string{"load roster 2024", "roster_2024.parquet"},
		},
		{
			name: "slow server", path: statsPath,
			handler: func(*fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(2 * time.Second):
					}
				}
			},
			options: func(o *HTTPOptions) { o.ResponseHeaderTimeout = 50 * time.Millisecond },
			want:    []string{"load stats 2024", "timeout"},
		},
		{
			name: "slow body", path: statsPath,
			handler: func(release *fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Length", strconv.Itoa(len(release.file(statsPath))))
					_, _ = w.Write(release.file(statsPath)[:100])
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-time.After(2 * time.Second):
					}
				}
			},
			options: func(o *HTTPOptions) { o.RequestTimeout = 200 * time.Millisecond },
			want:    []string{"load stats 2024", "deadline exceeded"},
		},
		{
			name: "rate limit longer than allowed", path: statsPath,
			handler: func(*fakeRelease) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("X-RateLimit-Remaining", "0")
					w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
					w.WriteHeader(http.StatusForbidden)
				}
			},
			want: []string{"403", "rate limited for"},
		},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			release := newFakeRelease(t)
			options := testOptions(release.server.URL, FormatParquet, nil)
			if test.options != nil {
				test.options(&options)
			}
			source := newTestSource(t, options)
			before := mustLoad(t, source, january2025)

			release.touch()
			release.setOverride(test.path, test.handler(release))
			snapshot, err := source.Load(context.Background(), january2025)
			if err == nil {
				t.Fatalf("Load returned a snapshot of season %d, want an error", snapshot.Season)
			}
			if errors.Is(err, messages.ErrNotPublished) {
				t.Errorf("error %q wraps ErrNotPublished", err)
			}
			for _, want := range test.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}

			release.setOverride(test.path, nil)
			after := mustLoad(t, source, january2025)
			requireSameSnapshot(t, after, before)
		})
	}
}

func TestHTTPSourceRetriesServerErrors(t *testing.T) {
	release := newFakeRelease(t)
	observer := &recordingObserver{}
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, observer))
	path := "stats_player/stats_player_week_2024.parquet"

	failures := 0
	release.setOverride(path, func(w http.ResponseWriter, r *http.Request) {
		if failures < 2 {
			failures++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		serveContent(w, r, release.file(path))
	})
	mustLoad(t, source, january2025)

	if got := len(release.requestsOf(path)); got != 3 {
		t.Errorf("stats requests = %d, want 3", got)
	}
	if observer.count(path, OutcomeServerError) != 2 || observer.count(path, OutcomeOK) != 1 {
		t.Errorf("outcomes = %q, want 2 server_error and 1 ok for %s", observer.outcomes, path)
	}
}

func TestHTTPSourceServerErrorGivesUp(t *testing.T) {
	release := newFakeRelease(t)
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, nil))
	path := "stats_player/stats_player_week_2024.parquet"
	release.setOverride(path, respond(http.StatusInternalServerError, "")(release))

	if _, err := source.Load(context.Background(), january2025); err == nil {
		t.Fatal("want an error")
	}
	if got := len(release.requestsOf(path)); got != 3 {
		t.Errorf("stats requests = %d, want MaxAttempts = 3", got)
	}
}

func TestHTTPSourceHonoursRateLimits(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		header func() http.Header
	}{
		{"429 Retry-After seconds", http.StatusTooManyRequests, func() http.Header {
			return http.Header{"Retry-After": {"1"}}
		}},
		{"429 Retry-After date", http.StatusTooManyRequests, func() http.Header {
			return http.Header{"Retry-After": {time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}}
		}},
		{"403 X-RateLimit-Reset", http.StatusForbidden, func() http.Header {
			return http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Unix()+2, 10)}}
		}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			release := newFakeRelease(t)
			observer := &recordingObserver{}
			source := newTestSource(t, testOptions(release.server.URL, FormatParquet, observer))
			path := "stats_player/stats_player_week_2024.parquet"

			limited := false
			release.setOverride(path, func(w http.ResponseWriter, r *http.Request) {
				if !limited {
					limited = true
					for name, values := range test.header() {
						w.Header()[name] = values
					}
					w.WriteHeader(test.code)
					return
				}
				serveContent(w, r, release.file(path))
			})
			mustLoad(t, source, january2025)

			requests := release.requestsOf(path)
			if len(requests) != 2 {
				t.Fatalf("stats requests = %d, want 2", len(requests))
			}
			// Retry-After has one-second resolution, so the retry comes at
			// least about a second later.
			if waited := requests[1].at.Sub(requests[0].at); waited < 900*time.Millisecond {
				t.Errorf("retried after %s, want the server's wait of about a second or more", waited)
			}
			if observer.count(path, OutcomeRateLimited) != 1 {
				t.Errorf("outcomes = %q, want one rate_limited", observer.outcomes)
			}
		})
	}
}

func TestHTTPSourceRateLimitWaitHonoursContext(t *testing.T) {
	release := newFakeRelease(t)
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, nil))
	release.setOverride("schedules/games.parquet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "4")
		w.WriteHeader(http.StatusTooManyRequests)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := source.Load(ctx, january2025)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Load = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if got := len(release.requestsOf("schedules/games.parquet")); got != 1 {
		t.Errorf("schedule requests = %d, want 1", got)
	}
}

func TestHTTPSourceFollowsRedirects(t *testing.T) {
	assets := newFakeRelease(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, assets.server.URL+r.URL.Path+"?signed=1", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	source := newTestSource(t, testOptions(redirector.URL, FormatParquet, nil))

	first := mustLoad(t, source, january2025)
	assets.resetRequests()
	assets.touch()
	second := mustLoad(t, source, january2025)

	requireSameSnapshot(t, second, first)
	for _, request := range assets.dataRequests() {
		if request.status != http.StatusNotModified {
			t.Errorf("%s answered %d after the redirect, want 304: conditional headers lost", request.path, request.status)
		}
	}
}

func TestHTTPSourceEmptyFileKeepsRows(t *testing.T) {
	release := newFakeRelease(t)
	source := newTestSource(t, testOptions(release.server.URL, FormatCSVGzip, nil))
	before := mustLoad(t, source, january2025)

	header := func(path string) []byte {
		content := gunzip(t, release.file(path+".csv.gz"))
		return content[:strings.IndexByte(string(content), '\n')+1]
	}
	release.touch()
	release.setCSV("stats_player/stats_player_week_2024", header("stats_player/stats_player_week_2024"))
	release.setCSV("rosters/roster_2024", header("rosters/roster_2024"))
	release.setCSV("injuries/injuries_2024", header("injuries/injuries_2024"))

	// Twice: the second poll revalidates the empty files with 304s.
	for poll := 1; poll <= 2; poll++ {
		release.touch()
		after := mustLoad(t, source, january2025)

		if err := equalMessages(after.PlayerWeeks, before.PlayerWeeks); err != nil {
			t.Errorf("poll %d player rows: %v", poll, err)
		}
		if err := equalMessages(after.Rosters, before.Rosters); err != nil {
			t.Errorf("poll %d rosters: %v", poll, err)
		}
		if after.InjuriesAvailable {
			t.Errorf("poll %d: InjuriesAvailable = true for an empty injuries file", poll)
		}
		if len(after.Warnings) != 3 {
			t.Errorf("poll %d warnings = %q, want one per empty file", poll, after.Warnings)
		}
	}
}

func TestHTTPSourceInjuriesNotFound(t *testing.T) {
	release := newFakeRelease(t)
	release.setFile("injuries/injuries_2024.parquet", nil)
	source := newTestSource(t, testOptions(release.server.URL, FormatParquet, nil))

	snapshot := mustLoad(t, source, january2025)
	if snapshot.InjuriesAvailable || snapshot.Injuries != nil {
		t.Errorf("injuries = %d rows, available %v, want none", len(snapshot.Injuries), snapshot.InjuriesAvailable)
	}
	if len(snapshot.PlayerWeeks) == 0 {
		t.Error("no player rows")
	}
}

func TestHTTPSourceConflictsAreStable(t *testing.T) {
	release := newFakeRelease(t)
	content := gunzip(t, release.file("stats_player/stats_player_week_2024.csv.gz"))
	lines := strings.SplitAfter(string(content), "\n")
	// Repeat a player row unchanged, and once with a changed value.
	repeated := lines[1]
	changed := strings.Replace(repeated, ",REG,", ",POST,", 1)
	if changed == repeated {
		t.Fatal("test row has no season_type REG")
	}
	lines = append(lines[:3], append([]string{changed, repeated}, lines[3:]...)...)
	release.setCSV("stats_player/stats_player_week_2024", []byte(strings.Join(lines, "")))
	shared := newTestSource(t, testOptions(release.server.URL, FormatCSV, nil))

	// Polls alternate between a source that parses the file again and one
	// that revalidates its cached parse.
	var kept []*messages.PlayerWeek
	for poll := 1; poll <= 4; poll++ {
		source := shared
		if poll%2 == 0 {
			source = newTestSource(t, testOptions(release.server.URL, FormatCSV, nil))
		}
		release.touch()
		snapshot := mustLoad(t, source, january2025)

		if snapshot.Conflicts != 1 {
			t.Errorf("poll %d: conflicts = %d, want 1", poll, snapshot.Conflicts)
		}
		if len(snapshot.Warnings) != 1 || !strings.Contains(snapshot.Warnings[0], "different values") {
			t.Errorf("poll %d: warnings = %q, want one about the conflict", poll, snapshot.Warnings)
		}
		if len(snapshot.PlayerWeeks) != 18959 {
			t.Errorf("poll %d: player rows = %d, want 18959", poll, len(snapshot.PlayerWeeks))
		}
		first := snapshot.PlayerWeeks[0]
		if first.GetSeasonType() != "REG" {
			t.Errorf("poll %d: kept season_type %q, want the first row's REG", poll, first.GetSeasonType())
		}
		kept = append(kept, first)
	}
	for _, row := range kept[1:] {
		if !proto.Equal(row, kept[0]) {
			t.Errorf("kept row changed between polls: %v, then %v", kept[0], row)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for input, want := range map[string]Format{"": FormatParquet, "parquet": FormatParquet, "csv": FormatCSV, "csv.gz": FormatCSVGzip} {
		if got, err := ParseFormat(input); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v, want %q", input, got, err, want)
		}
	}
	if _, err := ParseFormat("rds"); err == nil || !strings.Contains(err.Error(), "rds") {
		t.Errorf("ParseFormat(rds) error = %v, want one naming rds", err)
	}
}

func TestRateLimitWait(t *testing.T) {
	now := time.Date(2025, 1, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{"date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0, true},
		{"reset", http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Unix()+30, 10)}}, 30 * time.Second, true},
		{"invalid", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"none", http.Header{}, 0, false},
	}
	for _, test := range tests {
		got, ok := rateLimitWait(test.header, now)
		if got != test.want || ok != test.ok {
			t.Errorf("%s: rateLimitWait = %s, %v, want %s, %v", test.name, got, ok, test.want, test.ok)
		}
	}
}

func TestHTTPSourceDefaults(t *testing.T) {
	source := NewHTTPSource("", nil, nil)

	if source.options.BaseURL != DefaultBaseURL || source.options.Format != FormatParquet {
		t.Errorf("base URL, format = %q, %q, want %q, parquet", source.options.BaseURL, source.options.Format, DefaultBaseURL)
	}
	transport, ok := source.options.Client.Transport.(*http.Transport)
	if !ok || transport.ResponseHeaderTimeout == 0 {
		t.Error("default client has no response header timeout")
	}
	if _, ok := source.options.Clock.(messages.SystemClock); !ok {
		t.Errorf("clock = %T, want messages.SystemClock", source.options.Clock)
	}
}
