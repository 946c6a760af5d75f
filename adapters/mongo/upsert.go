package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// keyedWrite is one document to upsert, with its _id: the natural key as
// a string.
type keyedWrite struct {
	id       string
	document any
}

// duplicateKeyCode is the server error code of a duplicate key.
const duplicateKeyCode = 11000

// replaceBatchSize caps the replacements sent in one update command.
// FerretDB v1.24.2 keeps the SQLite query of each statement of an update
// command open until the whole command ends (a deferred close in a loop in
// its handler/msg_update.go), and its SQLite pool has 100 connections. So a
// command of more than 100 statements waits for a connection that only it
// can free, and hangs until the client's deadline.
const replaceBatchSize = 50

// upsert replaces or inserts writes in collection in batches of at most
// batchSize documents, each retried by withRetry. On error, the batches
// before the failed one are stored.
func (s *Store) upsert(ctx context.Context, collection string, writes []keyedWrite) error {
	writes = lastPerKey(writes)

	for start := 0; start < len(writes); start += batchSize {
		batch := writes[start:min(start+batchSize, len(writes))]

		err := withRetry(ctx, s.logger, s.retry, "upsert into "+collection, func(ctx context.Context) error {
			return s.upsertBatch(ctx, s.db.Collection(collection), batch)
		})
		if err != nil {
			return fmt.Errorf("upsert %d documents into %s (%d of %d already stored): %w",
				len(batch), collection, start, len(writes), summarizeBulkError(err))
		}
	}

	return nil
}

// upsertBatch inserts batch in one unordered bulk insert and then replaces,
// in unordered bulk writes of at most replaceBatchSize, the documents whose
// _id already existed.
//
// A plain upsert (a replace with upsert=true) of each document would do,
// but FerretDB v1.24.2 with SQLite finds the document to replace by
// scanning the whole collection, because its _id index expression differs
// from the one its queries use. An insert checks the unique _id index
// instead, so new documents cost no scan.
//
// TODO: each replaced document still costs one collection scan on
// FerretDB, so its cost grows with the collection. A first load is all
// inserts, but a batch of many changed documents in a large collection is
// slow: about 6 ms per replace with 2,000 player_weeks documents, from
// one run without -race on 2 CPU cores.
func (s *Store) upsertBatch(ctx context.Context, collection *mongodriver.Collection, batch []keyedWrite) error {
	documents := make([]any, len(batch))
	for i, write := range batch {
		documents[i] = write.document
	}

	_, err := collection.InsertMany(ctx, documents, options.InsertMany().SetOrdered(false))
	if err == nil {
		return nil
	}

	existing, err := existingDocuments(err, batch)
	if err != nil {
		return err
	}

	for start := 0; start < len(existing); start += replaceBatchSize {
		replacements := existing[start:min(start+replaceBatchSize, len(existing))]
		models := make([]mongodriver.WriteModel, len(replacements))
		for i, write := range replacements {
			models[i] = mongodriver.NewReplaceOneModel().
				SetFilter(bson.D{{Key: "_id", Value: write.id}}).
				SetReplacement(write.document).
				SetUpsert(true)
		}

		if _, err := collection.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
			return err
		}
	}

	return nil
}

// existingDocuments returns the writes of batch that an unordered insert
// rejected with a duplicate key. It returns insertErr itself when that
// error is anything else, such as a network error or another write error.
func existingDocuments(insertErr error, batch []keyedWrite) ([]keyedWrite, error) {
	var bulkErr mongodriver.BulkWriteException
	if !errors.As(insertErr, &bulkErr) || len(bulkErr.WriteErrors) == 0 || bulkErr.WriteConcernError != nil {
		return nil, insertErr
	}

	existing := make([]keyedWrite, 0, len(bulkErr.WriteErrors))
	for _, writeErr := range bulkErr.WriteErrors {
		if writeErr.Code != duplicateKeyCode || writeErr.Index < 0 || writeErr.Index >= len(batch) {
			return nil, insertErr
		}

		existing = append(existing, batch[writeErr.Index])
	}

	return existing, nil
}

// lastPerKey drops every write whose _id comes again later, so that one
// batch never writes one document twice, which could race on the server.
// The result keeps the order of the last occurrences.
func lastPerKey(writes []keyedWrite) []keyedWrite {
	last := make(map[string]int, len(writes))
	for i, write := range writes {
		last[write.id] = i
	}

	if len(last) == len(writes) {
		return writes
	}

	deduplicated := make([]keyedWrite, 0, len(last))
	for i, write := range writes {
		if last[write.id] == i {
			deduplicated = append(deduplicated, write)
		}
	}

	return deduplicated
}

// summarizeBulkError shortens a bulk write error with many write errors to
// their count and the first one. Other errors pass unchanged.
func summarizeBulkError(err error) error {
	var bulkErr mongodriver.BulkWriteException
	if !errors.As(err, &bulkErr) || len(bulkErr.WriteErrors) <= 1 {
		return err
	}

	first := bulkErr.WriteErrors[0]

	return fmt.Errorf("%d writes failed, first at index %d: code %d: %s: %w",
		len(bulkErr.WriteErrors), first.Index, first.Code, first.Message, errBulkWrite)
}

// errBulkWrite is wrapped by summarized bulk write errors.
var errBulkWrite = errors.New("bulk write failed")
