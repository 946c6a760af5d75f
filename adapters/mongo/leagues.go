package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/nflsync/nflsync/messages"
)

// leagueDocument is one fantasy league in the leagues collection, _id and
// league_id both the league id. A custom rule set is RuleSet, its JSON text
// in a string field: its decimals stay the exact decimal literals that the
// API received, never a float or a Decimal128 (which FerretDB lacks).
type leagueDocument struct {
	ID string `bson:"_id"`

	LeagueID      string               `bson:"league_id"`
	Name          string               `bson:"name"`
	Season        int32                `bson:"season"`
	Format        string               `bson:"format"`
	Weeks         []int32              `bson:"weeks"`
	ScoringPreset string               `bson:"scoring_preset"`
	RuleSet       string               `bson:"rule_set"`
	Teams         []leagueTeamDocument `bson:"teams"`
	UpdatedAt     time.Time            `bson:"updated_at"`
}

type leagueTeamDocument struct {
	ID      string                 `bson:"id"`
	Name    string                 `bson:"name"`
	Owner   string                 `bson:"owner"`
	Roster  []string               `bson:"roster"`
	Lineups []leagueLineupDocument `bson:"lineups"`
}

type leagueLineupDocument struct {
	Week     int32    `bson:"week"`
	Starters []string `bson:"starters"`
}

func newLeagueDocument(league *messages.League) (*leagueDocument, error) {
	if league.GetId() == "" {
		return nil, fmt.Errorf("league %q: missing id", league.GetName())
	}

	document := &leagueDocument{
		ID:            league.GetId(),
		LeagueID:      league.GetId(),
		Name:          league.GetName(),
		Season:        league.GetSeason(),
		Format:        league.GetFormat(),
		Weeks:         append([]int32{}, league.GetWeeks()...),
		ScoringPreset: league.GetScoringPreset(),
		RuleSet:       league.GetRuleSetJson(),
		Teams:         make([]leagueTeamDocument, 0, len(league.GetTeams())),
		UpdatedAt:     time.Now().UTC(),
	}
	for _, team := range league.GetTeams() {
		teamDocument := leagueTeamDocument{
			ID:      team.GetId(),
			Name:    team.GetName(),
			Owner:   team.GetOwner(),
			Roster:  append([]string{}, team.GetRoster()...),
			Lineups: make([]leagueLineupDocument, 0, len(team.GetLineups())),
		}
		for _, lineup := range team.GetLineups() {
			teamDocument.Lineups = append(teamDocument.Lineups, leagueLineupDocument{
				Week:     lineup.GetWeek(),
				Starters: append([]string{}, lineup.GetStarters()...),
			})
		}
		document.Teams = append(document.Teams, teamDocument)
	}
	return document, nil
}

func (d *leagueDocument) message() *messages.League {
	league := &messages.League{
		Id:            d.LeagueID,
		Name:          d.Name,
		Season:        d.Season,
		Format:        d.Format,
		Weeks:         d.Weeks,
		ScoringPreset: d.ScoringPreset,
		RuleSetJson:   d.RuleSet,
	}
	for _, team := range d.Teams {
		teamMessage := &messages.LeagueTeam{Id: team.ID, Name: team.Name, Owner: team.Owner, Roster: team.Roster}
		for _, lineup := range team.Lineups {
			teamMessage.Lineups = append(teamMessage.Lineups, &messages.LeagueLineup{Week: lineup.Week, Starters: lineup.Starters})
		}
		league.Teams = append(league.Teams, teamMessage)
	}
	return league
}

// UpsertLeague replaces or inserts the league document of the league's id.
// It implements actors.LeagueStore.
func (s *Store) UpsertLeague(ctx context.Context, league *messages.League) error {
	document, err := newLeagueDocument(league)
	if err != nil {
		return fmt.Errorf("upsert league: %w", err)
	}
	return s.upsert(ctx, collectionLeagues, []keyedWrite{{id: document.ID, document: document}})
}

// DeleteLeague deletes the league document of leagueID. Deleting a league
// that is not stored is no error.
func (s *Store) DeleteLeague(ctx context.Context, leagueID string) error {
	err := withRetry(ctx, s.logger, s.retry, "delete league "+leagueID, func(ctx context.Context) error {
		_, err := s.db.Collection(collectionLeagues).DeleteOne(ctx, bson.D{{Key: "_id", Value: leagueID}})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete league %s from leagues: %w", leagueID, err)
	}
	return nil
}

// Leagues returns every stored league, sorted by id.
func (s *Store) Leagues(ctx context.Context) ([]*messages.League, error) {
	var documents []leagueDocument
	err := withRetry(ctx, s.logger, s.retry, "find leagues", func(ctx context.Context) error {
		cursor, err := s.db.Collection(collectionLeagues).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return err
		}

		documents = nil
		return cursor.All(ctx, &documents)
	})
	if err != nil {
		return nil, fmt.Errorf("find leagues: %w", err)
	}

	leagues := make([]*messages.League, 0, len(documents))
	for i := range documents {
		leagues = append(leagues, documents[i].message())
	}
	return leagues, nil
}

// KnownPlayer reports whether the players collection (the stored roster)
// has a document for gsisID. It reads by _id, the fast path on FerretDB.
func (s *Store) KnownPlayer(ctx context.Context, gsisID string) (bool, error) {
	found := true
	err := withRetry(ctx, s.logger, s.retry, "find player "+gsisID, func(ctx context.Context) error {
		err := s.db.Collection(collectionPlayers).FindOne(ctx, bson.D{{Key: "_id", Value: gsisID}}).Err()
		if errors.Is(err, mongodriver.ErrNoDocuments) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("find gsis_id %s in players: %w", gsisID, err)
	}
	return found, nil
}
