package mongo

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Embedded is a FerretDB server (v1.24.2, SQLite handler) running inside
// the nflsync process. nflsync starts it when no MongoDB URI is configured.
//
// FerretDB v1.24.2 has no Decimal128 and no transactions, and racing
// updates to one document can lose writes. Store needs none of these:
// decimals are strings and every key has one writer.
type Embedded struct {
	uri     string
	addr    string
	dataDir string

	cancel context.CancelFunc
	done   chan struct{}

	closeOnce sync.Once
}

// newServerMu serializes ferretdb.New, which writes a package-level
// variable of FerretDB (the build's package name) without locking.
var newServerMu sync.Mutex

// StartEmbedded starts FerretDB with its SQLite files in dataDir, creating
// the directory if needed, and listening on a free port of 127.0.0.1. It
// returns once the server responds to a ping. ctx bounds the start-up only.
// Close stops the server.
func StartEmbedded(ctx context.Context, dataDir string) (*Embedded, error) {
	return startEmbedded(ctx, dataDir, "127.0.0.1:0")
}

// startEmbedded is StartEmbedded on a given TCP address. Tests use it to
// restart a server on the port that a client already points at.
func startEmbedded(ctx context.Context, dataDir, addr string) (*Embedded, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: data directory %q: %w", dataDir, err)
	}

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: create data directory: %w", err)
	}

	// The SQLite handler requires a file: URI of an existing directory that
	// ends with a slash. It keeps one SQLite file per database there.
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/", OmitHost: true}).String()

	started := time.Now()

	newServerMu.Lock()
	server, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr},
		Logger:   slog.New(errorLevelHandler{slog.Default().Handler()}),
		Handler:  "sqlite",

		SQLiteURL: sqliteURL,
	})
	newServerMu.Unlock()

	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB on %s with data in %s: %w", addr, dir, err)
	}

	// The server outlives ctx: only Close stops it.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{
		uri:     server.MongoDBURI(),
		dataDir: dir,
		cancel:  cancel,
		done:    make(chan struct{}),
	}

	go func() {
		defer close(e.done)

		_ = server.Run(runCtx) // Run always returns nil in v1.24.2.
	}()

	parsed, err := url.Parse(e.uri)
	if err != nil {
		_ = e.Close()
		return nil, fmt.Errorf("start embedded FerretDB: parse URI %q: %w", e.uri, err)
	}
	e.addr = parsed.Host

	if err := pingURI(ctx, e.uri); err != nil {
		_ = e.Close()
		return nil, fmt.Errorf("start embedded FerretDB at %s: %w", e.addr, err)
	}

	slog.InfoContext(ctx, "started embedded FerretDB",
		"address", e.addr, "data_dir", dir, "duration", time.Since(started))

	return e, nil
}

// URI returns the MongoDB connection string of the server, such as
// mongodb://127.0.0.1:41234/.
func (e *Embedded) URI() string { return e.uri }

// Close stops the server: it closes the listener, ends every client
// connection and closes the SQLite files. FerretDB v1.24.2 gives a
// connection still open 3 s to finish, so close the Store first to make
// Close return at once. Calling Close again does nothing.
func (e *Embedded) Close() error {
	e.closeOnce.Do(func() {
		e.cancel()
		<-e.done

		slog.Info("stopped embedded FerretDB", "address", e.addr)
	})

	return nil
}

// pingURI connects to uri, pings it and disconnects.
func pingURI(ctx context.Context, uri string) error {
	client, err := mongodriver.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}

	pingErr := client.Ping(ctx, nil)
	disconnectErr := client.Disconnect(context.WithoutCancel(ctx))
	if pingErr != nil {
		return fmt.Errorf("ping: %w", pingErr)
	}

	return disconnectErr
}

// errorLevelHandler passes only records at error level or above to the
// wrapped handler, so that FerretDB's per-connection info logs stay quiet.
type errorLevelHandler struct{ slog.Handler }

func (h errorLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelError && h.Handler.Enabled(ctx, level)
}

func (h errorLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return errorLevelHandler{h.Handler.WithAttrs(attrs)}
}

func (h errorLevelHandler) WithGroup(name string) slog.Handler {
	return errorLevelHandler{h.Handler.WithGroup(name)}
}
