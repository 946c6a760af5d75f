// Package browser drives nflsync's live page in headless Chromium against
// a running `nflsync serve` that replays the 2024 season.
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nflsync/nflsync/web"
)

const (
	chromiumPath = "/usr/bin/chromium"

	// screenshotPath is where the test saves the page, relative to this
	// directory. It is committed so that readers can see the page.
	screenshotPath = "../../docs/screenshot.png"

	// testTimeout bounds the whole run; nothing relies on its length.
	testTimeout = 4 * time.Minute
)

func TestLivePageUpdatesInChromium(t *testing.T) {
	requireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	binary := buildNflsync(t, ctx)
	backend := startNflsync(t, ctx, binary)
	pageURL := pageURLFor(t, backend) + "/?player=00-0033873"

	command := exec.CommandContext(ctx, "node", "run.mjs", pageURL, screenshotPath)
	var stderr strings.Builder
	command.Stderr = &stderr
	output, err := command.Output()
	if err != nil {
		hint := ""
		if strings.Contains(stderr.String(), "scoreboard") {
			hint = "\nThe scoreboard is fed by GAME_SCORES that the game actors publish on " +
				"actors.StreamKey(messages.StreamKind_STREAM_KIND_SCOREBOARD, actors.ScoreboardID)."
		}
		t.Fatalf("node run.mjs %s failed: %v\n%s%s", pageURL, err, stderr.String(), hint)
	}

	var summary struct {
		ScoreboardWeek  string `json:"scoreboardWeek"`
		ScoreboardGames int    `json:"scoreboardGames"`
		Player          string `json:"player"`
		PlayerWeeks     int    `json:"playerWeeks"`
	}
	if err := json.Unmarshal(output, &summary); err != nil {
		t.Fatalf("node output %q is not the JSON summary: %v", output, err)
	}
	t.Logf("page: %s", output)
	if !strings.Contains(summary.Player, "Mahomes") {
		t.Errorf("player = %q, want Patrick Mahomes (00-0033873)", summary.Player)
	}
	if summary.PlayerWeeks < 2 {
		t.Errorf("player weeks = %d, want at least 2", summary.PlayerWeeks)
	}
	if summary.ScoreboardGames == 0 {
		t.Error("scoreboard shows no games")
	}
}

// requireTools fails the test, with what to run, when node, chromium or
// the npm packages are missing.
func requireTools(t *testing.T) {
	t.Helper()

	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed; run `sh e2e/browser/ensure.sh` (as root, it installs Debian's nodejs, npm and chromium)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing; run `sh e2e/browser/ensure.sh` (as root, it installs Debian's chromium)", chromiumPath)
	}
	if _, err := os.Stat("node_modules/playwright-core/package.json"); err != nil {
		command := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		if output, err := command.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in e2e/browser failed: %v\n%s\nrun `sh e2e/browser/ensure.sh`", err, output)
		}
	}
}

func buildNflsync(t *testing.T, ctx context.Context) string {
	t.Helper()

	binary := filepath.Join(t.TempDir(), "nflsync")
	command := exec.CommandContext(ctx, "go", "build", "-o", binary, "github.com/nflsync/nflsync/cmd/nflsync")
	if output, err := command.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/nflsync: %v\n%s", err, output)
	}
	return binary
}

// startNflsync runs `nflsync serve` on the 2024 replay, one week per second,
// and returns its base URL once it listens.
func startNflsync(t *testing.T, ctx context.Context, binary string) string {
	t.Helper()

	replay, err := filepath.Abs("../../testdata/replay/2024")
	if err != nil {
		t.Fatal(err)
	}
	command := exec.CommandContext(ctx, binary, "serve")
	// serve keeps its embedded database under ./data, so each run starts
	// from week 1 in a directory of its own.
	command.Dir = t.TempDir()
	command.Env = append(os.Environ(),
		"NFL_SYNC_SOURCE=replay:"+replay,
		// Three seconds a week keeps the replay running (22 weeks, about
		// a minute) while Chromium starts and loads the page.
		"NFL_SYNC_INTERVAL_SECONDS=3",
		"NFL_SYNC_LISTEN_ADDR=127.0.0.1:0",
		"NFL_SYNC_LOG_FORMAT=json",
	)
	logs, err := command.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := command.Start(); err != nil {
		t.Fatalf("start nflsync serve: %v", err)
	}
	t.Cleanup(func() {
		_ = command.Process.Signal(syscall.SIGTERM)
		_ = command.Wait()
	})

	// The listen address is in the "nflsync started" log line.
	address := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(logs)
		for scanner.Scan() {
			var line struct {
				Message    string `json:"msg"`
				ListenAddr string `json:"listen_addr"`
			}
			if json.Unmarshal(scanner.Bytes(), &line) == nil && line.Message == "nflsync started" {
				address <- line.ListenAddr
				break
			}
		}
		_, _ = io.Copy(io.Discard, logs)
	}()

	select {
	case listenAddr := <-address:
		return "http://" + listenAddr
	case <-time.After(time.Minute):
		t.Fatal("nflsync serve did not log \"nflsync started\" within a minute")
	}
	return ""
}

// pageURLFor returns the URL of the live page. When nflsync serves the page
// itself, that is nflsync. Otherwise a local server serves web.StaticHandler
// and passes /ws through to nflsync, so that the page and the WebSocket
// share an origin as they do in production.
func pageURLFor(t *testing.T, backend string) string {
	t.Helper()

	response, err := http.Get(backend + "/")
	if err == nil {
		body, _ := io.ReadAll(response.Body)
		response.Body.Close()
		if response.StatusCode == http.StatusOK && strings.Contains(string(body), "nflsync live") {
			return backend
		}
	}

	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", httputil.NewSingleHostReverseProxy(target))
	mux.Handle("/", web.StaticHandler())
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)
	return front.URL
}
