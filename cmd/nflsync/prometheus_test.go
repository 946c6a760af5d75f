//go:build linux

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/metrics"
	"github.com/nflsync/nflsync/metrics/prometheustest"
)

// alertRulesFile is the production alert rules file, relative to this
// package.
var alertRulesFile = filepath.Join("..", "..", "deploy", "prometheus", "alerts.yml")

// startScrapedServer runs `nflsync serve` in-process with /metrics on a
// listener of its own (NFL_SYNC_METRICS_ADDR), and a real Prometheus that
// scrapes it every second and evaluates the production alert rules with
// `for:` cut to 1 s. It returns the server's public address and Prometheus.
func startScrapedServer(t *testing.T, extra map[string]string) (string, *prometheustest.Server) {
	t.Helper()

	// Fail before the slow start of the server when the binary is missing.
	prometheustest.RequireTool(t, "prometheus")

	metricsAddress := prometheustest.FreeLoopbackAddress(t)
	settings := map[string]string{"NFL_SYNC_METRICS_ADDR": metricsAddress}
	for name, value := range extra {
		settings[name] = value
	}
	address, _ := startServer(t, t.TempDir(), "1", settings)

	prometheus := prometheustest.Start(t, prometheustest.Config{
		Target:      metricsAddress,
		MetricsPath: metrics.Path,
		RulesFile:   alertRulesFile,
	})
	prometheus.WaitForValue(t, `up{job="nflsync"}`, 1)
	return address, prometheus
}

// drainMessages reads conn until it closes, so that the server never finds
// the client's send queue full, and counts the PLAYER_UPDATE messages.
func drainMessages(conn *websocket.Conn, playerUpdates *atomic.Int64) {
	go func() {
		for {
			_, payload, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(payload), `"type":"PLAYER_UPDATE"`) {
				playerUpdates.Add(1)
			}
		}
	}()
}

