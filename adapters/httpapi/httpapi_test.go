package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"go.yaml.in/yaml/v3"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/httpapi"
	"github.com/nflsync/nflsync/adapters/inmem"
	"github.com/nflsync/nflsync/messages"
)

const (
	adminKey  = "test-admin-key"
	mahomesID = "00-0033873"
)

// newServer serves the API over real league actors. The StateKeeper has
// one player, Patrick Mahomes, with one 2024 week.
func newServer(t *testing.T, key string) *httptest.Server {
	t.Helper()
	system := actor.NewActorSystem()
	t.Cleanup(system.Shutdown)

	keeper := actors.NewStateKeeper(inmem.New(), nil, nil, nil)
	keeper.PutPlayer(&messages.PlayerState{PlayerId: mahomesID, Weeks: []*messages.PlayerWeek{{
		Season: 2024, Week: 1, PlayerId: mahomesID, Position: "QB",
		Stats: []*messages.Stat{{Name: "passing_tds", Value: "1"}, {Name: "passing_yards", Value: "291"}},
	}}}, nil)

	registry, err := actors.NewRuleSetRegistry(scoring.Presets()...)
	if err != nil {
		t.Fatal(err)
	}
	leagues, err := actors.StartLeagues(context.Background(), system, actors.LeaguesConfig{
		Hub: actors.NewHub(), State: keeper, Registry: registry,
	})
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle(httpapi.Prefix, httpapi.NewHandler(leagues, httpapi.Options{AdminAPIKey: key}))
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	return server
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"error"`
}

func do(t *testing.T, server *httptest.Server, method, path, key, body string) (int, []byte) {
	t.Helper()
	header := ""
	if key != "" {
		header = "Bearer " + key
	}
	return doWithHeader(t, server, method, path, header, body)
}

// doWithHeader sends a request with authorization as its whole
// Authorization header, none when empty.
func doWithHeader(t *testing.T, server *httptest.Server, method, path, authorization, body string) (int, []byte) {
	t.Helper()
	request, err := http.NewRequest(method, server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		request.Header.Set("Authorization", authorization)
	}
	response, err := server.Client().Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var payload json.RawMessage
	_ = json.NewDecoder(response.Body).Decode(&payload)
	return response.StatusCode, payload
}

const league = `{"id":"office","name":"Office","season":2024,"rule_set":"ppr",
	"teams":[{"id":"a","name":"Team A","roster":["` + mahomesID + `"]}]}`

func TestWritesWithoutKeyConfigured(t *testing.T) {
	server := newServer(t, "")

	status, body := do(t, server, http.MethodPost, "/api/v1/leagues", "anything", league)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", status, body)
	}
	var got errorBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Error.Code != httpapi.CodeAdminKeyMissing || !strings.Contains(got.Error.Message, "NFL_SYNC_ADMIN_API_KEY") {
		t.Errorf("error %+v, want admin_key_not_configured naming NFL_SYNC_ADMIN_API_KEY", got.Error)
	}

	status, body = do(t, server, http.MethodGet, "/api/v1/leagues", "", "")
	if status != http.StatusOK || string(body) != `{"leagues":[]}` {
		t.Errorf("list: status %d body %s, want 200 and no leagues", status, body)
	}
}

func TestWrongKeyRejected(t *testing.T) {
	server := newServer(t, adminKey)

	for _, key := range []string{"", "wrong", adminKey + "x"} {
		status, body := do(t, server, http.MethodPost, "/api/v1/leagues", key, league)
		if status != http.StatusUnauthorized {
			t.Errorf("key %q: status %d, want 401: %s", key, status, body)
		}
	}

	for _, header := range []string{"Basic " + adminKey, adminKey} {
		status, body := doWithHeader(t, server, http.MethodPost, "/api/v1/leagues", header, league)
		if status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401: %s", header, status, body)
		}
	}

	status, body := do(t, server, http.MethodPost, "/api/v1/leagues", adminKey, league)
	if status != http.StatusCreated {
		t.Fatalf("right key: status %d, want 201: %s", status, body)
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	server := newServer(t, adminKey)

	status, body := doWithHeader(t, server, http.MethodPost, "/api/v1/leagues", "bearer "+adminKey, league)
	if status != http.StatusCreated {
		t.Fatalf("lower-case bearer: status %d, want 201: %s", status, body)
	}
}

func TestCreateComputesLeaderboard(t *testing.T) {
	server := newServer(t, adminKey)
	if status, body := do(t, server, http.MethodPost, "/api/v1/leagues", adminKey, league); status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", status, body)
	}

	status, body := do(t, server, http.MethodGet, "/api/v1/leagues/office/leaderboard", "", "")
	if status != http.StatusOK {
		t.Fatalf("leaderboard: status %d: %s", status, body)
	}
	var board messages.LeaderboardUpdateMessage
	if err := json.Unmarshal(body, &board); err != nil {
		t.Fatal(err)
	}
	// 291 passing_yards × 0.04 + 1 passing_td × 4 = 15.64.
	if len(board.Rows) != 1 || board.Rows[0].Points != "15.64" {
		t.Errorf("rows %+v, want team a with 15.64", board.Rows)
	}
	if len(board.Weeks) != 18 || board.Weeks[0] != 1 {
		t.Errorf("weeks %v, want the regular format's 1-18", board.Weeks)
	}
}

func TestFieldErrorsNamePath(t *testing.T) {
	server := newServer(t, adminKey)
	cases := []struct {
		name, body, field string
	}{
		{"unknown field", `{"id":"x","name":"X","season":2024,"rule_set":"ppr","colour":"red"}`, "colour"},
		{"unknown team field", `{"id":"x","name":"X","season":2024,"rule_set":"ppr","teams":[{"id":"a","name":"A","colour":1}]}`, "teams[0].colour"},
		{"wrong type", `{"id":"x","name":"X","season":"2024","rule_set":"ppr"}`, "season"},
		{"fraction", `{"id":"x","name":"X","season":2024.5,"rule_set":"ppr"}`, "season"},
		{"missing name", `{"id":"x","season":2024,"rule_set":"ppr"}`, "name"},
		{"unknown player", `{"id":"x","name":"X","season":2024,"rule_set":"ppr","teams":[{"id":"a","name":"A","roster":["00-9999999"]}]}`, "teams[0].roster[0]"},
		{"duplicate team", `{"id":"x","name":"X","season":2024,"rule_set":"ppr","teams":[{"id":"a","name":"A"},{"id":"a","name":"B"}]}`, "teams[1].id"},
		{"week out of range", `{"id":"x","name":"X","season":2024,"rule_set":"ppr","weeks":[23]}`, "weeks[0]"},
		{"unknown preset", `{"id":"x","name":"X","season":2024,"rule_set":"pprr"}`, "rule_set"},
		{"invalid custom stat", `{"id":"x","name":"X","season":2024,"rule_set":{"name":"c","multipliers":{"passing_yardz":1}}}`, "rule_set.multipliers.passing_yardz"},
	}
	for _, c := range cases {
		status, body := do(t, server, http.MethodPost, "/api/v1/leagues", adminKey, c.body)
		var got errorBody
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: decode %s: %v", c.name, body, err)
		}
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", c.name, status, body)
		}
		if got.Error.Field != c.field {
			t.Errorf("%s: field %q, want %q: %s", c.name, got.Error.Field, c.field, got.Error.Message)
		}
		if got.Error.Message == "" {
			t.Errorf("%s: empty message", c.name)
		}
	}

	status, body := do(t, server, http.MethodGet, "/api/v1/leagues", "", "")
	if status != http.StatusOK || string(body) != `{"leagues":[]}` {
		t.Errorf("after rejected creates: %d %s, want no leagues", status, body)
	}
}

// TestOpenAPIListsEveryRoute parses docs/openapi.yaml and checks that each
// route the handler registers is documented with its method.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var document struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &document); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid YAML: %v", err)
	}
	if !strings.HasPrefix(document.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", document.OpenAPI)
	}

	for _, route := range httpapi.Routes() {
		operations, ok := document.Paths[route.Pattern]
		if !ok {
			t.Errorf("path %s is not in docs/openapi.yaml", route.Pattern)
			continue
		}
		if _, ok := operations[strings.ToLower(route.Method)]; !ok {
			t.Errorf("%s %s is not in docs/openapi.yaml", route.Method, route.Pattern)
		}
	}
}
