package espn

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// fastRetry keeps retry waits short in tests.
var fastRetry = Retry{Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

func newTestClient(t *testing.T, handler http.Handler) *Client {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	client, err := NewClient(Config{BaseURL: server.URL, Version: "1.2.3", HTTPClient: server.Client(), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func TestClientScoreboardConditionalRequests(t *testing.T) {
	body := readFixture(t, "scoreboard/2025-wk14_2025-12-07T185945Z_in.json")
	var requests atomic.Int32
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != scoreboardPath {
			t.Errorf("path = %s, want %s", r.URL.Path, scoreboardPath)
		}
		if got := r.URL.Query().Encode(); got != "dates=20251207&seasontype=2&week=14" {
			t.Errorf("query = %s", got)
		}
		if got, want := r.Header.Get("User-Agent"), "nflsync/1.2.3 (+https://github.com/nflsync/nflsync)"; got != want {
			t.Errorf("User-Agent = %q, want %q", got, want)
		}
		if r.Header.Get("If-None-Match") == `"v1"` && r.Header.Get("If-Modified-Since") == "Sun, 07 Dec 2025 18:59:45 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Sun, 07 Dec 2025 18:59:45 GMT")
		_, _ = w.Write(body)
	}))

	query := ScoreboardQuery{Dates: "20251207", Week: 14, SeasonType: 2}
	first, err := client.Scoreboard(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.Scoreboard(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}

	if first.NotModified || !second.NotModified {
		t.Errorf("NotModified = %v then %v, want false then true", first.NotModified, second.NotModified)
	}
	if len(second.Games) != 14 {
		t.Errorf("cached scoreboard has %d games, want 14", len(second.Games))
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}

func TestClientSummary(t *testing.T) {
	body := readFixture(t, "summary/401547417_2023-wk2_ATL-GB_final.json")
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != summaryPath || r.URL.Query().Get("event") != "401547417" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))

	summary, err := client.Summary(context.Background(), "401547417")
	if err != nil {
		t.Fatal(err)
	}
	if summary.EspnID != "401547417" || len(summary.Teams) != 2 {
		t.Errorf("summary %s with %d teams, want 401547417 with 2", summary.EspnID, len(summary.Teams))
	}
	if _, err := client.Summary(context.Background(), "../x"); err == nil {
		t.Error("invalid event id: no error")
	}
}

func TestClientRetriesServerErrors(t *testing.T) {
	body := readFixture(t, "scoreboard/2025-wk14_2025-12-07T185945Z_in.json")
	var requests atomic.Int32
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(body)
	}))

	if _, err := client.Scoreboard(context.Background(), ScoreboardQuery{}); err != nil {
		t.Fatalf("third try should succeed: %v", err)
	}
	if got := requests.Load(); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
}

func TestClientGivesUpAfterAttempts(t *testing.T) {
	var requests atomic.Int32
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))

	_, err := client.Scoreboard(context.Background(), ScoreboardQuery{})
	var status *StatusError
	if !errors.As(err, &status) || status.StatusCode != http.StatusTooManyRequests {
		t.Errorf("error = %v, want a 429 StatusError", err)
	}
	if got := requests.Load(); got != int32(fastRetry.Attempts) {
		t.Errorf("%d requests, want %d", got, fastRetry.Attempts)
	}
}

func TestClientDoesNotRetryNotFound(t *testing.T) {
	var requests atomic.Int32
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))

	if _, err := client.Scoreboard(context.Background(), ScoreboardQuery{}); err == nil {
		t.Error("404: no error")
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestClientStopsWaitingWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		cancel()
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(server.Close)

	// A retry wait of an hour ends only through the context.
	client, err := NewClient(Config{BaseURL: server.URL, HTTPClient: server.Client(),
		Retry: Retry{Attempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Scoreboard(ctx, ScoreboardQuery{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
}

func TestClientRejectsBadBody(t *testing.T) {
	client := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<html>maintenance</html>`))
	}))
	if _, err := client.Scoreboard(context.Background(), ScoreboardQuery{}); err == nil {
		t.Error("HTML body: no error")
	}
}

func TestNewClientConfig(t *testing.T) {
	for name, config := range map[string]Config{
		"relative base URL": {BaseURL: "site.api.espn.com"},
		"ftp base URL":      {BaseURL: "ftp://example.com"},
		"negative attempts": {Retry: Retry{Attempts: -1}},
		"max below base":    {Retry: Retry{Attempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewClient(config); err == nil {
				t.Error("no error")
			}
		})
	}

	client, err := NewClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if client.baseURL != DefaultBaseURL || client.userAgent != "nflsync/dev (+https://github.com/nflsync/nflsync)" {
		t.Errorf("defaults: base %s, User-Agent %s", client.baseURL, client.userAgent)
	}
}

func TestRetryDelayIsBounded(t *testing.T) {
	client := &Client{retry: Retry{Attempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}}
	for attempt := 1; attempt < 10; attempt++ {
		for range 50 {
			delay := client.delay(attempt)
			bound := min(100*time.Millisecond<<(attempt-1), time.Second)
			if delay < bound/2 || delay > bound {
				t.Fatalf("attempt %d: delay %v, want within [%v, %v]", attempt, delay, bound/2, bound)
			}
		}
	}
}
