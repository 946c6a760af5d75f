package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Shape of the leagues that -leagues creates: a 10-team league of 15-player
// rosters, a common size of fantasy leagues.
const (
	teamsPerLeague = 10
	rosterSize     = 15
)

// leagueCreateWorkers is the number of leagues created at once. The server
// stores each league before it replies, so a few requests in flight keep
// the embedded store busy without queueing thousands of them.
const leagueCreateWorkers = 8

// loadLeague is one league that loadgen created: its league_id and the
// roster of each team.
type loadLeague struct {
	id      string
	rosters [][]string
}

// sessionLeague returns the league and team of session i: sessions are
// spread over the leagues in turn, and over a league's teams in turn.
func sessionLeague(i, leagues int) (league, team int) {
	return i % leagues, (i / leagues) % teamsPerLeague
}

// planLeagues draws count leagues, each of teamsPerLeague teams whose
// rosters are distinct players chosen at random from ids. Leagues are drawn
// independently, so a player is on one team per league at most but may be
// in many leagues.
func planLeagues(seed uint64, ids []string, count int) ([]loadLeague, error) {
	if len(ids) < teamsPerLeague*rosterSize {
		return nil, fmt.Errorf("%d players are too few for leagues of %d teams of %d", len(ids), teamsPerLeague, rosterSize)
	}

	leagues := make([]loadLeague, count)
	for i := range leagues {
		random := rand.New(rand.NewPCG(seed, 1<<32+uint64(i)))
		players := choosePlayers(random, ids, teamsPerLeague*rosterSize)
		leagues[i] = loadLeague{id: fmt.Sprintf("load-%d", i)}
		for team := range teamsPerLeague {
			leagues[i].rosters = append(leagues[i].rosters, players[team*rosterSize:(team+1)*rosterSize])
		}
	}
	return leagues, nil
}

// createLeagues creates the leagues through the server's HTTP API with the
// admin API key. wsURL is the WebSocket URL, whose host the API shares.
func createLeagues(ctx context.Context, wsURL, adminKey string, season int, leagues []loadLeague) error {
	parsed, err := url.Parse(wsURL)
	if err != nil {
		return fmt.Errorf("create leagues: invalid -url %q: %w", wsURL, err)
	}
	endpoint := "http://" + parsed.Host + "/api/v1/leagues"
	client := &http.Client{Timeout: 30 * time.Second}

	jobs := make(chan loadLeague)
	errs := make(chan error, leagueCreateWorkers)
	var workers sync.WaitGroup
	for range leagueCreateWorkers {
		workers.Go(func() {
			for league := range jobs {
				if err := createLeague(ctx, client, endpoint, adminKey, season, league); err != nil {
					errs <- err
					return
				}
			}
		})
	}

	var firstErr error
send:
	for _, league := range leagues {
		select {
		case jobs <- league:
		case firstErr = <-errs:
			break send
		case <-ctx.Done():
			firstErr = ctx.Err()
			break send
		}
	}
	close(jobs)
	workers.Wait()
	if firstErr == nil && len(errs) > 0 {
		firstErr = <-errs
	}
	return firstErr
}

// leagueRequest is the body of POST /api/v1/leagues.
type leagueRequest struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	Season  int           `json:"season"`
	Format  string        `json:"format"`
	RuleSet string        `json:"rule_set"`
	Teams   []teamRequest `json:"teams"`
}

type teamRequest struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Owner  string   `json:"owner"`
	Roster []string `json:"roster"`
}

func createLeague(ctx context.Context, client *http.Client, endpoint, adminKey string, season int, league loadLeague) error {
	request := leagueRequest{ID: league.id, Name: "Load " + league.id, Season: season, Format: "regular", RuleSet: "ppr"}
	for team, roster := range league.rosters {
		request.Teams = append(request.Teams, teamRequest{
			ID: fmt.Sprintf("t%d", team), Name: fmt.Sprintf("Team %d", team), Owner: "load", Roster: roster,
		})
	}
	body, err := json.Marshal(request)
	if err != nil {
		return fmt.Errorf("create league %s: %w", league.id, err)
	}

	httpRequest, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("create league %s: %w", league.id, err)
	}
	httpRequest.Header.Set("Content-Type", "application/json")
	httpRequest.Header.Set("Authorization", "Bearer "+adminKey)

	response, err := client.Do(httpRequest)
	if err != nil {
		return fmt.Errorf("create league %s: %w", league.id, err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusCreated && response.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(response.Body, 512))
		return fmt.Errorf("create league %s: %s: %s", league.id, response.Status, bytes.TrimSpace(text))
	}
	return nil
}
