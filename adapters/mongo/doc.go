// Package mongo persists nflsync's data in MongoDB and implements
// messages.Store. When no MongoDB URI is configured, nflsync runs an
// embedded FerretDB server (see Embedded) and uses it through the same
// driver, so the code here sticks to what FerretDB v1.24.2 supports.
//
// # Collections
//
// Every collection has a unique index on its natural key. The _id of a
// document is that key as a string too, such as "2024/1/00-0033873" for
// season 2024, week 1 and gsis_id 00-0033873. Every write except to
// sync_runs replaces the whole document of its _id or inserts it, so
// writing the same rows twice leaves one document each.
//
//	players       one roster entry per player, key gsis_id (the latest
//	              UpsertRoster call wins, whatever its season)
//	games         one schedule row per game, key game_id
//	player_weeks  one weekly stats row per player and week, key
//	              season + week + player_id
//	injuries      one injury report row, key season + week + gsis_id
//	sync_runs     one document per finished sync cycle, inserted with a
//	              client-side _id so that a retried insert is not doubled
//	leagues       created with a unique index on league_id. Nothing
//	              writes it yet
//
// # Decimals
//
// FerretDB has no Decimal128, so every decimal is stored as its canonical
// decimal string, such as "18.58", "-2" or "0", exactly as messages.Stat
// carries it. Strings round-trip exactly and compare equal when the
// numbers are equal. The stats of a player-week are one string field
// holding a JSON object {"stat_name": "value"} with sorted keys, because
// FerretDB's SQLite handler spends most of its time per BSON field and a
// row has about 100 stats; a sub-document was ten times slower to write
// and read. Stat names are nflverse column names, and a name that is
// empty, contains "." or starts with "$" is rejected as invalid. Points, when they are stored, follow the same rule: the
// Points.Points string, never a float.
//
// # Writes and retries
//
// A call validates every row first and writes nothing when one is
// invalid. Rows with the same key in one call collapse to the last one.
// The rest go out in batches of at most 500 documents: an unordered
// insert, then an unordered bulk replace of the documents that the insert
// rejected as duplicates. Inserting first matters on FerretDB, where an
// insert checks the _id index but a replace scans the collection.
//
// A write or read that fails with a network error or a server selection
// error is retried (see withRetry): at most 5 attempts in all, waiting
// 200 ms after the first failure and doubling up to 5 s, and never past
// ctx. Retrying is safe because each write is an idempotent replace or
// insert by _id. Every other error, such as a duplicate key or a
// validation error of the server, is returned at once. The client waits
// at most 5 s to select a server, so when the server stays down a call
// without a ctx deadline fails after about 28 s (5 × 5 s plus 3 s of
// waits, computed from the policy, not measured). A call that returns
// nil has been acknowledged by the server for every document.
//
// # Reads
//
// Player finds the player_weeks of one player_id and Game the games
// document of one game_id (by _id). On FerretDB with SQLite, Player reads
// the whole player_weeks collection because only _id filters reach
// SQLite, so it suits rehydrating one player, not bulk reads.
package mongo
