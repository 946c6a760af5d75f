package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/nflsync/nflsync/messages"
)

// leagueJSON is the JSON form of a league. RuleSet is a preset name as a
// JSON string ("ppr") or a custom rule set object in the form that
// scoring.ParseRuleSet reads.
type leagueJSON struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	Season  int32           `json:"season"`
	Format  string          `json:"format,omitempty"`
	Weeks   []int32         `json:"weeks,omitempty"`
	RuleSet json.RawMessage `json:"rule_set"`
	Teams   []*teamJSON     `json:"teams"`
}

type teamJSON struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	Owner   string        `json:"owner,omitempty"`
	Roster  []string      `json:"roster"`
	Lineups []*lineupJSON `json:"lineups,omitempty"`
}

type lineupJSON struct {
	Week     int32    `json:"week"`
	Starters []string `json:"starters"`
}

type leagueListJSON struct {
	Leagues []*leagueJSON `json:"leagues"`
}

type playerRequest struct {
	PlayerID string `json:"player_id"`
}

type startersRequest struct {
	Starters []string `json:"starters"`
}

func (form *leagueJSON) message() (*messages.League, error) {
	league := &messages.League{
		Id:     form.ID,
		Name:   form.Name,
		Season: form.Season,
		Format: form.Format,
		Weeks:  form.Weeks,
	}

	// decodeBody checked that rule_set is a string or an object.
	if bytes.HasPrefix(bytes.TrimSpace(form.RuleSet), []byte(`"`)) {
		if err := json.Unmarshal(form.RuleSet, &league.ScoringPreset); err != nil {
			return nil, &fieldError{field: "rule_set", message: err.Error()}
		}
	} else {
		var compact bytes.Buffer
		if err := json.Compact(&compact, form.RuleSet); err != nil {
			return nil, &fieldError{field: "rule_set", message: err.Error()}
		}
		league.RuleSetJson = compact.String()
	}

	for _, team := range form.Teams {
		league.Teams = append(league.Teams, team.message())
	}
	return league, nil
}

func (form *teamJSON) message() *messages.LeagueTeam {
	team := &messages.LeagueTeam{Id: form.ID, Name: form.Name, Owner: form.Owner, Roster: form.Roster}
	for _, lineup := range form.Lineups {
		team.Lineups = append(team.Lineups, &messages.LeagueLineup{Week: lineup.Week, Starters: lineup.Starters})
	}
	return team
}

func newLeagueJSON(league *messages.League) *leagueJSON {
	form := &leagueJSON{
		ID:     league.GetId(),
		Name:   league.GetName(),
		Season: league.GetSeason(),
		Format: league.GetFormat(),
		Weeks:  league.GetWeeks(),
		Teams:  make([]*teamJSON, 0, len(league.GetTeams())),
	}
	if league.GetScoringPreset() != "" {
		// Marshaling a string cannot fail.
		form.RuleSet, _ = json.Marshal(league.GetScoringPreset())
	} else {
		form.RuleSet = json.RawMessage(league.GetRuleSetJson())
	}

	for _, team := range league.GetTeams() {
		teamForm := &teamJSON{ID: team.GetId(), Name: team.GetName(), Owner: team.GetOwner(), Roster: team.GetRoster()}
		if teamForm.Roster == nil {
			teamForm.Roster = []string{}
		}
		for _, lineup := range team.GetLineups() {
			starters := lineup.GetStarters()
			if starters == nil {
				starters = []string{}
			}
			teamForm.Lineups = append(teamForm.Lineups, &lineupJSON{Week: lineup.GetWeek(), Starters: starters})
		}
		form.Teams = append(form.Teams, teamForm)
	}
	return form
}

