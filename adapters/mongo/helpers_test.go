package mongo

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// testServerURI returns NFL_SYNC_MONGO_URI when it is set and otherwise
// the URI of an embedded FerretDB over a temporary directory, stopped when
// the test ends.
func testServerURI(t *testing.T) string {
	t.Helper()

	if uri := os.Getenv("NFL_SYNC_MONGO_URI"); uri != "" {
		return uri
	}

	return startTestEmbedded(t, t.TempDir()).URI()
}

func startTestEmbedded(t *testing.T, dataDir string) *Embedded {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	started := time.Now()
	embedded, err := StartEmbedded(ctx, dataDir)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Logf("embedded FerretDB at %s started in %v", embedded.URI(), time.Since(started))

	t.Cleanup(func() { _ = embedded.Close() })

	return embedded
}

var databaseCounter atomic.Int64

// openTestStore opens a Store on a new database of uri, dropped when the
// test ends.
func openTestStore(t *testing.T, uri string, config storeConfig) *Store {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	database := fmt.Sprintf("nflsync_test_%d_%d", os.Getpid(), databaseCounter.Add(1))
	store, err := open(ctx, uri, database, config)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		_ = store.db.Drop(ctx)
		_ = store.Close(ctx)
	})

	return store
}

func testContext(t *testing.T) context.Context {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)

	return ctx
}

func countDocuments(t *testing.T, store *Store, collection string, filter bson.D) int64 {
	t.Helper()

	if filter == nil {
		filter = bson.D{}
	}

	count, err := store.db.Collection(collection).CountDocuments(testContext(t), filter)
	if err != nil {
		t.Fatalf("count %s: %v", collection, err)
	}

	return count
}