// TestPrometheusScrapesReplayServer replays the real 2024 season with two
// WebSocket clients connected and checks, through Prometheus's HTTP API,
// that the server's own series carry the expected values.
func TestPrometheusScrapesReplayServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	const joshAllenID = "00-0034857"

	address, prometheus := startScrapedServer(t, nil)

	// Two sessions that follow three players and one game in all.
	first := dial(t, address,
		`{"action":"subscribe_player","player_id":"`+mahomesID+`"}`,
		`{"action":"subscribe_player","player_id":"`+joshAllenID+`"}`)
	second := dial(t, address,
		`{"action":"subscribe_player","player_id":"`+mahomesID+`"}`,
		`{"action":"subscribe_game","game_id":"`+denverAtKCID+`"}`)
	for _, conn := range []*websocket.Conn{first, second} {
		if ack := readMessage(t, conn); ack.Type != "ACK" {
			t.Fatalf("first message %q, want ACK", ack.Type)
		}
	}
	var playerUpdates atomic.Int64
	drainMessages(first, &playerUpdates)
	drainMessages(second, &playerUpdates)

	prometheus.WaitForValue(t, `nflsync_sessions_connected`, 2)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="player"}`, 3)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="game"}`, 1)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="league"}`, 0)

	// Each replay cycle reveals one more week, and a week of the 2024
	// season has about 1,000 player-weeks, so three cycles find more
	// than 1000 player_stats deltas.
	prometheus.WaitForSample(t, `nflsync_sync_cycles_total{outcome="ok"}`, ">= 3",
		func(cycles float64) bool { return cycles >= 3 })
	prometheus.WaitForSample(t, `nflsync_deltas_total{kind="player_stats"}`, "> 1000",
		func(deltas float64) bool { return deltas > 1000 })
	prometheus.WaitForSample(t, `nflsync_deltas_total{kind="game"}`, "> 0",
		func(deltas float64) bool { return deltas > 0 })
	prometheus.WaitForSample(t, `nflsync_messages_sent_total{type="PLAYER_UPDATE"}`, "> 0",
		func(sent float64) bool { return sent > 0 })
	prometheus.WaitForSample(t, `nflsync_scoring_duration_seconds_count`, "> 1000",
		func(count float64) bool { return count > 1000 })
	prometheus.WaitForSample(t, `nflsync_delivery_latency_seconds_count`, "> 0",
		func(count float64) bool { return count > 0 })
	prometheus.WaitForSample(t, `nflsync_store_write_duration_seconds_count`, "> 0",
		func(count float64) bool { return count > 0 })
	prometheus.WaitForSample(t, `nflsync_mirror_write_duration_seconds_count`, "> 0",
		func(count float64) bool { return count > 0 })
	prometheus.WaitForSample(t, `time() - nflsync_last_successful_sync_timestamp_seconds`, "< 30",
		func(age float64) bool { return age >= 0 && age < 30 })
	prometheus.WaitForSample(t, `go_goroutines{job="nflsync"}`, "> 0",
		func(goroutines float64) bool { return goroutines > 0 })
	prometheus.WaitForValue(t, `nflsync_cluster_members`, 1)

	// The replay never fails, and a replay makes no HTTP requests.
	prometheus.WaitForValue(t, `nflsync_sync_cycles_total{outcome="error"}`, 0)
	prometheus.WaitForValue(t, `sum(nflsync_source_requests_total)`, 0)
	prometheus.WaitForValue(t, `sum(nflsync_messages_dropped_total)`, 0)
	prometheus.WaitForValue(t, `nflsync_slow_client_disconnects_total`, 0)

	if playerUpdates.Load() == 0 {
		t.Errorf("clients received no PLAYER_UPDATE although Prometheus counted some sent")
	}

	// The gauges still match the open connections after the replay ran.
	prometheus.WaitForValue(t, `nflsync_sessions_connected`, 2)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="player"}`, 3)

	// Closing one session removes it and its subscriptions from the gauges.
	second.Close()
	prometheus.WaitForValue(t, `nflsync_sessions_connected`, 1)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="player"}`, 2)
	prometheus.WaitForValue(t, `nflsync_subscriptions{kind="game"}`, 0)
}

// failingRelease serves real nflverse test files under the release URL
// layout, <base>/<tag>/timestamp.json and <base>/<tag>/<file>, until fail
// is called, and 500 Internal Server Error to every request after that.
type failingRelease struct {
	server  *httptest.Server
	stats   []byte
	games   []byte
	failing atomic.Bool
}

// statsWeeks is how many weeks of the real 2024 stats file the release
// serves: 2,088 player-weeks. Storing the whole season's 18,959 rows in
// embedded FerretDB took over a minute under the race detector on a 2-core
// machine, and the server's shutdown waits for that flush.
const statsWeeks = 2

// newFailingRelease serves, in csv.gz, the real schedule of seasons
// 2023-2025 and the first statsWeeks weeks of the real 2024 stats file. The
// server picks the season from the wall clock, so the stats file is served
// under whatever season's name it requests, and its rows keep season 2024.
// Roster and injuries requests get 404, as for a season that is not
// published yet.
func newFailingRelease(t *testing.T) *failingRelease {
	t.Helper()

	games, err := os.ReadFile(filepath.Join("..", "..", "testdata", "nflverse", "schedules", "games.csv"))
	if err != nil {
		t.Fatalf("read test schedule: %v", err)
	}
	release := &failingRelease{
		stats: firstWeeksOfStats(t, filepath.Join("..", "..", "testdata", "nflverse", "stats_player", "stats_player_week_2024.csv.gz"), statsWeeks),
		games: gzipBytes(t, games),
	}
	release.server = httptest.NewServer(http.HandlerFunc(release.serve))
	t.Cleanup(release.server.Close)
	return release
}

// firstWeeksOfStats returns the header and the rows of weeks 1 to weeks of
// the gzipped stats CSV file at path, gzipped.
func firstWeeksOfStats(t *testing.T, path string, weeks int) []byte {
	t.Helper()

	file, err := os.Open(path)
	if err != nil {
		t.Fatalf("open test stats: %v", err)
	}
	defer file.Close()
	decompressed, err := gzip.NewReader(file)
	if err != nil {
		t.Fatalf("read test stats %s: %v", path, err)
	}
	records, err := csv.NewReader(decompressed).ReadAll()
	if err != nil {
		t.Fatalf("parse test stats %s: %v", path, err)
	}

	weekColumn := slices.Index(records[0], "week")
	if weekColumn < 0 {
		t.Fatalf("test stats %s has no week column: %v", path, records[0])
	}
	selected := records[:1]
	for _, record := range records[1:] {
		week, err := strconv.Atoi(record[weekColumn])
		if err != nil {
			t.Fatalf("test stats %s: invalid week %q", path, record[weekColumn])
		}
		if week <= weeks {
			selected = append(selected, record)
		}
	}

	var text bytes.Buffer
	writer := csv.NewWriter(&text)
	if err := writer.WriteAll(selected); err != nil {
		t.Fatalf("write test stats: %v", err)
	}
	return gzipBytes(t, text.Bytes())
}

func gzipBytes(t *testing.T, content []byte) []byte {
	t.Helper()

	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write(content); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if err := writer.Close(); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return compressed.Bytes()
}

func (r *failingRelease) fail() {
	r.failing.Store(true)
}

func (r *failingRelease) serve(w http.ResponseWriter, request *http.Request) {
	if r.failing.Load() {
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	}

	path := strings.TrimPrefix(request.URL.Path, "/")
	switch {
	case strings.HasSuffix(path, "/timestamp.json"):
		fmt.Fprint(w, `{"last_updated":"2025-01-20 04:00:00 EST"}`)
	case path == "schedules/games.csv.gz":
		_, _ = w.Write(r.games)
	case strings.HasPrefix(path, "stats_player/stats_player_week_") && strings.HasSuffix(path, ".csv.gz"):
		_, _ = w.Write(r.stats)
	default:
		http.NotFound(w, request)
	}
}

// TestPrometheusAlertsOnSourceFailure polls a local nflverse release that
// first serves real files and then fails every request with 500, and checks
// that the node stays ready, counts the server errors, and that Prometheus
// fires NflsyncSourceFailing.
func TestPrometheusAlertsOnSourceFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}

	release := newFailingRelease(t)
	address, prometheus := startScrapedServer(t, map[string]string{
		"NFL_SYNC_SOURCE":                     "nflverse",
		"NFL_SYNC_NFLVERSE_BASE_URL":          release.server.URL,
		"NFL_SYNC_NFLVERSE_FORMAT":            "csv.gz",
		"NFL_SYNC_OFFSEASON_INTERVAL_SECONDS": "1",
	})

	// The node is ready once a poll succeeded.
	waitForReadyz(t, address)
	prometheus.WaitForSample(t, `nflsync_sync_cycles_total{outcome="ok"}`, ">= 1",
		func(cycles float64) bool { return cycles >= 1 })
	prometheus.WaitForSample(t, `nflsync_source_requests_total{source="nflverse", outcome="ok"}`, ">= 4",
		func(requests float64) bool { return requests >= 4 })
	prometheus.WaitForSample(t, `nflsync_source_downloaded_bytes_total{source="nflverse"}`,
		fmt.Sprintf(">= %d", len(release.stats)+len(release.games)),
		func(downloaded float64) bool { return downloaded >= float64(len(release.stats)+len(release.games)) })
	prometheus.WaitForSample(t, `nflsync_deltas_total{kind="player_stats"}`, "> 1000",
		func(deltas float64) bool { return deltas > 1000 })
	prometheus.WaitForValue(t, `nflsync_source_requests_total{source="nflverse", outcome="server_error"}`, 0)

	// Every request fails from now on. Each failed poll makes 4 attempts
	// of its first request (the source's default MaxAttempts).
	release.fail()

	before := prometheus.WaitForSample(t, `nflsync_source_requests_total{source="nflverse", outcome="server_error"}`, ">= 4",
		func(serverErrors float64) bool { return serverErrors >= 4 })
	prometheus.WaitForSample(t, `nflsync_source_requests_total{source="nflverse", outcome="server_error"}`,
		fmt.Sprintf("> %v", before), func(serverErrors float64) bool { return serverErrors > before })
	prometheus.WaitForSample(t, `nflsync_sync_cycles_total{outcome="error"}`, ">= 1",
		func(cycles float64) bool { return cycles >= 1 })

	// The alert fires once server errors outnumber the other requests
	// that Prometheus saw within its 5-minute window, which takes a few
	// failed polls after the healthy ones of this test.
	alert := prometheus.WaitForAlert(t, "NflsyncSourceFailing", map[string]string{
		"source":   metrics.SourceNflverse,
		"severity": "warning",
	})
	if summary := alert.Annotations["summary"]; !strings.Contains(summary, "requests to nflverse fail") {
		t.Errorf("NflsyncSourceFailing summary %q lacks %q", summary, "requests to nflverse fail")
	}

	// A failed poll keeps the last good state, so the node stays ready.
	if status, body := getReadyz(t, address); status != http.StatusOK {
		t.Errorf("/readyz while the source fails: %d %q, want 200", status, body)
	}
}

// waitForReadyz waits up to a minute for /readyz to return 200.
func waitForReadyz(t *testing.T, address string) {
	t.Helper()

	deadline := time.Now().Add(time.Minute)
	for {
		status, body := getReadyz(t, address)
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %q after a minute, want 200 after the first good poll", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getReadyz(t *testing.T, address string) (int, string) {
	t.Helper()

	client := &http.Client{Timeout: 5 * time.Second}
	response, err := client.Get("http://" + address + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read /readyz: %v", err)
	}
	return response.StatusCode, string(body)
}