func (a *api) listLeagues(w http.ResponseWriter, r *http.Request) error {
	leagues, err := a.leagues.List(r.Context())
	if err != nil {
		return err
	}

	list := leagueListJSON{Leagues: make([]*leagueJSON, 0, len(leagues))}
	for _, league := range leagues {
		list.Leagues = append(list.Leagues, newLeagueJSON(league))
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (a *api) createLeague(w http.ResponseWriter, r *http.Request) error {
	league, err := decodeLeague(r)
	if err != nil {
		return err
	}

	created, err := a.leagues.Create(r.Context(), league)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/leagues/"+url.PathEscape(created.GetId()))
	writeJSON(w, http.StatusCreated, newLeagueJSON(created))
	return nil
}

func decodeLeague(r *http.Request) (*messages.League, error) {
	var form leagueJSON
	if err := decodeRequest(r, leagueShape, &form); err != nil {
		return nil, err
	}
	return form.message()
}

func (a *api) getLeague(w http.ResponseWriter, r *http.Request) error {
	league, err := a.leagues.Get(r.Context(), r.PathValue("league_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newLeagueJSON(league))
	return nil
}

func (a *api) replaceLeague(w http.ResponseWriter, r *http.Request) error {
	league, err := decodeLeague(r)
	if err != nil {
		return err
	}
	if league.GetId() != r.PathValue("league_id") {
		return &fieldError{field: "id", message: fmt.Sprintf("id %q differs from the league id %q in the path",
			league.GetId(), r.PathValue("league_id"))}
	}

	replaced, err := a.leagues.Replace(r.Context(), league)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newLeagueJSON(replaced))
	return nil
}

func (a *api) deleteLeague(w http.ResponseWriter, r *http.Request) error {
	if err := a.leagues.Delete(r.Context(), r.PathValue("league_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) leaderboard(w http.ResponseWriter, r *http.Request) error {
	board, err := a.leagues.Leaderboard(r.Context(), r.PathValue("league_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, board)
	return nil
}

func (a *api) addTeam(w http.ResponseWriter, r *http.Request) error {
	var form teamJSON
	if err := decodeRequest(r, teamShape, &form); err != nil {
		return err
	}
	return a.writeLeague(w, http.StatusCreated)(a.leagues.AddTeam(r.Context(), r.PathValue("league_id"), form.message()))
}

func (a *api) removeTeam(w http.ResponseWriter, r *http.Request) error {
	return a.writeLeague(w, http.StatusOK)(a.leagues.RemoveTeam(r.Context(), r.PathValue("league_id"), r.PathValue("team_id")))
}

func (a *api) addPlayer(w http.ResponseWriter, r *http.Request) error {
	var form playerRequest
	if err := decodeRequest(r, playerShape, &form); err != nil {
		return err
	}
	return a.writeLeague(w, http.StatusCreated)(a.leagues.AddPlayer(r.Context(), r.PathValue("league_id"),
		r.PathValue("team_id"), form.PlayerID))
}

func (a *api) removePlayer(w http.ResponseWriter, r *http.Request) error {
	return a.writeLeague(w, http.StatusOK)(a.leagues.RemovePlayer(r.Context(), r.PathValue("league_id"),
		r.PathValue("team_id"), r.PathValue("player_id")))
}

func (a *api) setLineup(w http.ResponseWriter, r *http.Request) error {
	week, err := weekParameter(r)
	if err != nil {
		return err
	}
	var form startersRequest
	if err := decodeRequest(r, startersShape, &form); err != nil {
		return err
	}
	return a.writeLeague(w, http.StatusOK)(a.leagues.SetLineup(r.Context(), r.PathValue("league_id"),
		r.PathValue("team_id"), week, form.Starters))
}

func (a *api) removeLineup(w http.ResponseWriter, r *http.Request) error {
	week, err := weekParameter(r)
	if err != nil {
		return err
	}
	return a.writeLeague(w, http.StatusOK)(a.leagues.RemoveLineup(r.Context(), r.PathValue("league_id"),
		r.PathValue("team_id"), week))
}

// writeLeague returns a function that writes the league an edit returned,
// or returns the edit's error.
func (a *api) writeLeague(w http.ResponseWriter, status int) func(*messages.League, error) error {
	return func(league *messages.League, err error) error {
		if err != nil {
			return err
		}
		writeJSON(w, status, newLeagueJSON(league))
		return nil
	}
}
