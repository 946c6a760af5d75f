package mongo

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

func skipWithExternalServer(t *testing.T) {
	t.Helper()

	if os.Getenv("NFL_SYNC_MONGO_URI") != "" {
		t.Skip("the test stops and starts the embedded FerretDB; NFL_SYNC_MONGO_URI is set")
	}
}

// shortRetryConfig fails fast so that tests of a stopped server end soon.
var shortRetryConfig = storeConfig{
	serverSelectionTimeout: 300 * time.Millisecond,
	retry: retryPolicy{
		maxAttempts:  3,
		initialDelay: 50 * time.Millisecond,
		maxDelay:     100 * time.Millisecond,
	},
}

func TestEmbeddedListensOnLoopback(t *testing.T) {
	skipWithExternalServer(t)

	embedded := startTestEmbedded(t, t.TempDir())

	uri, err := url.Parse(embedded.URI())
	if err != nil {
		t.Fatalf("parse URI %q: %v", embedded.URI(), err)
	}
	if uri.Scheme != "mongodb" {
		t.Errorf("URI scheme = %q, want mongodb", uri.Scheme)
	}
	if uri.Hostname() != "127.0.0.1" {
		t.Errorf("URI host = %q, want 127.0.0.1", uri.Hostname())
	}
	if uri.Port() == "" || uri.Port() == "0" {
		t.Errorf("URI port = %q, want the bound port", uri.Port())
	}
}

func TestEmbeddedCloseTwice(t *testing.T) {
	skipWithExternalServer(t)

	embedded := startTestEmbedded(t, t.TempDir())

	if err := embedded.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := embedded.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestEmbeddedRestartKeepsData(t *testing.T) {
	skipWithExternalServer(t)

	dataDir := t.TempDir()
	ctx := testContext(t)

	first := startTestEmbedded(t, dataDir)
	store, err := Open(ctx, first.URI(), "nflsync")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	week := playerWeek("00-0033873", 2024, 1, "fantasy_points_ppr", "18.58", "passing_yards", "291")
	if err := store.UpsertPlayerWeeks(ctx, []*messages.PlayerWeek{week}); err != nil {
		t.Fatalf("UpsertPlayerWeeks: %v", err)
	}
	if err := store.Close(ctx); err != nil {
		t.Fatalf("close store: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("close first server: %v", err)
	}

	second := startTestEmbedded(t, dataDir)
	store, err = Open(ctx, second.URI(), "nflsync")
	if err != nil {
		t.Fatalf("Open after restart: %v", err)
	}
	t.Cleanup(func() { _ = store.Close(context.Background()) })

	state, found, err := store.Player(ctx, "00-0033873")
	if err != nil {
		t.Fatalf("Player after restart: %v", err)
	}
	if !found {
		t.Fatal("Player after restart: found=false, want the week written before the restart")
	}
	if len(state.Weeks) != 1 || state.Weeks[0].Stats[0].Value != "18.58" {
		t.Errorf("Player after restart = %v, want the week with fantasy_points_ppr 18.58", state)
	}
}

func TestStoreWriteFailsWhileServerDown(t *testing.T) {
	skipWithExternalServer(t)

	embedded := startTestEmbedded(t, t.TempDir())
	store := openTestStore(t, embedded.URI(), shortRetryConfig)

	closeStarted := time.Now()
	if err := embedded.Close(); err != nil {
		t.Fatalf("close server: %v", err)
	}
	t.Logf("Close with a connected client took %v", time.Since(closeStarted))

	// No ctx deadline: the retry policy alone must end the call. A hang
	// shows up as the test binary's timeout.
	err := store.UpsertGames(context.Background(), []*messages.Game{{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1}})
	if err == nil {
		t.Fatal("UpsertGames with the server stopped returned no error")
	}
	t.Logf("error: %v", err)

	if !isRetryable(err) {
		t.Errorf("error %v is not a network or server selection error", err)
	}
}

func TestStoreWriteRetriesUntilRestart(t *testing.T) {
	skipWithExternalServer(t)

	dataDir := t.TempDir()
	embedded := startTestEmbedded(t, dataDir)
	config := storeConfig{
		serverSelectionTimeout: 300 * time.Millisecond,
		retry:                  retryPolicy{maxAttempts: 100, initialDelay: 50 * time.Millisecond, maxDelay: 200 * time.Millisecond},
	}
	store := openTestStore(t, embedded.URI(), config)
	ctx := testContext(t)

	if err := embedded.Close(); err != nil {
		t.Fatalf("close server: %v", err)
	}

	written := make(chan error, 1)
	go func() {
		written <- store.UpsertGames(ctx, []*messages.Game{{GameId: "2024_01_BAL_KC", Season: 2024, Week: 1, Status: messages.GameStatusFinal}})
	}()

	// Let the write fail at least once before the server comes back on the
	// same port.
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-written:
		t.Fatalf("UpsertGames returned %v before the restart, want it to keep retrying", err)
	default:
	}

	restarted, err := startEmbedded(ctx, dataDir, embedded.addr)
	if err != nil {
		t.Fatalf("restart on %s: %v", embedded.addr, err)
	}
	t.Cleanup(func() { _ = restarted.Close() })

	if err := <-written; err != nil {
		t.Fatalf("UpsertGames across the restart: %v", err)
	}

	game, found, err := store.Game(ctx, "2024_01_BAL_KC")
	if err != nil || !found {
		t.Fatalf("Game after the restart: found=%v err=%v", found, err)
	}
	if game.Status != messages.GameStatusFinal {
		t.Errorf("status = %q, want %q", game.Status, messages.GameStatusFinal)
	}
}

func TestOpenFailsWithoutServer(t *testing.T) {
	skipWithExternalServer(t)

	embedded := startTestEmbedded(t, t.TempDir())
	uri := embedded.URI()
	if err := embedded.Close(); err != nil {
		t.Fatalf("close server: %v", err)
	}

	_, err := open(context.Background(), uri, "nflsync", shortRetryConfig)
	if err == nil {
		t.Fatal("open with the server stopped returned no error")
	}
	t.Logf("error: %v", err)
}
