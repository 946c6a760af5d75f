package mongo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/nflsync/nflsync/messages"
)

// Players returns every stored player with all of its weeks, sorted by
// player_id, season and week. It reads the whole player_weeks collection in
// one pass, which on FerretDB costs about as much as one Player call.
func (s *Store) Players(ctx context.Context) ([]*messages.PlayerState, error) {
	var documents []playerWeekDocument
	err := withRetry(ctx, s.logger, s.retry, "find all player_weeks", func(ctx context.Context) error {
		cursor, err := s.db.Collection(collectionPlayerWeeks).Find(ctx, bson.D{})
		if err != nil {
			return err
		}

		documents = nil
		return cursor.All(ctx, &documents)
	})
	if err != nil {
		return nil, fmt.Errorf("find all player_weeks: %w", err)
	}

	byPlayer := make(map[string]*messages.PlayerState)
	var states []*messages.PlayerState
	for i := range documents {
		week, err := documents[i].message()
		if err != nil {
			return nil, fmt.Errorf("read player_weeks: %w", err)
		}

		state, ok := byPlayer[week.GetPlayerId()]
		if !ok {
			state = &messages.PlayerState{PlayerId: week.GetPlayerId()}
			byPlayer[week.GetPlayerId()] = state
			states = append(states, state)
		}
		state.Weeks = append(state.Weeks, week)
	}

	for _, state := range states {
		sortPlayerWeeks(state.Weeks)
	}
	return states, nil
}

// Games returns every stored game.
func (s *Store) Games(ctx context.Context) ([]*messages.Game, error) {
	var documents []gameDocument
	err := withRetry(ctx, s.logger, s.retry, "find all games", func(ctx context.Context) error {
		cursor, err := s.db.Collection(collectionGames).Find(ctx, bson.D{})
		if err != nil {
			return err
		}

		documents = nil
		return cursor.All(ctx, &documents)
	})
	if err != nil {
		return nil, fmt.Errorf("find all games: %w", err)
	}

	games := make([]*messages.Game, 0, len(documents))
	for i := range documents {
		games = append(games, documents[i].message())
	}
	return games, nil
}

// LastSyncRun returns the newest successful sync run by start time.
func (s *Store) LastSyncRun(ctx context.Context) (messages.SyncRun, bool, error) {
	var document syncRunDocument
	found := true
	err := withRetry(ctx, s.logger, s.retry, "find last sync run", func(ctx context.Context) error {
		newestFirst := options.FindOne().SetSort(bson.D{{Key: "started_at", Value: -1}})
		err := s.db.Collection(collectionSyncRuns).FindOne(ctx, bson.D{{Key: "ok", Value: true}}, newestFirst).Decode(&document)
		if errors.Is(err, mongodriver.ErrNoDocuments) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return messages.SyncRun{}, false, fmt.Errorf("find last sync run: %w", err)
	}
	if !found {
		return messages.SyncRun{}, false, nil
	}

	return messages.SyncRun{
		StartedAt:   document.StartedAt,
		Duration:    time.Duration(document.DurationMS) * time.Millisecond,
		Season:      document.Season,
		Week:        document.Week,
		OK:          document.OK,
		Error:       document.Error,
		PlayerRows:  int(document.PlayerRows),
		GameRows:    int(document.GameRows),
		Deltas:      int(document.Deltas),
		Quarantined: int(document.Quarantined),
	}, true, nil
}

func sortPlayerWeeks(weeks []*messages.PlayerWeek) {
	slices.SortFunc(weeks, func(a, b *messages.PlayerWeek) int {
		if a.GetSeason() != b.GetSeason() {
			return cmp.Compare(a.GetSeason(), b.GetSeason())
		}
		return cmp.Compare(a.GetWeek(), b.GetWeek())
	})
}

// Rosters returns every stored roster row.
func (s *Store) Rosters(ctx context.Context) ([]*messages.RosterEntry, error) {
	documents, err := findAll[rosterDocument](ctx, s, collectionPlayers)
	if err != nil {
		return nil, err
	}

	entries := make([]*messages.RosterEntry, 0, len(documents))
	for _, document := range documents {
		entries = append(entries, &messages.RosterEntry{
			Season:       document.Season,
			GsisId:       document.GSISID,
			FullName:     document.FullName,
			Team:         document.Team,
			Position:     document.Position,
			Status:       document.Status,
			EspnId:       document.ESPNID,
			Week:         document.Week,
			JerseyNumber: document.JerseyNumber,
		})
	}
	return entries, nil
}

// Injuries returns every stored injury row.
func (s *Store) Injuries(ctx context.Context) ([]*messages.Injury, error) {
	documents, err := findAll[injuryDocument](ctx, s, collectionInjuries)
	if err != nil {
		return nil, err
	}

	injuries := make([]*messages.Injury, 0, len(documents))
	for _, document := range documents {
		injuries = append(injuries, &messages.Injury{
			Season:              document.Season,
			Week:                document.Week,
			GsisId:              document.GSISID,
			FullName:            document.FullName,
			Team:                document.Team,
			Position:            document.Position,
			ReportStatus:        document.ReportStatus,
			ReportPrimaryInjury: document.ReportPrimaryInjury,
			PracticeStatus:      document.PracticeStatus,
			DateModified:        document.DateModified,
		})
	}
	return injuries, nil
}

// findAll reads every document of a collection.
func findAll[Document any](ctx context.Context, s *Store, collection string) ([]Document, error) {
	var documents []Document
	err := withRetry(ctx, s.logger, s.retry, "find all "+collection, func(ctx context.Context) error {
		cursor, err := s.db.Collection(collection).Find(ctx, bson.D{})
		if err != nil {
			return err
		}

		documents = nil
		return cursor.All(ctx, &documents)
	})
	if err != nil {
		return nil, fmt.Errorf("find all %s: %w", collection, err)
	}
	return documents, nil
}
