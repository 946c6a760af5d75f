package espn_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/nflsync/nflsync/adapters/espn"
)

// fixtures is testdata/espn at the repository root.
var fixtures = filepath.Join("..", "..", "testdata", "espn")

// liveEvent is a small in-progress scoreboard event.
const liveEvent = `{"id":"401772792","status":{"clock":558.0,"displayClock":"9:18","period":2,
"type":{"name":"STATUS_IN_PROGRESS","state":"in"}},"competitions":[{"competitors":[
{"homeAway":"home","score":"7","team":{"id":"27","abbreviation":"TB"}},
{"homeAway":"away","score":"7","team":{"id":"18","abbreviation":"NO"}}],
"situation":{"down":4,"distance":5,"yardLine":77,"downDistanceText":"4th & 5 at NO 23","possession":"27"}}]}`

// Forms that the fuzz checks expect of parsed ids and stat values.
var (
	espnID        = regexp.MustCompile(`^[0-9]{1,12}$`)
	decimalString = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)
)

// addScoreboardSeeds seeds a fuzz target with each event of the saved
// scoreboards as a scoreboard of its own, so that inputs stay small: one
// event is 5 to 25 kB, a whole response 150 kB or more.
func addScoreboardSeeds(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "scoreboard*", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no scoreboard fixtures: %v", err)
	}
	for _, path := range paths {
		var document struct {
			Events []json.RawMessage `json:"events"`
		}
		body, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(body, &document); err != nil {
			f.Fatal(err)
		}
		for _, event := range document.Events {
			f.Add([]byte(`{"season":{"year":2025,"type":2},"week":{"number":14},"events":[` + string(event) + `]}`))
		}
	}
}

// addSummarySeeds seeds a fuzz target with the saved summary cut down to
// its header and boxscore, one team per seed.
func addSummarySeeds(f *testing.F) {
	var document struct {
		Header   json.RawMessage `json:"header"`
		Boxscore struct {
			Players []json.RawMessage `json:"players"`
		} `json:"boxscore"`
	}
	body, err := os.ReadFile(filepath.Join(fixtures, "summary", "401547417_2023-wk2_ATL-GB_final.json"))
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(body, &document); err != nil {
		f.Fatal(err)
	}
	header := `{"id":"401547417","competitions":[{"status":{"type":{"name":"STATUS_FINAL","state":"post"}}}]}`
	for _, team := range document.Boxscore.Players {
		f.Add([]byte(`{"header":` + header + `,"boxscore":{"players":[` + string(team) + `]}}`))
	}
}

// FuzzParseScoreboard checks that no input panics and that every game that
// parses has the fields its status promises.
func FuzzParseScoreboard(f *testing.F) {
	addScoreboardSeeds(f)
	f.Add([]byte(`{"events":[` + liveEvent + `]}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		board, err := espn.ParseScoreboard(body)
		if err != nil {
			return
		}
		for _, game := range board.Games {
			if !espnID.MatchString(game.EspnID) || game.AwayTeam == "" || game.HomeTeam == "" || !game.Provisional {
				t.Fatalf("game without id or teams: %+v", game)
			}
			played := game.Status != espn.StatusScheduled
			if played != (game.AwayScore != nil && game.HomeScore != nil) {
				t.Fatalf("status %s with scores %v %v", game.Status, game.AwayScore, game.HomeScore)
			}
			if game.Down != nil && (*game.Down < 1 || *game.Down > 4) {
				t.Fatalf("down %d", *game.Down)
			}
		}
	})
}

// FuzzParseSummary checks that no input panics and that every stat that
// parses is a canonical decimal string.
func FuzzParseSummary(f *testing.F) {
	addSummarySeeds(f)
	f.Add([]byte(`{"header":{"id":"1"},"boxscore":{"players":[{"team":{"abbreviation":"GB"},"statistics":[
{"name":"passing","keys":["completions/passingAttempts","sacks-sackYardsLost"],"athletes":[
{"athlete":{"id":"2","displayName":"A"},"stats":["1/2","1-7"]}]}]}]}}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		summary, err := espn.ParseSummary(body)
		if err != nil {
			return
		}
		for _, team := range summary.Teams {
			for _, player := range team.Players {
				for i, stat := range player.Stats {
					if !decimalString.MatchString(stat.GetValue()) {
						t.Fatalf("player %s: stat %s = %q", player.EspnID, stat.GetName(), stat.GetValue())
					}
					if i > 0 && player.Stats[i-1].GetName() >= stat.GetName() {
						t.Fatalf("player %s: stats not sorted", player.EspnID)
					}
				}
			}
		}
	})
}
